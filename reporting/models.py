"""A record of who looked at or took away which statistics.

Statistics hold no personal data, but what leaves the Institute (and when, and with or
without small numbers withheld) is part of its accountability. Dossiers are never opened
here: the dossier access log (cases.AccessLogEntry) stays for dossiers.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StatisticsAction(models.TextChoices):
    PAGE = "page", _("Viewed the statistics page")
    TABLE = "table", _("Downloaded a table")
    CHART = "chart", _("Downloaded a chart")
    WORKBOOK = "workbook", _("Downloaded the workbook")
    EXPORT = "export", _("Exported from the command line")
    IMPORT = "import", _("Imported historical reports")


class StatisticsLogEntry(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for a command run on the server."),
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    action = models.CharField(_("what"), max_length=16, choices=StatisticsAction.choices)
    period_from = models.DateField(_("from"), null=True, blank=True)
    period_to = models.DateField(_("to"), null=True, blank=True)
    threshold = models.PositiveSmallIntegerField(
        _("small numbers withheld below"), null=True, blank=True
    )
    item = models.CharField(_("table or chart"), max_length=32, blank=True)
    file_format = models.CharField(_("format"), max_length=16, blank=True)
    rows = models.PositiveIntegerField(_("dossiers imported"), null=True, blank=True)

    class Meta:
        verbose_name = _("statistics log entry")
        verbose_name_plural = _("statistics log")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.at:%Y-%m-%d %H:%M})"


class DailyCount(models.Model):
    """Counts of dossiers per day, kept by the database (see ``reporting.rollups``).

    Several rows may hold the same key until they are folded together: a figure is the
    sum of them. Nobody writes here but the database's triggers and ``rollups``."""

    day = models.DateField()
    measure = models.CharField(max_length=16)
    value = models.CharField(max_length=32, blank=True)
    form_ncii = models.BooleanField()
    form_voyeurism = models.BooleanField()
    form_sextortion = models.BooleanField()
    n = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["measure", "day"], name="dailycount_measure_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.measure} {self.value}: {self.n}"
