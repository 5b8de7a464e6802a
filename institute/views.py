from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .roles import roles_of


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "institute/home.html")


@require_GET
@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    return render(request, "institute/staff_home.html", {"roles": sorted(roles_of(request.user))})


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database check for the container's health probe."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
