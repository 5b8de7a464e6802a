"""The dossier: one report of image-based sexual abuse, its coded and personal
fields, and the named queries on it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import BooleanField, Case, ExpressionWrapper, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import (
    AgeBand,
    AuthorRelation,
    Channel,
    ClosureReason,
    FormOfAbuse,
    Gender,
    ImagesMadeBy,
    Language,
    OrganisationKind,
    Priority,
    ReporterCategory,
    ReporterType,
    Status,
    StepTaken,
    WaitingFor,
    YesNoUnknown,
)
from ..fields import ChoiceListField, EncryptedCharField, EncryptedTextField

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


def day_in_range(value: date | None) -> None:
    """Refuse a day before 2000 or more than ten years ahead, as ``moment_in_range``."""
    latest = timezone.localdate(timezone=BRUSSELS) + LATEST_AHEAD
    if value is not None and not (EARLIEST_MOMENT.date() <= value <= latest):
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
        _("relation to the person responsible"),
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
        _("deadline set by the person making threats"),
        null=True,
        blank=True,
        validators=[moment_in_range],
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
    # How many evidence files retention erased (with their fingerprints): a count only.
    evidence_files_erased = models.PositiveSmallIntegerField(
        _("evidence files erased"), default=0, editable=False
    )
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
            # The staff lists and menu read the open dossiers, a few hundred however
            # many closed ones the years leave behind.
            models.Index(
                F("received_at").desc(),
                F("id").desc(),
                condition=~Q(status="closed"),
                name="dossier_open_idx",
            ),
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
    def reply_language(self) -> str:
        """The language to write to the reporter in: the one they chose for contact,
        else the one they reported in."""
        return self.contact_language or self.language

    @property
    def involves_minor(self) -> bool:
        return self.person_minor_on_images == YesNoUnknown.YES

    @property
    def concerns_a_minor(self) -> bool:
        """A minor on the images, or a person concerned who is under 18 now: what the
        advice and referrals for minors follow."""
        return self.involves_minor or AgeBand(self.person_age_band).is_minor

    def apply_priority_rules(self) -> None:
        """A minor on the images makes a dossier urgent, whatever else is set."""
        if self.involves_minor:
            self.priority = Priority.URGENT

    @property
    def received_year(self) -> int:
        """The calendar year of receipt in Brussels, which numbers the reference."""
        return timezone.localtime(self.received_at, BRUSSELS).year
