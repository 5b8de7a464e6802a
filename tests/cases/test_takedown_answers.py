"""The platform's answer step by step (acknowledgement, decision, statement of reasons,
internal complaint, out-of-court settlement, seen again), each clock in "Takedowns due"
and the digest, and platforms matched to the Institute's list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from cases.choices import (
    ComplaintOutcome,
    EventKind,
    LegalBasis,
    TakedownMethod,
    TakedownOutcome,
    TakedownStep,
)
from cases.digest import digest_for, send_daily_digests
from cases.errors import ActionRefused
from cases.models import NoticeExplanation, Platform, TakedownRequest
from cases.outbox import outbox_deliver
from cases.services import (
    dossier_assign,
    location_platform_set,
    takedown_answer_record,
    takedown_request_record,
)
from tests.factories import DossierFactory, location

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(users):
    """A request sent 30 hours ago, on a dossier the case worker handles."""
    at = timezone.now() - timedelta(hours=30)
    dossier = DossierFactory(received_at=at - timedelta(days=1), locations=[location()])
    dossier_assign(dossier_id=dossier.pk, to=users["caseworker"])
    return takedown_request_record(
        location_id=dossier.locations.get().pk,
        sent_to="desk",
        method=TakedownMethod.WEB_FORM,
        legal_basis=LegalBasis.DSA_NOTICE,
        sent_at=at,
        deadline=at + timedelta(hours=72),
    )


def _refused(takedown, message: str, **steps) -> None:
    before = TakedownRequest.objects.filter(pk=takedown.pk).values().get()
    events = takedown.dossier.events.count()
    with pytest.raises(ActionRefused) as refused, translation.override("en"):
        takedown_answer_record(takedown_id=takedown.pk, **steps)
    assert message in str(refused.value)
    assert TakedownRequest.objects.filter(pk=takedown.pk).values().get() == before
    assert takedown.dossier.events.count() == events


def _steps(takedown) -> list[tuple[str, str]]:
    return list(
        takedown.dossier.events.filter(
            kind__in=[EventKind.TAKEDOWN_STEP, EventKind.TAKEDOWN_OUTCOME]
        )
        .order_by("id")
        .values_list("kind", "detail")
    )


def test_each_step_of_the_answer_is_recorded_in_order_with_its_event(sent, users):
    worker = users["caseworker"]
    at = sent.sent_at
    today = timezone.localdate()
    takedown_answer_record(takedown_id=sent.pk, acknowledged_at=at + timedelta(hours=2), by=worker)
    takedown_answer_record(
        takedown_id=sent.pk,
        outcome=TakedownOutcome.REFUSED,
        outcome_at=at + timedelta(hours=20),
        reasons_received_on=today,
        by=worker,
    )
    takedown_answer_record(takedown_id=sent.pk, complaint_lodged_on=today, by=worker)
    takedown_answer_record(
        takedown_id=sent.pk, complaint_outcome=ComplaintOutcome.REJECTED, by=worker
    )
    takedown_answer_record(
        takedown_id=sent.pk,
        out_of_court_body="User Rights",
        out_of_court_on=today,
        note="The person agreed.",
        by=worker,
    )
    sent.refresh_from_db()
    assert sent.acknowledged_at == at + timedelta(hours=2)
    assert (sent.outcome, sent.outcome_at) == (TakedownOutcome.REFUSED, at + timedelta(hours=20))
    assert sent.reasons_received_on == today
    assert (sent.complaint_lodged_on, sent.complaint_outcome, sent.complaint_outcome_on) == (
        today,
        ComplaintOutcome.REJECTED,
        today,
    )
    assert (sent.out_of_court_body, sent.out_of_court_on) == ("User Rights", today)
    assert _steps(sent) == [
        (EventKind.TAKEDOWN_STEP, TakedownStep.ACKNOWLEDGED),
        (EventKind.TAKEDOWN_OUTCOME, TakedownOutcome.REFUSED),
        (EventKind.TAKEDOWN_STEP, TakedownStep.REASONS),
        (EventKind.TAKEDOWN_STEP, TakedownStep.COMPLAINT),
        (EventKind.TAKEDOWN_STEP, TakedownStep.COMPLAINT_REJECTED),
        (EventKind.TAKEDOWN_STEP, TakedownStep.OUT_OF_COURT),
    ]
    last = sent.dossier.events.latest("id")
    assert last.note == "The person agreed." and last.actor == worker
    with translation.override("en"):
        assert last.get_detail_display() == "Out-of-court body seized"


def test_steps_out_of_order_are_refused_and_change_nothing(sent):
    today = timezone.localdate()
    _refused(sent, "before the request was sent", acknowledged_at=sent.sent_at - timedelta(1))
    _refused(sent, "in the future", acknowledged_at=timezone.now() + timedelta(hours=1))
    _refused(sent, "decision first", reasons_received_on=today)
    _refused(sent, "only against a decision", complaint_lodged_on=today)
    _refused(sent, "Record the complaint first", complaint_outcome=ComplaintOutcome.UPHELD)
    _refused(sent, "decision first", out_of_court_body="Body", out_of_court_on=today)
    _refused(sent, "only after it was taken down", reuploaded_on=today)
    _refused(sent, "Nothing has changed")
    # A valid step with an invalid one: neither is saved.
    _refused(
        sent,
        "only against a decision",
        acknowledged_at=sent.sent_at + timedelta(hours=1),
        complaint_lodged_on=today,
    )
    takedown_answer_record(takedown_id=sent.pk, outcome=TakedownOutcome.REMOVED)
    _refused(sent, "only against a decision", complaint_lodged_on=today)
    _refused(sent, "both the out-of-court body", out_of_court_on=today)
    _refused(
        sent,
        "cannot be before the decision",
        reuploaded_on=today - timedelta(days=5),
    )


def test_a_reupload_keeps_the_decision(sent):
    takedown_answer_record(takedown_id=sent.pk, outcome=TakedownOutcome.GEO_BLOCKED)
    takedown_answer_record(takedown_id=sent.pk, reuploaded_on=timezone.localdate())
    sent.refresh_from_db()
    assert (sent.outcome, sent.reuploaded_on) == (
        TakedownOutcome.GEO_BLOCKED,
        timezone.localdate(),
    )


def test_the_acknowledgement_clock_runs_first_then_the_decision_clock(users, settings):
    settings.TAKEDOWN_ACK_HOURS = 4
    settings.TAKEDOWN_DEADLINE_HOURS = 48
    at = timezone.now() - timedelta(hours=5)
    dossier = DossierFactory(received_at=at - timedelta(hours=1), locations=[location()])
    dossier_assign(dossier_id=dossier.pk, to=users["caseworker"])
    takedown = takedown_request_record(
        location_id=dossier.locations.get().pk,
        sent_to="desk",
        method=TakedownMethod.WEB_FORM,
        legal_basis=LegalBasis.DSA_NOTICE,
        sent_at=at,
    )
    assert takedown.ack_deadline == at + timedelta(hours=4)
    assert takedown.deadline == at + timedelta(hours=48)
    due = TakedownRequest.objects.due()
    assert list(due) == [takedown]
    assert due.get().late_clock[0] == "acknowledgement"
    digest = digest_for(users["caseworker"])
    assert digest.takedowns == [takedown]

    takedown_answer_record(takedown_id=takedown.pk, acknowledged_at=at + timedelta(hours=4.5))
    assert not TakedownRequest.objects.due().exists()
    assert digest_for(users["caseworker"]).empty
    # Two days on, the decision is late.
    later = timezone.now() + timedelta(hours=44)
    assert list(TakedownRequest.objects.due(now=later)) == [takedown]
    assert TakedownRequest.objects.get().late_clocks(now=later) == ["decision"]
    takedown_answer_record(takedown_id=takedown.pk, outcome=TakedownOutcome.REMOVED)
    assert not TakedownRequest.objects.due(now=later).exists()


def test_the_digest_and_the_due_list_name_the_clock_that_ran_out(client, users, settings):
    settings.TAKEDOWN_ACK_HOURS = 2
    at = timezone.now() - timedelta(hours=3)
    dossier = DossierFactory(received_at=at - timedelta(hours=1), locations=[location()])
    dossier_assign(dossier_id=dossier.pk, to=users["caseworker"])
    takedown_request_record(
        location_id=dossier.locations.get().pk,
        sent_to="desk",
        method=TakedownMethod.WEB_FORM,
        legal_basis=LegalBasis.DSA_NOTICE,
        sent_at=at,
    )
    (message,) = [m for m in send_daily_digests() if m.recipient == users["caseworker"].email]
    mail.outbox.clear()
    assert outbox_deliver(message_id=message.pk)
    body = mail.outbox[0].body
    with translation.override(message.language):
        assert f"{dossier.reference} ({translation.gettext('acknowledgement due')}" in body
    client.force_login(users["caseworker"])
    response = client.get(reverse("cases:takedowns-due"))
    page = response.content.decode()
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        assert translation.gettext("acknowledgement due") in page
    assert 'data-late="acknowledgement"' in page


def test_the_answer_form_offers_the_steps_that_can_come_next(client, users, sent):
    client.force_login(users["caseworker"])
    detail = reverse("cases:dossier-detail", args=[sent.dossier_id])
    answer = reverse("cases:takedown-answer", args=[sent.dossier_id, sent.pk])
    prefix = f"takedown-{sent.pk}-"

    def offered() -> set[str]:
        page = client.get(detail).content.decode()
        return {
            name
            for name in (
                "acknowledged_at",
                "outcome",
                "reasons_received_on",
                "complaint_lodged_on",
                "complaint_outcome",
                "reuploaded_on",
            )
            if f'name="{prefix}{name}"' in page
        }

    assert offered() == {"acknowledged_at", "outcome"}
    moment = (sent.sent_at + timedelta(hours=1)).astimezone(timezone.get_current_timezone())
    response = client.post(answer, {f"{prefix}acknowledged_at": f"{moment:%Y-%m-%dT%H:%M}"})
    assert response.status_code == 302
    assert offered() == {"outcome"}
    client.post(answer, {f"{prefix}outcome": TakedownOutcome.REFUSED})
    assert offered() == {"outcome", "reasons_received_on", "complaint_lodged_on"}
    client.post(answer, {f"{prefix}complaint_lodged_on": f"{timezone.localdate():%Y-%m-%d}"})
    assert "complaint_outcome" in offered()
    sent.refresh_from_db()
    assert sent.acknowledged_at is not None and sent.complaint_outcome == ComplaintOutcome.PENDING


def test_a_location_is_matched_to_the_list_suggested_by_the_name_given(client, users):
    client.force_login(users["caseworker"])
    dossier = DossierFactory(locations=[location(platform_name="  instagram ")])
    dossier_assign(dossier_id=dossier.pk, to=users["caseworker"])
    instagram = Platform.objects.create(name="Instagram", kind="social_media", very_large=True)
    Platform.objects.create(name="Old site", kind="other", active=False)
    place = dossier.locations.get()
    detail = reverse("cases:dossier-detail", args=[dossier.pk])
    form = client.get(detail).context["locations"][0].platform_form
    assert form.initial["platform"] == instagram.pk  # offered, not saved
    place.refresh_from_db()
    assert place.platform is None
    url = reverse("cases:location-platform", args=[dossier.pk, place.pk])
    assert client.post(url, {f"location-{place.pk}-platform": instagram.pk}).status_code == 302
    place.refresh_from_db()
    assert place.platform == instagram
    event = dossier.events.get(kind=EventKind.PLATFORM_MATCHED)
    assert event.detail == "Instagram" and event.actor == users["caseworker"]
    # A platform no longer in use is not offered, and refused if posted.
    old = Platform.objects.get(name="Old site")
    assert client.post(url, {f"location-{place.pk}-platform": old.pk}).status_code == 400
    with pytest.raises(ActionRefused):
        location_platform_set(location_id=place.pk, platform_id=old.pk)
    place.refresh_from_db()
    assert place.platform == instagram


def test_platforms_and_legal_explanations_are_kept_in_the_admin(client, users):
    assert Platform in admin.site._registry and NoticeExplanation in admin.site._registry
    # Every subject in every language to start with.
    assert NoticeExplanation.objects.count() == 16


def test_every_change_is_a_step_with_its_note(sent, users):
    """The same decision again is a check; a day to check again set or cleared is a step;
    the note goes with them: nothing changes without a trace."""
    worker = users["caseworker"]
    takedown_answer_record(
        takedown_id=sent.pk,
        outcome=TakedownOutcome.REMOVED,
        recheck_on=timezone.localdate() + timedelta(days=7),
        by=worker,
    )
    takedown_answer_record(
        takedown_id=sent.pk,
        outcome=TakedownOutcome.REMOVED,
        recheck_on=None,
        note="Still gone.",
        by=worker,
    )
    sent.refresh_from_db()
    assert sent.recheck_on is None
    assert _steps(sent)[-2:] == [
        (EventKind.TAKEDOWN_STEP, TakedownStep.CHECKED),
        (EventKind.TAKEDOWN_STEP, TakedownStep.RECHECK),
    ]
    notes = list(sent.dossier.events.order_by("-id").values_list("note", flat=True)[:2])
    assert sorted(notes) == ["", "Still gone."]
    # Correcting when the decision came is a step of its own.
    earlier = sent.sent_at + timedelta(hours=3)
    takedown_answer_record(takedown_id=sent.pk, outcome=TakedownOutcome.REMOVED, outcome_at=earlier)
    sent.refresh_from_db()
    assert sent.outcome_at == earlier
    assert _steps(sent)[-1] == (EventKind.TAKEDOWN_OUTCOME, TakedownOutcome.REMOVED)


def test_a_decision_with_later_steps_stands_and_an_acknowledgement_after_it_is_refused(sent):
    today = timezone.localdate()
    takedown_answer_record(takedown_id=sent.pk, outcome=TakedownOutcome.REFUSED)
    _refused(sent, "once the decision is recorded", acknowledged_at=sent.sent_at)
    takedown_answer_record(takedown_id=sent.pk, complaint_lodged_on=today)
    _refused(sent, "can no longer be changed", outcome=TakedownOutcome.REMOVED)
    _refused(sent, "can no longer be changed", outcome=TakedownOutcome.NO_ANSWER)


def test_the_out_of_court_body_is_free_text_kept_like_the_others(sent):
    """Encrypted, out of the history; a new name alone is a step too."""
    today = timezone.localdate()
    takedown_answer_record(takedown_id=sent.pk, outcome=TakedownOutcome.REFUSED)
    takedown_answer_record(takedown_id=sent.pk, out_of_court_body="Body A", out_of_court_on=today)
    takedown_answer_record(takedown_id=sent.pk, out_of_court_body="Body B", out_of_court_on=today)
    assert _steps(sent)[-1] == (EventKind.TAKEDOWN_STEP, TakedownStep.OUT_OF_COURT)
    assert len([s for s in _steps(sent) if s[1] == TakedownStep.OUT_OF_COURT]) == 2
    history = TakedownRequest.history.model
    assert "out_of_court_body" not in {field.name for field in history._meta.fields}
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT out_of_court_body FROM cases_takedownrequest WHERE id = %s", [sent.pk]
        )
        assert "Body B" not in cursor.fetchone()[0]


def test_a_notice_is_recorded_only_with_the_hash_of_the_text_shown(client, users, sent):
    client.force_login(users["caseworker"])
    response = client.post(
        reverse("cases:takedown-create", args=[sent.dossier_id]),
        {
            "takedown-location": sent.location_id,
            "takedown-sent_to": "desk",
            "takedown-method": TakedownMethod.WEB_FORM,
            "takedown-legal_basis": LegalBasis.DSA_NOTICE,
            "takedown-notice_language": "en",
        },
    )
    assert response.status_code == 400
    assert TakedownRequest.objects.count() == 1


def test_where_notices_go_is_a_web_address_or_an_email_address():
    from django.core.exceptions import ValidationError

    for good in ("https://help.example/dsa-notice", "abuse@platform.example", ""):
        Platform(name=f"P {good}", kind="other", notice_channel=good).full_clean()
    for bad in ("javascript:alert(1)", "call them", "ftp://files.example/x"):
        with pytest.raises(ValidationError):
            Platform(name="Bad", kind="other", notice_channel=bad).full_clean()
