"""The pages of a dossier full of markup (tests/markup.py), opened in a real Chromium
with the real Content-Security-Policy: nothing navigates away, no dialog opens, no
request leaves the site, and the browser reports no blocked script."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import translation

from tests.browser.conftest import Phone, accessibility_violations
from tests.helpers import staff_log_in
from tests.markup import URL_PAYLOADS, build_scenario

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Watch:
    """Everything a page did that markup could have caused."""

    def __init__(self, phone: Phone) -> None:
        self.phone = phone
        self.dialogs: list[str] = []
        self.navigations: list[str] = []
        phone.page.on("dialog", self._dialog)
        phone.page.on("framenavigated", self._navigated)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _navigated(self, frame) -> None:
        parts = urlsplit(frame.url)
        if f"{parts.scheme}://{parts.netloc}" != self.phone.origin:
            self.navigations.append(frame.url)

    def visit(self, url: str) -> None:
        page = self.phone.page
        page.goto(self.phone.origin + url)
        # Long enough for a refresh or a handler to fire: nothing on the wire for 500 ms.
        page.wait_for_load_state("networkidle")
        assert page.url == self.phone.origin + url, f"{url} went to {page.url}"

    def assert_quiet(self) -> None:
        assert self.dialogs == []
        assert self.navigations == []
        assert self.phone.foreign_requests == []
        assert self.phone.errors == []


def test_staff_and_reporter_pages_of_a_dossier_full_of_markup_stay_inert(
    desk, phone, live_server, users
):
    scenario = build_scenario(users)

    watch = Watch(desk)
    page = desk.page
    staff_log_in(desk, "coordinator")
    for url in scenario.staff_pages:
        watch.visit(url)
        # These pages show everything new about a dossier (the discreet-contact notice,
        # the surge badge, refused accesses): WCAG 2.2 AA with the CSP on.
        assert accessibility_violations(page) == [], url
    # The notices hold the addresses exactly as given, as text (one tries to close the
    # textarea), and the page stays put.
    copied = []
    for url in scenario.staff_pages:
        if "/locations/" in url and url.endswith("/notice/"):
            watch.visit(url)
            copied.append(page.input_value("textarea#notice-text"))
    assert any(URL_PAYLOADS[1] in text for text in copied)
    watch.assert_quiet()

    reporter = Watch(phone)
    with translation.override("en"):
        start, followup = reverse("intake:followup-start"), reverse("intake:followup")
    reporter.visit(start)
    phone.page.fill("input[name=code]", scenario.code)
    with phone.page.expect_navigation():
        phone.page.click("form button[type=submit]")
    assert phone.page.url == live_server.url + followup
    phone.page.wait_for_load_state("networkidle")
    assert "alert(1)" in phone.page.text_content("main")
    assert accessibility_violations(phone.page) == []
    reporter.assert_quiet()
