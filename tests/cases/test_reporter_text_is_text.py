"""What anyone typed is text on every page and in every mail.

One dossier gets markup in every free-text field, through the public form, the follow-up
page and every staff form (tests/markup.py). Then every page that shows it, staff and
public, its request texts, the timeline, the digest and every mail are rendered: no
payload may come out as markup. The browser run of the same pages is in
tests/browser/test_reporter_text_is_text.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from cases.choices import EventKind
from cases.digest import digest_for
from cases.models import DOSSIER_PERSONAL_FIELDS, ContentLocation, DossierEvent, OutboxMessage
from cases.outbox import _render, notify_daily_digest
from tests.markup import EMAIL_PAYLOAD, PAYLOADS, URL_PAYLOADS, build_scenario, scan

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario(users):
    return build_scenario(users)


def _all_payloads() -> list[str]:
    return [*PAYLOADS, *URL_PAYLOADS, EMAIL_PAYLOAD]


def test_every_free_text_field_really_holds_markup(scenario):
    """The payloads were accepted and stored as typed; otherwise the checks below would
    pass for nothing."""
    dossier = scenario.dossier
    for name in DOSSIER_PERSONAL_FIELDS:
        if name == "reporter_email":
            assert getattr(dossier, name) == EMAIL_PAYLOAD
        else:
            assert "<img src=x onerror=alert(1)>" in getattr(dossier, name), name
    for location in ContentLocation.objects.filter(dossier=dossier):
        assert location.url in URL_PAYLOADS
        assert "</textarea><meta" in location.platform_name
    events = DossierEvent.objects.filter(dossier=dossier).exclude(kind=EventKind.ASSIGNED)
    notes = [event.note for event in events if event.note]
    assert len(notes) >= 12  # reporter's message, triage, note, message, contact, ...
    assert all(PAYLOADS[0] in note for note in notes)
    sent_to = [t.sent_to for t in dossier.takedowns.all()]
    assert len(sent_to) == 3 and all(PAYLOADS[0] in value for value in sent_to)


def _check(html: str, where: str) -> None:
    page = scan(html)
    assert page.problems == [], f"{where}: {page.problems}"


def test_no_staff_page_lets_markup_act(scenario, users):
    staff = Client()
    staff.force_login(users["coordinator"])
    for url in scenario.staff_pages:
        response = staff.get(url)
        assert response.status_code == 200, url
        _check(response.content.decode(), url)
    # Later, when the takedown is due and its removal due for a check.
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        staff.force_login(users["coordinator"])
        due = staff.get(reverse("cases:takedowns-due"))
        assert scenario.dossier.reference in due.content.decode()
        _check(due.content.decode(), "takedowns due")


def test_the_admin_lets_no_markup_act(scenario, users):
    admin = Client()
    admin.force_login(users["admin"])
    for url in (
        reverse("admin:cases_dossier_changelist"),
        reverse("admin:cases_dossier_change", args=[scenario.dossier.pk]),
    ):
        response = admin.get(url)
        assert response.status_code == 200, url
        _check(response.content.decode(), url)


def test_forms_sent_back_with_errors_show_the_markup_as_text(scenario):
    for html in scenario.rejected_pages:
        _check(html, "form with errors")


def test_the_request_texts_are_escaped_in_the_page_and_plain_in_the_copy(scenario, users):
    staff = Client()
    staff.force_login(users["coordinator"])
    for location in ContentLocation.objects.filter(dossier=scenario.dossier):
        url = reverse("cases:takedown-notice", args=[scenario.dossier.pk, location.pk])
        for language in ("nl", "fr", "de", "en"):
            page = scan(staff.get(url, {"language": language}).content.decode())
            assert page.problems == []
            text = page.textareas[0]  # the notice; then the record form's note
            # What a coordinator copies is the address exactly as it was given.
            assert location.url in text
            # The name the reporter typed is not the Institute's words in a legal notice.
            assert location.platform_name not in text
            assert "&lt;" not in text and "&quot;" not in text


def test_the_reporters_follow_up_page_lets_no_markup_act(scenario):
    reporter = Client()
    with translation.override("en"):
        start, followup = reverse("intake:followup-start"), reverse("intake:followup")
    assert reporter.post(start, {"code": scenario.code}).status_code == 302
    response = reporter.get(followup)
    assert response.status_code == 200
    html = response.content.decode()
    assert "alert(1)" in html  # the staff message, shown as text
    _check(html, "follow-up page")


def test_the_reporters_contact_page_shows_their_answers_as_text(scenario):
    """The contact page fills in the reporter's own answers, and gives back what they
    typed when it has errors: as text, every time."""
    reporter = Client()
    with translation.override("en"):
        start, contact = reverse("intake:followup-start"), reverse("intake:followup-contact")
    assert reporter.post(start, {"code": scenario.code}).status_code == 302
    response = reporter.get(contact)
    assert response.status_code == 200
    assert response.context["form"]["reporter_name"].value() == scenario.dossier.reporter_name
    _check(response.content.decode(), "contact page")
    sent_back = reporter.post(
        contact,
        {
            "contact": "contact",
            "reporter_name": scenario.dossier.reporter_name,
            "reporter_email": EMAIL_PAYLOAD + "<",
            "safe_contact_instructions": scenario.dossier.safe_contact_instructions,
            "contact_language": "en",
        },
    )
    assert sent_back.status_code == 400
    _check(sent_back.content.decode(), "contact page with errors")


def test_no_mail_carries_the_markup_or_any_of_the_text(scenario, users):
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        digest = digest_for(users["coordinator"])
        assert scenario.dossier in {d for d in digest.overdue} | {
            t.dossier for t in digest.takedowns
        }
        notify_daily_digest(user=users["coordinator"], day=timezone.localdate())
        messages = list(OutboxMessage.objects.all())
        kinds = {message.kind for message in messages}
        assert {"acknowledgement", "new_report", "reporter_message", "daily_digest"} <= kinds
        for message in messages:
            rendered = _render(message)
            if rendered is None:
                continue
            for part in rendered:
                for payload in _all_payloads():
                    assert payload not in (part or ""), message.kind
                assert "alert(" not in (part or "") and "evil.example" not in (part or "")
