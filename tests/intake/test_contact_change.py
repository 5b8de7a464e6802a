"""The reporter changes how we may contact them, or stops it, from the follow-up page:
their current answers shown only over the follow-up session, the report form's own
questions and rule, and every later mail (one already queued included) sent as they
now say, never to the old address."""

from __future__ import annotations

import logging

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from cases import receipts
from cases.choices import ClosureReason, EventKind, NotificationKind
from cases.models import Dossier, DossierEvent, OutboxMessage
from cases.outbox import outbox_deliver
from cases.report_form import ReportQuestionsForm
from cases.services import dossier_close, dossier_message_reporter, dossier_triage
from intake import views as intake_views
from intake.throttle import Limit
from tests.factories import DossierFactory

pytestmark = pytest.mark.django_db

OLD, NEW = "lotte.old@example.invalid", "lotte.new@example.invalid"
OLD_PHONE, NEW_PHONE = "+32 470 12 34 56", "+32 471 65 43 21"
NAME, SAFE = "Lotte", "Weekdays after school"
PERSONAL = (OLD, NEW, OLD_PHONE, NEW_PHONE, NAME, SAFE, "lotte.old", "lotte.new")


def _url(name: str, language: str = "en") -> str:
    with translation.override(language):
        return reverse(name)


@pytest.fixture
def reported(users):
    code = receipts.receipt_code_for(receipts.new_submission_token())
    dossier = DossierFactory(
        receipt_hash=receipts.receipt_hash(code),
        reporter_name=NAME,
        reporter_email=OLD,
        reporter_phone=OLD_PHONE,
        voicemail_allowed=False,
        may_name_institute=False,
        safe_contact_instructions=SAFE,
        contact_language="nl",
        assignee=users["caseworker"],
    )
    return dossier, receipts.display(code)


def _open(client, code: str, language: str = "en"):
    assert client.post(_url("intake:followup-start", language), {"code": code}).status_code == 302


def _answers(**overrides) -> dict:
    """The contact page's form as the reporter sends it: the answers they gave, changed."""
    data = {
        "contact": "contact",
        "reporter_name": NAME,
        "reporter_email": OLD,
        "reporter_phone": OLD_PHONE,
        "voicemail_allowed": "no",
        "may_name_institute": "no",
        "safe_contact_instructions": SAFE,
        "contact_language": "nl",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _snapshot(dossier: Dossier) -> dict:
    fresh = Dossier.objects.get(pk=dossier.pk)
    return {
        "dossier": {f.attname: getattr(fresh, f.attname) for f in Dossier._meta.concrete_fields},
        "history": fresh.history.count(),
        "events": fresh.events.count(),
        "outbox": list(OutboxMessage.objects.values_list("id", "recipient", "language", "sent_at")),
    }


def test_without_a_follow_up_open_there_is_no_contact_page(client, reported):
    dossier, _code = reported
    before = _snapshot(dossier)
    for response in (
        client.get(_url("intake:followup-contact")),
        client.post(_url("intake:followup-contact"), _answers(reporter_email=NEW)),
    ):
        assert response.status_code == 302
        assert response["Location"] == _url("intake:followup-start")
    assert _snapshot(dossier) == before


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_the_follow_up_page_offers_it_and_it_shows_the_current_answers(client, reported, language):
    dossier, code = reported
    _open(client, code, language)
    page = client.get(_url("intake:followup", language)).content.decode()
    assert _url("intake:followup-contact", language) in page

    response = client.get(_url("intake:followup-contact", language))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    form = response.context["form"]
    assert form["contact"].value() == "contact"
    assert form["voicemail_allowed"].value() == "no"
    assert form["contact_language"].value() == "nl"
    for value in (NAME, OLD, OLD_PHONE, SAFE):
        assert escape(value) in html
    assert 'method="post"' in html and "data-contact-form" in html
    with translation.override(language):
        # The report form's own questions, in the page's language.
        assert escape(str(ReportQuestionsForm.base_fields["contact"].label)) in html
        assert escape(str(ReportQuestionsForm.base_fields["reporter_email"].label)) in html
    assert "<legend" in html  # the radio groups are fieldsets with a legend
    # The address of the page holds nothing of the reporter's; nor does any link on it.
    assert response.wsgi_request.get_full_path() == _url("intake:followup-contact", language)
    for value in PERSONAL:
        assert value not in response.wsgi_request.get_full_path()
        assert f"={value}" not in html
    assert Dossier.objects.get(pk=dossier.pk).events.count() == dossier.events.count()


def test_a_new_address_gets_the_next_mail_and_the_one_queued_before(
    client, reported, django_capture_on_commit_callbacks
):
    dossier, code = reported
    # A mail to the reporter queued but not sent yet (its delivery waits for a commit).
    dossier_message_reporter(dossier_id=dossier.pk, text="We asked the platform.")
    queued = OutboxMessage.objects.get(kind=NotificationKind.REPORTER_MESSAGE)
    assert queued.recipient == OLD

    _open(client, code)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("intake:followup-contact"), _answers(reporter_email=NEW, contact_language="fr")
        )
    assert response.status_code == 302
    assert response["Location"] == _url("intake:followup")
    followup = client.get(response["Location"]).content.decode()
    assert (
        escape("Thank you. From now on we will contact you only in the way you chose.") in followup
    )

    # The queued mail goes to the new address, in the new language, through the outbox.
    mail.outbox.clear()
    assert outbox_deliver(message_id=queued.pk)
    (sent,) = mail.outbox
    assert sent.to == [NEW]
    with translation.override("fr"):
        hello = translation.gettext("Hello,")
    assert hello != "Hello," and hello in sent.body
    # So does the next one, delivered after its commit as in production.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        dossier_message_reporter(dossier_id=dossier.pk, text="They removed it.")
    assert [m.to for m in mail.outbox] == [[NEW]]
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


def test_nothing_about_the_change_is_mailed_to_the_old_address(
    client, reported, users, django_capture_on_commit_callbacks
):
    _dossier, code = reported
    _open(client, code)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url("intake:followup-contact"), _answers(reporter_email=NEW))
    # Only whoever handles the dossier hears of it, without a word of what changed.
    assert [m.to for m in mail.outbox] == [[users["caseworker"].email]]
    (alert,) = mail.outbox
    for value in PERSONAL:
        assert value not in alert.subject + alert.body


def test_choosing_not_to_be_contacted_erases_the_details_and_stops_later_mail(
    client, reported, django_capture_on_commit_callbacks
):
    dossier, code = reported
    dossier_message_reporter(dossier_id=dossier.pk, text="Queued before.")
    queued = OutboxMessage.objects.get(kind=NotificationKind.REPORTER_MESSAGE)
    _open(client, code)
    # The details are still in the (hidden) fields: choosing "no" keeps none of them.
    response = client.post(_url("intake:followup-contact"), _answers(contact="anonymous"))
    assert response.status_code == 302
    fresh = Dossier.objects.get(pk=dossier.pk)
    assert (fresh.reporter_name, fresh.reporter_email, fresh.reporter_phone) == ("", "", "")
    assert (fresh.safe_contact_instructions, fresh.voicemail_allowed) == ("", None)
    assert fresh.contact_language == "nl"

    mail.outbox.clear()
    assert outbox_deliver(message_id=queued.pk) is False
    with django_capture_on_commit_callbacks(execute=True):
        dossier_message_reporter(dossier_id=dossier.pk, text="Any news?")
    assert mail.outbox == []
    # The message waits on the follow-up page, where the reporter reads it.
    page = client.get(_url("intake:followup")).content.decode()
    assert "Any news?" in page and "Queued before." in page
    assert _url("intake:followup-contact") in page  # and they can change their mind


@pytest.mark.parametrize("language", ["fr", "nl"])
def test_wanting_contact_without_a_way_is_explained_in_the_persons_language(
    client, reported, language
):
    dossier, code = reported
    before = _snapshot(dossier)
    _open(client, code, language)
    response = client.post(
        _url("intake:followup-contact", language),
        _answers(reporter_email="", reporter_phone=""),
    )
    assert response.status_code == 400
    html = response.content.decode()
    with translation.override(language):
        expected = str(ReportQuestionsForm.no_way_to_contact)
    assert expected != "Give an email address or a phone number, or choose to stay anonymous."
    assert escape(expected) in html
    # In the summary at the top, linked to the field, and next to the field.
    assert f'href="#id_reporter_email" class="alert-link">{escape(expected)}' in html
    assert html.count(escape(expected)) == 2
    assert "data-error-summary" in html
    assert _snapshot(dossier) == before


def test_an_invalid_email_address_keeps_everything_as_it_was(client, reported):
    dossier, code = reported
    dossier_message_reporter(dossier_id=dossier.pk, text="Queued before.")
    before = _snapshot(dossier)
    _open(client, code)
    response = client.post(
        _url("intake:followup-contact"),
        _answers(reporter_email="lotte.new@", reporter_phone=NEW_PHONE),
    )
    assert response.status_code == 400
    assert escape("Enter an email address like name@example.be.") in response.content.decode()
    assert _snapshot(dossier) == before
    assert not DossierEvent.objects.filter(kind=EventKind.CONTACT_CHANGED).exists()


def test_a_closed_dossier_still_lets_the_reporter_stop_being_contacted(client, reported):
    """Staff may still write once a dossier is closed: the reporter keeps the say."""
    dossier, code = reported
    dossier_triage(dossier_id=dossier.pk, accept=True)
    dossier_close(dossier_id=dossier.pk, closure_reason=ClosureReason.CONTENT_REMOVED)
    _open(client, code)
    assert _url("intake:followup-contact") in client.get(_url("intake:followup")).content.decode()
    page = client.get(_url("intake:followup-contact"))
    assert page.status_code == 200 and "data-contact-form" in page.content.decode()
    answer = client.post(_url("intake:followup-contact"), _answers(reporter_email=NEW))
    assert answer.status_code == 302
    assert Dossier.objects.get(pk=dossier.pk).reporter_email == NEW


def test_a_withdrawn_report_has_no_contact_page_any_more(client, reported):
    dossier, code = reported
    _open(client, code)
    client.post(_url("intake:followup-withdraw"))
    response = client.post(_url("intake:followup-contact"), _answers(reporter_email=NEW))
    assert response["Location"] == _url("intake:followup-start")
    assert Dossier.objects.get(pk=dossier.pk).reporter_email == ""


def test_too_many_posts_save_nothing(client, reported, monkeypatch):
    dossier, code = reported
    _open(client, code)
    before = _snapshot(dossier)
    monkeypatch.setattr(intake_views, "POSTS_PER_CLIENT", Limit("followup", 0, 600))
    response = client.post(_url("intake:followup-contact"), _answers(reporter_email=NEW))
    assert response.status_code == 429
    assert escape(str(intake_views.TOO_MANY_POSTS)) in response.content.decode()
    assert _snapshot(dossier) == before


def test_the_change_needs_the_pages_csrf_token(reported):
    dossier, code = reported
    client = Client(enforce_csrf_checks=True)
    page = client.get(_url("intake:followup-start"))
    token = page.context["csrf_token"]
    client.post(_url("intake:followup-start"), {"code": code, "csrfmiddlewaretoken": str(token)})
    forged = client.post(_url("intake:followup-contact"), _answers(reporter_email=NEW))
    assert forged.status_code == 403
    assert Dossier.objects.get(pk=dossier.pk).reporter_email == OLD
    token = client.get(_url("intake:followup-contact")).context["csrf_token"]
    sent = client.post(
        _url("intake:followup-contact"),
        {**_answers(reporter_email=NEW), "csrfmiddlewaretoken": str(token)},
    )
    assert sent.status_code == 302
    assert Dossier.objects.get(pk=dossier.pk).reporter_email == NEW


def test_nothing_personal_in_an_address_an_event_or_the_logs(
    client, reported, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    dossier, code = reported
    dossier_message_reporter(dossier_id=dossier.pk, text="Queued before.")
    _open(client, code)
    answers = [
        _answers(reporter_email="lotte.new@", reporter_phone=NEW_PHONE),  # refused
        _answers(reporter_email=NEW, reporter_phone=NEW_PHONE, voicemail_allowed="yes"),
        _answers(contact="anonymous"),
    ]
    addresses = []
    with django_capture_on_commit_callbacks(execute=True):
        for data in answers:
            response = client.post(_url("intake:followup-contact"), data)
            addresses += [response.wsgi_request.get_full_path(), response.get("Location", "")]
    for queued in OutboxMessage.objects.all():
        outbox_deliver(message_id=queued.pk)
    events = DossierEvent.objects.filter(dossier=dossier, kind=EventKind.CONTACT_CHANGED)
    assert [e.detail for e in events] == [
        "reporter_email,reporter_phone",
        "reporter_name,reporter_email,reporter_phone,safe_contact_instructions",
    ]
    rows = " ".join(str(row) for row in events.values())
    logged = caplog.text
    for value in PERSONAL:
        assert all(value not in address for address in addresses), value
        assert value not in rows, value
        assert value not in logged, value
    assert "the reporter changed how to be contacted" in logged
