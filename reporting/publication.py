"""The figures of a period as they are shown and exported: tables, with or without
small-cell suppression.

Every figure is a variable with one key, whichever table shows it (a per-form total is
the total column of several tables), so suppression withholds it everywhere or nowhere.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

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
from .statistics import ALL, ROWS, Figures, half_key, half_of, month_key, row_label
from .suppression import Hidden, Relations, suppress

FORMS = [form.value for form in FormOfAbuse]
NOT_AVAILABLE = "\N{EN DASH}"
NOT_PUBLISHED = "\N{MIDDLE DOT}"


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


class Publication:
    """The figures of one period, with the cells withheld for suppression threshold
    ``threshold`` (none when ``threshold`` is None: the internal, exact view)."""

    def __init__(self, figures: Figures, threshold: int | None = None) -> None:
        self.figures = figures
        self.period = figures.period
        self.threshold = threshold
        self.values, self.relations = self._variables(figures)
        self.hidden = suppress(self.values, self.relations, threshold) if threshold else {}

    @staticmethod
    def _variables(figures: Figures) -> tuple[dict[Hashable, int], Relations]:
        """The figures and what links them. The rows of all dossiers are published as
        totals only (never broken down next to the forms: a form's column and the
        column of all dossiers would together give small numbers away), and months
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
        return values, relations

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
            return Shown(None, "x", Hidden.SECONDARY)
        return Shown(days, formats.number_format(days, 1))

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

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def title(self) -> str:
        return str(self.spec.title)

    @property
    def note(self) -> str:
        return str(self.spec.note)


def _row_cells(spec: Spec, publication: Publication, row: str, columns: list[str]) -> list[Shown]:
    if spec.key == "by_form":
        return [publication.shown(("by_form", row))]
    if spec.key == "first_contact":
        return [publication.shown(("contacted", row)), publication.median_days(row)]
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
    if spec.key == "by_form":
        columns = [_("Dossiers")]
    elif spec.key == "first_contact":
        columns = [_("Dossiers contacted"), _("Median days to first contact")]
    else:
        columns = [label for _code, label in spec.columns(current.period)] + [_("Total")]
    rows = []
    for row in ROWS:
        for publication, is_previous in ((current, False), (previous, True)):
            rows.append(
                TableRow(
                    label=row_label(row),
                    period_label=publication.period.label,
                    previous=is_previous,
                    cells=_row_cells(spec, publication, row, columns),
                )
            )
    return Table(spec, columns, rows, current.legend)


def tables(current: Publication, previous: Publication) -> list[Table]:
    return [table(spec, current, previous) for spec in SPECS]
