from __future__ import annotations

from django import forms
from django.conf import settings
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import BRUSSELS, Dossier

from .periods import Period, PeriodError

FIRST_YEAR = 2020  # the Institute became competent on 1 July 2020


def available_years() -> list[int]:
    """From the first dossier received (or 2020) to this year, newest first."""
    first = Dossier.objects.aggregate(first=Min("received_at"))["first"]
    start = min(FIRST_YEAR, timezone.localtime(first, BRUSSELS).year) if first else FIRST_YEAR
    return list(range(timezone.localdate().year, start - 1, -1))


class StatisticsForm(forms.Form):
    """Which period, and whether small numbers are withheld (for publication)."""

    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False)
    start = forms.DateField(
        label=_("Or from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("to (included)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    publication = forms.BooleanField(
        label=_("For publication: withhold small numbers"), required=False
    )
    threshold = forms.IntegerField(
        label=_("Withhold counts below"),
        min_value=3,
        max_value=100,
        required=False,
        help_text=_("Smaller counts, from 1 on, are not published."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "—"), *((y, y) for y in available_years())]
        self.fields["threshold"].initial = settings.STATISTICS_SUPPRESSION_THRESHOLD

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        try:
            if start or end:
                if not (start and end):
                    raise PeriodError(_("Give both the first and the last day of the period."))
                data["period"] = Period.asked(start, end)
            else:
                data["period"] = Period.year(data.get("year") or timezone.localdate().year)
        except PeriodError as error:
            raise forms.ValidationError(str(error)) from None
        # The threshold in effect: None for the exact, internal view.
        data["suppress_below"] = (
            (data.get("threshold") or settings.STATISTICS_SUPPRESSION_THRESHOLD)
            if data.get("publication")
            else None
        )
        return data

    def query(self) -> str:
        """The period and suppression as a query string, for the page's downloads."""
        period, threshold = self.cleaned_data["period"], self.cleaned_data["suppress_below"]
        if period.is_year:
            query = f"year={period.start.year}"
        else:
            query = f"start={period.start.isoformat()}&end={period.end.isoformat()}"
        return f"{query}&publication=on&threshold={threshold}" if threshold else query
