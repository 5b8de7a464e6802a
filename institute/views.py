from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from cases.access import staff_view

from .build_info import build_info
from .middleware import health_response
from .models import (
    RoleRequest,
    RoleRequestStatus,
    SecurityEventKind,
    StaffProfile,
    StaffSession,
)
from .roles import HANDLING_ROLES, Role, roles_of
from .security import security_log
from .signin import end_sessions
from .staffing import StaffingError, role_request_decide


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The bare address: the public pages, in the browser's language."""
    return redirect("intake:landing")


@require_GET
@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    """Where staff land after logging in, where their work is: coordinators on every open
    dossier, case workers on their own, urgent and overdue ones first; management on the
    statistics."""
    roles = roles_of(request.user)
    if Role.COORDINATOR in roles:
        return redirect(f"{reverse('cases:dossier-list')}?sort=attention")
    if roles & set(HANDLING_ROLES):
        return redirect(f"{reverse('cases:dossier-list')}?assignee=me&sort=attention")
    if Role.MANAGEMENT in roles:
        return redirect("reporting:statistics")
    return render(request, "institute/staff_home.html", {"roles": sorted(roles_of(request.user))})


@require_http_methods(["GET", "POST"])
@staff_view(Role.COORDINATOR)
def staff_roles(request: HttpRequest) -> HttpResponse:
    """For coordinators: roles given in the admin that wait for their confirmation, and
    who is signed in now (with a way to end someone's sessions)."""
    if request.method == "POST":
        try:
            if "end_sessions" in request.POST:
                user = get_object_or_404(get_user_model(), pk=request.POST["end_sessions"])
                own = request.session.session_key if user == request.user else None
                ended = end_sessions(user, keep=own)
                security_log(
                    SecurityEventKind.SESSIONS_ENDED, request=request, user=user, by=request.user
                )
                messages.success(
                    request,
                    ngettext("%(count)d session ended.", "%(count)d sessions ended.", ended)
                    % {"count": ended},
                )
            else:
                decision = request.POST.get("decision")
                if decision not in {"grant", "refuse"}:
                    raise StaffingError(_("Choose to confirm or refuse."))
                role_request_decide(
                    request_id=int(request.POST.get("request", "0") or 0),
                    grant=decision == "grant",
                    by=request.user,
                    request=request,
                )
                messages.success(request, _("The decision has been saved."))
        except (StaffingError, ValueError, RoleRequest.DoesNotExist) as error:
            message = str(error) if isinstance(error, StaffingError) else _("Unknown request.")
            messages.error(request, message)
        return redirect("staff-roles")
    # A session is live within both limits; one idle for longer ends at its next
    # request, and a browser closed without signing out leaves one that never comes.
    now = timezone.now()
    live = {
        "signed_in_at__gte": now - timedelta(hours=settings.STAFF_SESSION_HOURS),
        "last_seen__gte": now - timedelta(minutes=settings.STAFF_IDLE_MINUTES),
    }
    return render(
        request,
        "institute/staff_roles.html",
        {
            "pending": RoleRequest.objects.filter(status=RoleRequestStatus.PENDING)
            .select_related("user", "requested_by")
            .order_by("requested_at"),
            "sessions": StaffSession.objects.filter(**live)
            .select_related("user")
            .order_by("user__username", "-signed_in_at"),
            "roles": dict(Role.choices),
        },
    )


class StaffSettingsForm(forms.ModelForm):
    class Meta:
        model = StaffProfile
        fields = ["language", "hide_previews"]


@require_http_methods(["GET", "POST"])
@login_required
def staff_settings(request: HttpRequest) -> HttpResponse:
    """A staff member's own settings: the language of the system's mails to them, and
    whether the previews of evidence images start hidden."""
    profile, _created = StaffProfile.objects.get_or_create(user=request.user)
    form = StaffSettingsForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your settings are saved."))
        return redirect("staff-settings")
    return render(
        request,
        "institute/staff_settings.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


@require_GET
@staff_view(Role.ADMINISTRATOR)
def health_detail(request: HttpRequest) -> HttpResponse:
    """For technical administrators: what this instance runs (``/healthz`` itself says
    only that it is up, to anyone)."""
    return health_response(**build_info())
