"""Staff pages for dossiers. Every view asks cases.access who may see what, and every
change goes through a service in cases.services."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from institute.models import SecurityEvent, SecurityEventKind
from institute.roles import Role, has_role
from institute.text import render_text

from . import receipts, services
from .access import dossier_for, record_access, staff_view, visible_dossier, visible_dossiers
from .choices import AccessAction, Language, Priority
from .errors import ActionRefused
from .forms import (
    AssignForm,
    ContactForm,
    DetailsForm,
    DossierFilterForm,
    MessageForm,
    NoteForm,
    ReferralForm,
    ReferralOutcomeForm,
    StaffReportForm,
    StatusForm,
    TakedownForm,
    TakedownOutcomeForm,
    TriageForm,
)
from .models import AccessLogEntry, ContentLocation, Dossier, Evidence, Referral, TakedownRequest
from .report_form import LocationFormSet
from .timeline import timeline
from .workflow import Action, actions_allowed, refusal

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


def _detail_page(
    request: HttpRequest, dossier: Dossier, bound: dict | None = None, status: int = 200
) -> HttpResponse:
    """The dossier page; ``bound`` replaces one of its forms by the one just posted, so
    its errors show where it was filled in."""
    locations = list(
        ContentLocation.objects.filter(dossier=dossier).prefetch_related(
            Prefetch(
                "takedowns",
                queryset=TakedownRequest.objects.with_due().order_by("sent_at", "id"),
            )
        )
    )
    referrals = list(Referral.objects.filter(dossier=dossier))
    is_coordinator = has_role(request.user, Role.COORDINATOR)
    # An anonymised dossier can no longer be changed (the services refuse it), so the
    # page offers none of the action forms.
    read_only = dossier.anonymised_at is not None
    bound = bound or {}

    def form(prefix: str, form_class: type, **kwargs):
        return bound.get(prefix) or form_class(prefix=prefix, **kwargs)

    forms = {
        "triage": form("triage", TriageForm),
        "note": form("note", NoteForm),
        "message": form("message", MessageForm),
        "contact": form("contact", ContactForm),
        "takedown": form("takedown", TakedownForm, locations=locations),
        "referral": form("referral", ReferralForm),
        **{move: form(move, StatusForm) for move in STATUS_MOVES},
    }
    actions = actions_allowed(dossier, request.user)
    if Action.ASSIGN in actions:
        forms["assign"] = form("assign", AssignForm, initial={"assignee": dossier.assignee_id})
    for location in locations:
        for takedown in location.takedowns.all():
            takedown.outcome_form = form(f"takedown-{takedown.pk}", TakedownOutcomeForm)
    for referral in referrals:
        referral.outcome_form = form(f"referral-{referral.pk}", ReferralOutcomeForm)
    context = {
        "dossier": dossier,
        "locations": locations,
        "evidence": Evidence.objects.filter(dossier=dossier),
        "referrals": referrals,
        "suggested_referrals": services.referrals_suggested(dossier, referrals),
        "timeline": timeline(dossier),
        "access_log": (
            AccessLogEntry.objects.filter(dossier=dossier).select_related("user")[:50]
            if is_coordinator
            else None
        ),
        "refused_accesses": (
            SecurityEvent.objects.filter(
                kind=SecurityEventKind.ACCESS_REFUSED, dossier_id=dossier.pk
            ).select_related("user")[:50]
            if is_coordinator
            else None
        ),
        "can_message": dossier.receipt_hash is not None,
        "read_only": read_only,
        "forms": forms,
        # What the workflow lets this person do now; the page offers nothing else.
        "actions": {action.value for action in actions},
    }
    return render(request, "cases/dossier_detail.html", context, status=status)


@require_GET
@staff_view()
def dossier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, dossier_for(request, pk))


def dossier_action(
    form_class: type,
    success: str,
    *,
    prefix: str | Callable[[dict], str],
    form_kwargs: Callable[[Dossier], dict] | None = None,
    roles: tuple[Role, ...] = (),
) -> Callable:
    """A view for one action posted from the dossier page. The decorated function gets
    the dossier and the form's data and calls one service.

    An invalid form shows the page again with its errors (400). What the service
    refuses (the workflow, or the dossier no longer being this person's) comes back as
    an error message, with nothing changed."""

    def decorator(run: Callable) -> Callable:
        @require_POST
        @staff_view(*roles)
        @wraps(run)
        def view(request: HttpRequest, pk: int, **kwargs) -> HttpResponse:
            name = prefix(kwargs) if callable(prefix) else prefix
            dossier = dossier_for(request, pk, action=AccessAction.CHANGE)
            extra = form_kwargs(dossier) if form_kwargs else {}
            form = form_class(request.POST, prefix=name, **extra)
            if not form.is_valid():
                return _detail_page(request, dossier, bound={name: form}, status=400)
            try:
                run(request, dossier, form.cleaned_data, **kwargs)
            except ActionRefused as error:
                messages.error(request, str(error))
            else:
                messages.success(request, success)
                if not visible_dossiers(request.user).filter(pk=dossier.pk).exists():
                    # A case worker who closed a new, unassigned dossier no longer sees it.
                    return redirect("cases:dossier-list")
            return redirect("cases:dossier-detail", pk=dossier.pk)

        return view

    return decorator


@dossier_action(TriageForm, gettext_lazy("The dossier has been triaged."), prefix="triage")
def dossier_triage(request: HttpRequest, dossier: Dossier, data: dict) -> None:
    services.dossier_triage(
        dossier_id=dossier.pk,
        accept=data["decision"] == "accept",
        note=data["note"],
        by=request.user,
    )


@dossier_action(
    AssignForm,
    gettext_lazy("The assignment has been saved."),
    prefix="assign",
    roles=(Role.COORDINATOR,),
)
def dossier_assign(request: HttpRequest, dossier: Dossier, data: dict) -> None:
    services.dossier_assign(dossier_id=dossier.pk, to=data["assignee"], by=request.user)


# The status moves offered once a dossier is triaged, by the name in their URL.
STATUS_MOVES = (Action.WAIT, Action.RESUME, Action.CLOSE, Action.REOPEN)


def _move_named(kwargs: dict) -> str:
    if kwargs["move"] not in STATUS_MOVES:
        raise Http404
    return kwargs["move"]


@dossier_action(StatusForm, gettext_lazy("The status has been changed."), prefix=_move_named)
def dossier_status(request: HttpRequest, dossier: Dossier, data: dict, move: str) -> None:
    """Wait (for someone), resume, close (with a reason) or reopen."""
    common = {"dossier_id": dossier.pk, "note": data["note"], "by": request.user}
    if move == Action.WAIT:
        services.dossier_wait(waiting_for=data["waiting_for"], **common)
    elif move == Action.RESUME:
        services.dossier_resume(**common)
    elif move == Action.CLOSE:
        services.dossier_close(closure_reason=data["closure_reason"], **common)
    else:
        services.dossier_reopen(**common)


@dossier_action(NoteForm, gettext_lazy("The note has been added."), prefix="note")
def dossier_note(request: HttpRequest, dossier: Dossier, data: dict) -> None:
    services.dossier_note_add(dossier_id=dossier.pk, text=data["text"], by=request.user)


@dossier_action(
    MessageForm,
    gettext_lazy("The message has been sent. The reporter reads it on their follow-up page."),
    prefix="message",
)
def dossier_message(request: HttpRequest, dossier: Dossier, data: dict) -> None:
    services.dossier_message_reporter(dossier_id=dossier.pk, text=data["text"], by=request.user)


@dossier_action(ContactForm, gettext_lazy("The contact has been recorded."), prefix="contact")
def dossier_contact(request: HttpRequest, dossier: Dossier, data: dict) -> None:
    services.dossier_contact_record(
        dossier_id=dossier.pk,
        method=data["method"],
        at=data["at"],
        note=data["note"],
        by=request.user,
    )


@dossier_action(
    TakedownForm,
    gettext_lazy("The takedown request has been recorded."),
    prefix="takedown",
    form_kwargs=lambda dossier: {"locations": dossier.locations.all()},
)
def takedown_create(request: HttpRequest, dossier: Dossier, data: dict) -> None:
    services.takedown_request_record(
        location_id=data["location"],
        sent_to=data["sent_to"],
        method=data["method"],
        legal_basis=data["legal_basis"],
        sent_at=data["sent_at"],
        deadline=data["deadline"],
        note=data["note"],
        by=request.user,
    )


@dossier_action(
    TakedownOutcomeForm,
    gettext_lazy("The outcome has been recorded."),
    prefix=lambda kwargs: f"takedown-{kwargs['takedown_pk']}",
)
def takedown_outcome(request: HttpRequest, dossier: Dossier, data: dict, takedown_pk: int) -> None:
    get_object_or_404(dossier.takedowns, pk=takedown_pk)
    services.takedown_outcome_record(
        takedown_id=takedown_pk,
        outcome=data["outcome"],
        recheck_on=data["recheck_on"],
        note=data["note"],
        by=request.user,
    )


@dossier_action(ReferralForm, gettext_lazy("The referral has been recorded."), prefix="referral")
def referral_create(request: HttpRequest, dossier: Dossier, data: dict) -> None:
    services.referral_record(
        dossier_id=dossier.pk,
        kind=data["kind"],
        referred_on=data["referred_on"],
        note=data["note"],
        by=request.user,
    )


@dossier_action(
    ReferralOutcomeForm,
    gettext_lazy("The outcome has been recorded."),
    prefix=lambda kwargs: f"referral-{kwargs['referral_pk']}",
)
def referral_outcome(request: HttpRequest, dossier: Dossier, data: dict, referral_pk: int) -> None:
    get_object_or_404(dossier.referrals, pk=referral_pk)
    services.referral_outcome_record(
        referral_id=referral_pk,
        outcome=data["outcome"],
        outcome_on=data["outcome_on"],
        note=data["note"],
        by=request.user,
    )


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
def evidence_download(request: HttpRequest, pk: int, evidence_pk: int) -> FileResponse:
    """A file of the dossier, as an attachment (never shown inline), logged."""
    dossier = visible_dossier(request.user, pk, request=request)
    evidence = get_object_or_404(Evidence, pk=evidence_pk, dossier=dossier)
    record_access(
        user=request.user, dossier=dossier, action=AccessAction.DOWNLOAD, evidence=evidence
    )
    extension = mimetypes.guess_extension(evidence.content_type) or ""
    # The file's own name is personal data: the download is named after the dossier.
    name = f"{dossier.reference}-{evidence.pk}{extension}"
    return FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=name,
        content_type=evidence.content_type,
    )


@require_GET
@staff_view()
def takedown_text(request: HttpRequest, pk: int, location_pk: int) -> HttpResponse:
    """The removal request for one location, in each language, ready to copy."""
    dossier = dossier_for(request, pk)
    location = get_object_or_404(ContentLocation, pk=location_pk, dossier=dossier)
    context = {"dossier": dossier, "location": location}
    texts = []
    for code, label in Language.choices:
        with translation.override(code):
            texts.append((code, label, render_text("cases/takedown_request.txt", context)))
    return render(
        request,
        "cases/takedown_text.html",
        {"dossier": dossier, "location": location, "texts": texts},
    )


@require_GET
@staff_view()
def takedowns_due(request: HttpRequest) -> HttpResponse:
    """Requests past their deadline without an answer, and removals due for a check,
    across the dossiers this person may see."""
    takedowns = (
        TakedownRequest.objects.due()
        .filter(dossier__in=visible_dossiers(request.user))
        .select_related("dossier__assignee", "location")
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
    submitted = services.previous_submission(data["submission_token"])
    if submitted is None:
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
            "error_summary": form.error_summary() if form.is_bound else [],
        },
        status=status,
    )
