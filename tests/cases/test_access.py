"""Who sees which dossier, and the record of every access."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.test import RequestFactory

from cases.access import dossier_for, staff_view, visible_dossiers
from cases.models import AccessLogEntry
from cases.services import dossier_assign, dossier_triage
from institute.roles import Role
from tests.factories import DossierFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def caseload(users):
    """A new unassigned dossier, one assigned to each case worker, and an unassigned one
    already in progress (taken back from someone)."""
    new = DossierFactory()
    mine = DossierFactory()
    dossier_assign(dossier_id=mine.pk, to=users["caseworker"])
    theirs = DossierFactory()
    dossier_assign(dossier_id=theirs.pk, to=users["caseworker2"])
    orphan = DossierFactory()
    dossier_triage(dossier_id=orphan.pk, accept=True)
    return {"new": new, "mine": mine, "theirs": theirs, "orphan": orphan}


def _visible(user, caseload) -> set[str]:
    ids = set(visible_dossiers(user).values_list("pk", flat=True))
    return {name for name, dossier in caseload.items() if dossier.pk in ids}


def test_a_coordinator_sees_every_dossier(users, caseload):
    assert _visible(users["coordinator"], caseload) == {"new", "mine", "theirs", "orphan"}


def test_a_case_worker_sees_their_own_and_the_new_unassigned_ones(users, caseload):
    assert _visible(users["caseworker"], caseload) == {"new", "mine"}
    assert _visible(users["caseworker2"], caseload) == {"new", "theirs"}


@pytest.mark.parametrize("username", ["management", "admin"])
def test_management_and_administrators_see_no_dossier(users, caseload, username):
    assert _visible(users[username], caseload) == set()
    assert _visible(AnonymousUser(), caseload) == set()


def test_an_inactive_case_worker_sees_nothing(users, caseload):
    worker = users["caseworker"]
    worker.is_active = False
    worker.save()
    worker = type(worker).objects.get(pk=worker.pk)
    assert _visible(worker, caseload) == set()


def test_opening_a_dossier_is_recorded_and_a_hidden_one_is_404(users, caseload):
    request = RequestFactory().get("/")
    request.user = users["caseworker"]
    assert dossier_for(request, caseload["mine"].pk) == caseload["mine"]
    entry = AccessLogEntry.objects.get()
    assert (entry.user, entry.dossier, entry.action) == (
        users["caseworker"],
        caseload["mine"],
        "view",
    )
    with pytest.raises(Http404):
        dossier_for(request, caseload["theirs"].pk)
    assert AccessLogEntry.objects.count() == 1  # nothing seen, nothing recorded


def test_staff_views_need_a_login_then_a_role(users):
    @staff_view()
    def handled(request):
        return HttpResponse("ok")

    @staff_view(Role.MANAGEMENT)
    def figures(request):
        return HttpResponse("ok")

    request = RequestFactory().get("/staff/x/")
    request.user = AnonymousUser()
    assert handled(request).status_code == 302  # to the login page
    for username, view, allowed in [
        ("caseworker", handled, True),
        ("coordinator", handled, True),
        ("management", handled, False),
        ("management", figures, True),
        ("caseworker", figures, False),
    ]:
        request.user = type(users[username]).objects.get(pk=users[username].pk)
        assert view(request).status_code == 302  # the second step first
        request.user.is_verified = lambda: True
        if allowed:
            assert view(request).status_code == 200
        else:
            with pytest.raises(PermissionDenied):
                view(request)
