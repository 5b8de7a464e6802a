"""One row of a file of earlier records, checked: its cells turned into the dossier's
coded values (``cases.services.earlier_records.EarlierRecord``), and every problem told
with its line and column, in the active language."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.utils.translation import gettext as _

from cases.choices import (
    Channel,
    ClosureReason,
    FormOfAbuse,
    Language,
    ReporterCategory,
    Status,
    YesNoUnknown,
)
from cases.models import BRUSSELS, Dossier
from cases.services.earlier_records import (
    EarlierRecord,
)

MINOR_INVOLVED = {
    "yes": YesNoUnknown.YES,
    "true": YesNoUnknown.YES,
    "1": YesNoUnknown.YES,
    "no": YesNoUnknown.NO,
    "false": YesNoUnknown.NO,
    "0": YesNoUnknown.NO,
    "unknown": YesNoUnknown.UNKNOWN,
    "": YesNoUnknown.UNKNOWN,
}

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?P<offset>Z|[+-]\d{2}:\d{2})?"
)
# Belgian spreadsheets write the day first, with one or two digits (3/04/2024 is 3 April).
# No other format taken here has a slash, so nothing else can be read this way.
_DAY_FIRST = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[T ](\d{1,2})(:.*))?")
_EXTERNAL_ID_MAX = Dossier._meta.get_field("external_id").max_length
_QUOTED_MAX = 40


@dataclass(frozen=True)
class RowError:
    """One problem in the file: where it is and what is wrong (already translated)."""

    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.column is None:
            text = _("line %(line)d: %(message)s") % {"line": self.line, "message": self.message}
        else:
            text = _('line %(line)d, column "%(column)s": %(message)s') % {
                "line": self.line,
                "column": self.column,
                "message": self.message,
            }
        return printable(text)


def printable(text: str) -> str:
    """``text`` with control and format characters shown as escapes (``\\x1b``,
    ``\\u202e``): values quoted from a file must never move a terminal's cursor, change
    its colours or turn text around."""
    return "".join(
        char.encode("unicode_escape").decode("ascii")
        if unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"}
        else char
        for char in text
    )


@dataclass
class _Checker:
    """Collects the errors of one line while its values are converted."""

    line: int
    errors: list[RowError] = field(default_factory=list)

    def error(self, column: str | None, message: str) -> None:
        self.errors.append(RowError(self.line, column, message))


def quoted(value: str) -> str:
    return value if len(value) <= _QUOTED_MAX else value[: _QUOTED_MAX - 1] + "…"


def _not_one_of(value: str, choices) -> str:
    return _('"%(value)s" is not one of %(choices)s.') % {
        "value": quoted(value),
        "choices": ", ".join(choices),
    }


def _choice(check: _Checker, column: str, value: str, choices: list[str]) -> str | None:
    code = value.lower()
    if not value:
        check.error(column, _("a value is required."))
    elif code not in choices:
        check.error(column, _not_one_of(value, choices))
    else:
        return code
    return None


def _iso(value: str) -> str:
    """``value`` with a day-first date (dd/mm/yyyy, with or without a time after it)
    written the ISO way, so one parser and one set of rules read both; anything else as
    it is."""
    match = _DAY_FIRST.fullmatch(value)
    if match is None:
        return value
    day, month, year, hour, rest = match.groups()
    iso = f"{year}-{int(month):02d}-{int(day):02d}"
    return iso if hour is None else f"{iso}T{int(hour):02d}{rest}"


def _moment(check: _Checker, column: str, value: str, now: datetime) -> datetime | None:
    """A date (that day, 00:00 in Brussels) or a date and time with an offset. A date
    and time without an offset is refused, day first or not: a wall-clock time is
    ambiguous when the clocks go back, and the day alone is all the statistics use."""
    text = _iso(value.upper())
    moment = None
    try:
        if _DATE.fullmatch(text):
            moment = datetime.combine(date.fromisoformat(text), time(0), tzinfo=BRUSSELS)
        elif match := _DATETIME.fullmatch(text):
            if match["offset"] is None:
                check.error(
                    column,
                    _(
                        '"%(value)s" has no offset from UTC: add one '
                        "(2021-03-04T10:15:00+01:00, or Z for UTC) or give only the date."
                    )
                    % {"value": quoted(value)},
                )
                return None
            moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None:
        check.error(
            column,
            _(
                '"%(value)s" is not a date (2021-03-04, or day first: 04/03/2021) or a date '
                "and time with an offset from UTC (2021-03-04T10:15:00+01:00)."
            )
            % {"value": quoted(value)},
        )
        return None
    if moment > now:
        check.error(column, _('"%(value)s" is in the future.') % {"value": quoted(value)})
        return None
    return moment


def _is_date(value: str) -> bool:
    return bool(_DATE.fullmatch(_iso(value)))


def _external_id(check: _Checker, value: str) -> str:
    if not value:
        check.error("external_id", _("a value is required."))
    elif len(value) > _EXTERNAL_ID_MAX:
        check.error(
            "external_id",
            _("the identifier is longer than %(max)d characters.") % {"max": _EXTERNAL_ID_MAX},
        )
    return value


def _forms(check: _Checker, value: str) -> list[str]:
    forms = []
    for code in value.split(";"):
        code = code.strip()
        if not code:
            continue
        if code.lower() in FormOfAbuse.values:
            forms.append(code.lower())
        else:
            check.error("forms", _not_one_of(code, FormOfAbuse.values))
    if not value.replace(";", "").strip():
        check.error(
            "forms",
            _("give at least one of %(choices)s, separated by semicolons.")
            % {"choices": ", ".join(FormOfAbuse.values)},
        )
    return forms


def _closure(
    check: _Checker, cells: dict[str, str], status: str | None, received_at, now: datetime
) -> tuple[str, datetime | None]:
    """The closure reason and moment: only for a closed dossier, never before receipt."""
    closure_reason = ""
    if cells.get("closure_reason"):
        if status is not None and status != Status.CLOSED:
            check.error(
                "closure_reason",
                _('only a closed dossier has a closure reason (the status is "%(status)s").')
                % {"status": status},
            )
        else:
            closure_reason = _choice(
                check, "closure_reason", cells["closure_reason"], ClosureReason.values
            )
    elif status == Status.CLOSED:
        closure_reason = ClosureReason.NOT_RECORDED.value

    closed_at = None
    if cells.get("closed_at"):
        if status is not None and status != Status.CLOSED:
            check.error(
                "closed_at",
                _('only a closed dossier has a closing date (the status is "%(status)s").')
                % {"status": status},
            )
        else:
            closed_at = _moment(check, "closed_at", cells["closed_at"], now)
    if closed_at is not None and received_at is not None:
        if _is_date(cells["closed_at"]):
            # A closing day without a time: the same day as receipt is fine, and the
            # dossier is then closed when it was received, not at midnight before.
            if closed_at.date() < received_at.astimezone(BRUSSELS).date():
                check.error("closed_at", _("the dossier cannot be closed before it was received."))
            closed_at = max(closed_at, received_at)
        elif closed_at < received_at:
            check.error("closed_at", _("the dossier cannot be closed before it was received."))
    return closure_reason, closed_at


def check_row(
    cells: dict[str, str], line: int, now: datetime
) -> tuple[EarlierRecord | None, list[RowError]]:
    check = _Checker(line)
    external_id = _external_id(check, cells["external_id"])
    received_at = None
    if not cells["received_at"]:
        check.error("received_at", _("a value is required."))
    else:
        received_at = _moment(check, "received_at", cells["received_at"], now)
    forms = _forms(check, cells["forms"])
    reporter = _choice(check, "reporter", cells["reporter"], ReporterCategory.values)
    language = _choice(check, "language", cells["language"], Language.values)
    channel = _choice(check, "channel", cells["channel"], Channel.values)
    status = Status.CLOSED.value
    if cells.get("status"):
        status = _choice(check, "status", cells["status"], Status.values)
    closure_reason, closed_at = _closure(check, cells, status, received_at, now)
    minor = cells.get("minor_involved", "").lower()
    if minor not in MINOR_INVOLVED:
        check.error(
            "minor_involved", _not_one_of(cells["minor_involved"], ["yes", "no", "unknown"])
        )
    if check.errors:
        return None, check.errors
    record = EarlierRecord(
        line=line,
        external_id=external_id,
        received_at=received_at,
        forms_of_abuse=forms,
        reporter=reporter,
        language=language,
        channel=channel,
        status=status,
        closed_at=closed_at,
        closure_reason=closure_reason,
        minor_involved=MINOR_INVOLVED[minor],
    )
    return record, []
