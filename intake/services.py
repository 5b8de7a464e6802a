"""Saving a report from the public form."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.choices import Channel
from cases.models import ContentLocation, Dossier
from cases.outbox import notify_new_report
from cases.services import dossier_create, evidence_attach
from cases.storage import files_removed_on_failure

from . import receipts

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
    try:
        with files_removed_on_failure() as saved, transaction.atomic():
            dossier_create(dossier=dossier, locations=locations, by=by)
            evidence_attach(dossier=dossier, uploads=uploads, saved=saved, from_reporter=by is None)
            notify_new_report(dossier=dossier)
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
