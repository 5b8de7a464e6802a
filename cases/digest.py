"""The daily digest: what is late for each person who handles dossiers.

Celery beat queues one digest per staff member per day through the outbox; the mail is
rendered when it is sent, so it shows the state of that moment. It lists references and
dates only: nothing about what happened or who reported it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from institute.roles import HANDLING_ROLES, staff_with_roles

from .access import handled_by
from .models import Dossier, TakedownRequest
from .outbox import OutboxMessage, notify_daily_digest

DIGEST_LIST_LIMIT = 30


@dataclass(frozen=True)
class Digest:
    overdue: list[Dossier]
    overdue_count: int
    takedowns: list[TakedownRequest]
    takedowns_count: int

    @property
    def empty(self) -> bool:
        return not (self.overdue_count or self.takedowns_count)


def digest_for(user, now=None) -> Digest:
    now = now or timezone.now()
    dossiers = handled_by(user)
    overdue = dossiers.overdue(now).order_by("first_contact_due", "id")
    takedowns = (
        TakedownRequest.objects.due(now)
        .filter(dossier__in=dossiers)
        .select_related("dossier")
        .order_by("deadline", "id")
    )
    return Digest(
        overdue=list(overdue[:DIGEST_LIST_LIMIT]),
        overdue_count=overdue.count(),
        takedowns=list(takedowns[:DIGEST_LIST_LIMIT]),
        takedowns_count=takedowns.count(),
    )


def send_daily_digests(now=None) -> list[OutboxMessage]:
    """Queue today's digest for every active handler with something late. Idempotent."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    queued = []
    for user in staff_with_roles(*HANDLING_ROLES).exclude(email=""):
        if digest_for(user, now).empty:
            continue
        message = notify_daily_digest(user=user, day=today)
        if message is not None:
            queued.append(message)
    return queued
