from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from .roles import roles_of


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The bare address: the public pages, in the browser's language."""
    return redirect("intake:landing")


@require_GET
@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    return render(request, "institute/staff_home.html", {"roles": sorted(roles_of(request.user))})
