"""Chain of custody: a file is handed out only if it is the file that was received.

Every download recomputes the SHA-256 of the decrypted bytes and compares it with the
one recorded when the file arrived (``Evidence.sha256``). A file that cannot be
decrypted (its ciphertext changed: Fernet authenticates it) or whose bytes differ (a
file swapped on disk for another one encrypted under the same key) is refused; the
refusal goes to the security log, and the coordinators get one alert per file and
person.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction

from institute.models import SecurityEventKind
from institute.security import security_log

from .encryption import DecryptionError
from .fingerprints import fingerprint, sha256_of
from .models import Evidence
from .outbox import notify_evidence_altered

logger = logging.getLogger(__name__)


class EvidenceAltered(Exception):
    """The stored file is not the file received; ``reason`` is a code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def received_bytes(evidence: Evidence) -> bytes:
    """The file's bytes, decrypted, if they are those received; else EvidenceAltered.
    A file received before fingerprints were recorded (none yet) is handed out as it is:
    ``manage.py fingerprint_evidence`` records theirs."""
    try:
        with evidence.file.open("rb") as stored:
            data = stored.read()
    except DecryptionError:
        raise EvidenceAltered("undecryptable") from None
    except FileNotFoundError:
        raise EvidenceAltered("missing") from None
    if evidence.sha256 and sha256_of(data) != evidence.sha256:
        raise EvidenceAltered("sha256_mismatch")
    return data


def report_altered(evidence: Evidence, problem: EvidenceAltered, *, user, request=None) -> None:
    """Write the refusal to the security log and alert the coordinators, once per file
    and coordinator. Committed at once: the refusal that follows must not roll it back."""
    with transaction.atomic():
        security_log(
            SecurityEventKind.EVIDENCE_ALTERED,
            request=request,
            user=user,
            detail=f"evidence {evidence.pk}: {problem.reason}",
            dossier_id=evidence.dossier_id,
        )
        notify_evidence_altered(dossier=evidence.dossier, evidence_id=evidence.pk)
    logger.error(
        "evidence file %s of dossier %s refused: %s", evidence.pk, evidence.dossier_id, problem
    )


@dataclass
class Backfill:
    recorded: int = 0
    unreadable: int = 0


def missing_fingerprints():
    """Files received before fingerprints were recorded at upload."""
    return Evidence.objects.filter(sha256="")


def record_missing_fingerprints(*, batch_size: int = 100, advance=lambda count: None) -> Backfill:
    """Record the fingerprints of every file that has none, in batches of ``batch_size``
    (one short transaction per file, so it can be stopped and run again: a second run
    only takes the files still without). A file that cannot be read keeps none and is
    counted: it is reported, not hidden. Their SHA-256 is the one the file has now: it
    vouches for the file from now on, not for the time before."""
    result = Backfill()
    last_pk = 0
    while True:
        batch = list(missing_fingerprints().filter(pk__gt=last_pk).order_by("pk")[:batch_size])
        if not batch:
            return result
        for evidence in batch:
            last_pk = evidence.pk
            try:
                data = received_bytes(evidence)  # no SHA-256 yet: nothing to compare
            except EvidenceAltered:
                result.unreadable += 1
                logger.error("evidence file %s could not be read for its fingerprints", evidence.pk)
                advance(1)
                continue
            prints = fingerprint(data, evidence.content_type)
            # Only if still without: a run in parallel, or a new upload, wrote it first.
            result.recorded += (
                missing_fingerprints()
                .filter(pk=evidence.pk)
                .update(
                    sha256=prints.sha256,
                    pdq=prints.pdq,
                    pdq_quality=prints.pdq_quality,
                    phash=prints.phash,
                    matched_at=None,  # to be compared with the other dossiers' files
                )
            )
            advance(1)
