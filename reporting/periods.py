"""Periods of the Institute's statistics: whole days in Europe/Brussels, both ends included.

A report belongs to the day (and so the month and year) it arrived in Brussels: one
received at 00:30 on 1 January Brussels time (23:30 UTC the day before) counts in the new
year, whatever the server's clock or TIME_ZONE say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cases.models import BRUSSELS

# The earliest records the Institute may import, and the longest period a page shows.
EARLIEST = date(2000, 1, 1)
MAX_YEARS = 10


class PeriodError(ValueError):
    """A period that cannot be used; the message is safe to show."""


def _years_back(day: date, years: int, *, end: bool) -> date:
    """The same calendar day ``years`` earlier; 29 February becomes the 28th (an end)
    or 1 March (a start), so a shifted period never gains or loses a whole day twice."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return date(day.year - years, 2, 28) if end else date(day.year - years, 3, 1)


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date  # inclusive

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PeriodError(_("The end of the period is before its start."))

    @classmethod
    def asked(cls, start: date, end: date) -> Period:
        """A period a person asked for (on the page, on the command line), checked: from
        ``EARLIEST`` on, starting no later than today in Brussels (there are no figures
        for the future), and at most ``MAX_YEARS`` long. Any period that passes can be
        computed, its year before too; whatever fails gets a message to show."""
        period = cls(start, end)
        if start < EARLIEST:
            raise PeriodError(
                _("Statistics start on %(date)s at the earliest.")
                % {"date": formats.date_format(EARLIEST)}
            )
        if start > timezone.localdate(timezone=BRUSSELS):
            raise PeriodError(_("The period starts after today: there are no figures for it."))
        if end > _years_back(start, -MAX_YEARS, end=True):
            raise PeriodError(
                _("A period can be at most %(years)d years long.") % {"years": MAX_YEARS}
            )
        return period

    @classmethod
    def year(cls, year: int) -> Period:
        if not EARLIEST.year <= year <= timezone.localdate(timezone=BRUSSELS).year:
            raise PeriodError(_("There are no statistics for the year %(year)s.") % {"year": year})
        return cls.asked(date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def parse(cls, start: str, end: str) -> Period:
        """From two ISO dates (YYYY-MM-DD), as typed on the page or the command line."""
        try:
            first, last = date.fromisoformat(start.strip()), date.fromisoformat(end.strip())
        except ValueError:
            raise PeriodError(_("Give both dates as YYYY-MM-DD.")) from None
        return cls.asked(first, last)

    @property
    def is_year(self) -> bool:
        return (self.start.month, self.start.day, self.end.month, self.end.day) == (
            1,
            1,
            12,
            31,
        ) and (self.start.year == self.end.year)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes: midnight in Brussels of the first day, and of
        the day after the last."""
        return (
            datetime.combine(self.start, time.min, tzinfo=BRUSSELS),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=BRUSSELS),
        )

    def previous(self) -> Period:
        """The same dates in an earlier year, so months and seasons line up: the year
        before for a year, and as many years back as it takes not to overlap for a
        period longer than a year."""
        years = 1
        while _years_back(self.end, years, end=True) >= self.start:
            years += 1
        return Period(
            _years_back(self.start, years, end=False), _years_back(self.end, years, end=True)
        )

    def months(self) -> list[date]:
        """The first day of every month the period touches."""
        months, month = [], self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = (month + timedelta(days=32)).replace(day=1)
        return months

    def half_years(self) -> list[tuple[int, int]]:
        """(year, 1 or 2) for every half-year the period touches."""
        return list(
            dict.fromkeys((month.year, 1 if month.month <= 6 else 2) for month in self.months())
        )

    @property
    def label(self) -> str:
        if self.is_year:
            return str(self.start.year)
        return _("%(start)s to %(end)s") % {
            "start": formats.date_format(self.start),
            "end": formats.date_format(self.end),
        }

    @property
    def slug(self) -> str:
        """For file names: 2021, or 2020-07-01_2020-12-31."""
        return str(self.start.year) if self.is_year else f"{self.start}_{self.end}"


def month_label(month: date) -> str:
    return formats.date_format(month, "M Y")


def half_year_label(year: int, half: int) -> str:
    return _("H%(half)d %(year)d") % {"half": half, "year": year}
