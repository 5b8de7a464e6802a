"""Stopping guesses at the staff sign-in (django-axes): what is counted, for how long
a lockout lasts, and what django-axes may keep.

Failures, of the password or of a second step, count per account and, separately, per
address; past ``SIGN_IN_FAILURE_LIMIT`` everything from that account or address is
refused for a cool-off that doubles with each lockout of the last day. django-axes
stores and logs keyed hashes only: of the username as typed (a password typed into the
username field is never stored), and of the address (written as an IPv6 address, see
``institute.clients.client_pseudonym``); never the browser's user agent.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.db.models import Q
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from .clients import client_key, keyed_hash
from .models import SecurityEvent, SecurityEventKind
from .security import security_log

# The sender of a failed second step's signal: logged where it happened, not here.
SECOND_STEP_SENDER = "institute.second_step"


def _normalised(username: str) -> str:
    # As Django's sign-in form reads it: Unicode NFKC, no surrounding spaces.
    return unicodedata.normalize("NFKC", username or "").strip()


def attempted_username(request: HttpRequest, credentials: dict | None = None) -> str:
    """The username a sign-in attempt is about, normalised."""
    credentials = credentials or getattr(request, "axes_credentials", None) or {}
    if credentials.get("username"):
        return _normalised(credentials["username"])
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user.get_username()
    return _normalised(request.POST.get("username", ""))


def hashed_username(request: HttpRequest, credentials: dict | None = None) -> str:
    """What django-axes counts failures under: a keyed hash of the normalised username,
    so a password typed into the username field is never stored, and " name" counts as
    "name"."""
    return keyed_hash("username", attempted_username(request, credentials))


def cool_off(request: HttpRequest | None) -> timedelta:
    """How long a lockout lasts: SIGN_IN_COOLOFF_MINUTES, doubled for every earlier
    lockout of the same account or address in the last day, at most a day."""
    base = timedelta(minutes=settings.SIGN_IN_COOLOFF_MINUTES)
    if request is None:
        return base
    since = timezone.now() - timedelta(days=1)
    earlier = SecurityEvent.objects.filter(
        _same_account_or_address(request), kind=SecurityEventKind.LOCKED_OUT, at__gte=since
    ).count()
    return min(base * 2 ** max(earlier - 1, 0), timedelta(days=1))


def _same_account_or_address(request: HttpRequest) -> Q:
    same = Q(address_hash=client_key(request))
    username = attempted_username(request)
    if username:
        same |= Q(user__username=username)
    return same


def allowed(request: HttpRequest) -> bool:
    return AxesProxyHandler.is_allowed(request, {"username": request.user.get_username()})


@receiver(user_login_failed)
def _log_failed_password(sender, credentials, request=None, **kwargs) -> None:
    if sender == SECOND_STEP_SENDER:
        return
    user = get_user_model().objects.filter(username=credentials.get("username", "")).first()
    security_log(SecurityEventKind.SIGN_IN_FAILED, request=request, user=user)


@receiver(user_locked_out)
def _log_locked_out(sender, request=None, username=None, **kwargs) -> None:
    """One event per lockout: attempts refused while it lasts are sign-in failures, not
    new lockouts (each lockout of the day doubles the next one's length)."""
    # ``username`` is the hash django-axes counts; the request says whose it is.
    name = attempted_username(request) if request is not None else ""
    user = get_user_model().objects.filter(username=name).first() if name else None
    if request is not None:
        ongoing = SecurityEvent.objects.filter(
            _same_account_or_address(request),
            kind=SecurityEventKind.LOCKED_OUT,
            at__gte=timezone.now() - cool_off(request),
        )
        if ongoing.exists():
            return
    security_log(SecurityEventKind.LOCKED_OUT, request=request, user=user)


def client_string(username, ip_address, user_agent, path_info, request) -> str:
    """How django-axes names a client in its log lines: hashes only."""
    if not re.fullmatch(r"[0-9a-f]{32}", username or ""):
        username = keyed_hash("username", _normalised(username))
    return f"{{username: {username}, client: {ip_address}, path_info: {path_info}}}"


class QuietDatabaseHandler(AxesDatabaseHandler):
    """django-axes' database handler, without the browser's user agent and accepted
    types, which it would otherwise keep with each failure."""

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        if request is not None:
            request.axes_user_agent = ""
            request.axes_http_accept = ""
        return super().user_login_failed(sender, credentials, request, **kwargs)
