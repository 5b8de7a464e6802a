"""Statistics from a read replica, on two real PostgreSQL databases holding different
rows.

The primary is the test database, holding two dossiers of 2021. The replica is a second
database (``TEST_REPLICA_DATABASE_URL``; CI creates it in the same cluster) standing in
for a streaming replica: migrated here, it holds the Institute's published history
(130 dossiers in 2021), which the primary does not. The statistics, in a process of
their own started with ``DATABASE_REPLICA_URL`` as in production and in this one, must
give the replica's figures, and everything else must read and write the primary.

The database named by ``TEST_REPLICA_DATABASE_URL`` is the tests' to erase, as Django's
test database is: it is emptied before and after (its schema dropped).
"""

from __future__ import annotations

import csv
import json
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import dj_database_url
import psycopg
import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.urls import reverse

from cases.models import Dossier
from institute.routers import REPLICA
from reporting.models import StatisticsAction, StatisticsLogEntry
from tests.conftest import missing_service
from tests.factories import DossierFactory
from tests.replica import BOTH, database_url, replica_database

from . import published

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, databases=BOTH)]

ROOT = Path(__file__).resolve().parents[2]
VARIABLE = "TEST_REPLICA_DATABASE_URL"
YEAR_2021 = ("--from", "2021-01-01", "--to", "2021-12-31")
PUBLISHED_2021 = published.PUBLISHED_BY_FORM["2021"]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """``manage.py`` in a process of its own, with its databases from ``env`` only and
    its tasks run in-process (none may reach the suite's broker)."""
    keep = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL", "CACHE_URL"}
        and not name.startswith("CELERY_")
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**keep, "CELERY_TASK_ALWAYS_EAGER": "true", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result


def _erase(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as database:
        database.execute("DROP SCHEMA public CASCADE")
        database.execute("CREATE SCHEMA public")


def _same_database(a: dict, b: dict) -> bool:
    return (a["HOST"], str(a["PORT"]), a["NAME"]) == (b["HOST"], str(b["PORT"]), b["NAME"])


@pytest.fixture(scope="module", autouse=True)
def replica_url(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[str]:
    """The stand-in replica: migrated afresh and holding the published history; the
    replica alias of this process for the module; erased afterwards."""
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        missing_service("needs PostgreSQL: set DATABASE_URL=postgres://...")
    url = os.environ.get(VARIABLE, "")
    if not url.startswith(("postgres://", "postgresql://")):
        missing_service(f"needs a second PostgreSQL database: set {VARIABLE}=postgres://...")
    replica = dj_database_url.parse(url)
    primaries = [connections[DEFAULT_DB_ALIAS].settings_dict]
    if os.environ.get("DATABASE_URL"):
        primaries.append(dj_database_url.parse(os.environ["DATABASE_URL"]))
    if any(_same_database(replica, primary) for primary in primaries):
        pytest.fail(f"{VARIABLE} must name a database of its own, which the tests erase")
    _erase(url)
    manage("migrate", "--no-input", DATABASE_URL=url)
    history = published.write_published_csv(tmp_path_factory.mktemp("replica") / "history.csv")
    manage("import_reports", str(history), DATABASE_URL=url)
    with replica_database(url):
        yield url
    _erase(url)


@pytest.fixture
def primary_url(db) -> str:
    """The test database, holding two dossiers of 2021 (committed: other processes see
    them)."""
    for month in (2, 11):
        DossierFactory(received_at=datetime(2021, month, 4, 10, tzinfo=UTC))
    return database_url(connections[DEFAULT_DB_ALIAS].settings_dict)


def exported(**env: str) -> tuple[dict, str]:
    result = manage("export_statistics", *YEAR_2021, **env)
    return json.loads(result.stdout), result.stderr


def test_the_export_gives_the_replicas_figures_and_logs_on_the_primary(primary_url, replica_url):
    from_replica, _ = exported(DATABASE_URL=primary_url, DATABASE_REPLICA_URL=replica_url)
    assert from_replica["dossiers"] == 130
    assert from_replica["by_form"] == PUBLISHED_2021
    # The same command without a replica: the primary's two dossiers.
    from_primary, _ = exported(DATABASE_URL=primary_url)
    assert from_primary["dossiers"] == 2
    # Both exports logged on the primary, none on the replica.
    exports = StatisticsLogEntry.objects.filter(action=StatisticsAction.EXPORT)
    assert exports.count() == 2
    assert not exports.using(REPLICA).exists()


def test_case_work_reads_and_writes_the_primary(primary_url, replica_url, tmp_path):
    # One record the replica holds already, one it does not: on the primary both are new.
    first = next(iter(published.published_rows()))
    rows = [first, {**first, "external_id": "PRIMARY-ONLY"}]
    path = tmp_path / "records.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=published.HEADER)
        writer.writeheader()
        writer.writerows(rows)
    manage("import_reports", str(path), DATABASE_URL=primary_url, DATABASE_REPLICA_URL=replica_url)
    assert Dossier.objects.count() == 4
    assert Dossier.objects.filter(external_id=first["external_id"]).exists()
    assert Dossier.objects.using(REPLICA).count() == 210
    assert not Dossier.objects.using(REPLICA).filter(external_id="PRIMARY-ONLY").exists()


def test_the_statistics_page_and_tables_show_the_replicas_figures(client, users, primary_url):
    client.force_login(users["management"])
    page = client.get(reverse("reporting:statistics"), {"year": 2021}, HTTP_ACCEPT_LANGUAGE="en")
    by_form = page.context["current"].figures.by_form
    assert {form: by_form[form] for form in PUBLISHED_2021} == PUBLISHED_2021
    table = client.get(reverse("reporting:table", args=["by_form", "csv"]), {"year": 2021})
    assert table.status_code == 200
    assert StatisticsLogEntry.objects.count() == 2
    assert not StatisticsLogEntry.objects.using(REPLICA).filter(user__isnull=False).exists()


def test_an_unreachable_replica_leaves_the_export_to_the_primary_and_says_so(primary_url):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    figures, log = exported(
        DATABASE_URL=primary_url,
        DATABASE_REPLICA_URL=f"postgres://statistics@127.0.0.1:{port}/institute",
    )
    assert figures["dossiers"] == 2
    assert logging.getLevelName(logging.WARNING) in log
    assert "The statistics replica cannot be reached" in log
