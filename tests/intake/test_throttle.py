import logging

import pytest
from django.core.cache import cache
from django.test import RequestFactory, override_settings

from intake.throttle import Limit, is_blocked, record

LIMIT = Limit("test", per_client=3, overall=5, window_seconds=60)


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def _request(address: str):
    return RequestFactory().get("/", REMOTE_ADDR=address)


def test_a_client_is_blocked_after_its_limit_and_others_are_not():
    for _ in range(3):
        assert not is_blocked(LIMIT, _request("203.0.113.7"))
        record(LIMIT, _request("203.0.113.7"))
    assert is_blocked(LIMIT, _request("203.0.113.7"))
    assert not is_blocked(LIMIT, _request("198.51.100.1"))


def test_everyone_is_blocked_once_the_overall_limit_is_reached():
    for n in range(5):
        record(LIMIT, _request(f"198.51.100.{n}"))
    assert is_blocked(LIMIT, _request("192.0.2.99"))


def _stored_keys() -> list[str]:
    backend = cache._cache
    if hasattr(backend, "get_client"):  # Redis
        return [key.decode() for key in backend.get_client().keys("*")]
    return [str(key) for key in backend]  # local memory (a dict)


def test_addresses_are_never_stored_in_clear():
    record(LIMIT, _request("203.0.113.7"))
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
        record(LIMIT, _request("203.0.113.7"))
        assert not is_blocked(LIMIT, _request("203.0.113.7"))
    assert "cache unreachable" in caplog.text
    assert "203.0.113.7" not in caplog.text


def test_behind_a_proxy_the_visitor_is_read_from_x_forwarded_for(settings):
    from intake.throttle import client_address

    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7"
    )
    assert client_address(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_HOPS = 1
    assert client_address(request) == "203.0.113.7"  # not what the client claimed
    settings.TRUSTED_PROXY_HOPS = 2
    assert client_address(request) == "6.6.6.6"
