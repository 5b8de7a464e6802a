"""Error pages: in the visitor's language, public or staff, with the quick exit on the
public side, and still there when the database is out of reach (they never touch it)."""

from __future__ import annotations

import socket
from html import unescape

import pytest
from django.db import connections
from django.test import Client
from django.utils import translation

from tests.intake.conftest import report_data

# A report POST answered 500: what the person must be told.
NOT_SAVED = (
    "You can safely send the same page again: go back, check that your answers are still "
    "there, and press “Send my report”. If it was saved after all, you get the same "
    "receipt code, and nothing is counted twice."
)


def _closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def database_unreachable():
    """The default database really out of reach for the requests that follow:
    PostgreSQL pointed at a closed port, SQLite at a file in a folder that does not
    exist. The test's own connection is restored afterwards."""
    connection = connections["default"]
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "postgresql":
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(_closed_port()))
    else:
        connection.settings_dict["NAME"] = "/nonexistent-folder/unreachable.sqlite3"
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def _text(response) -> str:
    return " ".join(unescape(response.content.decode()).split())


def _in(language: str, message: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_a_report_sent_while_the_database_is_down_says_it_can_be_sent_again(
    database_unreachable, language
):
    browser = Client(raise_request_exception=False)
    response = browser.post(f"/{language}/report/", report_data())
    assert response.status_code == 500
    html = _text(response)
    assert f'<html lang="{language}">' in html
    assert _in(language, "Your report could not be saved") in html
    assert _in(language, NOT_SAVED) in html
    assert "data-quick-exit" in html and "Server Error" not in html


@pytest.mark.django_db(transaction=True)
def test_the_quick_exit_still_leaves_when_the_database_is_down(database_unreachable, settings):
    browser = Client(raise_request_exception=False)
    browser.cookies["sessionid"] = "a-follow-up-session-that-cannot-be-read-now"
    response = browser.get("/exit/")
    assert response.status_code == 302 and response["Location"] == settings.QUICK_EXIT_URL


@pytest.mark.django_db(transaction=True)
def test_a_staff_page_while_the_database_is_down_gets_the_staff_error_page(
    database_unreachable,
):
    browser = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="de")
    browser.cookies["sessionid"] = "a-session-that-cannot-be-read-now"
    response = browser.get("/staff/dossiers/")
    assert response.status_code == 500
    html = _text(response)
    assert _in("de", "Something went wrong on our side") in html
    assert "data-quick-exit" not in html  # staff pages have no quick exit


@pytest.mark.django_db(transaction=True)
def test_a_page_that_does_not_exist_answers_in_its_language_database_or_not(
    database_unreachable,
):
    browser = Client(raise_request_exception=False)
    public = browser.get("/fr/nothing-here/")
    assert public.status_code == 404
    assert _in("fr", "This page does not exist") in _text(public)
    assert "data-quick-exit" in _text(public)
    staff = browser.get("/staff/nothing-here/", HTTP_ACCEPT_LANGUAGE="nl")
    assert staff.status_code == 404
    assert _in("nl", "This page does not exist") in _text(staff)
    assert "data-quick-exit" not in _text(staff)


@pytest.mark.django_db
def test_a_page_refused_to_a_role_is_the_staff_403_page(client, users):
    client.force_login(users["management"])
    response = client.get("/staff/dossiers/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 403
    assert _in("fr", "This page is not open to you") in _text(response)


@pytest.mark.django_db
def test_a_request_that_cannot_be_read_is_the_400_page():
    browser = Client(raise_request_exception=False)
    response = browser.get("/en/", HTTP_HOST="not-an-allowed-host.example")
    assert response.status_code == 400
    assert "What was sent could not be read" in _text(response)
