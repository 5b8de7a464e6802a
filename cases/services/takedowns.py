"""Takedowns and referrals: the requests sent to platforms for each content location
and what came of them, and the referrals of the person to other services."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..choices import (
    TAKEDOWN_ACTED,
    TAKEDOWN_COMPLAINABLE,
    ComplaintOutcome,
    EventKind,
    ReferralKind,
    ReferralOutcome,
    TakedownOutcome,
    TakedownStep,
)
from ..deadlines import takedown_ack_deadline, takedown_deadline
from ..errors import ActionRefused
from ..models import ContentLocation, Dossier, Platform, Referral, TakedownRequest
from ..notices import notice_for
from ..workflow import Action
from .base import Actor, event, locked, not_before_receipt, not_in_future


@transaction.atomic
def takedown_request_record(
    *,
    location_id: int,
    sent_to: str,
    method: str,
    legal_basis: str,
    by: Actor = None,
    sent_at: datetime | None = None,
    deadline: datetime | None = None,
    note: str = "",
    notice_language: str = "",
    notice_sha256: str = "",
) -> TakedownRequest:
    """Record a removal request sent for one content location. The platform has
    ``TAKEDOWN_ACK_HOURS`` to acknowledge it and, unless another deadline is given,
    ``TAKEDOWN_DEADLINE_HOURS`` to decide.

    With ``notice_language``, the request is the notice the staff member copied from the
    notice page in that language: its text is composed again here and stored with its
    SHA-256. ``notice_sha256`` is the hash of the text they saw; if the text has changed
    since (the legal explanations were edited, a setting changed), nothing is recorded."""
    sent_at = sent_at or timezone.now()
    location = ContentLocation.objects.select_related("platform").get(pk=location_id)
    dossier = locked(location.dossier_id, Action.TAKEDOWN, by)
    not_in_future(sent_at, _("The moment the request was sent"))
    not_before_receipt(dossier, sent_at, _("The moment the request was sent"))
    deadline = deadline or takedown_deadline(sent_at)
    if deadline <= sent_at:
        raise ActionRefused(_("The answer cannot be due before the request was sent."))
    if not sent_to.strip():
        raise ActionRefused(_("Say to whom the request was sent."))
    takedown = TakedownRequest(
        dossier=dossier,
        location=location,
        sent_at=sent_at,
        sent_to=sent_to.strip(),
        method=method,
        legal_basis=legal_basis,
        ack_deadline=min(takedown_ack_deadline(sent_at), deadline),
        deadline=deadline,
        created_by=by,
    )
    if notice_language:
        location.dossier = dossier
        notice = notice_for(location, notice_language)
        if notice_sha256 and notice_sha256 != notice.sha256:
            raise ActionRefused(
                _(
                    "The notice text has changed since you opened it. Open it again, check "
                    "it, and send that text."
                )
            )
        takedown.notice_language = notice.language
        takedown.notice_text = notice.text
        takedown.notice_sha256 = notice.sha256
        takedown.trusted_flagger = notice.trusted_flagger
        takedown.minor_exception = notice.minor_exception
    try:
        takedown.full_clean()
    except ValidationError as error:
        raise ActionRefused(" ".join(error.messages)) from None
    takedown.save()
    event(dossier, EventKind.TAKEDOWN_REQUESTED, by=by, at=sent_at, takedown=takedown, note=note)
    return takedown


# The steps that follow a decision: once one is recorded, the decision stands.
AFTER_DECISION = ("reasons_received_on", "complaint_lodged_on", "out_of_court_on", "reuploaded_on")

# What takedown_answer_record accepts, in the order the steps happen.
ANSWER_STEPS = (
    "acknowledged_at",
    "outcome",
    "outcome_at",
    "reasons_received_on",
    "complaint_lodged_on",
    "complaint_outcome",
    "complaint_outcome_on",
    "out_of_court_body",
    "out_of_court_on",
    "reuploaded_on",
    "recheck_on",
)


@transaction.atomic
def takedown_answer_record(
    *,
    takedown_id: int,
    by: Actor = None,
    note: str = "",
    at: datetime | None = None,
    **steps,
) -> TakedownRequest:
    """Record the platform's answer to a request, step by step: acknowledged (when), its
    decision (and when it came), the statement of reasons, an internal complaint and its
    outcome, the out-of-court body seized, the content seen online again, the day to
    check again. Only the steps given change; each one that does is an event."""
    unknown = set(steps) - set(ANSWER_STEPS)
    if unknown:
        raise TypeError(f"unknown steps: {sorted(unknown)}")
    at = at or timezone.now()
    dossier_id = TakedownRequest.objects.values_list("dossier_id", flat=True).get(pk=takedown_id)
    dossier = locked(dossier_id, Action.TAKEDOWN_OUTCOME, by)
    takedown = TakedownRequest.objects.get(pk=takedown_id)
    changed = _answer_apply(takedown, steps, at)
    if not changed:
        raise ActionRefused(_("Nothing has changed: fill in a step of the answer."))
    fields = {field for field, _kind, _detail in changed if field}
    if fields:
        takedown._history_user = by
        takedown.save(update_fields=sorted(fields))
    note = note.strip()
    # One event per step (a step may set two fields); every change has its step.
    steps_done = dict.fromkeys((kind, detail) for _f, kind, detail in changed if kind)
    for kind, detail in steps_done:
        event(dossier, kind, by=by, at=at, takedown=takedown, detail=detail, note=note)
        note = ""  # the note goes with the first step it explains
    return takedown


def _answer_apply(takedown: TakedownRequest, steps: dict, at: datetime):
    """Check each step against the request and the steps before it, and set it. The
    changed fields, each with the event it calls for (kind and detail) or None."""
    today = timezone.localdate(at)
    sent_on = timezone.localdate(takedown.sent_at)
    changed = []

    def day(value, what: str, after: date, after_what: str) -> date:
        if value > today:
            raise ActionRefused(_("%(what)s cannot be in the future.") % {"what": what})
        if value < after:
            raise ActionRefused(
                _("%(what)s cannot be before %(before)s.") % {"what": what, "before": after_what}
            )
        return value

    def put(field: str, value, kind=None, detail: str = "") -> None:
        if getattr(takedown, field) != value:
            setattr(takedown, field, value)
            changed.append((field, kind, detail))

    if steps.get("acknowledged_at") is not None:
        moment = steps["acknowledged_at"]
        if takedown.outcome != TakedownOutcome.PENDING:
            raise ActionRefused(
                _("The acknowledgement can no longer be changed once the decision is recorded.")
            )
        not_in_future(moment, _("The acknowledgement"))
        if moment < takedown.sent_at:
            raise ActionRefused(_("The acknowledgement cannot come before the request was sent."))
        put("acknowledged_at", moment, EventKind.TAKEDOWN_STEP, TakedownStep.ACKNOWLEDGED)

    if "outcome" in steps:
        outcome = steps["outcome"]
        if outcome not in TakedownOutcome.values or outcome == TakedownOutcome.PENDING:
            raise ActionRefused(_("Choose what came of the request."))
        moment = steps.get("outcome_at") or at
        not_in_future(moment, _("The decision"))
        if moment < takedown.sent_at:
            raise ActionRefused(_("The decision cannot come before the request was sent."))
        if takedown.outcome == outcome and steps.get("outcome_at") is None:
            # The same decision again: a check that nothing changed since.
            changed.append(("", EventKind.TAKEDOWN_STEP, TakedownStep.CHECKED))
        elif takedown.outcome == outcome:
            put("outcome_at", moment, EventKind.TAKEDOWN_OUTCOME, outcome)  # corrected
        else:
            if any(getattr(takedown, field) for field in AFTER_DECISION):
                raise ActionRefused(
                    _(
                        "Steps after the decision are recorded (statement of reasons, "
                        "complaint, out-of-court body, seen again): the decision can no "
                        "longer be changed."
                    )
                )
            put("outcome_at", moment)
            put("outcome", outcome, EventKind.TAKEDOWN_OUTCOME, outcome)
    decided = takedown.outcome not in (TakedownOutcome.PENDING, TakedownOutcome.NO_ANSWER)
    decided_on = timezone.localdate(takedown.outcome_at) if takedown.outcome_at else sent_on
    needs_decision = _("Record the platform's decision first.")

    if steps.get("reasons_received_on") is not None:
        if not decided:
            raise ActionRefused(needs_decision)
        value = day(
            steps["reasons_received_on"],
            _("The statement of reasons"),
            sent_on,
            _("the request was sent"),
        )
        put("reasons_received_on", value, EventKind.TAKEDOWN_STEP, TakedownStep.REASONS)

    if steps.get("complaint_lodged_on") is not None:
        if takedown.outcome not in TAKEDOWN_COMPLAINABLE:
            raise ActionRefused(
                _(
                    "A complaint can be lodged only against a decision that refused the "
                    "request or only restricted the content."
                )
            )
        value = day(steps["complaint_lodged_on"], _("The complaint"), decided_on, _("the decision"))
        put("complaint_lodged_on", value, EventKind.TAKEDOWN_STEP, TakedownStep.COMPLAINT)
        if not takedown.complaint_outcome:
            put("complaint_outcome", ComplaintOutcome.PENDING)

    outcome = steps.get("complaint_outcome")
    if outcome:
        if outcome not in (ComplaintOutcome.UPHELD, ComplaintOutcome.REJECTED):
            raise ActionRefused(_("Choose what came of the complaint."))
        if takedown.complaint_lodged_on is None:
            raise ActionRefused(_("Record the complaint first."))
        value = day(
            steps.get("complaint_outcome_on") or today,
            _("The answer to the complaint"),
            takedown.complaint_lodged_on,
            _("the complaint"),
        )
        step = (
            TakedownStep.COMPLAINT_UPHELD
            if outcome == ComplaintOutcome.UPHELD
            else TakedownStep.COMPLAINT_REJECTED
        )
        put("complaint_outcome_on", value)
        put("complaint_outcome", outcome, EventKind.TAKEDOWN_STEP, step)

    if steps.get("out_of_court_on") is not None or steps.get("out_of_court_body"):
        body = (steps.get("out_of_court_body") or "").strip()
        if not decided:
            raise ActionRefused(needs_decision)
        if not body or steps.get("out_of_court_on") is None:
            raise ActionRefused(_("Give both the out-of-court body and the day it was seized."))
        value = day(
            steps["out_of_court_on"], _("The day it was seized"), decided_on, _("the decision")
        )
        put("out_of_court_body", body, EventKind.TAKEDOWN_STEP, TakedownStep.OUT_OF_COURT)
        put("out_of_court_on", value, EventKind.TAKEDOWN_STEP, TakedownStep.OUT_OF_COURT)

    if steps.get("reuploaded_on") is not None:
        if takedown.outcome not in TAKEDOWN_ACTED:
            raise ActionRefused(_("Content can be seen again only after it was taken down."))
        value = day(
            steps["reuploaded_on"], _("The day it was seen again"), decided_on, _("the decision")
        )
        put("reuploaded_on", value, EventKind.TAKEDOWN_STEP, TakedownStep.REUPLOADED)

    if "recheck_on" in steps:
        recheck_on = steps["recheck_on"]
        if recheck_on is not None and recheck_on < today:
            raise ActionRefused(_("The day to check again cannot be in the past."))
        put("recheck_on", recheck_on, EventKind.TAKEDOWN_STEP, TakedownStep.RECHECK)
    return changed


def takedown_outcome_record(
    *,
    takedown_id: int,
    outcome: str,
    by: Actor = None,
    recheck_on: date | None = None,
    note: str = "",
    at: datetime | None = None,
) -> TakedownRequest:
    """The platform's decision on a request (or, later, that the content is gone), with
    the day to check again, if any."""
    return takedown_answer_record(
        takedown_id=takedown_id, outcome=outcome, recheck_on=recheck_on, by=by, note=note, at=at
    )


@transaction.atomic
def location_platform_set(*, location_id: int, platform_id: int | None, by: Actor = None) -> None:
    """Match a content location to an entry of the platform list (or undo the match), so
    that its requests count under that platform in the figures."""
    location = ContentLocation.objects.get(pk=location_id)
    dossier = locked(location.dossier_id, Action.DETAILS, by)
    platform = None
    if platform_id is not None:
        platform = Platform.objects.filter(pk=platform_id, active=True).first()
        if platform is None:
            raise ActionRefused(_("Choose a platform of the list."))
    if location.platform_id == platform_id:
        return
    location.platform = platform
    location._history_user = by
    location.save(update_fields=["platform"])
    event(
        dossier,
        EventKind.PLATFORM_MATCHED,
        by=by,
        at=None,
        detail=platform.name if platform else "",
    )


@transaction.atomic
def referral_record(
    *,
    dossier_id: int,
    kind: str,
    referred_on: date,
    by: Actor = None,
    note: str = "",
    at: datetime | None = None,
) -> Referral:
    if kind not in ReferralKind.values:
        raise ActionRefused(_("Choose where the person was referred to."))
    dossier = locked(dossier_id, Action.REFERRAL, by)
    if referred_on > timezone.localdate():
        raise ActionRefused(_("The date of the referral cannot be in the future."))
    not_before_receipt(dossier, referred_on, _("The date of the referral"))
    referral = Referral.objects.create(
        dossier=dossier, kind=kind, referred_on=referred_on, created_by=by
    )
    event(dossier, EventKind.REFERRAL_MADE, by=by, at=at, referral=referral, note=note.strip())
    return referral


@transaction.atomic
def referral_outcome_record(
    *,
    referral_id: int,
    outcome: str,
    outcome_on: date | None = None,
    by: Actor = None,
    note: str = "",
    at: datetime | None = None,
) -> Referral:
    if outcome not in ReferralOutcome.values or outcome == ReferralOutcome.PENDING:
        raise ActionRefused(_("Choose what came of the referral."))
    dossier_id = Referral.objects.values_list("dossier_id", flat=True).get(pk=referral_id)
    dossier = locked(dossier_id, Action.REFERRAL_OUTCOME, by)
    referral = Referral.objects.get(pk=referral_id)
    outcome_on = outcome_on or timezone.localdate()
    if outcome_on < referral.referred_on or outcome_on > timezone.localdate():
        raise ActionRefused(_("The outcome date must lie between the referral and today."))
    referral.outcome = outcome
    referral.outcome_on = outcome_on
    referral._history_user = by
    referral.save(update_fields=["outcome", "outcome_on"])
    event(
        dossier,
        EventKind.REFERRAL_OUTCOME,
        by=by,
        at=at,
        referral=referral,
        detail=outcome,
        note=note.strip(),
    )
    return referral


def referrals_suggested(dossier: Dossier, referrals: Iterable[Referral]) -> list[ReferralKind]:
    """Referrals the situation calls for and that are not recorded yet: child protection
    whenever a minor is involved; for images that can be hashed, Take It Down (NCMEC)
    when a minor is involved and StopNCII.org otherwise, which only takes images taken
    at 18 or older."""
    done = {referral.kind for referral in referrals}
    minor = dossier.concerns_a_minor
    images = dossier.form_ncii or dossier.form_sextortion
    wanted = [
        (minor, ReferralKind.CHILD_PROTECTION),
        (images and minor, ReferralKind.TAKE_IT_DOWN),
        (images and not minor, ReferralKind.STOPNCII),
    ]
    return [kind for needed, kind in wanted if needed and kind not in done]
