"""How the staff pages hold up as the caseload grows.

Builds a throwaway test database (PostgreSQL if DATABASE_URL says so, else SQLite) and
times each staff page first with a small caseload (200 dossiers: the baseline), then,
in the same run, with N (default 20 000, a decade of reports at ten times today's
rate); a third of the dossiers have a takedown request. Pages: the dossier list of a
coordinator (filters, paging, count), the same with the "overdue" filter, "takedowns
due", and a dossier's page.

Prints the median of several requests at each size, the ratio large/small, and the
number of queries at each size (which must not depend on the number of dossiers).

    python bench/staff_lists.py [N]
"""

from __future__ import annotations

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


def _populate(count: int, offset: int = 0) -> None:
    from cases.deadlines import first_contact_due
    from cases.models import ContentLocation, Dossier, TakedownRequest

    now = timezone.now()
    batch = []
    for n in range(offset, offset + count):
        received = now - timedelta(hours=n * 4)
        dossier = Dossier(
            reference=f"B{n:07d}",
            received_at=received,
            channel="web",
            language=["nl", "fr", "de", "en"][n % 4],
            form_ncii=n % 3 != 1,
            form_voyeurism=n % 3 == 1,
            reporter_type="person_concerned",
            reporter_gender="woman",
            status=["new", "in_progress", "waiting", "closed"][n % 4],
            closure_reason="other" if n % 4 == 3 else "",
            first_contact_due=first_contact_due(received, "normal"),
        )
        batch.append(dossier)
    Dossier.objects.bulk_create(batch, batch_size=2000)
    dossiers = list(
        Dossier.objects.filter(reference__in=[b.reference for b in batch[::3]]).values_list(
            "id", flat=True
        )
    )
    locations = ContentLocation.objects.bulk_create(
        [ContentLocation(dossier_id=pk, platform_kind="social_media") for pk in dossiers],
        batch_size=2000,
    )
    TakedownRequest.objects.bulk_create(
        [
            TakedownRequest(
                dossier_id=location.dossier_id,
                location=location,
                sent_at=now - timedelta(days=2),
                sent_to="Desk",
                method="email",
                legal_basis="dsa_notice",
                deadline=now - timedelta(days=1),
            )
            for location in locations
        ],
        batch_size=2000,
    )


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


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
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
        before = _measure(client, pages)
        started = time.perf_counter()
        _populate(count - small, offset=small)
        loaded = time.perf_counter() - started
        print(f"{connection.vendor}: {count - small} more dossiers loaded in {loaded:.1f} s")
        after = _measure(client, pages)
        print(f"{'page':<16} {small:>9} {count:>9}   ratio   queries")
        for label, _url in pages:
            (t1, q1), (t2, q2) = before[label], after[label]
            print(
                f"{label:<16} {t1 * 1000:6.1f} ms {t2 * 1000:6.1f} ms {t2 / t1:6.1f}x   {q1} → {q2}"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
