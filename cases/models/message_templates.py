"""Ready-made messages to the reporter, one set per language."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import Language


class MessageTemplate(models.Model):
    """A message staff start from and adapt before sending it to a reporter, in the
    reporter's language. Coordinators keep the list; it holds no personal data."""

    title = models.CharField(_("title"), max_length=100, help_text=_("What staff see in the list."))
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    text = models.TextField(_("text"), max_length=5000)
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Lower numbers come first.")
    )
    active = models.BooleanField(_("offered to staff"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["language", "position", "title"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(
                fields=["language", "title"],
                name="message_template_title_per_language",
                violation_error_message=_(
                    "There is already a template with this title in this language."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_language_display()})"
