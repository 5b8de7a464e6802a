"""The published charts: grouped bars of dossiers per form of abuse, by period, by who
reported and by language, and of what came of the takedown notices per platform. Drawn
on the server (no script on the page), as SVG for the page and for print, and as PNG for
office documents."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.utils.translation import gettext as _

from cases.choices import FormOfAbuse, Language, ReporterCategory

from .platforms import TOTAL
from .publication import FORMS, SPECS, Publication, Shown

# A palette that stays distinguishable for colour-blind readers (Okabe and Ito).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]
CHARTS = ("period", "reporter", "language", "platform")
# The charts shown with the charts of the forms of abuse; the others beside their table.
PAGE_CHARTS = tuple(key for key in CHARTS if key not in {spec.chart for spec in SPECS})
WITH_PREVIOUS = {"period"}  # the charts that show the same period a year earlier
FORMATS = {"svg": "image/svg+xml", "png": "image/png"}
MANY_GROUPS = 5  # from there on, the labels under the bars are slanted


@dataclass
class Series:
    label: str
    values: list[Shown]  # one per group


@dataclass
class Chart:
    key: str
    title: str
    groups: list[str]  # the labels under each group of bars
    series: list[Series]
    axis: str  # what the bars measure

    @property
    def description(self) -> str:
        """The chart in words, for the image's text alternative."""
        parts = []
        for index, group in enumerate(self.groups):
            figures = ", ".join(f"{s.label} {s.values[index].text}" for s in self.series)
            parts.append(f"{group}: {figures}")
        if not parts:  # no platform had a notice
            return f"{self.title}."
        return f"{self.title}. " + "; ".join(parts) + "."


def chart(key: str, current: Publication, previous: Publication | None) -> Chart:
    period = current.period.label
    if key == "platform":
        return _platform_chart(current)
    if key == "period":
        series = [
            Series(publication.period.label, [publication.shown(("by_form", f)) for f in FORMS])
            for publication in (previous, current)
        ]
        title = _("Dossiers per form of abuse, %(period)s and the year before") % {"period": period}
    elif key == "reporter":
        series = [
            Series(str(label), [current.cell("reporter", f, code) for f in FORMS])
            for code, label in ReporterCategory.choices
        ]
        title = _("Dossiers per form of abuse by who reported, %(period)s") % {"period": period}
    elif key == "language":
        series = [
            Series(str(label), [current.cell("language", f, code) for f in FORMS])
            for code, label in Language.choices
        ]
        title = _("Dossiers per form of abuse by language, %(period)s") % {"period": period}
    else:
        raise KeyError(key)
    forms = [str(FormOfAbuse(form).label) for form in FORMS]
    return Chart(key, title, forms, series, _("Dossiers"))


def _platform_chart(publication: Publication) -> Chart:
    """The shares of the notices removed, refused and unanswered, per platform and (for
    internal use) for all. A platform is left out only when it is shown to have had no
    notice: one whose notices are withheld keeps its place, its bars withheld too."""
    rows = [
        (row, label)
        for row, label in publication.platform_rows()
        if (
            not publication.threshold
            if row == TOTAL
            else publication.platform_count(row, "sent").value != 0
        )
    ]
    measures = [("acted", _("Removed")), ("refused", _("Refused")), ("unanswered", _("Unanswered"))]
    series = [
        Series(label, [publication.share(row, measure) for row, _label in rows])
        for measure, label in measures
    ]
    title = _("Takedown notices per platform: removed, refused, unanswered, %(period)s") % {
        "period": publication.period.label
    }
    groups = [label for _row, label in rows]
    return Chart("platform", title, groups, series, _("Share of the notices sent (%)"))


# The statistics page shows each chart at its own width (990 px: 9 in at 110 dpi), so a
# 10-point label is 15 px on screen, and a title 20 px.
FIGURE_INCHES = (9, 4.8)
DPI = 110
LABEL_PT, TEXT_PT, TITLE_PT = 10, 11, 13


def render(chart: Chart, fmt: str) -> bytes:
    """The chart as SVG (text kept as text) or PNG."""
    # Imported here, not with the module: matplotlib (and numpy) would otherwise sit in
    # every web worker's memory from its first request, charts or not.
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": chart.key}):
        figure = Figure(figsize=FIGURE_INCHES, dpi=DPI, layout="constrained")
        axes = figure.subplots()
        groups = len(chart.groups)
        width = 0.8 / len(chart.series)
        tallest = max((v.value or 0 for s in chart.series for v in s.values), default=0) or 1
        for index, series in enumerate(chart.series):
            offsets = [g - 0.4 + width * (index + 0.5) for g in range(groups)]
            heights = [value.value or 0 for value in series.values]
            bars = axes.bar(
                offsets, heights, width, label=series.label, color=PALETTE[index % len(PALETTE)]
            )
            axes.bar_label(
                bars, labels=[value.text for value in series.values], padding=2, fontsize=LABEL_PT
            )
        axes.set_xticks(range(groups), chart.groups, fontsize=TEXT_PT)
        if groups >= MANY_GROUPS:
            axes.tick_params(axis="x", labelrotation=30)
            for label in axes.get_xticklabels():
                label.set_horizontalalignment("right")
        axes.set_ylim(0, tallest * 1.15)
        axes.set_ylabel(chart.axis, fontsize=TEXT_PT)
        axes.tick_params(axis="y", labelsize=LABEL_PT)
        axes.set_title(chart.title, fontsize=TITLE_PT, loc="left")
        axes.spines[["top", "right"]].set_visible(False)
        axes.legend(
            frameon=False, fontsize=LABEL_PT, ncols=min(len(chart.series), 5), loc="upper right"
        )
        buffer = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {}
        figure.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()
