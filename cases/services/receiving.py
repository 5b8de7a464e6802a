"""Receiving a report into a dossier, from the public form or from staff: its reference,
its receipt code, its first save with its content locations and first event, its
evidence files with the limits they are held to, and the notifications it causes."""

from __future__ import annotations

import errno
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import receipts
from ..choices import Channel, EventKind
from ..deadlines import first_contact_due
from ..errors import ActionRefused, EvidenceNotStored
from ..evidence import check_evidence_files, sniff
from ..fingerprints import Fingerprint, fingerprint
from ..matching import match_after_commit
from ..models import ContentLocation, Dossier, DossierEvent, Evidence, ReferenceCounter
from ..models.checks import check_constraints
from ..outbox import coordinators_to_alert, notify_new_report
from ..storage import files_removed_on_failure
from .base import Actor, locked

logger = logging.getLogger(__name__)


def next_reference(*, year: int) -> str:
    """Hand out the next reference of ``year`` ("2026-0042").

    One upsert that increments and returns the counter: on PostgreSQL the row lock it
    takes is held until the surrounding transaction ends, so two concurrent reports
    can never get the same number, and a rolled-back report gives its number back.
    """
    (reference,) = reserve_references(year=year, count=1)
    return reference


def reserve_references(*, year: int, count: int) -> list[str]:
    """Hand out the next ``count`` references of ``year``, in order (for the import).

    One upsert adds ``count`` to the counter and returns its new value, so the block
    ends there; the same row lock as ``next_reference`` keeps blocks from overlapping
    and a rolled-back import gives its numbers back.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    if count == 0:
        return []
    table = connection.ops.quote_name(ReferenceCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (year, last) VALUES (%s, %s) "  # noqa: S608 (table name is ours)
            f"ON CONFLICT (year) DO UPDATE SET last = {table}.last + %s RETURNING last",
            [year, count, count],
        )
        (last,) = cursor.fetchone()
    return [f"{year}-{number:04d}" for number in range(last - count + 1, last + 1)]


def dossier_create(
    *,
    dossier: Dossier,
    locations: Iterable[ContentLocation] = (),
    by: Actor = None,
    note: str = "",
    at: datetime | None = None,
) -> Dossier:
    """Save a new dossier built by a form, the import or the demo data.

    Gives it its reference, applies the priority rules, validates every field and
    constraint, and writes its content locations and first event, all or nothing (in
    the caller's transaction if there is one: no savepoint of its own).
    """
    if dossier.pk is not None:
        raise ActionRefused(_("This dossier has already been saved."))
    dossier.apply_priority_rules()
    dossier.first_contact_due = first_contact_due(dossier.received_at, dossier.priority)
    # Every field and rule is checked here, in Python and before the transaction:
    # asking the database (as full_clean does for uniqueness and CHECK constraints)
    # would cost a round trip each. The database enforces both on insert all the same.
    dossier.full_clean(exclude=["reference"], validate_unique=False, validate_constraints=False)
    check_constraints(dossier)
    locations = list(locations)
    for location in locations:
        location.full_clean(exclude=["dossier"])
    with transaction.atomic(savepoint=False):
        # First of the writes, as late as can be: the counter's row stays locked until
        # the commit, so the shorter the rest, the less other reports wait for it.
        dossier.reference = next_reference(year=dossier.received_year)
        dossier.save()
        for location in locations:
            location.dossier = dossier
            location.save()
        DossierEvent.objects.create(
            dossier=dossier,
            at=at or timezone.now(),
            actor=by,
            kind=EventKind.CREATED,
            new_status=dossier.status,
            note=note,
        )
    return dossier


def evidence_attach(
    *,
    dossier: Dossier,
    uploads: Sequence[UploadedFile],
    saved: list[str],
    from_reporter: bool = True,
    fingerprints: Sequence[Fingerprint] | None = None,
) -> list[Evidence]:
    """Check and store evidence files for a saved dossier, each with its fingerprints.

    Appends every stored file's name to ``saved`` (see ``files_removed_on_failure``)
    so the caller can take the files back if its transaction fails. Runs inside the
    caller's transaction, which holds the dossier's row lock from here on, so the
    dossier's limits on files (``EVIDENCE_MAX_FILES_PER_DOSSIER`` and
    ``EVIDENCE_MAX_MB_PER_DOSSIER``) hold however many posts arrive at once.
    ``fingerprints``: those of ``uploads`` (``fingerprint_uploads``), computed before
    the transaction so that no lock waits on them; computed here when not given.
    """
    if not uploads:
        return []
    locked(dossier.pk)  # the lock, and the refusal of an anonymised dossier
    signatures = check_evidence_files(list(uploads))
    if uploads:
        check_dossier_evidence_room(dossier=dossier, uploads=uploads)
    if fingerprints is None:
        fingerprints = fingerprint_uploads(uploads)
    attached = []
    for upload, signature, prints in zip(uploads, signatures, fingerprints, strict=True):
        evidence = Evidence(
            dossier=dossier,
            original_name=upload.name[:255],
            content_type=signature.content_type,
            size=upload.size,
            from_reporter=from_reporter,
            sha256=prints.sha256,
            pdq=prints.pdq,
            pdq_quality=prints.pdq_quality,
            phash=prints.phash,
        )
        try:
            evidence.file.save(signature.extension, upload, save=False)
        except OSError as exc:
            # The storage removed its partial file; the caller's rollback and
            # files_removed_on_failure take back the rest. The administrators must know.
            logger.error(
                "an evidence file could not be stored (%s); the report or addition was "
                "refused whole",
                errno.errorcode.get(exc.errno or 0, type(exc).__name__),
            )
            raise EvidenceNotStored from exc
        saved.append(evidence.file.name)
        evidence.save()
        attached.append(evidence)
    match_after_commit()  # with the other dossiers' files, once these are committed
    return attached


def fingerprint_uploads(uploads: Sequence[UploadedFile]) -> list[Fingerprint]:
    """The fingerprints of files about to be stored, from their bytes in memory (a file
    the checks will refuse gets a SHA-256 only: the checks say why)."""
    prints = []
    for upload in uploads:
        upload.seek(0)
        data = upload.read()
        upload.seek(0)
        signature = sniff(data[:16])
        prints.append(fingerprint(data, signature.content_type if signature else ""))
    return prints


def check_dossier_evidence_room(*, dossier: Dossier, uploads: Sequence[UploadedFile]) -> None:
    """Refuse files that would take a dossier past its limits, in the active language."""
    held = Evidence.objects.filter(dossier=dossier).aggregate(
        count=Count("id"), size=Coalesce(Sum("size"), 0)
    )
    if held["count"] + len(uploads) > settings.EVIDENCE_MAX_FILES_PER_DOSSIER:
        raise ValidationError(
            _(
                "We cannot accept more files for this report: it already holds "
                "%(count)d. Tell us about the others in a message instead."
            )
            % {"count": held["count"]},
            code="dossier_full",
        )
    if held["size"] + sum(upload.size for upload in uploads) > (
        settings.EVIDENCE_MAX_BYTES_PER_DOSSIER
    ):
        raise ValidationError(
            _(
                "We cannot accept these files: together with the files this report "
                "already holds they are larger than %(limit)s. Tell us about them in a "
                "message instead."
            )
            % {"limit": filesizeformat(settings.EVIDENCE_MAX_BYTES_PER_DOSSIER)},
            code="dossier_full",
        )


# Reports taken in a conversation with the reporter: taking them is the first contact.
CONVERSATION_CHANNELS = frozenset({Channel.PHONE, Channel.IN_PERSON})


@dataclass(frozen=True)
class SubmittedReport:
    dossier: Dossier
    receipt_code: str
    repeated: bool  # the same form was posted before: nothing new was saved


def previous_submission(token: str) -> SubmittedReport | None:
    """The report this form already saved, if it was posted before."""
    dossier = Dossier.objects.filter(submission_hash=receipts.submission_hash(token)).first()
    if dossier is None:
        return None
    return SubmittedReport(dossier, receipts.receipt_code_for(token), repeated=True)


def report_submit(
    *,
    dossier: Dossier,
    locations: Sequence[ContentLocation],
    uploads: Sequence[UploadedFile],
    submission_token: str,
    language: str,
    channel: str = Channel.WEB,
    received_at: datetime | None = None,
    by=None,
    surge: bool = False,
) -> SubmittedReport:
    """Save a report: the dossier, its locations, evidence, first event and the
    notifications it causes, in one transaction; or nothing at all.

    Posting the same form again (same ``submission_token``) saves nothing new and
    returns the first report with the same receipt code, even when the two posts race.

    Staff who take a report by phone, mail, letter or in person pass the ``channel``,
    when it was ``received_at`` and themselves as ``by``; the reporter gets a receipt
    code all the same. A report taken in a conversation (phone, in person) is the first
    contact too.

    A report that came in a ``surge`` (far more reports than usual at once) is saved
    all the same and marked; staff get one alert for the surge instead of one per report.
    """
    previous = previous_submission(submission_token)
    if previous is not None:
        return previous

    code = receipts.receipt_code_for(submission_token)
    dossier.channel = channel
    dossier.language = language
    dossier.received_at = received_at or timezone.now()
    if channel in CONVERSATION_CHANNELS:
        dossier.first_contact_at = dossier.received_at
    dossier.received_in_surge = surge
    dossier.receipt_hash = receipts.receipt_hash(code)
    dossier.submission_hash = receipts.submission_hash(submission_token)
    # Read and computed before the transaction, which holds the reference counter's lock.
    coordinators = [] if surge else list(coordinators_to_alert())
    fingerprints = fingerprint_uploads(uploads)
    try:
        with files_removed_on_failure() as saved, transaction.atomic():
            dossier_create(dossier=dossier, locations=locations, by=by)
            evidence_attach(
                dossier=dossier,
                uploads=uploads,
                saved=saved,
                from_reporter=by is None,
                fingerprints=fingerprints,
            )
            notify_new_report(dossier=dossier, coordinators=coordinators)
    except (IntegrityError, ValidationError):
        # A concurrent post of the same form may have won the race on submission_hash:
        # its commit shows up here as a failed uniqueness check (validation) or as a
        # violated unique constraint (insert). Anything else is raised as it was.
        previous = previous_submission(submission_token)
        if previous is None:
            raise
        return previous
    return SubmittedReport(dossier, code, repeated=False)


def dossier_for_receipt_code(code: str) -> Dossier | None:
    """The dossier a (normalised, well-formed) receipt code opens, if any."""
    return Dossier.objects.filter(receipt_hash=receipts.receipt_hash(code)).first()
