"""Statistics pages for management and coordinators. They read figures, never a dossier."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cases.access import staff_view
from institute.roles import Role
from institute.routers import replica_reads

from . import charts, exports
from .forms import StatisticsForm
from .models import StatisticsAction, StatisticsLogEntry
from .publication import SPECS_BY_KEY, Publication, tables
from .statistics import compute

STATISTICS_ROLES = (Role.MANAGEMENT, Role.COORDINATOR)
TABLE_FORMATS = {"csv": exports.CSV, exports.CSV_EXCEL: exports.CSV, "xlsx": exports.XLSX}


def _publications(
    form: StatisticsForm, *, previous: bool = True
) -> tuple[Publication, Publication | None]:
    """The figures of the period asked for and (with ``previous``) of the same period a
    year earlier, read from the replica when there is one (``institute.routers``)."""
    period, threshold = form.cleaned_data["period"], form.cleaned_data["suppress_below"]
    with replica_reads():
        current = compute(period)
        earlier = compute(period.previous()) if previous else None
    return (
        Publication(current, threshold),
        None if earlier is None else Publication(earlier, threshold),
    )


def _log(request: HttpRequest, form: StatisticsForm, action: str, item: str = "", fmt: str = ""):
    period = form.cleaned_data["period"]
    StatisticsLogEntry.objects.create(
        user=request.user,
        action=action,
        period_from=period.start,
        period_to=period.end,
        threshold=form.cleaned_data["suppress_below"],
        item=item,
        file_format=fmt,
    )


def _file_name(form: StatisticsForm, *parts: str, ext: str) -> str:
    threshold = form.cleaned_data["suppress_below"]
    name = "-".join(["statistics", form.cleaned_data["period"].slug, *parts])
    return f"{name}{f'-under-{threshold}-withheld' if threshold else ''}.{ext}"


def _download(content, content_type: str, file_name: str, *, attachment: bool = True):
    response = HttpResponse(content, content_type=content_type)
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{file_name}"'
    return response


def _bound_form(request: HttpRequest) -> StatisticsForm | HttpResponse:
    """The period asked for by a download link, or a plain 400 saying what is wrong."""
    form = StatisticsForm(request.GET)
    if form.is_valid():
        return form
    messages = [str(error) for errors in form.errors.values() for error in errors]
    return HttpResponseBadRequest("\n".join(messages), content_type="text/plain; charset=utf-8")


@require_GET
@staff_view(*STATISTICS_ROLES)
def statistics(request: HttpRequest) -> HttpResponse:
    form = StatisticsForm(request.GET)  # nothing asked for: this year, exact
    if not form.is_valid():
        return render(request, "reporting/statistics.html", {"form": form}, status=400)
    current, previous = _publications(form)
    _log(request, form, StatisticsAction.PAGE)
    shown = tables(current, previous)
    for table in shown:
        if table.spec.chart:  # drawn beside its table, which says it in figures
            table.chart = charts.chart(table.spec.chart, current, previous)
    return render(
        request,
        "reporting/statistics.html",
        {
            "form": form,
            "current": current,
            "previous": previous,
            "tables": shown,
            "charts": [charts.chart(key, current, previous) for key in charts.PAGE_CHARTS],
            "query": form.query(),
        },
    )


@require_GET
@staff_view(*STATISTICS_ROLES)
def workbook(request: HttpRequest) -> HttpResponse:
    form = _bound_form(request)
    if isinstance(form, HttpResponse):
        return form
    current, previous = _publications(form)
    content = exports.workbook_xlsx(tables(current, previous), current, previous)
    _log(request, form, StatisticsAction.WORKBOOK, fmt="xlsx")
    return _download(content, exports.XLSX, _file_name(form, ext="xlsx"))


@require_GET
@staff_view(*STATISTICS_ROLES)
def table_file(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    if key not in SPECS_BY_KEY or fmt not in TABLE_FORMATS:
        raise Http404
    form = _bound_form(request)
    if isinstance(form, HttpResponse):
        return form
    current, previous = _publications(form)
    table = next(t for t in tables(current, previous) if t.key == key)
    name = _file_name(form, key, ext=fmt)
    if fmt == "csv":
        content = exports.table_csv(table).encode("utf-8-sig")  # a BOM, for spreadsheets
    elif fmt == exports.CSV_EXCEL:
        content = exports.table_csv(table, excel=True).encode("utf-8")  # BOM included
        name = _file_name(form, key, "excel", ext="csv")
    else:
        content = exports.table_xlsx(table)
    _log(request, form, StatisticsAction.TABLE, item=key, fmt=fmt)
    return _download(content, TABLE_FORMATS[fmt], name)


@require_GET
@staff_view(*STATISTICS_ROLES)
def chart_file(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    if key not in charts.CHARTS or fmt not in charts.FORMATS:
        raise Http404
    form = _bound_form(request)
    if isinstance(form, HttpResponse):
        return form
    # Only the chart of periods shows the year before: the others compute one period.
    current, previous = _publications(form, previous=key in charts.WITH_PREVIOUS)
    content = charts.render(charts.chart(key, current, previous), fmt)
    download = "download" in request.GET
    if download:
        # Charts shown on the page are not logged: the page view already is.
        _log(request, form, StatisticsAction.CHART, item=key, fmt=fmt)
    return _download(
        content,
        charts.FORMATS[fmt],
        _file_name(form, "chart", key, ext=fmt),
        attachment=download,
    )
