"""Error pages in the visitor's language, for the public and the staff side.

They never touch the database, the session or the signed-in user: the database may be
the very thing that failed. They are rendered without a request (so no context
processor runs), from the path and the method alone, in the language the locale
middleware already chose for the page.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils import timezone


def _is_staff(request: HttpRequest) -> bool:
    return request.path_info.startswith(("/staff/", "/admin/"))


def _url_name(request: HttpRequest) -> str:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return ""
    return match.view_name


def error_page(request: HttpRequest, status: int) -> HttpResponse:
    side = "staff" if _is_staff(request) else "public"
    context = {
        "status": status,
        "posted": request.method == "POST",
        "page": _url_name(request),
        "phone": settings.INSTITUTE_PHONE,
        "moment": timezone.localtime(),
    }
    html = render_to_string(f"errors/{side}.html", context)
    return HttpResponse(html, status=status)


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    return error_page(request, 400)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return error_page(request, 403)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return error_page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return error_page(request, 500)
