import threading

import pytest
from django.db import connections

from cases.choices import ClosureReason, EventKind, Status, WaitingFor
from cases.models import Dossier, DossierEvent
from cases.services import TRANSITIONS, DossierError, dossier_assign, dossier_transition
from tests.factories import DossierFactory

pytestmark = pytest.mark.django_db

ALL_MOVES = [(old, new) for old in Status for new in Status]


def _needed_for(status: Status) -> dict:
    """What a move to ``status`` must say: why it closes, or who it waits for."""
    if status == Status.CLOSED:
        return {"closure_reason": ClosureReason.CONTENT_REMOVED}
    if status == Status.WAITING:
        return {"waiting_for": WaitingFor.PLATFORM}
    return {}


def _dossier_in(status: Status) -> Dossier:
    dossier = DossierFactory()
    path = {
        Status.NEW: [],
        Status.IN_PROGRESS: [Status.IN_PROGRESS],
        Status.WAITING: [Status.IN_PROGRESS, Status.WAITING],
        Status.CLOSED: [Status.CLOSED],
    }[status]
    for step in path:
        dossier_transition(dossier_id=dossier.pk, to=step, **_needed_for(step))
    dossier.refresh_from_db()
    assert dossier.status == status
    return dossier


@pytest.mark.parametrize(("old", "new"), ALL_MOVES)
def test_every_move_is_allowed_or_refused_as_the_table_says(old, new):
    dossier = _dossier_in(old)
    events_before = dossier.events.count()
    needed = _needed_for(new)
    if new in TRANSITIONS[old]:
        dossier_transition(dossier_id=dossier.pk, to=new, note="why", **needed)
        dossier.refresh_from_db()
        assert dossier.status == new
        event = dossier.events.latest("id")
        assert (event.kind, event.old_status, event.new_status, event.note) == (
            EventKind.STATUS_CHANGED,
            old,
            new,
            "why",
        )
        assert (dossier.closed_at is not None) == (new == Status.CLOSED)
        assert dossier.waiting_for == needed.get("waiting_for", "")
    else:
        with pytest.raises(DossierError):
            dossier_transition(dossier_id=dossier.pk, to=new, **needed)
        dossier.refresh_from_db()
        assert dossier.status == old
        assert dossier.events.count() == events_before


def test_closing_without_a_reason_is_refused_and_changes_nothing():
    dossier = DossierFactory()
    with pytest.raises(DossierError):
        dossier_transition(dossier_id=dossier.pk, to=Status.CLOSED)
    dossier.refresh_from_db()
    assert dossier.status == Status.NEW


def test_reopening_clears_the_closure():
    dossier = _dossier_in(Status.CLOSED)
    dossier_transition(dossier_id=dossier.pk, to=Status.IN_PROGRESS)
    dossier.refresh_from_db()
    assert (dossier.closure_reason, dossier.closed_at) == ("", None)


def test_an_unknown_status_is_a_clear_refusal():
    dossier = DossierFactory()
    with pytest.raises(DossierError):
        dossier_transition(dossier_id=dossier.pk, to="archived")


def test_dossiers_go_only_to_case_workers_and_coordinators(users):
    dossier = DossierFactory()
    for username in ["management", "admin"]:
        with pytest.raises(DossierError):
            dossier_assign(dossier_id=dossier.pk, to=users[username])
    worker = users["caseworker"]
    worker.is_active = False
    with pytest.raises(DossierError):
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
def test_two_racing_closures_leave_one_close_event():
    dossier = _dossier_in(Status.IN_PROGRESS)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    winners: list[str] = []

    def close(reason: str) -> None:
        try:
            barrier.wait()
            dossier_transition(dossier_id=dossier.pk, to=Status.CLOSED, closure_reason=reason)
            outcomes.append("closed")
            winners.append(reason)
        except DossierError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=close, args=(reason,))
        for reason in [ClosureReason.CONTENT_REMOVED, ClosureReason.REFERRED]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["closed", "refused"]
    closes = DossierEvent.objects.filter(dossier=dossier, new_status=Status.CLOSED)
    assert closes.count() == 1
    dossier.refresh_from_db()
    assert dossier.status == Status.CLOSED
    assert [dossier.closure_reason] == winners
