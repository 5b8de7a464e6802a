"""Retention: a closed dossier's personal data are erased for good, its coded columns
stay exactly as they were, and a refused or failed erasure changes nothing."""

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone, translation

from cases import receipts
from cases.choices import (
    AccessAction,
    ClosureReason,
    ContactMethod,
    EventKind,
    LegalBasis,
    Priority,
    ReferralKind,
    ReferralOutcome,
    Status,
    TakedownMethod,
    TakedownOutcome,
    YesNoUnknown,
)
from cases.keyrotation import encrypted_fields
from cases.models import (
    DOSSIER_PERSONAL_FIELDS,
    AccessLogEntry,
    ContentLocation,
    Dossier,
    DossierEvent,
    Evidence,
    OutboxMessage,
    Referral,
    TakedownRequest,
)
from cases.outbox import outbox_deliver
from cases.retention import dossier_anonymise, dossiers_due_for_anonymisation
from cases.services import (
    ActionRefused,
    dossier_assign,
    dossier_close,
    dossier_contact_record,
    dossier_message_reporter,
    dossier_note_add,
    dossier_reopen,
    dossier_triage,
    dossier_update_details,
    dossier_wait,
    referral_outcome_record,
    referral_record,
    report_submit,
    reporter_followup_add,
    takedown_outcome_record,
    takedown_request_record,
)
from cases.storage import private_storage
from tests.factories import DossierFactory, location
from tests.helpers import PNG

pytestmark = pytest.mark.django_db

# Every encrypted column, by model: what retention erases. A new encrypted field makes
# test_every_encrypted_column_is_accounted_for fail until it is decided on here.
PERSONAL_COLUMNS = {
    Dossier: list(DOSSIER_PERSONAL_FIELDS),
    ContentLocation: ["platform_name", "url"],
    TakedownRequest: ["sent_to", "notice_text", "out_of_court_body"],
    DossierEvent: ["note"],
    Evidence: ["original_name"],
    OutboxMessage: ["recipient"],
}
# Written into the dossier below; none of them may be found anywhere afterwards.
MARKERS = [
    "Lotte Markerson",
    "lotte.markerson@example.invalid",
    "+32 470 99 88 77",
    "Sint-Markerschool",
    "only call after six",
    "my ex-boyfriend Markus posted",
    "markers-account",
    "https://leak.example/p/marker",
    "abuse-desk-marker@platform.example",
    "internal note about Markus",
    "message to Lotte marker",
    "reporter adds Markus's new account",
    "contact note marker",
    "closing note marker",
    "threat-from-markus.png",
]
TIMELINE_FIELDS = ["kind", "at", "actor_id", "old_status", "new_status", "detail", "takedown_id"]


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def _raw_personal(dossier: Dossier) -> dict:
    """The stored (encrypted) personal columns of the dossier and its rows, read with a
    cursor: what is on disk, not what the ORM decrypts."""
    found = {}
    with connection.cursor() as cursor:
        for model, names in PERSONAL_COLUMNS.items():
            columns = ", ".join(_quoted(model._meta.get_field(name).column) for name in names)
            key = "id" if model is Dossier else "dossier_id"
            cursor.execute(
                f"SELECT id, {columns} FROM {_quoted(model._meta.db_table)} "  # noqa: S608
                f"WHERE {_quoted(key)} = %s ORDER BY id",
                [dossier.pk],
            )
            for row in cursor.fetchall():
                found[(model.__name__, row[0])] = dict(zip(names, row[1:], strict=True))
        cursor.execute(
            f"SELECT receipt_hash, submission_hash FROM {_quoted(Dossier._meta.db_table)} "  # noqa: S608
            "WHERE id = %s",
            [dossier.pk],
        )
        found["hashes"] = cursor.fetchone()
    return found


def _everything_stored() -> str:
    """Every value of every row of every table, as one text to search."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {_quoted(table)}")  # noqa: S608
            parts.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(parts)


def _coded(dossier: Dossier) -> dict:
    """What statistics and the audit read: everything but the erased columns (and the
    save's own timestamp), plus the coded rows around the dossier."""
    erased = {*DOSSIER_PERSONAL_FIELDS, "receipt_hash", "submission_hash", "anonymised_at"}
    names = [
        field.attname
        for field in Dossier._meta.concrete_fields
        if field.name not in erased | {"updated_at"}
    ]
    return {
        "dossier": Dossier.objects.filter(pk=dossier.pk).values(*names).get(),
        "locations": list(
            ContentLocation.objects.filter(dossier=dossier).values("id", "platform_kind")
        ),
        "takedowns": list(
            TakedownRequest.objects.filter(dossier=dossier).values(
                "id", "location_id", "sent_at", "method", "legal_basis", "deadline", "outcome"
            )
        ),
        "referrals": list(Referral.objects.filter(dossier=dossier).values()),
        "access_log": list(
            AccessLogEntry.objects.filter(dossier=dossier).values("id", "user_id", "action")
        ),
        "timeline": list(
            DossierEvent.objects.filter(dossier=dossier).order_by("id").values(*TIMELINE_FIELDS)
        ),
        "history": list(dossier.history.order_by("history_id").values()),
    }


def _files(dossier: Dossier) -> list[str]:
    return list(Evidence.objects.filter(dossier=dossier).values_list("file", flat=True))


def _closed_days_ago(days: int, **kwargs) -> Dossier:
    closed_at = timezone.now() - timedelta(days=days)
    dossier = DossierFactory(received_at=closed_at - timedelta(days=30), **kwargs)
    dossier_triage(dossier_id=dossier.pk, accept=True, at=closed_at)
    dossier_close(dossier_id=dossier.pk, closure_reason=ClosureReason.OTHER, at=closed_at)
    return dossier


@pytest.fixture
def closed(users):
    """A dossier reported through the form and handled in every way that stores
    something personal, then closed: (dossier, receipt code, evidence file names)."""
    token = receipts.new_submission_token()
    now = timezone.now()
    submitted = report_submit(
        dossier=DossierFactory.build(
            reporter_name=MARKERS[0],
            reporter_email=MARKERS[1],
            reporter_phone=MARKERS[2],
            organisation_name=MARKERS[3],
            safe_contact_instructions=MARKERS[4],
            description=MARKERS[5],
            form_sextortion=True,
            wants_acknowledgement=True,
            threat_active=YesNoUnknown.YES,
            threat_deadline=now + timedelta(days=2),
            person_minor_on_images=YesNoUnknown.YES,
            images_made_by=["self"],
            steps_taken=["asked_author"],
        ),
        locations=[location(platform_name=MARKERS[6], url=MARKERS[7])],
        uploads=[SimpleUploadedFile(MARKERS[14], PNG)],
        submission_token=token,
        language="nl",
    )
    dossier = submitted.dossier
    worker = users["caseworker"]
    dossier_assign(dossier_id=dossier.pk, to=worker, by=users["coordinator"])
    dossier_triage(dossier_id=dossier.pk, accept=True, by=worker)
    takedown = takedown_request_record(
        location_id=dossier.locations.get().pk,
        sent_to=MARKERS[8],
        method=TakedownMethod.EMAIL,
        legal_basis=LegalBasis.DSA_NOTICE,
        by=worker,
        notice_language="nl",
    )
    assert MARKERS[7] in takedown.notice_text
    takedown_outcome_record(takedown_id=takedown.pk, outcome=TakedownOutcome.REMOVED, by=worker)
    referral = referral_record(
        dossier_id=dossier.pk, kind=ReferralKind.POLICE, referred_on=timezone.localdate()
    )
    referral_outcome_record(referral_id=referral.pk, outcome=ReferralOutcome.TAKEN_UP)
    dossier_note_add(dossier_id=dossier.pk, text=MARKERS[9], by=worker)
    dossier_message_reporter(dossier_id=dossier.pk, text=MARKERS[10], by=worker)
    reporter_followup_add(
        dossier_id=dossier.pk,
        message=MARKERS[11],
        location=None,
        uploads=[SimpleUploadedFile("second.png", PNG)],
    )
    dossier_contact_record(
        dossier_id=dossier.pk, method=ContactMethod.PHONE, note=MARKERS[12], by=worker
    )
    dossier_update_details(
        dossier_id=dossier.pk, changes={"reporter_phone": "+32 470 99 88 78"}, by=worker
    )
    AccessLogEntry.objects.create(
        dossier=dossier,
        user=worker,
        action=AccessAction.DOWNLOAD,
        evidence=dossier.evidence.first(),
    )
    dossier_close(
        dossier_id=dossier.pk,
        closure_reason=ClosureReason.CONTENT_REMOVED,
        note=MARKERS[13],
        by=worker,
    )
    dossier.refresh_from_db()
    names = _files(dossier)
    assert len(names) == 2 and all(private_storage.exists(name) for name in names)
    return dossier, receipts.display(submitted.receipt_code), names


def test_every_encrypted_column_is_accounted_for():
    encrypted = {(model, field.name) for model, fields in encrypted_fields() for field in fields}
    listed = {(model, name) for model, names in PERSONAL_COLUMNS.items() for name in names}
    assert encrypted == listed


def test_the_personal_columns_are_empty_in_the_database_and_the_files_gone(
    closed, users, django_capture_on_commit_callbacks
):
    dossier, _code, names = closed
    before = _raw_personal(dossier)
    assert all(before[("Dossier", dossier.pk)].values())  # all six were stored
    assert all(value for value in before["hashes"])
    with django_capture_on_commit_callbacks(execute=True):
        dossier_anonymise(dossier, by=users["coordinator"])

    after = _raw_personal(dossier)
    assert after.pop("hashes") == (None, None)
    assert not [key for key in after if key[0] == "Evidence"]
    for key, columns in after.items():
        assert columns == dict.fromkeys(columns, ""), key
    # Whom the dossier was assigned to is an account, not free text: it stays.
    assignments = dossier.events.filter(kind=EventKind.ASSIGNED)
    assert assignments.exists()
    assert all(event.assignee is not None for event in assignments)
    assert Evidence.objects.filter(dossier=dossier).count() == 0
    for name in names:
        assert not private_storage.exists(name)
        assert not (Path(private_storage.location) / name).exists()


def test_nothing_personal_is_left_anywhere_in_the_database(
    closed, users, django_capture_on_commit_callbacks
):
    dossier, _code, _names = closed
    stored = _raw_personal(dossier)
    assignment_notes = set(
        DossierEvent.objects.filter(dossier=dossier, kind=EventKind.ASSIGNED).values_list(
            "id", flat=True
        )
    )
    secrets = {
        value
        for key, columns in stored.items()
        if key != "hashes" and not (key[0] == "DossierEvent" and key[1] in assignment_notes)
        for value in columns.values()
        if value
    } | set(stored["hashes"])
    everything = _everything_stored()
    assert MARKERS[0] not in everything  # encrypted, not stored in clear
    assert all(secret in everything for secret in secrets)

    with django_capture_on_commit_callbacks(execute=True):
        dossier_anonymise(dossier, by=users["coordinator"])

    everything = _everything_stored()
    left = [secret for secret in [*secrets, *MARKERS] if secret in everything]
    assert left == []


def test_no_history_table_has_a_column_for_what_is_erased():
    for model, names in PERSONAL_COLUMNS.items():
        history = getattr(model, "history", None)
        if history is None:
            continue
        columns = {field.name for field in history.model._meta.concrete_fields}
        assert not columns & {*names, "receipt_hash", "submission_hash"}, model


def test_every_coded_column_and_coded_row_stays(closed, users, django_capture_on_commit_callbacks):
    dossier, _code, _names = closed
    before = _coded(dossier)
    assert before["dossier"]["priority"] == Priority.URGENT
    assert before["dossier"]["threat_deadline"] is not None
    assert before["takedowns"] and before["referrals"] and before["access_log"]
    with django_capture_on_commit_callbacks(execute=True):
        dossier_anonymise(dossier, by=users["coordinator"])
    after = _coded(dossier)

    # The files are counted: the one coded column anonymisation writes.
    assert before["dossier"]["evidence_files_erased"] == 0
    assert after["dossier"] == {**before["dossier"], "evidence_files_erased": len(_names)}
    for part in ["locations", "takedowns", "referrals"]:
        assert after[part] == before[part], part
    # The download stays logged; the file it named is gone.
    assert after["access_log"] == before["access_log"]
    assert not AccessLogEntry.objects.filter(dossier=dossier, evidence__isnull=False).exists()
    # The timeline gains one event; the anonymisation adds one history record.
    assert after["timeline"][:-1] == before["timeline"]
    last = after["timeline"][-1]
    assert (last["kind"], last["actor_id"]) == (EventKind.ANONYMISED, users["coordinator"].pk)
    assert after["history"][:-1] == before["history"]
    record = dossier.history.order_by("history_id").last()
    assert record.anonymised_at is not None
    assert record.history_user == users["coordinator"]


def test_the_receipt_code_no_longer_opens_the_follow_up_page(closed, client):
    dossier, code, _names = closed
    with translation.override("en"):
        start, page = reverse("intake:followup-start"), reverse("intake:followup")
    assert client.post(start, {"code": code})["Location"] == page  # works before
    assert client.get(page).status_code == 200

    dossier_anonymise(dossier)

    # A follow-up left open is closed, and the code is refused like a wrong one.
    assert client.get(page)["Location"] == start
    refused = client.post(start, {"code": code})
    assert refused.status_code == 400
    assert "This code did not work." in refused.content.decode()


def test_unsent_notifications_are_settled_and_never_mailed(
    closed, users, django_capture_on_commit_callbacks
):
    dossier, _code, _names = closed
    messages = OutboxMessage.objects.filter(dossier=dossier)
    sent_first = messages.order_by("id").first()
    assert outbox_deliver(message_id=sent_first.pk)
    sent_first.refresh_from_db()
    pending = list(messages.filter(sent_at__isnull=True).values_list("id", flat=True))
    assert len(pending) >= 2  # at least the acknowledgement and the news of a message
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        dossier_anonymise(dossier)

    assert not messages.filter(sent_at__isnull=True).exists()
    assert [outbox_deliver(message_id=pk) for pk in pending] == [False] * len(pending)
    assert mail.outbox == []
    assert messages.get(pk=sent_first.pk).sent_at == sent_first.sent_at
    assert set(messages.values_list("recipient", flat=True)) == {""}


@pytest.mark.parametrize(
    "status", [Status.NEW, Status.IN_PROGRESS, Status.WAITING], ids=lambda s: s.value
)
def test_a_dossier_that_is_not_closed_is_refused(status):
    dossier = DossierFactory(reporter_name="Still Open")
    if status != Status.NEW:
        dossier_triage(dossier_id=dossier.pk, accept=True)
    if status == Status.WAITING:
        dossier_wait(dossier_id=dossier.pk, waiting_for="reporter")
    before = (_raw_personal(dossier), _coded(dossier))
    with pytest.raises(ActionRefused):
        dossier_anonymise(dossier)
    assert (_raw_personal(dossier), _coded(dossier)) == before
    dossier.refresh_from_db()
    assert (dossier.reporter_name, dossier.anonymised_at) == ("Still Open", None)


def test_a_second_run_is_refused_and_changes_nothing(closed):
    dossier, _code, _names = closed
    first = dossier_anonymise(dossier, at=timezone.now() - timedelta(hours=1))
    before = (_raw_personal(dossier), _coded(dossier), first.anonymised_at)
    with translation.override("en"), pytest.raises(ActionRefused, match="already been erased"):
        dossier_anonymise(dossier)
    dossier.refresh_from_db()
    assert (_raw_personal(dossier), _coded(dossier), dossier.anonymised_at) == before
    assert dossier.events.filter(kind=EventKind.ANONYMISED).count() == 1


def _wait_until_a_query_waits_for_a_lock() -> None:
    deadline = time.monotonic() + 20
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    pytest.fail("the second run never waited for the first one")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_run_at_the_same_time_waits_for_the_first_and_is_refused():
    dossier = _closed_days_ago(2000, reporter_name="Raced")
    outcomes: list[str] = []

    def second_run() -> None:
        try:
            dossier_anonymise(dossier)
            outcomes.append("erased")
        except ActionRefused:
            outcomes.append("refused")
        finally:
            connections.close_all()

    thread = threading.Thread(target=second_run)
    with transaction.atomic():
        dossier_anonymise(dossier)  # holds the row until this block commits
        thread.start()
        _wait_until_a_query_waits_for_a_lock()
    thread.join(timeout=30)

    assert outcomes == ["refused"]
    assert dossier.events.filter(kind=EventKind.ANONYMISED).count() == 1
    assert dossier.history.filter(anonymised_at__isnull=False).count() == 1


def test_a_failure_on_the_way_leaves_everything_as_it_was_files_included(
    closed, monkeypatch, django_capture_on_commit_callbacks
):
    dossier, _code, names = closed
    before = (_raw_personal(dossier), _coded(dossier), _files(dossier))
    outbox = list(OutboxMessage.objects.filter(dossier=dossier).values("id", "sent_at"))

    def fail(**kwargs):
        raise RuntimeError("the database went away")

    # The event is written last: by then every erasure above it has run.
    monkeypatch.setattr(DossierEvent.objects, "create", fail)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        dossier_anonymise(dossier)
    monkeypatch.undo()

    assert callbacks == []  # the file deletion was never due
    assert (_raw_personal(dossier), _coded(dossier), _files(dossier)) == before
    assert list(OutboxMessage.objects.filter(dossier=dossier).values("id", "sent_at")) == outbox
    for name in names:
        with private_storage.open(name) as stored:
            assert stored.read() == PNG
    assert Dossier.objects.get(pk=dossier.pk).anonymised_at is None
    assert Dossier.objects.get(pk=dossier.pk).reporter_name == MARKERS[0]


def test_files_are_deleted_only_once_the_erasure_is_committed(
    closed, django_capture_on_commit_callbacks
):
    dossier, _code, names = closed
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        dossier_anonymise(dossier)
    assert all(private_storage.exists(name) for name in names)  # not committed yet
    for callback in callbacks:
        callback()
    assert not any(private_storage.exists(name) for name in names)


def test_a_file_that_cannot_be_deleted_is_logged_by_its_random_name(
    closed, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    dossier, _code, names = closed
    stuck, other = names
    delete = private_storage.delete

    def refuse_one(name):
        if name == stuck:
            raise PermissionError(f"cannot remove {name} of {MARKERS[0]}")
        delete(name)

    monkeypatch.setattr(private_storage, "delete", refuse_one)
    with django_capture_on_commit_callbacks(execute=True):
        dossier_anonymise(dossier)

    assert private_storage.exists(stuck) and not private_storage.exists(other)
    assert Dossier.objects.get(pk=dossier.pk).anonymised_at is not None
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and stuck in errors[0] and "PermissionError" in errors[0]
    assert MARKERS[0] not in errors[0]


def test_due_are_the_closed_dossiers_older_than_the_retention_period(settings):
    settings.RETENTION_DAYS_AFTER_CLOSURE = 1825
    due = _closed_days_ago(1826)
    recent = _closed_days_ago(1824)
    done = _closed_days_ago(2000)
    dossier_anonymise(done)
    reopened = _closed_days_ago(3000)
    dossier_reopen(dossier_id=reopened.pk)
    DossierFactory(received_at=timezone.now() - timedelta(days=3000))  # never closed

    assert list(dossiers_due_for_anonymisation()) == [due]
    later = timezone.now() + timedelta(days=2)
    assert set(dossiers_due_for_anonymisation(now=later)) == {due, recent}
    settings.RETENTION_DAYS_AFTER_CLOSURE = 365
    assert set(dossiers_due_for_anonymisation()) == {due, recent}


def test_the_command_on_a_dry_run_only_counts(settings):
    settings.RETENTION_DAYS_AFTER_CLOSURE = 1825
    due = [_closed_days_ago(1900, reporter_name=f"Due {n}") for n in range(2)]
    _closed_days_ago(10)
    before = [(_raw_personal(d), _coded(d)) for d in due]
    out = StringIO()
    call_command("anonymise_dossiers", "--dry-run", stdout=out)
    assert "2 dossiers" in out.getvalue() and "would be anonymised" in out.getvalue()
    assert [(_raw_personal(d), _coded(d)) for d in due] == before
    assert not Dossier.objects.filter(anonymised_at__isnull=False).exists()


def test_the_command_anonymises_only_the_due_dossiers_and_prints_a_count_only(settings):
    settings.RETENTION_DAYS_AFTER_CLOSURE = 1825
    due = [_closed_days_ago(1900 + n, reporter_name=f"Due {n}") for n in range(3)]
    recent = _closed_days_ago(10, reporter_name="Recent One")
    still_open = DossierFactory(received_at=timezone.now() - timedelta(days=3000))
    out, err = StringIO(), StringIO()
    call_command("anonymise_dossiers", stdout=out, stderr=err)

    assert "3 dossiers" in out.getvalue() and "anonymised" in out.getvalue()
    for dossier in [*due, recent, still_open]:
        assert dossier.reference not in out.getvalue() + err.getvalue()
    assert "Due 0" not in out.getvalue()
    assert set(Dossier.objects.filter(anonymised_at__isnull=False)) == set(due)
    assert all(Dossier.objects.get(pk=d.pk).reporter_name == "" for d in due)
    assert Dossier.objects.get(pk=recent.pk).reporter_name == "Recent One"
    # A second run finds nothing left to do.
    out = StringIO()
    call_command("anonymise_dossiers", stdout=out)
    assert out.getvalue().startswith("0 dossiers")


def test_the_command_skips_a_dossier_reopened_after_it_was_listed(monkeypatch):
    from cases.management.commands import anonymise_dossiers

    due = _closed_days_ago(2000)
    reopened = _closed_days_ago(2000, reporter_name="Back Again")
    listed = list(Dossier.objects.filter(pk__in=[due.pk, reopened.pk]))
    dossier_reopen(dossier_id=reopened.pk)
    monkeypatch.setattr(
        anonymise_dossiers,
        "dossiers_due_for_anonymisation",
        lambda: Dossier.objects.filter(pk__in=[d.pk for d in listed]),
    )
    out = StringIO()
    call_command("anonymise_dossiers", stdout=out)
    assert out.getvalue().splitlines()[0].startswith("1 dossier closed")
    assert out.getvalue().splitlines()[1].startswith("1 dossier skipped")
    assert Dossier.objects.get(pk=reopened.pk).reporter_name == "Back Again"
    assert Dossier.objects.get(pk=due.pk).anonymised_at is not None


def test_the_command_takes_another_cut_off_day_but_not_one_in_the_future(settings):
    settings.RETENTION_DAYS_AFTER_CLOSURE = 1825
    recent = _closed_days_ago(10)
    newest = _closed_days_ago(0)
    day = (timezone.localdate() - timedelta(days=5)).isoformat()
    call_command("anonymise_dossiers", "--closed-before", day, stdout=StringIO())
    assert Dossier.objects.get(pk=recent.pk).anonymised_at is not None
    assert Dossier.objects.get(pk=newest.pk).anonymised_at is None
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    with pytest.raises(CommandError):
        call_command("anonymise_dossiers", "--closed-before", tomorrow, stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("anonymise_dossiers", "--closed-before", "31/12/2020", stdout=StringIO())
    assert Dossier.objects.get(pk=newest.pk).anonymised_at is None


def test_the_command_counts_closed_dossiers_without_a_closing_date(settings):
    settings.RETENTION_DAYS_AFTER_CLOSURE = 1825
    undated, imported = _closed_days_ago(3000), _closed_days_ago(3000)
    Dossier.objects.filter(pk__in=[undated.pk, imported.pk]).update(closed_at=None)
    # Imported records carry coded columns only and often no closing date: not counted.
    Dossier.objects.filter(pk=imported.pk).update(imported=True)
    out, err = StringIO(), StringIO()
    call_command("anonymise_dossiers", stdout=out, stderr=err)
    assert out.getvalue().startswith("0 dossiers")
    assert err.getvalue().startswith("1 dossier closed without a closing date")
    assert Dossier.objects.get(pk=undated.pk).anonymised_at is None


def test_the_dossier_page_still_opens_for_a_coordinator(
    closed, client, users, django_capture_on_commit_callbacks
):
    dossier, _code, _names = closed
    with django_capture_on_commit_callbacks(execute=True):
        dossier_anonymise(dossier, by=users["coordinator"])
    client.force_login(users["coordinator"])
    with translation.override("en"):
        response = client.get(reverse("cases:dossier-detail", args=[dossier.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "data-anonymised" in body
    assert 'data-event="anonymised"' in body
    assert dossier.reference in body
    assert [marker for marker in MARKERS if marker in body] == []


def _retention_setting(env: dict[str, str]) -> subprocess.CompletedProcess:
    """The setting as a fresh interpreter reads it from this environment alone."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.RETENTION_DAYS_AFTER_CLOSURE)",
        ],
        cwd=Path(__file__).resolve().parents[2],
        env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "institute.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_retention_period_is_five_years_unless_the_environment_says_otherwise():
    assert _retention_setting({}).stdout.strip() == "1825"
    assert _retention_setting({"RETENTION_DAYS_AFTER_CLOSURE": "3650"}).stdout.strip() == "3650"
    refused = _retention_setting({"RETENTION_DAYS_AFTER_CLOSURE": "0"})
    assert refused.returncode != 0
    assert "RETENTION_DAYS_AFTER_CLOSURE must be at least 1" in refused.stderr
