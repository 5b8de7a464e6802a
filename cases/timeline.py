"""A dossier's timeline as staff read it: its events, with the field changes a
correction made shown as before/after, in words rather than codes."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .choices import EventKind
from .models import Dossier, DossierEvent

# Columns that change as a side effect of every save; not worth a line.
_NOT_SHOWN = {"updated_at", "first_contact_due"}


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


def _readable(field: models.Field, value) -> str:
    if value is None or value == "":
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return _("yes") if value else _("no")
    if isinstance(field, models.DateTimeField):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    return str(value)


def _label(name: str) -> str:
    return str(Dossier._meta.get_field(name).verbose_name).capitalize()


def _changes_between(old, new) -> list[FieldChange]:
    changes = []
    for change in new.diff_against(old).changes:
        if change.field in _NOT_SHOWN:
            continue
        field = Dossier._meta.get_field(change.field)
        changes.append(
            FieldChange(
                _label(change.field), _readable(field, change.old), _readable(field, change.new)
            )
        )
    return changes


def timeline(dossier: Dossier) -> list[tuple[DossierEvent, list[FieldChange]]]:
    """Every event of the dossier, oldest first, each with the field changes it made.

    Queries: the events (with actor, takedown and referral) and, if any event carries a
    field change, the dossier's history once."""
    events = list(
        DossierEvent.objects.filter(dossier=dossier).select_related(
            "actor", "assignee", "takedown__location", "referral"
        )
    )
    wanted = {event.history_id for event in events if event.history_id}
    changes: dict[int, list[FieldChange]] = {}
    if wanted:
        records = list(dossier.history.order_by("history_id"))
        for previous, record in pairwise(records):
            if record.history_id in wanted:
                changes[record.history_id] = _changes_between(previous, record)
    result = []
    for event in events:
        lines = list(changes.get(event.history_id, []))
        if event.kind in (EventKind.DETAILS_CHANGED, EventKind.CONTACT_CHANGED):
            # Personal fields are not in the history: say only that they changed.
            lines += [
                FieldChange(_label(name), "", _("changed"))
                for name in filter(None, event.detail.split(","))
            ]
        result.append((event, lines))
    return result
