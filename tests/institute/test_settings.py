"""Settings are read in a fresh interpreter so each case sees only its own environment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'db': s.DATABASES['default']['ENGINE'], "
    "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'mail': s.EMAIL_BACKEND, 'tz': s.TIME_ZONE, "
    "'lang': s.LANGUAGE_CODE, 'langs': [c for c, _ in s.LANGUAGES], "
    "'conn_max_age': s.DATABASES['default']['CONN_MAX_AGE'], "
    "'hasher': s.PASSWORD_HASHERS[0], 'demo': s.DEMO_DATA_ALLOWED, "
    "'cache': s.CACHES['default'].get('LOCATION', ''), 'broker': s.CELERY_BROKER_URL}))"
)


def _run(env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "institute.settings"}
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _production(**overrides: str) -> dict[str, str]:
    env = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": "s" * 60,
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "RECEIPT_HASH_KEY": "r" * 40,
        "DATABASE_URL": "postgres://u:p@db:5432/institute",
        "REDIS_URL": "redis://redis:6379/0",
        "ALLOWED_HOSTS": "cases.example.org",
        "EMAIL_HOST": "smtp.example.org",
        "DISCREET_FROM_EMAIL": "no-reply@mail-desk.example.org",
        "TRUSTED_PROXY_HOPS": "1",
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def test_no_environment_means_sqlite_eager_tasks_and_console_mail():
    import json

    result = _run({})
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["db"] == "django.db.backends.sqlite3"
    assert values["eager"] is True
    assert values["mail"] == "django.core.mail.backends.console.EmailBackend"
    assert values["tz"] == "Europe/Brussels"
    assert (values["lang"], values["langs"]) == ("nl", ["nl", "fr", "de", "en"])
    assert values["hasher"].endswith("Argon2PasswordHasher")
    assert values["demo"] is True


def test_production_with_real_secrets_uses_postgresql_and_redis():
    import json

    result = _run(_production())
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["db"] == "django.db.backends.postgresql"
    assert values["eager"] is False
    assert values["conn_max_age"] > 0
    assert values["demo"] is False
    # Clearing the cache must never flush queued tasks: separate Redis databases.
    assert values["broker"] == "redis://redis:6379/0"
    assert values["cache"] == "redis://redis:6379/1"


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"FIELD_ENCRYPTION_KEYS": None}, "FIELD_ENCRYPTION_KEYS"),
        ({"RECEIPT_HASH_KEY": None}, "RECEIPT_HASH_KEY"),
        ({"DEBUG": "true"}, "DEBUG"),
        ({"EMAIL_HOST": None}, "EMAIL_HOST"),
        ({"DISCREET_FROM_EMAIL": None}, "DISCREET_FROM_EMAIL"),
        ({"DISCREET_FROM_EMAIL": "no-reply@igvm-iefh.belgium.be"}, "DISCREET_FROM_EMAIL"),
        ({"DISCREET_FROM_EMAIL": "noreply@egalite-hommes-femmes.example"}, "DISCREET_FROM_EMAIL"),
        ({"TRUSTED_PROXY_HOPS": None}, "TRUSTED_PROXY_HOPS"),
        *[
            ({"EMAIL_HOST": None, "EMAIL_BACKEND": f"django.core.mail.backends.{path}"}, why)
            for path, why in [
                ("console.EmailBackend", "writes every mail to the logs or the disk"),
                ("filebased.EmailBackend", "writes every mail to the logs or the disk"),
                # The console backend under another name.
                ("filebased.ConsoleEmailBackend", "writes every mail to the logs or the disk"),
                ("locmem.EmailBackend", "never sends a mail"),
                ("dummy.EmailBackend", "never sends a mail"),
                ("base.BaseEmailBackend", "never sends a mail"),
                ("smtp.EmailBackend", "needs EMAIL_HOST"),
            ]
        ],
    ],
)
def test_production_refuses_to_start_without_real_secrets(missing, message):
    result = _run(_production(**missing))
    assert result.returncode != 0
    assert "Refusing to start in production" in result.stderr
    assert message in result.stderr


def test_production_refuses_the_embedded_development_key():
    from institute.settings import _DEV_FIELD_ENCRYPTION_KEY

    result = _run(_production(FIELD_ENCRYPTION_KEYS=_DEV_FIELD_ENCRYPTION_KEY))
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in result.stderr


def test_a_malformed_encryption_key_stops_the_start_with_a_clear_message():
    result = _run({"FIELD_ENCRYPTION_KEYS": "not-a-key"})
    assert result.returncode != 0
    assert "32-byte url-safe base64 key" in result.stderr
    assert "not-a-key" not in result.stderr


def test_every_variable_the_settings_read_is_documented_in_the_readme():
    import re

    source = (ROOT / "institute" / "settings.py").read_text()
    readme = (ROOT / "README.md").read_text()
    variables = set(re.findall(r'env_(?:str|bool|int|list|rate)\(\s*"([A-Z_]+)"', source))
    assert len(variables) > 20
    assert sorted(v for v in variables if f"`{v}`" not in readme) == []


def test_the_abuse_limits_are_settings_and_a_malformed_one_stops_the_start():
    probe = "import django; django.setup(); from intake import views; " + (
        "print(views.REPORTS_PER_CLIENT.allowed, views.REPORTS_PER_CLIENT.window_seconds)"
    )
    base = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "institute.settings"}

    def run(value: str) -> subprocess.CompletedProcess:
        env = {**base, "RATE_LIMIT_REPORTS_PER_CLIENT": value}
        return subprocess.run(
            [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
        )

    assert run("2/60").stdout.split() == ["2", "60"]
    refused = run("five an hour")
    assert refused.returncode != 0
    assert "RATE_LIMIT_REPORTS_PER_CLIENT must be attempts/seconds" in refused.stderr


def test_a_web_worker_imports_no_chart_or_workbook_library_until_one_is_made():
    """matplotlib (with numpy) and openpyxl take tens of MB: a worker that serves the
    report form or the staff pages must not carry them."""
    probe = (
        "import sys, django; django.setup(); from django.test import Client; "
        "from django.urls import get_resolver; get_resolver().url_patterns; "
        "Client().get('/nl/report/'); "
        "print(sorted(m for m in ('matplotlib', 'numpy', 'openpyxl') if m in sys.modules))"
    )
    base = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "institute.settings"}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=base, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[]"]
