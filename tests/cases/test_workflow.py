"""The workflow services beyond plain status moves: triage, messages, contacts,
corrections, takedowns and referrals. Each refusal changes nothing."""

from datetime import date, timedelta

import pytest
from django.utils import timezone, translation

from cases.choices import (
    AgeBand,
    ClosureReason,
    ContactMethod,
    EventKind,
    LegalBasis,
    NotificationKind,
    Priority,
    ReferralKind,
    ReferralOutcome,
    Status,
    TakedownMethod,
    TakedownOutcome,
    YesNoUnknown,
)
from cases.models import Dossier, DossierEvent, OutboxMessage, TakedownRequest
from cases.services import (
    ActionRefused,
    dossier_assign,
    dossier_close,
    dossier_contact_record,
    dossier_message_reporter,
    dossier_note_add,
    dossier_resume,
    dossier_triage,
    dossier_update_details,
    dossier_wait,
    referral_outcome_record,
    referral_record,
    referrals_suggested,
    takedown_answer_record,
    takedown_outcome_record,
    takedown_request_record,
)
from cases.timeline import timeline
from tests.factories import DossierFactory, location
from tests.helpers import at_once

pytestmark = pytest.mark.django_db


def _snapshot(dossier: Dossier) -> tuple:
    dossier.refresh_from_db()
    return (
        dossier.status,
        dossier.assignee_id,
        dossier.first_contact_at,
        dossier.events.count(),
        OutboxMessage.objects.count(),
        TakedownRequest.objects.count(),
    )


def _refused(dossier: Dossier, call, **kwargs) -> None:
    before = _snapshot(dossier)
    with pytest.raises(ActionRefused):
        call(**kwargs)
    assert _snapshot(dossier) == before


# Triage


def test_a_case_worker_who_accepts_an_unassigned_dossier_takes_it(users):
    dossier = DossierFactory()
    dossier_triage(dossier_id=dossier.pk, accept=True, by=users["caseworker"])
    dossier.refresh_from_db()
    assert (dossier.status, dossier.assignee) == (Status.IN_PROGRESS, users["caseworker"])
    kinds = list(dossier.events.values_list("kind", flat=True))
    assert kinds == [EventKind.CREATED, EventKind.ASSIGNED, EventKind.STATUS_CHANGED]


def test_accepting_keeps_an_existing_assignee(users):
    dossier = DossierFactory()
    dossier_assign(dossier_id=dossier.pk, to=users["caseworker2"], by=users["coordinator"])
    dossier_triage(dossier_id=dossier.pk, accept=True, by=users["coordinator"])
    dossier.refresh_from_db()
    assert dossier.assignee == users["caseworker2"]


def test_closing_as_not_competent_needs_a_reason(users):
    dossier = DossierFactory()
    _refused(dossier, dossier_triage, dossier_id=dossier.pk, accept=False, by=users["caseworker"])
    dossier_triage(
        dossier_id=dossier.pk, accept=False, note="Adult, consensual, no images.", by=None
    )
    dossier.refresh_from_db()
    assert (dossier.status, dossier.closure_reason) == (Status.CLOSED, ClosureReason.NOT_COMPETENT)
    assert dossier.events.latest("id").note == "Adult, consensual, no images."


def test_a_triaged_dossier_cannot_be_triaged_again(users):
    dossier = DossierFactory()
    dossier_triage(dossier_id=dossier.pk, accept=True, by=users["caseworker"])
    _refused(dossier, dossier_triage, dossier_id=dossier.pk, accept=True, by=users["caseworker"])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_triaging_at_once_leave_one_decision(users):
    dossier = DossierFactory()
    people = [("caseworker", True), ("caseworker2", False)]

    def triage(n: int) -> tuple[str, str]:
        name, accept = people[n]
        try:
            dossier_triage(dossier_id=dossier.pk, accept=accept, note="not for us", by=users[name])
        except ActionRefused:
            return name, "refused"
        return name, "done"

    outcomes = dict(at_once(2, triage))
    assert sorted(outcomes.values()) == ["done", "refused"]
    dossier.refresh_from_db()
    moves = DossierEvent.objects.filter(dossier=dossier, kind=EventKind.STATUS_CHANGED)
    assert moves.count() == 1
    if outcomes["caseworker"] == "done":
        assert (dossier.status, dossier.assignee) == (Status.IN_PROGRESS, users["caseworker"])
    else:
        assert (dossier.status, dossier.assignee) == (Status.CLOSED, None)
        assert not dossier.events.filter(kind=EventKind.ASSIGNED).exists()


# Waiting


def test_waiting_says_for_whom_and_resuming_forgets_it(users):
    dossier = DossierFactory()
    dossier_triage(dossier_id=dossier.pk, accept=True, by=users["caseworker"])
    _refused(dossier, dossier_wait, dossier_id=dossier.pk, waiting_for="")
    dossier_wait(dossier_id=dossier.pk, waiting_for="police")
    dossier.refresh_from_db()
    assert (dossier.status, dossier.waiting_for) == (Status.WAITING, "police")
    with translation.override("en"):
        assert dossier.events.latest("id").get_detail_display() == "the police or the prosecutor"
    dossier_resume(dossier_id=dossier.pk)
    dossier.refresh_from_db()
    assert dossier.waiting_for == ""


# Notes, messages and contact


def test_a_note_needs_text_and_is_recorded(users):
    dossier = DossierFactory()
    _refused(dossier, dossier_note_add, dossier_id=dossier.pk, text="   ", by=users["caseworker"])
    dossier_note_add(dossier_id=dossier.pk, text=" Called the school. ", by=users["caseworker"])
    note = dossier.events.latest("id")
    assert (note.kind, note.note, note.actor) == (
        EventKind.NOTE,
        "Called the school.",
        users["caseworker"],
    )


def test_a_message_reaches_a_reporter_with_an_email_and_counts_as_contact(users):
    dossier = DossierFactory(
        reporter_email="r@example.invalid", contact_language="fr", receipt_hash="b" * 64
    )
    dossier_message_reporter(dossier_id=dossier.pk, text="We asked for removal.", by=None)
    dossier.refresh_from_db()
    assert dossier.first_contact_at is not None
    mail = OutboxMessage.objects.get(kind=NotificationKind.REPORTER_MESSAGE)
    assert (mail.recipient, mail.language, mail.dossier) == ("r@example.invalid", "fr", dossier)


def test_a_message_to_an_anonymous_reporter_waits_on_the_follow_up_page(users):
    dossier = DossierFactory(reporter_email="", receipt_hash="a" * 64)
    dossier_message_reporter(dossier_id=dossier.pk, text="Hello", by=users["caseworker"])
    assert dossier.events.filter(kind=EventKind.MESSAGE_TO_REPORTER).count() == 1
    assert not OutboxMessage.objects.exists()


def test_a_message_without_a_receipt_code_is_refused_even_with_an_email(users):
    # The mail would send them to a follow-up page they cannot open.
    dossier = DossierFactory(reporter_email="r@example.invalid")
    _refused(dossier, dossier_message_reporter, dossier_id=dossier.pk, text="Hello")


def test_an_empty_message_is_refused(users):
    dossier = DossierFactory(receipt_hash="a" * 64)
    _refused(dossier, dossier_message_reporter, dossier_id=dossier.pk, text="  ")
    assert not dossier.events.filter(kind=EventKind.MESSAGE_TO_REPORTER).exists()


def test_nothing_is_dated_before_the_report_arrived(users):
    dossier = _with_location()
    before = dossier.received_at - timedelta(hours=1)
    _refused(dossier, dossier_contact_record, dossier_id=dossier.pk, method="phone", at=before)
    _refused(
        dossier,
        takedown_request_record,
        location_id=dossier.locations.get().pk,
        sent_to="Desk",
        method=TakedownMethod.EMAIL,
        legal_basis=LegalBasis.DSA_NOTICE,
        sent_at=before,
    )
    _refused(
        dossier,
        referral_record,
        dossier_id=dossier.pk,
        kind=ReferralKind.POLICE,
        referred_on=timezone.localdate(before) - timedelta(days=1),
    )


def test_a_coordinator_who_accepts_does_not_take_the_dossier(users):
    dossier = DossierFactory()
    dossier_triage(dossier_id=dossier.pk, accept=True, by=users["coordinator"])
    dossier.refresh_from_db()
    assert (dossier.status, dossier.assignee) == (Status.IN_PROGRESS, None)


def test_the_first_contact_is_the_earliest_one_recorded(users):
    dossier = DossierFactory(received_at=timezone.now() - timedelta(days=3))
    later = timezone.now() - timedelta(hours=1)
    earlier = timezone.now() - timedelta(days=2)
    dossier_contact_record(dossier_id=dossier.pk, method=ContactMethod.PHONE, at=later)
    dossier_contact_record(dossier_id=dossier.pk, method=ContactMethod.EMAIL, at=earlier)
    dossier.refresh_from_db()
    assert dossier.first_contact_at == earlier
    _refused(
        dossier,
        dossier_contact_record,
        dossier_id=dossier.pk,
        method=ContactMethod.PHONE,
        at=timezone.now() + timedelta(days=1),
    )
    _refused(dossier, dossier_contact_record, dossier_id=dossier.pk, method="pigeon")


# Corrections, with their history


def test_a_correction_is_shown_before_and_after_in_the_timeline(users):
    dossier = DossierFactory(reporter_email="old@example.invalid")
    dossier_update_details(
        dossier_id=dossier.pk,
        changes={
            "form_sextortion": True,
            "person_age_band": AgeBand.FROM_25_TO_34,
            "reporter_email": "new@example.invalid",
        },
        by=users["caseworker"],
    )
    with translation.override("en"):
        event, changes = timeline(dossier)[-1]
    assert (event.kind, event.actor) == (EventKind.DETAILS_CHANGED, users["caseworker"])
    lines = {(c.label, c.before, c.after) for c in changes}
    assert ("Sextortion", "no", "yes") in lines
    assert ("Age of the person concerned", "Not known", "25 to 34") in lines
    # Personal data is never copied into the history: only the fact of the change.
    assert ("Email", "", "changed") in lines
    assert "old@example.invalid" not in str(lines) and "new@example.invalid" not in str(lines)


def test_an_unchanged_correction_records_nothing(users):
    dossier = DossierFactory()
    before = _snapshot(dossier)
    dossier_update_details(dossier_id=dossier.pk, changes={"language": dossier.language})
    assert _snapshot(dossier) == before


def test_a_correction_that_breaks_a_rule_is_refused_whole(users):
    dossier = DossierFactory(person_minor_on_images=YesNoUnknown.YES)
    _refused(
        dossier,
        dossier_update_details,
        dossier_id=dossier.pk,
        changes={"priority": Priority.NORMAL, "language": "fr"},
    )
    _refused(dossier, dossier_update_details, dossier_id=dossier.pk, changes={"form_ncii": False})
    _refused(dossier, dossier_update_details, dossier_id=dossier.pk, changes={"status": "closed"})
    dossier.refresh_from_db()
    assert (dossier.language, dossier.form_ncii) == ("nl", True)


def test_making_a_dossier_urgent_brings_its_first_contact_forward(users):
    dossier = DossierFactory()
    normal_due = dossier.first_contact_due
    dossier_update_details(dossier_id=dossier.pk, changes={"priority": Priority.URGENT})
    dossier.refresh_from_db()
    assert dossier.first_contact_due < normal_due
    assert timezone.localdate(dossier.first_contact_due) == timezone.localdate(dossier.received_at)


# Takedowns


def _with_location():
    return DossierFactory(received_at=timezone.now() - timedelta(days=5), locations=[location()])


def test_a_takedown_request_is_due_a_day_later_unless_configured(users, settings):
    dossier = _with_location()
    sent = timezone.now() - timedelta(hours=2)
    takedown = takedown_request_record(
        location_id=dossier.locations.get().pk,
        sent_to="Instagram abuse desk",
        method=TakedownMethod.WEB_FORM,
        legal_basis=LegalBasis.DSA_NOTICE,
        sent_at=sent,
        by=users["caseworker"],
    )
    assert takedown.deadline == sent + timedelta(hours=24)
    event = dossier.events.latest("id")
    assert (event.kind, event.takedown, event.at) == (EventKind.TAKEDOWN_REQUESTED, takedown, sent)
    settings.TAKEDOWN_DEADLINE_HOURS = 6
    second = takedown_request_record(
        location_id=dossier.locations.get().pk,
        sent_to="Instagram",
        method=TakedownMethod.EMAIL,
        legal_basis=LegalBasis.CRIMINAL_CODE,
        sent_at=sent,
    )
    assert second.deadline == sent + timedelta(hours=6)
    assert TakedownRequest.objects.get(pk=second.pk).sent_to == "Instagram"


@pytest.mark.parametrize(
    "override",
    [
        {"sent_to": " "},
        {"method": "carrier_pigeon"},
        {"legal_basis": "none"},
        {"sent_at": timezone.now() + timedelta(days=1)},
        {"deadline": timezone.now() - timedelta(days=1)},
    ],
)
def test_a_bad_takedown_request_is_refused(users, override):
    dossier = _with_location()
    arguments = {
        "location_id": dossier.locations.get().pk,
        "sent_to": "Desk",
        "method": TakedownMethod.EMAIL,
        "legal_basis": LegalBasis.DSA_NOTICE,
    } | override
    _refused(dossier, takedown_request_record, **arguments)


def test_no_takedown_on_a_closed_dossier(users):
    dossier = _with_location()
    dossier_triage(dossier_id=dossier.pk, accept=True)
    dossier_close(dossier_id=dossier.pk, closure_reason="other")
    _refused(
        dossier,
        takedown_request_record,
        location_id=dossier.locations.get().pk,
        sent_to="Desk",
        method=TakedownMethod.EMAIL,
        legal_basis=LegalBasis.DSA_NOTICE,
    )


def test_takedowns_fall_due_when_late_or_at_their_recheck(users):
    dossier = _with_location()
    location_id = dossier.locations.get().pk

    def request(hours_ago: int) -> TakedownRequest:
        return takedown_request_record(
            location_id=location_id,
            sent_to="Desk",
            method=TakedownMethod.EMAIL,
            legal_basis=LegalBasis.DSA_NOTICE,
            sent_at=timezone.now() - timedelta(hours=hours_ago),
        )

    late, fresh, removed = request(30), request(2), request(40)
    takedown_outcome_record(
        takedown_id=removed.pk, outcome=TakedownOutcome.REMOVED, recheck_on=timezone.localdate()
    )
    assert set(TakedownRequest.objects.due()) == {late, removed}
    takedown_outcome_record(takedown_id=removed.pk, outcome=TakedownOutcome.REMOVED)
    takedown_outcome_record(takedown_id=late.pk, outcome=TakedownOutcome.NO_ANSWER)
    assert not TakedownRequest.objects.due().exists()
    assert fresh.outcome == TakedownOutcome.PENDING
    dossier_triage(dossier_id=dossier.pk, accept=True)
    dossier_close(dossier_id=dossier.pk, closure_reason="other")
    assert not TakedownRequest.objects.filter(pk=fresh.pk).due(
        now=timezone.now() + timedelta(days=3)
    )


def test_an_outcome_must_be_an_answer_with_a_future_recheck(users):
    dossier = _with_location()
    takedown = takedown_request_record(
        location_id=dossier.locations.get().pk,
        sent_to="Desk",
        method=TakedownMethod.EMAIL,
        legal_basis=LegalBasis.DSA_NOTICE,
    )
    _refused(dossier, takedown_outcome_record, takedown_id=takedown.pk, outcome="pending")
    _refused(
        dossier,
        takedown_outcome_record,
        takedown_id=takedown.pk,
        outcome=TakedownOutcome.REMOVED,
        recheck_on=timezone.localdate() - timedelta(days=1),
    )
    takedown_outcome_record(takedown_id=takedown.pk, outcome=TakedownOutcome.REMOVED)
    takedown_answer_record(
        takedown_id=takedown.pk, reuploaded_on=timezone.localdate(), note="Back on another page."
    )
    event = dossier.events.latest("id")
    with translation.override("en"):
        assert (event.kind, event.get_detail_display(), event.note) == (
            EventKind.TAKEDOWN_STEP,
            "Seen online again",
            "Back on another page.",
        )
    # The decision stays what it was: the content was removed before it came back.
    takedown.refresh_from_db()
    assert takedown.outcome == TakedownOutcome.REMOVED


# Referrals


@pytest.mark.parametrize(
    ("age_band", "minor_on_images", "expected"),
    [
        ("16_17", YesNoUnknown.NO, ["child_protection", "take_it_down"]),
        ("25_34", YesNoUnknown.YES, ["child_protection", "take_it_down"]),
        ("25_34", YesNoUnknown.NO, ["stopncii"]),
        ("unknown", YesNoUnknown.UNKNOWN, ["stopncii"]),
    ],
)
def test_the_image_hashing_service_suggested_follows_the_age(age_band, minor_on_images, expected):
    """StopNCII.org only takes images taken at 18 or older; Take It Down is for minors."""
    dossier = DossierFactory(
        person_age_band=age_band, person_minor_on_images=minor_on_images, form_sextortion=True
    )
    assert referrals_suggested(dossier, []) == expected


def test_a_minor_calls_for_child_protection_until_it_is_recorded(users):
    dossier = DossierFactory(person_minor_on_images=YesNoUnknown.YES, form_ncii=True)
    assert referrals_suggested(dossier, []) == [
        ReferralKind.CHILD_PROTECTION,
        ReferralKind.TAKE_IT_DOWN,
    ]
    referral = referral_record(
        dossier_id=dossier.pk, kind=ReferralKind.CHILD_PROTECTION, referred_on=date.today()
    )
    assert referrals_suggested(dossier, dossier.referrals.all()) == [ReferralKind.TAKE_IT_DOWN]
    adult = DossierFactory(form_ncii=False, form_voyeurism=True)
    assert referrals_suggested(adult, []) == []
    referral_outcome_record(referral_id=referral.pk, outcome=ReferralOutcome.TAKEN_UP)
    referral.refresh_from_db()
    assert (referral.outcome, referral.outcome_on) == (
        ReferralOutcome.TAKEN_UP,
        timezone.localdate(),
    )
    kinds = list(dossier.events.values_list("kind", flat=True))[-2:]
    assert kinds == [EventKind.REFERRAL_MADE, EventKind.REFERRAL_OUTCOME]


def test_bad_referrals_are_refused(users):
    dossier = DossierFactory()
    today = timezone.localdate()
    _refused(dossier, referral_record, dossier_id=dossier.pk, kind="priest", referred_on=today)
    _refused(
        dossier,
        referral_record,
        dossier_id=dossier.pk,
        kind=ReferralKind.POLICE,
        referred_on=today + timedelta(days=1),
    )
    referral = referral_record(dossier_id=dossier.pk, kind=ReferralKind.POLICE, referred_on=today)
    _refused(dossier, referral_outcome_record, referral_id=referral.pk, outcome="pending")
    _refused(
        dossier,
        referral_outcome_record,
        referral_id=referral.pk,
        outcome=ReferralOutcome.DECLINED,
        outcome_on=today - timedelta(days=3),
    )
