"""A person reports on a phone, in each language, then follows up with the code."""

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext

from cases.choices import EventKind, Status
from cases.models import Dossier, DossierEvent
from intake.views import STATUS_EXPLAINED
from tests.browser.conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASES = [
    ("nl", ["ncii"], "Mijn ex deelt mijn foto's in een groepschat."),
    ("fr", ["voyeurism"], "Quelqu'un m'a filmée dans les vestiaires."),
    ("de", ["sextortion"], "Jemand verlangt Geld, sonst teilt er Bilder."),
    ("en", ["ncii", "sextortion"], "He shares my pictures and wants money."),
]


def _t(language: str, text) -> str:
    with translation.override(language):
        return gettext(str(text)) if isinstance(text, str) else str(text)


def _fill_report(page, forms: list[str], story: str) -> None:
    page.check("input[name=reporter_type][value=person_concerned]")
    for form in forms:
        page.check(f"input[name=forms_of_abuse][value={form}]")
    page.fill("textarea[name=description]", story)
    page.select_option("select[name=locations-0-platform_kind]", "social_media")
    page.fill("input[name=locations-0-url]", "https://social.example/p/123")
    page.check("input[name=consent]")


@pytest.mark.parametrize(("language", "forms", "story"), CASES)
def test_a_report_on_a_phone_yields_a_receipt_that_opens_the_follow_up(
    phone, live_server, language, forms, story
):
    page = phone.page
    page.goto(f"{live_server.url}/{language}/")
    with page.expect_navigation():
        page.click(f"a[href='/{language}/report/'] >> nth=0")
    assert page.locator("html").get_attribute("lang") == language
    _fill_report(page, forms, story)
    with page.expect_navigation():
        page.click("form[data-report-form] button[type=submit]")

    code = page.locator("[data-receipt-code]").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # The code never breaks across lines, even on the narrowest phone.
    page.set_viewport_size({"width": 320, "height": 740})
    lines = page.evaluate(
        """() => { const range = document.createRange();
                   range.selectNodeContents(document.querySelector('[data-receipt-code]'));
                   return range.getClientRects().length; }"""
    )
    assert lines == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.set_viewport_size(PHONE)
    dossier = Dossier.objects.get()
    assert (dossier.language, dossier.forms_of_abuse, dossier.channel) == (language, forms, "web")
    assert dossier.description == story
    assert dossier.locations.get().url == "https://social.example/p/123"

    # Leaving the receipt before saying the code is kept asks first.
    page.click("[data-receipt-code]")  # browsers only ask once the page was touched
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.click("footer a >> nth=1")
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]
    assert page.locator("[data-receipt-code]").is_visible()
    page.check("[data-receipt-kept]")
    with page.expect_navigation():
        page.click("[data-receipt-done] button[type=submit]")
    assert page.url.startswith(f"{live_server.url}/{language}/?")

    page.goto(f"{live_server.url}/{language}/follow-up/")
    page.fill("input[name=code]", code.lower())
    with page.expect_navigation():
        page.click("form.followup-code-form button[type=submit]")
    assert page.url == f"{live_server.url}/{language}/follow-up/dossier/"
    assert page.locator("[data-status]").inner_text() == _t(language, STATUS_EXPLAINED[Status.NEW])
    page.fill("textarea[name=message]", "It is on a second site now.")
    with page.expect_navigation():
        page.click("section[aria-labelledby=add-title] button[type=submit]")
    assert page.url == f"{live_server.url}/{language}/follow-up/dossier/"
    thanks = _t(language, "Thank you. We have received what you added.")
    assert thanks in page.locator("main").inner_text()

    message = DossierEvent.objects.get(kind=EventKind.MESSAGE_FROM_REPORTER)
    assert (message.dossier_id, message.note) == (dossier.pk, "It is on a second site now.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert phone.foreign_requests == []
    assert phone.errors == []


def test_the_form_works_without_javascript(phone_without_javascript, live_server):
    page = phone_without_javascript.page
    page.goto(f"{live_server.url}/en/report/")
    # Without JavaScript every question is visible, the contact details included.
    assert page.is_visible("input[name=reporter_email]")
    _fill_report(page, ["voyeurism"], "Filmed in a changing room.")
    page.check("input[name=contact][value=contact]")
    page.fill("input[name=reporter_email]", "me@example.invalid")
    with page.expect_navigation():
        page.click("form[data-report-form] button[type=submit]")
    assert page.locator("[data-receipt-code]").is_visible()
    assert Dossier.objects.get().reporter_email == "me@example.invalid"
    assert phone_without_javascript.foreign_requests == []


def test_errors_are_listed_at_the_top_and_what_was_typed_is_kept(phone, live_server):
    page = phone.page
    page.goto(f"{live_server.url}/fr/report/")
    page.fill("textarea[name=description]", "Ce que j'ai écrit reste là.")
    with page.expect_navigation():
        page.click("form[data-report-form] button[type=submit]")
    unlabelled = page.evaluate(
        """Array.from(document.querySelectorAll("input:not([type=hidden]), select, textarea"))
             .filter((input) => input.labels.length === 0).map((input) => input.name)"""
    )
    assert unlabelled == []
    summary = page.locator("[data-error-summary]")
    assert summary.is_visible()
    page.wait_for_function("document.activeElement.hasAttribute('data-error-summary')")
    assert _t("fr", "Say who this report is about.") in summary.inner_text()
    assert page.input_value("textarea[name=description]") == "Ce que j'ai écrit reste là."
    summary.locator("a").first.click()  # each problem links to its question
    page.wait_for_function("document.activeElement.id === 'id_reporter_type_0'")
    assert page.title().startswith(_t("fr", "Error:"))
    assert not Dossier.objects.exists()


def test_the_quick_exit_leaves_and_replaces_the_page_in_the_history(phone, live_server, settings):
    settings.QUICK_EXIT_URL = f"{live_server.url}/healthz"
    page = phone.page
    page.goto(f"{live_server.url}/en/")
    page.goto(f"{live_server.url}/en/report/")
    page.fill("textarea[name=description]", "something private")
    # Esc closes autofill and pickers: it must never throw the report away, nor may
    # Shift typed in a field.
    page.keyboard.press("Escape")
    for _ in range(3):
        page.keyboard.press("Shift")
    page.wait_for_timeout(300)
    assert page.url == f"{live_server.url}/en/report/"
    assert page.input_value("textarea[name=description]") == "something private"
    # Outside a field, Shift pressed three times leaves.
    page.evaluate("document.activeElement.blur()")
    for _ in range(3):
        page.keyboard.press("Shift")
    page.wait_for_url(settings.QUICK_EXIT_URL)
    page.go_back()
    assert page.url == f"{live_server.url}/en/"  # the report page is gone from history

    page.goto(f"{live_server.url}/en/follow-up/")
    page.click("[data-quick-exit]")
    page.wait_for_url(settings.QUICK_EXIT_URL)


def _luminance(colour: str) -> float:
    red, green, blue = (int(part) / 255 for part in re.findall(r"\d+", colour)[:3])

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def _contrast(one: str, other: str) -> float:
    light, dark = sorted([_luminance(one), _luminance(other)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_form_controls_and_the_focus_ring_stand_out(phone, live_server):
    """WCAG 1.4.11: the borders of unticked radio buttons and checkboxes, of fields, and
    the focus indicator reach 3:1 against the page, as Chromium computes them."""
    page = phone.page
    page.goto(f"{live_server.url}/en/report/")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    for selector in [
        "input[name=reporter_type][value=person_concerned]",
        "input[name=forms_of_abuse][value=ncii]",
        "textarea[name=description]",
        "select[name=locations-0-platform_kind]",
    ]:
        border = page.evaluate(
            f"getComputedStyle(document.querySelector('{selector}')).borderTopColor"
        )
        assert _contrast(border, background) >= 3, (selector, border)
    page.focus("textarea[name=description]")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
    width = page.evaluate("getComputedStyle(document.activeElement).outlineWidth")
    assert _contrast(outline, background) >= 3 and float(width.rstrip("px")) >= 2
    page.focus("input[name=reporter_type][value=person_concerned]")
    page.keyboard.press("ArrowDown")  # keyboard focus: :focus-visible
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
    assert _contrast(outline, background) >= 3
