import logging

import pytest
from django.core import mail
from django.db import transaction

from cases.choices import NotificationKind, YesNoUnknown
from cases.models import OutboxMessage
from cases.outbox import notify_new_report, outbox_deliver
from cases.tasks import deliver_pending_outbox
from tests.factories import DossierFactory

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
    OutboxMessage.objects.update(
        created_at=OutboxMessage.objects.first().created_at.replace(year=2020)
    )
    assert deliver_pending_outbox() == 2
    assert len(mail.outbox) == 2
    assert deliver_pending_outbox() == 0


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
