"""A real Celery worker, in its own process, on the test database and a real Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


@pytest.fixture
def celery_worker(tmp_path) -> Iterator[Callable[..., str]]:
    """Start a worker on a queue of its own; returns a function that starts it with extra
    environment and gives back the queue name to send tasks to."""
    from institute.celery import app

    processes: list[subprocess.Popen] = []

    def start(queue: str | None = None, **extra_env: str) -> str:
        queue = queue or f"test-{uuid.uuid4().hex[:8]}"
        env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(tmp_path / "mail"),
            **extra_env,
        }
        log = open(tmp_path / f"worker-{queue}.log", "wb")  # noqa: SIM115 - closed by the OS
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "institute",
                    "worker",
                    "--pool=solo",
                    "--loglevel=INFO",
                    "-Q",
                    queue,
                    "-n",
                    f"{queue}@%h",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        return queue

    app.conf.task_always_eager = False
    try:
        yield start
    finally:
        app.conf.task_always_eager = True
        for process in processes:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False
