from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction

from cases.models import Dossier
from tests.factories import DossierFactory
from tests.helpers import at_once

BRUSSELS = ZoneInfo("Europe/Brussels")
pytestmark = pytest.mark.django_db


def test_references_are_numbered_per_year_of_receipt():
    first = DossierFactory(received_at=datetime(2025, 3, 1, 12, tzinfo=BRUSSELS))
    second = DossierFactory(received_at=datetime(2025, 4, 1, 12, tzinfo=BRUSSELS))
    other_year = DossierFactory(received_at=datetime(2026, 1, 5, 12, tzinfo=BRUSSELS))
    assert [first.reference, second.reference, other_year.reference] == [
        "2025-0001",
        "2025-0002",
        "2026-0001",
    ]


def test_half_past_midnight_on_new_years_day_in_brussels_belongs_to_the_new_year():
    # 00:30 in Brussels on 1 January is still 31 December in UTC.
    received = datetime(2027, 1, 1, 0, 30, tzinfo=BRUSSELS)
    assert received.astimezone(ZoneInfo("UTC")).year == 2026
    assert DossierFactory(received_at=received).reference == "2027-0001"


def test_half_past_eleven_on_new_years_eve_in_brussels_belongs_to_the_old_year():
    received = datetime(2026, 12, 31, 23, 30, tzinfo=BRUSSELS)
    assert DossierFactory(received_at=received).reference == "2026-0001"


def test_a_rolled_back_report_gives_its_number_back():
    received = datetime(2025, 6, 1, 12, tzinfo=BRUSSELS)
    with pytest.raises(RuntimeError), transaction.atomic():
        DossierFactory(received_at=received)
        raise RuntimeError("the rest of the report failed")
    assert not Dossier.objects.exists()
    assert DossierFactory(received_at=received).reference == "2025-0001"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_references_never_collide_on_postgresql():
    threads_count, per_thread = 8, 5

    def create_some(n: int) -> list[str]:
        received = datetime(2026, 5, 1, 9, tzinfo=BRUSSELS)
        return [DossierFactory(received_at=received).reference for _ in range(per_thread)]

    references = [ref for batch in at_once(threads_count, create_some, timeout=60) for ref in batch]

    assert connection.vendor == "postgresql"
    total = threads_count * per_thread
    assert len(references) == total
    assert sorted(references) == [f"2026-{n:04d}" for n in range(1, total + 1)]
    assert Dossier.objects.count() == total
