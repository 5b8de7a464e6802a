"""A case worker handles a report from the public form, end to end, in a real browser;
the reporter reads the staff's message on the follow-up page."""

import pytest

from cases.choices import EventKind, Status, TakedownOutcome
from cases.models import Dossier, TakedownRequest
from tests.browser.conftest import PHONE, Phone
from tests.browser.test_public_form import _fill_report
from tests.helpers import staff_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MESSAGE = "We have asked the platform to remove the photo. It is not your fault."


def _report_from_the_public_form(phone: Phone, base: str) -> str:
    page = phone.page
    page.goto(f"{base}/en/report/")
    _fill_report(page, ["ncii"], "My ex put my photos on a social network.")
    page.check("input[name=contact][value=anonymous]")
    with page.expect_navigation():
        page.click("form[data-report-form] button[type=submit]")
    code = page.text_content("[data-receipt-code]").strip()
    page.check("[data-receipt-kept]")
    return code


def _submit(page, form: str) -> None:
    with page.expect_navigation():
        page.click(f"form[data-form={form}] button[type=submit]")


def _open(page, form: str) -> None:
    page.click(f"details:has(form[data-form={form}]) > summary")


def test_a_case_worker_handles_a_public_report_and_the_reporter_reads_the_message(
    phone, desk, live_server, users
):
    base = live_server.url
    code = _report_from_the_public_form(phone, base)
    dossier = Dossier.objects.get()

    page = desk.page
    staff_log_in(desk, "caseworker")
    with page.expect_navigation():
        page.click("nav a[href*='assignee=none']")
    with page.expect_navigation():
        page.click(f"[data-dossier='{dossier.reference}'] a")
    assert page.text_content("h1").strip().endswith(dossier.reference)

    # Triage: take it on.
    page.check("input[name=triage-decision][value=accept]")
    _submit(page, "triage")
    assert page.get_attribute("[data-status]", "data-status") == Status.IN_PROGRESS
    dossier.refresh_from_db()
    assert dossier.assignee == users["caseworker"]

    # A takedown request for the address the reporter gave.
    _open(page, "takedown")
    page.fill("#id_takedown-sent_to", "Abuse desk of the social network")
    page.select_option("#id_takedown-method", "web_form")
    page.select_option("#id_takedown-legal_basis", "dsa_notice")
    _submit(page, "takedown")
    assert page.get_attribute("[data-takedown] [data-outcome]", "data-outcome") == "pending"
    takedown = TakedownRequest.objects.get()
    assert takedown.location == dossier.locations.get()
    assert takedown.outcome == TakedownOutcome.PENDING

    # A message to the reporter, who is anonymous: it waits on the follow-up page.
    _open(page, "message")
    page.fill("#id_message-text", MESSAGE)
    _submit(page, "message")
    assert page.locator("[data-event=message_to_reporter]").count() == 1

    reporter = phone.page
    reporter.goto(f"{base}/en/follow-up/")
    reporter.fill("input[name=code]", code)
    with reporter.expect_navigation():
        reporter.click("main form button[type=submit]")
    assert MESSAGE in reporter.text_content("main")

    # Close: the content was removed.
    _open(page, "close")
    page.select_option("#id_close-closure_reason", "content_removed")
    _submit(page, "close")
    assert page.get_attribute("[data-status]", "data-status") == Status.CLOSED
    dossier.refresh_from_db()
    assert (dossier.status, dossier.closure_reason) == (Status.CLOSED, "content_removed")
    kinds = list(dossier.events.values_list("kind", flat=True))
    assert kinds == [
        EventKind.CREATED,
        EventKind.ASSIGNED,
        EventKind.STATUS_CHANGED,
        EventKind.TAKEDOWN_REQUESTED,
        EventKind.MESSAGE_TO_REPORTER,
        EventKind.STATUS_CHANGED,
    ]
    for browser in (desk, phone):
        assert browser.foreign_requests == [] and browser.errors == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert reporter.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
