"""Retention: erasing the personal data of dossiers closed long ago.

``RETENTION_DAYS_AFTER_CLOSURE`` days after it was closed, a dossier keeps only what the
statistics and the audit need: its coded columns, status and dates, its takedowns and
referrals as codes, the access log, and its timeline without the text of notes and
messages. Everything a person wrote, and everything that could lead to someone (names,
contact details, the description, addresses of content, to whom a takedown went, who
was mailed, the files, the receipt code), is erased for good.

Personal columns are never copied into the history tables (see cases.models), so
clearing them in place and deleting the files leaves no copy behind. ``manage.py
anonymise_dossiers`` runs this for every dossier that is due.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import EventKind, Status
from .errors import ActionRefused
from .keyrotation import SWAP_SUFFIX
from .models import (
    DOSSIER_PERSONAL_FIELDS,
    ContentLocation,
    Dossier,
    DossierEvent,
    Evidence,
    OutboxMessage,
    TakedownRequest,
)
from .outbox import outbox_settle

logger = logging.getLogger(__name__)


def dossiers_closed_before(moment: datetime) -> QuerySet[Dossier]:
    """Closed dossiers not anonymised yet whose closing moment lies before ``moment``.

    A closed dossier without a closing moment is never among them: how long ago it was
    closed is not known (``manage.py anonymise_dossiers`` counts them separately)."""
    return Dossier.objects.filter(
        status=Status.CLOSED, anonymised_at__isnull=True, closed_at__lt=moment
    )


def dossiers_due_for_anonymisation(now: datetime | None = None) -> QuerySet[Dossier]:
    """Closed dossiers whose personal data have been kept the whole retention period."""
    now = now or timezone.now()
    return dossiers_closed_before(now - timedelta(days=settings.RETENTION_DAYS_AFTER_CLOSURE))


def _evidence_files_delete(names: list[str]) -> None:
    storage = Evidence._meta.get_field("file").storage
    for name in names:
        try:
            storage.delete(name)
            # A copy a stopped key rotation may have left beside it (cases.keyrotation).
            storage.delete(name + SWAP_SUFFIX)
        except OSError as exc:
            # The name is random (cases.models.evidence_path), never personal data.
            logger.error(
                "evidence file %s of an anonymised dossier could not be deleted (%s); "
                "delete it by hand",
                name,
                type(exc).__name__,
            )


def _evidence_delete(dossier: Dossier) -> int:
    """Delete the dossier's evidence rows now and their files once the transaction has
    committed: a rollback then leaves rows and files as they were."""
    evidence = Evidence.objects.filter(dossier=dossier)
    names = [name for name in evidence.values_list("file", flat=True) if name]
    evidence.delete()  # the access log keeps its entries, without the file they named
    if names:
        transaction.on_commit(partial(_evidence_files_delete, names))
    return len(names)


@transaction.atomic
def dossier_anonymise(dossier: Dossier, *, by=None, at: datetime | None = None) -> Dossier:
    """Erase the personal data of a closed dossier, keeping every coded column.

    Erased: the personal fields of the dossier and the hashes of its receipt code and
    form submission (the code stops working), the address and platform name of every
    content location, to whom each takedown request was sent, the text of notes and
    messages, the evidence files (from disk once the transaction commits) with their
    fingerprints (a count of them is kept), and the
    recipient of every notification about the dossier; notifications not sent yet are
    settled, so nothing is mailed later. Kept: the reference, every coded column, dates,
    status, takedowns and referrals as codes, the access log and the timeline's events
    (an assignment keeps the username it names). Plain columns that are not about who
    someone is stay too: the author's deadline (a moment, like the date received), the
    contact preferences, and ``external_id``, without which a second import of the same
    file would bring the dossier back.

    Refused for a dossier that is not closed or was anonymised before. The save writes
    one history record (personal fields never enter history) and an event.
    """
    at = at or timezone.now()
    dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)
    if dossier.anonymised_at is not None:
        raise ActionRefused(_("The personal data of this dossier have already been erased."))
    if dossier.status != Status.CLOSED:
        raise ActionRefused(_("Only a closed dossier can have its personal data erased."))

    for name in DOSSIER_PERSONAL_FIELDS:
        setattr(dossier, name, "")
    dossier.receipt_hash = None
    dossier.submission_hash = None
    dossier.anonymised_at = at
    files = _evidence_delete(dossier)
    dossier.evidence_files_erased = files
    dossier._history_user = by
    dossier.save(
        update_fields=[
            *DOSSIER_PERSONAL_FIELDS,
            "receipt_hash",
            "submission_hash",
            "anonymised_at",
            "evidence_files_erased",
            "updated_at",
        ]
    )
    # QuerySet.update writes no history rows; these columns are not in history anyway.
    ContentLocation.objects.filter(dossier=dossier).update(platform_name="", url="")
    # The notice as sent holds the content's addresses; its hash goes with it.
    TakedownRequest.objects.filter(dossier=dossier).update(
        sent_to="", notice_text="", notice_sha256="", out_of_court_body=""
    )
    DossierEvent.objects.filter(dossier=dossier).update(note="")
    outbox_settle(dossier=dossier, at=at)
    OutboxMessage.objects.filter(dossier=dossier).update(recipient="")
    DossierEvent.objects.create(dossier=dossier, kind=EventKind.ANONYMISED, actor=by, at=at)
    logger.info("dossier %s anonymised (%d evidence files to delete)", dossier.pk, files)
    return dossier


def anonymise_each(ids: list[int], *, advance=lambda: None) -> tuple[int, int]:
    """Erase each listed dossier in its own transaction (locked and checked again: one
    reopened or erased since it was listed is skipped). How many were erased, and how
    many skipped."""
    done = skipped = 0
    for pk in ids:
        try:
            dossier_anonymise(Dossier(pk=pk))
        except ActionRefused:
            skipped += 1
        else:
            done += 1
        advance()
    return done, skipped


def anonymise_due(now: datetime | None = None) -> tuple[int, int]:
    """The retention run: erase every dossier past its retention period."""
    due = dossiers_due_for_anonymisation(now).order_by("closed_at", "pk")
    return anonymise_each(list(due.values_list("pk", flat=True)))
