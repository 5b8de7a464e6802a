"""Middleware of the Institute's own."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware import csrf
from django.middleware.gzip import GZipMiddleware
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from .models import SecurityEventKind, StaffSession
from .passkeys import SECOND_STEP_VIEWS
from .security import security_log
from .signin import LAST_SEEN, SIGNED_IN_AT


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
            return health_response()
        return self.get_response(request)


def health_response(**detail: str) -> JsonResponse:
    """The answer "ok" once the database answers, with ``detail`` beside it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    response = JsonResponse({"status": "ok", **detail})
    response["Cache-Control"] = "no-store"
    return response


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class PublicPageCompressionMiddleware(GZipMiddleware):
    """Compress the public pages (the report form: 47 KB, about 8 KB gzipped, on a
    phone's connection).

    Never a staff page. A BREACH-style attack reads a secret from the size of
    compressed responses that also carry text the attacker chose; staff pages show
    what the public wrote (anyone can write a report) next to the personal data staff
    read, which is exactly that. The public pages echo no text an attacker could
    choose next to a secret: a form's secrets (the CSRF token, masked anew for every
    response, and the submission token) sit on pages that reflect nothing of the
    request, a posted form cannot be forged from another site (CSRF), and a follow-up
    page shows only what its own code opens. Django's GZipMiddleware also pads every
    compressed response with random bytes ("Heal the Breach")."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if _is_staff_path(request.path_info):
            return response
        return super().process_response(request, response)


class PrivacyHeadersMiddleware:
    """No page of this application may be kept by a browser or proxy cache (a shared
    phone must not show a report again), nor load anything from another site."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["Cache-Control"] = "no-store, max-age=0"
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


class RequestBodyLimitMiddleware:
    """Refuse a request body larger than ``MAX_REPORT_BODY_BYTES`` before reading it,
    with a page in the visitor's language (413) instead of a connection reset."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REPORT_BODY_BYTES:
            return render(request, "413.html", status=413)
        return self.get_response(request)


class CsrfViewMiddleware(csrf.CsrfViewMiddleware):
    """Django's CSRF protection, accepting the ``Origin: null`` that browsers send with
    a form posted from a page whose Referrer-Policy is ``no-referrer`` (the policy of
    every public page here, so that no other site learns where a visitor came from).

    Such a post is refused when the browser says it is not same-origin
    (``Sec-Fetch-Site``, a header no page script can set), e.g. from a sandboxed frame.
    Older browsers send no ``Sec-Fetch-Site``; for them the CSRF token, which must
    match a SameSite=Lax cookie that a cross-site post never carries, is the check, as
    it always is.
    """

    def _origin_verified(self, request: HttpRequest) -> bool:
        if request.META.get("HTTP_ORIGIN") == "null":
            return request.META.get("HTTP_SEC_FETCH_SITE", "same-origin") == "same-origin"
        return super()._origin_verified(request)


# How often the moment of a session's last request is written down (the idle limit is
# this precise).
LAST_SEEN_PRECISION_SECONDS = 60

# Staff pages a session that has not passed its second factor may open.
_SECOND_FACTOR_PAGES = (
    "login",
    "logout",
    "staff-verify",
    "staff-enrol",
    "staff-enrol-qr",
    *SECOND_STEP_VIEWS,
)


class StaffSessionMiddleware:
    """For signed-in staff: the session ends after STAFF_IDLE_MINUTES without a request,
    or STAFF_SESSION_HOURS after sign-in; and no staff or admin page opens before the
    second factor is verified (a new account, or one whose factors were reset, sets one
    up first). Public pages are left alone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == reverse("quick-exit"):
            # The way out reads nothing first: not even the session, whose store may be
            # the very thing that is down.
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        session = request.session
        now = timezone.now().timestamp()
        signed_in_at = session.setdefault(SIGNED_IN_AT, now)
        last_seen = session.get(LAST_SEEN, now)
        reason = ""
        if now - last_seen > settings.STAFF_IDLE_MINUTES * 60:
            reason = "idle"
        elif now - signed_in_at > settings.STAFF_SESSION_HOURS * 60 * 60:
            reason = "too_long"
        if reason:
            security_log(
                SecurityEventKind.SESSION_EXPIRED, request=request, user=user, detail=reason
            )
            logout(request)
            if _is_staff_path(request.path_info):
                return redirect(f"{reverse('login')}?expired=1")
            return self.get_response(request)
        if now - last_seen > LAST_SEEN_PRECISION_SECONDS or LAST_SEEN not in session:
            # Not on every request: that would write the session each time.
            session[LAST_SEEN] = now
            StaffSession.objects.filter(session_key=session.session_key).update(
                last_seen=timezone.now()
            )
        # path_info: the path within the application, whatever prefix (SCRIPT_NAME) a
        # proxy or a client put in front of it.
        if _is_staff_path(request.path_info) and not user.is_verified():
            try:
                # Namespaced: "admin:login" is not "login".
                name = resolve(request.path_info).view_name
            except Resolver404:
                name = ""
            if name not in _SECOND_FACTOR_PAGES:
                # The verify page sends an account without a second factor on to set one up.
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('staff-verify')}?{query}")
        return self.get_response(request)


def _is_staff_path(path: str) -> bool:
    return path.startswith(("/staff/", "/admin/"))
