"""Long commands say how far they are on a terminal, print one summary line elsewhere,
and can be interrupted and run again: the second run finishes the job and does nothing
twice."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from cases.choices import ClosureReason
from cases.models import Dossier, Evidence
from cases.services import dossier_close, dossier_triage, evidence_attach
from tests.factories import DossierFactory
from tests.helpers import png

pytestmark = pytest.mark.django_db


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _closed_long_ago(count: int) -> list[Dossier]:
    closed_at = timezone.now() - timedelta(days=3000)
    dossiers = []
    for _ in range(count):
        dossier = DossierFactory(received_at=closed_at - timedelta(days=30))
        dossier_triage(dossier_id=dossier.pk, accept=True, at=closed_at)
        dossier_close(dossier_id=dossier.pk, closure_reason=ClosureReason.OTHER, at=closed_at)
        dossiers.append(dossier)
    return dossiers


def _interrupt_at(monkeypatch, target: str, call: int) -> list[int]:
    """Make the ``call``-th call of ``target`` a Ctrl-C; the calls that went through."""
    module, name = target.rsplit(".", 1)
    real = getattr(__import__(module, fromlist=[name]), name)
    calls = []

    def interrupted(*args, **kwargs):
        if len(calls) + 1 == call:
            raise KeyboardInterrupt
        calls.append(args or kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(target, interrupted)
    return calls


def test_anonymising_shows_its_progress_on_a_terminal_and_one_line_elsewhere(users):
    _closed_long_ago(3)
    terminal, log = Terminal(), io.StringIO()
    call_command("anonymise_dossiers", "--dry-run", stdout=io.StringIO(), stderr=terminal)
    call_command("anonymise_dossiers", stdout=io.StringIO(), stderr=terminal)
    assert "3/3" in terminal.getvalue() and "dossiers" in terminal.getvalue()
    _closed_long_ago(2)
    out = io.StringIO()
    call_command("anonymise_dossiers", stdout=out, stderr=log)
    assert log.getvalue() == "" and out.getvalue().count("\n") == 1


def test_anonymising_interrupted_then_run_again_erases_each_dossier_once(users, monkeypatch):
    dossiers = _closed_long_ago(5)
    calls = _interrupt_at(monkeypatch, "cases.retention.dossier_anonymise", 3)
    with pytest.raises(CommandError) as stopped:
        call_command("anonymise_dossiers", stdout=io.StringIO(), stderr=io.StringIO())
    assert stopped.value.returncode == 130
    assert "Interrupted after 2 of 5 dossiers" in str(stopped.value)
    first = {d.pk: d.anonymised_at for d in Dossier.objects.filter(anonymised_at__isnull=False)}
    assert len(first) == 2

    monkeypatch.undo()
    out = io.StringIO()
    call_command("anonymise_dossiers", stdout=out, stderr=io.StringIO())
    assert "3 dossiers" in out.getvalue() and len(calls) == 2
    assert all(d.anonymised_at for d in Dossier.objects.filter(pk__in=[d.pk for d in dossiers]))
    # Those erased by the first run were not erased again.
    assert {pk: Dossier.objects.get(pk=pk).anonymised_at for pk in first} == first


def test_reencrypting_interrupted_then_run_again_finishes_and_moves_nothing_twice(
    users, settings, monkeypatch
):
    for dossier in (DossierFactory(), DossierFactory()):
        uploads = [SimpleUploadedFile(f"f{n}.png", png(bytes([n]) * 100)) for n in range(3)]
        evidence_attach(dossier=dossier, uploads=uploads, saved=[])
    settings.FIELD_ENCRYPTION_KEYS = [
        Fernet.generate_key().decode(),
        *settings.FIELD_ENCRYPTION_KEYS,
    ]
    _interrupt_at(monkeypatch, "cases.keyrotation._reencrypt_file", 4)
    with pytest.raises(CommandError) as stopped:
        call_command("reencrypt", stdout=io.StringIO(), stderr=io.StringIO())
    assert stopped.value.returncode == 130

    monkeypatch.undo()
    out = io.StringIO()
    call_command("reencrypt", stdout=out, stderr=io.StringIO())
    # The values all moved in the first run; the files it had not reached, now.
    assert "Done: 0 values and 3 files re-encrypted." in out.getvalue()
    call_command("reencrypt", "--check", stdout=io.StringIO(), stderr=io.StringIO())
    assert Evidence.objects.count() == 6


def test_an_import_interrupted_writes_nothing_and_the_next_run_imports_it_all(
    tmp_path, monkeypatch
):
    path = tmp_path / "reports.csv"
    lines = [f"B-{n},2021-03-0{n},ncii,woman,nl,web" for n in range(1, 8)]
    path.write_text("external_id,received_at,forms,reporter,language,channel\n" + "\n".join(lines))
    _interrupt_at(monkeypatch, "reporting.imports.earlier_records_import", 1)
    terminal = Terminal()
    with pytest.raises(CommandError) as stopped:
        call_command("import_reports", str(path), stdout=io.StringIO(), stderr=terminal)
    assert stopped.value.returncode == 130 and "7/7" in terminal.getvalue()
    assert not Dossier.objects.exists()

    monkeypatch.undo()
    out, again = io.StringIO(), io.StringIO()
    with translation.override("en"):  # the command speaks the active language
        call_command("import_reports", str(path), stdout=out, stderr=io.StringIO())
        call_command("import_reports", str(path), stdout=again, stderr=io.StringIO())
    assert "Imported 7 dossiers; 0 were already imported." in out.getvalue()
    assert "Imported 0 dossiers; 7 were already imported." in again.getvalue()
    assert Dossier.objects.count() == 7
