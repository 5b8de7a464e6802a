"""Takedowns and referrals: the requests sent to platforms for each content location
and what came of them, and the referrals of the person to other services."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..choices import EventKind, ReferralKind, ReferralOutcome, TakedownOutcome
from ..deadlines import takedown_deadline
from ..errors import ActionRefused
from ..models import ContentLocation, Dossier, Referral, TakedownRequest
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
) -> TakedownRequest:
    """Record a removal request sent for one content location. The answer is due
    ``TAKEDOWN_DEADLINE_HOURS`` after sending unless another deadline is given."""
    sent_at = sent_at or timezone.now()
    location = ContentLocation.objects.get(pk=location_id)
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
        deadline=deadline,
        created_by=by,
    )
    try:
        takedown.full_clean()
    except ValidationError as error:
        raise ActionRefused(" ".join(error.messages)) from None
    takedown.save()
    event(dossier, EventKind.TAKEDOWN_REQUESTED, by=by, at=sent_at, takedown=takedown, note=note)
    return takedown


@transaction.atomic
def takedown_outcome_record(
    *,
    takedown_id: int,
    outcome: str,
    by: Actor = None,
    recheck_on: date | None = None,
    note: str = "",
    at: datetime | None = None,
) -> TakedownRequest:
    """What came of a request (or of a later check): removed, refused, no answer, or
    uploaded again; with the day to check again, if any."""
    at = at or timezone.now()
    if outcome not in TakedownOutcome.values or outcome == TakedownOutcome.PENDING:
        raise ActionRefused(_("Choose what came of the request."))
    dossier_id = TakedownRequest.objects.values_list("dossier_id", flat=True).get(pk=takedown_id)
    dossier = locked(dossier_id, Action.TAKEDOWN_OUTCOME, by)
    if recheck_on is not None and recheck_on < timezone.localdate(at):
        raise ActionRefused(_("The day to check again cannot be in the past."))
    takedown = TakedownRequest.objects.get(pk=takedown_id)
    takedown.outcome = outcome
    takedown.outcome_at = at
    takedown.recheck_on = recheck_on
    takedown._history_user = by
    takedown.save(update_fields=["outcome", "outcome_at", "recheck_on"])
    event(
        dossier,
        EventKind.TAKEDOWN_OUTCOME,
        by=by,
        at=at,
        takedown=takedown,
        detail=outcome,
        note=note.strip(),
    )
    return takedown


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
