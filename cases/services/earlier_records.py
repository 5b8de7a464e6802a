"""Dossiers from the Institute's earlier records (before this system, or from another
one): coded values only, written in bulk with their history and first event. The file
they come from is read and checked by ``reporting.imports``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from ..choices import (
    IMPORTED,
    EventKind,
    Gender,
    ReporterCategory,
    ReporterType,
    Status,
    WaitingFor,
)
from ..models import BRUSSELS, Dossier, DossierEvent
from .receiving import reserve_references

_BATCH = 500
# Imports of earlier records take turns on this PostgreSQL advisory lock.
_IMPORT_LOCK = 0x1D0551E5


@dataclass(frozen=True)
class EarlierRecord:
    """One dossier of the earlier records, in the dossier's coded values."""

    line: int  # where it was read, to number the dossiers of one moment in file order
    external_id: str
    received_at: datetime
    forms_of_abuse: list[str]
    reporter: str  # a ReporterCategory
    language: str
    channel: str
    status: str
    closed_at: datetime | None
    closure_reason: str
    minor_involved: str

    @property
    def year(self) -> int:
        return self.received_at.astimezone(BRUSSELS).year

    def dossier(self, reference: str) -> Dossier:
        organisation = self.reporter == ReporterCategory.ORGANISATION
        dossier = Dossier(
            reference=reference,
            external_id=self.external_id,
            imported=True,
            received_at=self.received_at,
            channel=self.channel,
            language=self.language,
            reporter_type=ReporterType.ORGANISATION if organisation else ReporterType.NOT_RECORDED,
            reporter_gender=Gender.NOT_GIVEN if organisation else self.reporter,
            person_minor_on_images=self.minor_involved,
            status=self.status,
            closure_reason=self.closure_reason,
            closed_at=self.closed_at,
            waiting_for=WaitingFor.OTHER if self.status == Status.WAITING else "",
            # Imported dossiers are history: they never have a first contact due.
            first_contact_due=None,
        )
        dossier.forms_of_abuse = self.forms_of_abuse
        dossier.apply_priority_rules()
        return dossier


def earlier_records_known(external_ids: Sequence[str]) -> set[str]:
    """Which of these earlier records are dossiers already."""
    found = set()
    for start in range(0, len(external_ids), _BATCH):
        found.update(
            Dossier.objects.filter(
                external_id__in=external_ids[start : start + _BATCH]
            ).values_list("external_id", flat=True)
        )
    return found


@transaction.atomic
def earlier_records_import(
    records: Sequence[EarlierRecord], *, now: datetime | None = None
) -> list[EarlierRecord]:
    """Make dossiers of the records that are not dossiers yet; the ones it made.

    Concurrent imports take turns, so that the second sees what the first imported and
    skips it (SQLite transactions here begin with the write lock already, PostgreSQL
    needs a lock of its own). References are reserved per Brussels year of receipt and
    numbered in order of receipt; every dossier gets its history row and its "imported"
    first event."""
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_IMPORT_LOCK])
    known = earlier_records_known([record.external_id for record in records])
    new = [record for record in records if record.external_id not in known]
    by_year: dict[int, list[EarlierRecord]] = defaultdict(list)
    for record in new:
        by_year[record.year].append(record)
    dossiers = []
    for year, year_records in sorted(by_year.items()):
        year_records.sort(key=lambda record: (record.received_at, record.line))
        references = reserve_references(year=year, count=len(year_records))
        dossiers += [r.dossier(ref) for r, ref in zip(year_records, references, strict=True)]
    if dossiers:
        created = bulk_create_with_history(
            dossiers,
            Dossier,
            batch_size=_BATCH,
            default_date=now,
            default_change_reason=IMPORTED,
        )
        DossierEvent.objects.bulk_create(
            [
                DossierEvent(
                    dossier=dossier,
                    at=now,
                    kind=EventKind.CREATED,
                    new_status=dossier.status,
                    detail=IMPORTED,
                )
                for dossier in created
            ],
            batch_size=_BATCH,
        )
    return new
