"""The lock files' stamp: which dependencies of pyproject.toml they were compiled from.

``make lock`` and ``make upgrade`` compile requirements/runtime.txt and requirements/dev.txt
with pip-tools (every package pinned, with the SHA-256 of each of its files) and then run
``python .ci/lockfile.py stamp``, which writes, as the first line of each, the SHA-256 of
the dependency lists they were compiled from. ``python .ci/lockfile.py check`` (and the
test suite) fails when pyproject.toml's dependencies changed since: the lock is stale.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = (ROOT / "requirements" / "runtime.txt", ROOT / "requirements" / "dev.txt")
PREFIX = "# pyproject.toml dependencies: sha256 "


def dependencies_digest(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """The SHA-256 of what the locks are compiled from: the Python version range and the
    dependency lists, order and spacing aside."""
    project = tomllib.loads(pyproject.read_text())["project"]
    spec = {
        "requires-python": project.get("requires-python", ""),
        "dependencies": sorted("".join(d.split()) for d in project.get("dependencies", [])),
        "optional-dependencies": {
            extra: sorted("".join(d.split()) for d in deps)
            for extra, deps in project.get("optional-dependencies", {}).items()
        },
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def stamped_digest(lock: Path) -> str | None:
    first = lock.read_text().splitlines()[0] if lock.exists() else ""
    return first[len(PREFIX) :].strip() if first.startswith(PREFIX) else None


def stamp() -> None:
    digest = dependencies_digest()
    for lock in LOCKS:
        lines = [line for line in lock.read_text().splitlines() if not line.startswith(PREFIX)]
        lock.write_text("\n".join([PREFIX + digest, *lines]) + "\n")


def stale() -> list[Path]:
    digest = dependencies_digest()
    return [lock for lock in LOCKS if stamped_digest(lock) != digest]


def main(argv: list[str]) -> int:
    if argv[1:] == ["stamp"]:
        stamp()
        return 0
    if argv[1:] == ["check"]:
        old = stale()
        for lock in old:
            name = lock.relative_to(ROOT)
            print(f"{name} is older than pyproject.toml's dependencies: run make lock")
        return 1 if old else 0
    print("usage: lockfile.py stamp|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
