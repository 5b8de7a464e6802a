from datetime import date, datetime

import pytest

from cases.models import BRUSSELS
from reporting.periods import Period, PeriodError


def test_a_year_and_the_year_before():
    year = Period.year(2021)
    assert year.is_year and year.label == "2021" and year.slug == "2021"
    assert year.previous() == Period.year(2020)
    assert year.bounds() == (
        datetime(2021, 1, 1, tzinfo=BRUSSELS),
        datetime(2022, 1, 1, tzinfo=BRUSSELS),
    )


def test_the_same_dates_earlier_without_overlap():
    half = Period(date(2020, 7, 1), date(2020, 12, 31))
    assert half.previous() == Period(date(2019, 7, 1), date(2019, 12, 31))
    # Longer than a year: as many years back as it takes not to overlap.
    long = Period(date(2020, 7, 1), date(2021, 12, 31))
    assert long.previous() == Period(date(2018, 7, 1), date(2019, 12, 31))
    # 29 February: an end becomes the 28th, a start 1 March.
    assert Period(date(2024, 2, 29), date(2024, 3, 31)).previous() == Period(
        date(2023, 3, 1), date(2023, 3, 31)
    )
    assert Period(date(2024, 1, 1), date(2024, 2, 29)).previous().end == date(2023, 2, 28)


def test_months_and_half_years_touched():
    period = Period(date(2021, 5, 15), date(2021, 8, 2))
    assert period.months() == [date(2021, m, 1) for m in (5, 6, 7, 8)]
    assert period.half_years() == [(2021, 1), (2021, 2)]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2021-05-01", "2021-04-30", "before its start"),
        ("1999-12-31", "2000-01-31", "at the earliest"),
        ("2001-01-01", "2015-01-01", "at most 10 years"),
        ("2021-02-30", "2021-03-01", "YYYY-MM-DD"),
    ],
)
def test_unusable_periods_are_refused(start, end, message):
    from django.utils import translation

    with translation.override("en"), pytest.raises(PeriodError, match=message):
        Period.parse(start, end)
