"""Errors that are answers, not crashes: an expired form anywhere on the staff side, a
period out of range, in the person's language."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse
from django.utils import translation

pytestmark = pytest.mark.django_db

SAMPLE_ARGUMENTS = {"int": "1", "slug": "by_form", "str": "csv", "path": "x"}


def _staff_urls_with_arguments() -> list[str]:
    """Every staff URL whose pattern takes arguments, filled with sample values."""
    urls = []

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLPattern):
                if "<" in route and route.startswith("staff/"):
                    urls.append(
                        "/"
                        + re.sub(
                            r"<(?:(\w+):)?\w+>",
                            lambda m: SAMPLE_ARGUMENTS[m.group(1) or "str"],
                            route,
                        )
                    )
            else:
                walk(entry.url_patterns, route)

    walk(get_resolver().url_patterns, "")
    return urls


STAFF_URLS = _staff_urls_with_arguments()


def test_the_staff_urls_with_arguments_are_found():
    assert "/staff/dossiers/1/" in STAFF_URLS
    assert "/staff/dossiers/1/status/by_form/" in STAFF_URLS
    assert len(STAFF_URLS) >= 10


@pytest.mark.parametrize("url", STAFF_URLS)
@pytest.mark.parametrize("language", ["fr", "de"])
def test_an_expired_form_on_any_staff_url_is_the_translated_403_page(users, url, language):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(users["coordinator"])
    response = client.post(url, {"note": "x"})
    assert response.status_code == 403
    with translation.override(language):
        expected = translation.gettext("This page had expired")
    assert expected != "This page had expired"
    assert expected in response.content.decode()
    # The language links lead somewhere real.
    for link in re.findall(r'hreflang="\w+"[^>]*|href="([^"]+)" lang=', response.content.decode()):
        if link:
            assert Client().get(link).status_code in {200, 302}


def test_the_language_links_keep_the_page(client):
    with translation.override("nl"):
        page = client.get(reverse("intake:followup-start")).content.decode()
    with translation.override("fr"):
        assert f'href="{reverse("intake:followup-start")}"' in page


@pytest.fixture
def management(client, users):
    client.force_login(users["management"])
    return client


OUT_OF_RANGE = [
    {"start": "9999-12-01", "end": "9999-12-31"},
    {"start": "9999-12-31", "end": "9999-12-31"},
    {"start": "2000-01-01", "end": "9999-12-31"},
    {"start": "1999-12-31", "end": "2000-01-02"},
    {"start": "0001-01-01", "end": "0001-01-02"},
    {"year": "9999"},
    {"year": "1"},
]


@pytest.mark.parametrize("query", OUT_OF_RANGE)
@pytest.mark.parametrize(
    "url",
    [
        "/staff/statistics/",
        "/staff/statistics/charts/period.png",
        "/staff/statistics/charts/period.svg",
        "/staff/statistics/tables/by_form.csv",
        "/staff/statistics/tables/by_form.xlsx",
        "/staff/statistics/workbook.xlsx",
    ],
)
def test_a_period_out_of_range_is_a_400_with_a_message(management, url, query):
    response = management.get(url, query, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    text = response.content.decode()
    assert any(
        words in text
        for words in (
            "at the earliest",
            "no figures for it",
            "at most 10 years",
            "Select a valid choice",
            "no statistics for the year",
        )
    ), text[:500]


def test_the_earliest_period_and_this_year_still_work(management):
    from django.utils import timezone

    first_year = {"start": "2000-01-01", "end": "2000-12-31"}
    assert management.get("/staff/statistics/", first_year).status_code == 200
    today = timezone.localdate().isoformat()
    assert management.get("/staff/statistics/", {"start": today, "end": today}).status_code == 200
    response = management.get(
        "/staff/statistics/charts/period.png", {"start": "2000-01-01", "end": "2000-03-01"}
    )
    assert response.status_code == 200
