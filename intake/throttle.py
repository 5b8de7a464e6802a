"""Counting attempts in the shared cache (Redis in production), atomically.

Every limit counts first and decides after: the cache's increment is atomic, so of
twelve posts arriving at once exactly as many as the limit allows get through (a check
made before counting would let them all pass while none had been counted yet). An
attempt that turns out not to count (a right receipt code, a report that could not be
saved) is given back.

If the cache is unreachable, every attempt is allowed and the failure logged without
the address: a report must never be refused because Redis is down. Client addresses are
kept only as keyed hashes, and only for the window.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest

from institute.clients import client_key

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    """At most ``allowed`` attempts per ``window_seconds`` for one scope (a client, a
    dossier, everyone)."""

    name: str
    allowed: int
    window_seconds: int


EVERYONE = "all"


def configured(name: str) -> Limit:
    """The limit ``name`` as the settings give it (``RATE_LIMITS``, read at start)."""
    allowed, window_seconds = settings.RATE_LIMITS[name]
    return Limit(name, allowed=allowed, window_seconds=window_seconds)


def _warn(limit: Limit, exc: Exception) -> None:
    logger.warning("throttle %s: cache unreachable (%s)", limit.name, type(exc).__name__)


# One round trip that cannot leave a count without its expiry: Django's incr() and
# decr() check that the key exists and then change it in two steps, and a key that
# expires between the two comes back without an expiry, a limit that never resets.
_REDIS_ADD = """
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return count
"""
_REDIS_GIVE_BACK = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end
return 0
"""


def _redis(key: str):
    """The Redis client and the full key, or None when the cache is not Redis."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    full_key = backend.make_and_validate_key(key)
    return backend._cache.get_client(full_key, write=True), full_key


def _add(limit: Limit, key: str, amount: int) -> int | None:
    """Add ``amount`` to the count and return it; None if the cache cannot be reached."""
    try:
        redis = _redis(key)
        if redis is not None:
            client, full_key = redis
            return int(client.eval(_REDIS_ADD, 1, full_key, amount, limit.window_seconds))
        # The local-memory cache (one process, development): its incr() holds a lock
        # and keeps the expiry.
        cache.add(key, 0, timeout=limit.window_seconds)  # starts the window, if none
        try:
            return cache.incr(key, amount)
        except ValueError:  # the window ended between the two calls: a new one
            cache.add(key, 0, timeout=limit.window_seconds)
            return cache.incr(key, amount)
    except Exception as exc:  # the cache is down: never block a person for it
        _warn(limit, exc)
        return None


@dataclass
class Attempt:
    limit: Limit
    key: str
    count: int | None  # None: not counted (cache unreachable)
    allowed: bool

    def give_back(self) -> None:
        """This attempt does not count after all."""
        if self.count is None:
            return
        try:
            redis = _redis(self.key)
            if redis is not None:
                client, full_key = redis
                client.eval(_REDIS_GIVE_BACK, 1, full_key)
            else:
                cache.decr(self.key)
        except ValueError:  # the window ended meanwhile: nothing to give back
            pass
        except Exception as exc:
            _warn(self.limit, exc)
        self.count = None

    def count_again(self) -> None:
        """Let this attempt count once more (a wrong receipt code during a flood)."""
        if self.count is not None:
            self.count = _add(self.limit, self.key, 1)


def attempt(limit: Limit, scope: str, *, allowed: int | None = None) -> Attempt:
    """Count one attempt in ``scope`` and say whether it is within the limit (or within
    ``allowed``, a tighter allowance for the moment)."""
    key = f"throttle:{limit.name}:{scope}"
    count = _add(limit, key, 1)
    allowance = limit.allowed if allowed is None else allowed
    return Attempt(limit, key, count, count is None or count <= allowance)


def client_attempt(limit: Limit, request: HttpRequest, *, allowed: int | None = None) -> Attempt:
    return attempt(limit, client_key(request), allowed=allowed)


def reached(limit: Limit, scope: str = EVERYONE) -> bool:
    """Whether the count of ``scope`` has reached the limit, without counting."""
    try:
        count = cache.get(f"throttle:{limit.name}:{scope}", 0)
    except Exception as exc:
        _warn(limit, exc)
        return False
    return count >= limit.allowed
