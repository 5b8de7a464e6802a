"""Management opens a year's statistics in a real browser, sees the charts, takes the
workbook away, and cannot open a dossier."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from cases.models import Dossier
from tests.helpers import staff_log_in
from tests.reporting import published

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_management_reads_2021_and_downloads_the_workbook(desk, live_server, users, tmp_path):
    call_command(
        "import_reports",
        str(published.write_published_csv(tmp_path / "history.csv")),
        stdout=io.StringIO(),
    )
    base = live_server.url
    page = desk.page
    staff_log_in(desk, "management")
    assert page.url.startswith(f"{base}/staff/statistics/")

    page.select_option("#id_year", "2021")
    with page.expect_navigation():
        page.click("form.statistics-period button[type=submit]")
    assert page.get_attribute("[data-total]", "data-total") == "130"
    row = page.locator("[data-table=by_form] tbody tr").first
    assert row.locator("td").last.text_content().strip() == "95"

    charts = page.locator("figure[data-chart] img")
    assert charts.count() == 3
    for index in range(3):
        chart = charts.nth(index)
        chart.scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=chart.element_handle()
        )
        assert "Non-consensual intimate images" in chart.get_attribute("alt")

    with page.expect_download() as download:
        page.click("[data-download=workbook]")
    target = tmp_path / download.value.suggested_filename
    download.value.save_as(target)
    assert target.name == "statistics-2021.xlsx"
    workbook = load_workbook(target)
    per_form = [[cell.value for cell in row] for row in workbook["Per form"].iter_rows()]
    assert ["Non-consensual intimate images", "2021", 95] in per_form
    assert ["Voyeurism", "2021", 15] in per_form
    assert ["Sextortion", "2021", 26] in per_form

    # The page and its charts loaded without a blocked resource or script error.
    assert desk.errors == [], desk.errors
    assert desk.foreign_requests == []

    # No way into a dossier: no link on the page, and none opens when typed.
    assert page.locator("a[href*='/staff/dossiers/']").count() == 0
    dossier = Dossier.objects.filter(received_at__year=2021).first()
    for url in (f"{base}/staff/dossiers/", f"{base}/staff/dossiers/{dossier.pk}/"):
        response = page.goto(url)
        assert response.status == 403
