"""The table's CHECK constraints, checked in Python before an insert.

Django checks a CheckConstraint by asking the database (a query in a savepoint, each
time). The dossier's constraints are simple (fields equal to values, joined by and, or
and not), so they can be read on the instance itself: the same rule, written once in
Meta.constraints, with no round trip. The database still enforces them on insert."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q


def holds(condition: Q, instance: models.Model) -> bool:
    """Whether ``instance`` meets ``condition``, a Q of exact lookups (``field=value``)."""
    results = []
    for child in condition.children:
        if isinstance(child, Q):
            results.append(holds(child, instance))
            continue
        name, value = child
        if "__" in name:
            raise ValueError(f"only exact lookups can be read in Python, not {name!r}")
        results.append(getattr(instance, name) == value)
    met = all(results) if condition.connector == Q.AND else any(results)
    return not met if condition.negated else met


def check_constraints(instance: models.Model) -> None:
    """Raise the ValidationError of every CHECK constraint ``instance`` breaks."""
    broken = [
        constraint.get_violation_error_message()
        for constraint in instance._meta.constraints
        if isinstance(constraint, models.CheckConstraint)
        and not holds(constraint.condition, instance)
    ]
    if broken:
        raise ValidationError(broken)
