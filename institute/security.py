"""The security log: sign-ins, failures, lockouts, factors, passwords, roles, refused
accesses. One row per event, and one log line, each with ids and codes only."""

from __future__ import annotations

import logging

from django.http import HttpRequest

from .clients import client_key
from .models import SecurityEvent

logger = logging.getLogger("institute.security")


def security_log(
    kind: str,
    *,
    request: HttpRequest | None = None,
    user=None,
    by=None,
    detail: str = "",
    dossier_id: int | None = None,
) -> SecurityEvent:
    """Write one event. ``user`` is the account it is about (None for a failure that
    names no account), ``by`` whoever did it when that is someone else."""
    user = user if getattr(user, "pk", None) else None
    by = by if getattr(by, "pk", None) else None
    event = SecurityEvent.objects.create(
        kind=kind,
        user=user,
        by=by,
        address_hash=client_key(request) if request is not None else "",
        detail=detail[:100],
        dossier_id=dossier_id,
    )
    logger.info(
        "security %s user=%s by=%s detail=%s dossier=%s client=%s",
        kind,
        user.pk if user else "-",
        by.pk if by else "-",
        detail or "-",
        dossier_id or "-",
        event.address_hash or "-",
    )
    return event
