"""Who may see which dossier, and who answers for it: the one place that says so.

- coordinators see every dossier, and answer for every one (the daily digest);
- case workers see the dossiers assigned to them and the new, unassigned ones, and
  answer for those assigned to them;
- management and technical administrators see none (statistics and the admin are
  their tools), nor does anyone else.

What each role may do with a dossier it sees is the workflow table's
(``cases.workflow``); the services ask both under the dossier's row lock.

A dossier someone may not see answers 404, as if it did not exist. Every staff view of a
dossier and every download of its files is written to the access log.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse

from institute.models import SecurityEventKind
from institute.roles import HANDLING_ROLES, Role, has_role
from institute.security import security_log

from .choices import AccessAction, Status
from .models import AccessLogEntry, Dossier, Evidence, TakedownRequest


def visible_dossiers(user) -> QuerySet[Dossier]:
    dossiers = Dossier.objects.with_overdue()
    if has_role(user, Role.COORDINATOR):
        return dossiers
    if has_role(user, Role.CASE_WORKER):
        return dossiers.filter(Q(assignee=user) | Q(assignee__isnull=True, status=Status.NEW))
    return dossiers.none()


def menu_counts(user) -> dict[str, int]:
    """How many dossiers wait behind each entry of the staff menu, counted with the
    same filters as the lists those entries open: two queries, however many dossiers."""
    counts = (
        visible_dossiers(user)
        .open()
        .aggregate(
            dossiers=Count("id"),
            mine=Count("id", filter=Q(assignee=user)),
            unassigned=Count("id", filter=Q(assignee__isnull=True, status=Status.NEW)),
            overdue=Count("id", filter=Q(is_overdue=True)),
        )
    )
    counts["takedowns"] = (
        TakedownRequest.objects.due().filter(dossier__in=visible_dossiers(user)).count()
    )
    return counts


def handled_by(user) -> QuerySet[Dossier]:
    """The dossiers ``user`` answers for: whose deadlines their daily digest lists."""
    if has_role(user, Role.COORDINATOR):
        return Dossier.objects.all()
    if has_role(user, Role.CASE_WORKER):
        return Dossier.objects.filter(assignee=user)
    return Dossier.objects.none()


def record_access(
    *, user, dossier: Dossier, action: str, evidence: Evidence | None = None
) -> AccessLogEntry:
    return AccessLogEntry.objects.create(
        user=user, dossier=dossier, action=action, evidence=evidence
    )


def visible_dossier(user, pk: int, *, request: HttpRequest | None = None) -> Dossier:
    """The dossier, if this user may see it; else 404, as if it did not exist. A refusal
    of a dossier that exists goes to the security log (coordinators read it on the
    dossier's page)."""
    try:
        return visible_dossiers(user).get(pk=pk)
    except Dossier.DoesNotExist:
        if Dossier.objects.filter(pk=pk).exists():
            security_log(
                SecurityEventKind.ACCESS_REFUSED,
                request=request,
                user=user,
                detail="dossier",
                dossier_id=pk,
            )
        raise Http404 from None


def dossier_for(request: HttpRequest, pk: int, *, action: str = AccessAction.VIEW) -> Dossier:
    """The dossier, if this user may see it (else 404), with the access recorded."""
    dossier = visible_dossier(request.user, pk, request=request)
    record_access(user=request.user, dossier=dossier, action=action)
    return dossier


def _second_step_passed(user) -> bool:
    # django_otp's middleware puts is_verified() on the user; without it, not passed.
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def staff_view(*roles: Role) -> Callable:
    """Log in first; then only the given roles (default: those who handle dossiers).

    A refusal is logged against the dossier the URL's ``pk`` names: in staff URLs,
    ``pk`` is always a dossier's id (other objects' ids have names of their own)."""
    allowed = roles or HANDLING_ROLES

    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if not _second_step_passed(request.user):
                # The middleware sends such a session to its second step; this holds
                # even where it does not run (a URL prefix, a new mount point).
                return redirect_to_login(request.get_full_path(), reverse("staff-verify"))
            if not has_role(request.user, *allowed):
                security_log(
                    SecurityEventKind.ACCESS_REFUSED,
                    request=request,
                    user=request.user,
                    detail=f"page:{view.__name__}",
                    dossier_id=kwargs.get("pk"),
                )
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
