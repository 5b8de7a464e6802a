"""Coming back with a receipt code: status, messages, adding information."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from cases import receipts
from cases.choices import EventKind, NotificationKind, Status
from cases.models import DossierEvent, Evidence, OutboxMessage
from cases.services import dossier_triage
from intake.views import STATUS_EXPLAINED
from tests.factories import DossierFactory
from tests.helpers import PNG

pytestmark = pytest.mark.django_db


def _url(name: str, language: str = "en") -> str:
    with translation.override(language):
        return reverse(name)


@pytest.fixture
def reported():
    """A dossier reported through the form, and the code its reporter kept."""
    code = receipts.receipt_code_for(receipts.new_submission_token())
    dossier = DossierFactory(receipt_hash=receipts.receipt_hash(code))
    return dossier, receipts.display(code)


def _open(client, code: str, language: str = "en", **extra):
    return client.post(_url("intake:followup-start", language), {"code": code}, **extra)


def test_the_code_opens_the_follow_up_page_without_putting_it_in_any_address(client, reported):
    _dossier, code = reported
    response = _open(client, code.lower().replace("-", " "))  # as people type it
    assert response.status_code == 302
    assert response["Location"] == _url("intake:followup")
    page = client.get(response["Location"])
    assert page.status_code == 200
    with translation.override("en"):
        assert str(STATUS_EXPLAINED[Status.NEW]) in page.content.decode()
    assert code not in page.content.decode()


@pytest.mark.parametrize("language", ["nl", "fr", "de"])
def test_the_status_is_told_in_plain_words_in_the_page_language(client, reported, language):
    dossier, code = reported
    dossier_triage(dossier_id=dossier.pk, accept=True)
    _open(client, code, language)
    page = client.get(_url("intake:followup", language))
    with translation.override(language):
        expected = str(STATUS_EXPLAINED[Status.IN_PROGRESS])
        assert expected != "A member of our team is working on your report."
    assert escape(expected) in page.content.decode()


def test_the_reporter_reads_staff_messages_but_no_internal_note(client, reported):
    dossier, code = reported
    DossierEvent.objects.create(
        dossier=dossier, kind=EventKind.MESSAGE_TO_REPORTER, note="We asked the site to remove it."
    )
    DossierEvent.objects.create(dossier=dossier, kind=EventKind.NOTE, note="internal: call police")
    _open(client, code)
    html = client.get(_url("intake:followup")).content.decode()
    assert "We asked the site to remove it." in html
    assert "internal: call police" not in html


def test_a_wrong_code_says_only_that_it_did_not_work(client, reported):
    response = _open(client, "AAAA-BBBB-CCCC-DDDD")
    assert response.status_code == 400
    assert "This code did not work." in response.content.decode()
    malformed = _open(client, "12")
    assert malformed.content.decode().count("This code did not work.") >= 1
    assert client.get(_url("intake:followup")).status_code == 302  # still not in


def test_wrong_codes_are_throttled_per_client_even_for_the_right_code(client, reported):
    _dossier, code = reported
    for _ in range(5):
        assert _open(client, "AAAA-BBBB-CCCC-DDDD").status_code == 400
    blocked = _open(client, code)
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.content.decode()
    assert _open(client, code, REMOTE_ADDR="198.51.100.30").status_code == 302


def test_a_message_from_the_reporter_becomes_an_event_and_alerts_the_assignee(
    client, reported, users
):
    dossier, code = reported
    dossier.assignee = users["caseworker"]
    dossier.save()
    _open(client, code)
    response = client.post(_url("intake:followup"), {"message": "He posted it again today."})
    assert response.status_code == 302
    event = DossierEvent.objects.get(kind=EventKind.MESSAGE_FROM_REPORTER)
    assert (event.dossier, event.note, event.actor) == (dossier, "He posted it again today.", None)
    alerts = OutboxMessage.objects.filter(kind=NotificationKind.REPORTER_ADDED)
    assert [a.recipient for a in alerts] == [users["caseworker"].email]
    page = client.get(_url("intake:followup")).content.decode()
    assert "He posted it again today." in page
    assert "We have received what you added." in page


def test_an_address_and_files_are_added_in_one_go(client, reported, settings):
    dossier, code = reported
    _open(client, code)
    response = client.post(
        _url("intake:followup"),
        {
            "url": "https://forum.example/t/123",
            "platform_kind": "forum",
            "files": [SimpleUploadedFile("screen.png", PNG, "image/png")],
        },
    )
    assert response.status_code == 302
    assert dossier.locations.filter(platform_kind="forum").count() == 1
    assert dossier.locations.get(platform_kind="forum").url == "https://forum.example/t/123"
    assert Evidence.objects.filter(dossier=dossier).count() == 1
    kinds = set(dossier.events.values_list("kind", flat=True))
    assert {EventKind.LOCATION_ADDED, EventKind.EVIDENCE_ADDED} <= kinds


def test_an_empty_or_bad_addition_is_explained_and_saves_nothing(client, reported, settings):
    dossier, code = reported
    _open(client, code, "fr")
    before = dossier.events.count()
    empty = client.post(_url("intake:followup", "fr"), {"message": "  "})
    assert empty.status_code == 400
    bad = client.post(
        _url("intake:followup", "fr"),
        {"message": "see file", "files": [SimpleUploadedFile("x.jpg", b"MZ\x90\x00" * 10)]},
    )
    assert bad.status_code == 400
    assert dossier.events.count() == before
    assert not Evidence.objects.exists()
    root = settings.PRIVATE_STORAGE_ROOT
    assert not (root.exists() and any(p.is_file() for p in root.rglob("*")))


def test_the_follow_up_ends_after_half_an_hour_idle_or_on_request(client, reported):
    _dossier, code = reported
    with time_machine.travel(timezone.now(), tick=False) as clock:
        _open(client, code)
        clock.shift(timedelta(minutes=29))
        assert client.get(_url("intake:followup")).status_code == 200
        clock.shift(timedelta(minutes=29))  # idle time counts from the last page
        assert client.get(_url("intake:followup")).status_code == 200
        clock.shift(timedelta(minutes=31))
        assert client.get(_url("intake:followup")).status_code == 302
    _open(client, code)
    client.post(_url("intake:followup-end"))
    assert client.get(_url("intake:followup")).status_code == 302


def test_a_wrong_code_is_said_in_the_title_and_the_cursor_is_back_in_the_field(client):
    import re

    response = client.post("/en/follow-up/", {"code": "AAAA-BBBB-CCCC-DDDD"})
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r"<title>\s*Error:", html)
    field = re.search(r'<input[^>]*name="code"[^>]*>', html).group(0)
    assert "autofocus" in field and 'aria-invalid="true"' in field
    assert "id_code_error" in re.search(r'aria-describedby="([^"]+)"', field).group(1)
