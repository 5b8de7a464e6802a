"""The public pages: landing, report form, receipt, follow-up.

Nothing personal ever goes into a URL: the receipt code travels only in a POST body,
and once accepted the follow-up page remembers the dossier in the session (a number,
for half an hour) rather than in the address.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.models import Dossier, DossierEvent, EventKind, Status

from . import receipts, throttle
from .forms import FollowUpForm, LocationFormSet, ReceiptCodeForm, ReportForm
from .services import (
    dossier_for_receipt_code,
    previous_submission,
    report_submit,
    reporter_followup_add,
)

logger = logging.getLogger(__name__)

SUBMISSIONS = throttle.Limit("report", per_client=5, overall=500, window_seconds=60 * 60)
WRONG_CODES = throttle.Limit("receipt", per_client=5, overall=200, window_seconds=15 * 60)
FOLLOWUP_SESSION_KEY = "intake_followup"
FOLLOWUP_IDLE_SECONDS = 30 * 60

STATUS_EXPLAINED = {
    Status.NEW: gettext_lazy(
        "We have received your report. A member of our team will read it soon. If you left "
        "contact details, we will contact you in the way you asked."
    ),
    Status.IN_PROGRESS: gettext_lazy("A member of our team is working on your report."),
    Status.WAITING: gettext_lazy(
        "We are waiting for an answer: from you, from a platform or from another service. "
        "We will continue as soon as we hear back."
    ),
    Status.CLOSED: gettext_lazy(
        "Your report is closed. You can still write to us here, or make a new report if you "
        "need help again."
    ),
}


def _language() -> str:
    return translation.get_language() or settings.LANGUAGE_CODE


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/landing.html")


def _report_page(request, form, locations) -> HttpResponse:
    summary = form.error_summary() + locations.error_summary() if form.is_bound else []
    if summary and request.FILES:
        again = _("For your safety, files are not kept: choose them again.")
        summary.append(("div_id_files", again))
    return render(
        request,
        "intake/report.html",
        {
            "form": form,
            "locations": locations,
            "error_summary": summary,
        },
        status=400 if summary else 200,
    )


def _receipt_page(request, code: str) -> HttpResponse:
    return render(request, "intake/receipt.html", {"code": receipts.display(code)})


def _repeated_receipt_page(request, previous) -> HttpResponse:
    """The same form posted again: the same receipt, but only shortly after. Later (a
    "resend" from the history of a shared phone) the code is not shown again."""
    age = (timezone.now() - previous.dossier.received_at).total_seconds()
    if age <= settings.RECEIPT_REPEAT_SECONDS:
        return _receipt_page(request, previous.receipt_code)
    return render(request, "intake/already_sent.html")


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    language = _language()
    if request.method == "GET":
        form = ReportForm(
            initial={
                "submission_token": receipts.new_submission_token(),
                "contact_language": language,
            }
        )
        return _report_page(request, form, LocationFormSet(prefix="locations"))

    form = ReportForm(request.POST, request.FILES)
    locations = LocationFormSet(request.POST, prefix="locations")
    if not (form.is_valid() and locations.is_valid()):
        form.renew_token_if_invalid()
        return _report_page(request, form, locations)
    if form.cleaned_data["leave_empty"]:
        logger.info("report refused: honeypot field filled in")
        form.add_error(None, _("Your report could not be sent. Please try again."))
        return _report_page(request, form, locations)

    token = form.cleaned_data["submission_token"]
    previous = previous_submission(token)
    if previous is not None:  # a double click, a refresh, a retry: the same receipt
        return _repeated_receipt_page(request, previous)
    if throttle.is_blocked(SUBMISSIONS, request):
        return render(request, "intake/too_many.html", status=429)
    try:
        submitted = report_submit(
            dossier=form.build_dossier(),
            locations=locations.build_locations(),
            uploads=form.cleaned_data["files"],
            submission_token=token,
            language=language,
        )
    except ValidationError as error:  # a rule checked only on saving
        for message in error.messages:
            form.add_error(None, message)
        return _report_page(request, form, locations)
    if submitted.repeated:  # the same form won a race with this post
        return _repeated_receipt_page(request, submitted)
    throttle.record(SUBMISSIONS, request)
    return _receipt_page(request, submitted.receipt_code)


def _followup_dossier(request: HttpRequest) -> Dossier | None:
    remembered = request.session.get(FOLLOWUP_SESSION_KEY)
    if not remembered or remembered.get("until", 0) < time.time():
        request.session.pop(FOLLOWUP_SESSION_KEY, None)
        return None
    dossier = Dossier.objects.filter(pk=remembered.get("id"), receipt_hash__isnull=False).first()
    if dossier is None:
        request.session.pop(FOLLOWUP_SESSION_KEY, None)
        return None
    remembered["until"] = time.time() + FOLLOWUP_IDLE_SECONDS
    request.session.modified = True
    return dossier


@require_http_methods(["GET", "POST"])
def followup_start(request: HttpRequest) -> HttpResponse:
    form = ReceiptCodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if throttle.is_blocked(WRONG_CODES, request):
            form.add_error(None, _("Too many attempts. Please wait 15 minutes and try again."))
            status = 429
        else:
            code = form.normalised_code()
            dossier = dossier_for_receipt_code(code) if code else None
            if dossier is None:
                throttle.record(WRONG_CODES, request)
                form.add_error("code", _("This code did not work."))
                status = 400
            else:
                request.session.cycle_key()
                request.session[FOLLOWUP_SESSION_KEY] = {
                    "id": dossier.pk,
                    "until": time.time() + FOLLOWUP_IDLE_SECONDS,
                }
                return redirect("intake:followup")
    elif request.method == "POST":
        status = 400
    return render(request, "intake/followup_start.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def followup(request: HttpRequest) -> HttpResponse:
    dossier = _followup_dossier(request)
    if dossier is None:
        return redirect("intake:followup-start")
    form = FollowUpForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            reporter_followup_add(
                dossier=dossier,
                message=form.cleaned_data["message"],
                location=form.build_location(),
                uploads=form.cleaned_data["files"],
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Thank you. We have received what you added."))
            return redirect("intake:followup")
    conversation = DossierEvent.objects.filter(
        dossier=dossier,
        kind__in=[
            EventKind.MESSAGE_TO_REPORTER,
            EventKind.MESSAGE_FROM_REPORTER,
            EventKind.LOCATION_ADDED,
            EventKind.EVIDENCE_ADDED,
        ],
    ).order_by("at", "id")
    return render(
        request,
        "intake/followup.html",
        {
            "dossier": dossier,
            "status_text": STATUS_EXPLAINED[Status(dossier.status)],
            "conversation": conversation,
            "form": form,
            "error_summary": form.error_summary() if form.is_bound else [],
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@require_POST
def followup_end(request: HttpRequest) -> HttpResponse:
    request.session.pop(FOLLOWUP_SESSION_KEY, None)
    return redirect("intake:landing")


@require_GET
def quick_exit(request: HttpRequest) -> HttpResponse:
    """Leave for a neutral site, closing an open follow-up on the way out."""
    request.session.pop(FOLLOWUP_SESSION_KEY, None)
    return redirect(settings.QUICK_EXIT_URL)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form that expired (or came from elsewhere): explained in the visitor's language."""
    return render(request, "intake/csrf_failure.html", status=403)
