"""Saving a report from the public form."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.models import Channel, ContentLocation, Dossier
from cases.outbox import notify_new_report
from cases.services import dossier_create, evidence_attach
from cases.storage import files_removed_on_failure

from . import receipts


@dataclass(frozen=True)
class SubmittedReport:
    dossier: Dossier
    receipt_code: str
    repeated: bool  # the same form was posted before: nothing new was saved


def _already_submitted(token: str) -> SubmittedReport | None:
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
) -> SubmittedReport:
    """Save a report: the dossier, its locations, evidence, first event and the
    notifications it causes, in one transaction; or nothing at all.

    Posting the same form again (same ``submission_token``) saves nothing new and
    returns the first report with the same receipt code, even when the two posts race.
    """
    previous = _already_submitted(submission_token)
    if previous is not None:
        return previous

    code = receipts.receipt_code_for(submission_token)
    dossier.channel = Channel.WEB
    dossier.language = language
    dossier.received_at = timezone.now()
    dossier.receipt_hash = receipts.receipt_hash(code)
    dossier.submission_hash = receipts.submission_hash(submission_token)
    try:
        with files_removed_on_failure() as saved, transaction.atomic():
            dossier_create(dossier=dossier, locations=locations)
            evidence_attach(dossier=dossier, uploads=uploads, saved=saved)
            notify_new_report(dossier=dossier)
    except (IntegrityError, ValidationError):
        # A concurrent post of the same form may have won the race on submission_hash:
        # its commit shows up here as a failed uniqueness check (validation) or as a
        # violated unique constraint (insert). Anything else is raised as it was.
        previous = _already_submitted(submission_token)
        if previous is None:
            raise
        return previous
    return SubmittedReport(dossier, code, repeated=False)
