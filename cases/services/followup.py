"""What a reporter adds to their dossier, or changes, on the follow-up page."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from ..choices import ClosureReason, EventKind, Status
from ..models import ContentLocation, Dossier, DossierEvent
from ..outbox import (
    notify_contact_changed,
    notify_reporter_added,
    notify_withdrawn,
    outbox_follow_reporter_contact,
)
from ..retention import dossier_anonymise
from ..storage import files_removed_on_failure
from ..workflow import Action
from .base import locked, save_with_event
from .handling import _move
from .receiving import evidence_attach, fingerprint_uploads

logger = logging.getLogger(__name__)


def reporter_followup_add(
    *,
    dossier_id: int,
    message: str,
    location: ContentLocation | None,
    uploads: Sequence[UploadedFile],
) -> list[DossierEvent]:
    """What a reporter adds on the follow-up page: a message, an address, files. Each
    becomes an event on the dossier, all in one transaction, with no file left on disk
    if it fails.

    It takes the dossier's row lock like every other change, so an anonymised dossier
    refuses it. Whoever handles the dossier is told once per burst: a reporter who
    posts several times in a row causes one alert, not one per post.
    """
    now = timezone.now()
    events = []
    fingerprints = fingerprint_uploads(uploads)  # before the lock
    with files_removed_on_failure() as saved, transaction.atomic():
        dossier = locked(dossier_id)
        if message.strip():
            events.append(
                DossierEvent(
                    dossier=dossier,
                    at=now,
                    kind=EventKind.MESSAGE_FROM_REPORTER,
                    note=message.strip(),
                )
            )
        if location is not None:
            location.dossier = dossier
            location.full_clean()
            location.save()
            events.append(DossierEvent(dossier=dossier, at=now, kind=EventKind.LOCATION_ADDED))
        if uploads:
            evidence_attach(
                dossier=dossier, uploads=uploads, saved=saved, fingerprints=fingerprints
            )
            events.append(DossierEvent(dossier=dossier, at=now, kind=EventKind.EVIDENCE_ADDED))
        for event in events:
            event.save()
        if events:
            notify_reporter_added(dossier=dossier, at=now)
    return events


def reporter_withdraw(*, dossier_id: int) -> Dossier:
    """The reporter withdraws their report, from the follow-up page: the Institute
    stops acting; the dossier is closed with the reason "withdrawn by the reporter" (if
    staff had not closed it already) and its personal data and files are erased at once
    by the retention service, which keeps every coded column (the figures keep their
    count) and leaves takedowns already sent as they were. Whoever handled it is told.
    One transaction; refused (ActionRefused) once the data are erased, so a second
    withdrawal changes nothing."""
    now = timezone.now()
    with transaction.atomic():
        dossier = locked(dossier_id)
        handler = dossier.assignee
        if dossier.status != Status.CLOSED:
            _move(dossier, Action.CLOSE, by=None, at=now, closure_reason=ClosureReason.WITHDRAWN)
        dossier = dossier_anonymise(dossier, at=now)
        notify_withdrawn(dossier=dossier, handler=handler)  # after: erasure settles the rest
    logger.info("dossier %s withdrawn by the reporter and erased", dossier.pk)
    return dossier


# What a reporter may change about how they are contacted (the contact questions of the
# report form, but for the acknowledgement of the report, which was sent or not).
REPORTER_CONTACT_FIELDS = (
    "reporter_name",
    "reporter_email",
    "reporter_phone",
    "voicemail_allowed",
    "may_name_institute",
    "safe_contact_instructions",
    "contact_language",
)


def _answer(dossier: Dossier, name: str):
    """The answer as the contact page shows it: no language chosen means the report's."""
    return dossier.reply_language if name == "contact_language" else getattr(dossier, name)


def _changed_contact(dossier: Dossier, fields: dict) -> list[str]:
    """Set the new answers on the locked dossier and check them (ValidationError); the
    names of those that changed, in the order of ``REPORTER_CONTACT_FIELDS``."""
    unknown = set(fields) - set(REPORTER_CONTACT_FIELDS)
    if unknown:
        raise TypeError(f"not a contact field: {', '.join(sorted(unknown))}")
    changed = [name for name in REPORTER_CONTACT_FIELDS if name in fields]
    changed = [name for name in changed if _answer(dossier, name) != fields[name]]
    for name in changed:
        setattr(dossier, name, fields[name])
    if not dossier.reporter_email:
        # Nowhere to send it: an acknowledgement asked for is no longer wanted.
        dossier.wants_acknowledgement = False
    if "reporter_email" in changed and dossier.reporter_email:
        validate_email(dossier.reporter_email)
    dossier.clean_fields(
        exclude=[f.name for f in Dossier._meta.concrete_fields if f.name not in changed]
    )
    return changed


@transaction.atomic
def reporter_contact_change(*, dossier_id: int, **fields) -> Dossier:
    """The reporter changes how the Institute may contact them, or stops it (every
    contact field empty), on the follow-up page: ``fields`` are the new answers to the
    contact questions (``REPORTER_CONTACT_FIELDS``), as ``contact_answers`` gives them.

    Refused (ActionRefused) once the dossier is closed or its data erased; an answer
    the dossier cannot hold (not an email address, too long) raises ValidationError
    and changes nothing. The change applies to every later message: the reporter's
    mail not sent yet follows the new address and language, or is settled unsent if
    they left no address, and nothing is sent to the old address. The event names only
    which personal fields changed, never their values (the coded ones are in the field
    history); whoever handles the dossier is told, as when the reporter adds something.
    """
    at = timezone.now()
    dossier = locked(dossier_id, Action.REPORTER_CONTACT)
    changed = _changed_contact(dossier, fields)
    if not changed:
        return dossier
    save_with_event(dossier, EventKind.CONTACT_CHANGED, by=None, at=at, changed=changed)
    outbox_follow_reporter_contact(dossier=dossier, at=at)
    notify_contact_changed(dossier=dossier)
    logger.info("dossier %s: the reporter changed how to be contacted", dossier.pk)
    return dossier
