"""The staff lists read only what they show, however many closed dossiers the years
leave behind: PostgreSQL can answer each list's queries, as the ORM writes them, from a
partial index (bench/staff_lists.py measures the time)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cases.access import visible_dossiers
from cases.forms import DossierFilterForm
from cases.models import TakedownRequest

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _plans(queryset) -> str:
    """The plans of the list's COUNT and of its first page, with sequential scans made
    a last resort, so that a usable index is used however small the test data is."""
    with CaptureQueriesContext(connection) as queries:
        queryset.count()
        list(queryset[:25])
    plans = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for query in queries:
            cursor.execute("EXPLAIN " + query["sql"])
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return "\n\n".join(plans)


@pytest.mark.parametrize("query", [{}, {"overdue": "on"}])
def test_the_dossier_list_reads_the_open_dossiers_index(users, query):
    coordinator = users["coordinator"]
    form = DossierFilterForm(query or None, user=coordinator)
    plans = _plans(form.filter(visible_dossiers(coordinator).select_related("assignee")))
    assert plans.count("dossier_open_idx") == 2, plans
    assert "Seq Scan on cases_dossier" not in plans, plans


def test_takedowns_due_read_only_pending_and_recheck_requests(users):
    coordinator = users["coordinator"]
    takedowns = TakedownRequest.objects.due().filter(dossier__in=visible_dossiers(coordinator))
    plans = _plans(takedowns.order_by("deadline", "id"))
    assert "takedown_due_idx" in plans, plans
    assert "takedown_recheck_idx" in plans, plans
    assert "Seq Scan on cases_takedownrequest" not in plans, plans
