"""Middleware of the Institute's own."""

from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse


class HealthCheckMiddleware:
    """Answer ``GET /healthz`` before host validation and the HTTPS redirect.

    The container's probe calls http://127.0.0.1:8000/healthz from inside the
    container: that host is (rightly) not in ALLOWED_HOSTS, and the probe speaks plain
    HTTP. Placed first, this answers it without ever reading the Host header.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == "/healthz" and request.method in {"GET", "HEAD"}:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            response = JsonResponse({"status": "ok"})
            response["Cache-Control"] = "no-store"
            return response
        return self.get_response(request)
