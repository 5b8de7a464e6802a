"""Every page, in every state a person can reach it in, against WCAG 2.2 AA with axe-core
(the pages' Content-Security-Policy on): the public pages in each language on a phone,
the staff pages on a laptop and on a tablet.

Each test walks through its pages in one browser tab and checks them all before it fails,
so one run names every page, language and width that has a problem."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from cases import services
from cases.choices import ClosureReason, ContactMethod, LegalBasis, TakedownMethod, WaitingFor
from cases.models import ContentLocation, Dossier, MessageTemplate, Platform, TakedownRequest
from cases.retention import dossier_anonymise
from institute.roles import Role
from tests.browser.conftest import accessibility_violations
from tests.factories import DossierFactory, late_takedown, location
from tests.helpers import PNG, staff_log_in
from tests.intake.conftest import report_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["nl", "fr", "de", "en"]
WIDTHS = {
    "1280 px": {"width": 1280, "height": 900},
    "768 px": {"width": 768, "height": 1024},
}
EXPECTED_FAILED_LOAD = "Failed to load resource: the server responded with a status of 4"


@dataclass
class Audit:
    """axe-core's findings for each page state seen, named by page, language and width."""

    page: object
    where: str  # "nl at 360 px"
    language: str | None = None  # what <html lang> must say, if one language is expected
    found: dict[str, list[str]] = field(default_factory=dict)

    def check(self, state: str) -> None:
        problems = accessibility_violations(self.page)
        lang = self.page.locator("html").get_attribute("lang")
        if self.language and lang != self.language:
            problems.append(f"html lang is {lang!r}, not {self.language!r}")
        if problems:
            self.found[f"{state} ({self.where})"] = problems

    def assert_clean(self, browser) -> None:
        report = "\n".join(f"{state}: {problems}" for state, problems in self.found.items())
        assert self.found == {}, f"WCAG 2.2 AA violations:\n{report}"
        # Pages sent back with an error status (400, 403, 413, 429) are logged by the
        # browser as failed loads; anything else (a blocked script or style) is not expected.
        errors = [e for e in browser.errors if not e.startswith(EXPECTED_FAILED_LOAD)]
        assert browser.foreign_requests == [] and errors == [], (self.where, errors)


def _submit(page, form: str = "main form") -> int:
    """Send ``form`` with its submit button; the status of the page that comes back."""
    with page.expect_navigation() as answer:
        page.click(f"{form} button[type=submit]")
    return answer.value.status


# The public side ----------------------------------------------------------------------


def _fill_every_question(page) -> None:
    """The required answers, plus those that reveal the questions shown only after an
    answer (someone else's images, an active threat, contact details, a second address)."""
    page.check("input[name=reporter_type][value=on_behalf]")
    page.check("input[name=forms_of_abuse][value=sextortion]")
    page.fill("textarea[name=description]", "Someone wants money or he shares her photos.")
    page.check("input[name=threat_active][value=yes]")
    page.select_option("select[name=locations-0-platform_kind]", "social_media")
    page.fill("input[name=locations-0-url]", "https://social.example/p/123")
    page.click("[data-add-location]")
    page.check("input[name=contact][value=contact]")
    page.fill("input[name=reporter_email]", "reporter@example.invalid")
    page.check("input[name=consent]")
    for revealed in (
        "input[name=reporter_gender]",
        "input[name=person_gender]",
        "input[name=threat_deadline]",
        "input[name=reporter_email]",
        "select[name=locations-1-platform_kind]",
    ):
        page.locator(revealed).first.wait_for(state="visible")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_public_page_state_on_a_phone(phone, live_server, settings, monkeypatch, language):
    from intake import views as intake_views
    from intake.throttle import Limit

    page = phone.page
    base = f"{live_server.url}/{language}"
    audit = Audit(page, f"{language} at 360 px", language)

    def visit(state: str, path: str) -> None:
        assert page.goto(base + path).status == 200, state
        audit.check(state)

    visit("landing page", "/")
    visit("empty report form", "/report/")
    assert _submit(page, "form[data-report-form]") == 400
    page.wait_for_function("document.activeElement.hasAttribute('data-error-summary')")
    audit.check("report form sent back with errors")

    # A report too large to accept (the limit lowered so that the form alone exceeds it).
    limit = settings.MAX_REPORT_BODY_BYTES
    settings.MAX_REPORT_BODY_BYTES = 1024
    page.fill("textarea[name=description]", "x" * 2000)
    assert _submit(page, "form[data-report-form]") == 413
    audit.check("report too large (413)")
    settings.MAX_REPORT_BODY_BYTES = limit

    page.goto(f"{base}/report/")
    _fill_every_question(page)
    audit.check("report form filled in, every follow-up question shown")
    token = page.input_value("input[name=submission_token]")
    assert _submit(page, "form[data-report-form]") == 200
    code = page.locator("[data-receipt-code]").inner_text().strip()
    audit.check("receipt")

    # The same form sent again later (a "resend" from the history): no code shown.
    settings.RECEIPT_REPEAT_SECONDS = 0
    page.goto(f"{base}/report/")
    page.evaluate(
        "token => document.querySelector('input[name=submission_token]').value = token", token
    )
    _fill_every_question(page)
    assert _submit(page, "form[data-report-form]") == 200
    assert page.locator("[data-receipt-code]").count() == 0
    audit.check("report sent again later (already sent)")
    assert Dossier.objects.count() == 1

    dossier = Dossier.objects.get()
    services.dossier_message_reporter(
        dossier_id=dossier.pk, text="We have asked the platform to remove the photos."
    )

    visit("follow-up sign-in", "/follow-up/")
    page.fill("input[name=code]", "AAAA-BBBB-CCCC-DDDD")
    assert _submit(page) == 400
    audit.check("follow-up sign-in after a wrong code")
    with monkeypatch.context() as patched:
        patched.setattr(intake_views, "CODES_PER_CLIENT", Limit("receipt", 0, 15 * 60))
        page.fill("input[name=code]", "AAAA-BBBB-CCCC-DDDD")
        assert _submit(page) == 429
        assert page.locator("main [role=alert]").count() == 1
        audit.check("follow-up sign-in after too many tries")

    page.fill("input[name=code]", code)
    assert _submit(page) == 200
    assert page.url == f"{base}/follow-up/dossier/"
    audit.check("follow-up page")
    assert _submit(page, "section[aria-labelledby=add-title] form") == 400
    page.locator("[data-error-summary]").wait_for()
    audit.check("follow-up page sent back with errors")
    page.fill("textarea[name=message]", "It is on a second site now.")
    assert _submit(page, "section[aria-labelledby=add-title] form") == 200
    assert page.locator("[data-event=message_from_reporter]").count() == 1
    audit.check("follow-up page after adding a message")
    page.click("a[href$='/follow-up/copy/']")
    page.locator("[data-copy]").wait_for()
    page.locator("[data-print]").wait_for(state="visible")  # the script offers to print
    assert "It is on a second site now." in page.content()
    audit.check("copy of what was sent")
    page.go_back()
    page.click("a[href$='/follow-up/contact/']")
    page.locator("[data-contact-form]").wait_for()
    audit.check("how to be contacted: the current answers")
    page.fill("input[name=reporter_email]", "")
    page.fill("input[name=reporter_phone]", "")
    assert _submit(page, "form[data-contact-form]") == 400
    page.locator("[data-error-summary]").wait_for()
    audit.check("how to be contacted: sent back with errors")
    page.fill("input[name=reporter_email]", "new-address@example.invalid")
    assert _submit(page, "form[data-contact-form]") == 200
    assert page.url == f"{base}/follow-up/dossier/"
    audit.check("follow-up page after changing how to be contacted")
    page.click("a[href$='/follow-up/withdraw/']")
    page.locator("[data-withdraw]").wait_for()
    audit.check("withdraw: what happens")
    assert _submit(page, "main form:has([data-withdraw])") == 200
    page.locator("[data-withdrawn]").wait_for()
    audit.check("withdraw: done")

    # A form that expired (no CSRF cookie any more): explained in the page's language.
    page.goto(f"{base}/follow-up/")
    phone.context.clear_cookies()
    page.fill("input[name=code]", code)
    assert _submit(page) == 403
    audit.check("form expired (CSRF failure)")

    assert page.goto(f"{base}/no-such-page/").status == 404
    audit.check("page not found (404)")

    audit.assert_clean(phone)


# The staff side -----------------------------------------------------------------------


@dataclass
class StaffData:
    handled: Dossier  # in progress: locations, takedowns, a referral, notes, messages
    new: Dossier  # new, urgent, unassigned: the triage form
    waiting: Dossier
    closed: Dossier
    erased: Dossier  # closed, then its personal data erased: read only
    location: ContentLocation
    notice: TakedownRequest  # a notice stored as sent


def _staff_data(users) -> StaffData:
    """Dossiers in every status, with everything a dossier page can show; more than a
    page of them, so that the list has its page links."""
    coordinator, worker = users["coordinator"], users["caseworker"]
    with translation.override("en"):
        report_url = reverse("intake:report")
    reporter = Client()
    photo = SimpleUploadedFile("photo.png", PNG, content_type="image/png")
    sent = reporter.post(
        report_url,
        report_data(
            files=[photo],
            **{
                "locations-1-platform_kind": "forum",
                "locations-1-url": "https://forum.example/t/9",
            },
        ),
    )
    assert sent.status_code == 200, sent.content[:2000]
    handled = Dossier.objects.get()
    # Coordinators choose the templates' titles: a short one must still be a target
    # large enough to hit (WCAG 2.5.8) next to the others.
    MessageTemplate.objects.create(language=handled.reply_language, title="Bel", text="Bel ons.")
    services.dossier_triage(dossier_id=handled.pk, accept=True, by=coordinator, note="Ours.")
    services.dossier_assign(dossier_id=handled.pk, to=worker, by=coordinator)
    services.dossier_note_add(dossier_id=handled.pk, text="Called back twice.", by=coordinator)
    services.dossier_message_reporter(
        dossier_id=handled.pk, text="We asked the platform to remove it.", by=coordinator
    )
    services.dossier_contact_record(
        dossier_id=handled.pk, method=ContactMethod.PHONE, by=coordinator, note="Reassured."
    )
    services.reporter_followup_add(
        dossier_id=handled.pk, message="It is back online.", location=None, uploads=[]
    )
    first, second = ContentLocation.objects.filter(dossier=handled).order_by("id")
    listed = Platform.objects.create(name="Forum.example", kind="forum", very_large=True)
    services.location_platform_set(location_id=second.pk, platform_id=listed.pk)
    notice = services.takedown_request_record(
        location_id=first.pk,
        sent_to="Abuse desk",
        method=TakedownMethod.EMAIL,
        legal_basis=LegalBasis.DSA_NOTICE,
        by=coordinator,
        notice_language="en",
    )
    services.takedown_answer_record(
        takedown_id=notice.pk, acknowledged_at=notice.sent_at, by=coordinator
    )
    removed = services.takedown_request_record(
        location_id=second.pk,
        sent_to="Forum moderators",
        method=TakedownMethod.WEB_FORM,
        legal_basis=LegalBasis.DSA_NOTICE,
        by=coordinator,
    )
    services.takedown_outcome_record(
        takedown_id=removed.pk,
        outcome="restricted",
        recheck_on=timezone.localdate(),
        by=coordinator,
    )
    services.takedown_answer_record(
        takedown_id=removed.pk,
        reasons_received_on=timezone.localdate(),
        complaint_lodged_on=timezone.localdate(),
        reuploaded_on=timezone.localdate(),
        by=coordinator,
    )
    services.referral_record(
        dossier_id=handled.pk,
        kind="police",
        referred_on=timezone.localdate(),
        by=coordinator,
        note="Complaint at the local police.",
    )

    new = DossierFactory(
        person_minor_on_images="yes",
        received_at=timezone.now() - timedelta(days=6),  # first contact overdue
        received_in_surge=True,
        locations=[location()],
    )
    waiting = DossierFactory(language="fr", locations=[location()])
    services.dossier_triage(dossier_id=waiting.pk, accept=True, by=coordinator)
    services.dossier_wait(dossier_id=waiting.pk, waiting_for=WaitingFor.REPORTER, by=coordinator)
    closed = DossierFactory(language="de", reporter_email="", reporter_name="")
    services.dossier_triage(dossier_id=closed.pk, accept=True, by=coordinator)
    services.dossier_close(
        dossier_id=closed.pk, closure_reason=ClosureReason.CONTENT_REMOVED, by=coordinator
    )
    erased = DossierFactory(language="en", locations=[location()])
    services.dossier_triage(dossier_id=erased.pk, accept=False, by=coordinator, note="No.")
    dossier_anonymise(erased, by=coordinator)
    late_takedown()
    DossierFactory.create_batch(22)

    from institute.models import RoleRequest

    RoleRequest.objects.create(user=users["caseworker2"], role=Role.COORDINATOR)
    return StaffData(
        handled=handled,
        new=new,
        waiting=waiting,
        closed=closed,
        erased=erased,
        location=first,
        notice=notice,
    )


def test_the_report_form_without_its_script(phone, live_server):
    """Without the site's script every question is shown at once (none waits for an
    earlier answer), as on a phone with JavaScript off. axe itself needs JavaScript, so
    the page's own script is withheld instead."""
    page = phone.page
    page.route("**/intake/public.js", lambda route: route.abort())
    audit = Audit(page, "fr at 360 px without the site's script", language="fr")
    page.goto(f"{live_server.url}/fr/report/")
    assert page.locator("[data-show-if]").first.is_visible()
    audit.check("report form")
    assert _submit(page, "form[data-report-form]") == 400
    audit.check("report form with errors")
    phone.errors = [e for e in phone.errors if "ERR_FAILED" not in e]
    audit.assert_clean(phone)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_staff_page_for_a_coordinator(desk, live_server, users, width):
    data = _staff_data(users)
    page = desk.page
    page.set_viewport_size(WIDTHS[width])
    staff_log_in(desk, "coordinator")
    audit = Audit(page, f"staff at {width}", "en")  # the desk's browser asks for English
    base = live_server.url

    def visit(state: str, path: str) -> None:
        assert page.goto(base + path).status == 200, state
        audit.check(state)

    dossiers = "/staff/dossiers/"
    visit("dossier list", dossiers)
    assert page.goto(f"{base}/staff/no-such-page/").status == 404
    audit.check("page not found (404)")
    visit("dossier list by attention", f"{dossiers}?sort=attention")
    visit("dossier list, second page", f"{dossiers}?page=2")
    visit("dossier list, nothing found", f"{dossiers}?assignee=me&status=waiting")

    handled = f"{dossiers}{data.handled.pk}/"
    visit("dossier in progress", handled)
    page.evaluate("document.querySelectorAll('main details').forEach(d => d.open = true)")
    audit.check("dossier in progress, every form open")
    # A form sent back with its errors (a takedown request sent in the future), then one
    # saved (the page comes back with a message).
    page.goto(base + handled)
    page.click("details:has(form[data-form=takedown]) > summary")
    page.fill("#id_takedown-sent_to", "Abuse desk")
    page.fill("#id_takedown-sent_at", "2099-01-01T10:00")
    assert _submit(page, "form[data-form=takedown]") == 400
    audit.check("dossier with a takedown form sent back with errors")
    page.goto(base + handled)
    page.click("details:has(form[data-form=note]) > summary")
    page.fill("form[data-form=note] textarea", "Checked the forum again.")
    assert _submit(page, "form[data-form=note]") == 200
    assert page.locator("main .alert").count() > 0
    audit.check("dossier after a note is saved")

    visit("new urgent dossier", f"{dossiers}{data.new.pk}/")
    visit("waiting dossier", f"{dossiers}{data.waiting.pk}/")
    visit("closed dossier", f"{dossiers}{data.closed.pk}/")
    visit("dossier whose personal data were erased", f"{dossiers}{data.erased.pk}/")
    visit("correct details", f"{handled}details/")
    page.evaluate(
        "document.querySelectorAll('input[name^=form_][type=checkbox]')"
        ".forEach(box => box.checked = false)"
    )
    assert _submit(page, "form.details-form") == 400
    audit.check("correct details sent back with errors")
    visit("notice to copy", f"{handled}locations/{data.location.pk}/notice/")
    visit("notice in German", f"{handled}locations/{data.location.pk}/notice/?language=de")
    minor = data.new.locations.get()
    visit("notice with a minor", f"{dossiers}{data.new.pk}/locations/{minor.pk}/notice/")
    visit("notice as sent", f"{handled}takedowns/{data.notice.pk}/notice/")
    visit("takedowns due", f"{dossiers}takedowns/")

    visit("staff report form", f"{dossiers}new/")
    assert _submit(page, "form.staff-report-form") == 400
    page.locator("[data-error-summary]").wait_for()
    audit.check("staff report form sent back with errors")
    page.select_option("select[name=channel]", "phone")
    page.check("input[name=reporter_type][value=person_concerned]")
    page.check("input[name=forms_of_abuse][value=voyeurism]")
    page.fill("textarea[name=description]", "Filmed in a changing room, told by phone.")
    page.check("input[name=contact][value=anonymous]")
    assert _submit(page, "form.staff-report-form") == 200
    assert Dossier.objects.filter(channel="phone").count() == 1
    audit.check("staff report saved")

    statistics = "/staff/statistics/"
    visit("statistics", statistics)
    visit("statistics for publication", f"{statistics}?publication=on&threshold=5")
    assert page.goto(f"{base}{statistics}?start=2024-01-01").status == 400
    audit.check("statistics with a wrong period")

    visit("security", "/staff/security/")
    assert _submit(page, "form[action='/staff/security/recovery-codes/']") == 200
    assert page.locator("[data-recovery-codes] li").count() == 10
    audit.check("new recovery codes")
    visit("moving the second step (enrol)", "/staff/security/enrol/")
    visit("password change", "/staff/security/password/")
    assert _submit(page, "form[data-form=password]") == 200
    assert page.locator("form[data-form=password] .invalid-feedback").count() > 0
    audit.check("password change sent back with errors")
    visit("staff and roles", "/staff/roles/")

    audit.assert_clean(desk)
