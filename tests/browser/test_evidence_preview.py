"""A coordinator sees an image of a dossier blurred and grey, chooses "Show clearly" in a
real browser, and finds the look written to the dossier's access log."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from cases.choices import AccessAction
from cases.models import AccessLogEntry
from cases.services import evidence_attach
from cases.storage import files_removed_on_failure
from tests.browser.conftest import accessibility_violations
from tests.factories import DossierFactory
from tests.helpers import staff_log_in
from tests.pictures import encoded, picture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PREVIEW = "details.evidence-preview"
IMAGE = f"{PREVIEW} img[data-preview]"
REVEAL = f"{PREVIEW} a[data-reveal]"


def _dossier_with_a_photo():
    dossier = DossierFactory(received_at=timezone.now())
    photo = SimpleUploadedFile("photo.jpg", encoded(picture(7), quality=90), "image/jpeg")
    # The service locks the dossier's row: it needs a transaction of its own here.
    with files_removed_on_failure() as saved, transaction.atomic():
        (evidence,) = evidence_attach(dossier=dossier, uploads=[photo], saved=saved)
    return dossier, evidence


def test_a_coordinator_reveals_a_blurred_image_and_the_access_log_shows_it(
    desk, live_server, users
):
    dossier, evidence = _dossier_with_a_photo()
    coordinator = users["coordinator"]
    base = live_server.url
    page_url = base + reverse("cases:dossier-detail", args=[dossier.pk])
    preview_url = base + reverse("cases:evidence-preview", args=[dossier.pk, evidence.pk])
    reveal_url = base + reverse("cases:evidence-reveal", args=[dossier.pk, evidence.pk])
    assert preview_url.endswith("/preview.png") and reveal_url.endswith("/clearly.jpg")

    page = desk.page
    staff_log_in(desk, "coordinator")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    assert page.goto(page_url).status == 200
    # Only the blurred preview is shown, in its open box, with the link to look.
    assert page.locator(f"{PREVIEW}[open]").count() == 1
    image = page.locator(IMAGE)
    assert image.get_attribute("src") == reverse(
        "cases:evidence-preview", args=[dossier.pk, evidence.pk]
    )
    assert image.get_attribute("alt") == "File 1, blurred and grey"
    link = page.locator(REVEAL)
    # Its name says which file, for those who move from link to link.
    assert link.is_visible() and link.inner_text().startswith("Show clearly")
    assert page.get_by_role("link", name=re.compile(r"^Show clearly\s*: file 1$")).count() == 1
    image.scroll_into_view_if_needed()
    page.wait_for_function(
        "selector => { const img = document.querySelector(selector);"
        " return img.complete && img.naturalWidth > 0; }",
        arg=IMAGE,
    )
    assert preview_url in requested
    assert reveal_url not in requested
    assert not AccessLogEntry.objects.filter(action=AccessAction.REVEAL).exists()

    # The page with the preview, its Content-Security-Policy on.
    assert accessibility_violations(page) == []

    with page.expect_response(reveal_url) as answer:
        link.click()
    response = answer.value
    assert response.status == 200 and response.headers["content-type"] == "image/jpeg"
    assert requested.index(preview_url) < requested.index(reveal_url)
    page.wait_for_function(
        "selector => { const img = document.querySelector(selector);"
        " return img.complete && img.naturalWidth > 0 && img.src.endsWith('/clearly.jpg'); }",
        arg=IMAGE,
    )
    # The script put the clear picture in place of the blurred one, without leaving.
    assert page.url == page_url
    assert image.evaluate("img => img.src") == reveal_url
    assert image.get_attribute("alt") == "File 1, shown clearly"
    assert "revealed" in (image.get_attribute("class") or "").split()
    assert link.is_hidden()
    assert page.evaluate("document.activeElement.matches('img[data-preview]')")
    assert accessibility_violations(page) == []

    # "Blur again" puts the blurred picture back, and the focus on "Show clearly".
    page.get_by_role("button", name=re.compile(r"^Blur again\s*: file 1$")).click()
    assert image.evaluate("img => img.src") == preview_url
    assert image.get_attribute("alt") == "File 1, blurred and grey"
    assert link.is_visible()
    assert page.evaluate("document.activeElement.matches('a[data-reveal]')")

    reveal = AccessLogEntry.objects.get(action=AccessAction.REVEAL)
    assert (reveal.user, reveal.dossier, reveal.evidence) == (coordinator, dossier, evidence)

    # The coordinator's view of the access log lists it after a reload.
    page.reload()
    with translation.override("en"):
        looked = str(AccessAction.REVEAL.label)
    entries = page.locator("ul.access-log > li").all_inner_texts()
    assert any(
        f"{coordinator.get_username()} · {looked} #{evidence.pk}" in entry for entry in entries
    ), entries
    # The reload shows the preview again, blurred.
    assert page.locator(IMAGE).get_attribute("src").endswith("/preview.png")
    assert AccessLogEntry.objects.filter(action=AccessAction.REVEAL).count() == 1

    assert desk.foreign_requests == [] and desk.errors == []
