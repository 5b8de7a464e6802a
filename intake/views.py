"""The public pages: landing, report form, receipt, follow-up.

Nothing personal ever goes into a URL: the receipt code travels only in a POST body,
and once accepted the follow-up page remembers the dossier in the session (a number,
for half an hour) rather than in the address.
"""

from __future__ import annotations

import logging
import re
import time
from contextlib import suppress

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases import receipts
from cases.choices import EventKind, Status
from cases.models import Dossier, DossierEvent
from cases.report_form import LocationFormSet, contact_initial
from cases.services import (
    ActionRefused,
    EvidenceNotStored,
    dossier_for_receipt_code,
    previous_submission,
    report_submit,
    reporter_contact_change,
    reporter_followup_add,
    reporter_withdraw,
)
from cases.workflow import Action, refusal

from . import throttle
from .copy import copy_of
from .forms import ContactChangeForm, FollowUpForm, ReceiptCodeForm, ReportForm
from .next_steps import next_steps

logger = logging.getLogger(__name__)

# Limits against abuse, each counted atomically (intake.throttle) and set in
# settings.RATE_LIMITS (the figures below are the defaults). None of them can let a
# flood from many addresses stop a real person:
# - reports: 5 an hour per client. Past 500 saved in an hour from everyone, reports are
#   still saved, marked as received in a surge, and staff get one alert per hour of it;
# - receipt codes: 5 tries per client per 15 minutes, and only wrong codes use them up.
#   Past 200 wrong codes from everyone, each wrong code counts twice: the flood slows
#   down, while a code is still checked as long as its client has tries left, so the
#   right code is never refused because of others;
# - follow-up posts: 10 per client per 10 minutes and 20 per dossier per hour (the
#   dossier's files are capped too, in cases.services.evidence_attach).
REPORTS_PER_CLIENT = throttle.configured("report")
REPORTS_OVERALL = throttle.configured("report-all")
CODES_PER_CLIENT = throttle.configured("receipt")
WRONG_CODES_OVERALL = throttle.configured("receipt-wrong")
POSTS_PER_CLIENT = throttle.configured("followup")
POSTS_PER_DOSSIER = throttle.configured("followup-dossier")
# Said when a follow-up post (a message, files, a change of contact) is over its limit.
TOO_MANY_POSTS = gettext_lazy(
    "You have sent us a lot in a short time, so this was not saved. What you sent before "
    "has reached us. Please wait a few minutes and send it again."
)
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


# The report form as first shown, rendered once per address and language (and the
# settings shown in it) in each process, with holes where the two tokens go: rendering
# it was nearly all of a GET's time. Only for a visitor without a session: a session can
# hold a message for the page, and the blank page holds nothing else of the visitor.
_BLANK_PAGES: dict[tuple, tuple[list[str], list[str]]] = {}
_TOKEN_VALUE = re.compile(r'name="(csrfmiddlewaretoken|submission_token)" value="([^"]+)"')


def _blank_report_page(request: HttpRequest) -> HttpResponse:
    """The report form with nothing filled in, with a new submission token and the
    visitor's CSRF token; the same page, byte for byte, as one rendered in full."""
    tokens = {
        "submission_token": receipts.new_submission_token(),
        "csrfmiddlewaretoken": get_token(request),
    }
    cacheable = not settings.DEBUG and settings.SESSION_COOKIE_NAME not in request.COOKIES
    key = (
        request.path,
        translation.get_language(),
        settings.EVIDENCE_MAX_FILES,
        settings.EVIDENCE_MAX_FILE_BYTES,
        settings.QUICK_EXIT_URL,
    )
    if not cacheable or key not in _BLANK_PAGES:
        form = ReportForm(
            initial={
                "submission_token": tokens["submission_token"],
                "contact_language": _language(),
            }
        )
        response = _report_page(request, form, LocationFormSet(prefix="locations"))
        if cacheable and response.status_code == 200:
            html = response.content.decode()
            parts, holes, end = [], [], 0
            for match in _TOKEN_VALUE.finditer(html):
                parts.append(html[end : match.start(2)])
                holes.append(match.group(1))
                end = match.end(2)
            parts.append(html[end:])
            if "submission_token" in holes:
                _BLANK_PAGES[key] = parts, holes
        return response
    parts, holes = _BLANK_PAGES[key]
    filled = (tokens[hole] + part for hole, part in zip(holes, parts[1:], strict=True))
    return HttpResponse(parts[0] + "".join(filled))


def _report_page(request, form, locations, status: int | None = None) -> HttpResponse:
    summary = form.error_summary() + locations.error_summary() if form.is_bound else []
    if summary and request.FILES:
        again = _("For your safety, files are not kept: choose them again.")
        summary.append(("id_files", again))
    return render(
        request,
        "intake/report.html",
        {
            "form": form,
            "locations": locations,
            "error_summary": summary,
            # How few answers are needed: the questions marked with *.
            "required_count": sum(
                1 for field in form.fields.values() if field.required and not field.widget.is_hidden
            ),
        },
        status=status or (400 if summary else 200),
    )


def _receipt_page(
    request, code: str, dossier: Dossier, *, no_acknowledgement: bool = False
) -> HttpResponse:
    return render(
        request,
        "intake/receipt.html",
        {
            "code": receipts.display(code),
            "no_acknowledgement": no_acknowledgement,
            "steps": next_steps(dossier),
        },
    )


def _repeated_receipt_page(request, previous) -> HttpResponse:
    """The same form posted again: the same receipt, but only shortly after. Later (a
    "resend" from the history of a shared phone) the code is not shown again."""
    age = (timezone.now() - previous.dossier.received_at).total_seconds()
    if age <= settings.RECEIPT_REPEAT_SECONDS:
        return _receipt_page(request, previous.receipt_code, previous.dossier)
    return render(request, "intake/already_sent.html")


def _try_again_in(seconds: int) -> str:
    """When to try again after a limit's window: in hours when it is whole hours."""
    minutes = -(-seconds // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext(
            "Please try again in %(count)d hour.", "Please try again in %(count)d hours.", hours
        ) % {"count": hours}
    return ngettext(
        "Please try again in %(count)d minute.", "Please try again in %(count)d minutes.", minutes
    ) % {"count": minutes}


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    language = _language()
    if request.method == "GET":
        return _blank_report_page(request)

    form = ReportForm(request.POST, request.FILES)
    locations = LocationFormSet(request.POST, prefix="locations")
    if not (form.is_valid() and locations.is_valid()):
        form.renew_token_if_invalid()
        return _report_page(request, form, locations)
    if form.cleaned_data["leave_empty"]:
        logger.info("report refused: honeypot field filled in")
        form.add_error(None, _("Your report could not be sent. Please try again."))
        return _report_page(request, form, locations)

    tries = throttle.client_attempt(REPORTS_PER_CLIENT, request)
    if not tries.allowed:
        previous = previous_submission(form.cleaned_data["submission_token"])
        if previous is not None:  # a refresh of a report sent: its receipt, never refused
            tries.give_back()
            return _repeated_receipt_page(request, previous)
        # The report stays on the page, as typed (files aside), to send later.
        form.add_error(
            None,
            _("Too many reports were sent from this connection in a short time. %(wait)s")
            % {"wait": _try_again_in(REPORTS_PER_CLIENT.window_seconds)},
        )
        return _report_page(request, form, locations, status=429)
    # A double click, a refresh, a retry: report_submit finds the report already saved
    # and gives its receipt again.
    return _save_report(request, form, locations, tries, language)


def _save_report(request: HttpRequest, form, locations, tries, language: str) -> HttpResponse:
    """Save a valid report that the limits let through; counted attempts are given back
    when nothing new was saved."""
    overall = throttle.attempt(REPORTS_OVERALL, throttle.EVERYONE)
    try:
        submitted = report_submit(
            dossier=form.build_dossier(),
            locations=locations.build_locations(),
            uploads=form.cleaned_data["files"],
            submission_token=form.cleaned_data["submission_token"],
            language=language,
            surge=not overall.allowed,
        )
    except ValidationError as error:  # a rule checked only on saving
        tries.give_back()
        overall.give_back()
        for message in error.messages:
            form.add_error(None, message)
        return _report_page(request, form, locations)
    except EvidenceNotStored:
        tries.give_back()
        overall.give_back()
        form.add_error(
            None,
            _(
                "We could not store your files, so your report was not sent. Please try "
                "again later, or send it without the files: you can add them later with "
                "your receipt code."
            ),
        )
        return _report_page(request, form, locations, status=503)
    if submitted.repeated:  # the same form won a race with this post
        tries.give_back()
        overall.give_back()
        return _repeated_receipt_page(request, submitted)
    dossier = submitted.dossier
    return _receipt_page(
        request,
        submitted.receipt_code,
        dossier,
        no_acknowledgement=dossier.received_in_surge and dossier.wants_acknowledgement,
    )


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
        tries = throttle.client_attempt(CODES_PER_CLIENT, request)
        if not tries.allowed:
            form.add_error(
                None,
                _("Too many attempts. %(wait)s")
                % {"wait": _try_again_in(CODES_PER_CLIENT.window_seconds)},
            )
            status = 429
        else:
            code = form.normalised_code()
            dossier = dossier_for_receipt_code(code) if code else None
            if dossier is None:
                wrong = throttle.attempt(WRONG_CODES_OVERALL, throttle.EVERYONE)
                if not wrong.allowed:  # a flood: a wrong code costs its client double
                    tries.count_again()
                if wrong.count == WRONG_CODES_OVERALL.allowed + 1:
                    logger.warning(
                        "many wrong receipt codes from many clients: each counts twice now"
                    )
                form.add_error("code", _("This code did not work."))
                status = 400
            else:
                tries.give_back()  # only wrong codes count against a person
                request.session.cycle_key()
                request.session[FOLLOWUP_SESSION_KEY] = {
                    "id": dossier.pk,
                    "until": time.time() + FOLLOWUP_IDLE_SECONDS,
                }
                return redirect("intake:followup")
    elif request.method == "POST":
        status = 400
    if form.errors:
        # Back on the page, the cursor is in the code field, whose error is read with it.
        form.fields["code"].widget.attrs["autofocus"] = True
    return render(request, "intake/followup_start.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def followup(request: HttpRequest) -> HttpResponse:
    dossier = _followup_dossier(request)
    if dossier is None:
        return redirect("intake:followup-start")
    form = FollowUpForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and not _followup_post_allowed(request, dossier):
        form.add_error(None, TOO_MANY_POSTS)
        status = 429
    elif request.method == "POST" and form.is_valid():
        try:
            reporter_followup_add(
                dossier_id=dossier.pk,
                message=form.cleaned_data["message"],
                location=form.build_location(),
                uploads=form.cleaned_data["files"],
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        except ActionRefused as error:
            form.add_error(None, str(error))
        except EvidenceNotStored:
            form.add_error(
                None,
                _(
                    "We could not store your files, so nothing was added. Please try again "
                    "later, or send your message without the files."
                ),
            )
            status = 503
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
            "steps": next_steps(dossier),
            "conversation": conversation,
            "contact_refused": refusal(dossier, Action.REPORTER_CONTACT),
            "form": form,
            "error_summary": form.error_summary() if form.is_bound else [],
        },
        status=status if status != 200 else (400 if form.is_bound and form.errors else 200),
    )


def _followup_post_allowed(request: HttpRequest, dossier: Dossier) -> bool:
    # A post the client's own limit refuses does not count against the dossier.
    per_client = throttle.client_attempt(POSTS_PER_CLIENT, request)
    if per_client.allowed and throttle.attempt(POSTS_PER_DOSSIER, f"dossier:{dossier.pk}").allowed:
        return True
    logger.info("follow-up post refused: too many posts (dossier %s)", dossier.pk)
    return False


@require_GET
def followup_copy(request: HttpRequest) -> HttpResponse:
    """A copy of what the reporter sent, to print or save as PDF: never the files
    themselves, nor any staff note."""
    dossier = _followup_dossier(request)
    if dossier is None:
        return redirect("intake:followup-start")
    return render(request, "intake/copy.html", {"dossier": dossier, **copy_of(dossier)})


@require_http_methods(["GET", "POST"])
def followup_contact(request: HttpRequest) -> HttpResponse:
    """Change how we may contact the reporter, or stop contacting them: the report
    form's contact questions, filled in with their answers (their own data, shown only
    over the follow-up session). Open whatever the dossier's status: staff may still write
    once it is closed."""
    dossier = _followup_dossier(request)
    if dossier is None:
        return redirect("intake:followup-start")
    form = ContactChangeForm(request.POST or None, initial=contact_initial(dossier))
    refused = refusal(dossier, Action.REPORTER_CONTACT)
    status = 200
    if request.method == "POST" and refused is not None:
        status = 409
    elif request.method == "POST" and not _followup_post_allowed(request, dossier):
        form.add_error(None, TOO_MANY_POSTS)
        status = 429
    elif request.method == "POST" and form.is_valid():
        try:
            reporter_contact_change(dossier_id=dossier.pk, **form.contact_fields())
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
            status = 400
        except ActionRefused as error:  # erased meanwhile (while the page was open)
            refused, status = str(error), 409
        else:
            messages.success(request, _contact_changed_message(form))
            return redirect("intake:followup")
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "intake/contact.html",
        {
            "form": form,
            "refused": refused,
            "error_summary": form.error_summary() if form.is_bound and not refused else [],
        },
        status=status,
    )


def _contact_changed_message(form: ContactChangeForm) -> str:
    if form.cleaned_data["contact"] == "contact":
        return _("Thank you. From now on we will contact you only in the way you chose.")
    return _(
        "Thank you. We will not contact you any more. Our messages still appear on this "
        "page when you open it with your receipt code."
    )


@require_http_methods(["GET", "POST"])
def followup_withdraw(request: HttpRequest) -> HttpResponse:
    """Withdraw the report: a page that says what happens, then, once confirmed, the
    dossier is closed and its personal data and files erased (reporter_withdraw). The
    follow-up ends with it: the receipt code no longer opens anything."""
    dossier = _followup_dossier(request)
    if dossier is None:
        return redirect("intake:followup-start")
    if request.method == "POST":
        with suppress(ActionRefused):  # erased meanwhile (another tab): nothing left to do
            reporter_withdraw(dossier_id=dossier.pk)
        request.session.pop(FOLLOWUP_SESSION_KEY, None)
        return render(request, "intake/withdrawn.html")
    return render(request, "intake/withdraw.html", {"dossier": dossier})


@require_POST
def followup_end(request: HttpRequest) -> HttpResponse:
    request.session.pop(FOLLOWUP_SESSION_KEY, None)
    return redirect("intake:landing")


@require_GET
def quick_exit(request: HttpRequest) -> HttpResponse:
    """Leave for a neutral site, closing an open follow-up on the way out. The way out
    never depends on the database: if the session cannot be read, the person still
    leaves (the follow-up then ends when its session expires)."""
    try:
        request.session.pop(FOLLOWUP_SESSION_KEY, None)
    except DatabaseError:
        logger.warning("quick exit: the session could not be read; leaving anyway")
    return redirect(settings.QUICK_EXIT_URL)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form that expired (or came from elsewhere): explained in the visitor's language."""
    return render(request, "intake/csrf_failure.html", status=403)
