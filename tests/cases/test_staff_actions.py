"""The workflow from the dossier page: what staff post, what they are told, and that a
refused or invalid post changes nothing."""

import re
from datetime import datetime, timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from cases import receipts
from cases.choices import Channel, EventKind, NotificationKind, Status
from cases.models import Dossier, OutboxMessage, TakedownRequest
from cases.services import dossier_assign, takedown_request_record
from tests.factories import DossierFactory, location
from tests.intake.conftest import report_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(client, users):
    client.force_login(users["caseworker"])
    return users["caseworker"]


@pytest.fixture
def dossier(users):
    dossier = DossierFactory(locations=[location(url="https://leak.example/p/9")])
    dossier_assign(dossier_id=dossier.pk, to=users["caseworker"])
    return dossier


def _url(name: str, dossier, *args) -> str:
    return reverse(f"cases:{name}", args=[dossier.pk, *args])


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_triage_then_wait_then_resume_then_close_then_reopen(client, worker, dossier):
    steps = [
        ("dossier-triage", (), {"triage-decision": "accept"}, Status.IN_PROGRESS),
        ("dossier-status", ("wait",), {"wait-waiting_for": "platform"}, Status.WAITING),
        ("dossier-status", ("resume",), {}, Status.IN_PROGRESS),
        ("dossier-status", ("close",), {"close-closure_reason": "content_removed"}, Status.CLOSED),
        ("dossier-status", ("reopen",), {"reopen-note": "Uploaded again"}, Status.IN_PROGRESS),
    ]
    for name, args, data, status in steps:
        response = client.post(_url(name, dossier, *args), data)
        assert response.status_code == 302
        dossier.refresh_from_db()
        assert dossier.status == status
    assert dossier.events.filter(kind=EventKind.STATUS_CHANGED).count() == 5


def test_a_move_that_is_not_allowed_is_explained_and_changes_nothing(client, worker, dossier):
    events = dossier.events.count()
    response = client.post(_url("dossier-status", dossier, "resume"), {})
    assert response.status_code == 302
    (message,) = _messages(response)
    with translation.override("nl"):
        expected = translation.gettext("A dossier that is “%(old)s” cannot become “%(new)s”.")
    assert message == expected % {"old": Status.NEW.label, "new": Status.IN_PROGRESS.label}
    dossier.refresh_from_db()
    assert (dossier.status, dossier.events.count()) == (Status.NEW, events)
    assert client.post(_url("dossier-status", dossier, "explode"), {}).status_code == 404


def test_an_invalid_form_shows_its_errors_on_the_page_and_saves_nothing(client, worker, dossier):
    response = client.post(
        _url("takedown-create", dossier),
        {"takedown-location": dossier.locations.get().pk, "takedown-method": "email"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    # The error is told at the field it is about, which is marked invalid.
    assert 'id="error_1_id_takedown-sent_to"' in html
    field = html[
        html.index('id="id_takedown-sent_to"') - 300 : html.index('id="id_takedown-sent_to"')
    ]
    assert "is-invalid" in field
    assert not TakedownRequest.objects.exists()


def test_closing_as_not_competent_without_a_reason_is_refused(client, worker, dossier):
    response = client.post(_url("dossier-triage", dossier), {"triage-decision": "not_competent"})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.NEW
    assert len(_messages(response)) == 1


def test_a_location_of_another_dossier_cannot_be_used(client, worker, dossier, users):
    other = DossierFactory(locations=[location()])
    response = client.post(
        _url("takedown-create", dossier),
        {
            "takedown-location": other.locations.get().pk,
            "takedown-sent_to": "Desk",
            "takedown-method": "email",
            "takedown-legal_basis": "dsa_notice",
        },
    )
    assert response.status_code == 400
    assert not TakedownRequest.objects.exists()


def test_a_message_is_read_on_the_follow_up_page_and_announced_by_mail(client, worker, users):
    code = receipts.receipt_code_for(receipts.new_submission_token())
    dossier = DossierFactory(
        receipt_hash=receipts.receipt_hash(code), reporter_email="kid@example.invalid"
    )
    dossier_assign(dossier_id=dossier.pk, to=users["caseworker"])
    text = "We asked Instagram to remove the photo. You did nothing wrong."
    client.post(_url("dossier-message", dossier), {"message-text": text})
    mail = OutboxMessage.objects.get(kind=NotificationKind.REPORTER_MESSAGE)
    assert mail.recipient == "kid@example.invalid"

    client.logout()
    with translation.override("en"):
        client.post(reverse("intake:followup-start"), {"code": code})
        page = client.get(reverse("intake:followup")).content.decode()
    assert escape(text) in page


def test_a_correction_shows_before_and_after_on_the_dossier(client, worker, dossier):
    form = client.get(_url("dossier-details", dossier))
    assert form.status_code == 200
    data = {
        field: value
        for field, value in form.context["form"].initial.items()
        if value not in (None, False, "")
    }
    data["received_at"] = timezone.localtime(dossier.received_at).strftime("%Y-%m-%dT%H:%M")
    data["version"] = form.context["form"]["version"].value()
    data["form_ncii"] = "on"
    data["form_voyeurism"] = "on"
    data["images_made_by"] = []
    response = client.post(_url("dossier-details", dossier), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    dossier.refresh_from_db()
    assert dossier.form_voyeurism and dossier.received_at.date() == dossier.received_at.date()
    (event,) = dossier.events.filter(kind=EventKind.DETAILS_CHANGED)
    assert event.detail == ""  # no personal field changed
    html = client.get(_url("dossier-detail", dossier), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Voyeurism: no → yes" in html


def test_saving_the_correction_form_unchanged_records_nothing(client, worker, dossier):
    form = client.get(_url("dossier-details", dossier)).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("on" if v is True else v) for k, v in data.items() if v not in (None, False)}
    data["received_at"] = timezone.localtime(dossier.received_at).strftime("%Y-%m-%dT%H:%M")
    events = dossier.events.count()
    response = client.post(_url("dossier-details", dossier), data)
    assert response.status_code == 302
    assert dossier.events.count() == events


def test_the_notice_comes_in_the_language_chosen_with_the_address(client, worker, dossier):
    url = _url("takedown-notice", dossier, dossier.locations.get().pk)
    for code in ("nl", "fr", "de", "en"):
        response = client.get(url, {"language": code})
        notice = response.context["notice"]
        assert notice.language == code
        with translation.override(code):
            statement = translation.gettext("4. Statement of good faith (Article 16(2)(d))")
        assert statement in notice.text and (code == "en" or not statement.startswith("4. State"))
        assert dossier.reference in notice.text and "https://leak.example/p/9" in notice.text
        # The form that records it carries the language and the hash of this very text.
        form = response.context["form"]
        assert form.initial["notice_language"] == code
        assert form.initial["notice_sha256"] == notice.sha256
    # Without a choice: English, for a platform not on the list.
    assert client.get(url).context["notice"].language == "en"


def _staff_report(**overrides) -> dict:
    defaults = {
        "channel": "phone",
        "received_at": (timezone.localtime() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "language": "de",
        "consent": None,
    }
    return report_data(**(defaults | overrides))


def test_a_report_taken_by_phone_becomes_a_dossier_with_a_receipt_code(client, worker):
    data = _staff_report()
    response = client.post(reverse("cases:staff-report"), data)
    assert response.status_code == 200
    dossier = Dossier.objects.get()
    assert (dossier.channel, dossier.language) == (Channel.PHONE, "de")
    assert timezone.now() - dossier.received_at > timedelta(hours=2)
    assert dossier.first_contact_at == dossier.received_at  # the call was the contact
    code = response.context["code"]
    assert dossier.receipt_hash == receipts.receipt_hash(code)
    created = dossier.events.get(kind=EventKind.CREATED)
    assert created.actor == worker
    # A refresh of the same post: the same dossier and code, nothing new.
    again = client.post(reverse("cases:staff-report"), data)
    assert again.context["code"] == code and Dossier.objects.count() == 1


def test_a_report_by_letter_leaves_first_contact_to_do(client, worker):
    client.post(reverse("cases:staff-report"), _staff_report(channel="letter"))
    dossier = Dossier.objects.get()
    assert dossier.first_contact_at is None and dossier.first_contact_due is not None


@pytest.mark.parametrize(
    "override",
    [
        {"channel": "web"},
        {"received_at": (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")},
        {"forms_of_abuse": None},
    ],
)
def test_a_bad_staff_report_is_explained_and_saves_nothing(client, worker, override):
    response = client.post(reverse("cases:staff-report"), _staff_report(**override))
    assert response.status_code == 400
    assert "error-summary" in response.content.decode()
    assert not Dossier.objects.exists()


def _words_of(form) -> list[str]:
    """Everything the form says: labels, hints, options and its own error messages."""
    words = []
    for field in form.fields.values():
        words += [str(field.label or ""), str(field.help_text or "")]
        words += [str(text) for _value, text in getattr(field, "choices", [])]
        words += [str(m) for code, m in field.error_messages.items() if code == "required"]
    return [*words, str(form.no_way_to_contact), str(form.no_address_to_confirm)]


def test_the_staff_report_form_speaks_about_the_reporter_not_to_them():
    """Staff take a report about someone else: the questions are the public form's, in
    the staff's words ("Who made the report?", not "It is about me")."""
    from cases.forms import StaffReportForm
    from intake.forms import ReportForm

    speaking_to = re.compile(r"\b(you|your|me|my|I)\b")
    staff = [text for text in _words_of(StaffReportForm()) if speaking_to.search(text)]
    assert staff == []
    # The public form keeps speaking to the person, over the same questions.
    public = ReportForm()
    assert set(public.fields) - {"consent", "leave_empty"} <= set(StaffReportForm().fields)
    assert any(speaking_to.search(text) for text in _words_of(public))


def test_the_staff_report_page_is_in_the_staffs_words(client, worker):
    html = client.get(reverse("cases:staff-report"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Who made the report?" in html and "It is about me" not in html
    response = client.post(
        reverse("cases:staff-report"),
        _staff_report(reporter_email="", reporter_phone="", wants_acknowledgement=None),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert (
        escape("Give the reporter's email address or phone number, or record them as anonymous.")
        in response.content.decode()
    )


def test_a_case_worker_who_closes_an_unassigned_report_is_sent_back_to_the_list(client, worker):
    dossier = DossierFactory()
    response = client.post(
        _url("dossier-triage", dossier),
        {"triage-decision": "not_competent", "triage-note": "Not image-based abuse."},
    )
    assert response["Location"] == reverse("cases:dossier-list")
    dossier.refresh_from_db()
    assert dossier.status == Status.CLOSED
    assert client.get(_url("dossier-detail", dossier)).status_code == 404


def _details_post(form) -> dict:
    """What a browser posts for the correction form as it was shown."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if name in ("received_at", "threat_deadline") and value:
            value = field.widget.format_value(value)  # already in local time
        if value is True:
            value = "on"
        if value not in (None, False):
            data[name] = value
    return data


def test_a_correction_begun_before_someone_else_s_is_refused(client, worker, dossier, users):
    stale = _details_post(client.get(_url("dossier-details", dossier)).context["form"])
    client.force_login(users["coordinator"])
    fresh = _details_post(client.get(_url("dossier-details", dossier)).context["form"])
    assert (
        client.post(_url("dossier-details", dossier), fresh | {"priority": "urgent"}).status_code
        == 302
    )
    client.force_login(worker)
    response = client.post(_url("dossier-details", dossier), stale | {"language": "fr"})
    assert response.status_code == 400
    dossier.refresh_from_db()
    assert (dossier.priority, dossier.language) == ("urgent", "nl")  # nothing undone


def test_a_dossier_received_in_the_repeated_autumn_hour_can_be_corrected(client, worker, users):
    from cases.models import BRUSSELS

    second_0230 = datetime(2025, 10, 26, 2, 30, fold=1, tzinfo=BRUSSELS)
    dossier = DossierFactory(received_at=second_0230)
    dossier_assign(dossier_id=dossier.pk, to=worker)
    data = _details_post(client.get(_url("dossier-details", dossier)).context["form"])
    assert data["received_at"] == "2025-10-26T02:30"
    response = client.post(_url("dossier-details", dossier), data | {"language": "de"})
    assert response.status_code == 302
    dossier.refresh_from_db()
    # (Ambiguous local times never compare equal across zones: compare instants.)
    assert dossier.language == "de"
    assert dossier.received_at.timestamp() == second_0230.timestamp()


@pytest.mark.parametrize("typed", ["2025-10-26T02:30", "2025-10-26 02:30"])
def test_a_new_time_in_the_repeated_hour_is_its_first_occurrence(typed):
    from cases.forms import MomentField

    value = MomentField().clean(typed)
    assert value.utcoffset() == timedelta(hours=2)  # summer time, before the clocks go back


def test_an_outcome_for_another_dossiers_takedown_is_not_found_before_anything_else(
    client, worker, dossier
):
    from cases.choices import AccessAction
    from cases.models import AccessLogEntry

    other = DossierFactory(locations=[location()])
    foreign = takedown_request_record(
        location_id=other.locations.get().pk,
        sent_to="Desk",
        method="email",
        legal_basis="dsa_notice",
    )
    url = reverse("cases:takedown-answer", args=[dossier.pk, foreign.pk])
    assert client.post(url, {}).status_code == 404
    assert not AccessLogEntry.objects.filter(action=AccessAction.CHANGE).exists()


def test_a_staff_report_lists_an_addresss_error_in_its_summary(client, worker):
    response = client.post(
        reverse("cases:staff-report"),
        _staff_report(**{"locations-0-url": "not a link"}),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    html = response.content.decode()
    summary = html[
        html.index("data-error-summary") : html.index("</ul>", html.index("data-error-summary"))
    ]
    assert "Address 1 — Enter a valid URL." in summary and 'href="#id_locations-0-url"' in summary
    assert "<title>Error: Register a report" in html


OUT_OF_RANGE = "Enter a date from 1 January 2000 on, and at most ten years from now."


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31", "9999-12-31"])
def test_every_staff_date_refuses_a_day_out_of_range_and_saves_nothing(
    client, worker, dossier, day
):
    takedown = takedown_request_record(
        location_id=dossier.locations.get().pk,
        sent_to="Abuse desk",
        method="email",
        legal_basis="dsa_notice",
    )
    posts = [
        (
            _url("referral-create", dossier),
            {"referral-kind": "police", "referral-referred_on": day},
        ),
        (
            _url("takedown-answer", dossier, takedown.pk),
            {
                f"takedown-{takedown.pk}-outcome": "removed",
                f"takedown-{takedown.pk}-recheck_on": day,
            },
        ),
    ]
    for url, data in posts:
        response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="fr")
        assert response.status_code == 400, url
        with translation.override("fr"):
            assert escape(translation.gettext(OUT_OF_RANGE)) in response.content.decode()
    takedown.refresh_from_db()
    assert takedown.outcome == "pending" and takedown.recheck_on is None
    assert not dossier.referrals.exists()
    listing = client.get(reverse("cases:dossier-list"), {"received_from": day})
    assert listing.status_code == 200
    assert "received_from" in listing.context["form"].errors
