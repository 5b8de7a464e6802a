"""English dates are written the Belgian way: 12/03/2026 is 12 March, never 3 December
or the American month/day."""

from datetime import date, datetime

import pytest
from django import forms
from django.utils import formats, translation


def test_english_shows_the_day_before_the_month():
    with translation.override("en"):
        assert formats.date_format(date(2026, 3, 12), "SHORT_DATE_FORMAT") == "12/03/2026"
        assert formats.date_format(date(2026, 3, 12), "DATE_FORMAT") == "12 March 2026"
        moment = datetime(2026, 3, 12, 16, 5)
        assert formats.date_format(moment, "SHORT_DATETIME_FORMAT") == "12/03/2026 16:05"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("12/03/2026", date(2026, 3, 12)),
        ("2026-03-12", date(2026, 3, 12)),
        ("03/12/2026", date(2026, 12, 3)),
    ],
)
def test_english_reads_the_day_before_the_month(typed, meant):
    with translation.override("en"):
        assert forms.DateField().clean(typed) == meant


def test_no_american_order_is_accepted():
    with translation.override("en"), pytest.raises(forms.ValidationError):
        forms.DateField().clean("03/31/2026")  # 31st month: refused, not read as 31 March
