import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from cases.models import OutboxMessage
from cases.outbox import notify_new_report
from cases.tasks import deliver_pending_outbox
from institute.celery import app
from tests.factories import DossierFactory
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _mails(folder: Path) -> str:
    return "".join(p.read_text() for p in sorted(folder.glob("*.log"))) if folder.exists() else ""


def _report() -> list[int]:
    with transaction.atomic():
        dossier = DossierFactory(
            reporter_email="someone@example.invalid",
            wants_acknowledgement=True,
            description="nobody may read this in a mail",
        )
        return [m.pk for m in notify_new_report(dossier=dossier)]


def _pending(ids: list[int] | None = None) -> int:
    rows = OutboxMessage.objects.filter(sent_at__isnull=True)
    return rows.filter(pk__in=ids).count() if ids is not None else rows.count()


def test_a_real_worker_delivers_after_commit_and_the_sweep_delivers_the_stranded(
    users, celery_worker, tmp_path
):
    mail_dir = tmp_path / "mail"
    default_queue = app.conf.task_default_queue
    app.control.purge()

    # Delivery tasks lost on the way (here: purged from Redis before any worker runs)
    # leave their rows pending.
    stranded = _report()
    assert len(stranded) == 2
    assert app.control.purge() == 1  # one delivery task for all the report's messages

    celery_worker(queue=default_queue)
    # After commit, the delivery tasks reach the worker through Redis.
    delivered = _report()
    assert wait_for(lambda: _pending(delivered) == 0), "the worker did not deliver"
    assert _pending(stranded) == len(stranded)

    # The periodic sweep picks up what is pending for a while, and sends it once.
    OutboxMessage.objects.filter(pk__in=stranded).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    deliver_pending_outbox.delay()
    assert wait_for(lambda: _pending() == 0), "the sweep did not deliver"
    deliver_pending_outbox.delay()
    time.sleep(2)  # give a wrongful second send the time to show up

    text = _mails(mail_dir)
    assert text.count("Subject:") == len(stranded) + len(delivered) == 4
    assert "nobody may read this" not in text
    assert OutboxMessage.objects.filter(attempts=1).count() == 4


def test_the_daily_digest_goes_out_through_a_real_worker(users, celery_worker, tmp_path):
    from cases.choices import NotificationKind
    from cases.tasks import send_daily_digests

    app.control.purge()
    late = DossierFactory(
        received_at=timezone.now() - timedelta(days=7), description="nobody may read this"
    )
    OutboxMessage.objects.all().delete()
    celery_worker(queue=app.conf.task_default_queue)

    send_daily_digests.delay()
    digests = OutboxMessage.objects.filter(kind=NotificationKind.DAILY_DIGEST)
    assert wait_for(lambda: digests.filter(sent_at__isnull=False).count() == 1)
    send_daily_digests.delay()  # beat firing twice the same day adds nothing
    time.sleep(2)
    assert digests.count() == 1 and digests.get().staff_member == users["coordinator"]
    text = _mails(tmp_path / "mail")
    assert text.count("Subject:") == 1
    assert late.reference in text and "nobody may read this" not in text
