"""Each table of the statistics page downloads as CSV and as CSV for Excel (semicolons,
decimal commas, a byte order mark), with the same cells."""

from __future__ import annotations

import codecs
import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from reporting.models import StatisticsAction, StatisticsLogEntry
from reporting.publication import SPECS_BY_KEY
from tests.factories import DossierFactory

PAGE = reverse("reporting:statistics")


@pytest.fixture
def figures(db):
    """Dossiers in 2021, contacted after a day and a half: a median of 1.5 days."""
    for day in (4, 5, 6):
        received = datetime(2021, 3, day, 10, tzinfo=UTC)
        DossierFactory(received_at=received, first_contact_at=received + timedelta(days=1.5))


def _get(client, user, url=PAGE, **params):
    client.force_login(user)
    return client.get(url, params, HTTP_ACCEPT_LANGUAGE="en")


def _cells(content: bytes, delimiter: str) -> list[list[str]]:
    return list(
        csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=delimiter)
    )


def _decimal_comma(cell: str) -> str:
    return cell.replace(".", ",") if re.fullmatch(r"\d+\.\d+", cell) else cell


def test_the_page_offers_both_csv_links_for_every_table(client, users, figures):
    page = _get(client, users["management"], year=2021).content.decode()
    links = {
        html.unescape(href): text
        for href, text in re.findall(r'<a href="([^"]+/tables/[^"]+)"[^>]*>([^<]+)</a>', page)
    }
    for key in SPECS_BY_KEY:
        standard = f"{reverse('reporting:table', args=[key, 'csv'])}?year=2021"
        variant = f"{reverse('reporting:table', args=[key, 'csv-excel'])}?year=2021"
        assert links[standard] == "CSV"
        assert links[variant] == "CSV for Excel"  # the link says what it is
        # Each link is described by its table's title: "CSV for Excel, Language".
        assert f'aria-describedby="table-title-{key}">CSV for Excel</a>' in page
        for url in (standard, variant):
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
            assert response.status_code == 200
            assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_csv_for_excel_has_the_cells_of_the_csv(client, users, figures):
    for key in SPECS_BY_KEY:
        standard = _get(
            client, users["management"], reverse("reporting:table", args=[key, "csv"]), year=2021
        )
        variant = _get(
            client,
            users["management"],
            reverse("reporting:table", args=[key, "csv-excel"]),
            year=2021,
        )
        assert variant.content.startswith(codecs.BOM_UTF8)
        assert not variant.content.startswith(codecs.BOM_UTF8 * 2)
        assert b";" in variant.content.splitlines()[0]
        expected = _cells(standard.content, ",")
        assert _cells(variant.content, ";") == [
            [_decimal_comma(cell) for cell in row] for row in expected
        ]
    url = reverse("reporting:table", args=["first_contact", "csv-excel"])
    rows = _cells(_get(client, users["management"], url, year=2021).content, ";")
    # The median days, with a decimal comma as Excel in nl-BE and fr-BE reads numbers.
    assert any("1,5" in row for row in rows)


def test_csv_for_excel_file_name_and_log(client, users, figures):
    url = reverse("reporting:table", args=["language", "csv-excel"])
    response = _get(client, users["management"], url, year=2021, publication="on")
    assert response["Content-Disposition"] == (
        'attachment; filename="statistics-2021-language-excel-under-5-withheld.csv"'
    )
    entry = StatisticsLogEntry.objects.get(action=StatisticsAction.TABLE)
    assert (entry.item, entry.file_format, entry.threshold) == ("language", "csv-excel", 5)


@pytest.mark.parametrize(
    ("username", "status"),
    [("management", 200), ("coordinator", 200), ("caseworker", 403), ("admin", 403)],
)
def test_who_may_download_the_csv_for_excel(client, users, figures, username, status):
    url = reverse("reporting:table", args=["by_form", "csv-excel"])
    assert _get(client, users[username], url, year=2021).status_code == status


def test_anonymous_visitors_get_no_csv_for_excel(client, figures):
    response = client.get(reverse("reporting:table", args=["by_form", "csv-excel"]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
