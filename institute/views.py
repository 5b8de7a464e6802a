from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from .roles import HANDLING_ROLES, Role, roles_of


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The bare address: the public pages, in the browser's language."""
    return redirect("intake:landing")


@require_GET
@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    """Where staff land after logging in: those who handle dossiers, on their own;
    management, on the statistics."""
    roles = roles_of(request.user)
    if roles & set(HANDLING_ROLES):
        return redirect(f"{reverse('cases:dossier-list')}?assignee=me")
    if Role.MANAGEMENT in roles:
        return redirect("reporting:statistics")
    return render(request, "institute/staff_home.html", {"roles": sorted(roles_of(request.user))})
