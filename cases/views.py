"""Staff pages for dossiers. Every view asks cases.access who may see what."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from institute.roles import Role, has_role

from .access import dossier_for, staff_view, visible_dossiers
from .forms import DossierFilterForm
from .models import AccessLogEntry, DossierEvent, Priority

PAGE_SIZE = 25


@require_GET
@staff_view()
def dossier_list(request: HttpRequest) -> HttpResponse:
    form = DossierFilterForm(request.GET or None, user=request.user)
    dossiers = form.filter(visible_dossiers(request.user).select_related("assignee"))
    page = Paginator(dossiers, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/dossier_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "URGENT": Priority.URGENT,
        },
    )


@require_GET
@staff_view()
def dossier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = dossier_for(request, pk)
    events = DossierEvent.objects.filter(dossier=dossier).select_related("actor")
    is_coordinator = has_role(request.user, Role.COORDINATOR)
    access_log = (
        AccessLogEntry.objects.filter(dossier=dossier).select_related("user")[:50]
        if is_coordinator
        else None
    )
    return render(
        request,
        "cases/dossier_detail.html",
        {
            "dossier": dossier,
            "locations": dossier.locations.all(),
            "evidence": dossier.evidence.all(),
            "events": events,
            "access_log": access_log,
        },
    )
