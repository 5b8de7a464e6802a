"""Writes to dossiers: one function per use case, each one transaction.

Views, management commands, the historical import and tasks all call these; nothing
important happens in ``save()`` or in signals.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from institute.roles import HANDLING_ROLES, Role, has_role

from .choices import (
    AgeBand,
    ClosureReason,
    ContactMethod,
    EventKind,
    ReferralKind,
    ReferralOutcome,
    Status,
    TakedownOutcome,
    WaitingFor,
)
from .deadlines import first_contact_due, takedown_deadline
from .evidence import check_evidence_files
from .models import (
    DOSSIER_PERSONAL_FIELDS,
    ContentLocation,
    Dossier,
    DossierEvent,
    Evidence,
    ReferenceCounter,
    Referral,
    TakedownRequest,
)
from .outbox import notify_assigned, notify_reporter_added, notify_reporter_message
from .storage import files_removed_on_failure


class DossierError(Exception):
    """A requested change is not allowed; the message is safe to show to staff."""


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
    dossier.first_contact_due = first_contact_due(dossier.received_at, dossier.priority)
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
    """The dossier, its row locked until the transaction ends, for a service that will
    change it or add to it; refused if its personal data were erased."""
    dossier = Dossier.objects.select_for_update().get(pk=dossier_id)
    _refuse_if_anonymised(dossier)
    return dossier


def _event(dossier: Dossier, kind: str, *, by, at: datetime | None, **fields) -> DossierEvent:
    return DossierEvent.objects.create(
        dossier=dossier, kind=kind, actor=by, at=at or timezone.now(), **fields
    )


def _not_in_future(moment, what: str) -> None:
    # A minute of slack for clocks and forms filled in just now.
    if moment is not None and moment > timezone.now() + timedelta(minutes=1):
        raise DossierError(_("%(what)s cannot be in the future.") % {"what": what})


def _not_before_receipt(dossier: Dossier, moment, what: str) -> None:
    received = dossier.received_at
    if isinstance(moment, date) and not isinstance(moment, datetime):
        received = timezone.localdate(received)
    if moment < received:
        raise DossierError(_("%(what)s cannot be before the report was received.") % {"what": what})


def _refuse_if_closed(dossier: Dossier) -> None:
    if dossier.status == Status.CLOSED:
        raise DossierError(_("This dossier is closed; reopen it first."))


def _refuse_if_anonymised(dossier: Dossier) -> None:
    """An anonymised dossier is read-only for good (see cases.retention): it is always
    closed, but reopening it or adding to it would bring back personal data (a note, a
    message, a contact) that the retention period says must be gone. Checked by
    ``_locked``, under the row lock every changing service takes, so a change racing
    with ``dossier_anonymise`` sees its result."""
    if dossier.anonymised_at is not None:
        raise DossierError(anonymised_message())


def anonymised_message() -> str:
    """Why an anonymised dossier cannot be changed, in the active language."""
    return _("The personal data of this dossier were erased; it can no longer be changed.")


@transaction.atomic
def dossier_transition(
    *,
    dossier_id: int,
    to: str,
    by=None,
    closure_reason: str = "",
    waiting_for: str = "",
    note: str = "",
    at: datetime | None = None,
    only_from: Iterable[str] | None = None,
) -> Dossier:
    """Move a dossier to another status, or refuse with a DossierError.

    The row is locked first, so of two people moving the same dossier at once the
    second sees the first one's result and is checked against it. ``only_from`` narrows
    the move to some starting statuses (a "resume" is only from waiting), checked under
    the same lock.
    """
    at = at or timezone.now()
    if to not in Status.values:
        raise DossierError(_("Unknown status."))
    dossier = _locked(dossier_id)
    old, new = Status(dossier.status), Status(to)
    if new not in TRANSITIONS[old] or (only_from is not None and old not in only_from):
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
    if new == Status.WAITING and waiting_for not in WaitingFor.values:
        raise DossierError(_("Say who the dossier is waiting for."))
    if new != Status.WAITING and waiting_for:
        raise DossierError(_("Only a waiting dossier waits for someone."))
    dossier.waiting_for = waiting_for
    dossier.status = new
    dossier._history_user = by
    dossier.save(
        update_fields=["status", "closure_reason", "closed_at", "waiting_for", "updated_at"]
    )
    _event(
        dossier,
        EventKind.STATUS_CHANGED,
        by=by,
        at=at,
        old_status=old,
        new_status=new,
        note=note.strip(),
        detail=closure_reason or waiting_for,
    )
    return dossier


@transaction.atomic
def dossier_triage(
    *, dossier_id: int, accept: bool, by=None, note: str = "", at: datetime | None = None
) -> Dossier:
    """Decide on a new dossier: take it into progress (a case worker who does so while
    nobody has it becomes its assignee), or close it because the Institute is not
    competent, which needs a reason."""
    dossier = _locked(dossier_id)
    if dossier.status != Status.NEW:
        raise DossierError(_("This dossier has already been triaged."))
    if not accept:
        if not note.strip():
            raise DossierError(_("Say why the Institute is not competent."))
        return dossier_transition(
            dossier_id=dossier_id,
            to=Status.CLOSED,
            by=by,
            closure_reason=ClosureReason.NOT_COMPETENT,
            note=note,
            at=at,
        )
    if dossier.assignee_id is None and by is not None and has_role(by, Role.CASE_WORKER):
        dossier_assign(dossier_id=dossier_id, to=by, by=by, at=at)
    return dossier_transition(dossier_id=dossier_id, to=Status.IN_PROGRESS, by=by, note=note, at=at)


@transaction.atomic
def dossier_assign(*, dossier_id: int, to, by=None, at: datetime | None = None) -> Dossier:
    """Give a dossier to a staff member (or take it back with ``to=None``)."""
    if to is not None and not (to.is_active and has_role(to, *HANDLING_ROLES)):
        raise DossierError(_("Dossiers can be assigned only to case workers and coordinators."))
    dossier = _locked(dossier_id)
    _refuse_if_closed(dossier)
    if dossier.assignee_id == (to.pk if to else None):
        return dossier
    dossier.assignee = to
    dossier._history_user = by
    dossier.save(update_fields=["assignee", "updated_at"])
    _event(dossier, EventKind.ASSIGNED, by=by, at=at, note=to.get_username() if to else "")
    if to is not None and to != by:
        notify_assigned(dossier=dossier)
    return dossier


@transaction.atomic
def dossier_note_add(*, dossier_id: int, text: str, by=None, at: datetime | None = None):
    """An internal note: staff read it, the reporter never does."""
    if not text.strip():
        raise DossierError(_("Write the note first."))
    dossier = _locked(dossier_id)
    return _event(dossier, EventKind.NOTE, by=by, at=at, note=text.strip())


def _contact_made(dossier: Dossier, at: datetime) -> None:
    if dossier.first_contact_at is None or at < dossier.first_contact_at:
        dossier.first_contact_at = at
        dossier.save(update_fields=["first_contact_at", "updated_at"])


@transaction.atomic
def dossier_message_reporter(
    *, dossier_id: int, text: str, by=None, at: datetime | None = None
) -> DossierEvent:
    """A message the reporter reads on their follow-up page (so only for a dossier with
    a receipt code). If they left an email address, a mail tells them there is news,
    and nothing more. Counts as contact."""
    at = at or timezone.now()
    if not text.strip():
        raise DossierError(_("Write the message first."))
    dossier = _locked(dossier_id)
    if dossier.receipt_hash is None:
        raise DossierError(
            _(
                "This reporter has no receipt code, so cannot read messages here: "
                "contact them another way and record the contact."
            )
        )
    event = _event(dossier, EventKind.MESSAGE_TO_REPORTER, by=by, at=at, note=text.strip())
    _contact_made(dossier, at)
    if dossier.reporter_email:
        notify_reporter_message(dossier=dossier)
    return event


@transaction.atomic
def dossier_contact_record(
    *, dossier_id: int, method: str, by=None, note: str = "", at: datetime | None = None
) -> DossierEvent:
    """Staff reached the reporter (a call, a mail, a meeting): the first one stops the
    first-contact clock."""
    at = at or timezone.now()
    if method not in ContactMethod.values:
        raise DossierError(_("Say how contact was made."))
    _not_in_future(at, _("The moment of contact"))
    dossier = _locked(dossier_id)
    _not_before_receipt(dossier, at, _("The moment of contact"))
    event = _event(dossier, EventKind.CONTACT_MADE, by=by, at=at, detail=method, note=note.strip())
    _contact_made(dossier, at)
    return event


# Fields staff may correct after intake. Coded ones are kept in the field history and
# shown before/after; personal ones are encrypted and never copied into the history, so
# the timeline says only that they changed.
DETAIL_FIELDS = (
    "form_ncii",
    "form_voyeurism",
    "form_sextortion",
    "priority",
    "received_at",
    "channel",
    "language",
    "reporter_type",
    "reporter_gender",
    "organisation_kind",
    "person_age_band",
    "person_minor_on_images",
    "person_gender",
    "author_relation",
    "still_circulating",
    "threat_active",
    "threat_deadline",
    "contact_language",
    *DOSSIER_PERSONAL_FIELDS,
)


@transaction.atomic
def dossier_update_details(
    *,
    dossier_id: int,
    changes: dict,
    by=None,
    at: datetime | None = None,
    version: str | None = None,
) -> Dossier:
    """Correct what was recorded at intake. Validates the whole dossier (a minor on the
    images keeps it urgent; at least one form of abuse); moves the first-contact
    deadline if the priority or the date received changed before any contact.

    ``version`` is the dossier's ``updated_at`` (ISO) when the correction was begun; if
    the dossier changed since, the correction is refused instead of undoing that."""
    unknown = set(changes) - set(DETAIL_FIELDS)
    if unknown:
        raise DossierError(_("These details cannot be changed here."))
    dossier = _locked(dossier_id)
    if version is not None and version != dossier.updated_at.isoformat():
        raise DossierError(
            _(
                "Someone changed this dossier after you opened the form. Nothing was saved: "
                "open the form again to see the changes."
            )
        )
    changed = sorted(name for name, value in changes.items() if getattr(dossier, name) != value)
    if not changed:
        return dossier
    for name in changed:
        setattr(dossier, name, changes[name])
    _not_in_future(dossier.received_at, _("The date received"))
    if {"priority", "received_at"} & set(changed) and dossier.first_contact_at is None:
        dossier.first_contact_due = first_contact_due(dossier.received_at, dossier.priority)
    try:
        dossier.full_clean(exclude=["reference"])
    except ValidationError as error:
        raise DossierError(" ".join(error.messages)) from None
    dossier._history_user = by
    dossier.save()
    history = dossier.history.order_by("-history_id").first()
    _event(
        dossier,
        EventKind.DETAILS_CHANGED,
        by=by,
        at=at,
        history_id=history.history_id,
        detail=",".join(name for name in changed if name in DOSSIER_PERSONAL_FIELDS),
    )
    return dossier


@transaction.atomic
def takedown_request_record(
    *,
    location_id: int,
    sent_to: str,
    method: str,
    legal_basis: str,
    by=None,
    sent_at: datetime | None = None,
    deadline: datetime | None = None,
    note: str = "",
) -> TakedownRequest:
    """Record a removal request sent for one content location. The answer is due
    ``TAKEDOWN_DEADLINE_HOURS`` after sending unless another deadline is given."""
    sent_at = sent_at or timezone.now()
    location = ContentLocation.objects.get(pk=location_id)
    dossier = _locked(location.dossier_id)
    _refuse_if_closed(dossier)
    _not_in_future(sent_at, _("The moment the request was sent"))
    _not_before_receipt(dossier, sent_at, _("The moment the request was sent"))
    deadline = deadline or takedown_deadline(sent_at)
    if deadline <= sent_at:
        raise DossierError(_("The answer cannot be due before the request was sent."))
    if not sent_to.strip():
        raise DossierError(_("Say to whom the request was sent."))
    takedown = TakedownRequest(
        dossier=dossier,
        location=location,
        sent_at=sent_at,
        sent_to=sent_to.strip(),
        method=method,
        legal_basis=legal_basis,
        deadline=deadline,
        created_by=by,
    )
    try:
        takedown.full_clean()
    except ValidationError as error:
        raise DossierError(" ".join(error.messages)) from None
    takedown.save()
    _event(dossier, EventKind.TAKEDOWN_REQUESTED, by=by, at=sent_at, takedown=takedown, note=note)
    return takedown


@transaction.atomic
def takedown_outcome_record(
    *,
    takedown_id: int,
    outcome: str,
    by=None,
    recheck_on: date | None = None,
    note: str = "",
    at: datetime | None = None,
) -> TakedownRequest:
    """What came of a request (or of a later check): removed, refused, no answer, or
    uploaded again; with the day to check again, if any."""
    at = at or timezone.now()
    if outcome not in TakedownOutcome.values or outcome == TakedownOutcome.PENDING:
        raise DossierError(_("Choose what came of the request."))
    dossier_id = TakedownRequest.objects.values_list("dossier_id", flat=True).get(pk=takedown_id)
    dossier = _locked(dossier_id)
    _refuse_if_closed(dossier)
    if recheck_on is not None and recheck_on < timezone.localdate(at):
        raise DossierError(_("The day to check again cannot be in the past."))
    takedown = TakedownRequest.objects.get(pk=takedown_id)
    takedown.outcome = outcome
    takedown.outcome_at = at
    takedown.recheck_on = recheck_on
    takedown._history_user = by
    takedown.save(update_fields=["outcome", "outcome_at", "recheck_on"])
    _event(
        dossier,
        EventKind.TAKEDOWN_OUTCOME,
        by=by,
        at=at,
        takedown=takedown,
        detail=outcome,
        note=note.strip(),
    )
    return takedown


@transaction.atomic
def referral_record(
    *,
    dossier_id: int,
    kind: str,
    referred_on: date,
    by=None,
    note: str = "",
    at: datetime | None = None,
) -> Referral:
    if kind not in ReferralKind.values:
        raise DossierError(_("Choose where the person was referred to."))
    dossier = _locked(dossier_id)
    _refuse_if_closed(dossier)
    if referred_on > timezone.localdate():
        raise DossierError(_("The date of the referral cannot be in the future."))
    _not_before_receipt(dossier, referred_on, _("The date of the referral"))
    referral = Referral.objects.create(
        dossier=dossier, kind=kind, referred_on=referred_on, created_by=by
    )
    _event(dossier, EventKind.REFERRAL_MADE, by=by, at=at, referral=referral, note=note.strip())
    return referral


@transaction.atomic
def referral_outcome_record(
    *,
    referral_id: int,
    outcome: str,
    outcome_on: date | None = None,
    by=None,
    note: str = "",
    at: datetime | None = None,
) -> Referral:
    if outcome not in ReferralOutcome.values or outcome == ReferralOutcome.PENDING:
        raise DossierError(_("Choose what came of the referral."))
    dossier_id = Referral.objects.values_list("dossier_id", flat=True).get(pk=referral_id)
    dossier = _locked(dossier_id)
    referral = Referral.objects.get(pk=referral_id)
    outcome_on = outcome_on or timezone.localdate()
    if outcome_on < referral.referred_on or outcome_on > timezone.localdate():
        raise DossierError(_("The outcome date must lie between the referral and today."))
    referral.outcome = outcome
    referral.outcome_on = outcome_on
    referral._history_user = by
    referral.save(update_fields=["outcome", "outcome_on"])
    _event(
        dossier,
        EventKind.REFERRAL_OUTCOME,
        by=by,
        at=at,
        referral=referral,
        detail=outcome,
        note=note.strip(),
    )
    return referral


def referrals_suggested(dossier: Dossier, referrals: Iterable[Referral]) -> list[ReferralKind]:
    """Referrals the situation calls for and that are not recorded yet: child protection
    whenever a minor is involved, StopNCII.org for images that can be hashed."""
    done = {referral.kind for referral in referrals}
    minor = dossier.involves_minor or AgeBand(dossier.person_age_band).is_minor
    suggested = []
    if minor and ReferralKind.CHILD_PROTECTION not in done:
        suggested.append(ReferralKind.CHILD_PROTECTION)
    if (dossier.form_ncii or dossier.form_sextortion) and ReferralKind.STOPNCII not in done:
        suggested.append(ReferralKind.STOPNCII)
    return suggested


def evidence_attach(
    *,
    dossier: Dossier,
    uploads: Sequence[UploadedFile],
    saved: list[str],
    from_reporter: bool = True,
) -> list[Evidence]:
    """Check and store evidence files for a saved dossier.

    Appends every stored file's name to ``saved`` (see ``files_removed_on_failure``)
    so the caller can take the files back if its transaction fails. Runs inside the
    caller's transaction, which holds the dossier's row lock from here on, so the
    dossier's limits on files (``EVIDENCE_MAX_FILES_PER_DOSSIER`` and
    ``EVIDENCE_MAX_MB_PER_DOSSIER``) hold however many posts arrive at once.
    """
    _locked(dossier.pk)  # the lock, and the refusal of an anonymised dossier
    signatures = check_evidence_files(list(uploads))
    if uploads:
        check_dossier_evidence_room(dossier=dossier, uploads=uploads)
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
    with files_removed_on_failure() as saved, transaction.atomic():
        dossier = _locked(dossier_id)
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
            evidence_attach(dossier=dossier, uploads=uploads, saved=saved)
            events.append(DossierEvent(dossier=dossier, at=now, kind=EventKind.EVIDENCE_ADDED))
        for event in events:
            event.save()
        if events:
            notify_reporter_added(dossier=dossier, at=now)
    return events
