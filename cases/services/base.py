"""What every dossier service shares: the locked dossier, its events, and checks of
moments against the clock and the report."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import ActionRefused
from ..models import DOSSIER_PERSONAL_FIELDS, Dossier, DossierEvent
from ..workflow import Action, anonymised_message, check

# Who did something: a staff member, or None for the system and the reporter.
Actor = AbstractBaseUser | None


def locked(dossier_id: int, action: Action | None = None, by: Actor = None) -> Dossier:
    """The dossier, its row locked until the transaction ends, for a service that will
    change it or add to it; refused (ActionRefused) if the workflow does not allow
    ``action`` by ``by`` now, and always if its personal data were erased. Checked
    under the lock, so two people acting at once are each checked against the other's
    result."""
    dossier = Dossier.objects.select_for_update().get(pk=dossier_id)
    if action is not None:
        check(dossier, action, by)
    elif dossier.anonymised_at is not None:
        raise ActionRefused(anonymised_message())
    return dossier


def event(dossier: Dossier, kind: str, *, by: Actor, at: datetime | None, **fields) -> DossierEvent:
    return DossierEvent.objects.create(
        dossier=dossier, kind=kind, actor=by, at=at or timezone.now(), **fields
    )


def not_in_future(moment, what: str) -> None:
    # A minute of slack for clocks and forms filled in just now.
    if moment is not None and moment > timezone.now() + timedelta(minutes=1):
        raise ActionRefused(_("%(what)s cannot be in the future.") % {"what": what})


def not_before_receipt(dossier: Dossier, moment, what: str) -> None:
    received = dossier.received_at
    if isinstance(moment, date) and not isinstance(moment, datetime):
        received = timezone.localdate(received)
    if moment < received:
        raise ActionRefused(
            _("%(what)s cannot be before the report was received.") % {"what": what}
        )


def save_with_event(dossier: Dossier, kind: str, *, by: Actor, at, changed) -> DossierEvent:
    """Save the changed dossier (one history row) and write the event that points at
    that row; its detail names only which personal fields changed, never their values."""
    dossier._history_user = by
    dossier.save()
    history = dossier.history.order_by("-history_id").first()
    return event(
        dossier,
        kind,
        by=by,
        at=at,
        history_id=history.history_id,
        detail=",".join(name for name in changed if name in DOSSIER_PERSONAL_FIELDS),
    )
