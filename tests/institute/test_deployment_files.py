"""No Docker engine runs here, so the deployment files are checked for what can be
checked: every command names a real module, app or management command, every variable
they set is one the settings read, and the volumes land where the settings look."""

import importlib
import re
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = {name: s for name, s in SERVICES.items() if s.get("build")}
SETTINGS_SOURCE = (ROOT / "institute" / "settings.py").read_text()


def _command(service: dict) -> list[str]:
    command = service["command"]
    return command if isinstance(command, list) else command.split()


def test_compose_has_the_production_services():
    assert set(SERVICES) >= {"web", "worker", "beat", "db", "redis", "migrate"}
    assert SERVICES["db"]["image"].startswith("postgres:15")
    assert SERVICES["redis"]["image"].startswith("redis:")


@pytest.mark.parametrize("name", ["web", "worker", "beat", "db", "redis"])
def test_every_long_running_service_has_a_health_check(name):
    assert SERVICES[name]["healthcheck"]["test"]


def test_web_runs_gunicorn_on_the_real_wsgi_application():
    command = _command(SERVICES["web"])
    assert command[0] == "gunicorn"
    module, attribute = command[1].split(":")
    assert callable(getattr(importlib.import_module(module), attribute))
    healthcheck = " ".join(SERVICES["web"]["healthcheck"]["test"])
    assert "/healthz" in healthcheck


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_celery_services_name_the_real_celery_app(name):
    command = _command(SERVICES[name])
    assert command[:3] == ["celery", "-A", "institute"]
    assert command[3] == name
    from celery import Celery

    assert isinstance(importlib.import_module("institute").celery_app, Celery)


def test_migrate_runs_a_real_management_command():
    command = _command(SERVICES["migrate"])
    assert command[:2] == ["python", "manage.py"]
    assert command[2] in get_commands()


def test_app_services_run_in_production_mode_with_settings_that_exist():
    for name, service in APP_SERVICES.items():
        environment = service["environment"]
        assert environment["DJANGO_ENV"] == "production", name
        for variable in environment:
            assert f'"{variable}"' in SETTINGS_SOURCE, f"{name}: settings never read {variable}"
        assert service["env_file"] == ".env"


def test_env_example_lists_only_variables_something_reads():
    compose_text = (ROOT / "docker-compose.yml").read_text()
    for line in (ROOT / ".env.example").read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        variable = line.split("=", 1)[0]
        assert f'"{variable}"' in SETTINGS_SOURCE or f"${{{variable}" in compose_text, variable


def test_uploaded_files_and_database_have_volumes():
    private_root = APP_SERVICES["web"]["environment"]["PRIVATE_STORAGE_ROOT"]
    assert f"private-files:{private_root}" in APP_SERVICES["web"]["volumes"]
    assert f"private-files:{private_root}" in APP_SERVICES["worker"]["volumes"]
    assert any(v.startswith("postgres-data:") for v in SERVICES["db"]["volumes"])
    assert set(COMPOSE["volumes"]) >= {"postgres-data", "private-files"}


def test_dockerfile_copies_what_exists_and_serves_the_wsgi_app():
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM \S+ AS (\S+)$", dockerfile, flags=re.MULTILINE)
    for source in re.findall(r"^COPY (\S+(?: \S+)*) \S+$", dockerfile, flags=re.MULTILINE):
        if source.startswith("--from="):  # from an earlier stage of this file
            assert source.split()[0].removeprefix("--from=") in stages, source
            continue
        for path in source.split():
            assert (ROOT / path).exists(), path
    assert '"gunicorn", "institute.wsgi:application"' in dockerfile
    assert "FROM python:3.11" in dockerfile
    assert "USER app" in dockerfile


@pytest.mark.parametrize(
    "script", ["public_load.py", "staff_lists.py", "statistics_1m.py", "evidence_match.py"]
)
def test_each_bench_script_compiles(script):
    import py_compile

    py_compile.compile(str(ROOT / "bench" / script), doraise=True)


@pytest.mark.parametrize("name", ["db", "redis"])
def test_the_database_and_redis_are_reachable_only_on_the_internal_network(name):
    service = SERVICES[name]
    assert "ports" not in service and "network_mode" not in service
    assert service["networks"] == ["backend"]
    assert COMPOSE["networks"]["backend"] == {"internal": True}
    for app in APP_SERVICES.values():
        assert "backend" in app["networks"]


def test_redis_asks_for_a_password_and_every_redis_url_carries_it():
    redis = SERVICES["redis"]
    command = redis["command"]
    assert command[command.index("--requirepass") + 1].startswith("${REDIS_PASSWORD:?")
    assert redis["environment"]["REDISCLI_AUTH"].startswith("${REDIS_PASSWORD:?")
    urls = [
        value
        for service in SERVICES.values()
        for value in (service.get("environment") or {}).values()
        if isinstance(value, str) and value.startswith(("redis://", "rediss://"))
    ]
    assert len(urls) >= 2
    for url in urls:
        assert url.startswith(("redis://:${REDIS_PASSWORD", "rediss://:${REDIS_PASSWORD")), url
