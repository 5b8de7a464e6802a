"""Takedown notices per platform of the Institute's list, the figures the Institute gives
the Digital Services Coordinator: how many notices were sent, how fast each platform
acknowledged and decided, what it decided, the internal complaints against its decisions
and the content seen online again.

A request counts in the period it was sent (``sent_at``, in Brussels), with what has come
of it so far, like the takedown outcomes of the other tables. Only coded columns and the
platform's name from the Institute's list are read.

Definitions:
- removed: a decision that took the content out of reach (``TAKEDOWN_ACTED``: removed,
  restricted, or blocked in Belgium or the EU);
- unanswered: recorded as "no answer", or still awaiting a decision after its decision
  deadline at the moment the figures are computed;
- waiting (not shown, the rest): awaiting a decision, its deadline still to come;
- hours to acknowledgement: from sending to ``acknowledged_at``, over the requests
  acknowledged; hours to decision: from sending to ``outcome_at``, over the requests
  decided (removed, restricted, blocked or refused: "no answer" is not a decision);
- median and 90th percentile: linear interpolation between the closest ranks (numpy's
  default, PostgreSQL's ``percentile_cont``), computed here from the hours so that every
  database gives the same answer to the last digit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, Count, DurationField, ExpressionWrapper, F, Q, When
from django.utils import timezone

from cases.choices import TAKEDOWN_ACTED, ComplaintOutcome, TakedownOutcome
from cases.models import Platform, TakedownRequest

from .periods import Period

UNMATCHED = "unmatched"  # the row of requests whose location has no platform of the list
TOTAL = "all"  # the row of every request
# What is counted per row. "waiting" is shown nowhere: it is what remains of the notices
# sent once the decisions and the unanswered are counted.
COUNTS = ("sent", "acted", "refused", "unanswered", "waiting", "complaints", "upheld", "reuploaded")
DECISIONS = (*TAKEDOWN_ACTED, TakedownOutcome.REFUSED)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Waits:
    """Hours from sending to a step: over how many requests, their median and 90th
    percentile (to one decimal; None without any request)."""

    requests: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, hours: list[float]) -> Waits:
        median, p90 = percentile(hours, 50), percentile(hours, 90)
        return cls(
            len(hours),
            None if median is None else round(median, 1),
            None if p90 is None else round(p90, 1),
        )


@dataclass
class PlatformFigures:
    """The notices of one period per row: each platform of the list (by id, in the
    order of their names), ``UNMATCHED`` and ``TOTAL``."""

    names: dict[int, str]
    counts: dict[Hashable, dict[str, int]]
    acknowledgement: dict[Hashable, Waits]
    decision: dict[Hashable, Waits]

    @property
    def rows(self) -> list[Hashable]:
        return [*self.names, UNMATCHED, TOTAL]


def percentile(values: list[float], percent: int) -> float | None:
    """The ``percent``th percentile by linear interpolation between the closest ranks: of
    n sorted values, position (n - 1) * percent / 100, counted from 0, and the value that
    far between its two neighbours (numpy's default; PostgreSQL's percentile_cont). The
    position is computed in integers, so no rounding moves it."""
    if not values:
        return None
    ordered = sorted(values)
    below, rest = divmod((len(ordered) - 1) * percent, 100)
    if not rest:
        return ordered[below]
    return ordered[below] + (ordered[below + 1] - ordered[below]) * rest / 100


def _since_sent(step: str) -> ExpressionWrapper:
    """From sending to ``step``, subtracted by the database (exact to the microsecond on
    both): half as much to read as the two moments, which is most of the time taken."""
    return ExpressionWrapper(F(step) - F("sent_at"), output_field=DurationField())


def _counts(now: datetime) -> dict[str, Count]:
    pending = Q(outcome=TakedownOutcome.PENDING)
    complained = Q(complaint_lodged_on__isnull=False)
    return {
        "sent": Count("pk"),
        "acted": Count("pk", filter=Q(outcome__in=TAKEDOWN_ACTED)),
        "refused": Count("pk", filter=Q(outcome=TakedownOutcome.REFUSED)),
        "unanswered": Count(
            "pk", filter=Q(outcome=TakedownOutcome.NO_ANSWER) | (pending & Q(deadline__lt=now))
        ),
        "waiting": Count("pk", filter=pending & Q(deadline__gte=now)),
        "complaints": Count("pk", filter=complained),
        # Upheld only when lodged, so that the upheld never outnumber the complaints.
        "upheld": Count("pk", filter=complained & Q(complaint_outcome=ComplaintOutcome.UPHELD)),
        "reuploaded": Count("pk", filter=Q(reuploaded_on__isnull=False)),
    }


def platform_figures(period: Period, *, now: datetime | None = None) -> PlatformFigures:
    """The notices sent in ``period``: one grouped count, and the times of the requests
    acknowledged or decided (a few thousand a year), both through the index on
    ``sent_at``; then the list, read last so that it names every platform counted."""
    now = now or timezone.now()
    start, end = period.bounds()
    sent = TakedownRequest.objects.filter(sent_at__gte=start, sent_at__lt=end)
    groups = sent.values("location__platform").annotate(**_counts(now)).order_by()
    waits = (
        sent.filter(
            Q(acknowledged_at__isnull=False) | Q(outcome__in=DECISIONS, outcome_at__isnull=False)
        )
        .annotate(
            to_acknowledgement=_since_sent("acknowledged_at"),
            to_decision=Case(When(outcome__in=DECISIONS, then=_since_sent("outcome_at"))),
        )
        .values_list("location__platform", "to_acknowledgement", "to_decision")
        .order_by()
    )
    counted: dict[Hashable, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    for group in groups:
        row = group.pop("location__platform") or UNMATCHED
        for name, n in group.items():
            counted[row][name] += n
            counted[TOTAL][name] += n
    acknowledged: dict[Hashable, list[float]] = defaultdict(list)
    decided: dict[Hashable, list[float]] = defaultdict(list)
    for platform, to_acknowledgement, to_decision in waits:
        for row in (platform or UNMATCHED, TOTAL):
            if to_acknowledgement is not None:
                acknowledged[row].append(to_acknowledgement / HOUR)
            if to_decision is not None:
                decided[row].append(to_decision / HOUR)
    # Sorted here: databases order names by their own collations.
    names = dict(
        sorted(
            Platform.objects.order_by().values_list("pk", "name"),
            key=lambda item: item[1].casefold(),
        )
    )
    rows = [*names, UNMATCHED, TOTAL]
    return PlatformFigures(
        names=names,
        counts={row: counted[row] for row in rows},
        acknowledgement={row: Waits.of(acknowledged[row]) for row in rows},
        decision={row: Waits.of(decided[row]) for row in rows},
    )
