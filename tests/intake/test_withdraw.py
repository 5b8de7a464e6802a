"""A reporter withdraws their report from the follow-up page: told first what happens,
then the dossier is closed and erased at once, its handler told, its counts kept."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from cases import receipts
from cases.choices import ClosureReason, NotificationKind, Status
from cases.models import Dossier, Evidence, OutboxMessage
from cases.services import dossier_close, dossier_triage, reporter_followup_add
from reporting.periods import Period
from reporting.statistics import compute
from tests.factories import DossierFactory, location
from tests.helpers import PHOTO_PNG

pytestmark = pytest.mark.django_db


def _url(name: str, language: str = "en") -> str:
    with translation.override(language):
        return reverse(name)


@pytest.fixture
def reported(users, django_capture_on_commit_callbacks):
    """A dossier with personal data, a file and an address, its handler, and the code."""
    code = receipts.receipt_code_for(receipts.new_submission_token())
    dossier = DossierFactory(
        receipt_hash=receipts.receipt_hash(code),
        received_at=timezone.now(),
        reporter_email="lotte@example.invalid",
        description="He posted my photos",
        locations=[location(url="https://leak.example/p/1")],
        assignee=users["caseworker"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        reporter_followup_add(
            dossier_id=dossier.pk,
            message="Here is the screenshot",
            location=None,
            uploads=[SimpleUploadedFile("screen.png", PHOTO_PNG)],
        )
    return dossier, receipts.display(code)


def _open(client, code: str, language: str = "en"):
    return client.post(_url("intake:followup-start", language), {"code": code})


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_the_follow_up_page_offers_it_and_the_next_page_says_what_happens(
    client, reported, language
):
    dossier, code = reported
    _open(client, code, language)
    page = client.get(_url("intake:followup", language)).content.decode()
    assert _url("intake:followup-withdraw", language) in page
    confirm = client.get(_url("intake:followup-withdraw", language))
    assert confirm.status_code == 200 and "data-withdraw" in confirm.content.decode()
    with translation.override(language):
        from django.utils.translation import gettext

        for sentence in (
            "Requests we already sent to platforms to remove images stay sent: we cannot "
            "take them back.",
            "Your receipt code stops working. This cannot be undone.",
        ):
            assert gettext(sentence) in confirm.content.decode()
    dossier.refresh_from_db()
    assert dossier.anonymised_at is None  # looking at the page changes nothing


def test_withdrawing_closes_erases_tells_the_handler_and_keeps_the_counts(
    client, reported, users, settings, django_capture_on_commit_callbacks
):
    dossier, code = reported
    year = Period(date(dossier.received_at.year, 1, 1), date(dossier.received_at.year, 12, 31))
    before = compute(year)
    files = [settings.PRIVATE_STORAGE_ROOT / e.file.name for e in Evidence.objects.all()]
    assert files and all(path.exists() for path in files)
    _open(client, code)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("intake:followup-withdraw"))
    assert response.status_code == 200 and "data-withdrawn" in response.content.decode()

    dossier.refresh_from_db()
    assert dossier.status == Status.CLOSED
    assert dossier.closure_reason == ClosureReason.WITHDRAWN
    assert dossier.anonymised_at is not None and dossier.receipt_hash is None
    assert dossier.reporter_email == "" and dossier.description == ""
    assert dossier.locations.get().url == ""
    assert not Evidence.objects.exists() and not any(path.exists() for path in files)
    assert dossier.evidence_files_erased == 1
    alert = OutboxMessage.objects.get(kind=NotificationKind.REPORTER_WITHDREW)
    assert (alert.recipient, alert.dossier_id) == (users["caseworker"].email, dossier.pk)
    assert alert.sent_at is not None  # delivered, not settled with the others
    # Every count stays: the dossier is counted as before, now among the closures.
    after = compute(year)
    assert after.by_form == before.by_form
    assert {k: v for k, v in after.counts.items() if k != "closure"} == {
        k: v for k, v in before.counts.items() if k != "closure"
    }
    assert after.counts["closure"]["all"][ClosureReason.WITHDRAWN] == 1
    # The follow-up has ended, and the code opens nothing any more.
    assert client.get(_url("intake:followup"))["Location"] == _url("intake:followup-start")
    assert _open(client, code).status_code == 400


def test_a_second_withdrawal_is_harmless(client, reported):
    dossier, code = reported
    _open(client, code)
    client.post(_url("intake:followup-withdraw"))
    erased = Dossier.objects.get(pk=dossier.pk)
    again = client.post(_url("intake:followup-withdraw"))
    assert again.status_code == 302
    assert again["Location"] == _url("intake:followup-start")
    assert Dossier.objects.get(pk=dossier.pk).updated_at == erased.updated_at
    assert OutboxMessage.objects.filter(kind=NotificationKind.REPORTER_WITHDREW).count() == 1


def test_a_dossier_staff_closed_keeps_its_reason_and_coordinators_hear_of_it(client, users):
    code = receipts.receipt_code_for(receipts.new_submission_token())
    dossier = DossierFactory(receipt_hash=receipts.receipt_hash(code), received_at=timezone.now())
    dossier_triage(dossier_id=dossier.pk, accept=True)
    dossier_close(dossier_id=dossier.pk, closure_reason=ClosureReason.CONTENT_REMOVED)
    Dossier.objects.filter(pk=dossier.pk).update(assignee=None)
    _open(client, receipts.display(code))
    client.post(_url("intake:followup-withdraw"))
    dossier.refresh_from_db()
    assert dossier.closure_reason == ClosureReason.CONTENT_REMOVED
    assert dossier.anonymised_at is not None
    alerts = OutboxMessage.objects.filter(kind=NotificationKind.REPORTER_WITHDREW)
    assert [a.recipient for a in alerts] == [users["coordinator"].email]


def test_without_a_follow_up_open_there_is_nothing_to_withdraw(client, reported):
    dossier, _code = reported
    response = client.post(_url("intake:followup-withdraw"))
    assert response["Location"] == _url("intake:followup-start")
    dossier.refresh_from_db()
    assert dossier.anonymised_at is None
