import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection

from cases.encryption import DecryptionError
from cases.models import DOSSIER_PERSONAL_FIELDS, ContentLocation, Dossier, DossierEvent
from tests.factories import DossierFactory, location

pytestmark = pytest.mark.django_db

SECRET_EMAIL = "lotte.secret@example.invalid"
SECRET_STORY = "My ex posted the video on a forum called plaintext-marker-7731"
SECRET_URL = "https://forum.example/thread/plaintext-marker-url-4410"


def _raw_rows(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
        return cursor.fetchall()


def _all_raw_text() -> str:
    tables = [
        t for t in connection.introspection.table_names() if t.startswith(("cases_", "intake_"))
    ]
    return "\n".join(repr(row) for table in tables for row in _raw_rows(table))


PERSONAL_VALUES = {
    "reporter_name": "Lotte Secret",
    "reporter_email": SECRET_EMAIL,
    "reporter_phone": "+32 470 98 76 54",
    "organisation_name": "Atheneum plaintext-marker-school",
    "safe_contact_instructions": "Only after 18:00, plaintext-marker-safe",
    "description": SECRET_STORY,
}


def _make_secret_dossier() -> Dossier:
    assert set(PERSONAL_VALUES) == set(DOSSIER_PERSONAL_FIELDS)
    dossier = DossierFactory(
        **PERSONAL_VALUES,
        locations=[location(url=SECRET_URL, platform_name="insta @plaintext.marker")],
    )
    # A second save writes a second history row, as an edit would.
    dossier.reporter_phone = "+32 470 12 34 56"
    dossier.save()
    return dossier


def test_plaintext_is_in_no_raw_column_and_no_history_table():
    dossier = _make_secret_dossier()
    assert Dossier.history.filter(id=dossier.pk).count() == 2
    assert ContentLocation.history.count() == 1

    raw = _all_raw_text()
    secrets = [*PERSONAL_VALUES.values(), SECRET_URL, "@plaintext.marker", "470 12 34 56"]
    for secret in secrets:
        assert secret not in raw
    assert "plaintext-marker" not in raw
    # The secret round-trips through the ORM all the same.
    fresh = Dossier.objects.get(pk=dossier.pk)
    for field in DOSSIER_PERSONAL_FIELDS:
        expected = "+32 470 12 34 56" if field == "reporter_phone" else PERSONAL_VALUES[field]
        assert getattr(fresh, field) == expected
    assert fresh.locations.get().url == SECRET_URL


def test_history_tables_have_no_personal_columns():
    history_columns = {f.name for f in Dossier.history.model._meta.fields}
    assert history_columns.isdisjoint(DOSSIER_PERSONAL_FIELDS)
    location_columns = {f.name for f in ContentLocation.history.model._meta.fields}
    assert location_columns.isdisjoint({"url", "platform_name"})


def test_equality_lookups_on_encrypted_fields_are_refused():
    with pytest.raises(FieldError):
        list(Dossier.objects.filter(reporter_email=SECRET_EMAIL))
    assert Dossier.objects.filter(reporter_email__isnull=True).count() == 0


def _raw_email_token(pk: int) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reporter_email FROM cases_dossier WHERE id = %s", [pk])
        return cursor.fetchone()[0].encode()


def test_rotation_keeps_old_rows_readable_and_reencrypt_moves_them(settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    dossier = _make_secret_dossier()
    event_note = DossierEvent.objects.create(dossier=dossier, kind="note", note="call back Friday")

    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    # Old rows still read with the new key in front.
    assert Dossier.objects.get(pk=dossier.pk).reporter_email == SECRET_EMAIL
    with pytest.raises(Exception):  # noqa: B017 - any failure: not on the new key yet
        Fernet(new_key).decrypt(_raw_email_token(dossier.pk))

    call_command("reencrypt", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert Fernet(new_key).decrypt(_raw_email_token(dossier.pk)).decode() == SECRET_EMAIL
    # Once moved, the old key can go: everything still reads with the new key alone.
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    fresh = Dossier.objects.get(pk=dossier.pk)
    assert (fresh.reporter_email, fresh.description) == (SECRET_EMAIL, SECRET_STORY)
    assert fresh.locations.get().url == SECRET_URL
    assert DossierEvent.objects.get(pk=event_note.pk).note == "call back Friday"
    # Re-encryption writes no history rows and is idempotent.
    assert Dossier.history.filter(id=dossier.pk).count() == 2


def test_reencrypt_reports_nothing_left_on_a_second_run(settings, capsys):
    _make_secret_dossier()
    settings.FIELD_ENCRYPTION_KEYS = [
        Fernet.generate_key().decode(),
        *settings.FIELD_ENCRYPTION_KEYS,
    ]
    call_command("reencrypt")
    first = capsys.readouterr().out
    call_command("reencrypt")
    second = capsys.readouterr().out
    assert "Done: 0 values" not in first
    assert "Done: 0 values and 0 files re-encrypted." in second


def test_a_value_under_an_unknown_key_fails_loudly_without_showing_the_token(settings):
    dossier = _make_secret_dossier()
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(DecryptionError) as excinfo:
        Dossier.objects.get(pk=dossier.pk)
    assert "gAAAA" not in str(excinfo.value)


def test_reencrypt_never_undoes_an_edit_made_while_it_runs(settings, monkeypatch):
    import cases.keyrotation as keyrotation

    dossier = _make_secret_dossier()
    settings.FIELD_ENCRYPTION_KEYS = [
        Fernet.generate_key().decode(),
        *settings.FIELD_ENCRYPTION_KEYS,
    ]
    real_rotate = keyrotation.rotate

    def rotate_while_staff_edit(token: bytes) -> bytes:
        # Between the command's read and its write, someone edits the description.
        Dossier.objects.filter(pk=dossier.pk).update(description="corrected by staff")
        return real_rotate(token)

    monkeypatch.setattr(keyrotation, "rotate", rotate_while_staff_edit)
    call_command("reencrypt", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Dossier.objects.get(pk=dossier.pk).description == "corrected by staff"
