"""Limits against abuse of the public side, through the pages: they hold when posts
arrive at once, they cover follow-up posts, and a flood from many addresses slows the
flood without stopping a real person."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from cases import receipts
from cases.choices import EventKind, NotificationKind
from cases.models import Dossier, DossierEvent, Evidence, OutboxMessage
from intake import throttle, views
from tests.factories import DossierFactory
from tests.helpers import PNG, at_once
from tests.intake.conftest import report_data

WRONG = "AAAA-BBBB-CCCC-DDDD"


def _url(name: str, language: str = "en") -> str:
    with translation.override(language):
        return reverse(name)


@pytest.mark.django_db(transaction=True)
def test_twelve_reports_at_once_from_one_address_get_five_receipts(users):
    url = _url("intake:report")
    statuses = at_once(12, lambda n: Client().post(url, report_data()).status_code)
    assert sorted(statuses) == [200] * 5 + [429] * 7
    assert Dossier.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_twelve_codes_at_once_from_one_address_try_five():
    url = _url("intake:followup-start")
    statuses = at_once(12, lambda n: Client().post(url, {"code": WRONG}).status_code)
    assert sorted(statuses) == [400] * 5 + [429] * 7


@pytest.fixture
def reported():
    code = receipts.receipt_code_for(receipts.new_submission_token())
    dossier = DossierFactory(receipt_hash=receipts.receipt_hash(code))
    return dossier, receipts.display(code)


def _open(client, code: str, address: str):
    return client.post(_url("intake:followup-start"), {"code": code}, REMOTE_ADDR=address)


@pytest.mark.django_db
def test_a_flood_of_wrong_codes_from_many_addresses_never_refuses_the_right_code(
    client, reported, caplog
):
    _dossier, code = reported
    # 50 addresses, 5 wrong codes each: past the 200 wrong codes allowed overall.
    for n in range(50):
        for _ in range(5):
            _open(Client(), WRONG, f"203.0.113.{n}")
    assert throttle.reached(views.WRONG_CODES_OVERALL)
    assert caplog.text.count("many wrong receipt codes") == 1

    assert _open(client, code, "192.0.2.1").status_code == 302
    # Meanwhile each wrong code counts twice: three wrong tries instead of five.
    newcomer = Client()
    tries = [_open(newcomer, WRONG, "192.0.2.2").status_code for _ in range(4)]
    assert tries == [400, 400, 400, 429]
    # A person who mistyped twice still gets in with the right code.
    person = Client()
    assert _open(person, WRONG, "192.0.2.3").status_code == 400
    assert _open(person, WRONG, "192.0.2.3").status_code == 400
    assert _open(person, code, "192.0.2.3").status_code == 302


@pytest.mark.django_db
def test_right_codes_do_not_use_up_a_persons_tries(reported):
    _dossier, code = reported
    for _ in range(8):  # back on the phone, the laptop, the phone again...
        assert _open(Client(), code, "192.0.2.1").status_code == 302
    assert _open(Client(), WRONG, "192.0.2.1").status_code == 400


@pytest.mark.django_db
def test_reports_past_the_overall_limit_are_saved_flagged_and_alerted_once(
    client, users, monkeypatch
):
    monkeypatch.setattr(
        views, "REPORTS_OVERALL", throttle.Limit("report-all", allowed=3, window_seconds=3600)
    )
    for n in range(6):
        response = client.post(_url("intake:report"), report_data(), REMOTE_ADDR=f"198.51.100.{n}")
        assert response.status_code == 200
        assert "intake/receipt.html" in [t.name for t in response.templates]

    dossiers = list(Dossier.objects.order_by("id"))
    assert [d.received_in_surge for d in dossiers] == [False] * 3 + [True] * 3
    surge = OutboxMessage.objects.filter(dossier__received_in_surge=True)
    assert not surge.exists()  # no alert and no acknowledgement per flagged report
    alerts = OutboxMessage.objects.filter(kind=NotificationKind.SURGE)
    coordinators = {users["coordinator"].email}
    assert sorted(alerts.values_list("recipient", flat=True)) == sorted(coordinators)

    client.force_login(users["coordinator"])
    listed = client.get(reverse("cases:dossier-list"), {"surge": "on"})
    assert listed.context["page"].paginator.count == 3


@pytest.fixture
def followed(client, reported):
    dossier, code = reported
    assert _open(client, code, "127.0.0.1").status_code == 302
    return dossier


def _post(client, address="127.0.0.1", **data):
    return client.post(
        _url("intake:followup"), {"message": "More about it", **data}, REMOTE_ADDR=address
    )


@pytest.mark.django_db
def test_follow_up_posts_are_limited_per_client(client, followed):
    for _ in range(views.POSTS_PER_CLIENT.allowed):
        assert _post(client).status_code == 302
    refused = _post(client, message="one too many")
    assert refused.status_code == 429
    assert "a lot in a short time" in refused.content.decode()
    notes = DossierEvent.objects.filter(dossier=followed, kind=EventKind.MESSAGE_FROM_REPORTER)
    assert notes.count() == views.POSTS_PER_CLIENT.allowed


@pytest.mark.django_db
def test_follow_up_posts_are_limited_per_dossier_from_any_address(client, followed):
    for n in range(views.POSTS_PER_DOSSIER.allowed):
        assert _post(client, address=f"198.51.100.{n}").status_code == 302
    assert _post(client, address="192.0.2.77").status_code == 429


@pytest.mark.django_db
def test_a_burst_of_posts_alerts_the_handler_once(client, followed, users):
    followed.assignee = users["caseworker"]
    followed.save()
    for _ in range(4):
        _post(client)
    alerts = OutboxMessage.objects.filter(kind=NotificationKind.REPORTER_ADDED)
    assert alerts.count() == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert _post(client).status_code == 302
    assert alerts.count() == 2


@pytest.mark.django_db
def test_a_dossier_takes_no_more_files_than_its_limit(client, followed, settings):
    settings.EVIDENCE_MAX_FILES_PER_DOSSIER = 4
    files = [SimpleUploadedFile(f"s{n}.png", PNG) for n in range(3)]
    assert _post(client, files=files).status_code == 302
    more = [SimpleUploadedFile(f"t{n}.png", PNG) for n in range(2)]
    refused = _post(client, message="two more", files=more)
    assert refused.status_code == 400
    assert "cannot accept more files" in refused.content.decode()
    assert Evidence.objects.filter(dossier=followed).count() == 3
    messages = DossierEvent.objects.filter(kind=EventKind.MESSAGE_FROM_REPORTER)
    assert [event.note for event in messages] == ["More about it"]


@pytest.mark.django_db
def test_a_dossier_takes_no_more_bytes_than_its_limit(client, followed, settings):
    settings.EVIDENCE_MAX_BYTES_PER_DOSSIER = len(PNG) * 2 + 10
    assert _post(client, files=[SimpleUploadedFile("a.png", PNG)]).status_code == 302
    refused = _post(client, files=[SimpleUploadedFile(f"b{n}.png", PNG) for n in range(2)])
    assert refused.status_code == 400
    assert Evidence.objects.filter(dossier=followed).count() == 1


@pytest.mark.django_db
def test_in_a_surge_a_minor_still_raises_the_urgent_alert_once_an_hour(client, users, monkeypatch):
    monkeypatch.setattr(
        views, "REPORTS_OVERALL", throttle.Limit("report-all", allowed=0, window_seconds=3600)
    )
    for n in range(3):
        data = report_data(person_minor_on_images="yes", person_age_band="14_15")
        answer = client.post(_url("intake:report"), data, REMOTE_ADDR=f"198.51.100.{n}")
        assert answer.status_code == 200
        # The reporter asked for a confirmation mail: the page says none will come.
        assert "data-no-acknowledgement" in answer.content.decode()
    urgent = OutboxMessage.objects.filter(kind=NotificationKind.URGENT_REPORT)
    assert urgent.count() == 1  # one coordinator, one hour
    assert urgent.get().dossier == Dossier.objects.order_by("id").first()
    assert not OutboxMessage.objects.filter(kind=NotificationKind.ACKNOWLEDGEMENT).exists()


@pytest.mark.django_db
def test_only_saved_reports_count_towards_the_surge(client, users):
    data = report_data()
    for _ in range(4):  # the same form four times: one report
        client.post(_url("intake:report"), data)
    assert Dossier.objects.count() == 1
    assert cache.get(f"throttle:{views.REPORTS_OVERALL.name}:{throttle.EVERYONE}") == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "deadline", ["0001-01-01T00:00", "0001-01-01", "1999-12-31T23:00", "9999-12-31T23:59"]
)
def test_a_date_at_the_edge_of_the_calendar_is_a_message_not_a_crash(client, deadline):
    data = report_data(threat_active="yes", threat_deadline=deadline)
    with translation.override("fr"):
        response = client.post(_url("intake:report", "fr"), data)
        expected = translation.gettext(
            "Enter a date from 1 January 2000 on, and at most ten years from now."
        )
    assert response.status_code == 400
    assert escape(expected) in response.content.decode()
    assert not Dossier.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["received_at", "threat_deadline"])
def test_staff_dates_at_the_edge_of_the_calendar_are_refused(client, users, field):
    from tests.factories import DossierFactory

    dossier = DossierFactory()
    client.force_login(users["coordinator"])
    page = client.get(reverse("cases:dossier-details", args=[dossier.pk]))
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    for name in ("received_at", "threat_deadline"):
        if data.get(name):
            value = data[name]
            if timezone.is_aware(value):
                value = timezone.localtime(value)
            data[name] = value.strftime("%Y-%m-%dT%H:%M")
    data = {k: v for k, v in data.items() if v is not False}
    data[field] = "0001-01-01T00:00"
    response = client.post(reverse("cases:dossier-details", args=[dossier.pk]), data)
    assert response.status_code == 400
    assert "Enter a date from 1 January 2000 on" in response.content.decode() or (
        "1 januari 2000" in response.content.decode()
    )
    registered = client.post(
        reverse("cases:staff-report"),
        report_data(channel="phone", received_at="0001-01-01T00:30", language="nl", consent=None),
    )
    assert registered.status_code == 400
    assert Dossier.objects.count() == 1
