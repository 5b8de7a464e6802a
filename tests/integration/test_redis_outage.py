"""Redis down while a person reports: the report is saved whole, and once Redis is back
a real worker sends each notification exactly once."""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.utils import timezone

from cases.choices import NotificationKind
from cases.models import Dossier, OutboxMessage
from cases.tasks import deliver_pending_outbox
from institute.celery import app
from tests.conftest import missing_service
from tests.intake.conftest import report_data
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test's own, which it can stop and start again."""

    def __init__(self, folder: Path) -> None:
        self.binary = shutil.which("redis-server")
        self.port = _free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        options = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        options += ["--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen([self.binary, *options], stdout=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url(0), socket_connect_timeout=0.5)
        assert wait_for(lambda: self._answers(client), timeout=10), "redis did not start"

    @staticmethod
    def _answers(client) -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    if server.binary is None:
        missing_service("needs redis-server on the PATH")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def broker_at(url: str):
    """Point this process's Celery producer at another broker."""
    previous = app.conf.broker_url
    app.conf.broker_url = url
    app._after_fork()  # drop pooled connections to the previous broker
    try:
        yield
    finally:
        app.conf.broker_url = previous
        app._after_fork()


def _mails(folder: Path) -> str:
    return "".join(p.read_text() for p in sorted(folder.glob("*.log"))) if folder.exists() else ""


def test_a_report_is_saved_while_redis_is_down_and_each_notice_is_sent_once_after(
    users, private_redis, celery_worker, settings, client, tmp_path, caplog
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": private_redis.url(1),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    with broker_at(private_redis.url(0)):
        private_redis.stop()
        with caplog.at_level(logging.WARNING):
            response = client.post("/fr/report/", report_data(person_minor_on_images="yes"))
        assert response.status_code == 200
        assert b"data-receipt-code" in response.content

        dossier = Dossier.objects.get()
        notices = OutboxMessage.objects.filter(dossier=dossier)
        kinds = sorted(notices.values_list("kind", flat=True))
        assert kinds == [NotificationKind.ACKNOWLEDGEMENT, NotificationKind.URGENT_REPORT]
        assert not notices.filter(sent_at__isnull=False).exists()
        assert "cache unreachable" in caplog.text  # the rate limit failed open, and said so
        assert "not queued" in caplog.text  # delivery left to the sweep

        private_redis.start()
        celery_worker(
            queue=app.conf.task_default_queue,
            REDIS_URL=private_redis.url(0),
            CELERY_BROKER_URL=private_redis.url(0),
        )
        notices.update(created_at=timezone.now() - timedelta(minutes=5))
        deliver_pending_outbox.delay()  # what beat does every minute
        assert wait_for(lambda: not notices.filter(sent_at__isnull=True).exists()), (
            "the sweep did not deliver"
        )
        deliver_pending_outbox.delay()
        time.sleep(2)  # time for a wrongful second send to show up

    text = _mails(tmp_path / "mail")
    assert text.count("Subject:") == 2
    assert list(notices.values_list("attempts", flat=True)) == [1, 1]
    assert "lotte@example.invalid" in text  # the acknowledgement went to the reporter
    assert "My ex posts my photos" not in text
