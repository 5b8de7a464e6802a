"""The staff lists read only what they show, however many closed dossiers the years
leave behind: with a caseload shaped like the Institute's (thousands closed with their
takedowns answered, a few open), PostgreSQL answers each list's queries, as the ORM
writes them, from a partial index (bench/staff_lists.py measures the time)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.access import visible_dossiers
from cases.forms import DossierFilterForm
from cases.models import TakedownRequest

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def caseload(users):
    """3,000 closed dossiers, a third with an answered takedown; 20 open, some with a
    takedown past its deadline; statistics gathered, as autovacuum would."""
    from datetime import timedelta

    from django.utils import timezone

    from cases.models import ContentLocation, Dossier

    now = timezone.now()

    def dossier(n: int, closed: bool) -> Dossier:
        return Dossier(
            reference=f"L{n:06d}",
            received_at=now - timedelta(days=n),
            channel="web",
            language="nl",
            form_ncii=True,
            reporter_type="person_concerned",
            reporter_gender="woman",
            status="closed" if closed else "in_progress",
            closure_reason="other" if closed else "",
            closed_at=now if closed else None,
            first_contact_due=now - timedelta(days=n - 1),
        )

    dossiers = Dossier.objects.bulk_create(
        [dossier(n, closed=n >= 20) for n in range(3020)], batch_size=1000
    )
    locations = ContentLocation.objects.bulk_create(
        [ContentLocation(dossier=d, platform_kind="social_media") for d in dossiers[::3]]
    )
    TakedownRequest.objects.bulk_create(
        [
            TakedownRequest(
                dossier_id=location.dossier_id,
                location=location,
                sent_at=now - timedelta(days=10),
                sent_to="Desk",
                method="email",
                legal_basis="dsa_notice",
                deadline=now - timedelta(days=9),
                outcome="pending" if n < 7 else "removed",
            )
            for n, location in enumerate(locations)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_dossier, cases_takedownrequest")


def _plans(queryset) -> str:
    """The plans PostgreSQL chooses for the list's COUNT and for its first page."""
    with CaptureQueriesContext(connection) as queries:
        queryset.count()
        list(queryset[:25])
    plans = []
    with connection.cursor() as cursor:
        for query in queries:
            cursor.execute("EXPLAIN " + query["sql"])
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return "\n\n".join(plans)


@pytest.mark.parametrize("query", [{}, {"overdue": "on"}])
def test_the_dossier_list_reads_the_open_dossiers_index(users, caseload, query):
    coordinator = users["coordinator"]
    form = DossierFilterForm(query or None, user=coordinator)
    plans = _plans(form.filter(visible_dossiers(coordinator).select_related("assignee")))
    assert plans.count("dossier_open_idx") == 2, plans
    assert "Seq Scan on cases_dossier" not in plans, plans


def test_takedowns_due_read_only_pending_and_recheck_requests(users, caseload):
    coordinator = users["coordinator"]
    takedowns = TakedownRequest.objects.due().filter(dossier__in=visible_dossiers(coordinator))
    plans = _plans(takedowns.order_by("deadline", "id"))
    assert "takedown_due_idx" in plans, plans
    assert "takedown_recheck_idx" in plans, plans
    assert "Seq Scan on cases_takedownrequest" not in plans, plans
