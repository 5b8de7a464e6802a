"""Handling a dossier: triage, assignment, status moves, notes, messages to the
reporter, contacts and corrections of what was recorded. Each is one transaction that
takes the dossier's row lock and asks the workflow table (``cases.workflow``) first."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from institute.roles import HANDLING_ROLES, Role, has_role

from ..choices import ClosureReason, ContactMethod, EventKind, Status, WaitingFor
from ..deadlines import first_contact_due
from ..errors import ActionRefused
from ..models import DOSSIER_PERSONAL_FIELDS, Dossier, DossierEvent
from ..outbox import notify_assigned, notify_reporter_message
from ..workflow import WORKFLOW, Action
from .base import Actor, event, locked, not_before_receipt, not_in_future, save_with_event


def _move(
    dossier: Dossier,
    action: Action,
    *,
    by: Actor,
    at: datetime | None,
    to: Status | None = None,
    note: str = "",
    closure_reason: str = "",
    waiting_for: str = "",
) -> Dossier:
    """Take a move on a locked dossier, already checked against the workflow: it goes
    where the table says the move leads (``to`` chooses, for a move that may lead to
    more than one status), and an event says so."""
    leads_to = WORKFLOW[action].leads_to
    if to is None:
        (to,) = leads_to
    elif to not in leads_to:
        raise ValueError(f"{action} does not lead to {to}")
    at = at or timezone.now()
    old = Status(dossier.status)
    dossier.status = to
    dossier.closure_reason = closure_reason
    dossier.closed_at = at if to == Status.CLOSED else None
    dossier.waiting_for = waiting_for
    dossier._history_user = by
    dossier.save(
        update_fields=["status", "closure_reason", "closed_at", "waiting_for", "updated_at"]
    )
    event(
        dossier,
        EventKind.STATUS_CHANGED,
        by=by,
        at=at,
        old_status=old,
        new_status=to,
        note=note.strip(),
        detail=closure_reason or waiting_for,
    )
    return dossier


@transaction.atomic
def dossier_triage(
    *, dossier_id: int, accept: bool, by: Actor = None, note: str = "", at: datetime | None = None
) -> Dossier:
    """Decide on a new dossier: take it into progress (a case worker who does so while
    nobody has it becomes its assignee), or close it because the Institute is not
    competent, which needs a reason."""
    dossier = locked(dossier_id, Action.TRIAGE, by)
    if not accept:
        if not note.strip():
            raise ActionRefused(_("Say why the Institute is not competent."))
        return _move(
            dossier,
            Action.TRIAGE,
            to=Status.CLOSED,
            by=by,
            at=at,
            note=note,
            closure_reason=ClosureReason.NOT_COMPETENT,
        )
    if dossier.assignee_id is None and by is not None and has_role(by, Role.CASE_WORKER):
        _assign(dossier, by, by=by, at=at)
    return _move(dossier, Action.TRIAGE, to=Status.IN_PROGRESS, by=by, at=at, note=note)


@transaction.atomic
def dossier_wait(
    *,
    dossier_id: int,
    waiting_for: str,
    by: Actor = None,
    note: str = "",
    at: datetime | None = None,
) -> Dossier:
    """Put a dossier in progress on hold until someone (the reporter, a platform, the
    police...) answers."""
    dossier = locked(dossier_id, Action.WAIT, by)
    if waiting_for not in WaitingFor.values:
        raise ActionRefused(_("Say who the dossier is waiting for."))
    return _move(dossier, Action.WAIT, by=by, at=at, note=note, waiting_for=waiting_for)


@transaction.atomic
def dossier_resume(
    *, dossier_id: int, by: Actor = None, note: str = "", at: datetime | None = None
) -> Dossier:
    """Take a waiting dossier back into progress."""
    dossier = locked(dossier_id, Action.RESUME, by)
    return _move(dossier, Action.RESUME, by=by, at=at, note=note)


@transaction.atomic
def dossier_close(
    *,
    dossier_id: int,
    closure_reason: str,
    by: Actor = None,
    note: str = "",
    at: datetime | None = None,
) -> Dossier:
    """Close a dossier in progress or waiting, saying why."""
    dossier = locked(dossier_id, Action.CLOSE, by)
    if closure_reason not in ClosureReason.values:
        raise ActionRefused(_("Choose why the dossier is closed."))
    return _move(dossier, Action.CLOSE, by=by, at=at, note=note, closure_reason=closure_reason)


@transaction.atomic
def dossier_reopen(
    *, dossier_id: int, by: Actor = None, note: str = "", at: datetime | None = None
) -> Dossier:
    """Take a closed dossier back into progress."""
    dossier = locked(dossier_id, Action.REOPEN, by)
    return _move(dossier, Action.REOPEN, by=by, at=at, note=note)


def _assign(dossier: Dossier, to, *, by: Actor, at: datetime | None) -> None:
    dossier.assignee = to
    dossier._history_user = by
    dossier.save(update_fields=["assignee", "updated_at"])
    event(dossier, EventKind.ASSIGNED, by=by, at=at, assignee=to)
    if to is not None and to != by:
        notify_assigned(dossier=dossier)


@transaction.atomic
def dossier_assign(*, dossier_id: int, to, by: Actor = None, at: datetime | None = None) -> Dossier:
    """Give a dossier to a staff member (or take it back with ``to=None``)."""
    if to is not None and not (to.is_active and has_role(to, *HANDLING_ROLES)):
        raise ActionRefused(_("Dossiers can be assigned only to case workers and coordinators."))
    dossier = locked(dossier_id, Action.ASSIGN, by)
    if dossier.assignee_id != (to.pk if to else None):
        _assign(dossier, to, by=by, at=at)
    return dossier


@transaction.atomic
def dossier_note_add(
    *, dossier_id: int, text: str, by: Actor = None, at: datetime | None = None
) -> DossierEvent:
    """An internal note: staff read it, the reporter never does."""
    if not text.strip():
        raise ActionRefused(_("Write the note first."))
    dossier = locked(dossier_id, Action.NOTE, by)
    return event(dossier, EventKind.NOTE, by=by, at=at, note=text.strip())


def _contact_made(dossier: Dossier, at: datetime) -> None:
    if dossier.first_contact_at is None or at < dossier.first_contact_at:
        dossier.first_contact_at = at
        dossier.save(update_fields=["first_contact_at", "updated_at"])


@transaction.atomic
def dossier_message_reporter(
    *, dossier_id: int, text: str, by: Actor = None, at: datetime | None = None
) -> DossierEvent:
    """A message the reporter reads on their follow-up page (so only for a dossier with
    a receipt code). If they left an email address, a mail tells them there is news,
    and nothing more. Counts as contact."""
    at = at or timezone.now()
    if not text.strip():
        raise ActionRefused(_("Write the message first."))
    dossier = locked(dossier_id, Action.MESSAGE, by)
    if dossier.receipt_hash is None:
        raise ActionRefused(
            _(
                "This reporter has no receipt code, so cannot read messages here: "
                "contact them another way and record the contact."
            )
        )
    message = event(dossier, EventKind.MESSAGE_TO_REPORTER, by=by, at=at, note=text.strip())
    _contact_made(dossier, at)
    if dossier.reporter_email:
        notify_reporter_message(dossier=dossier)
    return message


@transaction.atomic
def dossier_contact_record(
    *, dossier_id: int, method: str, by: Actor = None, note: str = "", at: datetime | None = None
) -> DossierEvent:
    """Staff reached the reporter (a call, a mail, a meeting): the first one stops the
    first-contact clock."""
    at = at or timezone.now()
    if method not in ContactMethod.values:
        raise ActionRefused(_("Say how contact was made."))
    not_in_future(at, _("The moment of contact"))
    dossier = locked(dossier_id, Action.CONTACT, by)
    not_before_receipt(dossier, at, _("The moment of contact"))
    contact = event(dossier, EventKind.CONTACT_MADE, by=by, at=at, detail=method, note=note.strip())
    _contact_made(dossier, at)
    return contact


# Fields staff may correct after intake. Coded ones are kept in the field history and
# shown before/after; personal ones are encrypted and never copied into the history, so
# the timeline says only that they changed.
DETAIL_FIELDS = (
    "form_ncii",
    "form_voyeurism",
    "form_sextortion",
    "priority",
    "received_at",
    "channel",
    "language",
    "reporter_type",
    "reporter_gender",
    "organisation_kind",
    "person_age_band",
    "person_minor_on_images",
    "person_gender",
    "author_relation",
    "still_circulating",
    "threat_active",
    "threat_deadline",
    "contact_language",
    *DOSSIER_PERSONAL_FIELDS,
)


@transaction.atomic
def dossier_update_details(
    *,
    dossier_id: int,
    changes: dict,
    by: Actor = None,
    at: datetime | None = None,
    version: str | None = None,
) -> Dossier:
    """Correct what was recorded at intake. Validates the whole dossier (a minor on the
    images keeps it urgent; at least one form of abuse); moves the first-contact
    deadline if the priority or the date received changed before any contact.

    ``version`` is the dossier's ``updated_at`` (ISO) when the correction was begun; if
    the dossier changed since, the correction is refused instead of undoing that."""
    if set(changes) - set(DETAIL_FIELDS):
        raise ActionRefused(_("These details cannot be changed here."))
    dossier = locked(dossier_id, Action.DETAILS, by)
    if version is not None and version != dossier.updated_at.isoformat():
        raise ActionRefused(
            _(
                "Someone changed this dossier after you opened the form. Nothing was saved: "
                "open the form again to see the changes."
            )
        )
    changed = sorted(name for name, value in changes.items() if getattr(dossier, name) != value)
    if not changed:
        return dossier
    for name in changed:
        setattr(dossier, name, changes[name])
    not_in_future(dossier.received_at, _("The date received"))
    if {"priority", "received_at"} & set(changed) and dossier.first_contact_at is None:
        dossier.first_contact_due = first_contact_due(dossier.received_at, dossier.priority)
    try:
        dossier.full_clean(exclude=["reference"])
    except ValidationError as error:
        raise ActionRefused(" ".join(error.messages)) from None
    save_with_event(dossier, EventKind.DETAILS_CHANGED, by=by, at=at, changed=changed)
    return dossier
