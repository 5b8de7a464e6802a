from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .roles import roles_of


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "institute/home.html")


@require_GET
@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    return render(request, "institute/staff_home.html", {"roles": sorted(roles_of(request.user))})
