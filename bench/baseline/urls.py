"""The baseline's two views: a "hello" GET, and a POST that inserts one row.

The table is created by bench/public_load.py with raw SQL before the server starts:
``CREATE TABLE bench_row (id bigserial primary key, body text)``.
"""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET, require_POST


@require_GET
def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("hello", content_type="text/plain")


@require_POST
def insert(request: HttpRequest) -> HttpResponse:
    """One INSERT, committed (autocommit): the least a saved form can cost."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_row (body) VALUES (%s)", [request.POST.get("description", "")]
        )
    return HttpResponse("inserted", content_type="text/plain")


urlpatterns = [
    path("hello/", hello),
    path("insert/", insert),
]
