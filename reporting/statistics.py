"""The Institute's figures for a period, computed by the database on coded columns.

Only coded columns are read (forms of abuse, reporter category, language, channel, dates,
closure reason, takedown outcome), never a personal field: anonymising a dossier leaves
every figure as it was.

Counting rules, as the Institute publishes them:
- a dossier counts in the period (day, month, half-year) it was received, in Brussels;
- it counts once under every form of abuse it involves, and once in "all dossiers";
- closures count the dossiers closed during the period (and still closed);
- takedown outcomes count the requests sent during the period, with their outcome now,
  and so do the figures per platform (``reporting.platforms``);
- days to first contact run from receipt to the first contact recorded with the reporter.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.aggregates import Aggregate
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.choices import (
    Channel,
    ClosureReason,
    FormOfAbuse,
    Language,
    ReporterCategory,
    Status,
    TakedownOutcome,
)
from cases.models import BRUSSELS, Dossier, TakedownRequest

from . import rollups
from .models import DailyCount
from .periods import Period
from .platforms import PlatformFigures, platform_figures

ALL = "all"  # the row counting every dossier once
ROWS = [*(form.value for form in FormOfAbuse), ALL]
FORM_COLUMNS = {form.value: form.column for form in FormOfAbuse}


def row_label(row: str) -> str:
    return str(_("All dossiers")) if row == ALL else str(FormOfAbuse(row).label)


class Median(Aggregate):
    """PostgreSQL's exact median (works on intervals too)."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


def _form_counts(prefix: str = "") -> dict[str, Count]:
    """COUNT(*) and one filtered COUNT per form, over dossiers reached by ``prefix``."""
    counts = {ALL: Count("pk")}
    for form, column in FORM_COLUMNS.items():
        counts[form] = Count("pk", filter=Q(**{f"{prefix}{column}": True}))
    return counts


@dataclass
class Figures:
    """Every figure of one period. ``counts[table][row][column]`` for the cross tables,
    rows being the forms and ``all``."""

    period: Period
    by_form: dict[str, int]
    counts: dict[str, dict[str, dict[str, int]]]
    platforms: PlatformFigures
    contacted: dict[str, int] = field(default_factory=dict)
    median_days: dict[str, float | None] = field(default_factory=dict)

    @property
    def dossiers(self) -> int:
        return self.by_form[ALL]


def received_in(period: Period) -> QuerySet[Dossier]:
    start, end = period.bounds()
    return Dossier.objects.filter(received_at__gte=start, received_at__lt=end)


def _empty(columns) -> dict[str, dict[str, int]]:
    return {row: dict.fromkeys(columns, 0) for row in ROWS}


def month_key(month: date) -> str:
    return f"{month:%Y-%m}"


def half_key(year: int, half: int) -> str:
    return f"{year}-H{half}"


def half_of(month: date) -> str:
    return half_key(month.year, 1 if month.month <= 6 else 2)


def compute(period: Period, *, direct: bool = False) -> Figures:
    """All figures of ``period``. From the daily counts the database keeps
    (``reporting.rollups``) where it keeps them; from the dossiers themselves with
    ``direct`` or without them (SQLite). Both give the same figures, to the unit.

    Read from the database Django's routers read from: the replica inside
    ``institute.routers.replica_reads()``, the primary otherwise."""
    database = _database()
    if direct or not rollups.available(database):
        return _compute_direct(period)
    return _compute_from_counts(period, database)


def _database() -> BaseDatabaseWrapper:
    """The connection the raw SQL below reads through: the one the routers give the ORM
    queries beside it, so that both read the same database (and the same snapshot)."""
    return connections[router.db_for_read(DailyCount)]


def _compute_direct(period: Period) -> Figures:
    """One grouped scan of the period's dossiers for the cross tables, one each for
    closures, takedowns and first contacts."""
    by_form, counts = _cross_tables(period)
    start, end = period.bounds()
    closures = Dossier.objects.filter(
        status=Status.CLOSED, closed_at__gte=start, closed_at__lt=end
    ).values("closure_reason")
    counts["closure"] = _by_form(closures, "closure_reason", ClosureReason.values)
    takedowns = TakedownRequest.objects.filter(sent_at__gte=start, sent_at__lt=end).values(
        "outcome"
    )
    counts["takedown"] = _by_form(takedowns, "outcome", TakedownOutcome.values, "dossier__")
    contacted, median_days = _first_contacts(received_in(period))
    return Figures(period, by_form, counts, platform_figures(period), contacted, median_days)


def _tables(period: Period) -> dict[str, dict[str, dict[str, int]]]:
    """Every cross table of ``period``, all zeros."""
    return {
        "reporter": _empty(ReporterCategory.values),
        "language": _empty(Language.values),
        "channel": _empty(Channel.values),
        "half_year": _empty([half_key(*half) for half in period.half_years()]),
        "month": _empty([month_key(month) for month in period.months()]),
        "closure": _empty(ClosureReason.values),
        "takedown": _empty(TakedownOutcome.values),
    }


def _rows(ncii: bool, voyeurism: bool, sextortion: bool) -> list[str]:
    """The rows a count adds to: all dossiers, and each form it involves."""
    flags = (ncii, voyeurism, sextortion)
    return [ALL, *(form.value for form, flag in zip(FormOfAbuse, flags, strict=True) if flag)]


def _compute_from_counts(period: Period, database: BaseDatabaseWrapper) -> Figures:
    # One snapshot for all the reads, so the medians' second step finds the dossiers
    # its first step counted, whatever is being written meanwhile. (A hot standby
    # allows it: REPEATABLE READ, read only.)
    outermost = not database.in_atomic_block
    with transaction.atomic(using=database.alias):
        if outermost:
            with database.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return _read_counts(period, database)


def _read_counts(period: Period, database: BaseDatabaseWrapper) -> Figures:
    counts = _tables(period)
    by_form = dict.fromkeys(ROWS, 0)
    contacted = dict.fromkeys(ROWS, 0)
    with database.cursor() as cursor:
        cursor.execute(rollups.COUNTS, [period.start, period.end])
        groups = cursor.fetchall()
    for measure, value, ncii, voyeurism, sextortion, month, n in groups:
        for row in _rows(ncii, voyeurism, sextortion):
            if measure == "contacted":
                contacted[row] += n
                continue
            counts[measure][row][value] += n
            if measure == "reporter":  # every dossier once: the totals and the calendar
                by_form[row] += n
                counts["month"][row][month_key(month)] += n
                counts["half_year"][row][half_of(month)] += n
    # The requests themselves, in the same snapshot: there are few, and the daily
    # counts do not keep their platforms or times.
    medians = _medians(period, database)
    return Figures(period, by_form, counts, platform_figures(period), contacted, medians)


def _cross_tables(period: Period) -> tuple[dict[str, int], dict[str, dict]]:
    """Dossiers received in ``period`` per form of abuse, and per form against who
    reported, language, channel, half-year and month: one grouped scan (the closure and
    takedown tables stay at zero here: their own scans fill them)."""
    counts = _tables(period)
    by_form = dict.fromkeys(ROWS, 0)
    cube = (
        received_in(period)
        .annotate(month=TruncMonth("received_at", tzinfo=BRUSSELS))
        .values("month", "reporter_category", "language", "channel")
        .annotate(**_form_counts())
        .order_by()
    )
    for group in cube:
        month = timezone.localtime(group["month"], BRUSSELS)  # the month's first instant
        keys = {
            "reporter": group["reporter_category"],
            "language": group["language"],
            "channel": group["channel"],
            "month": month_key(month),
            "half_year": half_of(month),
        }
        for row in ROWS:
            n = group[row]
            by_form[row] += n
            for table, column in keys.items():
                counts[table][row][column] += n
    return by_form, counts


def _by_form(groups: QuerySet, column: str, values: list[str], prefix: str = "") -> dict:
    """Rows grouped by ``column`` (already a values() query), counted per form of abuse."""
    table = _empty(values)
    for group in groups.annotate(**_form_counts(prefix)).order_by():
        for row in ROWS:
            table[row][group[column]] += group[row]
    return table


def _first_contacts(dossiers: QuerySet[Dossier]) -> tuple[dict[str, int], dict[str, float | None]]:
    """How many dossiers of each row had a first contact, and the median days it took."""
    dossiers = dossiers.filter(first_contact_at__isnull=False).annotate(
        wait=ExpressionWrapper(
            F("first_contact_at") - F("received_at"), output_field=DurationField()
        )
    )
    filters = {ALL: Q(), **{form: Q(**{col: True}) for form, col in FORM_COLUMNS.items()}}
    counts = _form_counts()
    if connections[dossiers.db].vendor == "postgresql":
        # One pass for the counts and the medians.
        medians = {
            f"median_{row}": Median("wait", filter=condition or None, output_field=DurationField())
            for row, condition in filters.items()
        }
        result = dossiers.aggregate(**counts, **medians)
        counts = {row: result[row] for row in filters}
        medians = {row: result[f"median_{row}"] for row in filters}
    else:
        # Without a median aggregate: the middle one or two rows, sorted by the database.
        counts = dossiers.aggregate(**counts)
        medians = {}
        for row, condition in filters.items():
            n = counts[row]
            if not n:
                medians[row] = None
                continue
            middle = list(
                dossiers.filter(condition)
                .order_by("wait")
                .values_list("wait", flat=True)[(n - 1) // 2 : n // 2 + 1]
            )
            medians[row] = sum(middle, timedelta()) / len(middle)
    days = {
        row: None if medians[row] is None else round(medians[row] / timedelta(days=1), 1)
        for row in filters
    }
    return counts, days


_FORM_FILTER = {ALL: "", **{form: f"AND {column}" for form, column in FORM_COLUMNS.items()}}


def _whole_months(period: Period) -> tuple[date, date] | None:
    """The first days of the first and the last month lying wholly in ``period``."""
    first = period.start if period.start.day == 1 else (period.start + timedelta(days=31))
    first = first.replace(day=1)
    after = period.end + timedelta(days=1)
    last = (after.replace(day=1) - timedelta(days=1)).replace(day=1)
    return (first, last) if first <= last else None


def _midnight(day: date):
    return datetime.combine(day, time.min, tzinfo=BRUSSELS)


def _medians(period: Period, database: BaseDatabaseWrapper) -> dict[str, float | None]:
    """Exact median days to first contact, per row, in two steps: count the waits by
    whole hours to find the hour each middle dossier falls in, then read only the
    dossiers of that hour, in order, for the exact wait."""
    start, end = period.bounds()
    hours = {row: Counter() for row in ROWS}
    with database.cursor() as cursor:
        months = _whole_months(period)
        parts = []
        if months:
            cursor.execute(rollups.HOURS_OF_MONTHS, list(months))
            parts.append(cursor.fetchall())
            after = (months[1] + timedelta(days=31)).replace(day=1)
            edges = [(start, _midnight(months[0])), (_midnight(after), end)]
        else:
            edges = [(start, end)]
        for first, last in edges:
            if first < last:
                cursor.execute(rollups.HOURS_OF_DAYS, [first, last])
                parts.append(cursor.fetchall())
        for part in parts:
            for hour, ncii, voyeurism, sextortion, n in part:
                for row in _rows(ncii, voyeurism, sextortion):
                    hours[row][hour] += n

        medians: dict[str, float | None] = {}
        for row in ROWS:
            n = sum(hours[row].values())
            if not n:
                medians[row] = None
                continue
            middle = sorted({(n - 1) // 2, n // 2})
            waits = []
            for hour, offsets in _locate(hours[row], middle).items():
                sql = rollups.WAITS_OF_HOUR.format(form=_FORM_FILTER[row])
                first = min(offsets)
                cursor.execute(sql, [hour, start, end, first, max(offsets) - first + 1])
                found = [wait for (wait,) in cursor.fetchall()]
                waits += [found[offset - first] for offset in offsets]
            medians[row] = sum(waits, timedelta()) / len(waits)
    return {
        row: None if medians[row] is None else round(medians[row] / timedelta(days=1), 1)
        for row in ROWS
    }


def _locate(counts: Counter, positions: list[int]) -> dict[int, list[int]]:
    """For positions in the sorted waits, the hour each falls in and its offset there."""
    found: dict[int, list[int]] = {}
    before = 0
    for hour in sorted(counts):
        for position in positions:
            if before <= position < before + counts[hour]:
                found.setdefault(hour, []).append(position - before)
        before += counts[hour]
    return found
