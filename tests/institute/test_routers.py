"""The database router: the statistics read the replica inside ``replica_reads()``,
everything else reads and writes the primary, and without a replica nothing changes.

The routing itself, here; the statistics pages and command on a replica, in
tests/reporting/test_replica_reads.py (any database) and test_replica_postgres.py (two
PostgreSQL databases holding different rows)."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import DEFAULT_DB_ALIAS, router

from cases.models import Dossier, TakedownRequest
from institute.routers import REPLICA, replica_reads
from reporting.models import DailyCount, StatisticsLogEntry
from tests.replica import replica_database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def replica(tmp_path, django_db_blocker):
    """A replica the router can reach: an empty SQLite file is enough for routing."""
    with replica_database(f"sqlite:///{tmp_path / 'replica.sqlite3'}"), django_db_blocker.unblock():
        yield


@pytest.fixture
def no_replica():
    with replica_database(None):
        yield


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def saved_on(alias: str) -> Dossier:
    dossier = Dossier()
    dossier._state.db = alias
    return dossier


def test_reads_go_to_the_replica_only_inside_replica_reads(replica):
    assert router.db_for_read(Dossier) == DEFAULT_DB_ALIAS
    with replica_reads() as alias:
        assert alias == REPLICA
        for model in (Dossier, TakedownRequest, DailyCount):
            assert router.db_for_read(model) == REPLICA
        assert Dossier.objects.all().db == REPLICA
    assert router.db_for_read(Dossier) == DEFAULT_DB_ALIAS
    assert Dossier.objects.all().db == DEFAULT_DB_ALIAS


def test_writes_go_to_the_primary_inside_replica_reads_too(replica):
    with replica_reads():
        assert router.db_for_write(StatisticsLogEntry) == DEFAULT_DB_ALIAS
    # An object read from the replica is saved on the primary, not where it came from.
    assert router.db_for_write(Dossier, instance=saved_on(REPLICA)) == DEFAULT_DB_ALIAS


def test_only_the_primary_is_migrated(replica):
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "cases", model_name="dossier") is True
    assert router.allow_migrate(REPLICA, "cases", model_name="dossier") is False
    assert router.allow_migrate(REPLICA, "reporting", model_name="dailycount") is False


def test_objects_of_the_primary_and_the_replica_may_be_related(replica):
    assert router.allow_relation(saved_on(REPLICA), saved_on(DEFAULT_DB_ALIAS)) is True
    assert router.allow_relation(saved_on(REPLICA), saved_on("elsewhere")) is False


def test_the_block_ends_with_an_error_too(replica):
    with pytest.raises(ZeroDivisionError), replica_reads():
        _ = 1 / 0
    assert router.db_for_read(Dossier) == DEFAULT_DB_ALIAS


def test_another_request_thread_reads_the_primary_while_the_statistics_read_the_replica(
    replica,
):
    seen = []
    with replica_reads():
        other = threading.Thread(target=lambda: seen.append(router.db_for_read(Dossier)))
        other.start()
        other.join()
        assert router.db_for_read(Dossier) == REPLICA
    assert seen == [DEFAULT_DB_ALIAS]


def test_without_a_replica_nothing_changes(no_replica):
    with replica_reads() as alias:
        assert alias == DEFAULT_DB_ALIAS
        assert router.db_for_read(Dossier) == DEFAULT_DB_ALIAS
    assert router.db_for_read(Dossier, instance=saved_on(DEFAULT_DB_ALIAS)) == DEFAULT_DB_ALIAS
    assert router.db_for_write(Dossier) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "cases") is True


def test_an_unreachable_replica_leaves_the_statistics_to_the_primary_and_says_so(
    caplog, django_db_blocker
):
    url = f"postgres://statistics:secret@127.0.0.1:{closed_port()}/institute"
    with (
        replica_database(url),
        django_db_blocker.unblock(),
        caplog.at_level(logging.WARNING),
        replica_reads() as alias,
    ):
        assert alias == DEFAULT_DB_ALIAS
        assert router.db_for_read(Dossier) == DEFAULT_DB_ALIAS
    (record,) = [r for r in caplog.records if r.name == "institute.routers"]
    assert record.levelno == logging.WARNING
    assert "replica cannot be reached (OperationalError)" in record.getMessage()
    assert "secret" not in caplog.text and "127.0.0.1" not in caplog.text


PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'databases': s.DATABASES, 'routers': s.DATABASE_ROUTERS}, default=str))"
)


def _settings(**env: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "institute.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_replica_url_adds_the_replica_the_tests_see_as_the_test_database():
    values = _settings(
        DATABASE_URL="postgres://cases@primary:5432/institute",
        DATABASE_REPLICA_URL="postgres://statistics@replica:5432/institute",
    )
    replica = values["databases"][REPLICA]
    assert (replica["ENGINE"], replica["HOST"]) == ("django.db.backends.postgresql", "replica")
    assert replica["TEST"]["MIRROR"] == DEFAULT_DB_ALIAS
    assert replica["OPTIONS"]["connect_timeout"] == 2
    assert replica["CONN_HEALTH_CHECKS"] is True
    assert values["routers"] == ["institute.routers.ReplicaRouter"]
    # A timeout in the URL is kept.
    slow = _settings(DATABASE_REPLICA_URL="postgres://statistics@replica/db?connect_timeout=9")
    assert slow["databases"][REPLICA]["OPTIONS"]["connect_timeout"] == 9


def test_without_the_replica_url_there_is_only_the_primary():
    assert list(_settings()["databases"]) == [DEFAULT_DB_ALIAS]
