"""Small-cell suppression: small counts withheld, and none recoverable from the totals.

The audit below is independent of the suppression code: it searches, by plain
backtracking over whole integer tables, for a second table that agrees with everything
published (the shown figures, "<K" meaning 1 to K-1, "x" meaning at least K, every row
adding up to its total, and every form's column at most the "all dossiers" column while
the forms together reach it). A withheld cell is safe when it takes at least two values
across such tables.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from reporting.periods import Period
from reporting.publication import CROSS_TABLES, FORMS, Publication
from reporting.statistics import ALL, ROWS, compute
from reporting.suppression import Hidden, Relations, suppress
from tests.factories import DossierFactory

COLUMNS = ("a", "b", "c")


def _random_table(rng: random.Random, dossiers: int):
    """A form x category table counted from dossiers that have one or two forms, with
    its totals and the number of all dossiers, linked as a reader sees them."""
    cells = {(form, column): 0 for form in FORMS for column in COLUMNS}
    distinct = 0
    for _ in range(dossiers):
        forms = rng.sample(FORMS, 2 if rng.random() < 0.2 else 1)
        column = rng.choice(COLUMNS)
        distinct += 1
        for form in forms:
            cells[(form, column)] += 1
    values = dict(cells)
    values[("total", ALL)] = distinct
    relations = Relations()
    for form in FORMS:
        values[("total", form)] = sum(cells[(form, c)] for c in COLUMNS)
        relations.add_eq([(form, c) for c in COLUMNS], ("total", form))
    relations.add_ge([("total", form) for form in FORMS], ("total", ALL))
    return values, relations


def _consistent(values, hidden, relations, assignment) -> bool:
    """False as soon as a relation is broken by the figures known so far."""

    def get(key):
        return assignment.get(key) if key in hidden else values[key]

    for parts, total in relations.eq:
        known = [get(p) for p in (*parts, total)]
        if None in known:
            partial = sum(v for v in known[:-1] if v is not None)
            if known[-1] is not None and partial > known[-1]:
                return False
            continue
        if sum(known[:-1]) != known[-1]:
            return False
    for parts, whole in relations.ge:
        known = [get(p) for p in (*parts, whole)]
        if None in known:
            continue
        if sum(known[:-1]) < known[-1] or max(known[:-1]) > known[-1]:
            return False
    return True


def _unknowns(values, hidden, k, unshown, cap):
    """What a reader knows of each withheld figure (the values it may take), and those
    that must not be worked out: every withheld figure, and the small unshown ones."""
    ranges = {
        Hidden.PRIMARY: range(1, k),  # "<K" in a row with a published total
        Hidden.PART: range(k),  # "<K" in a row whose total is itself below K
        Hidden.SECONDARY: range(k, cap + 1),  # "x"
        Hidden.UNSHOWN: range(cap + 1),  # never published
    }
    domains = {key: ranges[state] for key, state in hidden.items()}
    domains.update((key, ranges[Hidden.UNSHOWN]) for key in unshown)
    watched = [key for key in domains if key not in unshown or 1 <= values[key] < k]
    return domains, watched


def _forced(values, unknowns, relations, assignment: dict):
    """A withheld figure that is the only unknown of an equality, and its value."""
    for parts, total in relations.eq:
        members = (*parts, total)
        unknown = [m for m in members if m in unknowns and m not in assignment]
        if len(unknown) == 1:
            known = {m: assignment.get(m, values[m]) for m in members if m != unknown[0]}
            parts_sum = sum(known[p] for p in parts if p != unknown[0])
            return unknown[0], (known[total] - parts_sum if unknown[0] != total else parts_sum)
    return None


def recoverable(values, hidden, relations, k) -> list:
    """The withheld cells that take one value only in every table consistent with what
    is published (exhaustive search; small tables only)."""
    domains, _watched = _unknowns(values, hidden, k, (), sum(values.values()) + k)
    # Row by row, each total after its cells, so that relations are checked early.
    order = sorted(
        hidden,
        key=lambda key: (key[1], key[0] == "total") if key[0] == "total" else (key[0], False),
    )
    seen = {key: set() for key in order}

    def search(assignment: dict) -> None:
        if all(len(values_) > 1 for values_ in seen.values()):
            return
        if len(assignment) == len(order):
            for key, value in assignment.items():
                seen[key].add(value)
            return
        step = _forced(values, hidden, relations, assignment)
        if step is not None:
            key, value = step
            choices = [value] if value in domains[key] else []
        else:
            key = next(key for key in order if key not in assignment)
            choices = domains[key]
        for value in choices:
            assignment[key] = value
            if _consistent(values, hidden, relations, assignment):
                search(assignment)
            del assignment[key]

    search({})
    return [key for key in order if len(seen[key]) < 2]


def same_in_every_table_found(
    values, hidden, relations, k, unshown=(), *, cap: int, tables: int = 400, seed: int = 0
) -> list:
    """For tables too large to search exhaustively: builds up to ``tables`` tables that
    agree with everything published, each withheld figure chosen at random (none above
    ``cap``), and returns the figures that were the same in all of them. An empty
    answer proves that none can be worked out (two tables differ on each); a figure
    returned may only have been unlucky."""
    rng = random.Random(seed)
    domains, watched = _unknowns(values, hidden, k, unshown, cap)
    unknowns = dict.fromkeys(domains)
    seen = {key: set() for key in watched}
    # Totals before their parts, so that a part too large is refused at once.
    depth = dict.fromkeys(domains, 0)
    for _round in range(len(relations.eq)):
        for parts, total in relations.eq:
            for part in parts:
                if part in depth and total in depth:
                    depth[part] = max(depth[part], depth[total] + 1)

    def build(assignment: dict, order: list, budget: list) -> dict | None:
        budget[0] -= 1
        if budget[0] < 0:
            return None
        if len(assignment) == len(order):
            return dict(assignment)
        step = _forced(values, unknowns, relations, assignment)
        if step is not None:
            key, value = step
            choices = [value] if value in domains[key] else []
        else:
            key = next(key for key in order if key not in assignment)
            choices = rng.sample(domains[key], len(domains[key]))
        for value in choices:
            assignment[key] = value
            if _consistent(values, unknowns, relations, assignment):
                found = build(assignment, order, budget)
                if found is not None:
                    return found
            del assignment[key]
        return None

    for _table in range(tables):
        order = sorted(domains, key=lambda key: (depth[key], rng.random()))
        found = build({}, order, [5000])
        if found is not None:
            for key in watched:
                seen[key].add(found[key])
        if all(len(values_) > 1 for values_ in seen.values()):
            break
    return [key for key in watched if len(seen[key]) < 2]


def test_the_audit_finds_a_cell_given_away_by_its_total():
    values = {("ncii", "a"): 2, ("ncii", "b"): 6, ("ncii", "c"): 0, ("total", "ncii"): 8}
    relations = Relations()
    relations.add_eq([("ncii", c) for c in COLUMNS], ("total", "ncii"))
    only_primary = {("ncii", "a"): Hidden.PRIMARY}
    assert recoverable(values, only_primary, relations, 5) == [("ncii", "a")]
    hidden = suppress(values, relations, 5)
    assert hidden == {("ncii", "a"): Hidden.PRIMARY, ("ncii", "b"): Hidden.SECONDARY}
    assert recoverable(values, hidden, relations, 5) == []


def test_a_secondary_cell_must_leave_room_for_the_small_one():
    # 1 + 5 = 6: with "x" meaning at least 5, the two withheld cells could only be 1 and 5.
    values = {("ncii", "a"): 1, ("ncii", "b"): 5, ("ncii", "c"): 9, ("total", "ncii"): 15}
    relations = Relations()
    relations.add_eq([("ncii", c) for c in COLUMNS], ("total", "ncii"))
    assert recoverable(
        values, {("ncii", "a"): Hidden.PRIMARY, ("ncii", "b"): Hidden.SECONDARY}, relations, 5
    ) == [("ncii", "a"), ("ncii", "b")]
    hidden = suppress(values, relations, 5)
    assert recoverable(values, hidden, relations, 5) == []
    assert hidden[("ncii", "a")] == Hidden.PRIMARY


@pytest.mark.parametrize("seed", range(80))
def test_no_withheld_cell_can_be_worked_out(seed):
    rng = random.Random(seed)
    k = rng.choice([3, 4, 5])
    values, relations = _random_table(rng, rng.randint(2, 16))
    hidden = suppress(values, relations, k)
    assert all(key in hidden for key, value in values.items() if 1 <= value < k)
    assert all((values[key] >= k) == (state == Hidden.SECONDARY) for key, state in hidden.items())
    assert recoverable(values, hidden, relations, k) == []


def test_threshold_below_three_is_refused():
    with pytest.raises(ValueError):
        suppress({"a": 1}, Relations(), 2)
    # In the language asked for, whatever is active.
    with translation.override("fr"), pytest.raises(CommandError, match="at least 3"):
        call_command(
            "export_statistics",
            "--from",
            "2021-01-01",
            "--to",
            "2021-12-31",
            "--suppress",
            "2",
            "--language",
            "en",
        )


@pytest.mark.django_db
def test_published_figures_agree_across_tables():
    for index in range(40):
        DossierFactory(
            received_at=datetime(2021, 1 + index % 12, 3, tzinfo=UTC),
            form_voyeurism=index % 9 == 0,
            form_ncii=index % 9 != 0 or index % 2 == 0,
        )
    publication = Publication(compute(Period.year(2021)), 5)
    assert publication.hidden, "this period has small cells"
    for row in ROWS:
        shown = publication.shown(("by_form", row)).text
        for spec in CROSS_TABLES:
            if spec.total == "by_form":
                assert publication.total(spec.key, row).text == shown
    for key, state in publication.hidden.items():
        shown = publication.shown(key)
        assert shown.value is None
        assert shown.text == ("x" if state == Hidden.SECONDARY else "<5")
    visible = [key for key in publication.values if key not in publication.hidden]
    assert all(publication.shown(key).value == publication.values[key] for key in visible)
    assert Publication(compute(Period.year(2021))).hidden == {}
