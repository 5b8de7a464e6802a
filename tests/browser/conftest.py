"""A real headless Chromium (Debian's) driven by Playwright, at a phone's size."""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.conftest import CHROMIUM, missing_service

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
# still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="session")
def chromium() -> Iterator:
    if not os.path.exists(CHROMIUM):
        missing_service(f"needs Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


class Phone:
    """A browser tab on a phone-sized screen that records every request it makes and
    every error it logs."""

    def __init__(self, context, origin: str) -> None:
        self.context = context
        self.origin = origin
        self.foreign_requests: list[str] = []
        self.errors: list[str] = []
        context.route("**/*", self._route)
        self.page = context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _route(self, route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" == self.origin or parts.scheme == "data":
            route.continue_()
        else:
            self.foreign_requests.append(url)
            route.abort()

    def _console(self, message) -> None:
        if message.type == "error":
            self.errors.append(message.text)


@pytest.fixture
def phone(chromium, live_server) -> Iterator[Phone]:
    context = chromium.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    try:
        yield Phone(context, live_server.url)
    finally:
        context.close()


@pytest.fixture
def phone_without_javascript(chromium, live_server) -> Iterator[Phone]:
    context = chromium.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        yield Phone(context, live_server.url)
    finally:
        context.close()


@pytest.fixture
def desk(chromium, live_server) -> Iterator[Phone]:
    """A staff member's browser: a laptop-sized window in English."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    try:
        yield Phone(context, live_server.url)
    finally:
        context.close()


# WCAG 2.2 AA, as axe-core tags it.
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def accessibility_violations(page) -> list[str]:
    """What axe-core (bundled by axe-playwright-python) finds against WCAG 2.2 AA on the
    page as it is, its Content-Security-Policy on: axe runs through the browser's
    debugging protocol, not as a script of the page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    return [
        f"{violation['id']}: {[node['target'] for node in violation['nodes']]}"
        for violation in results.response["violations"]
    ]
