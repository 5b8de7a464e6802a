"""What a dossier holds: the addresses where the content is, the evidence files, the
takedown requests sent to platforms and the referrals to other services."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import (
    ComplaintOutcome,
    Language,
    LegalBasis,
    PlatformKind,
    ReferralKind,
    ReferralOutcome,
    Status,
    TakedownMethod,
    TakedownOutcome,
)
from ..fields import EncryptedCharField, EncryptedTextField
from ..storage import private_storage
from .dossier import BRUSSELS, Dossier, day_in_range
from .platforms import Platform


class ContentLocation(models.Model):
    """Where the content is (or was): one platform and address, target of takedowns."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="locations")
    platform_kind = models.CharField(
        _("kind of platform"), max_length=16, choices=PlatformKind.choices
    )
    # Free text, so it may name an account ("insta @name"): encrypted like the URL. The
    # coded platform_kind is what statistics read.
    platform_name = EncryptedCharField(_("platform"), max_length=100, blank=True)
    # The entry of the Institute's list this location is on, matched by staff in triage:
    # figures are grouped by it.
    platform = models.ForeignKey(
        Platform,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="locations",
        verbose_name=_("platform in the list"),
    )
    url = EncryptedCharField(_("address (URL)"), max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["platform_name", "url"])

    class Meta:
        verbose_name = _("content location")
        verbose_name_plural = _("content locations")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.platform_name or self.get_platform_kind_display()


def evidence_path(instance: Evidence, filename: str) -> str:
    # A random name: the original name is personal data and is kept encrypted instead.
    return f"evidence/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Evidence(models.Model):
    """A file sent as evidence (a screenshot of a threat, a letter), stored encrypted."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(storage=private_storage, upload_to=evidence_path, max_length=200)
    original_name = EncryptedCharField(_("file name"), max_length=255, blank=True)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    from_reporter = models.BooleanField(default=True)
    uploaded_at = models.DateTimeField(default=timezone.now)
    # Fingerprints (cases.fingerprints), computed in memory from the bytes received and
    # written with the row: never shown to the public, shared with platforms as hashes.
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, db_index=True)
    pdq = models.CharField(_("PDQ hash"), max_length=64, blank=True)
    pdq_quality = models.PositiveSmallIntegerField(_("PDQ quality"), null=True, blank=True)
    phash = models.BigIntegerField(_("pHash"), null=True, blank=True)
    # When it was compared with the files of other dossiers (cases.matching): after the
    # commit that stored it, by a task; a sweep takes any the task missed.
    matched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["uploaded_at", "id"]
        indexes = [
            models.Index(
                fields=["id"], condition=Q(matched_at__isnull=True), name="evidence_unmatched_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.content_type} ({self.size} bytes)"


class EvidenceMatch(models.Model):
    """A file of one dossier that is the same file, or shows the same picture, as a
    file of another dossier (cases.matching). Written both ways round; gone with either
    file (retention erases them with their fingerprints)."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="matches")
    other = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="+")
    identical = models.BooleanField(_("the same file"), default=False)
    found_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("the same image in another dossier")
        verbose_name_plural = _("the same images in other dossiers")
        constraints = [
            models.UniqueConstraint(fields=["evidence", "other"], name="evidence_match_once")
        ]

    def __str__(self) -> str:
        return f"{self.evidence_id} ~ {self.other_id}"


def _takedown_due(now) -> Q:
    """A request needs someone: not acknowledged or not decided by its deadline, or due
    for a check that the content is still gone; only while its dossier is open."""
    today = timezone.localtime(now, BRUSSELS).date()
    return (_acknowledgement_late(now) | _decision_late(now) | Q(recheck_on__lte=today)) & ~Q(
        dossier__status=Status.CLOSED
    )


def _acknowledgement_late(now) -> Q:
    return Q(outcome=TakedownOutcome.PENDING, acknowledged_at__isnull=True, ack_deadline__lt=now)


def _decision_late(now) -> Q:
    return Q(outcome=TakedownOutcome.PENDING, deadline__lt=now)


class TakedownQuerySet(models.QuerySet):
    def due(self, now=None) -> TakedownQuerySet:
        """Requests of open dossiers past their deadline without an answer, or due for
        a check that the content is still gone."""
        return self.filter(_takedown_due(now or timezone.now()))

    def with_due(self, now=None) -> TakedownQuerySet:
        """Each request with ``is_due``, by the same rule as ``due()``."""
        flag = ExpressionWrapper(_takedown_due(now or timezone.now()), output_field=BooleanField())
        return self.annotate(is_due=flag)


class TakedownRequest(models.Model):
    """A request to remove the content at one location (a notice under Article 16 of the
    Digital Services Act, usually): to whom, how, on what basis, the text as sent, and
    the platform's answer step by step: acknowledgement, decision (Article 17), statement
    of reasons, internal complaint (Article 20), out-of-court settlement (Article 21)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="takedowns")
    location = models.ForeignKey(
        ContentLocation, on_delete=models.CASCADE, related_name="takedowns"
    )
    sent_at = models.DateTimeField(_("sent at"))
    # Usually a platform's desk, but it may be a person (an author asked to delete).
    sent_to = EncryptedCharField(_("sent to"), max_length=200)
    method = models.CharField(_("how"), max_length=16, choices=TakedownMethod.choices)
    legal_basis = models.CharField(_("legal basis"), max_length=16, choices=LegalBasis.choices)
    # The notice as it was sent (it holds the content's addresses, hence encrypted), with
    # the SHA-256 of its UTF-8 bytes, so that what was sent can be shown and checked later.
    notice_language = models.CharField(
        _("language of the notice"), max_length=2, choices=Language.choices, blank=True
    )
    notice_text = EncryptedTextField(_("notice as sent"), blank=True)
    notice_sha256 = models.CharField(_("SHA-256 of the notice"), max_length=64, blank=True)
    trusted_flagger = models.BooleanField(_("sent as a trusted flagger"), default=False)
    # Article 16(2)(c): no notifier's name and address when a minor is on the images.
    minor_exception = models.BooleanField(_("sent under the exception for minors"), default=False)

    ack_deadline = models.DateTimeField(_("acknowledgement due"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    deadline = models.DateTimeField(_("decision due"))
    outcome = models.CharField(
        _("decision"),
        max_length=16,
        choices=TakedownOutcome.choices,
        default=TakedownOutcome.PENDING,
    )
    outcome_at = models.DateTimeField(_("decision received"), null=True, blank=True)
    reasons_received_on = models.DateField(
        _("statement of reasons received"), null=True, blank=True, validators=[day_in_range]
    )
    complaint_lodged_on = models.DateField(
        _("internal complaint lodged"), null=True, blank=True, validators=[day_in_range]
    )
    complaint_outcome = models.CharField(
        _("outcome of the complaint"), max_length=16, choices=ComplaintOutcome.choices, blank=True
    )
    complaint_outcome_on = models.DateField(
        _("complaint answered"), null=True, blank=True, validators=[day_in_range]
    )
    # Free text typed by staff: encrypted, kept out of the history, erased with the rest.
    out_of_court_body = EncryptedCharField(_("out-of-court body"), max_length=200, blank=True)
    out_of_court_on = models.DateField(
        _("out-of-court body seized"), null=True, blank=True, validators=[day_in_range]
    )
    reuploaded_on = models.DateField(
        _("seen again online"), null=True, blank=True, validators=[day_in_range]
    )
    recheck_on = models.DateField(
        _("check again on"), null=True, blank=True, validators=[day_in_range]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(
        excluded_fields=["sent_to", "notice_text", "notice_sha256", "out_of_court_body"]
    )
    objects = TakedownQuerySet.as_manager()

    class Meta:
        verbose_name = _("takedown request")
        verbose_name_plural = _("takedown requests")
        ordering = ["sent_at", "id"]
        indexes = [
            models.Index(fields=["outcome", "deadline"], name="takedown_due_idx"),
            # With the one above, "takedowns due" reads only the requests it may list.
            models.Index(
                fields=["recheck_on"],
                condition=Q(recheck_on__isnull=False),
                name="takedown_recheck_idx",
            ),
            models.Index(
                fields=["ack_deadline"],
                condition=Q(outcome=TakedownOutcome.PENDING, acknowledged_at__isnull=True),
                name="takedown_ack_idx",
            ),
            models.Index(fields=["sent_at"], name="takedown_sent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} ({self.sent_at:%Y-%m-%d})"

    @property
    def late_clock(self) -> tuple[str, str, object] | None:
        """The clock that matters most of those that ran out, as (kind, words, when due):
        the decision, then the acknowledgement, then a check."""
        late = self.late_clocks()
        for kind, words, due in (
            ("decision", _("decision due"), self.deadline),
            ("acknowledgement", _("acknowledgement due"), self.ack_deadline),
            ("check", _("check again on"), self.recheck_on),
        ):
            if kind in late:
                return kind, words, due
        return None

    def late_clocks(self, now=None) -> list[str]:
        """Which of its clocks has run out: "acknowledgement", "decision", "check". None
        once its dossier is closed, which ``with_due()``'s ``is_due`` knows."""
        if getattr(self, "is_due", True) is False:
            return []
        now = now or timezone.now()
        late = []
        if self.outcome == TakedownOutcome.PENDING:
            if self.acknowledged_at is None and self.ack_deadline and self.ack_deadline < now:
                late.append("acknowledgement")
            if self.deadline < now:
                late.append("decision")
        if self.recheck_on and self.recheck_on <= timezone.localtime(now, BRUSSELS).date():
            late.append("check")
        return late


class Referral(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="referrals")
    kind = models.CharField(_("referred to"), max_length=20, choices=ReferralKind.choices)
    referred_on = models.DateField(_("date"), validators=[day_in_range])
    outcome = models.CharField(
        _("outcome"),
        max_length=16,
        choices=ReferralOutcome.choices,
        default=ReferralOutcome.PENDING,
    )
    outcome_on = models.DateField(
        _("outcome date"), null=True, blank=True, validators=[day_in_range]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["referred_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.referred_on:%Y-%m-%d})"
