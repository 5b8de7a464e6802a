"""The figures of a period as they are shown and exported: tables, with or without
small-cell suppression.

Every figure is a variable with one key, whichever table shows it (a per-form total is
the total column of several tables), so suppression withholds it everywhere or nowhere.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.choices import (
    Channel,
    ClosureReason,
    FormOfAbuse,
    Language,
    ReporterCategory,
    TakedownOutcome,
)

from .periods import Period, half_year_label
from .platforms import TOTAL, UNMATCHED, PlatformFigures, Waits
from .statistics import ALL, ROWS, Figures, half_key, half_of, month_key, row_label
from .suppression import Hidden, Relations, suppress

if TYPE_CHECKING:
    from .charts import Chart

FORMS = [form.value for form in FormOfAbuse]
NOT_AVAILABLE = "\N{EN DASH}"
NOT_PUBLISHED = "\N{MIDDLE DOT}"
FORM_OF_ABUSE = gettext_lazy("Form of abuse")


def _choices(choices) -> Callable[[Period], list[tuple[str, str]]]:
    return lambda period: [(code, str(label)) for code, label in choices]


def _months(period: Period) -> list[tuple[str, str]]:
    one_year = period.start.year == period.end.year
    return [
        (month_key(month), formats.date_format(month, "M" if one_year else "M Y"))
        for month in period.months()
    ]


def _halves(period: Period) -> list[tuple[str, str]]:
    return [(half_key(*half), half_year_label(*half)) for half in period.half_years()]


@dataclass(frozen=True)
class Spec:
    key: str  # the figures' table ("reporter"); also the URL and sheet of the table
    name: str  # the export's name ("by_form_and_reporter")
    title: Promise
    sheet: Promise  # a short name for the table's sheet in a workbook (31 characters at most)
    note: Promise
    columns: Callable[[Period], list[tuple[str, str]]] | None = None
    total: str = "by_form"  # the family of the row totals, shared between tables
    row_heading: Promise = FORM_OF_ABUSE  # the heading of the rows' labels
    chart: str = ""  # the chart drawn from the table, shown beside it


COUNTED_PER_FORM = gettext_lazy(
    "Dossiers received in the period. A dossier involving several forms of abuse counts "
    "under each; the last row counts every dossier once."
)
SPECS = [
    Spec(
        "by_form",
        "by_form",
        gettext_lazy("Dossiers per form of abuse"),
        gettext_lazy("Per form"),
        gettext_lazy(
            "Dossiers received in the period. A dossier involving several forms of abuse "
            "counts under each, so the forms add up to more than the number of dossiers."
        ),
    ),
    Spec(
        "reporter",
        "by_form_and_reporter",
        gettext_lazy("Form of abuse by who reported"),
        gettext_lazy("Who reported"),
        COUNTED_PER_FORM,
        _choices(ReporterCategory.choices),
    ),
    Spec(
        "language",
        "by_form_and_language",
        gettext_lazy("Form of abuse by language of the report"),
        gettext_lazy("Language"),
        COUNTED_PER_FORM,
        _choices(Language.choices),
    ),
    Spec(
        "half_year",
        "by_form_and_half_year",
        gettext_lazy("Form of abuse by half-year"),
        gettext_lazy("Half-year"),
        COUNTED_PER_FORM,
        _halves,
    ),
    Spec(
        "month",
        "by_form_and_month",
        gettext_lazy("Form of abuse by month"),
        gettext_lazy("Month"),
        COUNTED_PER_FORM,
        _months,
    ),
    Spec(
        "channel",
        "by_form_and_channel",
        gettext_lazy("Form of abuse by channel"),
        gettext_lazy("Channel"),
        COUNTED_PER_FORM,
        _choices(Channel.choices),
    ),
    Spec(
        "closure",
        "closures",
        gettext_lazy("Closures by reason"),
        gettext_lazy("Closures"),
        gettext_lazy("Dossiers closed in the period and still closed, by the reason given."),
        _choices(ClosureReason.choices),
        total="closed",
    ),
    Spec(
        "takedown",
        "takedown_outcomes",
        gettext_lazy("Takedown requests by outcome"),
        gettext_lazy("Takedowns"),
        gettext_lazy("Requests sent in the period to remove content, by what came of them so far."),
        _choices(TakedownOutcome.choices),
        total="takedowns",
    ),
    Spec(
        "platform",
        "by_platform",
        gettext_lazy("Takedown notices per platform"),
        gettext_lazy("Platforms"),
        gettext_lazy(
            "Requests sent in the period, per platform of the Institute's list, with what "
            "came of them so far. Hours run from sending; the median and the 90th "
            "percentile interpolate between the two nearest requests. Removed: removed, "
            "restricted or blocked in Belgium or the EU. Unanswered: no answer, or no "
            "decision after its deadline. Shares are of the notices sent."
        ),
        row_heading=gettext_lazy("Platform"),
        chart="platform",
    ),
    Spec(
        "first_contact",
        "first_contact",
        gettext_lazy("Time to first contact"),
        gettext_lazy("First contact"),
        gettext_lazy(
            "Dossiers received in the period that had a first contact with the reporter, "
            "and the median number of days from receipt to that contact."
        ),
    ),
]
SPECS_BY_KEY = {spec.key: spec for spec in SPECS}
CROSS_TABLES = [spec for spec in SPECS if spec.columns is not None]

# The table per platform: its columns (code, heading) and, for each row, the parts its
# counts split into. The parts not shown (what a reader can work out from the rest) take
# part in the suppression all the same.
PLATFORM_COLUMNS = [
    ("notices", gettext_lazy("Notices sent")),
    ("median_hours_to_acknowledgement", gettext_lazy("Hours to acknowledgement, median")),
    ("p90_hours_to_acknowledgement", gettext_lazy("Hours to acknowledgement, 90th percentile")),
    ("median_hours_to_decision", gettext_lazy("Hours to decision, median")),
    ("p90_hours_to_decision", gettext_lazy("Hours to decision, 90th percentile")),
    ("removed_percent", gettext_lazy("Removed (%)")),
    ("refused_percent", gettext_lazy("Refused (%)")),
    ("unanswered_percent", gettext_lazy("Unanswered (%)")),
    ("complaints", gettext_lazy("Internal complaints")),
    ("complaints_upheld", gettext_lazy("Complaints upheld")),
    ("reuploaded", gettext_lazy("Seen online again")),
]
SHARES = ("acted", "refused", "unanswered")
PLATFORM_PARTS = [
    ("sent", ("acted", "refused", "unanswered", "waiting")),
    ("sent", ("complaints", "without_complaint")),
    ("complaints", ("upheld", "not_upheld")),
    ("sent", ("reuploaded", "not_reuploaded")),
]
PLATFORM_UNSHOWN = ("waiting", "without_complaint", "not_upheld", "not_reuploaded")


@dataclass(frozen=True)
class Shown:
    """One figure as published: its value, or why it is withheld."""

    value: int | float | None
    text: str
    hidden: Hidden | None = None

    @property
    def json(self) -> int | float | str | None:
        """The value; the mark of a withheld or unpublished figure; None if there is
        nothing to give (no median without a first contact)."""
        if self.value is not None or self.text == NOT_AVAILABLE:
            return self.value
        return self.text


# A median, percentile or share withheld: of too few requests, or it would give a withheld
# count away.
WITHHELD = Shown(None, "x", Hidden.SECONDARY)
EMPTY = Shown(None, NOT_AVAILABLE)


def _platform_key(row: Hashable, measure: str) -> Hashable:
    """The variable of a count of the table per platform. Its notices sent in all are the
    takedown requests of the period, a figure of the other tables too: one variable."""
    if row == TOTAL and measure == "sent":
        return ("takedowns", ALL)
    return ("platform", row, measure)


def _platform_variables(
    platforms: PlatformFigures, values: dict[Hashable, int], relations: Relations
) -> set[Hashable]:
    """The counts of the table per platform and what links them: the platforms' notices
    add up to all notices, and each platform's parts add up to its notices (or its
    complaints). The row of all notices is published as its notices only, as the rows of
    all dossiers: with its other counts too, the table would have totals both ways, and
    a reader could work out what narrowing each relation in turn does not find (two rows
    together can leave no room for a third figure). Returns the variables never shown."""
    unshown = set()
    inner = [row for row in platforms.rows if row != TOTAL]
    values.setdefault(_platform_key(TOTAL, "sent"), platforms.counts[TOTAL]["sent"])
    relations.add_eq([_platform_key(row, "sent") for row in inner], _platform_key(TOTAL, "sent"))
    for row in inner:
        counts = platforms.counts[row]
        derived = {
            "without_complaint": counts["sent"] - counts["complaints"],
            "not_upheld": counts["complaints"] - counts["upheld"],
            "not_reuploaded": counts["sent"] - counts["reuploaded"],
        }
        for measure, n in {**counts, **derived}.items():
            values[_platform_key(row, measure)] = n
        for total, parts in PLATFORM_PARTS:
            relations.add_eq([_platform_key(row, p) for p in parts], _platform_key(row, total))
        unshown.update(_platform_key(row, measure) for measure in PLATFORM_UNSHOWN)
    return unshown


class Publication:
    """The figures of one period, with the cells withheld for suppression threshold
    ``threshold`` (none when ``threshold`` is None: the internal, exact view)."""

    def __init__(self, figures: Figures, threshold: int | None = None) -> None:
        self.figures = figures
        self.period = figures.period
        self.threshold = threshold
        self.values, self.relations, self.unshown = self._variables(figures)
        hidden = suppress(self.values, self.relations, threshold, self.unshown) if threshold else {}
        # Only what is shown: the others took part in the check, and are never published.
        self.hidden = {key: state for key, state in hidden.items() if key not in self.unshown}

    @staticmethod
    def _variables(figures: Figures) -> tuple[dict[Hashable, int], Relations, set[Hashable]]:
        """The figures and what links them. The rows of all dossiers are published as
        totals only (never broken down next to the forms: a form's column and the
        column of all dossiers would together give small numbers away; the same for the
        row of all notices per platform), and months
        link to the total through their half-year only. So no two relations share more
        than one figure, and narrowing the ranges finds every figure a reader can work
        out, not only some."""
        values: dict[Hashable, int] = {}
        relations = Relations()

        def family(name: str, per_row: dict[str, int]) -> None:
            for row in ROWS:
                values[(name, row)] = per_row[row]
            relations.add_ge([(name, form) for form in FORMS], (name, ALL))

        family("by_form", figures.by_form)
        family("contacted", figures.contacted)
        halves: dict[str, list[str]] = {}
        for month in figures.period.months():
            halves.setdefault(half_of(month), []).append(month_key(month))
        for spec in CROSS_TABLES:
            table = figures.counts[spec.key]
            if spec.total != "by_form":
                family(spec.total, {row: sum(table[row].values()) for row in ROWS})
            for form in FORMS:
                for column, value in table[form].items():
                    values[(spec.key, form, column)] = value
                if spec.key == "month":
                    for half, months in halves.items():
                        relations.add_eq(
                            [("month", form, m) for m in months], ("half_year", form, half)
                        )
                else:
                    relations.add_eq([(spec.key, form, c) for c in table[form]], (spec.total, form))
        unshown = _platform_variables(figures.platforms, values, relations)
        return values, relations, unshown

    def shown(self, key: Hashable) -> Shown:
        value = self.values[key]
        state = self.hidden.get(key)
        if state in (Hidden.PRIMARY, Hidden.PART):
            return Shown(None, f"<{self.threshold}", state)
        if state == Hidden.SECONDARY:
            return Shown(None, "x", state)
        return Shown(value, formats.number_format(value))

    @property
    def shown_total(self) -> Shown:
        """Dossiers received in the period, each once."""
        return self.shown(("by_form", ALL))

    def cell(self, table: str, row: str, column: str) -> Shown:
        if row == ALL:
            # Exact for internal use; for publication the row of all dossiers is not
            # broken down (see _variables).
            value = self.figures.counts[table][ALL][column]
            return (
                Shown(None, NOT_PUBLISHED)
                if self.threshold
                else Shown(value, formats.number_format(value))
            )
        return self.shown((table, row, column))

    def total(self, table: str, row: str) -> Shown:
        return self.shown((SPECS_BY_KEY[table].total, row))

    def median_days(self, row: str) -> Shown:
        days = self.figures.median_days[row]
        if days is None:
            return Shown(None, NOT_AVAILABLE)
        contacted = self.values[("contacted", row)]
        if self.threshold and (("contacted", row) in self.hidden or contacted < self.threshold):
            # A median of a handful of dossiers says too much about each of them.
            return WITHHELD
        return Shown(days, formats.number_format(days, 1))

    # Takedown notices per platform ------------------------------------------------------

    def platform_rows(self) -> list[tuple[Hashable, str]]:
        """(row, label): the platforms of the list, the requests matched to none, all."""
        return [
            *self.figures.platforms.names.items(),
            (UNMATCHED, _("Not matched to the list")),
            (TOTAL, _("All notices")),
        ]

    def platform_cells(self, row: Hashable) -> list[Shown]:
        """The row's figures, in the order of ``PLATFORM_COLUMNS``."""
        platforms = self.figures.platforms
        if row not in platforms.counts:  # added to the list since the other period was read
            return [EMPTY] * len(PLATFORM_COLUMNS)
        return [
            self.platform_count(row, "sent"),
            *self._waits(row, platforms.acknowledgement[row]),
            *self._waits(row, platforms.decision[row]),
            *(self.share(row, measure) for measure in SHARES),
            *(self.platform_count(row, m) for m in ("complaints", "upheld", "reuploaded")),
        ]

    def platform_count(self, row: Hashable, measure: str) -> Shown:
        if row == TOTAL and measure != "sent":
            # Exact for internal use; for publication all notices are a total only.
            n = self.figures.platforms.counts[TOTAL][measure]
            if self.threshold:
                return Shown(None, NOT_PUBLISHED)
            return Shown(n, formats.number_format(n))
        return self.shown(_platform_key(row, measure))

    def share(self, row: Hashable, measure: str) -> Shown:
        """The percentage of the row's notices counted in ``measure``. Withheld with its
        count, or when the notices are (the share would give them away), or fewer than
        the threshold."""
        if row == TOTAL and self.threshold:
            return Shown(None, NOT_PUBLISHED)
        sent_key, key = _platform_key(row, "sent"), _platform_key(row, measure)
        sent = self.values[sent_key]
        if not sent and sent_key not in self.hidden:
            return EMPTY
        if self.threshold and (
            sent < self.threshold or sent_key in self.hidden or key in self.hidden
        ):
            return WITHHELD
        share = round(100 * self.figures.platforms.counts[row][measure] / sent, 1)
        return Shown(share, formats.number_format(share, 1))

    def _waits(self, row: Hashable, waits: Waits) -> list[Shown]:
        """The median and the 90th percentile, withheld when computed from fewer requests
        than the threshold."""
        if not waits.requests and _platform_key(row, "sent") not in self.hidden:
            return [EMPTY, EMPTY]
        if self.threshold and waits.requests < self.threshold:
            return [WITHHELD, WITHHELD]
        return [
            Shown(hours, formats.number_format(hours, 1)) for hours in (waits.median, waits.p90)
        ]

    def _platforms_json(self) -> dict:
        """Per platform of the list (by name), for the requests matched to none, and for
        all; each row by the codes of ``PLATFORM_COLUMNS``."""
        codes = [code for code, _label in PLATFORM_COLUMNS]

        def row_json(row: Hashable) -> dict:
            return {
                code: cell.json for code, cell in zip(codes, self.platform_cells(row), strict=True)
            }

        names = self.figures.platforms.names
        return {
            "platforms": {name: row_json(row) for row, name in names.items()},
            UNMATCHED: row_json(UNMATCHED),
            TOTAL: row_json(TOTAL),
        }

    @property
    def legend(self) -> str:
        if not self.threshold:
            return ""
        return _(
            "<%(k)d: fewer than %(k)d, not published (a total below %(k)d is not broken "
            "down: each of its parts shows <%(k)d, even 0). x: withheld so that a small "
            "number cannot be worked out from the totals. ·: all dossiers are given as a "
            "total only."
        ) % {"k": self.threshold}

    # Exports -----------------------------------------------------------------------

    def as_json(self) -> dict:
        """Codes for keys, every key present, zeros included; withheld cells as text."""
        figures = self.figures

        def per_row(table: str, rows) -> dict:
            return {
                row: {
                    column: self.cell(table, row, column).json
                    for column in figures.counts[table][row]
                }
                for row in rows
            }

        data: dict = {
            "period": {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()},
            "dossiers": self.shown(("by_form", ALL)).json,
            "by_form": {form: self.shown(("by_form", form)).json for form in FORMS},
        }
        for spec in CROSS_TABLES:
            if spec.total == "by_form":
                data[spec.name] = per_row(spec.key, FORMS)
                if not self.threshold:  # not broken down for publication
                    data[f"dossiers_by_{spec.key}"] = per_row(spec.key, [ALL])[ALL]
            else:
                data[spec.name] = per_row(spec.key, ROWS)
        data["first_contact"] = {
            row: {
                "dossiers": self.shown(("contacted", row)).json,
                "median_days": self.median_days(row).json,
            }
            for row in ROWS
        }
        data[SPECS_BY_KEY["platform"].name] = self._platforms_json()
        if self.threshold:
            data["suppression"] = {
                "threshold": self.threshold,
                "primary": f"<{self.threshold}",
                "secondary": "x",
            }
        return data

    def as_rows(self) -> list[tuple[str, str, str, int | float | str | None]]:
        """Every figure as (table, row, column, value), for a long-format CSV."""
        lines = [("by_form", row, "dossiers", self.shown(("by_form", row)).json) for row in ROWS]
        for spec in CROSS_TABLES:
            for row in ROWS:
                for column in self.figures.counts[spec.key][row]:
                    shown = self.cell(spec.key, row, column)
                    if shown.value is not None or shown.hidden:  # else: not published
                        lines.append((spec.name, row, column, shown.json))
                lines.append((spec.name, row, "total", self.total(spec.key, row).json))
        for row in ROWS:
            lines.append(("first_contact", row, "dossiers", self.shown(("contacted", row)).json))
            lines.append(("first_contact", row, "median_days", self.median_days(row).json))
        name = SPECS_BY_KEY["platform"].name
        names = self.figures.platforms.names
        for row, _label in self.platform_rows():
            cells = self.platform_cells(row)
            for (column, _heading), cell in zip(PLATFORM_COLUMNS, cells, strict=True):
                lines.append((name, names.get(row, row), column, cell.json))
        return lines


# Tables as a person reads them: each row of the period, with the previous period below.


@dataclass
class TableRow:
    label: str
    period_label: str
    previous: bool
    cells: list[Shown]


@dataclass
class Table:
    spec: Spec
    columns: list[str]
    rows: list[TableRow]
    legend: str
    chart: Chart | None = None  # drawn beside it, on the page

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def row_heading(self) -> str:
        return str(self.spec.row_heading)

    @property
    def title(self) -> str:
        return str(self.spec.title)

    @property
    def note(self) -> str:
        return str(self.spec.note)


def _row_cells(
    spec: Spec, publication: Publication, row: Hashable, columns: list[str]
) -> list[Shown]:
    if spec.key == "by_form":
        return [publication.shown(("by_form", row))]
    if spec.key == "first_contact":
        return [publication.shown(("contacted", row)), publication.median_days(row)]
    if spec.key == "platform":
        return publication.platform_cells(row)
    codes = list(publication.figures.counts[spec.key][row])
    cells = [
        publication.cell(spec.key, row, codes[index])
        if index < len(codes)
        else Shown(None, NOT_AVAILABLE)
        for index in range(len(columns) - 1)  # the last column is the total
    ]
    return [*cells, publication.total(spec.key, row)]


def table(spec: Spec, current: Publication, previous: Publication) -> Table:
    """One table: the rows of the period, each followed by the same row a year earlier.
    Columns line up by position (the previous period is the same dates earlier)."""
    rows = [(row, row_label(row)) for row in ROWS]
    if spec.key == "by_form":
        columns = [_("Dossiers")]
    elif spec.key == "first_contact":
        columns = [_("Dossiers contacted"), _("Median days to first contact")]
    elif spec.key == "platform":
        columns = [str(label) for _code, label in PLATFORM_COLUMNS]
        rows = current.platform_rows()
    else:
        columns = [label for _code, label in spec.columns(current.period)] + [_("Total")]
    lines = []
    for row, label in rows:
        for publication, is_previous in ((current, False), (previous, True)):
            lines.append(
                TableRow(
                    label=label,
                    period_label=publication.period.label,
                    previous=is_previous,
                    cells=_row_cells(spec, publication, row, columns),
                )
            )
    return Table(spec, columns, lines, current.legend)


def tables(current: Publication, previous: Publication) -> list[Table]:
    return [table(spec, current, previous) for spec in SPECS]
