"""Roles and second factors changed by administrators: no silent self-promotion, resets
that end sessions and tell the person, and the first coordinator from the command line."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.choices import NotificationKind
from cases.models import OutboxMessage
from institute.models import RoleRequest, SecurityEvent, SecurityEventKind, StaffSession
from institute.roles import Role
from tests.factories import DossierFactory

pytestmark = pytest.mark.django_db


def _admin_save_user(client, user, **changes) -> None:
    """Save the admin's change form of ``user`` as it is shown, with ``changes``
    (``groups`` as a list of groups)."""
    url = reverse("admin:auth_user_change", args=[user.pk])
    form = client.get(url).context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if name == "groups" and "groups" in changes:
            value = [group.pk for group in changes.pop("groups")]
        if value is None or value is False:
            continue
        if isinstance(value, list):
            data[name] = value
        elif value is True:
            data[name] = "on"
        elif hasattr(value, "strftime"):
            data[f"{name}_0"] = value.strftime("%Y-%m-%d")
            data[f"{name}_1"] = value.strftime("%H:%M:%S")
        else:
            data[name] = value
    data.update(changes)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors


def _admin_change_groups(client, user, groups) -> None:
    _admin_save_user(client, user, groups=groups)


def test_an_administrator_cannot_give_themselves_dossiers(users):
    admin_user = users["admin"]
    admin = Client()
    admin.force_login(admin_user)
    dossier = DossierFactory()
    coordinators = Group.objects.get(name=Role.COORDINATOR)
    _admin_change_groups(admin, admin_user, [*admin_user.groups.all(), coordinators])

    admin_user.refresh_from_db()
    assert not admin_user.groups.filter(name=Role.COORDINATOR).exists()
    request = RoleRequest.objects.get(user=admin_user, role=Role.COORDINATOR)
    assert request.status == "pending" and request.requested_by == admin_user
    again = Client()
    again.force_login(admin_user)
    assert again.get(reverse("cases:dossier-detail", args=[dossier.pk])).status_code == 403
    assert SecurityEvent.objects.filter(
        kind=SecurityEventKind.ROLE_REQUESTED, user=admin_user, detail=Role.COORDINATOR
    ).exists()
    alerts = OutboxMessage.objects.filter(kind=NotificationKind.ROLE_CHANGED)
    assert set(alerts.values_list("recipient", flat=True)) == {users["coordinator"].email}

    # A coordinator confirms it in the staff interface: now it counts.
    coordinator = Client()
    coordinator.force_login(users["coordinator"])
    page = coordinator.get(reverse("staff-roles"))
    assert list(page.context["pending"]) == [request]
    assert (
        coordinator.post(
            reverse("staff-roles"), {"request": request.pk, "decision": "grant"}
        ).status_code
        == 302
    )
    granted = Client()
    granted.force_login(admin_user)
    assert granted.get(reverse("cases:dossier-detail", args=[dossier.pk])).status_code == 200
    assert SecurityEvent.objects.filter(
        kind=SecurityEventKind.ROLE_GRANTED, user=admin_user, by=users["coordinator"]
    ).exists()


def test_nobody_confirms_their_own_role(users):
    coordinator = users["coordinator"]
    request = RoleRequest.objects.create(user=coordinator, role=Role.CASE_WORKER)
    client = Client()
    client.force_login(coordinator)
    client.post(reverse("staff-roles"), {"request": request.pk, "decision": "grant"})
    request.refresh_from_db()
    assert request.status == "pending"
    assert not coordinator.groups.filter(name=Role.CASE_WORKER).exists()


def test_only_coordinators_open_the_roles_page(users):
    for name, status in [("caseworker", 403), ("management", 403), ("coordinator", 200)]:
        client = Client()
        client.force_login(users[name])
        assert client.get(reverse("staff-roles")).status_code == status, name


def test_removing_a_role_takes_effect_at_once_and_is_logged(users):
    admin = Client()
    admin.force_login(users["admin"])
    worker = users["caseworker"]
    _admin_change_groups(admin, worker, [])
    assert not worker.groups.exists()
    assert SecurityEvent.objects.filter(
        kind=SecurityEventKind.ROLE_REMOVED, user=worker, by=users["admin"]
    ).exists()


def test_an_administrator_resets_factors_without_seeing_them(users, settings):
    worker = users["caseworker"]
    signed_in = Client()
    signed_in.force_login(worker)
    StaffSession.objects.create(session_key=signed_in.session.session_key, user=worker)
    admin = Client()
    admin.force_login(users["admin"])
    # The admin has no page for the factors themselves.
    assert admin.get("/admin/otp_totp/totpdevice/").status_code == 404
    changelist = reverse("admin:auth_user_changelist")
    response = admin.post(
        changelist, {"action": "reset_second_factors", "_selected_action": [worker.pk]}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=worker).exists()
    assert signed_in.get("/staff/dossiers/").status_code == 302  # signed out
    event = SecurityEvent.objects.get(kind=SecurityEventKind.FACTORS_RESET)
    assert (event.user, event.by) == (worker, users["admin"])
    told = OutboxMessage.objects.get(kind=NotificationKind.FACTORS_RESET)
    assert told.recipient == worker.email
    mail.outbox.clear()
    from cases.outbox import outbox_deliver

    assert outbox_deliver(message_id=told.pk)
    assert "reset" in mail.outbox[0].body


def test_a_coordinator_signs_someone_out_everywhere(users):
    worker = users["caseworker"]
    signed_in = Client()
    signed_in.force_login(worker)
    StaffSession.objects.create(session_key=signed_in.session.session_key, user=worker)
    coordinator = Client()
    coordinator.force_login(users["coordinator"])
    page = coordinator.get(reverse("staff-roles"))
    assert worker in [session.user for session in page.context["sessions"]]
    coordinator.post(reverse("staff-roles"), {"end_sessions": worker.pk})
    assert signed_in.get("/staff/dossiers/").status_code == 302
    assert SecurityEvent.objects.filter(
        kind=SecurityEventKind.SESSIONS_ENDED, user=worker, by=users["coordinator"]
    ).exists()


def test_the_first_coordinator_comes_from_a_command(db):
    out = io.StringIO()
    call_command("create_staff", "first", "--role", "coordinator", stdout=out)
    password = out.getvalue().split("One-time password (change it after signing in): ")[1]
    password = password.split()[0]
    client = Client()
    answer = client.post(reverse("login"), {"username": "first", "password": password})
    assert answer["Location"].startswith(reverse("staff-enrol"))
    assert SecurityEvent.objects.filter(
        kind=SecurityEventKind.ROLE_GRANTED, detail="coordinator:command"
    ).exists()


@pytest.mark.parametrize("change", ["password", "email"])
def test_an_administrator_who_changes_how_someone_signs_in_suspends_their_dossiers(users, change):
    worker = users["caseworker"]
    dossier = DossierFactory()
    admin = Client()
    admin.force_login(users["admin"])
    if change == "password":
        url = reverse("admin:auth_user_password_change", args=[worker.pk])
        new = "taken over by someone 2026"
        answer = admin.post(url, {"password1": new, "password2": new, "usable_password": "true"})
        assert answer.status_code == 302, answer.content[:2000]
    else:
        _admin_save_user(admin, worker, email="attacker@evil.invalid")

    worker.refresh_from_db()
    assert not worker.groups.filter(name=Role.CASE_WORKER).exists()
    assert RoleRequest.objects.filter(user=worker, role=Role.CASE_WORKER, status="pending")
    event = SecurityEvent.objects.get(kind=SecurityEventKind.ACCOUNT_CHANGED, user=worker)
    assert (event.by, event.detail) == (users["admin"], change)
    assert OutboxMessage.objects.filter(kind=NotificationKind.ROLE_CHANGED).exists()
    taken = Client()
    taken.force_login(worker)
    assert taken.get(reverse("cases:dossier-detail", args=[dossier.pk])).status_code == 403


def test_a_coordinator_ending_their_own_sessions_keeps_the_one_in_use(users):
    coordinator = users["coordinator"]
    client = Client()
    client.force_login(coordinator)
    StaffSession.objects.create(session_key=client.session.session_key, user=coordinator)
    other = Client()
    other.force_login(coordinator)
    StaffSession.objects.create(session_key=other.session.session_key, user=coordinator)
    response = client.post(reverse("staff-roles"), {"end_sessions": coordinator.pk})
    assert response.status_code == 302
    assert client.get(reverse("staff-roles")).status_code == 200
    assert other.get(reverse("staff-roles")).status_code == 302
