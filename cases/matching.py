"""The same image across dossiers: once a file is stored, the files of other dossiers
that are the very same file (equal SHA-256) or show the same picture (close pHash and
PDQ, cases.fingerprints.same_picture) are recorded as matches, both ways round, and
the coordinators are told once per dossier that received such files.

Matching runs after the commit that stored the files, in a task (so a report's
transaction, which holds the reference counter's lock, never waits on it); a sweep
every few minutes takes any file the task missed (the broker down at that moment), so
every file is compared exactly when ``matched_at`` says so.

Finding the candidates: on PostgreSQL one scan of the pHash column counts the differing
bits in the database (``bit_count`` of the XOR): about 15 to 20 ms for 100,000 images
(bench/evidence_match.py); the few candidates are then checked against PDQ here. On
SQLite (development) the hashes are compared here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import connection, transaction
from django.utils import timezone

from .fingerprints import SAME_PICTURE_PHASH_BITS, same_picture
from .models import Dossier, Evidence, EvidenceMatch
from .outbox import notify_same_image

logger = logging.getLogger(__name__)

# The pHash column read as 64 bits, XOR the new file's, bits counted.
_CANDIDATES_SQL = (
    "SELECT id FROM cases_evidence WHERE phash IS NOT NULL AND dossier_id <> %s "
    "AND bit_count((phash # %s)::bit(64)) <= %s"
)


def _picture_candidates(evidence: Evidence) -> list[Evidence]:
    others = Evidence.objects.exclude(dossier_id=evidence.dossier_id).filter(phash__isnull=False)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _CANDIDATES_SQL,
                [evidence.dossier_id, evidence.phash, SAME_PICTURE_PHASH_BITS],
            )
            ids = [row[0] for row in cursor.fetchall()]
        others = others.filter(pk__in=ids)
    return list(others.only("pk", "dossier_id", "pdq", "pdq_quality", "phash"))


# A picture shared widely (or sent again and again) must not make matches grow with the
# square of its copies: each file keeps at most this many, one per other dossier.
MATCHES_PER_FILE = 25


def matches_for(evidence: Evidence) -> list[tuple[Evidence, bool]]:
    """The files of other dossiers that are this file (True) or show its picture: one
    per dossier, the most recent ``MATCHES_PER_FILE`` dossiers."""
    found: dict[int, tuple[Evidence, bool]] = {}
    if evidence.phash is not None:
        for other in _picture_candidates(evidence):
            if same_picture(evidence, other):
                found[other.pk] = (other, False)
    if evidence.sha256:
        identical = Evidence.objects.filter(sha256=evidence.sha256).exclude(
            dossier_id=evidence.dossier_id
        )
        for other in identical.only("pk", "dossier_id"):
            found[other.pk] = (other, True)
    per_dossier: dict[int, tuple[Evidence, bool]] = {}
    for other, identical in sorted(found.values(), key=lambda item: -item[0].pk):
        per_dossier.setdefault(other.dossier_id, (other, identical))
    return list(per_dossier.values())[:MATCHES_PER_FILE]


def record_matches(files: Sequence[Evidence]) -> list[EvidenceMatch]:
    """Record the matches of files just stored (both ways round); the new ones."""
    now = timezone.now()
    found = {evidence.pk: matches_for(evidence) for evidence in files}
    others = {other.pk for matches in found.values() for other, _identical in matches}
    # What the other files name already: how many, and which dossiers.
    named = {pk: set() for pk in others}
    for other_pk, dossier_pk in EvidenceMatch.objects.filter(evidence__in=others).values_list(
        "evidence_id", "other__dossier_id"
    ):
        named[other_pk].add(dossier_pk)
    rows = []
    for evidence in files:
        for other, identical in found[evidence.pk]:
            rows.append(
                EvidenceMatch(evidence=evidence, other=other, identical=identical, found_at=now)
            )
            dossiers = named[other.pk]
            if evidence.dossier_id not in dossiers and len(dossiers) < MATCHES_PER_FILE:
                dossiers.add(evidence.dossier_id)
                rows.append(
                    EvidenceMatch(evidence=other, other=evidence, identical=identical, found_at=now)
                )
    if not rows:
        return []
    existing = set(
        EvidenceMatch.objects.filter(evidence__in=[row.evidence for row in rows]).values_list(
            "evidence_id", "other_id"
        )
    )
    new = {}
    for row in rows:
        key = (row.evidence.pk, row.other.pk)
        if key not in existing:
            new.setdefault(key, row)
    return EvidenceMatch.objects.bulk_create(list(new.values()), ignore_conflicts=True)


def match_pending(*, alert: bool = True, batch_size: int = 100) -> int:
    """Compare every file not compared yet with the files of other dossiers, in
    batches, each one transaction (rows locked, so two runs at once share the work);
    with ``alert``, tell the coordinators once per dossier whose new files matched
    (not for a dossier received in a surge: its page shows the matches). How many
    files were compared."""
    done = 0
    while True:
        with transaction.atomic():
            batch = list(
                Evidence.objects.filter(matched_at__isnull=True)
                .select_for_update(skip_locked=True)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return done
            new = record_matches(batch)
            Evidence.objects.filter(pk__in=[e.pk for e in batch]).update(matched_at=timezone.now())
            in_batch = {evidence.pk: evidence for evidence in batch}
            first_of = {}
            for match in new:
                if match.evidence_id in in_batch:
                    first_of.setdefault(in_batch[match.evidence_id].dossier_id, match.evidence_id)
            if alert and first_of:
                dossiers = Dossier.objects.filter(pk__in=first_of, received_in_surge=False)
                for dossier in dossiers:
                    notify_same_image(dossier=dossier, evidence_id=first_of[dossier.pk])
            done += len(batch)


def match_after_commit() -> None:
    """Queue the comparison of the files just stored, once the transaction commits.
    A broker that cannot be reached is not the report's problem: the sweep will do it."""

    def queue() -> None:
        from .tasks import match_evidence

        try:
            match_evidence.delay()
        except Exception as exc:  # kombu raises many kinds
            logger.warning(
                "evidence matching not queued (%s); the sweep will do it", type(exc).__name__
            )

    transaction.on_commit(queue)


def matches_seen_by(user, files: Sequence[Evidence]) -> dict[int, list[tuple[str | None, int]]]:
    """For each file (by id), the other dossiers it appears in: (reference, dossier id)
    where ``user`` may see that dossier, (None, 0) where not (they learn only that it
    appears in another dossier). Each dossier once."""
    from .access import visible_dossiers

    matches = list(
        EvidenceMatch.objects.filter(evidence__in=files)
        .select_related("other__dossier")
        .order_by("other__dossier__received_at", "other_id")
    )
    visible = set(
        visible_dossiers(user)
        .filter(pk__in={match.other.dossier_id for match in matches})
        .values_list("pk", flat=True)
    )
    seen: dict[int, list[tuple[str | None, int]]] = {}
    for match in matches:
        dossier = match.other.dossier
        entry = (dossier.reference, dossier.pk) if dossier.pk in visible else (None, 0)
        if entry not in seen.setdefault(match.evidence_id, []):
            seen[match.evidence_id].append(entry)
    return seen
