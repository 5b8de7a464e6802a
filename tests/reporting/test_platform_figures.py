"""The takedown notices per platform, as the Institute gives them to the Digital Services
Coordinator: a hand-built year and the year before, every figure worked out by hand (in
the fixture's comments), small numbers withheld for publication so that none can be
worked out, and the table on the page, in its files and in the command's JSON."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from cases.choices import LegalBasis, PlatformKind, TakedownMethod
from cases.models import Platform, TakedownRequest
from cases.services import takedown_request_record
from reporting.periods import Period
from reporting.platforms import COUNTS, TOTAL, UNMATCHED, PlatformFigures, percentile
from reporting.publication import (
    NOT_PUBLISHED,
    SPECS_BY_KEY,
    Publication,
    _platform_variables,
    table,
)
from reporting.statistics import compute
from reporting.suppression import Hidden, Relations, exposed, suppress
from tests.factories import DossierFactory, location

from .test_suppression import same_in_every_table_found

PAGE = reverse("reporting:statistics")
HOUR = timedelta(hours=1)
FAR_AWAY = datetime(2099, 1, 1, tzinfo=UTC)  # a decision deadline still to come
REMOVED, RESTRICTED, GEO_BLOCKED = "removed", "restricted", "geo_blocked"
REFUSED, NO_ANSWER, PENDING = "refused", "no_answer", "pending"
HEADINGS = [
    "Platform",
    "Period",
    "Notices sent",
    "Hours to acknowledgement, median",
    "Hours to acknowledgement, 90th percentile",
    "Hours to decision, median",
    "Hours to decision, 90th percentile",
    "Removed (%)",
    "Refused (%)",
    "Unanswered (%)",
    "Internal complaints",
    "Complaints upheld",
    "Seen online again",
]


def notice(
    platform: Platform | None,
    sent: datetime,
    *,
    ack: float | None = None,
    outcome: str = PENDING,
    decided: float | None = None,
    complaint: str = "",
    reuploaded: bool = False,
    deadline: datetime | None = None,
) -> TakedownRequest:
    """One request sent at ``sent`` through the service, then answered as given: ``ack``
    and ``decided`` in hours after sending."""
    dossier = DossierFactory(
        received_at=sent - timedelta(days=1), locations=[location(platform=platform)]
    )
    takedown = takedown_request_record(
        location_id=dossier.locations.get().pk,
        sent_to="Notice desk",
        method=TakedownMethod.WEB_FORM,
        legal_basis=LegalBasis.DSA_NOTICE,
        sent_at=sent,
    )
    answer: dict = {"outcome": outcome}
    if ack is not None:
        answer["acknowledged_at"] = sent + ack * HOUR
    if decided is not None:
        answer["outcome_at"] = sent + decided * HOUR
    if complaint:
        answer["complaint_lodged_on"] = (sent + timedelta(days=3)).date()
        answer["complaint_outcome"] = complaint
    if reuploaded:
        answer["reuploaded_on"] = (sent + timedelta(days=10)).date()
    if deadline is not None:
        answer["deadline"] = deadline
    TakedownRequest.objects.filter(pk=takedown.pk).update(**answer)
    return takedown


def _days(year: int):
    """A new day at 10:00 UTC for each request, from 1 March."""
    day = datetime(year, 3, 1, 10, tzinfo=UTC)
    while True:
        yield day
        day += timedelta(days=1)


@pytest.fixture
def platforms(db) -> dict[str, Platform]:
    return {
        name: Platform.objects.create(name=name, kind=kind, very_large=large, active=active)
        for name, kind, large, active in [
            ("Gamma Forum", PlatformKind.FORUM, False, True),
            ("Alpha Social", PlatformKind.SOCIAL_MEDIA, True, True),
            ("Delta Chat", PlatformKind.MESSAGING, False, False),  # no longer in use
            ("beta Tube", PlatformKind.PORN_SITE, False, True),  # sorted ignoring case
        ]
    }


@pytest.fixture
def notices(platforms):
    """2023 and 2022, by hand. The hours of each step are in the calls; the figures they
    make are worked out under each platform."""
    alpha, beta, gamma = (platforms[n] for n in ("Alpha Social", "beta Tube", "Gamma Forum"))
    day = _days(2023)
    # Alpha Social, 10 notices. Acknowledged (9): 2 4 4 5 6 8 10 12 30: median the 5th,
    # 6; 90th percentile at position 8 x 0.9 = 7.2: 12 + 0.2 x (30 - 12) = 15.6.
    # Decided (8; "no answer" is no decision): 5 10 12 20 24 24 48 72: median at 3.5,
    # (20 + 24) / 2 = 22; 90th at 6.3: 48 + 0.3 x 24 = 55.2. Removed, restricted or
    # blocked 7 (70 %), refused 1 (10 %), no answer 1 and late 1 (20 %). Complaints 5,
    # upheld 3; seen again 2.
    notice(alpha, next(day), ack=2, outcome=REMOVED, decided=5)
    notice(alpha, next(day), ack=4, outcome=REMOVED, decided=10, reuploaded=True)
    notice(alpha, next(day), ack=4, outcome=REMOVED, decided=12)
    notice(alpha, next(day), ack=5, outcome=REMOVED, decided=20, complaint="upheld")
    notice(alpha, next(day), ack=6, outcome=REMOVED, decided=24, reuploaded=True)
    notice(alpha, next(day), ack=8, outcome=RESTRICTED, decided=24, complaint="upheld")
    notice(alpha, next(day), ack=10, outcome=GEO_BLOCKED, decided=48, complaint="upheld")
    notice(alpha, next(day), ack=12, outcome=REFUSED, decided=72, complaint="rejected")
    notice(alpha, next(day), ack=30, outcome=NO_ANSWER, decided=100, complaint="pending")
    notice(alpha, next(day))  # still pending, its deadline long past: unanswered
    # Sent at 00:30 on 1 January 2024 in Brussels: not in 2023.
    notice(alpha, datetime(2023, 12, 31, 23, 30, tzinfo=UTC), ack=1, outcome=REFUSED, decided=2)

    # beta Tube, 6 notices, the first at 00:15 on 1 January 2023 in Brussels (still 2022
    # in UTC). Acknowledged 1 1 2 3 5 8: median at 2.5, 2.5; 90th at 4.5, 6.5. Decided
    # 24 30 36 40 50 60: median 38, 90th 55. Removed 3 and refused 3 (50 % each);
    # complaints 2, upheld 1.
    notice(beta, datetime(2022, 12, 31, 23, 15, tzinfo=UTC), ack=1, outcome=REMOVED, decided=24)
    notice(beta, next(day), ack=1, outcome=REMOVED, decided=30)
    notice(beta, next(day), ack=2, outcome=REMOVED, decided=36)
    notice(beta, next(day), ack=3, outcome=REFUSED, decided=40, complaint="upheld")
    notice(beta, next(day), ack=5, outcome=REFUSED, decided=50, complaint="rejected")
    notice(beta, next(day), ack=8, outcome=REFUSED, decided=60)

    # Gamma Forum, 3 notices (fewer than 5). Acknowledged 3 6: median 4.5, 90th
    # 3 + 0.9 x 3 = 5.7. Decided 10 20: 15 and 19. Removed 2 (66.7 %), late 1 (33.3 %);
    # seen again 1.
    notice(gamma, next(day), ack=3, outcome=REMOVED, decided=10, reuploaded=True)
    notice(gamma, next(day), ack=6, outcome=REMOVED, decided=20)
    notice(gamma, next(day))

    # Not matched to the list, 4 notices: acknowledged 12, decided 48; removed 1 (25 %),
    # no answer 2 (50 %), one still within its deadline (neither); seen again 1.
    notice(None, next(day), ack=12, outcome=REMOVED, decided=48, reuploaded=True)
    notice(None, next(day), outcome=NO_ANSWER, decided=200)
    notice(None, next(day), outcome=NO_ANSWER)
    notice(None, next(day), deadline=FAR_AWAY)

    # All 23 of 2023. Acknowledged (18): 1 1 2 2 3 3 4 4 5 5 6 6 8 8 10 12 12 30: median
    # at 8.5, 5; 90th at 15.3, 12. Decided (17): 5 10 10 12 20 20 24 24 24 30 36 40 48 48
    # 50 60 72: median the 9th, 24; 90th at 14.4: 50 + 0.4 x 10 = 54. Removed 13 of 23
    # (56.5 %), refused 4 (17.4 %), unanswered 5 (21.7 %); complaints 7, upheld 4; seen
    # again 4.

    day = _days(2022)
    # 2022: Alpha Social 5 notices, acknowledged 1 2 3 4 5 (median 3, 90th 4.6), decided
    # 10 20 30 40 50 (30, 46); removed 4 (80 %), refused 1 (20 %); a complaint rejected;
    # seen again 1. Not matched: one, no answer. All 6: removed 66.7 %, refused and
    # unanswered 16.7 % each.
    notice(alpha, next(day), ack=1, outcome=REMOVED, decided=10)
    notice(alpha, next(day), ack=2, outcome=REMOVED, decided=20, reuploaded=True)
    notice(alpha, next(day), ack=3, outcome=REMOVED, decided=30)
    notice(alpha, next(day), ack=4, outcome=REMOVED, decided=40)
    notice(alpha, next(day), ack=5, outcome=REFUSED, decided=50, complaint="rejected")
    notice(None, next(day), outcome=NO_ANSWER)


NOTHING = [None] * 7  # no hours and no shares without a notice
EXPECTED_ROWS = [
    ("Alpha Social", "2023", [10, 6.0, 15.6, 22.0, 55.2, 70.0, 10.0, 20.0, 5, 3, 2]),
    ("Alpha Social", "2022", [5, 3.0, 4.6, 30.0, 46.0, 80.0, 20.0, 0.0, 1, 0, 1]),
    ("beta Tube", "2023", [6, 2.5, 6.5, 38.0, 55.0, 50.0, 50.0, 0.0, 2, 1, 0]),
    ("beta Tube", "2022", [0, *NOTHING, 0, 0, 0]),
    ("Delta Chat", "2023", [0, *NOTHING, 0, 0, 0]),
    ("Delta Chat", "2022", [0, *NOTHING, 0, 0, 0]),
    ("Gamma Forum", "2023", [3, 4.5, 5.7, 15.0, 19.0, 66.7, 0.0, 33.3, 0, 0, 1]),
    ("Gamma Forum", "2022", [0, *NOTHING, 0, 0, 0]),
    ("Not matched to the list", "2023", [4, 12.0, 12.0, 48.0, 48.0, 25.0, 0.0, 50.0, 0, 0, 1]),
    ("Not matched to the list", "2022", [1, None, None, None, None, 0.0, 0.0, 100.0, 0, 0, 0]),
    ("All notices", "2023", [23, 5.0, 12.0, 24.0, 54.0, 56.5, 17.4, 21.7, 7, 4, 4]),
    ("All notices", "2022", [6, 3.0, 4.6, 30.0, 46.0, 66.7, 16.7, 16.7, 1, 0, 1]),
]


def _tables(year: int, threshold: int | None = None):
    """The tables of ``year`` with the year before, as an English reader sees them."""
    period = Period.year(year)
    with translation.override("en"):
        current = Publication(compute(period), threshold)
        previous = Publication(compute(period.previous()), threshold)
        return {key: table(spec, current, previous) for key, spec in SPECS_BY_KEY.items()}


def _platform_table(year: int, threshold: int | None = None):
    return _tables(year, threshold)["platform"]


def _get(client, user, url=PAGE, **params):
    client.force_login(user)
    return client.get(url, params, HTTP_ACCEPT_LANGUAGE="en")


def test_percentiles_interpolate_between_the_closest_ranks():
    # numpy.percentile's default and PostgreSQL's percentile_cont give the same.
    assert percentile([], 50) is None
    assert percentile([7.0], 90) == 7.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0], 90) == pytest.approx(3.7)
    assert percentile([10.0, 20.0, 30.0, 40.0, 50.0, 60.0], 90) == 55.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0], 90) == 10.0


def test_every_figure_per_platform_and_the_year_before(notices):
    platform = _platform_table(2023)
    assert platform.columns == HEADINGS[2:]
    assert [
        (row.label, row.period_label, [c.value for c in row.cells]) for row in platform.rows
    ] == EXPECTED_ROWS
    assert not any(cell.hidden for row in platform.rows for cell in row.cells)
    # A share, a median and an empty cell as the page shows them.
    alpha = platform.rows[0].cells
    assert (alpha[2].text, alpha[5].text) == ("15.6", "70.0")
    assert platform.rows[3].cells[1].text == "\N{EN DASH}"


def test_the_notices_across_the_new_year_count_in_their_brussels_year(notices):
    figures = compute(Period.year(2024)).platforms
    alpha = next(pk for pk, name in figures.names.items() if name == "Alpha Social")
    assert figures.counts[alpha]["sent"] == figures.counts["all"]["sent"] == 1
    assert figures.counts[alpha]["refused"] == 1


def test_a_pending_notice_is_unanswered_once_its_deadline_has_passed(notices):
    unmatched = compute(Period.year(2023)).platforms.counts["unmatched"]
    assert (unmatched["unanswered"], unmatched["waiting"]) == (2, 1)
    with time_machine.travel(FAR_AWAY + HOUR, tick=False):
        unmatched = compute(Period.year(2023)).platforms.counts["unmatched"]
    assert (unmatched["unanswered"], unmatched["waiting"]) == (3, 0)


WITHHELD_ROW = ["<5", "x", "x", "x", "x", "x", "x", "x", "<5", "<5", "<5"]  # fewer than 5 notices
NO_NOTICE = ["0", *["\N{EN DASH}"] * 7, "0", "0", "0"]
PUBLISHED_ROWS = [
    # 7 removed of 10: published; 1 refused and 2 unanswered: withheld, so their shares
    # too; the hours, of 9 and 8 requests, are published.
    (
        "Alpha Social",
        "2023",
        ["10", "6.0", "15.6", "22.0", "55.2", "70.0", "x", "x", "5", "<5", "<5"],
    ),
    # 5 and 1 notices, 6 in all: published, 6 - 5 would give the 1 away, so both are
    # withheld (and the shares that would give them back); the hours, of 5 requests, stay.
    ("Alpha Social", "2022", ["x", "3.0", "4.6", "30.0", "46.0", "x", "x", "x", "<5", "<5", "<5"]),
    # 3 removed and 3 refused are withheld; 0 unanswered and 0 seen again are published.
    ("beta Tube", "2023", ["6", "2.5", "6.5", "38.0", "55.0", "x", "x", "0.0", "<5", "<5", "0"]),
    ("beta Tube", "2022", NO_NOTICE),
    ("Delta Chat", "2023", NO_NOTICE),
    ("Delta Chat", "2022", NO_NOTICE),
    ("Gamma Forum", "2023", WITHHELD_ROW),
    ("Gamma Forum", "2022", NO_NOTICE),
    ("Not matched to the list", "2023", WITHHELD_ROW),
    ("Not matched to the list", "2022", WITHHELD_ROW),
    # 23 - 10 - 6 - 0 = 7 is Gamma and the unmatched together: 3 + 4 or 4 + 3. All
    # notices are given as a total only (with their hours, which count nothing), as all
    # dossiers are in the other tables.
    ("All notices", "2023", ["23", "5.0", "12.0", "24.0", "54.0", *[NOT_PUBLISHED] * 6]),
    ("All notices", "2022", ["x", "3.0", "4.6", "30.0", "46.0", *[NOT_PUBLISHED] * 6]),
]


def test_for_publication_small_numbers_are_withheld_and_totals_do_not_give_them_away(
    notices,
):
    tables = _tables(2023, threshold=5)
    platform = tables["platform"]
    assert [
        (row.label, row.period_label, [c.text for c in row.cells]) for row in platform.rows
    ] == PUBLISHED_ROWS
    # A share, median or percentile withheld is marked as for the first contacts.
    assert {cell.hidden for row in platform.rows for cell in row.cells if cell.text == "x"} == {
        Hidden.SECONDARY
    }
    # The requests of 2022 in all are withheld in the table of outcomes too.
    takedowns = [row for row in tables["takedown"].rows if row.label == "All dossiers"]
    assert [row.cells[-1].text for row in takedowns] == ["23", "x"]


def test_no_withheld_figure_per_platform_can_be_worked_out(notices):
    publication = Publication(compute(Period.year(2023)), 5)
    hidden = suppress(publication.values, publication.relations, 5, publication.unshown)
    assert exposed(publication.values, hidden, publication.relations, 5) == []
    # Independently: tables that agree with everything the table per platform publishes
    # (no figure of it exceeds the 23 notices), until each withheld figure differs.
    values = {key: n for key, n in publication.values.items() if key[0] == "platform"}
    values["takedowns", "all"] = 23
    relations = Relations(
        eq=[(parts, total) for parts, total in publication.relations.eq if total in values]
    )
    withheld = {key: state for key, state in hidden.items() if key in values}
    unshown = [key for key, state in withheld.items() if state == Hidden.UNSHOWN]
    for key in unshown:
        del withheld[key]
    assert withheld, "the year has small numbers"
    assert same_in_every_table_found(values, withheld, relations, 5, unshown, cap=23) == []
    # The search does find what a careless table would give away: Gamma's notices, if
    # the unmatched ones were published.
    gamma = Platform.objects.get(name="Gamma Forum").pk
    careless = {key: state for key, state in withheld.items() if key[1] != "unmatched"}
    found = same_in_every_table_found(values, careless, relations, 5, unshown, cap=23, tables=40)
    assert ("platform", gamma, "sent") in found


def _random_platforms(rng: random.Random) -> PlatformFigures:
    """Three platforms and the unmatched, each with a few notices split at random."""
    rows = [1, 2, 3, UNMATCHED]
    counts = {}
    for row in rows:
        sent = rng.choice([0, rng.randint(1, 4), rng.randint(5, 14)])
        parts = ["acted", "refused", "unanswered", "waiting"]
        outcomes = rng.choices(parts, weights=[5, 2, 2, 1], k=sent)
        complaints = rng.randint(0, sent)
        counts[row] = {
            "sent": sent,
            **{part: outcomes.count(part) for part in parts},
            "complaints": complaints,
            "upheld": rng.randint(0, complaints),
            "reuploaded": rng.randint(0, sent),
        }
    counts[TOTAL] = {name: sum(counts[row][name] for row in rows) for name in COUNTS}
    return PlatformFigures({1: "A", 2: "B", 3: "C"}, counts, {}, {})


@pytest.mark.parametrize("seed", range(40))
def test_no_withheld_figure_of_random_tables_can_be_worked_out(seed):
    rng = random.Random(seed)
    k = rng.choice([3, 5])
    platforms = _random_platforms(rng)
    values, relations = {}, Relations()
    unshown = _platform_variables(platforms, values, relations)
    hidden = suppress(values, relations, k, unshown)
    small = [key for key, n in values.items() if 1 <= n < k and key not in unshown]
    assert all(hidden[key] in (Hidden.PRIMARY, Hidden.PART) for key in small)
    withheld = {key: state for key, state in hidden.items() if state != Hidden.UNSHOWN}
    unknown = [key for key, state in hidden.items() if state == Hidden.UNSHOWN]
    cap = 2 * values["takedowns", "all"] + k  # the total may be withheld: no bound to a reader
    assert same_in_every_table_found(values, withheld, relations, k, unknown, cap=cap) == []


def test_json_of_the_command_has_by_platform(notices):
    out = io.StringIO()
    call_command("export_statistics", "--from", "2023-01-01", "--to", "2023-12-31", stdout=out)
    figures = json.loads(out.getvalue())["by_platform"]
    assert list(figures) == ["platforms", "unmatched", "all"]
    assert list(figures["platforms"]) == ["Alpha Social", "beta Tube", "Delta Chat", "Gamma Forum"]
    assert figures["platforms"]["Alpha Social"] == {
        "notices": 10,
        "median_hours_to_acknowledgement": 6.0,
        "p90_hours_to_acknowledgement": 15.6,
        "median_hours_to_decision": 22.0,
        "p90_hours_to_decision": 55.2,
        "removed_percent": 70.0,
        "refused_percent": 10.0,
        "unanswered_percent": 20.0,
        "complaints": 5,
        "complaints_upheld": 3,
        "reuploaded": 2,
    }
    assert figures["platforms"]["Delta Chat"] == {
        "notices": 0,
        "median_hours_to_acknowledgement": None,
        "p90_hours_to_acknowledgement": None,
        "median_hours_to_decision": None,
        "p90_hours_to_decision": None,
        "removed_percent": None,
        "refused_percent": None,
        "unanswered_percent": None,
        "complaints": 0,
        "complaints_upheld": 0,
        "reuploaded": 0,
    }
    assert figures["unmatched"]["notices"] == 4
    assert figures["unmatched"]["unanswered_percent"] == 50.0
    assert figures["all"] == {
        "notices": 23,
        "median_hours_to_acknowledgement": 5.0,
        "p90_hours_to_acknowledgement": 12.0,
        "median_hours_to_decision": 24.0,
        "p90_hours_to_decision": 54.0,
        "removed_percent": 56.5,
        "refused_percent": 17.4,
        "unanswered_percent": 21.7,
        "complaints": 7,
        "complaints_upheld": 4,
        "reuploaded": 4,
    }

    out = io.StringIO()
    call_command(
        "export_statistics", "--from", "2023-01-01", "--to", "2023-12-31", "--suppress", "5",
        stdout=out,
    )  # fmt: skip
    published = json.loads(out.getvalue())["by_platform"]
    assert published["platforms"]["Gamma Forum"]["notices"] == "<5"
    assert published["platforms"]["Gamma Forum"]["median_hours_to_decision"] == "x"
    assert published["all"]["notices"] == 23
    assert published["all"]["removed_percent"] == NOT_PUBLISHED


def test_long_csv_of_the_command_has_the_table(notices):
    out = io.StringIO()
    call_command(
        "export_statistics", "--from", "2023-01-01", "--to", "2023-12-31", "--format", "csv",
        stdout=out,
    )  # fmt: skip
    lines = {
        (line["row"], line["column"]): line["value"]
        for line in csv.DictReader(io.StringIO(out.getvalue()))
        if line["table"] == "by_platform"
    }
    assert lines[("beta Tube", "median_hours_to_decision")] == "38.0"
    assert lines[("unmatched", "notices")] == "4"
    assert lines[("all", "complaints_upheld")] == "4"
    assert lines[("Delta Chat", "removed_percent")] == ""


def test_table_files_and_workbook(client, users, notices):
    url = reverse("reporting:table", args=["platform", "csv"])
    response = _get(client, users["management"], url=url, year=2023)
    assert response["Content-Disposition"] == 'attachment; filename="statistics-2023-platform.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == HEADINGS
    assert rows[1] == [
        "Alpha Social",
        "2023",
        *["10", "6.0", "15.6", "22.0", "55.2", "70.0", "10.0", "20.0", "5", "3", "2"],
    ]
    assert rows[6] == ["Delta Chat", "2022", "0", "", "", "", "", "", "", "", "0", "0", "0"]

    url = reverse("reporting:table", args=["platform", "xlsx"])
    response = _get(client, users["management"], url=url, year=2023, publication="on")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert HEADINGS in values
    assert ["Gamma Forum", "2023", "<5", *["x"] * 7, "<5", "<5", "<5"] in values
    assert next(row for row in values if row[:2] == ["All notices", "2023"])[:3] == [
        "All notices",
        "2023",
        23,
    ]

    response = _get(client, users["management"], url=reverse("reporting:workbook"), year=2023)
    workbook = load_workbook(io.BytesIO(response.content))
    platforms = [[cell.value for cell in row] for row in workbook["Platforms"].iter_rows()]
    assert ["All notices", "2022", 6, 3, 4.6, 30, 46, 66.7, 16.7, 16.7, 1, 0, 1] in platforms


def test_the_page_shows_the_table_and_its_chart(client, users, notices):
    response = _get(client, users["management"], year=2023)
    assert response.status_code == 200
    page = response.content.decode()
    assert '<caption class="visually-hidden">Takedown notices per platform</caption>' in page
    assert '<th scope="col" class="text-start">Platform</th>' in page
    assert (
        '<th scope="rowgroup" rowspan="2" class="text-start">Not matched to the list</th>' in page
    )
    assert 'data-table-chart="platform"' in page
    chart = next(t.chart for t in response.context["tables"] if t.key == "platform")
    # Platforms shown to have had no notice are left out of the chart.
    assert chart.groups == [
        "Alpha Social", "beta Tube", "Gamma Forum", "Not matched to the list", "All notices",
    ]  # fmt: skip
    assert chart.description.startswith(
        "Takedown notices per platform: removed, refused, unanswered, 2023. "
        "Alpha Social: Removed 70.0, Refused 10.0, Unanswered 20.0; "
    )
    svg = _get(
        client,
        users["management"],
        url=reverse("reporting:chart", args=["platform", "svg"]),
        year=2023,
    )
    assert svg.status_code == 200 and "Alpha Social" in svg.content.decode()
    # Coordinators see it too; a case worker does not.
    assert _get(client, users["coordinator"], year=2023).status_code == 200
    assert _get(client, users["caseworker"], year=2023).status_code == 403


def test_the_table_reads_the_notices_in_a_fixed_number_of_queries(client, users, notices):
    client.force_login(users["management"])
    with CaptureQueriesContext(connection) as few:
        client.get(PAGE, {"year": 2023})
    for day in range(12):
        notice(None, datetime(2023, 6, 1 + day, tzinfo=UTC), ack=day, outcome=REMOVED, decided=30)
    with CaptureQueriesContext(connection) as many:
        client.get(PAGE, {"year": 2023})
    assert len(many) == len(few)
    sent_at = [
        q["sql"] for q in many if "cases_takedownrequest" in q["sql"] and "sent_at" in q["sql"]
    ]
    assert sent_at and all("location" in sql or "outcome" in sql for sql in sent_at)
