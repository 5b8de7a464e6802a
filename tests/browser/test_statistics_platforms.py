"""The statistics page with the table per platform filled, in the staff browser: every
kind of cell (figures, withheld ones, empty ones) and its chart meet WCAG 2.2 AA."""

from __future__ import annotations

import pytest

from tests.browser.conftest import accessibility_violations
from tests.helpers import staff_log_in
from tests.reporting.test_platform_figures import PAGE, notices, platforms  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("notices")
def test_the_page_with_the_table_filled_meets_wcag_aa(desk, live_server, users):
    """axe-core (WCAG 2.2 AA) on the page with every kind of cell in the table: figures,
    withheld ones, empty ones, and its chart."""
    staff_log_in(desk, "management")
    page = desk.page
    for query in ("year=2023", "year=2023&publication=on&threshold=5"):
        assert page.goto(f"{live_server.url}{PAGE}?{query}").status == 200
        assert page.locator("[data-table=platform] caption").count() == 1
        chart = page.locator("[data-table-chart=platform] img")
        chart.scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=chart.element_handle()
        )
        assert accessibility_violations(page) == [], query
    assert desk.errors == [] and desk.foreign_requests == []
