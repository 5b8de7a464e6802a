import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.evidence import check_evidence_file, check_evidence_files, sniff
from cases.models import Evidence
from tests.factories import DossierFactory
from tests.helpers import png

pytestmark = pytest.mark.django_db

PNG = png(b"screenshot-of-a-threat")
PDF = b"%PDF-1.7\n" + b"letter from the platform"
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 64
WINDOWS_EXE = b"MZ\x90\x00" + b"\x00" * 64


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def test_evidence_is_encrypted_on_disk_and_readable_through_the_model(settings):
    evidence = Evidence.objects.create(
        dossier=DossierFactory(),
        file=upload("threat.png", PNG),
        original_name="threat from Tom.png",
        content_type="image/png",
        size=len(PNG),
    )
    on_disk = (settings.PRIVATE_STORAGE_ROOT / evidence.file.name).read_bytes()
    assert b"screenshot-of-a-threat" not in on_disk
    assert on_disk.startswith(b"gAAAA")  # a Fernet token
    assert "threat" not in evidence.file.name  # a random name, not the original one
    with Evidence.objects.get(pk=evidence.pk).file.open() as stored:
        assert stored.read() == PNG
    assert (settings.PRIVATE_STORAGE_ROOT / evidence.file.name).stat().st_mode & 0o077 == 0


def test_evidence_has_no_public_url():
    evidence = Evidence(file="evidence/x")
    with pytest.raises(NotImplementedError):
        evidence.file.url  # noqa: B018


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (PNG, "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/jpeg"),
        (b"GIF89a" + b"\x00" * 20, "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00", "image/heic"),
        (PDF, "application/pdf"),
    ],
)
def test_images_and_pdf_are_recognised_by_content(content, content_type):
    assert sniff(content[:16]).content_type == content_type
    # The name does not matter: a PDF called .jpg is still a PDF.
    assert check_evidence_file(upload("anything.jpg", content)).content_type == content_type


@pytest.mark.parametrize("content", [ELF, WINDOWS_EXE, b"#!/bin/sh\nrm -rf /\n", b""])
def test_an_executable_renamed_to_jpg_is_refused(content):
    with pytest.raises(ValidationError) as excinfo:
        check_evidence_file(upload("holiday.jpg", content))
    assert excinfo.value.code == "bad_type"
    assert "holiday.jpg" in excinfo.value.message


def test_a_file_over_the_limit_is_refused_with_the_limit_in_words(settings):
    settings.EVIDENCE_MAX_FILE_BYTES = 10 * 1024 * 1024
    from django.utils import translation

    big = upload("big.png", PNG + b"\x00" * (20 * 1024 * 1024))
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        check_evidence_file(big)
    assert excinfo.value.code == "too_large"
    assert "10.0\xa0MB" in excinfo.value.message


def test_too_many_files_are_refused(settings):
    settings.EVIDENCE_MAX_FILES = 5
    with pytest.raises(ValidationError) as excinfo:
        check_evidence_files([upload(f"{n}.png", PNG) for n in range(6)])
    assert excinfo.value.code == "too_many"
    assert len(check_evidence_files([upload(f"{n}.png", PNG) for n in range(5)])) == 5


def test_messages_are_in_the_active_language():
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        check_evidence_file(upload("x.jpg", ELF))
    assert "Only images and PDF files" in excinfo.value.message
