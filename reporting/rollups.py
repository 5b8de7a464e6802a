"""Daily counts kept by PostgreSQL itself, so a year's statistics read a few thousand
rows instead of every dossier of the year.

Triggers on ``cases_dossier`` and ``cases_takedownrequest`` add a row of counts to
``reporting_dailycount`` for every statement that inserts, updates or deletes dossiers or
takedown requests: in the same transaction as the change, whatever made it (a service, an
import, the admin, retention, plain SQL). A change that touches no coded column adds
nothing. The rows are only ever added (an update adds its new counts and subtracts its
old ones), so two reports arriving at once never wait for each other on a shared counter;
``compact()`` folds them together now and then, and readers sum them, so a figure is
exact whether or not they were folded.

What is counted, per day in Brussels and per combination of forms of abuse
(``measure``, ``value``):
- ``reporter``, ``language``, ``channel``: the dossiers received that day, by reporter
  category, language and channel;
- ``contacted``: the dossiers received that day that have had a first contact;
- ``closure``: the dossiers closed that day (and still closed), by closure reason;
- ``takedown``: the takedown requests sent that day, by their outcome now, with the
  forms of abuse of their dossier;
- ``wait_hours``: the dossiers received that month (``day`` is the first of the month)
  whose first contact came after ``value`` whole hours. The medians use it to find the
  hour the middle dossier falls in, then read that hour's few dossiers for the exact
  value (``first_contact_hours_idx``).

SQLite (the embedded default, with a few hundred dossiers) has no triggers of this kind:
there the statistics count the dossiers directly, as ``compute(direct=True)`` does
everywhere.
"""

from __future__ import annotations

from django.db import connection

TABLE = "reporting_dailycount"

# A dossier's facts: (day, measure, value) rows, NULL day for a fact that does not hold.
_LOCAL = "({d}.received_at AT TIME ZONE 'Europe/Brussels')"
_WAIT_HOURS = "floor(extract(epoch FROM ({d}.first_contact_at - {d}.received_at)) / 3600)::bigint"


def wait_hours(table: str) -> str:
    """Whole hours from receipt to first contact, as the index and the counts have it."""
    return _WAIT_HOURS.format(d=table)


_DOSSIER_FACTS = f"""
    (VALUES
        ({_LOCAL}::date, 'reporter', {{d}}.reporter_category::text),
        ({_LOCAL}::date, 'language', {{d}}.language::text),
        ({_LOCAL}::date, 'channel', {{d}}.channel::text),
        (CASE WHEN {{d}}.first_contact_at IS NOT NULL THEN {_LOCAL}::date END,
         'contacted', ''),
        (CASE WHEN {{d}}.first_contact_at IS NOT NULL
              THEN date_trunc('month', {_LOCAL})::date END,
         'wait_hours', ({_WAIT_HOURS})::text),
        (CASE WHEN {{d}}.status = 'closed' AND {{d}}.closed_at IS NOT NULL
              THEN ({{d}}.closed_at AT TIME ZONE 'Europe/Brussels')::date END,
         'closure', {{d}}.closure_reason::text)
    ) AS f(day, measure, value)
"""

_COLUMNS = "day, measure, value, form_ncii, form_voyeurism, form_sextortion"


def _dossier_counts(rows: str, sign: int) -> str:
    facts = _DOSSIER_FACTS.format(d="d")
    return f"""
        SELECT f.day, f.measure, f.value, d.form_ncii, d.form_voyeurism, d.form_sextortion,
               {sign} AS n
        FROM {rows} AS d CROSS JOIN LATERAL {facts}
        WHERE f.day IS NOT NULL
    """


def _takedown_counts(takedowns: str, dossiers: str, sign: int) -> str:
    return f"""
        SELECT (t.sent_at AT TIME ZONE 'Europe/Brussels')::date, 'takedown', t.outcome::text,
               d.form_ncii, d.form_voyeurism, d.form_sextortion, {sign} AS n
        FROM {takedowns} AS t JOIN {dossiers} AS d ON d.id = t.dossier_id
    """


def _add(*selects: str) -> str:
    """One INSERT of the net counts of ``selects``: nothing when they cancel out."""
    union = " UNION ALL ".join(selects)
    return f"""
        INSERT INTO {TABLE} ({_COLUMNS}, n)
        SELECT {_COLUMNS}, sum(n) FROM ({union}) AS c ({_COLUMNS}, n)
        GROUP BY {_COLUMNS} HAVING sum(n) <> 0;
    """


# An update also moves the counts of the dossier's takedown requests: they count under
# their dossier's forms of abuse.
_DOSSIER_UPDATE = _add(
    _dossier_counts("old_rows", -1),
    _dossier_counts("new_rows", 1),
    _takedown_counts("cases_takedownrequest", "old_rows", -1),
    _takedown_counts("cases_takedownrequest", "new_rows", 1),
)
_DOSSIER_DELETE = _add(
    _dossier_counts("old_rows", -1), _takedown_counts("cases_takedownrequest", "old_rows", -1)
)
_DOSSIER_FUNCTION = f"""
CREATE OR REPLACE FUNCTION reporting_count_dossiers() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_add(_dossier_counts("new_rows", 1))}
    ELSIF TG_OP = 'UPDATE' THEN
        {_DOSSIER_UPDATE}
    ELSE
        {_DOSSIER_DELETE}
    END IF;
    RETURN NULL;
END $$;
"""

_TAKEDOWN_INSERT = _add(_takedown_counts("new_rows", "cases_dossier", 1))
_TAKEDOWN_UPDATE = _add(
    _takedown_counts("old_rows", "cases_dossier", -1),
    _takedown_counts("new_rows", "cases_dossier", 1),
)
_TAKEDOWN_DELETE = _add(_takedown_counts("old_rows", "cases_dossier", -1))
_TAKEDOWN_FUNCTION = f"""
CREATE OR REPLACE FUNCTION reporting_count_takedowns() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_TAKEDOWN_INSERT}
    ELSIF TG_OP = 'UPDATE' THEN
        {_TAKEDOWN_UPDATE}
    ELSE
        {_TAKEDOWN_DELETE}
    END IF;
    RETURN NULL;
END $$;
"""


def _triggers(table: str, function: str) -> list[str]:
    # PostgreSQL allows transition tables on a trigger for one event only: three triggers.
    statements = []
    for event, tables in (
        ("INSERT", "NEW TABLE AS new_rows"),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
    ):
        name = f"{table}_{event.lower()}_counts"
        statements += [
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {tables} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        ]
    return statements


# The medians' second step reads one hour of waits: this index finds them.
_WAIT_INDEX = f"""
CREATE INDEX IF NOT EXISTS first_contact_hours_idx ON cases_dossier
    (({wait_hours("cases_dossier")}), received_at)
    WHERE first_contact_at IS NOT NULL
"""

INSTALL = [
    _DOSSIER_FUNCTION,
    _TAKEDOWN_FUNCTION,
    *_triggers("cases_dossier", "reporting_count_dossiers"),
    *_triggers("cases_takedownrequest", "reporting_count_takedowns"),
    _WAIT_INDEX,
]

UNINSTALL = [
    *(
        f"DROP TRIGGER IF EXISTS {table}_{event}_counts ON {table}"
        for table in ("cases_dossier", "cases_takedownrequest")
        for event in ("insert", "update", "delete")
    ),
    "DROP FUNCTION IF EXISTS reporting_count_dossiers()",
    "DROP FUNCTION IF EXISTS reporting_count_takedowns()",
    "DROP INDEX IF EXISTS first_contact_hours_idx",
]

# Every count from scratch, from the dossiers and takedown requests as they are.
REBUILD = [
    f"DELETE FROM {TABLE}",
    _add(
        _dossier_counts("cases_dossier", 1),
        _takedown_counts("cases_takedownrequest", "cases_dossier", 1),
    ),
]

# Fold every (day, measure) that holds more than one row per key into one row per key.
COMPACT = f"""
WITH scattered AS (
    SELECT DISTINCT day, measure FROM {TABLE}
    GROUP BY {_COLUMNS} HAVING count(*) > 1
), folded AS (
    DELETE FROM {TABLE} AS r USING scattered AS s
    WHERE r.day = s.day AND r.measure = s.measure
    RETURNING r.day, r.measure, r.value, r.form_ncii, r.form_voyeurism, r.form_sextortion, r.n
)
INSERT INTO {TABLE} ({_COLUMNS}, n)
SELECT {_COLUMNS}, sum(n) FROM folded GROUP BY {_COLUMNS} HAVING sum(n) <> 0
"""


# What the statistics read.
# Received counts by month, and the other measures by their own value, over the period.
COUNTS = f"""
SELECT measure, value, form_ncii, form_voyeurism, form_sextortion,
       date_trunc('month', day)::date AS month, sum(n)
FROM {TABLE}
WHERE measure IN ('reporter', 'language', 'channel', 'contacted', 'closure', 'takedown')
  AND day >= %s AND day <= %s
GROUP BY measure, value, form_ncii, form_voyeurism, form_sextortion, month
HAVING sum(n) <> 0
"""

# Waits of first contacts, counted by whole hours: of whole months from the counts...
HOURS_OF_MONTHS = f"""
SELECT value::bigint, form_ncii, form_voyeurism, form_sextortion, sum(n)
FROM {TABLE} WHERE measure = 'wait_hours' AND day >= %s AND day <= %s
GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0
"""
# ... and of the days of a month the period covers only in part, from the dossiers.
HOURS_OF_DAYS = f"""
SELECT {wait_hours("cases_dossier")}, form_ncii, form_voyeurism, form_sextortion, count(*)
FROM cases_dossier
WHERE first_contact_at IS NOT NULL AND received_at >= %s AND received_at < %s
GROUP BY 1, 2, 3, 4
"""
# The waits of one hour, in order (first_contact_hours_idx finds them).
WAITS_OF_HOUR = f"""
SELECT first_contact_at - received_at AS wait FROM cases_dossier
WHERE first_contact_at IS NOT NULL AND {wait_hours("cases_dossier")} = %s
  AND received_at >= %s AND received_at < %s {{form}}
 ORDER BY wait OFFSET %s LIMIT %s
"""


def available(using=None) -> bool:
    """Whether the database keeps the counts (PostgreSQL)."""
    return (using or connection).vendor == "postgresql"


def install(schema_editor) -> None:
    """Create the triggers and the index, and count what is already there."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in [*INSTALL, *REBUILD]:
        schema_editor.execute(statement)


def uninstall(schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in UNINSTALL:
        schema_editor.execute(statement)


def compact() -> int:
    """Fold the counts' rows together; returns how many rows the table holds after."""
    if not available():
        return 0
    with connection.cursor() as cursor:
        cursor.execute(COMPACT)
        cursor.execute(f"SELECT count(*) FROM {TABLE}")
        return cursor.fetchone()[0]


def rebuild() -> None:
    """Count everything again from the dossiers (after restoring a backup made without
    the triggers, say). One transaction: readers see the old counts or the new ones."""
    from django.db import transaction

    if not available():
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE")
        for statement in REBUILD:
            cursor.execute(statement)
