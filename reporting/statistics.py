"""The Institute's figures for a period, computed by the database on coded columns.

Only coded columns are read (forms of abuse, reporter category, language, channel, dates,
closure reason, takedown outcome), never a personal field: anonymising a dossier leaves
every figure as it was.

Counting rules, as the Institute publishes them:
- a dossier counts in the period (day, month, half-year) it was received, in Brussels;
- it counts once under every form of abuse it involves, and once in "all dossiers";
- closures count the dossiers closed during the period (and still closed);
- takedown outcomes count the requests sent during the period, with their outcome now;
- days to first contact run from receipt to the first contact recorded with the reporter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.aggregates import Aggregate
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.choices import (
    Channel,
    ClosureReason,
    FormOfAbuse,
    Language,
    ReporterCategory,
    Status,
    TakedownOutcome,
)
from cases.models import BRUSSELS, Dossier, TakedownRequest

from .periods import Period

ALL = "all"  # the row counting every dossier once
ROWS = [*(form.value for form in FormOfAbuse), ALL]
FORM_COLUMNS = {form.value: form.column for form in FormOfAbuse}


def row_label(row: str) -> str:
    return str(_("All dossiers")) if row == ALL else str(FormOfAbuse(row).label)


class Median(Aggregate):
    """PostgreSQL's exact median (works on intervals too)."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


def _form_counts(prefix: str = "") -> dict[str, Count]:
    """COUNT(*) and one filtered COUNT per form, over dossiers reached by ``prefix``."""
    counts = {ALL: Count("pk")}
    for form, column in FORM_COLUMNS.items():
        counts[form] = Count("pk", filter=Q(**{f"{prefix}{column}": True}))
    return counts


@dataclass
class Figures:
    """Every figure of one period. ``counts[table][row][column]`` for the cross tables,
    rows being the forms and ``all``."""

    period: Period
    by_form: dict[str, int]
    counts: dict[str, dict[str, dict[str, int]]]
    contacted: dict[str, int] = field(default_factory=dict)
    median_days: dict[str, float | None] = field(default_factory=dict)

    @property
    def dossiers(self) -> int:
        return self.by_form[ALL]


def received_in(period: Period) -> QuerySet[Dossier]:
    start, end = period.bounds()
    return Dossier.objects.filter(received_at__gte=start, received_at__lt=end)


def _empty(columns) -> dict[str, dict[str, int]]:
    return {row: dict.fromkeys(columns, 0) for row in ROWS}


def month_key(month: date) -> str:
    return f"{month:%Y-%m}"


def half_key(year: int, half: int) -> str:
    return f"{year}-H{half}"


def half_of(month: date) -> str:
    return half_key(month.year, 1 if month.month <= 6 else 2)


def compute(period: Period) -> Figures:
    """All figures of ``period``: one grouped scan of its dossiers for the cross tables,
    one each for closures, takedowns and first contacts."""
    by_form, counts = _cross_tables(period)
    start, end = period.bounds()
    closures = Dossier.objects.filter(
        status=Status.CLOSED, closed_at__gte=start, closed_at__lt=end
    ).values("closure_reason")
    counts["closure"] = _by_form(closures, "closure_reason", ClosureReason.values)
    takedowns = TakedownRequest.objects.filter(sent_at__gte=start, sent_at__lt=end).values(
        "outcome"
    )
    counts["takedown"] = _by_form(takedowns, "outcome", TakedownOutcome.values, "dossier__")
    contacted, median_days = _first_contacts(received_in(period))
    return Figures(period, by_form, counts, contacted, median_days)


def _cross_tables(period: Period) -> tuple[dict[str, int], dict[str, dict]]:
    """Dossiers received in ``period`` per form of abuse, and per form against who
    reported, language, channel, half-year and month: one grouped scan."""
    months = [month_key(month) for month in period.months()]
    halves = [half_key(*half) for half in period.half_years()]
    counts = {
        "reporter": _empty(ReporterCategory.values),
        "language": _empty(Language.values),
        "channel": _empty(Channel.values),
        "half_year": _empty(halves),
        "month": _empty(months),
    }
    by_form = dict.fromkeys(ROWS, 0)
    cube = (
        received_in(period)
        .annotate(month=TruncMonth("received_at", tzinfo=BRUSSELS))
        .values("month", "reporter_category", "language", "channel")
        .annotate(**_form_counts())
        .order_by()
    )
    for group in cube:
        month = timezone.localtime(group["month"], BRUSSELS)  # the month's first instant
        keys = {
            "reporter": group["reporter_category"],
            "language": group["language"],
            "channel": group["channel"],
            "month": month_key(month),
            "half_year": half_of(month),
        }
        for row in ROWS:
            n = group[row]
            by_form[row] += n
            for table, column in keys.items():
                counts[table][row][column] += n
    return by_form, counts


def _by_form(groups: QuerySet, column: str, values: list[str], prefix: str = "") -> dict:
    """Rows grouped by ``column`` (already a values() query), counted per form of abuse."""
    table = _empty(values)
    for group in groups.annotate(**_form_counts(prefix)).order_by():
        for row in ROWS:
            table[row][group[column]] += group[row]
    return table


def _first_contacts(dossiers: QuerySet[Dossier]) -> tuple[dict[str, int], dict[str, float | None]]:
    """How many dossiers of each row had a first contact, and the median days it took."""
    dossiers = dossiers.filter(first_contact_at__isnull=False).annotate(
        wait=ExpressionWrapper(
            F("first_contact_at") - F("received_at"), output_field=DurationField()
        )
    )
    filters = {ALL: Q(), **{form: Q(**{col: True}) for form, col in FORM_COLUMNS.items()}}
    counts = _form_counts()
    if connection.vendor == "postgresql":
        # One pass for the counts and the medians.
        medians = {
            f"median_{row}": Median("wait", filter=condition or None, output_field=DurationField())
            for row, condition in filters.items()
        }
        result = dossiers.aggregate(**counts, **medians)
        counts = {row: result[row] for row in filters}
        medians = {row: result[f"median_{row}"] for row in filters}
    else:
        # Without a median aggregate: the middle one or two rows, sorted by the database.
        counts = dossiers.aggregate(**counts)
        medians = {}
        for row, condition in filters.items():
            n = counts[row]
            if not n:
                medians[row] = None
                continue
            middle = list(
                dossiers.filter(condition)
                .order_by("wait")
                .values_list("wait", flat=True)[(n - 1) // 2 : n // 2 + 1]
            )
            medians[row] = sum(middle, timedelta()) / len(middle)
    days = {
        row: None if medians[row] is None else round(medians[row] / timedelta(days=1), 1)
        for row in filters
    }
    return counts, days
