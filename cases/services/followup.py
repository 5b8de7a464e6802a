"""What a reporter adds to their dossier on the follow-up page."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from ..choices import ClosureReason, EventKind, Status
from ..models import ContentLocation, Dossier, DossierEvent
from ..outbox import notify_reporter_added, notify_withdrawn
from ..retention import dossier_anonymise
from ..storage import files_removed_on_failure
from ..workflow import Action
from .base import locked
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
