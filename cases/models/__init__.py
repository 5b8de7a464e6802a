"""The dossier: one report of image-based sexual abuse and everything done about it.

Coded columns (forms of abuse, reporter category, language, channel, dates) are plain
and indexed: statistics read only them. Personal and free-text columns are encrypted
(``EncryptedTextField``) and kept out of the history tables, so anonymising a dossier
really removes its personal data while every count stays as it was.
"""

from .dossier import (
    BRUSSELS,
    DOSSIER_PERSONAL_FIELDS,
    EARLIEST_MOMENT,
    LATEST_AHEAD,
    Dossier,
    DossierQuerySet,
    day_in_range,
    moment_in_range,
)
from .holdings import (
    ContentLocation,
    Evidence,
    EvidenceMatch,
    Referral,
    TakedownQuerySet,
    TakedownRequest,
    evidence_path,
)
from .journal import AccessLogEntry, DossierEvent, OutboxMessage, ReferenceCounter
from .message_templates import MessageTemplate
from .platforms import NoticeExplanation, Platform

__all__ = [
    "BRUSSELS",
    "DOSSIER_PERSONAL_FIELDS",
    "EARLIEST_MOMENT",
    "LATEST_AHEAD",
    "AccessLogEntry",
    "ContentLocation",
    "Dossier",
    "DossierEvent",
    "DossierQuerySet",
    "Evidence",
    "EvidenceMatch",
    "MessageTemplate",
    "NoticeExplanation",
    "OutboxMessage",
    "Platform",
    "ReferenceCounter",
    "Referral",
    "TakedownQuerySet",
    "TakedownRequest",
    "day_in_range",
    "evidence_path",
    "moment_in_range",
]
