"""Fingerprints of evidence files: recorded with the file, checked at every download,
shared with platforms as hashes, erased with the file."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from cases import fingerprints
from cases.choices import AccessAction, LegalBasis, NotificationKind, Status, TakedownMethod
from cases.models import AccessLogEntry, Dossier, Evidence, OutboxMessage
from cases.retention import dossier_anonymise
from cases.services import evidence_attach, report_submit, takedown_request_record
from cases.storage import files_removed_on_failure
from institute.models import SecurityEvent, SecurityEventKind, mail_language
from tests.factories import DossierFactory, location
from tests.intake.conftest import PDF
from tests.pictures import encoded, picture

pytestmark = pytest.mark.django_db


def _attach(dossier, *files: tuple[str, bytes]) -> list[Evidence]:
    with files_removed_on_failure() as saved:
        return evidence_attach(
            dossier=dossier,
            uploads=[SimpleUploadedFile(name, content) for name, content in files],
            saved=saved,
        )


def test_every_file_is_stored_with_its_sha256_and_images_with_pdq():
    photo = encoded(picture(1), quality=90)
    png = encoded(picture(2), "PNG")
    stored = _attach(DossierFactory(), ("photo.jpg", photo), ("shot.png", png), ("a.pdf", PDF))
    for evidence, content in zip(stored, [photo, png, PDF], strict=True):
        evidence.refresh_from_db()
        assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    jpeg, screenshot, letter = (Evidence.objects.get(pk=e.pk) for e in stored)
    for image in (jpeg, screenshot):
        assert len(image.pdq) == 64 and int(image.pdq, 16) > 0
        assert image.pdq_quality >= 50  # a detailed picture: a reliable hash
    assert (letter.pdq, letter.pdq_quality) == ("", None)  # a PDF: SHA-256 only


def test_an_image_that_cannot_be_read_gets_its_sha256_only():
    broken = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # passes the type check, is no picture
    (evidence,) = _attach(DossierFactory(), ("x.png", broken))
    evidence.refresh_from_db()
    assert (evidence.sha256, evidence.pdq) == (hashlib.sha256(broken).hexdigest(), "")


def test_the_fingerprints_are_rolled_back_with_the_report(users, settings, monkeypatch):
    """A report that fails after its files were stored leaves no row, no fingerprint
    and no file."""
    from cases.services import receiving
    from tests.factories import DossierFactory as Factory

    def fail(**kwargs):
        raise RuntimeError("the alert could not be written")

    monkeypatch.setattr(receiving, "notify_new_report", fail)
    dossier = Factory.build()
    with pytest.raises(RuntimeError):
        report_submit(
            dossier=dossier,
            locations=[],
            uploads=[SimpleUploadedFile("p.jpg", encoded(picture(3)))],
            submission_token="t" * 43,
            language="nl",
        )
    assert not Evidence.objects.exists() and not Dossier.objects.exists()
    assert not [p for p in settings.PRIVATE_STORAGE_ROOT.rglob("*") if p.is_file()]


def test_pdq_sees_the_same_picture_through_re_encoding_and_resizing_and_not_others():
    """What platforms rely on when they block re-uploads with the hashes we send them:
    the same picture re-encoded (JPEG quality 95 and 60) or at half size stays within
    PDQ's match threshold (31 bits); unrelated pictures stay far beyond it."""

    def pdq(content: bytes) -> str:
        return fingerprints.fingerprint(content, "image/jpeg").pdq

    originals = [picture(seed) for seed in range(10, 30)]
    for image in originals:
        reference = pdq(encoded(image, quality=95))
        assert fingerprints.distance(reference, pdq(encoded(image, quality=60))) <= 31
        half = image.resize((image.width // 2, image.height // 2))
        assert fingerprints.distance(reference, pdq(encoded(half, quality=95))) <= 31
    hashes = [pdq(encoded(image, quality=95)) for image in originals]
    closest = min(
        fingerprints.distance(a, b) for i, a in enumerate(hashes) for b in hashes[i + 1 :]
    )
    assert closest > 2 * 31


def _takedown(dossier):
    return takedown_request_record(
        location_id=dossier.locations.get().pk,
        sent_to="Desk",
        method=TakedownMethod.EMAIL,
        legal_basis=LegalBasis.DSA_NOTICE,
        sent_at=timezone.now(),
    )


@pytest.fixture
def dossier_with_files(users):
    dossier = DossierFactory(
        received_at=timezone.now(), locations=[location(url="https://leak.example/1")]
    )
    photo = encoded(picture(5), quality=90)
    stored = _attach(dossier, ("photo.jpg", photo), ("copy.jpg", photo), ("letter.pdf", PDF))
    takedown = _takedown(dossier)
    return dossier, stored, takedown, photo


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_platform_gets_the_hashes_and_nothing_else(client, users, dossier_with_files, fmt):
    dossier, stored, takedown, photo = dossier_with_files
    client.force_login(users["coordinator"])
    response = client.get(reverse("cases:takedown-hashes", args=[dossier.pk, takedown.pk, fmt]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    body = response.content.decode()
    if fmt == "json":
        lines = json.loads(body)["hashes"]
    else:
        lines = [
            {**row, "quality": int(row["quality"]) if row["quality"] else None}
            for row in csv.DictReader(io.StringIO(body))
        ]
    photo_row = Evidence.objects.get(pk=stored[0].pk)
    assert lines == [  # the same photo twice: its hashes once
        {"algorithm": "sha256", "hash": hashlib.sha256(photo).hexdigest(), "quality": None},
        {"algorithm": "pdq", "hash": photo_row.pdq, "quality": photo_row.pdq_quality},
        {"algorithm": "sha256", "hash": hashlib.sha256(PDF).hexdigest(), "quality": None},
    ]
    for secret in ("leak.example", "photo.jpg", "letter.pdf", "Desk"):
        assert secret not in body
    entry = AccessLogEntry.objects.get(user=users["coordinator"], action=AccessAction.HASHES)
    assert entry.dossier == dossier


def test_the_dossier_page_shows_each_files_sha256(client, users, dossier_with_files):
    dossier, _stored, takedown, photo = dossier_with_files
    client.force_login(users["coordinator"])
    page = client.get(reverse("cases:dossier-detail", args=[dossier.pk])).content.decode()
    assert hashlib.sha256(photo).hexdigest() in page
    assert hashlib.sha256(PDF).hexdigest() in page
    assert reverse("cases:takedown-hashes", args=[dossier.pk, takedown.pk, "csv"]) in page


def _download(client, evidence):
    return client.get(reverse("cases:evidence-download", args=[evidence.dossier_id, evidence.pk]))


def _on_disk(settings, evidence):
    return settings.PRIVATE_STORAGE_ROOT / evidence.file.name


def test_a_download_is_the_file_received(client, users, dossier_with_files):
    _dossier, stored, _takedown, photo = dossier_with_files
    client.force_login(users["coordinator"])
    response = _download(client, stored[0])
    assert response.status_code == 200 and b"".join(response) == photo


@pytest.mark.parametrize("tampering", ["ciphertext changed", "file swapped", "file removed"])
def test_a_file_that_is_not_the_one_received_is_refused_and_alerted(
    client, users, dossier_with_files, settings, tampering, django_capture_on_commit_callbacks
):
    dossier, stored, _takedown, photo = dossier_with_files
    photo_file, letter = stored[0], stored[2]
    path = _on_disk(settings, photo_file)
    if tampering == "ciphertext changed":
        token = bytearray(path.read_bytes())
        token[40] ^= 1
        path.write_bytes(bytes(token))
    elif tampering == "file swapped":  # another file, encrypted under the same key
        path.write_bytes(_on_disk(settings, letter).read_bytes())
    else:
        path.unlink()
    mail.outbox.clear()
    client.force_login(users["caseworker"])
    dossier.assignee = users["caseworker"]
    dossier.save(update_fields=["assignee"])
    for _ in range(2):  # asked twice: refused twice, the coordinators told once
        with django_capture_on_commit_callbacks(execute=True):
            response = _download(client, photo_file)
        assert response.status_code == 409
        assert photo not in response.content
        assert b'data-refused="altered"' in response.content
    assert not AccessLogEntry.objects.filter(action=AccessAction.DOWNLOAD).exists()
    events = SecurityEvent.objects.filter(kind=SecurityEventKind.EVIDENCE_ALTERED)
    assert events.count() == 2 and {e.dossier_id for e in events} == {dossier.pk}
    alerts = OutboxMessage.objects.filter(kind=NotificationKind.EVIDENCE_ALTERED)
    coordinators = {users["coordinator"].email}
    assert {a.recipient for a in alerts} == coordinators and alerts.count() == len(coordinators)
    sent = [m for m in mail.outbox if dossier.reference in m.subject]
    with translation.override(mail_language(users["coordinator"])):
        subject = gettext("Dossier %(reference)s: an evidence file failed its integrity check")
    assert [m.subject for m in sent] == [subject % {"reference": dossier.reference}]
    assert "leak.example" not in sent[0].body and "photo.jpg" not in sent[0].body
    # The other files are still handed out.
    assert _download(client, letter).status_code == 200


def test_retention_erases_files_and_fingerprints_and_keeps_their_count(dossier_with_files):
    dossier, _stored, _takedown, photo = dossier_with_files
    Dossier.objects.filter(pk=dossier.pk).update(
        status=Status.CLOSED, closure_reason="resolved", closed_at=timezone.now()
    )
    dossier_anonymise(dossier)
    dossier.refresh_from_db()
    assert not Evidence.objects.filter(dossier=dossier).exists()
    assert not Evidence.objects.filter(sha256=hashlib.sha256(photo).hexdigest()).exists()
    assert dossier.evidence_files_erased == 3


def test_files_received_before_fingerprints_get_theirs_once(dossier_with_files):
    _dossier, _stored, _takedown, _photo = dossier_with_files
    recorded = {e.pk: (e.sha256, e.pdq) for e in Evidence.objects.all()}
    Evidence.objects.update(sha256="", pdq="", pdq_quality=None)
    output = io.StringIO()

    # Interrupted after the first file: that one is whole, the rest still without.
    from cases import custody

    real = custody.fingerprint
    calls = []

    def interrupted(data, content_type):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(data, content_type)

    custody.fingerprint = interrupted
    try:
        with pytest.raises(CommandError, match="Interrupted after 1 of 3"):
            call_command("fingerprint_evidence", batch_size=2, stdout=output)
    finally:
        custody.fingerprint = real
    assert Evidence.objects.exclude(sha256="").count() == 1

    call_command("fingerprint_evidence", stdout=output)
    assert "recorded for 2 files" in output.getvalue()
    assert {e.pk: (e.sha256, e.pdq) for e in Evidence.objects.all()} == recorded
    call_command("fingerprint_evidence", stdout=output)
    assert "recorded for 0 files" in output.getvalue()


def test_a_flat_pictures_pdq_is_not_offered_to_platforms(client, users):
    from PIL import Image

    flat = encoded(Image.new("RGB", (300, 200), (120, 120, 120)), "PNG")
    dossier = DossierFactory(received_at=timezone.now(), locations=[location()])
    (evidence,) = _attach(dossier, ("grey.png", flat))
    evidence.refresh_from_db()
    assert evidence.pdq and evidence.pdq_quality < fingerprints.MIN_QUALITY
    takedown = _takedown(dossier)
    client.force_login(users["coordinator"])
    response = client.get(reverse("cases:takedown-hashes", args=[dossier.pk, takedown.pk, "json"]))
    assert [line["algorithm"] for line in json.loads(response.content)["hashes"]] == ["sha256"]
    assert dossier.reference not in response["Content-Disposition"]
