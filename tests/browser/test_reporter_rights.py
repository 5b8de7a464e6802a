"""The reporter's own rights, in a real browser on a phone: they open their follow-up
with the receipt code, save the copy of what they sent as a PDF (what "Print or save as
PDF" gives), and withdraw the report, which erases it at once."""

from __future__ import annotations

import hashlib
import io

import pypdfium2
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from cases import services
from cases.choices import ClosureReason, NotificationKind
from cases.models import Dossier, OutboxMessage
from tests.helpers import PNG
from tests.intake.conftest import report_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESCRIPTION = "Someone put my photos on a forum; I never agreed."
STAFF_NOTE = "Internal: the ex-partner is known to the police."


def _pdf_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def test_a_reporter_saves_the_copy_of_what_they_sent_then_withdraws(phone, users):
    with translation.override("en"):
        report_url = reverse("intake:report")
        start, followup = reverse("intake:followup-start"), reverse("intake:followup")
    sent = Client().post(
        report_url,
        report_data(
            description=DESCRIPTION,
            files=[SimpleUploadedFile("photo.png", PNG, content_type="image/png")],
        ),
    )
    assert sent.status_code == 200
    code = sent.context["code"]
    dossier = Dossier.objects.get()
    coordinator = users["coordinator"]
    services.dossier_triage(dossier_id=dossier.pk, accept=True, by=coordinator)
    services.dossier_assign(dossier_id=dossier.pk, to=users["caseworker"], by=coordinator)
    services.dossier_note_add(dossier_id=dossier.pk, text=STAFF_NOTE, by=coordinator)
    services.dossier_message_reporter(
        dossier_id=dossier.pk, text="We asked the forum to remove them.", by=coordinator
    )

    page = phone.page
    base = phone.origin
    page.goto(base + start)
    page.fill("input[name=code]", code)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url == base + followup

    page.click("a[href$='/follow-up/copy/']")
    page.locator("[data-copy]").wait_for()
    page.emulate_media(media="print")
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    flat = " ".join(text.split())
    assert DESCRIPTION in flat
    assert "We asked the forum to remove them." in flat
    assert hashlib.sha256(PNG).hexdigest() in text.replace("\r", "").replace("\n", "")
    assert STAFF_NOTE not in flat and "ex-partner" not in flat
    page.emulate_media(media="screen")

    page.go_back()
    page.click("a[href$='/follow-up/withdraw/']")
    page.locator("[data-withdraw]").wait_for()
    with page.expect_navigation():
        page.click("[data-withdraw]")
    page.locator("[data-withdrawn]").wait_for()

    dossier.refresh_from_db()
    assert dossier.closure_reason == ClosureReason.WITHDRAWN
    assert dossier.anonymised_at is not None
    assert (dossier.description, dossier.reporter_email, dossier.receipt_hash) == ("", "", None)
    assert not dossier.evidence.exists()
    told = OutboxMessage.objects.get(kind=NotificationKind.REPORTER_WITHDREW)
    assert told.recipient == users["caseworker"].email
    # The code no longer opens anything.
    page.goto(base + start)
    page.fill("input[name=code]", code)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url == base + start
    assert page.title().startswith("Error:")
