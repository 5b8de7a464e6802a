"""The reporter changes how to be contacted (reporter_contact_change): one transaction
under the dossier's lock, an event that names no value, and every later mail, one
already queued included, addressed as the reporter now says."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from cases import receipts
from cases.choices import ClosureReason, EventKind, NotificationKind
from cases.models import Dossier, DossierEvent, OutboxMessage
from cases.outbox import outbox_deliver
from cases.services import (
    dossier_close,
    dossier_message_reporter,
    dossier_triage,
    dossier_update_details,
    reporter_contact_change,
)
from tests.factories import DossierFactory

pytestmark = pytest.mark.django_db

OLD, NEW = "old.mailbox@example.invalid", "new.mailbox@example.invalid"
PHONE = "+32 470 99 88 77"
TO_REPORTER = [NotificationKind.ACKNOWLEDGEMENT, NotificationKind.REPORTER_MESSAGE]


@pytest.fixture
def dossier(users) -> Dossier:
    return DossierFactory(
        reporter_name="Noor",
        reporter_email=OLD,
        reporter_phone="+32 470 11 22 33",
        safe_contact_instructions="Only after 4 pm",
        voicemail_allowed=False,
        contact_language="nl",
        wants_acknowledgement=True,
        receipt_hash=receipts.receipt_hash(receipts.receipt_code_for("contact-change")),
        assignee=users["caseworker"],
    )


def _queued_message(dossier: Dossier) -> OutboxMessage:
    """A message to the reporter, queued (its delivery waits for the commit, which a
    test does not reach): not sent yet."""
    dossier_message_reporter(dossier_id=dossier.pk, text="We have news.")
    return OutboxMessage.objects.get(dossier=dossier, kind=NotificationKind.REPORTER_MESSAGE)


def test_a_mail_queued_before_the_change_goes_to_the_new_address_in_the_new_language(dossier):
    queued = _queued_message(dossier)
    assert (queued.recipient, queued.language) == (OLD, "nl")

    reporter_contact_change(dossier_id=dossier.pk, reporter_email=NEW, contact_language="fr")

    queued.refresh_from_db()
    assert (queued.recipient, queued.language, queued.sent_at) == (NEW, "fr", None)
    assert outbox_deliver(message_id=queued.pk)
    (sent,) = mail.outbox
    assert sent.to == [NEW]
    with translation.override("fr"):
        hello = translation.gettext("Hello,")
    assert hello != "Hello," and hello in sent.body  # written in French, not in Dutch
    # And the next one is written with the new address from the start.
    dossier_message_reporter(dossier_id=dossier.pk, text="More news.")
    later = OutboxMessage.objects.filter(kind=NotificationKind.REPORTER_MESSAGE).latest("id")
    assert (later.recipient, later.language) == (NEW, "fr")


def test_delivery_reads_the_address_from_the_dossier_whoever_changed_it(dossier, users):
    """A staff correction of the address, made after a mail was queued, applies too:
    delivery addresses a reporter's mail as the dossier says then."""
    queued = _queued_message(dossier)
    dossier_update_details(
        dossier_id=dossier.pk, changes={"reporter_email": NEW}, by=users["caseworker"]
    )
    assert outbox_deliver(message_id=queued.pk)
    assert [m.to for m in mail.outbox] == [[NEW]]
    queued.refresh_from_db()
    assert queued.recipient == NEW  # the row says where it went


def test_no_more_mail_once_the_reporter_leaves_no_address(dossier):
    queued = _queued_message(dossier)
    reporter_contact_change(
        dossier_id=dossier.pk,
        reporter_name="",
        reporter_email="",
        reporter_phone="",
        voicemail_allowed=None,
        may_name_institute=None,
        safe_contact_instructions="",
    )
    queued.refresh_from_db()
    assert queued.sent_at is not None and queued.recipient == ""  # settled, unsent
    assert outbox_deliver(message_id=queued.pk) is False
    dossier_message_reporter(dossier_id=dossier.pk, text="Still there?")
    assert not OutboxMessage.objects.filter(sent_at__isnull=True, kind__in=TO_REPORTER).exists()
    assert mail.outbox == []
    dossier.refresh_from_db()
    assert (dossier.reporter_email, dossier.reporter_phone, dossier.reporter_name) == ("", "", "")
    assert dossier.wants_acknowledgement is False


def test_delivery_settles_a_reporters_mail_once_the_dossier_holds_no_address(dossier):
    """Delivery checks again: a row somehow still pending for a dossier that now has no
    address is settled, never sent to the address it was written with."""
    queued = _queued_message(dossier)
    Dossier.objects.filter(pk=dossier.pk).update(reporter_email="")
    assert outbox_deliver(message_id=queued.pk) is False
    assert mail.outbox == []
    queued.refresh_from_db()
    assert queued.sent_at is not None and queued.recipient == ""


def test_the_event_names_what_changed_and_no_value(dossier, users):
    history = dossier.history.count()
    reporter_contact_change(
        dossier_id=dossier.pk,
        reporter_email=NEW,
        reporter_phone=PHONE,
        voicemail_allowed=True,
        reporter_name="Noor",  # unchanged: not named
    )
    changed = DossierEvent.objects.get(dossier=dossier, kind=EventKind.CONTACT_CHANGED)
    assert changed.actor is None and changed.note == ""
    assert changed.detail == "reporter_email,reporter_phone"
    row = " ".join(
        str(value) for value in DossierEvent.objects.filter(pk=changed.pk).values().get().values()
    )
    for personal in (OLD, NEW, PHONE, "+32 470 11 22 33", "Noor"):
        assert personal not in row
    # One history row, which holds the coded answer and none of the personal ones.
    dossier.refresh_from_db()
    assert dossier.history.count() == history + 1
    record = dossier.history.latest("history_id")
    assert record.history_id == changed.history_id
    assert record.voicemail_allowed is True
    assert not hasattr(record, "reporter_email") and not hasattr(record, "reporter_phone")
    # Staff read on the timeline what changed, not what it is.
    line = _timeline(users, dossier).split('data-event="contact_changed"')[1].split("</ul>")[0]
    assert line.count("<li>") == 3  # the email, the phone, the voicemail
    assert NEW not in line and PHONE not in line


def _timeline(users, dossier: Dossier) -> str:
    from django.test import Client

    client = Client()
    client.force_login(users["coordinator"])
    return client.get(reverse("cases:dossier-detail", args=[dossier.pk])).content.decode()


def test_the_handler_is_told_without_a_word_of_it(
    dossier, users, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reporter_contact_change(dossier_id=dossier.pk, reporter_email=NEW)
    (alert,) = mail.outbox
    assert alert.to == [users["caseworker"].email]
    whole = " ".join([alert.subject, alert.body])
    assert OLD not in whole and NEW not in whole
    assert dossier.reference in alert.subject
    sent = OutboxMessage.objects.get(kind=NotificationKind.REPORTER_CONTACT_CHANGED)
    assert sent.dossier_id == dossier.pk


def test_the_same_answers_again_change_nothing(dossier):
    events, history = dossier.events.count(), dossier.history.count()
    reporter_contact_change(dossier_id=dossier.pk, reporter_email=OLD, contact_language="nl")
    assert (dossier.events.count(), dossier.history.count()) == (events, history)


def test_an_answer_the_dossier_cannot_hold_changes_nothing(dossier):
    queued = _queued_message(dossier)
    events = dossier.events.count()
    for answers in (
        {"reporter_email": "not an address"},
        {"reporter_email": NEW, "contact_language": "xx"},
        {"reporter_email": NEW, "reporter_name": "x" * 201},
    ):
        with pytest.raises(ValidationError):
            reporter_contact_change(dossier_id=dossier.pk, **answers)
    with pytest.raises(TypeError):
        reporter_contact_change(dossier_id=dossier.pk, description="Not a contact field")
    fresh = Dossier.objects.get(pk=dossier.pk)
    assert (fresh.reporter_email, fresh.contact_language, fresh.reporter_name) == (
        OLD,
        "nl",
        "Noor",
    )
    assert fresh.events.count() == events
    queued.refresh_from_db()
    assert queued.recipient == OLD


def test_a_closed_dossier_still_takes_the_change(dossier):
    dossier_triage(dossier_id=dossier.pk, accept=True)
    dossier_close(dossier_id=dossier.pk, closure_reason=ClosureReason.CONTENT_REMOVED)
    reporter_contact_change(dossier_id=dossier.pk, reporter_email=NEW)
    assert Dossier.objects.get(pk=dossier.pk).reporter_email == NEW
    assert dossier.events.filter(kind=EventKind.CONTACT_CHANGED).exists()


def test_the_old_address_is_forgotten_in_the_mail_already_sent(dossier):
    """A mail sent before the change kept the address it went to: the reporter asked for
    it to be forgotten, so it is."""
    sent = _queued_message(dossier)
    assert outbox_deliver(message_id=sent.pk)
    reporter_contact_change(dossier_id=dossier.pk, reporter_email=NEW)
    sent.refresh_from_db()
    assert sent.recipient == "" and sent.sent_at is not None
    recipients = [m.recipient for m in OutboxMessage.objects.filter(dossier=dossier)]
    assert OLD not in recipients


def test_saving_the_language_shown_without_a_choice_changes_nothing(users):
    """No contact language chosen: the page shows the report's; saving it as it is is no
    change (no event, no mail to staff)."""
    dossier = DossierFactory(reporter_email=OLD, language="fr", contact_language="")
    events, outbox = dossier.events.count(), OutboxMessage.objects.count()
    reporter_contact_change(dossier_id=dossier.pk, reporter_email=OLD, contact_language="fr")
    assert (dossier.events.count(), OutboxMessage.objects.count()) == (events, outbox)
