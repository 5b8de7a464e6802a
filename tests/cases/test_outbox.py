import logging
import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from cases.choices import NotificationKind, YesNoUnknown
from cases.models import OutboxMessage
from cases.outbox import notify_new_report, outbox_deliver
from cases.tasks import deliver_pending_outbox
from tests.factories import DossierFactory
from tests.smtp import smtp_server

pytestmark = pytest.mark.django_db

NAME, EMAIL, STORY = "Yasmine Private", "yasmine.private@example.invalid", "my ex-boyfriend Tom"


def _reporting_dossier(**kwargs):
    return DossierFactory(
        reporter_name=NAME,
        reporter_email=EMAIL,
        description=STORY,
        wants_acknowledgement=True,
        **kwargs,
    )


def test_a_new_report_alerts_coordinators_and_acknowledges_once(
    users, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            dossier = _reporting_dossier(language="fr")
            notify_new_report(dossier=dossier)
        assert len(mail.outbox) == 0  # nothing leaves before the commit
    kinds = sorted(m.kind for m in OutboxMessage.objects.all())
    assert kinds == [NotificationKind.ACKNOWLEDGEMENT, NotificationKind.NEW_REPORT]
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted([EMAIL, users["coordinator"].email])

    # Delivering again (a retried task, the sweep) sends nothing more.
    for message in OutboxMessage.objects.all():
        assert outbox_deliver(message_id=message.pk) is False
    assert deliver_pending_outbox() == 0
    assert len(mail.outbox) == 2


def test_a_minor_makes_the_alert_urgent(users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        dossier = _reporting_dossier(person_minor_on_images=YesNoUnknown.YES)
        notify_new_report(dossier=dossier)
    alert = next(m for m in mail.outbox if m.to == [users["coordinator"].email])
    # Staff alerts are in the Institute's default language (Dutch here).
    assert alert.subject == f"DRINGEND: nieuwe melding {dossier.reference} met een minderjarige"


def test_no_acknowledgement_unless_asked_for(users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify_new_report(dossier=DossierFactory(reporter_email=EMAIL))
    assert [m.to for m in mail.outbox] == [[users["coordinator"].email]]


def test_a_rolled_back_report_leaves_no_notification(users):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify_new_report(dossier=_reporting_dossier())
        raise RuntimeError("failed later in the same transaction")
    assert not OutboxMessage.objects.exists()


def test_mail_bodies_and_logs_carry_no_personal_data(
    users, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        notify_new_report(dossier=_reporting_dossier(language="nl"))
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        for secret in [NAME, EMAIL, STORY]:
            assert secret not in message.body
            assert secret not in message.subject
    for secret in [NAME, EMAIL, STORY]:
        assert secret not in caplog.text


def test_a_failed_send_is_recorded_and_retried_by_the_sweep(
    users, settings, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.cases.failing_mail.FailingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        notify_new_report(dossier=_reporting_dossier())
    pending = OutboxMessage.objects.filter(sent_at__isnull=True)
    assert pending.count() == 2
    assert {m.last_error for m in pending} == {"ConnectionRefusedError"}
    assert EMAIL not in caplog.text

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert deliver_pending_outbox() == 0  # the first retry waits a minute
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert deliver_pending_outbox() == 2
        assert len(mail.outbox) == 2
        assert deliver_pending_outbox() == 0


def _smtp_alert(settings, users):
    """One alert to one coordinator, through the real SMTP server."""
    from cases.outbox import outbox_enqueue

    return outbox_enqueue(
        kind=NotificationKind.URGENT_REPORT,
        recipient=users["coordinator"].email,
        language="nl",
        dossier=DossierFactory(),
    )


def test_an_alert_is_never_given_up_and_goes_once_the_mail_server_is_back(users, settings, caplog):
    """A mail server refusing for a long time (here 25 attempts over hours, more than
    any fixed limit would allow): the alert waits longer and longer between attempts,
    the administrators are told once, and it goes as soon as the server accepts."""
    settings.OUTBOX_RETRY_BASE_SECONDS, settings.OUTBOX_RETRY_MAX_SECONDS = 60, 1800
    settings.OUTBOX_STUCK_AFTER_ATTEMPTS = 5
    with smtp_server(settings) as server:
        server.refusing = True
        start = timezone.now()
        with transaction.atomic():
            alert = _smtp_alert(settings, users)
        waits = []
        with time_machine.travel(start + timedelta(seconds=31), tick=False) as clock:
            for attempt in range(1, 26):
                if alert.next_attempt_at:
                    # The sweep runs every minute; nothing is tried before the wait ends.
                    clock.move_to(alert.next_attempt_at - timedelta(seconds=1))
                    assert deliver_pending_outbox() == 0 and server.refused == attempt - 1
                    clock.move_to(alert.next_attempt_at)
                assert deliver_pending_outbox() == 0
                assert server.refused == attempt
                alert.refresh_from_db()
                waits.append(alert.next_attempt_at - timezone.now())
            assert alert.sent_at is None and alert.attempts == 25 == server.refused
            # Doubling from a minute, never more than half an hour.
            assert [round(w.total_seconds() / 60) for w in waits[:6]] == [1, 2, 4, 8, 16, 30]
            assert max(waits) == timedelta(minutes=30)
            stuck = [r for r in caplog.records if r.levelno == logging.ERROR]
            assert len(stuck) == 1 and f"outbox message {alert.pk}" in stuck[0].getMessage()

            server.refusing = False
            clock.shift(timedelta(minutes=31))
            assert deliver_pending_outbox() == 1
        assert len(server.received) == 1
        alert.refresh_from_db()
        assert alert.sent_at is not None


def test_without_a_broker_a_message_is_sent_in_process_quietly(
    users, caplog, django_capture_on_commit_callbacks
):
    """make run: no broker, so no connection to one is opened (kombu would warn about a
    missing host), and the tasks' own "succeeded" lines do not bury the demo logins."""
    from institute.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        dossier = DossierFactory()
        with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
            notify_new_report(dossier=dossier)
    finally:
        app.conf.task_always_eager = eager
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    assert [r.name for r in caplog.records if r.name.startswith("kombu")] == []


def test_a_mail_sent_again_carries_the_same_message_id(users, settings):
    """Delivery is at least once: when recording a sent mail fails (the database dies
    right after the server accepted it), the mail goes again. Both copies carry one
    Message-ID, so mail clients and servers can drop the second; another mail has
    another one, in the sender's domain."""
    settings.DEFAULT_FROM_EMAIL = "Institute <alerts@iefh.example>"
    with smtp_server(settings) as server:
        alert, other = _smtp_alert(settings, users), _smtp_alert(settings, users)
        assert outbox_deliver(message_id=alert.pk)
        OutboxMessage.objects.filter(pk=alert.pk).update(sent_at=None)  # "not recorded"
        assert outbox_deliver(message_id=alert.pk)
        assert outbox_deliver(message_id=other.pk)
    first, again, another = (m["Message-ID"] for m in server.received)
    assert first == again != another
    assert re.fullmatch(r"<[0-9a-f]{32}@iefh\.example>", first)  # a keyed hash, no id


def test_administrators_see_what_is_stuck_and_retry_it_now(
    users, settings, client, django_capture_on_commit_callbacks
):
    settings.OUTBOX_STUCK_AFTER_ATTEMPTS = 2
    with smtp_server(settings) as server:
        server.refusing = True
        stuck = _smtp_alert(settings, users)
        for _ in range(2):
            OutboxMessage.objects.filter(pk=stuck.pk).update(next_attempt_at=None)
            outbox_deliver(message_id=stuck.pk)
        fine = _smtp_alert(settings, users)
        server.refusing = False
        outbox_deliver(message_id=fine.pk)

        client.force_login(users["admin"])
        listing = client.get("/admin/cases/outboxmessage/", {"state": "stuck"})
        assert listing.status_code == 200
        ids = re.findall(r'name="_selected_action" value="(\d+)"', listing.content.decode())
        assert ids == [str(stuck.pk)]
        assert users["coordinator"].email not in listing.content.decode()  # no recipient

        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                "/admin/cases/outboxmessage/",
                {"action": "retry_now", "_selected_action": [stuck.pk]},
            )
    stuck.refresh_from_db()
    assert stuck.sent_at is not None and len(server.received) == 2


def test_a_report_that_alerts_several_people_publishes_one_delivery(
    users, django_capture_on_commit_callbacks
):
    """Two coordinators and an acknowledgement: three messages, one task after the
    commit (each publish costs the request a round trip to the broker)."""
    from institute.roles import Role

    second = type(users["coordinator"]).objects.create_user("coordinator3", email="c3@demo.invalid")
    second.groups.add(users["coordinator"].groups.get(name=Role.COORDINATOR))
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        messages = notify_new_report(dossier=_reporting_dossier())
    assert len(messages) >= 3
    deliveries = [c for c in callbacks if type(c).__name__ == "_DeliveryAfterCommit"]
    assert len(deliveries) == 1 and deliveries[0].message_ids == [m.pk for m in messages]
    assert len(mail.outbox) == len(messages)


def test_messages_of_a_savepoint_rolled_back_are_not_delivered(
    users, django_capture_on_commit_callbacks
):
    from cases.outbox import outbox_enqueue

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        kept = outbox_enqueue(kind="new_report", recipient="a@demo.invalid", language="nl")
        try:
            with transaction.atomic():
                outbox_enqueue(kind="new_report", recipient="b@demo.invalid", language="nl")
                raise RuntimeError
        except RuntimeError:
            pass
    assert [c.message_ids for c in callbacks] == [[kept.pk]]
    assert [m.to for m in mail.outbox] == [["a@demo.invalid"]]
