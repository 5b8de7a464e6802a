"""The daily counts PostgreSQL keeps give the same figures as counting the dossiers.

Random dossiers around the edges that matter (midnight in Brussels, the clock changes,
month and year ends), then every kind of change a dossier or a takedown request goes
through (services, queryset updates, bulk inserts, deletes, a rolled-back transaction):
after each, every figure of several periods, counted from the rollups, equals the
figure counted directly from the rows, to the unit.
"""

from __future__ import annotations

import io
import random
from dataclasses import astuple
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import translation

from cases.choices import (
    Channel,
    ClosureReason,
    Gender,
    Language,
    LegalBasis,
    ReporterType,
    Status,
    TakedownMethod,
    TakedownOutcome,
)
from cases.models import ContentLocation, Dossier, TakedownRequest
from reporting import rollups
from reporting.models import DailyCount
from reporting.periods import Period
from reporting.statistics import compute
from tests.factories import DossierFactory, location

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

PERIODS = [
    Period(date(2023, 1, 1), date(2023, 12, 31)),  # a year: whole months only
    Period(date(2023, 3, 26), date(2023, 10, 29)),  # from one clock change to the other
    Period(date(2023, 3, 26), date(2023, 3, 26)),  # one short day
    Period(date(2022, 12, 15), date(2024, 1, 10)),  # months cut at both ends
    Period(date(2022, 1, 1), date(2024, 12, 31)),
]

# Instants where a day in Brussels is not the day in UTC, or the hour is missing.
EDGES = [
    datetime(2022, 12, 31, 23, 30, tzinfo=UTC),  # 00:30 on 1 January in Brussels
    datetime(2023, 3, 26, 0, 59, tzinfo=UTC),  # a minute before the clocks go forward
    datetime(2023, 3, 26, 1, 0, tzinfo=UTC),
    datetime(2023, 3, 25, 23, 0, tzinfo=UTC),  # midnight in Brussels, 26 March
    datetime(2023, 10, 28, 22, 0, tzinfo=UTC),  # midnight, the day the clocks go back
    datetime(2023, 10, 29, 0, 30, tzinfo=UTC),
    datetime(2023, 12, 31, 22, 59, tzinfo=UTC),  # 23:59 on 31 December in Brussels
    datetime(2023, 12, 31, 23, 0, tzinfo=UTC),
    datetime(2024, 1, 10, 22, 59, tzinfo=UTC),
]


def _moment(rng: random.Random) -> datetime:
    if rng.random() < 0.4:
        return rng.choice(EDGES)
    return datetime(2022, 11, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(500 * 86400))


def _dossier_fields(rng: random.Random) -> dict:
    forms = rng.choice([(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 0, 1), (1, 1, 0), (1, 1, 1)])
    received = _moment(rng)
    fields = {
        "received_at": received,
        "form_ncii": bool(forms[0]),
        "form_voyeurism": bool(forms[1]),
        "form_sextortion": bool(forms[2]),
        "reporter_type": rng.choice(ReporterType.values),
        "reporter_gender": rng.choice(Gender.values),
        "language": rng.choice(Language.values),
        "channel": rng.choice(Channel.values),
    }
    if rng.random() < 0.7:
        # Some waits land exactly on whole hours, where the medians change buckets.
        hours = rng.choice([rng.uniform(0, 200), rng.randrange(0, 100)])
        fields["first_contact_at"] = received + timedelta(hours=hours)
    if rng.random() < 0.4:
        fields["status"] = Status.CLOSED
        fields["closure_reason"] = rng.choice(ClosureReason.values)
        fields["closed_at"] = received + timedelta(days=rng.uniform(0, 90))
    return fields


def _takedown(rng: random.Random, dossier: Dossier) -> None:
    place = ContentLocation.objects.create(dossier=dossier, url="https://example.org/a")
    sent = _moment(rng)
    TakedownRequest.objects.create(
        dossier=dossier,
        location=place,
        sent_at=sent,
        sent_to="Abuse desk",
        method=TakedownMethod.EMAIL,
        legal_basis=LegalBasis.DSA_NOTICE,
        deadline=sent + timedelta(days=2),
        outcome=rng.choice(TakedownOutcome.values),
    )


def _assert_same_figures() -> None:
    for period in PERIODS:
        from_counts, direct = compute(period), compute(period, direct=True)
        assert astuple(from_counts) == astuple(direct), period


def _change(rng: random.Random) -> None:
    """One random change, of the kinds the application makes."""
    dossiers = list(Dossier.objects.order_by("pk"))
    dossier = rng.choice(dossiers)
    kind = rng.randrange(8)
    if kind == 0:  # the forms of abuse corrected (its takedowns move with it)
        Dossier.objects.filter(pk=dossier.pk).update(
            form_ncii=True, form_sextortion=not dossier.form_sextortion
        )
    elif kind == 1:  # closed, or reopened
        if dossier.status == Status.CLOSED:
            dossier.status, dossier.closure_reason, dossier.closed_at = Status.IN_PROGRESS, "", None
        else:
            dossier.status = Status.CLOSED
            dossier.closure_reason = rng.choice(ClosureReason.values)
            dossier.closed_at = _moment(rng)
        dossier.save()
    elif kind == 2:  # a first contact recorded, or corrected away
        dossier.first_contact_at = (
            None
            if dossier.first_contact_at
            else dossier.received_at + timedelta(hours=rng.uniform(0, 72))
        )
        dossier.save()
    elif kind == 3:  # the reporter's category, language and channel corrected
        Dossier.objects.filter(pk=dossier.pk).update(
            reporter_type=rng.choice(ReporterType.values),
            reporter_gender=rng.choice(Gender.values),
            language=rng.choice(Language.values),
            channel=rng.choice(Channel.values),
        )
    elif kind == 4:  # a takedown's outcome and date changed
        takedown = TakedownRequest.objects.order_by("?").first()
        if takedown:
            takedown.outcome = rng.choice(TakedownOutcome.values)
            takedown.sent_at = _moment(rng)
            takedown.save()
    elif kind == 5:  # deleted with its takedowns
        if len(dossiers) > 5:
            dossier.delete()
    elif kind == 6:  # several at once, as an import does
        Dossier.objects.bulk_create(
            [
                Dossier(reference=f"IMP-{rng.randrange(10**9)}", imported=True, **fields)
                for fields in (_dossier_fields(rng) for _ in range(3))
            ]
        )
    else:  # the received moment corrected across a day or month boundary
        Dossier.objects.filter(pk=dossier.pk).update(received_at=_moment(rng))


@pytest.mark.parametrize("seed", range(4))
def test_counts_give_the_same_figures_as_the_dossiers(seed):
    rng = random.Random(seed)
    for _ in range(40):
        dossier = DossierFactory(**_dossier_fields(rng))
        if rng.random() < 0.4:
            _takedown(rng, dossier)
    _assert_same_figures()
    for _ in range(30):
        _change(rng)
        _assert_same_figures()
    rows = DailyCount.objects.count()
    assert rollups.compact() < rows  # the changes' rows folded together
    _assert_same_figures()


def test_a_change_of_personal_data_only_counts_nothing():
    dossier = DossierFactory(received_at=EDGES[0], first_contact_at=EDGES[0] + timedelta(days=1))
    before = list(DailyCount.objects.values_list("pk", flat=True))
    dossier.description = "Changed."
    dossier.reporter_email = ""
    dossier.save()
    Dossier.objects.filter(pk=dossier.pk).update(anonymised_at=EDGES[1])
    assert list(DailyCount.objects.values_list("pk", flat=True)) == before


def test_counts_roll_back_with_the_change():
    DossierFactory(received_at=EDGES[3])
    before = compute(PERIODS[0])
    with pytest.raises(RuntimeError), transaction.atomic():
        DossierFactory(received_at=EDGES[3], locations=[location()])
        raise RuntimeError
    assert astuple(compute(PERIODS[0])) == astuple(before)
    assert before.dossiers == 1


def test_rebuild_counts_what_is_there():
    rng = random.Random(7)
    for _ in range(15):
        _takedown(rng, DossierFactory(**_dossier_fields(rng)))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {rollups.TABLE} SET n = n + 1 WHERE measure = 'language'"  # noqa: S608
        )
    assert astuple(compute(PERIODS[4])) != astuple(compute(PERIODS[4], direct=True))
    with pytest.raises(CommandError, match="2022, 2023, 2024"):
        call_command("statistics_counts")
    out = io.StringIO()
    # In English whatever an earlier test left active (the site's default is Dutch).
    with translation.override("en"):
        call_command("statistics_counts", "--rebuild", "--compact", stdout=out)
    assert "same figures as the dossiers, 2022 to" in out.getvalue()
    _assert_same_figures()
