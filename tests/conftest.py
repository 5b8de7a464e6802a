"""Shared fixtures, and the rule for tests that need real services.

A test marked ``postgres``, ``redis``, ``worker`` or ``browser`` runs against the real
thing. On a laptop without it, the test is skipped with the reason; in CI (``CI=true``)
a missing service fails the test instead, so CI can never go green by skipping.
"""

from __future__ import annotations

import os
import shutil

import pytest
from django.conf import settings
from django.db import connection

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


# Longest a browser test may take before it fails (the whole suite has a limit too, in
# pyproject.toml); Playwright's own waits end sooner.
BROWSER_TEST_TIMEOUT = 180


def missing_service(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this test must not be skipped)", pytrace=False)
    pytest.skip(reason)


def _database_label() -> str:
    engine = settings.DATABASES["default"]["ENGINE"]
    return "postgresql" if "postgresql" in engine else "sqlite"


def pytest_report_header(config) -> list[str]:
    return [
        f"database: {_database_label()}",
        f"redis: {'REDIS_URL set' if os.environ.get('REDIS_URL') else 'not configured'}",
        f"CI: {IN_CI}",
    ]


def pytest_terminal_summary(terminalreporter) -> None:
    terminalreporter.write_line(f"The suite ran on {_database_label()}.")


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(BROWSER_TEST_TIMEOUT))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory) -> None:
    """On SQLite, the test database is a file, not Django's default in-memory one.

    An in-memory database exists only inside one connection, so the live server would
    share the test's connection between all its request threads; a page that loads
    several things at once (the statistics' charts) then deadlocks inside the driver.
    With a file, every thread has a connection of its own, as in production.
    """
    from institute.routers import REPLICA

    # The suite runs without a replica, as CI does, whatever the environment says: the
    # replica alias mirrors the test database (its TEST MIRROR), but as a connection of
    # its own it would not see the rows a test writes inside its transaction, and
    # pytest-django refuses an alias a test did not ask for. The tests of the replica
    # configure one of their own (tests/replica.py).
    settings.DATABASES.pop(REPLICA, None)
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        test = database.setdefault("TEST", {})
        test["NAME"] = str(tmp_path_factory.mktemp("database") / "test.sqlite3")
        # A throwaway database: no need to wait for the disk. WAL lets a page read
        # while another request writes.
        database.setdefault("OPTIONS", {})["init_command"] = (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"
        )


def redis_available() -> bool:
    url = os.environ.get("REDIS_URL")
    if not url:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(autouse=True)
def _services(request) -> None:
    markers = {m.name for m in request.node.iter_markers()}
    if markers & {"postgres", "worker"} and connection.vendor != "postgresql":
        missing_service("needs PostgreSQL: set DATABASE_URL=postgres://...")
    if markers & {"redis", "worker"} and not redis_available():
        missing_service("needs a reachable Redis: set REDIS_URL=redis://...")
    if "browser" in markers and not shutil.which(CHROMIUM):
        missing_service(f"needs Chromium at {CHROMIUM}")


@pytest.fixture(autouse=True)
def _fast_tests(settings, tmp_path) -> None:
    # Argon2 is the real hasher (tested on its own); tests log in many times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _seeded_rows(request) -> None:
    """A transactional test (live server, real worker) empties every table when it ends,
    the rows migrations seeded included: put back the notices' legal explanations."""
    if {"transactional_db", "live_server"} & set(request.fixturenames):
        request.getfixturevalue("transactional_db")
        from cases.notice_defaults import ensure_notice_explanations

        ensure_notice_explanations()


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Rate-limit counters live in the cache (Redis in CI): every test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True, scope="session")
def _celery_eager():
    """Tasks run in-process unless a test starts a real worker (tests/integration)."""
    from institute.celery import app

    app.conf.task_always_eager = True
    yield


def current_code(user) -> str:
    """The code the user's authenticator app would show now."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).get()
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"


def _second_factor(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


@pytest.fixture(autouse=True)
def _force_login_with_a_second_factor(monkeypatch):
    """``client.force_login(user)`` gives a session that has passed both steps, as staff
    have once signed in; ``client.force_login_password_only(user)`` one that has passed
    the password only. The sign-in itself is tested through its pages."""
    from django.test.client import Client
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY

    from institute.signin import LAST_SEEN, SIGNED_IN_AT, VERIFIED_AT

    password_only = Client.force_login

    def force_login(self, user, backend=None):
        password_only(self, user, backend)
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = _second_factor(user).persistent_id
        # As the sign-in page leaves a session (institute.signin.SignInView).
        now = timezone.now().timestamp()
        session[SIGNED_IN_AT] = session[LAST_SEEN] = session[VERIFIED_AT] = now
        session.save()

    monkeypatch.setattr(Client, "force_login_password_only", password_only, raising=False)
    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def users(db):
    from institute.demo import ensure_demo_users

    return ensure_demo_users()
