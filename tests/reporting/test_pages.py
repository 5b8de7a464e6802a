"""The statistics pages: who may see them, what they show, what they log."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from cases.choices import Language
from cases.models import AccessLogEntry
from reporting.models import StatisticsAction, StatisticsLogEntry
from tests.factories import DossierFactory

PAGE = reverse("reporting:statistics")
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@pytest.fixture
def figures_2021(db):
    """Seven NCII dossiers in 2021 (two also voyeurism), three in 2020."""
    for index in range(7):
        DossierFactory(
            received_at=datetime(2021, 3 + index, 4, 10, tzinfo=UTC),
            form_voyeurism=index < 2,
            language=Language.FR if index < 4 else Language.NL,
        )
    for _index in range(3):
        DossierFactory(received_at=datetime(2020, 5, 4, 10, tzinfo=UTC))


def _get(client, user, url=PAGE, **params):
    client.force_login(user)
    return client.get(url, params, HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.parametrize(
    ("username", "status"),
    [("management", 200), ("coordinator", 200), ("caseworker", 403), ("admin", 403)],
)
def test_who_may_see_statistics(client, users, username, status):
    assert _get(client, users[username]).status_code == status


def test_anonymous_visitors_are_sent_to_the_login(client, db):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_management_lands_on_the_statistics(client, users):
    client.force_login(users["management"])
    response = client.get(reverse("staff-home"))
    assert response["Location"] == PAGE


def test_page_shows_the_year_and_the_year_before(client, users, figures_2021):
    response = _get(client, users["management"], year=2021)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-total="7"' in page
    assert "2021: 7 dossiers received (2020: 3)" in page
    table = response.context["tables"][0]
    assert [(r.label, r.period_label, r.cells[0].value) for r in table.rows[:4]] == [
        ("Non-consensual intimate images", "2021", 7),
        ("Non-consensual intimate images", "2020", 3),
        ("Voyeurism", "2021", 2),
        ("Voyeurism", "2020", 0),
    ]
    assert [chart.key for chart in response.context["charts"]] == ["period", "reporter", "language"]
    # The menu of a management user offers no dossier.
    assert reverse("cases:dossier-list") not in page


def test_internal_view_is_exact_and_the_switch_withholds_small_numbers(client, users, figures_2021):
    exact = _get(client, users["coordinator"], year=2021).context["tables"][0]
    assert exact.rows[2].cells[0].text == "2"
    published = _get(client, users["coordinator"], year=2021, publication="on", threshold=5)
    voyeurism = published.context["tables"][0].rows[2].cells[0]
    assert (voyeurism.text, voyeurism.value) == ("<5", None)
    assert 'data-suppression="5"' in published.content.decode()


def test_bad_period_is_refused_with_a_message(client, users):
    response = _get(client, users["management"], start="2021-05-01", end="2021-04-01")
    assert response.status_code == 400
    assert "The end of the period is before its start." in response.content.decode()
    response = _get(
        client, users["management"], url=reverse("reporting:workbook"), start="2021-05-01"
    )
    assert response.status_code == 400
    assert "Give both the first and the last day of the period." in response.content.decode()


def test_table_csv_and_xlsx(client, users, figures_2021):
    url = reverse("reporting:table", args=["language", "csv"])
    response = _get(client, users["management"], url=url, year=2021)
    assert response["Content-Disposition"] == 'attachment; filename="statistics-2021-language.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Form of abuse", "Period", "Dutch", "French", "German", "English", "Total"]
    assert rows[1] == ["Non-consensual intimate images", "2021", "3", "4", "0", "0", "7"]
    assert rows[2] == ["Non-consensual intimate images", "2020", "3", "0", "0", "0", "3"]
    url = reverse("reporting:table", args=["language", "xlsx"])
    response = _get(client, users["management"], url=url, year=2021, publication="on")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert ["Non-consensual intimate images", "2021", "<5", "<5", 0, 0, 7] in values
    # For publication, all dossiers are a total only, not broken down.
    assert ["All dossiers", "2021", "·", "·", "·", "·", 7] in values


def test_workbook_has_every_table(client, users, figures_2021):
    response = _get(client, users["management"], url=reverse("reporting:workbook"), year=2021)
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == [
        "About",
        "Per form",
        "Who reported",
        "Language",
        "Half-year",
        "Month",
        "Channel",
        "Closures",
        "Takedowns",
        "Platforms",
        "First contact",
    ]
    months = [[cell.value for cell in row] for row in workbook["Month"].iter_rows()]
    header = next(row for row in months if row[:2] == ["Form of abuse", "Period"])
    assert header[2:] == [*MONTHS, "Total"]
    ncii_2021 = next(row for row in months if row[:2] == ["Non-consensual intimate images", "2021"])
    assert ncii_2021[2:] == [0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 7]


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_charts(client, users, figures_2021, fmt):
    url = reverse("reporting:chart", args=["language", fmt])
    response = _get(client, users["management"], url=url, year=2021)
    assert response.status_code == 200
    if fmt == "svg":
        assert response["Content-Type"] == "image/svg+xml"
        svg = response.content.decode()
        assert "<svg" in svg and "French" in svg and "Voyeurism" in svg
    else:
        assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert response["Content-Disposition"].startswith("inline")


@pytest.mark.parametrize(
    ("key", "periods"), [("reporter", 1), ("language", 1), ("platform", 1), ("period", 2)]
)
def test_a_chart_computes_only_the_periods_it_shows(
    client, users, figures_2021, monkeypatch, key, periods
):
    """The page's charts are a request each: only the chart of periods computes the
    year before as well."""
    from reporting import views

    computed = []
    real = views.compute

    def compute(period, **kwargs):
        computed.append(period)
        return real(period, **kwargs)

    monkeypatch.setattr(views, "compute", compute)
    url = reverse("reporting:chart", args=[key, "svg"])
    assert _get(client, users["management"], url=url, year=2021).status_code == 200
    assert [period.start.year for period in computed] == [2021, 2020][:periods]


def test_downloads_are_logged_and_no_dossier_is_opened(client, users, figures_2021):
    management = users["management"]
    _get(client, management, year=2021, publication="on", threshold=3)
    _get(
        client, management, url=reverse("reporting:workbook"), start="2021-01-01", end="2021-06-30"
    )
    _get(
        client,
        management,
        url=reverse("reporting:chart", args=["period", "png"]),
        year=2021,
        download=1,
    )
    _get(client, management, url=reverse("reporting:chart", args=["period", "svg"]), year=2021)
    entries = list(
        StatisticsLogEntry.objects.order_by("id").values_list(
            "user__username",
            "action",
            "period_from",
            "period_to",
            "threshold",
            "item",
            "file_format",
        )
    )
    assert entries == [
        (
            "management",
            StatisticsAction.PAGE,
            datetime(2021, 1, 1).date(),
            datetime(2021, 12, 31).date(),
            3,
            "",
            "",
        ),
        (
            "management",
            StatisticsAction.WORKBOOK,
            datetime(2021, 1, 1).date(),
            datetime(2021, 6, 30).date(),
            None,
            "",
            "xlsx",
        ),
        (
            "management",
            StatisticsAction.CHART,
            datetime(2021, 1, 1).date(),
            datetime(2021, 12, 31).date(),
            None,
            "period",
            "png",
        ),
    ]
    assert not AccessLogEntry.objects.exists()


def test_page_queries_do_not_grow_with_the_dossiers(client, users, figures_2021):
    client.force_login(users["management"])
    with CaptureQueriesContext(connection) as few:
        client.get(PAGE, {"year": 2021})
    for index in range(30):
        DossierFactory(received_at=datetime(2021, 1 + index % 12, 2, tzinfo=UTC))
    with CaptureQueriesContext(connection) as many:
        client.get(PAGE, {"year": 2021})
    assert len(many) == len(few)


def test_every_wide_table_can_be_scrolled_with_the_keyboard(client, users):
    import re

    client.force_login(users["management"])
    page = client.get(reverse("reporting:statistics")).content.decode()
    wrappers = re.findall(r'<div class="table-responsive"[^>]*>', page)
    assert wrappers
    for wrapper in wrappers:
        assert 'tabindex="0"' in wrapper and 'role="region"' in wrapper
        title = re.search(r'aria-labelledby="([^"]+)"', wrapper).group(1)
        assert f'id="{title}"' in page


def test_chart_text_is_at_least_15_pixels_where_the_page_shows_it(client, users, figures_2021):
    """The page shows each chart across the content at its own width; every text in the
    SVG (bar values, axis labels, legend, title) is then at least 15 px tall."""
    import re

    from reporting.charts import DPI, FIGURE_INCHES

    page = _get(client, users["management"], year=2021).content.decode()
    figures = re.findall(r'<figure class="([^"]+)"[^>]*data-chart', page)
    assert figures and all(
        classes.split()[0] == "col-12" and "col-xl" not in classes for classes in figures
    )
    shown_width = FIGURE_INCHES[0] * DPI
    assert f'width="{shown_width}"' in page

    url = reverse("reporting:chart", args=["reporter", "svg"])
    svg = _get(client, users["management"], url=url, year=2021).content.decode()
    svg_width = float(re.search(r'<svg[^>]* width="([\d.]+)pt"', svg).group(1))
    sizes = [float(size) for size in re.findall(r"font-size: ([\d.]+)px", svg)]
    assert len(sizes) > 10
    assert min(sizes) * shown_width / svg_width >= 15
