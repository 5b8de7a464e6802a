"""Staff see evidence images blurred and grey until they choose to look; looking is
logged like a download; what is shown clearly is a new picture without metadata."""

from __future__ import annotations

import io

import numpy
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from cases.choices import AccessAction
from cases.models import AccessLogEntry
from cases.previews import PREVIEW_SIZE
from cases.services import evidence_attach
from cases.storage import files_removed_on_failure
from institute.models import StaffProfile
from tests.factories import DossierFactory
from tests.pictures import encoded, picture

pytestmark = pytest.mark.django_db


def sharpness(image: Image.Image) -> float:
    """Variance of the Laplacian of the grey picture: high for detail, near 0 for blur."""
    grey = numpy.asarray(image.convert("L"), dtype=float)
    laplacian = (
        grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:] - 4 * grey[1:-1, 1:-1]
    )
    return float(laplacian.var())


def pdf_of(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PDF")
    return buffer.getvalue()


@pytest.fixture
def files(users):
    photo = picture(21, size=(1200, 900))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (50.0, 50.0, 0.0)}  # GPS: where the picture was taken
    with_metadata = encoded(photo, quality=92, exif=exif)
    dossier = DossierFactory(received_at=timezone.now())
    with files_removed_on_failure() as saved:
        stored = evidence_attach(
            dossier=dossier,
            uploads=[
                SimpleUploadedFile("photo.jpg", with_metadata),
                SimpleUploadedFile("letter.pdf", pdf_of(picture(22))),
                SimpleUploadedFile("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
            ],
            saved=saved,
        )
    return dossier, stored, photo, with_metadata


def _get(client, name, evidence):
    return client.get(reverse(f"cases:evidence-{name}", args=[evidence.dossier_id, evidence.pk]))


def test_a_preview_is_small_grey_and_blurred_and_not_logged(client, users, files):
    _dossier, (photo_file, letter, _broken), photo, original = files
    client.force_login(users["coordinator"])
    for evidence, source in ((photo_file, photo), (letter, None)):
        response = _get(client, "preview", evidence)
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        assert "no-store" in response["Cache-Control"]
        preview = Image.open(io.BytesIO(response.content))
        assert preview.mode == "L" and max(preview.size) <= PREVIEW_SIZE
        assert sharpness(preview) < 5.0  # 0 to 255 grey levels: next to nothing
        if source is not None:
            # The picture at the same size keeps its detail; the preview has none.
            same_size = source.convert("L").resize(preview.size)
            assert sharpness(same_size) > 50 * max(sharpness(preview), 0.01)
            assert original not in response.content
    assert not AccessLogEntry.objects.filter(action=AccessAction.REVEAL).exists()


def test_showing_clearly_is_logged_and_carries_no_metadata(client, users, files):
    dossier, (photo_file, letter, _broken), _photo, _original = files
    client.force_login(users["coordinator"])
    response = _get(client, "reveal", photo_file)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline;")
    clear = Image.open(io.BytesIO(response.content))
    assert clear.size == (1200, 900)
    assert not clear.getexif() and b"PhoneMaker" not in response.content
    assert sharpness(clear) > 50
    entry = AccessLogEntry.objects.get(action=AccessAction.REVEAL)
    assert (entry.user, entry.dossier, entry.evidence) == (
        users["coordinator"],
        dossier,
        photo_file,
    )
    # A PDF's first page, shown clearly, logged too.
    assert _get(client, "reveal", letter).status_code == 200
    assert AccessLogEntry.objects.filter(action=AccessAction.REVEAL).count() == 2


def test_a_file_that_cannot_be_drawn_has_no_preview(client, users, files):
    _dossier, (_photo, _letter, broken), _image, _original = files
    client.force_login(users["coordinator"])
    assert _get(client, "preview", broken).status_code == 404
    assert _get(client, "reveal", broken).status_code == 404
    assert not AccessLogEntry.objects.filter(action=AccessAction.REVEAL).exists()


def test_an_altered_file_shows_neither_preview_nor_picture(client, users, files, settings):
    _dossier, (photo_file, _letter, _broken), _image, original = files
    path = settings.PRIVATE_STORAGE_ROOT / photo_file.file.name
    token = bytearray(path.read_bytes())
    token[50] ^= 1
    path.write_bytes(bytes(token))
    client.force_login(users["coordinator"])
    for name in ("preview", "reveal"):
        response = _get(client, name, photo_file)
        assert response.status_code == 409 and original not in response.content
    assert not AccessLogEntry.objects.filter(action=AccessAction.REVEAL).exists()


def test_the_page_shows_previews_open_or_closed_as_each_person_chose(client, users, files):
    dossier, (photo_file, _letter, _broken), _image, _original = files
    url = reverse("cases:dossier-detail", args=[dossier.pk])
    preview = reverse("cases:evidence-preview", args=[dossier.pk, photo_file.pk])
    client.force_login(users["coordinator"])
    page = client.get(url).content.decode()
    assert preview in page and '<details class="evidence-preview" open>' in page

    settings_page = reverse("staff-settings")
    assert client.get(settings_page).status_code == 200
    response = client.post(settings_page, {"language": "fr", "hide_previews": "on"})
    assert response.status_code == 302
    profile = StaffProfile.objects.get(user=users["coordinator"])
    assert (profile.language, profile.hide_previews) == ("fr", True)
    page = client.get(url).content.decode()
    assert '<details class="evidence-preview">' in page and 'evidence-preview" open' not in page


def _attached(*files: tuple[str, bytes]):
    dossier = DossierFactory(received_at=timezone.now())
    with files_removed_on_failure() as saved:
        return evidence_attach(
            dossier=dossier,
            uploads=[SimpleUploadedFile(name, content) for name, content in files],
            saved=saved,
        )


def test_nothing_of_the_originals_metadata_is_shown(client, users):
    """Comments (JPEG, PNG), a colour profile: none of it reaches the preview or the
    clear picture, and a comment too long for JPEG is no error."""
    from PIL import ImageCms, PngImagePlugin

    image = picture(31)
    # A colour profile carries whatever bytes it is given: a marker after the profile.
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    with_comment = encoded(image, quality=90, comment=b"Lotte, Rue Haute 12 <script>")
    text = PngImagePlugin.PngInfo()
    text.add_text("comment", "Lotte " * 12_000)  # 72 KB: more than a JPEG comment holds
    long_comment = encoded(image, "PNG", pnginfo=text)
    with_profile = encoded(image, quality=90, icc_profile=profile + b"Marker-ICC-Lotte")
    stored = _attached(("a.jpg", with_comment), ("b.png", long_comment), ("c.jpg", with_profile))
    client.force_login(users["coordinator"])
    for evidence in stored:
        for name in ("preview", "reveal"):
            response = _get(client, name, evidence)
            assert response.status_code == 200, (evidence.content_type, name)
            shown = Image.open(io.BytesIO(response.content))
            assert not shown.info.get("comment") and not shown.info.get("icc_profile")
            for marker in (b"Lotte", b"Rue Haute", b"Marker-ICC", b"<script>"):
                assert marker not in response.content


def _pdf_with_content(content: bytes) -> bytes:
    import zlib

    packed = zlib.compress(content, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    table = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, table)
    )
    return out.getvalue()


def test_a_pdf_built_to_exhaust_the_server_gets_no_preview_and_no_stalled_worker(client, users):
    """Three million drawing commands in 130 KB: PDFium would work for a minute. The
    page is drawn in a child process with a CPU limit, so the answer comes within the
    limits and says there is no preview; the worker's own memory does not move."""
    import resource
    import time

    from cases import pdf_pages

    bomb = _pdf_with_content(b"0 0 m 100 100 l S\n" * 3_000_000)
    (evidence,) = _attached(("report.pdf", bomb))
    client.force_login(users["coordinator"])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    assert _get(client, "reveal", evidence).status_code == 404
    assert time.monotonic() - started < pdf_pages.WALL_SECONDS + 2
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 1024  # KB
    # An ordinary PDF is drawn.
    (letter,) = _attached(("letter.pdf", _pdf_with_content(b"0 0 m 100 100 l S\n")))
    assert _get(client, "preview", letter).status_code == 200


def test_an_image_that_could_not_be_read_gets_no_preview_box(client, users, files):
    dossier, (_photo, _letter, broken), _image, _original = files
    client.force_login(users["coordinator"])
    page = client.get(reverse("cases:dossier-detail", args=[dossier.pk])).content.decode()
    assert reverse("cases:evidence-preview", args=[dossier.pk, broken.pk]) not in page
    assert reverse("cases:evidence-download", args=[dossier.pk, broken.pk]) in page


# Markup after a file's picture: browsers that sniff would take the file for a page.
POLYGLOT_TAIL = b"<html><body><script>alert(document.cookie)</script></body></html>"


def test_originals_come_as_sandboxed_downloads_and_safe_copies_are_only_pixels(client, users):
    """A JPEG and a PDF that are also HTML with a script: the original is kept and given
    back byte for byte, but as octet-stream in a sandbox; the safe copy is a new JPEG
    with nothing of the file but its picture."""
    client.force_login(users["caseworker"])
    jpeg = encoded(picture(31), quality=90) + POLYGLOT_TAIL
    pdf = pdf_of(picture(32)) + POLYGLOT_TAIL
    stored = _attached(("photo.jpg", jpeg), ("letter.pdf", pdf))
    for evidence, original in zip(stored, (jpeg, pdf), strict=True):
        download = _get(client, "download", evidence)
        assert b"".join(download) == original
        assert download["Content-Type"] == "application/octet-stream"
        assert download["Content-Security-Policy"].startswith("sandbox")
        assert download["Content-Disposition"].startswith("attachment;")
        copy = _get(client, "safe-copy", evidence)
        assert copy.status_code == 200, evidence.content_type
        assert copy["Content-Type"] == "image/jpeg"
        assert copy["Content-Disposition"].startswith("attachment;")
        assert copy["Content-Security-Policy"].startswith("sandbox")
        assert Image.open(io.BytesIO(copy.content)).format == "JPEG"
        for marker in (b"<script", b"<html", b"alert(", b"<body"):
            assert marker not in copy.content
    logged = AccessLogEntry.objects.filter(user=users["caseworker"])
    assert sorted(logged.values_list("action", flat=True)) == sorted(
        [AccessAction.DOWNLOAD, AccessAction.SAFE_COPY] * 2
    )


def test_transparent_parts_stay_blank_in_the_safe_copy(client, users):
    """A palette picture whose transparent colour is red: viewers show nothing there,
    and neither does the safe copy (no colour hidden under the transparency)."""
    image = Image.new("P", (40, 40), 0)
    image.putpalette([255, 0, 0, 0, 0, 255] + [0, 0, 0] * 254)
    for x in range(20, 40):
        for y in range(40):
            image.putpixel((x, y), 1)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", transparency=0)
    (evidence,) = _attached(("half-transparent.png", buffer.getvalue()))
    client.force_login(users["caseworker"])
    copy = Image.open(io.BytesIO(_get(client, "safe-copy", evidence).content)).convert("RGB")
    red, green, blue = copy.getpixel((5, 20))
    assert min(red, green, blue) > 240  # white, not the hidden red
    assert copy.getpixel((35, 20))[2] > 200  # the visible blue half stays blue


def test_the_pdf_child_gets_no_secret_of_the_worker(monkeypatch):
    import subprocess

    from cases import pdf_pages

    seen = {}

    def run(*args, **kwargs):
        seen.update(kwargs)
        return subprocess.CompletedProcess(args, 1, b"", b"")

    monkeypatch.setenv("SECRET_KEY", "a-secret-the-child-must-not-see")
    monkeypatch.setattr(pdf_pages.subprocess, "run", run)
    pdf_pages.first_page_png(pdf_of(picture(33)), 100)
    assert set(seen["env"]) == {"PATH"}


def test_a_file_that_cannot_be_drawn_has_no_safe_copy(client, users, files):
    client.force_login(users["caseworker"])
    dossier, stored, _photo, _original = files
    broken = stored[2]
    assert _get(client, "safe-copy", broken).status_code == 404
    page = client.get(reverse("cases:dossier-detail", args=[dossier.pk])).content.decode()
    assert page.count("data-safe-copy") == 2  # the photo and the letter, not the broken one
