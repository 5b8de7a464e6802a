"""Writes to dossiers: one function per use case, each one transaction.

Views, management commands, the historical import and tasks all call these; nothing
important happens in ``save()`` or in signals.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from institute.roles import Role, has_role

from .evidence import check_evidence_files
from .models import (
    ClosureReason,
    ContentLocation,
    Dossier,
    DossierEvent,
    EventKind,
    Evidence,
    ReferenceCounter,
    Status,
)


class DossierError(Exception):
    """A requested change is not allowed; the message is safe to show to staff."""


def next_reference(*, year: int) -> str:
    """Hand out the next reference of ``year`` ("2026-0042").

    One upsert that increments and returns the counter: on PostgreSQL the row lock it
    takes is held until the surrounding transaction ends, so two concurrent reports
    can never get the same number, and a rolled-back report gives its number back.
    """
    table = connection.ops.quote_name(ReferenceCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (year, last) VALUES (%s, 1) "  # noqa: S608 (table name is ours)
            f"ON CONFLICT (year) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [year],
        )
        (number,) = cursor.fetchone()
    return f"{year}-{number:04d}"


@transaction.atomic
def dossier_create(
    *,
    dossier: Dossier,
    locations: Iterable[ContentLocation] = (),
    by=None,
    note: str = "",
    at: datetime | None = None,
) -> Dossier:
    """Save a new dossier built by a form, the import or the demo data.

    Gives it its reference, applies the priority rules, validates every field and
    constraint, and writes its content locations and first event, all or nothing.
    """
    if dossier.pk is not None:
        raise DossierError(_("This dossier has already been saved."))
    dossier.apply_priority_rules()
    dossier.reference = next_reference(year=dossier.received_year)
    dossier.full_clean(exclude=["reference"])
    dossier.save()
    for location in locations:
        location.dossier = dossier
        location.full_clean()
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


# The allowed status moves, in one place. Templates and views ask this table through
# ``allowed_transitions``; they never re-encode it.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
    Status.IN_PROGRESS: frozenset({Status.WAITING, Status.CLOSED}),
    Status.WAITING: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.IN_PROGRESS}),
}


def allowed_transitions(dossier: Dossier) -> frozenset[Status]:
    return TRANSITIONS[Status(dossier.status)]


def _locked(dossier_id: int) -> Dossier:
    return Dossier.objects.select_for_update().get(pk=dossier_id)


@transaction.atomic
def dossier_transition(
    *,
    dossier_id: int,
    to: str,
    by=None,
    closure_reason: str = "",
    note: str = "",
    at: datetime | None = None,
) -> Dossier:
    """Move a dossier to another status, or refuse with a DossierError.

    The row is locked first, so of two people moving the same dossier at once the
    second sees the first one's result and is checked against it.
    """
    at = at or timezone.now()
    if to not in Status.values:
        raise DossierError(_("Unknown status."))
    dossier = _locked(dossier_id)
    old, new = Status(dossier.status), Status(to)
    if new not in TRANSITIONS[old]:
        raise DossierError(
            _("A dossier that is “%(old)s” cannot become “%(new)s”.")
            % {"old": old.label, "new": new.label}
        )
    if new == Status.CLOSED:
        if closure_reason not in ClosureReason.values:
            raise DossierError(_("Choose why the dossier is closed."))
        dossier.closure_reason = closure_reason
        dossier.closed_at = at
    elif closure_reason:
        raise DossierError(_("Only a closed dossier has a closure reason."))
    else:
        dossier.closure_reason = ""
        dossier.closed_at = None
    dossier.status = new
    dossier.save(update_fields=["status", "closure_reason", "closed_at", "updated_at"])
    DossierEvent.objects.create(
        dossier=dossier,
        at=at,
        actor=by,
        kind=EventKind.STATUS_CHANGED,
        old_status=old,
        new_status=new,
        note=note,
    )
    return dossier


@transaction.atomic
def dossier_assign(*, dossier_id: int, to, by=None, at: datetime | None = None) -> Dossier:
    """Give a dossier to a staff member (or take it back with ``to=None``)."""
    if to is not None and not (to.is_active and has_role(to, Role.CASE_WORKER, Role.COORDINATOR)):
        raise DossierError(_("Dossiers can be assigned only to case workers and coordinators."))
    dossier = _locked(dossier_id)
    if dossier.status == Status.CLOSED:
        raise DossierError(_("A closed dossier cannot be assigned; reopen it first."))
    if dossier.assignee_id == (to.pk if to else None):
        return dossier
    dossier.assignee = to
    dossier.save(update_fields=["assignee", "updated_at"])
    DossierEvent.objects.create(
        dossier=dossier,
        at=at or timezone.now(),
        actor=by,
        kind=EventKind.ASSIGNED,
        note=to.get_username() if to else "",
    )
    return dossier


def evidence_attach(
    *,
    dossier: Dossier,
    uploads: Sequence[UploadedFile],
    saved: list[str],
    from_reporter: bool = True,
) -> list[Evidence]:
    """Check and store evidence files for a saved dossier.

    Appends every stored file's name to ``saved`` (see ``files_removed_on_failure``)
    so the caller can take the files back if its transaction fails.
    """
    signatures = check_evidence_files(list(uploads))
    attached = []
    for upload, signature in zip(uploads, signatures, strict=True):
        evidence = Evidence(
            dossier=dossier,
            original_name=upload.name[:255],
            content_type=signature.content_type,
            size=upload.size,
            from_reporter=from_reporter,
        )
        evidence.file.save(signature.extension, upload, save=False)
        saved.append(evidence.file.name)
        evidence.save()
        attached.append(evidence)
    return attached
