"""What a running instance is built from, for its technical administrators: the version
(``APP_VERSION``, set from the image's build argument) and the SHA-256 of the lock file
its packages were installed from (the same file the image's label names)."""

from __future__ import annotations

import hashlib
import os
import platform
from functools import cache
from pathlib import Path

import django

LOCK = Path(__file__).resolve().parent.parent / "requirements" / "runtime.txt"


@cache
def build_info() -> dict[str, str]:
    lock = hashlib.sha256(LOCK.read_bytes()).hexdigest() if LOCK.exists() else "unknown"
    return {
        "version": os.environ.get("APP_VERSION", "unknown"),
        "lock_sha256": lock,
        "python": platform.python_version(),
        "django": django.get_version(),
    }
