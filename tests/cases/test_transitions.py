"""The workflow, pinned: the table is written out here (not read from the code), and
every action is tried in every status by each role through the services and through
what the dossier page offers. Changing any entry of ``cases.workflow.WORKFLOW`` fails a
test here."""

import pytest
from django.utils import timezone, translation

from cases import receipts
from cases.choices import (
    Channel,
    ClosureReason,
    ContactMethod,
    EventKind,
    LegalBasis,
    ReferralKind,
    ReferralOutcome,
    Status,
    TakedownMethod,
    TakedownOutcome,
    WaitingFor,
)
from cases.models import Dossier, DossierEvent
from cases.services import (
    ActionRefused,
    dossier_assign,
    dossier_close,
    dossier_contact_record,
    dossier_message_reporter,
    dossier_note_add,
    dossier_reopen,
    dossier_resume,
    dossier_triage,
    dossier_update_details,
    dossier_wait,
    referral_outcome_record,
    referral_record,
    reporter_contact_change,
    takedown_outcome_record,
    takedown_request_record,
)
from cases.workflow import Action, actions_allowed
from tests.factories import DossierFactory, location
from tests.helpers import at_once

pytestmark = pytest.mark.django_db

C, W = "coordinator", "caseworker"
HANDLERS = {C, W}
# What may be done with a dossier in each status, and by whom: written out by hand.
EXPECTED = {
    Status.NEW: {
        "triage": HANDLERS,
        "assign": {C},
        "note": HANDLERS,
        "message": HANDLERS,
        "contact": HANDLERS,
        "details": HANDLERS,
        "takedown": HANDLERS,
        "takedown_outcome": HANDLERS,
        "referral": HANDLERS,
        "referral_outcome": HANDLERS,
    },
    Status.IN_PROGRESS: {
        "wait": HANDLERS,
        "close": HANDLERS,
        "assign": {C},
        "note": HANDLERS,
        "message": HANDLERS,
        "contact": HANDLERS,
        "details": HANDLERS,
        "takedown": HANDLERS,
        "takedown_outcome": HANDLERS,
        "referral": HANDLERS,
        "referral_outcome": HANDLERS,
    },
    Status.WAITING: {
        "resume": HANDLERS,
        "close": HANDLERS,
        "assign": {C},
        "note": HANDLERS,
        "message": HANDLERS,
        "contact": HANDLERS,
        "details": HANDLERS,
        "takedown": HANDLERS,
        "takedown_outcome": HANDLERS,
        "referral": HANDLERS,
        "referral_outcome": HANDLERS,
    },
    Status.CLOSED: {
        "reopen": HANDLERS,
        "note": HANDLERS,
        "message": HANDLERS,
        "contact": HANDLERS,
        "details": HANDLERS,
        "referral_outcome": HANDLERS,
    },
}
# The reporter's own action (on the follow-up page), and the statuses it may be taken
# in: no staff role takes it.
REPORTER_ONLY = {"reporter_contact": set(Status)}
# Where each move leads.
LEADS_TO = {
    ("triage", "accept"): Status.IN_PROGRESS,
    ("triage", "decline"): Status.CLOSED,
    ("wait", ""): Status.WAITING,
    ("resume", ""): Status.IN_PROGRESS,
    ("close", ""): Status.CLOSED,
    ("reopen", ""): Status.IN_PROGRESS,
}


def _dossier_in(status: Status, users) -> Dossier:
    """A dossier of the case worker's, with a takedown and a referral made while new,
    then brought to ``status`` (by the system, which only the statuses bind)."""
    dossier = DossierFactory(
        locations=[location()],
        receipt_hash=receipts.receipt_hash(receipts.receipt_code_for(f"table-{status}")),
    )
    dossier_assign(dossier_id=dossier.pk, to=users[W], by=users[C])
    takedown_request_record(
        location_id=dossier.locations.get().pk,
        sent_to="Abuse desk",
        method=TakedownMethod.WEB_FORM,
        legal_basis=LegalBasis.DSA_NOTICE,
    )
    referral_record(
        dossier_id=dossier.pk, kind=ReferralKind.VICTIM_SUPPORT, referred_on=timezone.localdate()
    )
    if status != Status.NEW:
        dossier_triage(dossier_id=dossier.pk, accept=True)
    if status == Status.WAITING:
        dossier_wait(dossier_id=dossier.pk, waiting_for=WaitingFor.PLATFORM)
    if status == Status.CLOSED:
        dossier_close(dossier_id=dossier.pk, closure_reason=ClosureReason.CONTENT_REMOVED)
    dossier.refresh_from_db()
    assert dossier.status == status
    return dossier


def _perform(action: str, dossier: Dossier, by, users) -> None:
    """Take ``action`` through its service, with valid data."""
    pk = dossier.pk
    run = {
        "triage": lambda: dossier_triage(dossier_id=pk, accept=True, by=by),
        "assign": lambda: dossier_assign(dossier_id=pk, to=users["caseworker2"], by=by),
        "wait": lambda: dossier_wait(dossier_id=pk, waiting_for=WaitingFor.REPORTER, by=by),
        "resume": lambda: dossier_resume(dossier_id=pk, by=by),
        "close": lambda: dossier_close(dossier_id=pk, closure_reason=ClosureReason.REFERRED, by=by),
        "reopen": lambda: dossier_reopen(dossier_id=pk, by=by),
        "note": lambda: dossier_note_add(dossier_id=pk, text="A note", by=by),
        "message": lambda: dossier_message_reporter(dossier_id=pk, text="News", by=by),
        "contact": lambda: dossier_contact_record(dossier_id=pk, method=ContactMethod.PHONE, by=by),
        "details": lambda: dossier_update_details(
            dossier_id=pk, changes={"channel": Channel.PHONE}, by=by
        ),
        "takedown": lambda: takedown_request_record(
            location_id=dossier.locations.get().pk,
            sent_to="Another desk",
            method=TakedownMethod.EMAIL,
            legal_basis=LegalBasis.DSA_NOTICE,
            by=by,
        ),
        "takedown_outcome": lambda: takedown_outcome_record(
            takedown_id=dossier.takedowns.get().pk, outcome=TakedownOutcome.REMOVED, by=by
        ),
        "referral": lambda: referral_record(
            dossier_id=pk, kind=ReferralKind.LEGAL_AID, referred_on=timezone.localdate(), by=by
        ),
        "referral_outcome": lambda: referral_outcome_record(
            referral_id=dossier.referrals.get().pk, outcome=ReferralOutcome.TAKEN_UP, by=by
        ),
    }
    run[action]()


def test_the_table_names_every_action_the_services_take():
    assert {action.value for action in Action} == {
        name for allowed in EXPECTED.values() for name in allowed
    } | set(REPORTER_ONLY)


CASES = [
    (status, action, role)
    for status in Status
    for action in Action
    if action.value not in REPORTER_ONLY
    for role in (C, W)
]


@pytest.mark.parametrize(("status", "action", "role"), CASES)
def test_each_action_in_each_status_by_each_role_is_done_or_refused_as_written(
    users, status, action, role
):
    dossier = _dossier_in(status, users)
    allowed = role in EXPECTED[status].get(action.value, set())
    events = DossierEvent.objects.filter(dossier=dossier).count()
    if allowed:
        _perform(action.value, dossier, users[role], users)
        assert DossierEvent.objects.filter(dossier=dossier).count() > events
    else:
        with pytest.raises(ActionRefused):
            _perform(action.value, dossier, users[role], users)
        assert DossierEvent.objects.filter(dossier=dossier).count() == events
        dossier.refresh_from_db()
        assert dossier.status == status


@pytest.mark.parametrize("status", list(Status))
def test_the_reporter_changes_how_to_be_contacted_in_every_status(users, status):
    dossier = _dossier_in(status, users)
    events = DossierEvent.objects.filter(dossier=dossier).count()
    change = {"dossier_id": dossier.pk, "reporter_phone": "+32 470 00 00 00"}
    if status in REPORTER_ONLY["reporter_contact"]:
        reporter_contact_change(**change)
        assert DossierEvent.objects.filter(dossier=dossier).count() == events + 1
    else:
        with pytest.raises(ActionRefused):
            reporter_contact_change(**change)
        assert DossierEvent.objects.filter(dossier=dossier).count() == events
    assert all(Action.REPORTER_CONTACT not in actions_allowed(dossier, users[r]) for r in (C, W))


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("role", [C, W])
def test_the_dossier_page_offers_what_the_table_allows(users, status, role):
    dossier = _dossier_in(status, users)
    offered = {action.value for action in actions_allowed(dossier, users[role])}
    assert offered == {name for name, roles in EXPECTED[status].items() if role in roles}


@pytest.mark.parametrize(("move", "how"), list(LEADS_TO))
def test_each_move_leads_where_it_should_and_says_so(users, move, how):
    start = {"triage": Status.NEW, "wait": Status.IN_PROGRESS, "resume": Status.WAITING}
    old = start.get(move, Status.CLOSED if move == "reopen" else Status.IN_PROGRESS)
    dossier = _dossier_in(old, users)
    if how == "decline":
        dossier_triage(dossier_id=dossier.pk, accept=False, note="why", by=users[W])
    else:
        _perform(move, dossier, users[W], users)
    dossier.refresh_from_db()
    new = LEADS_TO[(move, how)]
    assert dossier.status == new
    event = dossier.events.filter(kind=EventKind.STATUS_CHANGED).latest("id")
    assert (event.old_status, event.new_status) == (old, new)
    assert (dossier.closed_at is not None) == (new == Status.CLOSED)
    assert bool(dossier.waiting_for) == (new == Status.WAITING)


def test_an_anonymised_dossier_allows_nothing(users):
    dossier = _dossier_in(Status.CLOSED, users)
    dossier.anonymised_at = timezone.now()
    assert actions_allowed(dossier, users[C]) == frozenset()


def test_management_and_administrators_may_do_nothing(users):
    dossier = _dossier_in(Status.IN_PROGRESS, users)
    for username in ["management", "admin"]:
        assert actions_allowed(dossier, users[username]) == frozenset()
        with pytest.raises(ActionRefused):
            dossier_note_add(dossier_id=dossier.pk, text="x", by=users[username])


def test_a_case_worker_may_not_act_on_someone_elses_dossier(users):
    dossier = _dossier_in(Status.IN_PROGRESS, users)
    with pytest.raises(ActionRefused):
        dossier_note_add(dossier_id=dossier.pk, text="x", by=users["caseworker2"])


def test_closing_without_a_reason_is_refused_and_changes_nothing(users):
    dossier = _dossier_in(Status.IN_PROGRESS, users)
    for reason in ["", "archived"]:
        with pytest.raises(ActionRefused):
            dossier_close(dossier_id=dossier.pk, closure_reason=reason)
    dossier.refresh_from_db()
    assert dossier.status == Status.IN_PROGRESS


def test_waiting_needs_to_say_for_whom(users):
    dossier = _dossier_in(Status.IN_PROGRESS, users)
    with pytest.raises(ActionRefused):
        dossier_wait(dossier_id=dossier.pk, waiting_for="")
    dossier.refresh_from_db()
    assert dossier.status == Status.IN_PROGRESS


def test_reopening_clears_the_closure(users):
    dossier = _dossier_in(Status.CLOSED, users)
    dossier_reopen(dossier_id=dossier.pk)
    dossier.refresh_from_db()
    assert (dossier.closure_reason, dossier.closed_at) == ("", None)


def test_dossiers_go_only_to_case_workers_and_coordinators(users):
    dossier = DossierFactory()
    for username in ["management", "admin"]:
        with pytest.raises(ActionRefused):
            dossier_assign(dossier_id=dossier.pk, to=users[username])
    worker = users["caseworker"]
    worker.is_active = False
    with pytest.raises(ActionRefused):
        dossier_assign(dossier_id=dossier.pk, to=worker)
    dossier.refresh_from_db()
    assert dossier.assignee is None
    assert not dossier.events.filter(kind=EventKind.ASSIGNED).exists()


def test_assigning_records_an_event_once(users):
    dossier = DossierFactory()
    dossier_assign(dossier_id=dossier.pk, to=users["caseworker"], by=users["coordinator"])
    dossier_assign(dossier_id=dossier.pk, to=users["caseworker"], by=users["coordinator"])
    assert dossier.events.filter(kind=EventKind.ASSIGNED).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_racing_closures_leave_one_close_event(users):
    dossier = _dossier_in(Status.IN_PROGRESS, users)
    reasons = [ClosureReason.CONTENT_REMOVED, ClosureReason.REFERRED]

    def close(n: int) -> str:
        try:
            dossier_close(dossier_id=dossier.pk, closure_reason=reasons[n])
        except ActionRefused:
            return "refused"
        return reasons[n]

    outcomes = at_once(2, close)
    assert sorted(outcome == "refused" for outcome in outcomes) == [False, True]
    closes = DossierEvent.objects.filter(dossier=dossier, new_status=Status.CLOSED)
    assert closes.count() == 1
    dossier.refresh_from_db()
    assert dossier.status == Status.CLOSED
    assert dossier.closure_reason in outcomes


def test_a_move_from_the_wrong_status_says_so_before_asking_for_its_details(users):
    """Wrong status first: a wait or a close sent without its detail on a dossier that
    cannot take it is told why it cannot, not what it lacks."""
    new = _dossier_in(Status.NEW, users)
    closed = _dossier_in(Status.CLOSED, users)
    with translation.override("en"):
        with pytest.raises(ActionRefused) as waiting:
            dossier_wait(dossier_id=new.pk, waiting_for="")
        with pytest.raises(ActionRefused) as closing:
            dossier_close(dossier_id=closed.pk, closure_reason="")
    assert str(waiting.value) == "A dossier that is “New” cannot become “Waiting”."
    assert str(closing.value) == "A dossier that is “Closed” cannot become “Closed”."
