"""A full evidence disk: the file is refused whole, nothing is left on disk (not a
partial file, not an empty one), the person is told what to do in their language, the
administrators are alerted, and the next uploads are not poisoned by the first."""

from __future__ import annotations

import errno
import logging
import os
import subprocess
import types
from html import unescape
from pathlib import Path

import pytest
from django.core.files.storage import filesystem
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from cases import receipts
from cases.models import Dossier, DossierEvent, Evidence
from tests.factories import DossierFactory
from tests.helpers import png
from tests.intake.conftest import report_data

pytestmark = pytest.mark.django_db

DISK_BYTES = 1024 * 1024
NOT_STORED = (
    "We could not store your files, so your report was not sent. Please try again later, or "
    "send it without the files: you can add them later with your receipt code."
)


def _mount_small_tmpfs(folder: Path) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    return mounted.returncode == 0


class _FillingFile:
    """A file on a disk of DISK_BYTES under ``root``: a write takes what room the files
    there leave, then fails with ENOSPC, as on a full disk."""

    def __init__(self, real, root: Path) -> None:
        self.real, self.root = real, root

    def write(self, data):
        self.real.flush()
        room = max(DISK_BYTES - sum(p.stat().st_size for p in _files(self.root)), 0)
        self.real.write(data[:room])
        if room < len(data):
            self.real.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return len(data)

    def close(self):
        self.real.close()


@pytest.fixture(params=["tmpfs", "failing writes"])
def full_disk(request, settings, tmp_path, monkeypatch):
    """The evidence folder on a disk of 1 MB: a real tmpfs where this machine lets the
    test mount one, and in any case a storage whose writes stop with ENOSPC once 1 MB is
    written (what a full disk does to a write)."""
    root = tmp_path / "private"
    settings.PRIVATE_STORAGE_ROOT = root
    if request.param == "tmpfs" and _mount_small_tmpfs(root):
        yield root
        subprocess.run(["umount", str(root)], check=False)
        return
    # Mounting needs root (CI and this machine have it); elsewhere, the failing writes.
    real_fdopen = os.fdopen
    patched_os = types.SimpleNamespace(**{n: getattr(os, n) for n in dir(os) if n[0] != "_"})
    patched_os.fdopen = lambda fd, mode="r", *a, **k: _FillingFile(
        real_fdopen(fd, mode, *a, **k), root
    )
    monkeypatch.setattr(filesystem, "os", patched_os)
    root.mkdir(exist_ok=True)
    yield root


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _big_file(name: str = "screenshot.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png(b"\x01" * (1536 * 1024)), content_type="image/png")


def test_a_report_whose_file_does_not_fit_is_refused_whole_and_leaves_nothing(
    client, full_disk, caplog
):
    for attempt in range(3):  # a full disk must not poison the uploads after it
        response = client.post("/fr/report/", report_data(files=[_big_file()]))
        assert response.status_code == 503, attempt
        with translation.override("fr"):
            expected = translation.gettext(NOT_STORED)
        assert expected != NOT_STORED and expected in unescape(response.content.decode())
        assert not Dossier.objects.exists() and not Evidence.objects.exists()
        assert _files(full_disk) == []  # no partial file, no empty one
    alerts = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert alerts and "ENOSPC" in alerts[0].getMessage()
    assert "Lotte" not in caplog.text and "screenshot" not in caplog.text

    # Without the file the same report goes through, and a small file still fits.
    assert client.post("/fr/report/", report_data()).status_code == 200
    small = SimpleUploadedFile("small.png", png(b"\x02" * 1024), content_type="image/png")
    assert client.post("/fr/report/", report_data(files=[small])).status_code == 200
    assert Dossier.objects.count() == 2 and len(_files(full_disk)) == 1


def test_a_follow_up_whose_file_does_not_fit_adds_nothing(client, full_disk):
    code = receipts.receipt_code_for(receipts.new_submission_token())
    dossier = DossierFactory(receipt_hash=receipts.receipt_hash(code))
    client.post("/de/follow-up/", {"code": receipts.display(code)})
    response = client.post(
        "/de/follow-up/dossier/", {"message": "Hier ist ein Screenshot.", "files": [_big_file()]}
    )
    assert response.status_code == 503
    assert not DossierEvent.objects.filter(dossier=dossier, kind="message_from_reporter").exists()
    assert not Evidence.objects.exists() and _files(full_disk) == []


def test_check_evidence_lists_files_without_rows_and_rows_without_files(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    dossier = DossierFactory()
    kept = Evidence(dossier=dossier, content_type="image/png", size=10)
    kept.file.save("x", SimpleUploadedFile("a.png", png()), save=True)
    lost = Evidence(dossier=dossier, content_type="image/png", size=10)
    lost.file.save("x", SimpleUploadedFile("b.png", png()), save=True)
    Path(lost.file.path).unlink()
    orphan = settings.PRIVATE_STORAGE_ROOT / "evidence" / "2026" / "11" / "deadbeef"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"left by a failed write")
    os.utime(orphan, (0, 0))  # long ago: past the grace period

    out = []
    with pytest.raises(CommandError):
        call_command("check_evidence", stdout=types.SimpleNamespace(write=out.append))
    text = "".join(out)
    assert "file without a row: evidence/2026/11/deadbeef" in text
    assert f"row without a file: evidence {lost.pk}" in text
    assert kept.file.name not in text

    with pytest.raises(CommandError):  # the lost file is still lost
        call_command(
            "check_evidence", "--delete-orphans", stdout=types.SimpleNamespace(write=out.append)
        )
    assert not orphan.exists() and Path(kept.file.path).exists()
