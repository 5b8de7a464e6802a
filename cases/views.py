"""Staff pages for dossiers. Every view asks cases.access who may see what, and every
change goes through a service in cases.services."""

from __future__ import annotations

import csv
import io
import json
import mimetypes

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from institute.models import SecurityEvent, SecurityEventKind, hides_previews
from institute.roles import Role, has_role

from . import message_templates, notices, receipts, services
from .access import dossier_for, record_access, staff_view, visible_dossier, visible_dossiers
from .choices import AccessAction, Language, LegalBasis, Priority, TakedownMethod
from .custody import EvidenceAltered, received_bytes, report_altered
from .errors import ActionRefused
from .fingerprints import IMAGE_TYPES, hash_list
from .forms import (
    AssignForm,
    ContactForm,
    DetailsForm,
    DossierFilterForm,
    LocationPlatformForm,
    MessageForm,
    NoteForm,
    ReferralForm,
    ReferralOutcomeForm,
    StaffReportForm,
    StatusForm,
    TakedownAnswerForm,
    TakedownForm,
    TriageForm,
    active_platforms,
)
from .matching import matches_seen_by
from .models import (
    AccessLogEntry,
    ContentLocation,
    Dossier,
    Evidence,
    Referral,
    TakedownRequest,
)
from .previews import blurred_preview, clear_picture, previewable
from .report_form import LocationFormSet
from .timeline import timeline
from .workflow import STATUS_MOVES, Action, actions_allowed, refusal

PAGE_SIZE = 25


@require_GET
@staff_view()
def dossier_list(request: HttpRequest) -> HttpResponse:
    form = DossierFilterForm(request.GET or None, user=request.user)
    dossiers = form.filter(visible_dossiers(request.user).select_related("assignee"))
    page = Paginator(dossiers, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/dossier_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "URGENT": Priority.URGENT,
        },
    )


def _action_forms(
    dossier: Dossier, actions, locations, referrals, bound: dict, message: str = ""
) -> dict:
    """The forms of the dossier's page, each one the form just posted (``bound``, with its
    errors) or a fresh one; the outcome forms hang on their takedown or referral.
    ``message``: the text the message box starts with (a template chosen)."""

    def form(prefix: str, form_class: type, **kwargs):
        return bound.get(prefix) or form_class(prefix=prefix, **kwargs)

    forms = {
        "triage": form("triage", TriageForm),
        "note": form("note", NoteForm),
        "message": form("message", MessageForm, initial={"text": message}),
        "contact": form("contact", ContactForm),
        "takedown": form("takedown", TakedownForm, locations=locations),
        "referral": form("referral", ReferralForm),
        **{move: form(move, StatusForm) for move in STATUS_MOVES},
    }
    if Action.ASSIGN in actions:
        forms["assign"] = form("assign", AssignForm, initial={"assignee": dossier.assignee_id})
    platforms = active_platforms() if locations else []
    by_name = {name.casefold(): pk for pk, name in platforms}
    for location in locations:
        for takedown in location.takedowns.all():
            takedown.answer_form = form(
                f"takedown-{takedown.pk}", TakedownAnswerForm, takedown=takedown
            )
        # The list's entry with the name the reporter gave, if there is one, is offered:
        # nothing is saved until a staff member saves it.
        suggested = by_name.get(" ".join(location.platform_name.split()).casefold())
        location.platform_form = form(
            f"location-{location.pk}",
            LocationPlatformForm,
            platforms=platforms,
            initial={"platform": location.platform_id or suggested},
        )
    for referral in referrals:
        referral.outcome_form = form(f"referral-{referral.pk}", ReferralOutcomeForm)
    return forms


def _coordinators_view(dossier: Dossier) -> dict:
    """Who opened the dossier, and who was refused it: for coordinators' eyes."""
    return {
        "access_log": AccessLogEntry.objects.filter(dossier=dossier).select_related("user")[:50],
        "refused_accesses": SecurityEvent.objects.filter(
            kind=SecurityEventKind.ACCESS_REFUSED, dossier_id=dossier.pk
        ).select_related("user")[:50],
    }


def _evidence_shown(dossier: Dossier, user) -> list[Evidence]:
    """The dossier's files, each with whether it has a preview and the other dossiers
    it also appears in (by reference where this person may see them)."""
    files = list(Evidence.objects.filter(dossier=dossier))
    elsewhere = matches_seen_by(user, files)
    for file in files:
        # An image that could not be read at upload has no PDQ: no preview to draw.
        unread = file.content_type in IMAGE_TYPES and file.sha256 and not file.pdq
        file.previewable = previewable(file.content_type) and not unread
        file.elsewhere = elsewhere.get(file.pk, [])
    return files


def detail_page(
    request: HttpRequest, dossier: Dossier, bound: dict | None = None, status: int = 200
) -> HttpResponse:
    """The dossier page; ``bound`` replaces one of its forms by the one just posted, so
    its errors show where it was filled in."""
    locations = list(
        ContentLocation.objects.filter(dossier=dossier)
        .select_related("platform")
        .prefetch_related(
            Prefetch(
                "takedowns",
                queryset=TakedownRequest.objects.with_due().order_by("sent_at", "id"),
            )
        )
    )
    referrals = list(Referral.objects.filter(dossier=dossier))
    # What the workflow lets this person do now; the page offers nothing else (an
    # anonymised dossier: nothing at all).
    actions = actions_allowed(dossier, request.user)
    template_text = message_templates.starting_text(dossier, request.GET.get("template"))
    context = {
        "dossier": dossier,
        "locations": locations,
        "evidence": _evidence_shown(dossier, request.user),
        "hide_previews": hides_previews(request.user),
        "referrals": referrals,
        "suggested_referrals": services.referrals_suggested(dossier, referrals),
        "timeline": timeline(dossier),
        "access_log": None,
        "refused_accesses": None,
        "can_message": dossier.receipt_hash is not None,
        "read_only": dossier.anonymised_at is not None,
        "forms": _action_forms(dossier, actions, locations, referrals, bound or {}, template_text),
        "message_templates": message_templates.offered(dossier),
        "message_box_open": bool(template_text),
        "reply_language": Language(dossier.reply_language).label,
        "actions": {action.value for action in actions},
    }
    if has_role(request.user, Role.COORDINATOR):
        context.update(_coordinators_view(dossier))
    return render(request, "cases/dossier_detail.html", context, status=status)


@require_GET
@staff_view()
def dossier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return detail_page(request, dossier_for(request, pk))


@require_http_methods(["GET", "POST"])
@staff_view()
def dossier_details(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct what was recorded at intake."""
    if request.method == "GET":
        dossier = dossier_for(request, pk)
        refused = refusal(dossier, Action.DETAILS, request.user)
        if refused:
            # Nothing to correct now: the service would refuse whatever is posted.
            messages.error(request, refused)
            return redirect("cases:dossier-detail", pk=dossier.pk)
        return render(
            request,
            "cases/dossier_details.html",
            {"dossier": dossier, "form": DetailsForm(instance=dossier)},
        )
    dossier = dossier_for(request, pk, action=AccessAction.CHANGE)
    form = DetailsForm(request.POST, instance=dossier)
    if form.is_valid():
        try:
            services.dossier_update_details(
                dossier_id=dossier.pk,
                changes=form.changes(),
                version=form.cleaned_data["version"],
                by=request.user,
            )
        except ActionRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The details have been saved."))
            return redirect("cases:dossier-detail", pk=dossier.pk)
    return render(
        request,
        "cases/dossier_details.html",
        {"dossier": dossier, "form": form},
        status=400,
    )


@require_GET
@staff_view()
def evidence_download(request: HttpRequest, pk: int, evidence_pk: int) -> HttpResponse:
    """A file of the dossier exactly as received (it is evidence: cases.custody), logged;
    only as a download the browser will not open as a page: a file checked by its first
    bytes may still be HTML or script further on. For looking at it, the safe copy."""
    dossier, evidence, data = _evidence_or_refusal(request, pk, evidence_pk)
    if isinstance(data, HttpResponse):
        return data
    record_access(
        user=request.user, dossier=dossier, action=AccessAction.DOWNLOAD, evidence=evidence
    )
    extension = mimetypes.guess_extension(evidence.content_type) or ""
    # The file's own name is personal data: the download is named after the dossier.
    name = f"{dossier.reference}-{evidence.pk}{extension}"
    return _sandboxed(
        FileResponse(
            io.BytesIO(data),
            as_attachment=True,
            filename=name,
            content_type="application/octet-stream",
        )
    )


def _sandboxed(response: HttpResponse) -> HttpResponse:
    """A file answer that nothing in it can run from: a browser that shows it anyway
    treats it as a page of a unique origin without scripts, forms or plugins."""
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@staff_view()
def evidence_safe_copy(request: HttpRequest, pk: int, evidence_pk: int) -> HttpResponse:
    """A safe copy of an image or a PDF to open on a staff computer: the picture (a PDF's
    first page) drawn anew as a JPEG, with nothing of the file but its pixels (no
    metadata, no script, no trailing data). Logged as such."""
    dossier, evidence, data = _evidence_or_refusal(request, pk, evidence_pk)
    if isinstance(data, HttpResponse):
        return data
    picture = (
        clear_picture(data, evidence.content_type) if previewable(evidence.content_type) else None
    )
    if picture is None:
        raise Http404
    record_access(
        user=request.user, dossier=dossier, action=AccessAction.SAFE_COPY, evidence=evidence
    )
    response = HttpResponse(picture, content_type="image/jpeg")
    name = f"{dossier.reference}-{evidence.pk}-safe-copy.jpg"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return _sandboxed(response)


def _evidence_or_refusal(request: HttpRequest, pk: int, evidence_pk: int):
    """The dossier, the file and its bytes as received; or the refusal to send."""
    dossier = visible_dossier(request.user, pk, request=request)
    evidence = get_object_or_404(Evidence, pk=evidence_pk, dossier=dossier)
    try:
        return dossier, evidence, received_bytes(evidence)
    except EvidenceAltered as problem:
        report_altered(evidence, problem, user=request.user, request=request)
        refusal = render(
            request,
            "cases/evidence_refused.html",
            {"dossier": dossier, "evidence": evidence},
            status=409,
        )
        return dossier, evidence, refusal


@require_GET
@staff_view()
def evidence_preview(request: HttpRequest, pk: int, evidence_pk: int) -> HttpResponse:
    """The file's blurred, grey preview (part of the dossier page, whose opening is
    logged); 404 when the file cannot be drawn."""
    _dossier, evidence, data = _evidence_or_refusal(request, pk, evidence_pk)
    if isinstance(data, HttpResponse):
        return data
    preview = blurred_preview(data, evidence.content_type)
    if preview is None:
        raise Http404
    return HttpResponse(preview, content_type="image/png")


@require_GET
@staff_view()
def evidence_reveal(request: HttpRequest, pk: int, evidence_pk: int) -> HttpResponse:
    """The picture shown clearly, when a person chooses to look: logged like a
    download. A new JPEG drawn from the file (no metadata), shown inline."""
    dossier, evidence, data = _evidence_or_refusal(request, pk, evidence_pk)
    if isinstance(data, HttpResponse):
        return data
    picture = clear_picture(data, evidence.content_type)
    if picture is None:
        raise Http404
    record_access(user=request.user, dossier=dossier, action=AccessAction.REVEAL, evidence=evidence)
    response = HttpResponse(picture, content_type="image/jpeg")
    response["Content-Disposition"] = f'inline; filename="{dossier.reference}-{evidence.pk}.jpg"'
    return response


HASH_LIST_FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


@require_GET
@staff_view()
def takedown_hashes(request: HttpRequest, pk: int, takedown_pk: int, fmt: str) -> HttpResponse:
    """The hashes of the dossier's files, for the platform a takedown request went to:
    with them it can block the same files (SHA-256) and the same pictures (PDQ) when
    they are uploaded again, without ever receiving them. One line per file and
    algorithm; nothing else about the dossier. Logged."""
    if fmt not in HASH_LIST_FORMATS:
        raise Http404
    dossier = visible_dossier(request.user, pk, request=request)
    takedown = get_object_or_404(TakedownRequest, pk=takedown_pk, dossier=dossier)
    lines = hash_list(dossier)
    record_access(user=request.user, dossier=dossier, action=AccessAction.HASHES)
    if fmt == "json":
        content = json.dumps({"hashes": lines}, indent=2) + "\n"
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=["algorithm", "hash", "quality"])
        writer.writeheader()
        writer.writerows(lines)
        content = buffer.getvalue()
    response = HttpResponse(content, content_type=HASH_LIST_FORMATS[fmt])
    name = f"hashes-{takedown.pk}.{fmt}"  # nothing of the dossier, not even its reference
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@staff_view()
def takedown_notice(request: HttpRequest, pk: int, location_pk: int) -> HttpResponse:
    """The notice for one location (Article 16 of the Digital Services Act) in the
    language chosen, ready to copy, with the form that records it as sent: the record
    stores the same text and its hash."""
    dossier = dossier_for(request, pk)
    location = get_object_or_404(
        ContentLocation.objects.select_related("platform"), pk=location_pk, dossier=dossier
    )
    location.dossier = dossier
    language = request.GET.get("language")
    if language not in Language.values:
        language = notices.default_language(location)
    try:
        notice = notices.notice_for(location, language)
    except ActionRefused as error:
        notice, problem = None, str(error)
    else:
        problem = ""
    form = None
    if notice is not None and Action.TAKEDOWN in actions_allowed(dossier, request.user):
        platform = location.platform
        form = TakedownForm(
            prefix="takedown",
            locations=[location],
            initial={
                "location": location.pk,
                "sent_to": platform.notice_channel if platform else "",
                "method": (
                    TakedownMethod.TRUSTED_FLAGGER
                    if notice.trusted_flagger
                    else TakedownMethod.WEB_FORM
                ),
                "legal_basis": LegalBasis.DSA_NOTICE,
                "notice_language": notice.language,
                "notice_sha256": notice.sha256,
            },
        )
    context = {
        "dossier": dossier,
        "location": location,
        "language": language,
        "languages": Language.choices,
        "notice": notice,
        "problem": problem,
        "form": form,
        "suggested": services.referrals_suggested(dossier, dossier.referrals.all()),
    }
    return render(request, "cases/takedown_notice.html", context)


@require_GET
@staff_view()
def takedown_notice_sent(request: HttpRequest, pk: int, takedown_pk: int) -> HttpResponse:
    """The notice as it was sent, with its SHA-256 and whether the stored text still
    matches it."""
    dossier = dossier_for(request, pk)
    takedown = get_object_or_404(
        TakedownRequest.objects.exclude(notice_sha256=""), pk=takedown_pk, dossier=dossier
    )
    intact = notices.text_sha256(takedown.notice_text) == takedown.notice_sha256
    return render(
        request,
        "cases/takedown_notice_sent.html",
        {"dossier": dossier, "takedown": takedown, "intact": intact},
    )


@require_GET
@staff_view()
def takedowns_due(request: HttpRequest) -> HttpResponse:
    """Requests past their deadline without an answer, and removals due for a check,
    across the dossiers this person may see."""
    takedowns = (
        TakedownRequest.objects.due()
        .filter(dossier__in=visible_dossiers(request.user))
        .select_related("dossier__assignee", "location__platform")
        .order_by("deadline", "id")
    )
    page = Paginator(takedowns, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/takedowns_due.html", {"page": page})


@require_http_methods(["GET", "POST"])
@staff_view()
def staff_report(request: HttpRequest) -> HttpResponse:
    """A report taken by phone, mail, letter or in person: the public form's questions
    plus how and when it came. The reporter gets a receipt code as from the web form."""
    if request.method == "GET":
        form = StaffReportForm(
            initial={
                "submission_token": receipts.new_submission_token(),
                # The staff member's own language is the likeliest one of the report.
                "language": translation.get_language()[:2],
            }
        )
        locations = LocationFormSet(prefix="locations")
        return _staff_report_page(request, form, locations)
    form = StaffReportForm(request.POST, request.FILES)
    locations = LocationFormSet(request.POST, prefix="locations")
    if not (form.is_valid() and locations.is_valid()):
        form.renew_token_if_invalid()
        return _staff_report_page(request, form, locations, status=400)
    data = form.cleaned_data
    # The same form posted again gets its first report back (report_submit).
    try:
        submitted = services.report_submit(
            dossier=form.build_dossier(),
            locations=locations.build_locations(),
            uploads=data["files"],
            submission_token=data["submission_token"],
            language=data["language"],
            channel=data["channel"],
            received_at=data["received_at"],
            by=request.user,
        )
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return _staff_report_page(request, form, locations, status=400)
    except services.EvidenceNotStored:
        form.add_error(
            None,
            _(
                "The files could not be stored (the server's disk may be full), so the "
                "report was not registered. Try again later, or register it without the "
                "files; the technical administrators have been alerted."
            ),
        )
        return _staff_report_page(request, form, locations, status=503)
    record_access(user=request.user, dossier=submitted.dossier, action=AccessAction.CHANGE)
    return render(
        request,
        "cases/staff_report_done.html",
        {"dossier": submitted.dossier, "code": submitted.receipt_code},
    )


def _staff_report_page(request, form, locations, status: int = 200) -> HttpResponse:
    return render(
        request,
        "cases/staff_report.html",
        {
            "form": form,
            "locations": locations,
            "error_summary": (
                form.error_summary() + locations.error_summary() if form.is_bound else []
            ),
        },
        status=status,
    )
