"""A reporter who did not allow us to say we are the Institute gets mail that does not
name it: neither its name, its short name, its address nor its domain, in any language."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext, pgettext

from cases.choices import NotificationKind
from cases.models import Dossier, OutboxMessage
from cases.outbox import outbox_deliver
from cases.services import dossier_message_reporter
from tests.intake.conftest import report_data

pytestmark = pytest.mark.django_db

LANGUAGES = ["nl", "fr", "de", "en"]


def _institute_names() -> set[str]:
    names = {"igvm", "iefh", "institu", "gelijkheid", "égalité", "gleichstellung", "equality"}
    for language in LANGUAGES:
        with translation.override(language):
            names.add(gettext("Institute for the Equality of Women and Men").lower())
            names.add(pgettext("short name of the Institute", "IEWM").lower())
    return names


def _named(text: str) -> list[str]:
    return sorted(name for name in _institute_names() if name in text.lower())


def _report(client, language: str, may_name: str) -> Dossier:
    with translation.override(language):
        url = reverse("intake:report")
    data = report_data(contact_language=language, may_name_institute=may_name)
    assert client.post(url, data).status_code == 200
    return Dossier.objects.latest("id")


def _deliver_to_reporter(dossier: Dossier, kind: str):
    message = OutboxMessage.objects.get(dossier=dossier, kind=kind)
    mail.outbox.clear()
    assert outbox_deliver(message_id=message.pk)
    (sent,) = mail.outbox
    row = [str(value) for value in OutboxMessage.objects.filter(pk=message.pk).values().get()]
    return sent, " ".join(row)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("answer", ["no", ""])  # "No", or the question left unanswered
def test_mail_to_a_discreet_reporter_never_names_the_institute(client, users, language, answer):
    dossier = _report(client, language, answer)
    assert dossier.discreet
    dossier_message_reporter(dossier_id=dossier.pk, text="Any news?", by=users["caseworker"])
    for kind in (NotificationKind.ACKNOWLEDGEMENT, NotificationKind.REPORTER_MESSAGE):
        sent, row = _deliver_to_reporter(dossier, kind)
        whole = " ".join([sent.from_email, sent.subject, sent.body, *sent.to])
        assert _named(whole) == [], (kind, whole)
        assert _named(row) == []
        assert sent.from_email == "no-reply@localhost"
        assert "127.0.0.1:8000" not in sent.body  # no address of ours either
        with translation.override(language):
            # Really written in the reporter's language, not left in English.
            assert gettext("Hello,") in sent.body


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_reporter_who_allowed_it_is_told_who_writes(client, language):
    dossier = _report(client, language, "yes")
    sent, _row = _deliver_to_reporter(dossier, NotificationKind.ACKNOWLEDGEMENT)
    with translation.override(language):
        assert gettext("Institute for the Equality of Women and Men") in sent.body
    assert sent.from_email.endswith("igvm-iefh.belgium.be")


def test_the_dossier_page_says_not_to_name_the_institute(client, users):
    dossier = _report(client, "en", "no")
    client.force_login(users["coordinator"])
    page = client.get(reverse("cases:dossier-detail", args=[dossier.pk])).content.decode()
    assert "data-discreet" in page
    with translation.override("nl"):  # the staff member's language
        assert (
            escape(gettext("Do not say that you are the Institute: the reporter did not allow it."))
            in page
        )
    allowed = _report(client, "en", "yes")
    page = client.get(reverse("cases:dossier-detail", args=[allowed.pk])).content.decode()
    assert "data-discreet" not in page


def test_without_a_discreet_sender_the_mail_waits_rather_than_name_the_institute(client, settings):
    dossier = _report(client, "nl", "no")
    settings.DISCREET_FROM_EMAIL = ""
    message = OutboxMessage.objects.get(dossier=dossier, kind=NotificationKind.ACKNOWLEDGEMENT)
    mail.outbox.clear()
    assert not outbox_deliver(message_id=message.pk)
    assert mail.outbox == []
    message.refresh_from_db()
    assert (message.sent_at, message.attempts, message.last_error) == (
        None,
        1,
        "ImproperlyConfigured",
    )
    settings.DISCREET_FROM_EMAIL = "no-reply@mail-desk.example.org"
    assert outbox_deliver(message_id=message.pk)
    (sent,) = mail.outbox
    assert sent.from_email == "no-reply@mail-desk.example.org"
    assert sent.message()["Message-ID"].endswith("@mail-desk.example.org>")
