"""Reproducible builds: the lock files pin every package with its hashes, follow
pyproject.toml, and are what every install uses; the audit never says "no known
vulnerabilities" when it could not check; an instance tells its administrators what it
was built from."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
RUNTIME, DEV = ROOT / "requirements" / "runtime.txt", ROOT / "requirements" / "dev.txt"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / ".ci" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lockfile = _load("lockfile")
audit = _load("audit")


def _pins(lock: Path) -> dict[str, str]:
    """Package name -> version, each checked to carry at least one SHA-256."""
    pins = {}
    for block in re.split(r"\n(?=[a-z0-9])", lock.read_text(), flags=re.IGNORECASE):
        head = block.splitlines()[0]
        if head.startswith("#") or not head.strip():
            continue
        name, version = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", head).groups()
        assert "--hash=sha256:" in block, name
        pins[name.lower().replace("_", "-")] = version
    return pins


def _names(requirements: list[str]) -> set[str]:
    return {re.match(r"[A-Za-z0-9_.-]+", r).group().lower().replace("_", "-") for r in requirements}


def test_the_lock_files_are_not_older_than_pyproject():
    """Fails when pyproject.toml's dependencies changed and `make lock` was not run."""
    assert lockfile.stale() == [], "run make lock"


def test_a_changed_dependency_makes_the_lock_stale(tmp_path):
    changed = tmp_path / "pyproject.toml"
    text = (ROOT / "pyproject.toml").read_text()
    changed.write_text(text.replace('"tqdm>=4.66,<5",', '"tqdm>=4.67,<5",'))
    assert lockfile.dependencies_digest(changed) != lockfile.dependencies_digest()
    # Order and spacing are not changes.
    reordered = tmp_path / "reordered.toml"
    reordered.write_text(text.replace('"tqdm>=4.66,<5",', '"tqdm >= 4.66, < 5",'))
    assert lockfile.dependencies_digest(reordered) == lockfile.dependencies_digest()


def test_every_package_is_pinned_with_hashes_and_the_tests_run_what_production_runs():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, dev = _pins(RUNTIME), _pins(DEV)
    assert _names(project["dependencies"]) <= set(runtime)
    assert _names(project["optional-dependencies"]["dev"]) <= set(dev)
    assert {name: dev.get(name) for name in runtime} == runtime


def test_every_install_requires_the_hashes():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^\$\(STAMP\): \$\(LOCK\)$", makefile, flags=re.MULTILINE)
    assert "pip install --quiet --require-hashes --no-deps -r $(LOCK)" in makefile
    assert "pip install --quiet -e" not in makefile
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes --no-deps --wheel-dir /wheels -r runtime.txt" in dockerfile
    assert "COPY requirements/runtime.txt" in dockerfile
    assert "pip install --no-index --no-deps /wheels/*.whl" in dockerfile
    for line in re.findall(r"pip (?:install|wheel)[^\n]*", dockerfile):
        assert "--require-hashes" in line or "--no-index" in line, line


def test_the_image_names_its_version_and_lock():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'be.igvm-iefh.lock-sha256="${LOCK_SHA256}"' in dockerfile
    assert 'org.opencontainers.image.version="${VERSION}"' in dockerfile
    assert "ENV APP_VERSION=${VERSION}" in dockerfile
    makefile = (ROOT / "Makefile").read_text()
    assert "--build-arg LOCK_SHA256=$$(sha256sum requirements/runtime.txt" in makefile


def test_ci_runs_the_audit_and_says_when_it_could_not():
    run = (ROOT / ".ci" / "run").read_text()
    assert ".ci/audit.py" in run and "not done" in run


def test_an_unreachable_advisory_database_is_said_in_one_line(capsys, monkeypatch):
    monkeypatch.setattr(audit, "reachable", lambda: False)
    assert audit.main() == audit.NOT_DONE
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("audit not done:")
    assert "no known vulnerabilities" not in out.lower()


def test_the_audit_through_a_proxy_that_answers_nothing_is_not_done():
    """For real: pip-audit and the probe behind a proxy nobody listens on."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
    }
    run = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "audit.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == audit.NOT_DONE, run.stderr
    assert run.stdout.startswith("audit not done:") and "no known" not in run.stdout.lower()


def _report(monkeypatch, dependencies: list[dict]) -> None:
    monkeypatch.setattr(audit, "reachable", lambda: True)
    answer = SimpleNamespace(stdout=json.dumps({"dependencies": dependencies}), stderr="")
    monkeypatch.setattr(audit.subprocess, "run", lambda *a, **k: answer)


def test_packages_the_database_had_no_answer_for_are_not_called_safe(capsys, monkeypatch):
    _report(
        monkeypatch,
        [
            {"name": "django", "version": "5.2.19", "vulns": []},
            {"name": "amqp", "version": "5.4.2", "skip_reason": "Dependency not found on PyPI"},
        ],
    )
    assert audit.main() == audit.NOT_DONE
    out = capsys.readouterr().out
    assert "1 of the 2 locked packages" in out and "no known vulnerabilities" not in out


def test_known_vulnerabilities_are_listed_and_fail(capsys, monkeypatch):
    vuln = {"id": "PYSEC-2026-1", "fix_versions": ["5.2.20"], "description": "..."}
    _report(monkeypatch, [{"name": "django", "version": "5.2.19", "vulns": [vuln]}])
    assert audit.main() == 1
    assert "django 5.2.19: PYSEC-2026-1 (fixed in 5.2.20)" in capsys.readouterr().out


def test_a_full_check_with_nothing_found_says_so(capsys, monkeypatch):
    _report(monkeypatch, [{"name": "django", "version": "5.2.19", "vulns": []}])
    assert audit.main() == 0
    assert capsys.readouterr().out == "no known vulnerabilities in the 1 locked packages\n"


@pytest.mark.django_db
def test_administrators_see_what_the_instance_was_built_from(client, users, monkeypatch):
    from institute.build_info import build_info

    build_info.cache_clear()
    monkeypatch.setenv("APP_VERSION", "v1.4.2-3-gabc1234")
    url = reverse("staff-health")
    client.force_login(users["admin"])
    detail = client.get(url).json()
    build_info.cache_clear()
    assert detail["version"] == "v1.4.2-3-gabc1234"
    assert detail["lock_sha256"] == hashlib.sha256(RUNTIME.read_bytes()).hexdigest()
    assert detail["status"] == "ok"
    for persona in ("coordinator", "caseworker", "management"):
        client.force_login(users[persona])
        assert client.get(url).status_code in (403, 404)
    client.logout()
    assert client.get(url).status_code == 302
    # The open probe still says only that the instance is up.
    assert client.get("/healthz").json() == {"status": "ok"}
