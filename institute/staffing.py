"""Changes to who may do what: roles and second factors. Each is one transaction, goes
to the security log, and tells the coordinators (or the person) by mail, which names
nobody: it only says to look in the case system."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import devices_for_user

from .models import RoleRequest, RoleRequestStatus, SecurityEventKind
from .roles import HANDLING_ROLES, Role, staff_with_roles
from .security import security_log

# Roles that open dossiers: given only by a coordinator, in the staff interface.
CONFIRMED_ROLES = frozenset(role.value for role in HANDLING_ROLES)


class StaffingError(Exception):
    """A change that is not allowed; the message is safe to show."""


def _tell_coordinators(kind: str) -> None:
    from cases.outbox import outbox_enqueue
    from institute.models import mail_language

    for coordinator in staff_with_roles(Role.COORDINATOR).exclude(email=""):
        outbox_enqueue(
            kind=kind,
            recipient=coordinator.email,
            language=mail_language(coordinator),
            staff_member=coordinator,
        )


def _end_sessions(user, keep: str | None = None) -> None:
    from .signin import end_sessions

    end_sessions(user, keep=keep)


@transaction.atomic
def roles_changed_outside_staff_pages(*, user, before: set[str], by, request=None) -> list:
    """After an administrator edited ``user``'s groups (the admin): a role that opens
    dossiers is taken back and becomes a request for a coordinator; any other change
    stands. Every change is logged and the coordinators are told."""
    from cases.choices import NotificationKind

    after = set(user.groups.values_list("name", flat=True))
    requests = [
        _held_for_a_coordinator(user, group, by=by, request=request)
        for group in Group.objects.filter(name__in=(after - before) & CONFIRMED_ROLES)
    ]
    for role in sorted((after - before) - CONFIRMED_ROLES):
        security_log(SecurityEventKind.ROLE_GRANTED, request=request, user=user, by=by, detail=role)
    for role in sorted(before - after):
        security_log(SecurityEventKind.ROLE_REMOVED, request=request, user=user, by=by, detail=role)
    if after != before or requests:
        # Their next request signs in again, with a new session id.
        _end_sessions(user, keep=_own_session(request, user))
        _tell_coordinators(NotificationKind.ROLE_CHANGED)
    return requests


@transaction.atomic
def account_changed_by_admin(*, user, by, what: list[str], request=None) -> list:
    """An administrator changed what signs ``user`` in or reaches them (password, email,
    second factors, username, flags). Whoever does that could take the account over, so
    its roles that open dossiers are suspended until a coordinator confirms them again;
    its sessions end, and the coordinators are told."""
    from cases.choices import NotificationKind

    security_log(
        SecurityEventKind.ACCOUNT_CHANGED,
        request=request,
        user=user,
        by=by,
        detail=",".join(sorted(what)),
    )
    suspended = [
        _held_for_a_coordinator(user, group, by=by, request=request)
        for group in user.groups.filter(name__in=CONFIRMED_ROLES)
    ]
    _end_sessions(user, keep=_own_session(request, user))
    _tell_coordinators(NotificationKind.ROLE_CHANGED)
    return suspended


def _held_for_a_coordinator(user, group, *, by, request) -> RoleRequest:
    """Take a role that opens dossiers from ``user`` until a coordinator confirms it."""
    user.groups.remove(group)
    row, _created = RoleRequest.objects.get_or_create(
        user=user, role=group.name, status=RoleRequestStatus.PENDING, defaults={"requested_by": by}
    )
    security_log(
        SecurityEventKind.ROLE_REQUESTED, request=request, user=user, by=by, detail=group.name
    )
    return row


def _own_session(request, user) -> str | None:
    """The session making the change, if it is the account's own: it goes on."""
    if request is not None and getattr(request, "user", None) == user:
        return request.session.session_key
    return None


@transaction.atomic
def role_request_decide(*, request_id: int, grant: bool, by, request=None) -> RoleRequest:
    """A coordinator confirms or refuses a role given in the admin."""
    from cases.choices import NotificationKind

    row = RoleRequest.objects.select_for_update().select_related("user").get(pk=request_id)
    if row.status != RoleRequestStatus.PENDING:
        raise StaffingError(_("This request has already been decided."))
    if row.user_id == by.pk:
        raise StaffingError(_("Nobody decides on a role for themselves."))
    row.status = RoleRequestStatus.GRANTED if grant else RoleRequestStatus.REFUSED
    row.decided_by, row.decided_at = by, timezone.now()
    row.save(update_fields=["status", "decided_by", "decided_at"])
    kind = SecurityEventKind.ROLE_GRANTED if grant else SecurityEventKind.ROLE_REFUSED
    security_log(kind, request=request, user=row.user, by=by, detail=row.role)
    if grant:
        row.user.groups.add(Group.objects.get_or_create(name=row.role)[0])
        _end_sessions(row.user)
    _tell_coordinators(NotificationKind.ROLE_CHANGED)
    return row


@transaction.atomic
def second_factors_reset(*, user, by, request=None) -> None:
    """Remove a person's second factors (a lost phone): they set up a new one at their
    next sign-in. Nobody reads a factor; every session of theirs ends; they are told."""
    from cases.choices import NotificationKind
    from cases.outbox import outbox_enqueue
    from institute.models import mail_language

    for device in devices_for_user(user, confirmed=None):  # every kind: apps, codes, passkeys
        device.delete()
    security_log(SecurityEventKind.FACTORS_RESET, request=request, user=user, by=by)
    account_changed_by_admin(user=user, by=by, what=["second_factors"], request=request)
    if user.email:
        outbox_enqueue(
            kind=NotificationKind.FACTORS_RESET,
            recipient=user.email,
            language=mail_language(user),
            staff_member=user,
        )
