import logging

import pytest
from django.core.cache import cache
from django.test import RequestFactory, override_settings

from intake import throttle
from intake.throttle import Limit, attempt, client_attempt, reached
from tests.helpers import at_once

LIMIT = Limit("test", allowed=3, window_seconds=60)


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def _request(address: str):
    return RequestFactory().get("/", REMOTE_ADDR=address)


def test_a_client_is_refused_past_its_limit_and_others_are_not():
    for _ in range(3):
        assert client_attempt(LIMIT, _request("203.0.113.7")).allowed
    assert not client_attempt(LIMIT, _request("203.0.113.7")).allowed
    assert client_attempt(LIMIT, _request("198.51.100.1")).allowed


def test_an_attempt_given_back_does_not_count():
    for _ in range(10):
        client_attempt(LIMIT, _request("203.0.113.7")).give_back()
    assert client_attempt(LIMIT, _request("203.0.113.7")).count == 1


def test_a_tighter_allowance_applies_to_the_same_count():
    assert client_attempt(LIMIT, _request("203.0.113.7"), allowed=1).allowed
    assert not client_attempt(LIMIT, _request("203.0.113.7"), allowed=1).allowed


def test_reached_reads_without_counting():
    for _ in range(2):
        attempt(LIMIT, throttle.EVERYONE)
    assert not reached(LIMIT)
    assert not reached(LIMIT)
    attempt(LIMIT, throttle.EVERYONE)
    assert reached(LIMIT)


def test_concurrent_attempts_never_pass_a_limit_together():
    """Twelve posts at the same moment: exactly the limit gets through, however the
    threads interleave between counting and going on with their work."""
    limit = Limit("race", allowed=5, window_seconds=60)
    passed = [
        r
        for r in at_once(12, lambda n: client_attempt(limit, _request("203.0.113.7")))
        if r.allowed
    ]
    assert len(passed) == 5


@pytest.mark.redis
def test_concurrent_attempts_on_redis_never_pass_a_limit_together(settings):
    import os

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/1",
        }
    }
    test_concurrent_attempts_never_pass_a_limit_together()


def _stored_keys() -> list[str]:
    backend = cache._cache
    if hasattr(backend, "get_client"):  # Redis
        return [key.decode() for key in backend.get_client().keys("*")]
    return [str(key) for key in backend]  # local memory (a dict)


def test_addresses_are_never_stored_in_clear():
    client_attempt(LIMIT, _request("203.0.113.7"))
    keys = _stored_keys()
    assert any("throttle:test:" in key for key in keys)
    assert not any("203.0.113.7" in key for key in keys)


def test_an_unreachable_cache_never_blocks_and_is_logged_without_the_address(caplog):
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing listens
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    caplog.set_level(logging.WARNING)
    with override_settings(CACHES=unreachable):
        for _ in range(5):
            tries = client_attempt(LIMIT, _request("203.0.113.7"))
            assert tries.allowed
            tries.give_back()
        assert not reached(LIMIT)
    assert "cache unreachable" in caplog.text
    assert "203.0.113.7" not in caplog.text


def test_behind_a_proxy_the_visitor_is_read_from_x_forwarded_for(settings):
    from institute.clients import client_address

    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7"
    )
    assert client_address(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_HOPS = 1
    assert client_address(request) == "203.0.113.7"  # not what the client claimed
    settings.TRUSTED_PROXY_HOPS = 2
    assert client_address(request) == "6.6.6.6"


def test_ipv6_visitors_are_counted_per_64_network():
    same = ["2001:db8:1:2::1", "2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::ffff"]
    for address in same:
        assert client_attempt(LIMIT, _request(address)).allowed
    assert not client_attempt(LIMIT, _request("2001:db8:1:2::42")).allowed
    assert client_attempt(LIMIT, _request("2001:db8:1:3::1")).allowed  # another /64
    # An IPv4 visitor seen through an IPv6 socket is the IPv4 address.
    for _ in range(3):
        client_attempt(LIMIT, _request("203.0.113.9"))
    assert not client_attempt(LIMIT, _request("::ffff:203.0.113.9")).allowed


@pytest.mark.redis
def test_a_count_in_redis_always_has_its_window(settings):
    """Incrementing and expiring are one step: a count can never be left without an
    expiry (a limit that never resets), even one left so by an older version."""
    import os

    from intake.throttle import _redis

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/1",
        }
    }
    redis_client, key = _redis("throttle:test:stuck")
    redis_client.set(key, 7)  # a count without expiry
    assert redis_client.ttl(key) == -1
    result = attempt(LIMIT, "stuck")
    assert result.count == 8
    assert 0 < redis_client.ttl(key) <= LIMIT.window_seconds

    # Giving back a try whose window has ended creates nothing.
    redis_client.delete(key)
    result.give_back()
    assert redis_client.exists(key) == 0
    # A new window starts with its expiry.
    fresh = attempt(LIMIT, "fresh")
    redis_client, fresh_key = _redis("throttle:test:fresh")
    assert fresh.count == 1 and 0 < redis_client.ttl(fresh_key) <= LIMIT.window_seconds
