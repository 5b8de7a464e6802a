"""Small-cell suppression for published figures.

A count from 1 to K-1 is not published (primary suppression, shown as "<K"). Because the
tables also publish totals, hiding a small cell alone is not enough: a row total minus
the other cells of the row would give it back. Further cells are therefore withheld
(secondary suppression, shown as "x") until no withheld cell can be worked out.

The figures of one period form a set of variables, each published once whatever table
shows it (a per-form total appears in several tables: it is withheld in all or none),
linked by what a reader knows of them:

- ``eq``: the cells of a row add up to its total (also: months add up to half-years);
- ``ge``: a dossier with several forms counts under each, so the rows of the forms add
  up to at least the row of all dossiers, and none exceeds it.

A reader who knows the rule knows that a "<K" cell is from 1 to K-1, and that an "x"
cell is at least K (it would be "<K" otherwise; zeros are published). Starting from
these ranges and the published values, the ranges are narrowed through every relation
until nothing changes. A withheld cell whose range has shrunk to one value can be worked
out: the smallest published non-zero cell it is linked with is withheld too, preferring
inner cells to totals, and the check runs again.

Some figures are never shown but follow from those that are (a platform's notices still
awaiting a decision are its notices less those decided and those unanswered). They take
part in the relations as unknowns, from 0 up; working one out is a leak only when it is
a small count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Hashable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

UNBOUNDED = 10**12
# The narrowing always converges; this only guards against a bug turning into a hang.
MAX_ROUNDS = 1000


class Hidden(StrEnum):
    PRIMARY = "primary"  # a small count (1 to K-1), shown as "<K"
    # A part of a total below K (even 0), also shown as "<K": a total below K is not
    # broken down, or its zeros would tell how its few dossiers are spread.
    PART = "part"
    SECONDARY = "secondary"  # withheld to protect a small count, shown as "x"
    # Never shown, though a reader may work it out from figures that are (the notices
    # of a platform still awaiting a decision: those sent less the decided and the
    # unanswered). It may be worked out, unless it is a small count.
    UNSHOWN = "unshown"


def _bounds(state: Hidden, threshold: int) -> tuple[int, int]:
    """What a reader knows of a withheld figure."""
    return {
        Hidden.PRIMARY: (1, threshold - 1),
        Hidden.PART: (0, threshold - 1),
        Hidden.SECONDARY: (threshold, UNBOUNDED),
        Hidden.UNSHOWN: (0, UNBOUNDED),
    }[state]


@dataclass
class Relations:
    """What a reader knows links the published figures."""

    eq: list[tuple[tuple[Hashable, ...], Hashable]] = field(default_factory=list)
    ge: list[tuple[tuple[Hashable, ...], Hashable]] = field(default_factory=list)

    def add_eq(self, parts: Iterable[Hashable], total: Hashable) -> None:
        self.eq.append((tuple(parts), total))

    def add_ge(self, parts: Iterable[Hashable], whole: Hashable) -> None:
        self.ge.append((tuple(parts), whole))

    def neighbours(self) -> dict[Hashable, list[tuple[int, Hashable]]]:
        """For each variable, the others it shares a relation with: equalities first."""
        linked: dict[Hashable, list[tuple[int, Hashable]]] = defaultdict(list)
        for rank, relations in ((0, self.eq), (1, self.ge)):
            for parts, total in relations:
                members = (*parts, total)
                for member in members:
                    linked[member].extend((rank, other) for other in members if other != member)
        return linked

    def totals(self) -> set[Hashable]:
        return {total for _, total in self.eq} | {whole for _, whole in self.ge}


def ranges(
    values: dict[Hashable, int],
    hidden: dict[Hashable, Hidden],
    relations: Relations,
    threshold: int,
) -> dict[Hashable, tuple[int, int]]:
    """The range a reader can narrow each variable down to (a published one is exact)."""
    low: dict[Hashable, int] = {}
    high: dict[Hashable, int] = {}
    for key, value in values.items():
        state = hidden.get(key)
        if state is None:
            low[key] = high[key] = value
        else:
            low[key], high[key] = _bounds(state, threshold)

    def tighten(key: Hashable, lo: int, hi: int) -> bool:
        changed = False
        if lo > low[key]:
            low[key], changed = lo, True
        if hi < high[key]:
            high[key], changed = hi, True
        return changed

    for _round in range(MAX_ROUNDS):
        changed = False
        for parts, total in relations.eq:
            sum_low = sum(low[p] for p in parts)
            sum_high = sum(high[p] for p in parts)
            changed |= tighten(total, sum_low, sum_high)
            for part in parts:
                others_low = sum_low - low[part]
                others_high = sum_high - high[part]
                changed |= tighten(part, low[total] - others_high, high[total] - others_low)
        for parts, whole in relations.ge:
            sum_high = sum(high[p] for p in parts)
            changed |= tighten(whole, max(low[p] for p in parts), sum_high)
            for part in parts:
                changed |= tighten(part, low[whole] - (sum_high - high[part]), high[whole])
        if not changed:
            break
    return {key: (low[key], high[key]) for key in values}


def exposed(
    values: dict[Hashable, int],
    hidden: dict[Hashable, Hidden],
    relations: Relations,
    threshold: int,
) -> list[Hashable]:
    """Withheld variables a reader could work out exactly (unshown ones: if small)."""
    narrowed = ranges(values, hidden, relations, threshold)
    return [
        key
        for key, state in hidden.items()
        if narrowed[key][0] == narrowed[key][1]
        and (state != Hidden.UNSHOWN or 1 <= values[key] < threshold)
    ]


def suppress(
    values: dict[Hashable, int],
    relations: Relations,
    threshold: int,
    unshown: Collection[Hashable] = (),
) -> dict[Hashable, Hidden]:
    """Which variables to withhold, and why, so that none can be worked out. The
    ``unshown`` ones are never published: they count only for what a reader can work out
    (they are marked ``UNSHOWN``, or ``PART`` as the parts of a small total)."""
    if threshold < 3:
        # With K=2, "<2" could only mean 1: there would be nothing to protect.
        raise ValueError("the suppression threshold must be at least 3")
    hidden = {
        key: Hidden.PRIMARY
        for key, value in values.items()
        if 1 <= value < threshold and key not in unshown
    }
    if not hidden and not any(1 <= values[key] < threshold for key in unshown):
        return dict.fromkeys(unshown, Hidden.UNSHOWN)
    hidden.update((key, Hidden.UNSHOWN) for key in unshown)
    # A total below K is not broken down: all its parts are shown alike, zeros included.
    small = {key for key, state in hidden.items() if state == Hidden.PRIMARY}
    while small:
        parts = {part for parts, total in relations.eq if total in small for part in parts} - {
            key for key, state in hidden.items() if state == Hidden.PART
        }
        for part in parts:
            hidden[part] = Hidden.PART
        small = parts
    linked = relations.neighbours()
    totals = relations.totals()
    leaks = exposed(values, hidden, relations, threshold)
    while leaks:
        # Of the published cells next to a leak, withhold the one that leaves the fewest
        # leaks (a leak often follows from another: fix the cause, not every symptom);
        # on a tie, an inner cell before a total, then the smallest.
        candidates = {
            other
            for leak in leaks
            for _rank, other in linked.get(leak, [])
            if other not in hidden and values[other] > 0
        }
        if not candidates:
            # Nothing left to withhold next to it: withhold everything.
            for key, value in values.items():
                hidden.setdefault(key, Hidden.SECONDARY if value >= threshold else Hidden.PART)
            return hidden
        best = None
        for candidate in candidates:
            trial = {**hidden, candidate: Hidden.SECONDARY}
            remaining = exposed(values, trial, relations, threshold)
            score = (len(remaining), candidate in totals, values[candidate], str(candidate))
            if best is None or score < best[0]:
                best = (score, candidate, remaining)
        _score, chosen, leaks = best
        hidden[chosen] = Hidden.SECONDARY
    return hidden
