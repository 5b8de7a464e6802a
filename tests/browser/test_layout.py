"""The page's parts line up: header, main content and footer start at the same left
edge and share one width, on the staff side at a laptop's width and on the public side
from a phone to a desktop."""

from __future__ import annotations

import pytest

from tests.helpers import staff_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EDGES = """() => [...document.querySelectorAll('header .container, main, footer .container')]
    .map(element => {
        const box = element.getBoundingClientRect();
        return [Math.round(box.left), Math.round(box.width)];
    })"""


@pytest.mark.parametrize("width", [1280, 768])
def test_the_staff_header_and_main_line_up(desk, live_server, users, width):
    desk.page.set_viewport_size({"width": width, "height": 900})
    staff_log_in(desk, "coordinator")
    for path in ("/staff/dossiers/", "/staff/statistics/"):
        desk.page.goto(live_server.url + path)
        edges = desk.page.evaluate(EDGES)
        assert len(edges) == 2 and len(set(map(tuple, edges))) == 1, (path, edges)


@pytest.mark.parametrize("width", [360, 1280])
def test_the_public_header_main_and_footer_line_up(phone, live_server, width):
    phone.page.set_viewport_size({"width": width, "height": 800})
    for path in ("/en/", "/en/report/"):
        phone.page.goto(live_server.url + path)
        edges = phone.page.evaluate(EDGES)
        assert len(edges) == 4 and len(set(map(tuple, edges))) == 1, (path, edges)
