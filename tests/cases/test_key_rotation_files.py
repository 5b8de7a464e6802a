"""Key rotation takes the evidence files along: after `reencrypt` the old key can go and
every file still downloads as it was sent."""

from __future__ import annotations

import io
import os
import time

import pytest
from cryptography.fernet import Fernet
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from cases import keyrotation
from cases.models import Dossier, Evidence
from cases.retention import dossier_anonymise
from cases.services import dossier_assign, dossier_close, dossier_triage, evidence_attach
from tests.factories import DossierFactory
from tests.helpers import png

pytestmark = pytest.mark.django_db

PNG = png(os.urandom(2048))
PDF = b"%PDF-1.7\n" + os.urandom(4096)
JPEG = b"\xff\xd8\xff\xe0" + os.urandom(1024)


def _attach(dossier, *contents: bytes) -> list[Evidence]:
    uploads = [SimpleUploadedFile(f"file-{n}", data) for n, data in enumerate(contents)]
    return evidence_attach(dossier=dossier, uploads=uploads, saved=[])


def _reencrypt(*args: str) -> str:
    out = io.StringIO()
    call_command("reencrypt", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _raw(evidence: Evidence, settings) -> bytes:
    return (settings.PRIVATE_STORAGE_ROOT / evidence.file.name).read_bytes()


@pytest.fixture
def files(users, settings):
    """Three files of two dossiers, uploaded under the current key (key A)."""
    first, second = DossierFactory(), DossierFactory()
    for dossier in (first, second):
        dossier_assign(dossier_id=dossier.pk, to=users["caseworker"])
    attached = _attach(first, PNG, PDF) + _attach(second, JPEG)
    return {
        evidence.pk: content for evidence, content in zip(attached, [PNG, PDF, JPEG], strict=True)
    }


def test_files_uploaded_under_the_old_key_download_unchanged_with_the_new_key_alone(
    settings, files, client, users
):
    key_a = settings.FIELD_ENCRYPTION_KEYS[0]
    key_b = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [key_b, key_a]

    output = _reencrypt()
    assert "evidence files: 3 checked, 3 moved to the newest key" in output
    assert "and 3 files re-encrypted." in output
    for evidence in Evidence.objects.all():
        Fernet(key_b).decrypt(_raw(evidence, settings))  # raises if not under key B

    settings.FIELD_ENCRYPTION_KEYS = [key_b]
    client.force_login(users["caseworker"])
    for evidence in Evidence.objects.all():
        url = reverse("cases:evidence-download", args=[evidence.dossier_id, evidence.pk])
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == files[evidence.pk]
    # Nothing left beside the files (no temporary copies).
    stored = {p.name for p in settings.PRIVATE_STORAGE_ROOT.rglob("*") if p.is_file()}
    assert stored == {os.path.basename(e.file.name) for e in Evidence.objects.all()}

    assert "Done: 0 values and 0 files re-encrypted." in _reencrypt()


def test_check_changes_nothing_and_fails_while_anything_is_under_an_older_key(settings, files):
    key_a = settings.FIELD_ENCRYPTION_KEYS[0]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), key_a]
    before = {e.pk: _raw(e, settings) for e in Evidence.objects.all()}

    with pytest.raises(CommandError) as refused:
        _reencrypt("--check")
    assert refused.value.returncode == 1
    assert "3 files are still under an older key" in str(refused.value)
    assert {e.pk: _raw(e, settings) for e in Evidence.objects.all()} == before

    _reencrypt()
    assert "Everything is under the newest key." in _reencrypt("--check")


def test_check_fails_when_only_a_file_is_left_behind(settings, files):
    """The database alone being on the new key is not enough to drop the old one."""
    key_a = settings.FIELD_ENCRYPTION_KEYS[0]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), key_a]
    keyrotation.reencrypt_all()  # columns only, as the command did before
    with pytest.raises(CommandError, match="0 values and 3 files"):
        _reencrypt("--check")


def test_a_file_under_no_configured_key_is_reported_and_left_as_it_is(settings, files):
    evidence = Evidence.objects.first()
    stranger = Fernet(Fernet.generate_key()).encrypt(b"from elsewhere")
    (settings.PRIVATE_STORAGE_ROOT / evidence.file.name).write_bytes(stranger)
    settings.FIELD_ENCRYPTION_KEYS = [
        Fernet.generate_key().decode(),
        *settings.FIELD_ENCRYPTION_KEYS,
    ]
    with pytest.raises(CommandError, match="could not be read"):
        _reencrypt()
    assert _raw(evidence, settings) == stranger
    with pytest.raises(CommandError):
        _reencrypt("--check")


def test_a_failed_write_leaves_the_old_file_whole(settings, files, monkeypatch):
    key_a = settings.FIELD_ENCRYPTION_KEYS[0]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), key_a]
    before = {e.pk: _raw(e, settings) for e in Evidence.objects.all()}

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(keyrotation.os, "replace", disk_full)
    with pytest.raises(OSError):
        _reencrypt()
    assert {e.pk: _raw(e, settings) for e in Evidence.objects.all()} == before
    leftovers = list(settings.PRIVATE_STORAGE_ROOT.rglob(f"*{keyrotation.SWAP_SUFFIX}"))
    assert leftovers == []


def test_rotation_never_writes_back_a_file_retention_erased(
    settings, users, django_capture_on_commit_callbacks
):
    dossier = DossierFactory()
    (evidence,) = _attach(dossier, PNG)
    path = settings.PRIVATE_STORAGE_ROOT / evidence.file.name
    dossier_triage(dossier_id=dossier.pk, accept=True)
    dossier_close(dossier_id=dossier.pk, closure_reason="other")
    settings.FIELD_ENCRYPTION_KEYS = [
        Fernet.generate_key().decode(),
        *settings.FIELD_ENCRYPTION_KEYS,
    ]
    with pytest.MonkeyPatch.context() as patch:
        real = keyrotation._reencrypt_file

        def erased_meanwhile(pk, result, *, check):
            # Retention runs between the listing of files and the swap of this one.
            with django_capture_on_commit_callbacks(execute=True):
                dossier_anonymise(Dossier.objects.get(pk=dossier.pk))
            real(pk, result, check=check)

        patch.setattr(keyrotation, "_reencrypt_file", erased_meanwhile)
        _reencrypt()
    assert not path.exists()
    assert not Evidence.objects.filter(pk=evidence.pk).exists()


def test_a_copy_left_by_an_interrupted_run_is_found_by_the_check_and_removed_by_a_run(
    settings, files
):
    evidence = Evidence.objects.first()
    path = settings.PRIVATE_STORAGE_ROOT / evidence.file.name
    copy = path.with_name(path.name + keyrotation.SWAP_SUFFIX)
    copy.write_bytes(path.read_bytes())  # a run killed between its write and its rename
    old = time.time() - keyrotation.STALE_SWAP_SECONDS - 60
    os.utime(copy, (old, old))

    with pytest.raises(CommandError):
        _reencrypt("--check")
    assert copy.exists()
    assert "1 copies left by an interrupted run removed" in _reencrypt()
    assert not copy.exists()
    assert "Everything is under the newest key." in _reencrypt("--check")


def test_retention_removes_a_copy_left_beside_a_file(
    settings, users, django_capture_on_commit_callbacks
):
    dossier = DossierFactory()
    (evidence,) = _attach(dossier, PNG)
    path = settings.PRIVATE_STORAGE_ROOT / evidence.file.name
    copy = path.with_name(path.name + keyrotation.SWAP_SUFFIX)
    copy.write_bytes(path.read_bytes())
    dossier_triage(dossier_id=dossier.pk, accept=True)
    dossier_close(dossier_id=dossier.pk, closure_reason="other")
    with django_capture_on_commit_callbacks(execute=True):
        dossier_anonymise(Dossier.objects.get(pk=dossier.pk))
    assert not path.exists() and not copy.exists()
