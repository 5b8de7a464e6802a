"""Deadlines in Belgian working days.

First contact is due a configurable number of working days after the day a report
arrives (``FIRST_CONTACT_WORKING_DAYS``, default 2), at the end of that day in Brussels;
an urgent dossier is due at the end of the day it arrived. Weekends and Belgian public
holidays are not working days.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache

from django.conf import settings
from django.utils import timezone

from .choices import Priority
from .models import BRUSSELS


def easter_sunday(year: int) -> date:
    """Gregorian Easter (the anonymous Gregorian algorithm, valid for every year)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


@cache
def belgian_public_holidays(year: int) -> frozenset[date]:
    easter = easter_sunday(year)
    return frozenset(
        {
            date(year, 1, 1),  # New Year
            easter + timedelta(days=1),  # Easter Monday
            date(year, 5, 1),  # Labour Day
            easter + timedelta(days=39),  # Ascension
            easter + timedelta(days=50),  # Whit Monday
            date(year, 7, 21),  # National Day
            date(year, 8, 15),  # Assumption
            date(year, 11, 1),  # All Saints
            date(year, 11, 11),  # Armistice
            date(year, 12, 25),  # Christmas
        }
    )


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in belgian_public_holidays(day.year)


def add_working_days(day: date, count: int) -> date:
    """The ``count``-th working day after ``day`` (``day`` itself if count is 0)."""
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def end_of_day(day: date) -> datetime:
    """The last moment of ``day`` in Brussels."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=BRUSSELS)


def first_contact_due(received_at: datetime, priority: str) -> datetime:
    day = timezone.localtime(received_at, BRUSSELS).date()
    if priority == Priority.URGENT:
        return end_of_day(day)
    return end_of_day(add_working_days(day, settings.FIRST_CONTACT_WORKING_DAYS))


def takedown_ack_deadline(sent_at: datetime) -> datetime:
    return sent_at + timedelta(hours=settings.TAKEDOWN_ACK_HOURS)


def takedown_deadline(sent_at: datetime) -> datetime:
    return sent_at + timedelta(hours=settings.TAKEDOWN_DEADLINE_HOURS)
