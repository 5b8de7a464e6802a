"""With a replica, the statistics' pages, charts, downloads and export read it, for
every query of their figures, and nothing else does; their log is written on the
primary. A replica that cannot be reached leaves the statistics to the primary.

Here the replica is a connection of its own to the test database (so it sees the same
rows, committed): what is checked is which connection each query goes through, on
SQLite and on PostgreSQL (its daily counts, read with raw SQL, included). That the
figures really come from another database: test_replica_postgres.py."""

from __future__ import annotations

import io
import json
import logging
import socket
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.urls import reverse

from cases.models import Dossier
from institute.routers import REPLICA
from reporting.models import StatisticsAction, StatisticsLogEntry
from tests.factories import DossierFactory
from tests.replica import BOTH, replica_database

pytestmark = pytest.mark.django_db(transaction=True, databases=BOTH)

LOG_INSERT = 'INSERT INTO "reporting_statisticslogentry"'
STATISTICS_URLS = [
    reverse("reporting:statistics") + "?year=2021",
    reverse("reporting:chart", args=["period", "svg"]) + "?year=2021",  # and the year before
    reverse("reporting:chart", args=["language", "svg"]) + "?year=2021&download=1",
    reverse("reporting:table", args=["by_form", "csv"]) + "?year=2021",
    reverse("reporting:table", args=["platform", "xlsx"]) + "?year=2021",
    reverse("reporting:workbook") + "?year=2021&publication=on",
]


@pytest.fixture(scope="module", autouse=True)
def replica(django_db_setup, django_db_blocker):
    """Configured before pytest-django checks the databases a test may use."""
    with replica_database(connections[DEFAULT_DB_ALIAS].settings_dict):
        yield


@pytest.fixture
def dossiers_2021(db):
    for month in (3, 5, 9):
        DossierFactory(received_at=datetime(2021, month, 4, 10, tzinfo=UTC))


@contextmanager
def queries_by_database() -> Iterator[dict[tuple[str, bool], list[str]]]:
    """The SQL each database runs, apart (``True``) while the statistics read the
    replica, that is inside ``replica_reads()`` with a replica."""
    seen: dict[tuple[str, bool], list[str]] = defaultdict(list)

    def watch(alias: str):
        def wrapper(execute, sql, params, many, context):
            seen[alias, router.db_for_read(Dossier) == REPLICA].append(sql)
            return execute(sql, params, many, context)

        return wrapper

    with ExitStack() as stack:
        for alias in BOTH:
            stack.enter_context(connections[alias].execute_wrapper(watch(alias)))
        yield seen


def test_the_statistics_pages_charts_and_downloads_read_their_figures_from_the_replica(
    client, users, dossiers_2021
):
    client.force_login(users["management"])
    for url in STATISTICS_URLS:
        with queries_by_database() as seen:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, url
        if url == STATISTICS_URLS[0]:
            assert response.context["current"].figures.dossiers == 3
        figures = seen[REPLICA, True]
        assert any('"cases_takedownrequest"' in sql for sql in figures), url
        assert any("cases_dossier" in sql or "reporting_dailycount" in sql for sql in figures)
        assert seen[DEFAULT_DB_ALIAS, True] == [], url  # nothing of the figures
        assert seen[REPLICA, False] == [], url  # nothing but the figures
        # The session, the user, the years of the form, the menu: the primary.
        assert seen[DEFAULT_DB_ALIAS, False], url
    # Logged: the page, the downloaded chart, the two tables, the workbook.
    assert StatisticsLogEntry.objects.count() == 5


def test_the_log_of_a_statistics_page_is_written_on_the_primary(client, users, dossiers_2021):
    client.force_login(users["management"])
    with queries_by_database() as seen:
        client.get(STATISTICS_URLS[0], HTTP_ACCEPT_LANGUAGE="en")
    assert [sql for sql in seen[DEFAULT_DB_ALIAS, False] if sql.startswith(LOG_INSERT)]
    assert not any(sql.startswith(("INSERT", "UPDATE", "DELETE")) for sql in seen[REPLICA, True])


def test_export_statistics_reads_the_replica_and_logs_on_the_primary(dossiers_2021):
    out = io.StringIO()
    with queries_by_database() as seen:
        call_command("export_statistics", "--from", "2021-01-01", "--to", "2021-12-31", stdout=out)
    assert json.loads(out.getvalue())["dossiers"] == 3
    assert seen[REPLICA, True] and seen[DEFAULT_DB_ALIAS, True] == []
    assert [sql for sql in seen[DEFAULT_DB_ALIAS, False] if sql.startswith(LOG_INSERT)]
    assert StatisticsLogEntry.objects.get().action == StatisticsAction.EXPORT


def test_case_work_never_touches_the_replica(client, users, dossiers_2021):
    client.force_login(users["coordinator"])
    with queries_by_database() as seen:
        DossierFactory(received_at=datetime(2021, 10, 4, 10, tzinfo=UTC))
        assert client.get(reverse("cases:dossier-list")).status_code == 200
        call_command("statistics_counts", stdout=io.StringIO())  # the counts' check
    assert seen[DEFAULT_DB_ALIAS, False]
    assert (seen[REPLICA, False], seen[REPLICA, True]) == ([], [])


def test_an_unreachable_replica_leaves_the_statistics_to_the_primary_with_a_warning(
    client, users, dossiers_2021, caplog
):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client.force_login(users["management"])
    with (
        replica_database(f"postgres://statistics@127.0.0.1:{port}/institute"),
        caplog.at_level(logging.WARNING, logger="institute.routers"),
        queries_by_database() as seen,
    ):
        response = client.get(STATISTICS_URLS[0], HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["current"].figures.dossiers == 3
    assert seen[REPLICA, True] == seen[REPLICA, False] == []
    assert "The statistics replica cannot be reached" in caplog.text
