"""The statistics read from a replica of the database when there is one; everything else
reads and writes the primary.

With ``DATABASE_REPLICA_URL`` set, the settings add a second database, ``replica``: a
read-only copy of the primary (PostgreSQL streaming replication), usually less than a
second behind it, sometimes a few seconds. The statistics are the heavy readers (a
year's figures and the year before for every page, chart and download) and may be a few
seconds old; case work may not: a case worker who saves a dossier must see it saved.

Nothing is routed by model: the statistics read the same tables as the case work
(dossiers, takedown requests), so a router that guessed from the model would send one
or the other to the wrong database. Reads go to the replica only inside
``replica_reads()``, which the statistics' pages, downloads and export command enter
around computing their figures, and nowhere else:

- reads inside ``replica_reads()`` go to the replica, the statistics' raw SQL too (it
  asks ``django.db.router`` which database to read); outside, to the primary;
- writes always go to the primary, inside the block too (the statistics log), and for an
  object read from the replica as well (Django would otherwise save it where it came
  from). The daily counts' checks and folding (``statistics_counts``, the nightly task)
  write, and never enter the block;
- only the primary is migrated: the replica receives the schema by replication;
- objects of both may be related: they are the same rows, a moment apart.

Without a replica, ``replica_reads()`` reads the primary and the router changes nothing.

A replica that cannot be reached is left for the primary, with a warning in the log
every time: statistics a little slower are better than none for a public body, and the
warning tells the administrators that the primary is doing the replica's work. A
connection that fails in the middle of the figures is an error like any other.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, Error, connections

REPLICA = "replica"  # the alias institute.settings gives DATABASE_REPLICA_URL

logger = logging.getLogger(__name__)

# Where reads go inside replica_reads(); None outside. A context variable, not a module
# global: every request thread (and asyncio task) has its own, so a statistics page never
# sends another request's reads to the replica.
_reads_from: ContextVar[str | None] = ContextVar("reads_from", default=None)


def _reachable(alias: str) -> bool:
    connection = connections[alias]
    try:
        # As Django does before a request's first query: a kept connection that has died
        # is closed, then a new one is made.
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except Error as error:
        # The type only: a driver's message may quote the server's address.
        logger.warning(
            "The statistics replica cannot be reached (%s): the statistics read the primary.",
            type(error).__name__,
        )
        return False
    return True


@contextmanager
def replica_reads() -> Iterator[str]:
    """Send the block's reads to the replica, or to the primary without a reachable one;
    yields the alias they go to."""
    alias = REPLICA if REPLICA in connections and _reachable(REPLICA) else DEFAULT_DB_ALIAS
    token = _reads_from.set(alias)
    try:
        yield alias
    finally:
        _reads_from.reset(token)


class ReplicaRouter:
    """See the module: reads inside ``replica_reads()`` from the replica, the rest from
    the primary."""

    def db_for_read(self, model, **hints) -> str | None:
        return _reads_from.get()

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool | None:
        return False if db == REPLICA else None
