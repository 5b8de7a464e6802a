"""The Institute's published figures (1 July 2020 - 31 December 2021) as an import file.

``published_rows()`` builds, deterministically, one CSV row per dossier in the format
of ``manage.py import_reports`` such that counting the imported dossiers per form (a
dossier with two forms counts under both) gives the published tables exactly. The
published "other" reporter is split here into other, organisation and not given; the
language figures were not published as numbers, so these follow their description
(French slightly ahead of Dutch for ncii, Dutch far ahead for voyeurism).
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")
UTC = ZoneInfo("UTC")

FORMS = ("ncii", "voyeurism", "sextortion")
REPORTERS = ("woman", "man", "other", "organisation", "not_given")
LANGUAGES = ("nl", "fr", "de", "en")
HEADER = (
    "external_id",
    "received_at",
    "forms",
    "reporter",
    "language",
    "channel",
    "status",
    "closed_at",
    "closure_reason",
    "minor_involved",
)

# [start, end) of each period, in Brussels time.
PERIOD_2020 = (datetime(2020, 7, 1, tzinfo=BRUSSELS), datetime(2021, 1, 1, tzinfo=BRUSSELS))
PERIOD_2021 = (datetime(2021, 1, 1, tzinfo=BRUSSELS), datetime(2022, 1, 1, tzinfo=BRUSSELS))

# The published tables (DOMAIN.md), "other" being other + organisation + not given.
PUBLISHED_BY_FORM = {
    "2020": {"ncii": 58, "voyeurism": 15, "sextortion": 12},
    "2021": {"ncii": 95, "voyeurism": 15, "sextortion": 26},
}
PUBLISHED_2021_BY_FORM_AND_REPORTER = {
    "ncii": {"woman": 49, "man": 16, "other": 30},
    "voyeurism": {"woman": 10, "man": 1, "other": 4},
    "sextortion": {"woman": 11, "man": 10, "other": 5},
}

EXPECTED_2020_BY_FORM = PUBLISHED_BY_FORM["2020"]
EXPECTED_2021_BY_FORM = PUBLISHED_BY_FORM["2021"]

EXPECTED_2021_BY_FORM_AND_REPORTER = {
    "ncii": {"woman": 49, "man": 16, "other": 6, "organisation": 10, "not_given": 14},
    "voyeurism": {"woman": 10, "man": 1, "other": 1, "organisation": 2, "not_given": 1},
    "sextortion": {"woman": 11, "man": 10, "other": 1, "organisation": 1, "not_given": 3},
}
EXPECTED_2021_BY_FORM_AND_LANGUAGE = {
    "ncii": {"nl": 42, "fr": 46, "de": 2, "en": 5},
    "voyeurism": {"nl": 11, "fr": 2, "de": 1, "en": 1},
    "sextortion": {"nl": 12, "fr": 10, "de": 1, "en": 3},
}
EXPECTED_2020_BY_FORM_AND_REPORTER = {
    "ncii": {"woman": 30, "man": 10, "other": 4, "organisation": 6, "not_given": 8},
    "voyeurism": {"woman": 9, "man": 2, "other": 1, "organisation": 2, "not_given": 1},
    "sextortion": {"woman": 4, "man": 6, "other": 0, "organisation": 1, "not_given": 1},
}
EXPECTED_2020_BY_FORM_AND_LANGUAGE = {
    "ncii": {"nl": 27, "fr": 28, "de": 1, "en": 2},
    "voyeurism": {"nl": 10, "fr": 4, "de": 0, "en": 1},
    "sextortion": {"nl": 6, "fr": 5, "de": 0, "en": 1},
}

# Dossiers with two forms, each with its one reporter and one language.
TWO_FORM_DOSSIERS = {
    "2020": [
        (("ncii", "voyeurism"), "woman", "nl"),
        (("ncii", "voyeurism"), "man", "fr"),
        (("ncii", "voyeurism"), "not_given", "nl"),
        (("ncii", "sextortion"), "man", "fr"),
        (("ncii", "sextortion"), "woman", "en"),
    ],
    "2021": [
        (("ncii", "voyeurism"), "woman", "nl"),
        (("ncii", "voyeurism"), "woman", "nl"),
        (("ncii", "voyeurism"), "organisation", "fr"),
        (("ncii", "sextortion"), "woman", "fr"),
        (("ncii", "sextortion"), "man", "nl"),
        (("ncii", "sextortion"), "not_given", "en"),
    ],
}
EXPECTED_TWO_FORM_DOSSIERS = {"ncii+voyeurism": 6, "ncii+sextortion": 5}

# Distinct dossiers: the per-form counts less the dossiers counted twice.
EXPECTED_2020_DISTINCT = 80  # 58 + 15 + 12 - 5
EXPECTED_2021_DISTINCT = 130  # 95 + 15 + 26 - 6
EXPECTED_DISTINCT_TOTAL = EXPECTED_2020_DISTINCT + EXPECTED_2021_DISTINCT  # 210

EXPECTED = {
    "2020": {
        "by_form": EXPECTED_2020_BY_FORM,
        "by_reporter": EXPECTED_2020_BY_FORM_AND_REPORTER,
        "by_language": EXPECTED_2020_BY_FORM_AND_LANGUAGE,
        "distinct": EXPECTED_2020_DISTINCT,
        "period": PERIOD_2020,
    },
    "2021": {
        "by_form": EXPECTED_2021_BY_FORM,
        "by_reporter": EXPECTED_2021_BY_FORM_AND_REPORTER,
        "by_language": EXPECTED_2021_BY_FORM_AND_LANGUAGE,
        "distinct": EXPECTED_2021_DISTINCT,
        "period": PERIOD_2021,
    },
}

# Moments the generator must produce, at the edges of the periods.
FIRST_DAY_2020 = "2020-07-01"
LAST_DAY_2020 = "2020-12-31"
NEW_YEARS_EVE_LATE = "2020-12-31T23:30:00+01:00"
NEW_YEARS_DAY_EARLY = "2021-01-01T00:30:00+01:00"  # 2020-12-31T23:30Z, yet 2021

CHANNELS = ("web", "web", "web", "email", "email", "phone", "letter", "in_person", "other")
CLOSURE_REASONS = (
    "",
    "content_removed",
    "referred",
    "no_further_action_wanted",
    "no_contact_possible",
    "not_competent",
    "other",
    "not_recorded",
)


def _expand(counts: dict[str, int]) -> list[str]:
    return [key for key, count in counts.items() for _ in range(count)]


def _dossiers(period: str) -> list[tuple[tuple[str, ...], str, str]]:
    """(forms, reporter, language) of every dossier of a period: the two-form ones
    first, then single-form ones making up what each form still lacks."""
    expected = EXPECTED[period]
    dossiers = list(TWO_FORM_DOSSIERS[period])
    rng = random.Random(f"published-{period}")
    for form in FORMS:
        reporters = Counter(expected["by_reporter"][form])
        languages = Counter(expected["by_language"][form])
        total = expected["by_form"][form]
        for forms, reporter, language in TWO_FORM_DOSSIERS[period]:
            if form in forms:
                reporters[reporter] -= 1
                languages[language] -= 1
                total -= 1
        if min(reporters.values()) < 0 or min(languages.values()) < 0:
            raise AssertionError(f"two-form dossiers exceed the {period} {form} figures")
        if total != reporters.total() or total != languages.total():
            raise AssertionError(f"the {period} {form} figures do not add up")
        reporter_list, language_list = _expand(reporters), _expand(languages)
        rng.shuffle(reporter_list)
        rng.shuffle(language_list)
        dossiers += [
            ((form,), r, lang) for r, lang in zip(reporter_list, language_list, strict=True)
        ]
    rng.shuffle(dossiers)
    return dossiers


def _received(period: str, index: int, count: int) -> str:
    """Spread over the months of the period; some with a time (and an offset), most a
    date; the first and last dossiers on the period's first and last day."""
    start = PERIOD_2020[0].date() if period == "2020" else PERIOD_2021[0].date()
    end = date(2020, 12, 31) if period == "2020" else date(2021, 12, 31)
    day = start + timedelta(days=(end - start).days * index // (count - 1))
    if index in (0, count - 1) and not (period == "2021" and index == 0):
        return day.isoformat()
    if period == "2020" and index == count - 2:
        return NEW_YEARS_EVE_LATE
    if period == "2021" and index == 0:
        return NEW_YEARS_DAY_EARLY
    if index % 5 == 2:
        moment = datetime.combine(day, time(8 + index % 10, 15 * (index % 4)), tzinfo=BRUSSELS)
        if index % 3 == 0:
            return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return moment.isoformat()
    return day.isoformat()


def _status(index: int, received: str, period: str) -> tuple[str, str, str]:
    """(status, closed_at, closure_reason): most closed, a few still open in 2021."""
    if period == "2021" and index % 17 == 3:
        return ("in_progress", "", "")
    if period == "2021" and index % 23 == 5:
        return ("waiting", "", "")
    if period == "2021" and index % 29 == 7:
        return ("new", "", "")
    if index % 4 == 1:
        return ("", "", "")  # the default: closed, reason not recorded
    closed_at = ""
    if index % 3 == 0:
        received_day = date.fromisoformat(received[:10])
        closed_at = (received_day + timedelta(days=3 + index % 40)).isoformat()
    return ("closed", closed_at, CLOSURE_REASONS[index % len(CLOSURE_REASONS)])


def published_rows() -> list[dict[str, str]]:
    """One row per dossier, in the import's CSV format (the same every call)."""
    rows = []
    for period in ("2020", "2021"):
        dossiers = _dossiers(period)
        for index, (forms, reporter, language) in enumerate(dossiers):
            received = _received(period, index, len(dossiers))
            status, closed_at, closure_reason = _status(index, received, period)
            rows.append(
                {
                    "external_id": f"IGVM-{period}-{index + 1:03d}",
                    "received_at": received,
                    "forms": ";".join(forms),
                    "reporter": reporter,
                    "language": language,
                    "channel": CHANNELS[index % len(CHANNELS)],
                    "status": status,
                    "closed_at": closed_at,
                    "closure_reason": closure_reason,
                    "minor_involved": ("yes", "no", "unknown", "", "no")[index % 5],
                }
            )
    return rows


def write_published_csv(path: str | Path) -> Path:
    path = Path(path)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(published_rows())
    return path
