"""Counting attempts per client and overall in the shared cache (Redis in production).

If the cache is unreachable, the limiter answers "allowed" and logs it: a report must
never be refused because Redis is down. Client addresses are kept only as keyed hashes,
and only for the window.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    name: str
    per_client: int
    overall: int
    window_seconds: int


def client_address(request: HttpRequest) -> str:
    """The visitor's address. Behind ``TRUSTED_PROXY_HOPS`` reverse proxies, each of
    which appends the address it saw to X-Forwarded-For, it is the entry that many
    places from the end (entries further left are whatever the client sent)."""
    hops = settings.TRUSTED_PROXY_HOPS
    if hops:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        forwarded = [address.strip() for address in forwarded if address.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


def client_key(request: HttpRequest) -> str:
    address = client_address(request)
    key = settings.RECEIPT_HASH_KEY.encode()
    return hmac.new(key, f"client:{address}".encode(), hashlib.sha256).hexdigest()[:32]


def _keys(limit: Limit, request: HttpRequest) -> tuple[str, str]:
    return f"throttle:{limit.name}:{client_key(request)}", f"throttle:{limit.name}:all"


def is_blocked(limit: Limit, request: HttpRequest) -> bool:
    client, overall = _keys(limit, request)
    try:
        counts = cache.get_many([client, overall])
    except Exception as exc:  # the cache is down: never block a person for it
        logger.warning("throttle %s: cache unreachable (%s)", limit.name, type(exc).__name__)
        return False
    return counts.get(client, 0) >= limit.per_client or counts.get(overall, 0) >= limit.overall


def record(limit: Limit, request: HttpRequest) -> None:
    for key in _keys(limit, request):
        try:
            cache.add(key, 0, timeout=limit.window_seconds)
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=limit.window_seconds)
        except Exception as exc:  # the cache is down: counting is best effort
            logger.warning("throttle %s: cache unreachable (%s)", limit.name, type(exc).__name__)
            return
