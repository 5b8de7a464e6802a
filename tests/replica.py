"""A replica database for the tests of ``institute.routers``, configured for a block.

The suite itself runs without a replica (tests/conftest.py). These tests add, change
and remove the ``replica`` alias while running, as ``DATABASE_REPLICA_URL`` would have
made it. A test that reads the replica through Django names it in
``django_db(databases=...)``, which pytest-django checks before the test starts: the
alias must exist by then, so configure it in a module-scoped fixture.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from contextlib import contextmanager

import dj_database_url
from django.db import DEFAULT_DB_ALIAS, connections

from institute.routers import REPLICA

# What a test reads and writes the replica with.
BOTH = [DEFAULT_DB_ALIAS, REPLICA]


def database_url(settings_dict: dict) -> str:
    """The URL of a PostgreSQL database, as DATABASE_URL would give it."""
    s = settings_dict
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def forget_replica_connection() -> None:
    """Close this thread's connection to the replica, if one was made, and forget it."""
    if REPLICA not in connections:
        return
    for connection in connections.all(initialized_only=True):
        if connection.alias == REPLICA:
            connection.close()
    with contextlib.suppress(AttributeError):
        del connections[REPLICA]


@contextmanager
def replica_database(database: dict | str | None) -> Iterator[None]:
    """The replica alias is ``database`` (settings or a URL) for the block, or absent
    with None; what it was before afterwards."""
    before = connections.settings.get(REPLICA)
    forget_replica_connection()
    if database is None:
        connections.settings.pop(REPLICA, None)
    else:
        if isinstance(database, str):
            database = dj_database_url.parse(database)
        replica = connections.configure_settings(
            {DEFAULT_DB_ALIAS: {}, REPLICA: copy.deepcopy(database)}
        )[REPLICA]
        # As in the settings: the test runner neither creates nor empties it.
        replica["TEST"] = {**replica["TEST"], "MIRROR": DEFAULT_DB_ALIAS}
        connections.settings[REPLICA] = replica
    try:
        yield
    finally:
        forget_replica_connection()
        if before is None:
            connections.settings.pop(REPLICA, None)
        else:
            connections.settings[REPLICA] = before
