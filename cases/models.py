"""The dossier: one report of image-based sexual abuse and everything done about it.

Coded columns (forms of abuse, reporter category, language, channel, dates) are plain
and indexed: statistics read only them. Personal and free-text columns are encrypted
(``EncryptedTextField``) and kept out of the history tables, so anonymising a dossier
really removes its personal data while every count stays as it was.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import BooleanField, Case, ExpressionWrapper, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import (
    CREATED_DETAILS,
    AccessAction,
    AgeBand,
    AuthorRelation,
    Channel,
    ClosureReason,
    ContactMethod,
    EventKind,
    FormOfAbuse,
    Gender,
    ImagesMadeBy,
    Language,
    LegalBasis,
    NotificationKind,
    OrganisationKind,
    PlatformKind,
    Priority,
    ReferralKind,
    ReferralOutcome,
    ReporterCategory,
    ReporterType,
    Status,
    StepTaken,
    TakedownMethod,
    TakedownOutcome,
    WaitingFor,
    YesNoUnknown,
)
from .fields import ChoiceListField, EncryptedCharField, EncryptedTextField
from .storage import private_storage

# The Institute counts a report in the year it arrived in Belgium, whatever the
# server's TIME_ZONE says.
BRUSSELS = ZoneInfo("Europe/Brussels")

# No record of the Institute's is older, and no date it keeps lies further ahead.
EARLIEST_MOMENT = datetime(2000, 1, 1, tzinfo=BRUSSELS)
LATEST_AHEAD = timedelta(days=10 * 366)


def moment_in_range(value: datetime | None) -> None:
    """Refuse a moment before 2000 or more than ten years ahead: such a date is a typing
    error, and one at the edge of the calendar cannot even be stored or computed with."""
    if value is not None and not (EARLIEST_MOMENT <= value <= timezone.now() + LATEST_AHEAD):
        raise ValidationError(
            _("Enter a date from 1 January 2000 on, and at most ten years from now."),
            code="out_of_range",
        )


# Personal and free-text columns: encrypted, never in history, erased by anonymisation.
DOSSIER_PERSONAL_FIELDS = (
    "reporter_name",
    "reporter_email",
    "reporter_phone",
    "organisation_name",
    "safe_contact_instructions",
    "description",
)


def _overdue(now) -> Q:
    """The first contact with the reporter is late: due before ``now``, not made, and
    the dossier still open."""
    return Q(first_contact_at__isnull=True, first_contact_due__lt=now) & ~Q(status=Status.CLOSED)


class DossierQuerySet(models.QuerySet):
    def open(self) -> DossierQuerySet:
        return self.exclude(status=Status.CLOSED)

    def overdue(self, now=None) -> DossierQuerySet:
        """Open dossiers whose first contact is late."""
        return self.filter(_overdue(now or timezone.now()))

    def with_overdue(self, now=None) -> DossierQuerySet:
        """Each dossier with ``is_overdue``, by the same rule as ``overdue()``."""
        flag = ExpressionWrapper(_overdue(now or timezone.now()), output_field=BooleanField())
        return self.annotate(is_overdue=flag)

    def urgent(self) -> DossierQuerySet:
        return self.filter(priority=Priority.URGENT)

    def involving(self, form: str) -> DossierQuerySet:
        return self.filter(**{FormOfAbuse(form).column: True})


class Dossier(models.Model):
    reference = models.CharField(_("reference"), max_length=16, unique=True, editable=False)
    external_id = models.CharField(
        _("external id"),
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Identifier in the system a dossier was imported from."),
    )
    imported = models.BooleanField(_("imported"), default=False)
    # Arrived while the public form received far more reports than usual (a flood): it
    # was saved all the same, and staff were alerted once for the whole surge.
    received_in_surge = models.BooleanField(_("received in a surge"), default=False)
    # Keyed hashes (HMAC-SHA256 under RECEIPT_HASH_KEY) of the reporter's receipt code
    # and of the form submission it came from; neither secret is ever stored. NULL
    # rather than "" so that the many dossiers without them do not collide.
    receipt_hash = models.CharField(max_length=64, unique=True, null=True, editable=False)  # noqa: DJ001
    submission_hash = models.CharField(max_length=64, unique=True, null=True, editable=False)  # noqa: DJ001

    received_at = models.DateTimeField(
        _("received at"), default=timezone.now, validators=[moment_in_range]
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)

    form_ncii = models.BooleanField(FormOfAbuse.NCII.label, default=False)
    form_voyeurism = models.BooleanField(FormOfAbuse.VOYEURISM.label, default=False)
    form_sextortion = models.BooleanField(FormOfAbuse.SEXTORTION.label, default=False)

    reporter_type = models.CharField(_("who reports"), max_length=16, choices=ReporterType.choices)
    reporter_gender = models.CharField(
        _("gender of the reporter"),
        max_length=16,
        choices=Gender.choices,
        default=Gender.NOT_GIVEN,
    )
    # Derived by the database itself, so bulk inserts, imports and admin edits can never
    # leave it out of step with the columns it comes from.
    reporter_category = models.GeneratedField(
        expression=Case(
            When(
                reporter_type=ReporterType.ORGANISATION, then=Value(ReporterCategory.ORGANISATION)
            ),
            default=F("reporter_gender"),
        ),
        output_field=models.CharField(max_length=16, choices=ReporterCategory.choices),
        db_persist=True,
        verbose_name=_("reporter category"),
    )
    organisation_kind = models.CharField(
        _("kind of organisation"), max_length=16, choices=OrganisationKind.choices, blank=True
    )
    organisation_name = EncryptedCharField(_("organisation"), max_length=200, blank=True)
    reporter_name = EncryptedCharField(_("name or pseudonym"), max_length=200, blank=True)
    reporter_email = EncryptedCharField(_("email"), max_length=254, blank=True)
    reporter_phone = EncryptedCharField(_("phone"), max_length=40, blank=True)
    safe_contact_instructions = EncryptedTextField(_("safe contact"), blank=True)
    contact_language = models.CharField(
        _("preferred language for contact"), max_length=2, choices=Language.choices, blank=True
    )
    voicemail_allowed = models.BooleanField(_("may leave a voicemail"), null=True, blank=True)
    may_name_institute = models.BooleanField(
        _("may say that we are the Institute"), null=True, blank=True
    )
    wants_acknowledgement = models.BooleanField(_("wants an acknowledgement"), default=False)

    person_age_band = models.CharField(
        _("age of the person concerned"),
        max_length=8,
        choices=AgeBand.choices,
        default=AgeBand.UNKNOWN,
    )
    person_minor_on_images = models.CharField(
        _("minor on the images"),
        max_length=8,
        choices=YesNoUnknown.choices,
        default=YesNoUnknown.UNKNOWN,
    )
    person_gender = models.CharField(
        _("gender of the person concerned"),
        max_length=16,
        choices=Gender.choices,
        default=Gender.NOT_GIVEN,
    )

    description = EncryptedTextField(_("what happened"), blank=True)
    author_relation = models.CharField(
        _("relation to the author"),
        max_length=16,
        choices=AuthorRelation.choices,
        default=AuthorRelation.UNKNOWN,
    )
    images_made_by = ChoiceListField(_("who made the images"), base_choices=ImagesMadeBy.choices)
    still_circulating = models.CharField(
        _("still circulating"),
        max_length=8,
        choices=YesNoUnknown.choices,
        default=YesNoUnknown.UNKNOWN,
    )
    steps_taken = ChoiceListField(_("steps already taken"), base_choices=StepTaken.choices)
    threat_active = models.CharField(
        _("active threat"), max_length=8, choices=YesNoUnknown.choices, default=YesNoUnknown.UNKNOWN
    )
    threat_deadline = models.DateTimeField(
        _("deadline set by the author"), null=True, blank=True, validators=[moment_in_range]
    )

    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    closure_reason = models.CharField(
        _("closure reason"), max_length=32, choices=ClosureReason.choices, blank=True
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    waiting_for = models.CharField(
        _("waiting for"), max_length=16, choices=WaitingFor.choices, blank=True
    )
    # Set by the workflow services (cases.deadlines); statistics read first_contact_at.
    first_contact_due = models.DateTimeField(_("first contact due"), null=True, blank=True)
    first_contact_at = models.DateTimeField(_("first contact"), null=True, blank=True)
    # When retention erased the personal data; the coded columns stay for statistics.
    anonymised_at = models.DateTimeField(_("personal data erased"), null=True, blank=True)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_dossiers",
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(
        excluded_fields=[
            *DOSSIER_PERSONAL_FIELDS,
            "reporter_category",
            "receipt_hash",
            "submission_hash",
        ],
        verbose_name=_("historical dossier"),
    )

    objects = DossierQuerySet.as_manager()

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["received_at"], name="dossier_received_idx"),
            models.Index(fields=["status", "priority"], name="dossier_status_idx"),
            # Statistics count closures by the day they happened.
            models.Index(
                fields=["closed_at"], condition=Q(status="closed"), name="dossier_closed_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(form_ncii=True) | Q(form_voyeurism=True) | Q(form_sextortion=True),
                name="dossier_has_a_form_of_abuse",
                violation_error_message=_("Choose at least one form of abuse."),
            ),
            models.CheckConstraint(
                condition=~Q(person_minor_on_images=YesNoUnknown.YES, priority=Priority.NORMAL),
                name="dossier_minor_is_urgent",
                violation_error_message=_("A dossier involving a minor is always urgent."),
            ),
            models.CheckConstraint(
                condition=(Q(status=Status.CLOSED) & ~Q(closure_reason=""))
                | (~Q(status=Status.CLOSED) & Q(closure_reason="")),
                name="dossier_closed_has_reason",
                violation_error_message=_("A closed dossier needs a closure reason."),
            ),
        ]

    def __str__(self) -> str:
        return self.reference or str(_("new dossier"))

    @property
    def forms_of_abuse(self) -> list[str]:
        """The forms of abuse involved, as codes, in the Institute's order."""
        return [form.value for form in FormOfAbuse if getattr(self, form.column)]

    @forms_of_abuse.setter
    def forms_of_abuse(self, codes) -> None:
        codes = {FormOfAbuse(code) for code in codes}
        for form in FormOfAbuse:
            setattr(self, form.column, form in codes)

    def get_reporter_category_display(self) -> str:
        # A generated column gets no get_FOO_display() of its own.
        return str(dict(ReporterCategory.choices).get(self.reporter_category, ""))

    def get_forms_of_abuse_display(self) -> list[str]:
        return [str(FormOfAbuse(code).label) for code in self.forms_of_abuse]

    @property
    def discreet(self) -> bool:
        """Contact must not reveal the Institute: the reporter said no, or did not say.
        A mailbox or a phone may be read by the very person the report is about."""
        return self.may_name_institute is not True

    @property
    def involves_minor(self) -> bool:
        return self.person_minor_on_images == YesNoUnknown.YES

    def apply_priority_rules(self) -> None:
        """A minor on the images makes a dossier urgent, whatever else is set."""
        if self.involves_minor:
            self.priority = Priority.URGENT

    @property
    def received_year(self) -> int:
        """The calendar year of receipt in Brussels, which numbers the reference."""
        return timezone.localtime(self.received_at, BRUSSELS).year


class ContentLocation(models.Model):
    """Where the content is (or was): one platform and address, target of takedowns."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="locations")
    platform_kind = models.CharField(
        _("kind of platform"), max_length=16, choices=PlatformKind.choices
    )
    # Free text, so it may name an account ("insta @name"): encrypted like the URL. The
    # coded platform_kind is what statistics read.
    platform_name = EncryptedCharField(_("platform"), max_length=100, blank=True)
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

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.content_type} ({self.size} bytes)"


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
        Evidence, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["dossier", "at"], name="access_dossier_at_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.at:%Y-%m-%d %H:%M})"


def _takedown_due(now) -> Q:
    """A request needs someone: past its deadline without an answer, or due for a check
    that the content is still gone; only while its dossier is open."""
    today = timezone.localtime(now, BRUSSELS).date()
    late = Q(outcome=TakedownOutcome.PENDING, deadline__lt=now)
    return (late | Q(recheck_on__lte=today)) & ~Q(dossier__status=Status.CLOSED)


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
    """A request to remove the content at one location: to whom, how, on what basis,
    and what came of it."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="takedowns")
    location = models.ForeignKey(
        ContentLocation, on_delete=models.CASCADE, related_name="takedowns"
    )
    sent_at = models.DateTimeField(_("sent at"))
    # Usually a platform's desk, but it may be a person (an author asked to delete).
    sent_to = EncryptedCharField(_("sent to"), max_length=200)
    method = models.CharField(_("how"), max_length=16, choices=TakedownMethod.choices)
    legal_basis = models.CharField(_("legal basis"), max_length=16, choices=LegalBasis.choices)
    deadline = models.DateTimeField(_("answer due"))
    outcome = models.CharField(
        _("outcome"),
        max_length=16,
        choices=TakedownOutcome.choices,
        default=TakedownOutcome.PENDING,
    )
    outcome_at = models.DateTimeField(_("outcome recorded"), null=True, blank=True)
    recheck_on = models.DateField(_("check again on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["sent_to"])
    objects = TakedownQuerySet.as_manager()

    class Meta:
        verbose_name = _("takedown request")
        verbose_name_plural = _("takedown requests")
        ordering = ["sent_at", "id"]
        indexes = [
            models.Index(fields=["outcome", "deadline"], name="takedown_due_idx"),
            models.Index(fields=["sent_at"], name="takedown_sent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} ({self.sent_at:%Y-%m-%d})"


class Referral(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="referrals")
    kind = models.CharField(_("referred to"), max_length=20, choices=ReferralKind.choices)
    referred_on = models.DateField(_("date"))
    outcome = models.CharField(
        _("outcome"),
        max_length=16,
        choices=ReferralOutcome.choices,
        default=ReferralOutcome.PENDING,
    )
    outcome_on = models.DateField(_("outcome date"), null=True, blank=True)
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
