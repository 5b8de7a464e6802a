"""What is written about a dossier as it is handled: its timeline of events, who
opened it (the access log), its reference counters, and the notifications it causes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import (
    CREATED_DETAILS,
    AccessAction,
    ClosureReason,
    ContactMethod,
    EventKind,
    Language,
    NotificationKind,
    ReferralOutcome,
    Status,
    TakedownOutcome,
    TakedownStep,
    WaitingFor,
)
from ..fields import EncryptedCharField, EncryptedTextField
from .dossier import Dossier


class DossierEvent(models.Model):
    """One line of a dossier's timeline, as a person reads it. Append-only."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("what"), max_length=32, choices=EventKind.choices)
    old_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    new_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    note = EncryptedTextField(_("note"), blank=True)
    # A code whose meaning depends on the kind: what is waited for, how contact was made,
    # which personal fields were changed (their names, never their values).
    detail = models.CharField(max_length=200, blank=True)
    # The field-level history record a change wrote, shown as before/after.
    history_id = models.PositiveBigIntegerField(null=True, blank=True)
    takedown = models.ForeignKey(
        "TakedownRequest", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    referral = models.ForeignKey(
        "Referral", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Whom an assignment gave the dossier to (none: taken back).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["dossier", "at"], name="event_dossier_at_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.at:%Y-%m-%d %H:%M})"

    def get_detail_display(self) -> str:
        """The coded detail in words: where a dossier came from, a closure reason, who is
        waited for, how contact was made, what came of a takedown or a referral."""
        choices = {
            EventKind.CREATED: CREATED_DETAILS.items(),
            EventKind.STATUS_CHANGED: (
                WaitingFor.choices if self.new_status == Status.WAITING else ClosureReason.choices
            ),
            EventKind.CONTACT_MADE: ContactMethod.choices,
            EventKind.TAKEDOWN_OUTCOME: TakedownOutcome.choices,
            EventKind.TAKEDOWN_STEP: TakedownStep.choices,
            EventKind.REFERRAL_OUTCOME: ReferralOutcome.choices,
        }.get(self.kind, [])
        return str(dict(choices).get(self.detail, self.detail))


class ReferenceCounter(models.Model):
    """Last reference number handed out per calendar year of receipt."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("reference counter")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class OutboxMessage(models.Model):
    """A notification that must not be lost: written in the same transaction as the
    change that causes it, delivered by a task after commit, retried by a sweep.

    The recipient is encrypted (it may be the reporter's address); the mail body is
    rendered at delivery from the kind alone and never carries details of a case.
    """

    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, related_name="notifications", null=True
    )
    # The staff member the message is for (the daily digest is rendered for them).
    staff_member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    # Makes a message that must go out once (one digest per person per day) unique.
    once_key = models.CharField(max_length=64, unique=True, null=True, editable=False)  # noqa: DJ001
    recipient = EncryptedCharField(max_length=254)
    language = models.CharField(max_length=2, choices=Language.choices)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # The exception's class only: its message could quote an address.
    last_error = models.CharField(max_length=100, blank=True)
    # After a failure, the sweep waits until then (exponential backoff); never given up.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When the technical administrators were told it keeps failing (once per message).
    stuck_reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(sent_at__isnull=True), name="outbox_pending_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class AccessLogEntry(models.Model):
    """One staff access to a dossier: who, when, what. Append-only; coordinators read it."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="access_log")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    action = models.CharField(_("what"), max_length=16, choices=AccessAction.choices)
    evidence = models.ForeignKey(
        "Evidence", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["dossier", "at"], name="access_dossier_at_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.at:%Y-%m-%d %H:%M})"
