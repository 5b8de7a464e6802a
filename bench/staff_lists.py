"""How the staff pages hold up as the caseload grows.

Builds a throwaway test database (PostgreSQL if DATABASE_URL says so, else SQLite) and
times each staff page first with a small caseload (200 dossiers: the baseline), then,
in the same run, with N (default 100 000: over eleven years at one report an hour, far
beyond today's rate). The caseload looks like the Institute's: the reports of the last
30 days are open in every state, older ones are closed after their first contact; a
third of the dossiers have a takedown request, answered when the dossier is old,
pending (some past their deadline) when it is recent. Pages: the dossier list of a
coordinator (filters, paging, count), the same with the "overdue" filter, "takedowns
due", and a dossier's page.

For each list, the page's own SQL (its COUNT and the SELECT of the page, as the view
runs them) is also timed on its own through the database connection: the page cannot be
faster than that, so "page / own SQL" says what the application adds around it.

Prints the median of several requests at each size, the ratio large/small, and the
number of queries at each size (which must not depend on the number of dossiers).

    python bench/staff_lists.py [N]
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "institute.settings")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.test.client import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
)
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

RUNS = 7


OPEN_DAYS = 30


def _populate(count: int, offset: int = 0) -> None:
    from cases.deadlines import first_contact_due
    from cases.models import ContentLocation, Dossier, TakedownRequest

    now = timezone.now()
    batch = []
    for n in range(offset, offset + count):
        received = now - timedelta(hours=n)
        recent = received > now - timedelta(days=OPEN_DAYS)
        status = ["new", "in_progress", "waiting", "closed"][n % 4] if recent else "closed"
        contacted = status != "new" and n % 5 != 0
        batch.append(
            Dossier(
                reference=f"B{n:07d}",
                received_at=received,
                channel="web",
                language=["nl", "fr", "de", "en"][n % 4],
                form_ncii=n % 3 != 1,
                form_voyeurism=n % 3 == 1,
                reporter_type="person_concerned",
                reporter_gender="woman",
                status=status,
                closure_reason="other" if status == "closed" else "",
                closed_at=received + timedelta(days=20) if status == "closed" else None,
                first_contact_due=first_contact_due(received, "normal"),
                first_contact_at=received + timedelta(hours=20) if contacted else None,
            )
        )
    Dossier.objects.bulk_create(batch, batch_size=2000)
    with_takedown = {b.reference: b for b in batch[::3]}
    dossiers = Dossier.objects.filter(reference__in=list(with_takedown)).values_list(
        "id", "reference"
    )
    locations = ContentLocation.objects.bulk_create(
        [ContentLocation(dossier_id=pk, platform_kind="social_media") for pk, _ in dossiers],
        batch_size=2000,
    )
    received = {pk: with_takedown[reference].received_at for pk, reference in dossiers}
    takedowns = []
    for location in locations:
        sent = received[location.dossier_id] + timedelta(days=2)
        answered = sent < now - timedelta(days=OPEN_DAYS)
        takedowns.append(
            TakedownRequest(
                dossier_id=location.dossier_id,
                location=location,
                sent_at=min(sent, now),
                sent_to="Desk",
                method="email",
                legal_basis="dsa_notice",
                deadline=min(sent, now) + timedelta(days=3),
                outcome="removed" if answered else "pending",
                outcome_at=sent + timedelta(days=3) if answered else None,
            )
        )
    TakedownRequest.objects.bulk_create(takedowns, batch_size=2000)


def _signed_in(user) -> Client:
    """A browser session that has passed both sign-in steps, as the sign-in page leaves
    it (staff pages refuse a session with the password step only)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from institute.signin import LAST_SEEN, SIGNED_IN_AT, VERIFIED_AT

    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[SIGNED_IN_AT] = session[LAST_SEEN] = session[VERIFIED_AT] = time.time()
    session.save()
    return client


def _time(action) -> float:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _page(client: Client, url: str):
    def get():
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    return get


def _measure(client: Client, pages: list[tuple[str, str]]) -> dict[str, tuple[float, int]]:
    results = {}
    for label, url in pages:
        with CaptureQueriesContext(connection) as queries:
            _page(client, url)()
        count = len(queries)  # now: the next request empties the log
        results[label] = (_time(_page(client, url)), count)
    return results


def _list_queries(user):
    """The querysets of the two lists exactly as their views build them (no filter
    asked, and "overdue")."""
    from django.http import QueryDict

    from cases.access import visible_dossiers
    from cases.forms import DossierFilterForm
    from cases.models import TakedownRequest

    def dossiers(query: str):
        form = DossierFilterForm(QueryDict(query) or None, user=user)
        return form.filter(visible_dossiers(user).select_related("assignee"))

    return {
        "dossier list": dossiers(""),
        "overdue": dossiers("overdue=on"),
        "takedowns due": TakedownRequest.objects.due()
        .filter(dossier__in=visible_dossiers(user))
        .select_related("dossier__assignee", "location")
        .order_by("deadline", "id"),
    }


def _own_sql(querysets: dict) -> dict[str, float]:
    """Each list's COUNT and first page, as SQL captured from the ORM, then executed
    and fetched on their own: what the database alone needs for that page."""
    from cases.views import PAGE_SIZE

    results = {}
    for label, queryset in querysets.items():
        with CaptureQueriesContext(connection) as queries:
            queryset.count()
            list(queryset[:PAGE_SIZE])
        statements = [query["sql"] for query in queries]

        def run(statements=statements):
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
                    cursor.fetchall()

        results[label] = _time(run)
    return results


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    small = 200
    setup_test_environment()
    # As in Django's test runner: one connection for the whole run, so that queries
    # are counted across a request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    settings.DEBUG = False
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from cases.models import Dossier
        from institute.demo import ensure_demo_users

        users = ensure_demo_users()
        client = _signed_in(users["coordinator"])
        _populate(small)
        detail = Dossier.objects.filter(takedowns__isnull=False).first()
        pages = [
            ("dossier list", reverse("cases:dossier-list")),
            ("overdue", reverse("cases:dossier-list") + "?overdue=on"),
            ("takedowns due", reverse("cases:takedowns-due")),
            ("dossier page", reverse("cases:dossier-detail", args=[detail.pk])),
        ]
        before = _measure(client, pages), _own_sql(_list_queries(users["coordinator"]))
        started = time.perf_counter()
        _populate(count - small, offset=small)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # as autovacuum would after such a load
        loaded = time.perf_counter() - started
        gc.collect()  # the rows built for the load are garbage, not part of the pages
        print(f"{connection.vendor}: {count - small} more dossiers loaded in {loaded:.1f} s")
        after = _measure(client, pages), _own_sql(_list_queries(users["coordinator"]))
        print(
            f"{'page':<16} {small:>9} {count:>9}   ratio   queries"
            f"   own SQL at {small} / {count}: page ÷ own SQL"
        )
        for label, _url in pages:
            (t1, q1), (t2, q2) = before[0][label], after[0][label]
            line = (
                f"{label:<16} {t1 * 1000:6.1f} ms {t2 * 1000:6.1f} ms {t2 / t1:6.1f}x   {q1} → {q2}"
            )
            if label in after[1]:
                s1, s2 = before[1][label], after[1][label]
                line += (
                    f"   {s1 * 1000:5.1f} ms {t1 / s1:5.1f}x / {s2 * 1000:5.1f} ms {t2 / s2:5.1f}x"
                )
            print(line)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
