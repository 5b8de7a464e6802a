"""The platforms notices go to, and the legal explanations notices quote.

Both are kept by the Institute in the admin: the list of platforms (so that the
free-text names of public reports can be matched to one entry and figures grouped by
it), and the explanation of why the content is illegal, per subject and language, which
the Institute's lawyers keep up to date. Neither holds anything about a person.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import Language, NoticeGround, PlatformKind


def notice_address(value: str) -> None:
    """Where notices go: the web address of a notice form, or an email address."""
    for validator in (URLValidator(schemes=["https", "http"]), EmailValidator()):
        try:
            validator(value)
        except ValidationError:
            continue
        return
    raise ValidationError(_("Give the web address of its notice form, or an email address."))


class PlatformQuerySet(models.QuerySet):
    def matching(self, name: str) -> Platform | None:
        """The active platform whose name is ``name``, ignoring case and spaces around."""
        name = " ".join(name.split())
        if not name:
            return None
        return self.filter(active=True, name__iexact=name).first()


class Platform(models.Model):
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=PlatformKind.choices)
    notice_channel = models.CharField(
        _("where notices go"),
        max_length=300,
        blank=True,
        validators=[notice_address],
        help_text=_("The address of its notice form, or its email address for notices."),
    )
    language = models.CharField(
        _("language of notices"), max_length=2, choices=Language.choices, default=Language.EN
    )
    very_large = models.BooleanField(
        _("very large online platform"),
        default=False,
        help_text=_("Designated by the European Commission under Article 33 of the DSA."),
    )
    active = models.BooleanField(
        _("in use"), default=True, help_text=_("Platforms no longer in use keep their figures.")
    )

    history = HistoricalRecords()
    objects = PlatformQuerySet.as_manager()

    class Meta:
        verbose_name = _("platform")
        verbose_name_plural = _("platforms")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="platform_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class NoticeExplanation(models.Model):
    """Why content of one kind is illegal, in one language: the substantiated explanation
    that Article 16(2)(a) of the Digital Services Act asks of a notice."""

    ground = models.CharField(_("subject"), max_length=16, choices=NoticeGround.choices)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    text = models.TextField(
        _("explanation"),
        help_text=_("The law and the articles that make such content illegal, as notices say it."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("legal explanation for notices")
        verbose_name_plural = _("legal explanations for notices")
        ordering = ["ground", "language"]
        constraints = [
            models.UniqueConstraint(fields=["ground", "language"], name="notice_explanation_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_ground_display()} ({self.language})"
