"""Import of the Institute's earlier records from a CSV file.

One row per dossier, coded columns only (no personal data)::

    external_id,received_at,forms,reporter,language,channel[,status,closed_at,
    closure_reason,minor_involved]

All or nothing: the whole file is checked first and, if any row is wrong, nothing is
written and every problem is reported with its line (the header is line 1) and column.
Rows whose ``external_id`` is already in the database are skipped, so importing the
same file twice adds nothing. The dossiers are made by a service of ``cases``
(``cases.services.earlier_records``), in bulk and in one transaction.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import IO

from django.db import transaction
from django.utils import timezone
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
    earlier_records_import,
    earlier_records_known,
)

from .models import StatisticsAction, StatisticsLogEntry

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("external_id", "received_at", "forms", "reporter", "language", "channel")
OPTIONAL_COLUMNS = ("status", "closed_at", "closure_reason", "minor_involved")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

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


class ImportRejected(Exception):
    """The file has errors; nothing was imported. ``errors`` lists every one."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


@dataclass(frozen=True)
class ImportResult:
    """What an import did (or, with ``dry_run``, would do)."""

    imported: int
    already_imported: int
    dry_run: bool = False


@dataclass
class _Checker:
    """Collects the errors of one line while its values are converted."""

    line: int
    errors: list[RowError] = field(default_factory=list)

    def error(self, column: str | None, message: str) -> None:
        self.errors.append(RowError(self.line, column, message))


def _quoted(value: str) -> str:
    return value if len(value) <= _QUOTED_MAX else value[: _QUOTED_MAX - 1] + "…"


def _not_one_of(value: str, choices) -> str:
    return _('"%(value)s" is not one of %(choices)s.') % {
        "value": _quoted(value),
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


def _moment(check: _Checker, column: str, value: str, now: datetime) -> datetime | None:
    """A date (that day, 00:00 in Brussels) or a date and time with an offset."""
    text = value.upper()
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
                    % {"value": _quoted(value)},
                )
                return None
            moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None:
        check.error(
            column,
            _(
                '"%(value)s" is not a date (2021-03-04) or a date and time with an offset '
                "from UTC (2021-03-04T10:15:00+01:00)."
            )
            % {"value": _quoted(value)},
        )
        return None
    if moment > now:
        check.error(column, _('"%(value)s" is in the future.') % {"value": _quoted(value)})
        return None
    return moment


def _is_date(value: str) -> bool:
    return bool(_DATE.fullmatch(value))


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


def _check_row(
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


def _text(source) -> str:
    """The file as text: UTF-8, with or without a byte order mark."""
    if hasattr(source, "read"):
        data = source.read()
    else:
        with open(source, "rb") as file:
            data = file.read()
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportRejected(
            [RowError(line, None, _("the file is not UTF-8 text; save it as UTF-8."))]
        ) from None


def _records(text: str, errors: list[RowError]) -> Iterator[tuple[int, list[str]]]:
    """(first line, fields) of every record; a malformed one ends the file with an error."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    while True:
        line = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            errors.append(
                RowError(line, None, _("this is not valid CSV (%(reason)s).") % {"reason": error})
            )
            return
        yield line, [value.strip() for value in fields]


def _check_header(header: list[str], errors: list[RowError]) -> bool:
    """Record what is wrong with the header; False if the rows cannot be read."""
    if not any(header):
        errors.append(
            RowError(
                1,
                None,
                _("the first line must name the columns: %(columns)s.")
                % {"columns": ", ".join(REQUIRED_COLUMNS)},
            )
        )
        return False
    readable = True
    if len(header) == 1 and ";" in header[0]:
        errors.append(RowError(1, None, _("separate the columns with commas, not semicolons.")))
        return False
    seen = set()
    for name in header:
        if name in seen:
            errors.append(RowError(1, name, _("this column appears more than once.")))
            readable = False
        elif name not in COLUMNS:
            errors.append(
                RowError(
                    1,
                    name,
                    _("unknown column; the columns are %(columns)s.")
                    % {"columns": ", ".join(COLUMNS)},
                )
            )
        seen.add(name)
    for name in REQUIRED_COLUMNS:
        if name not in seen:
            errors.append(RowError(1, name, _("this required column is missing.")))
            readable = False
    return readable


def _check_file(text: str, now: datetime) -> list[EarlierRecord]:
    """Every row of the file, converted; or ImportRejected with every error."""
    errors: list[RowError] = []
    rows: list[EarlierRecord] = []
    first_line: dict[str, int] = {}
    records = _records(text, errors)
    header = next(records, (1, []))[1]
    if _check_header(header, errors):
        for line, fields in records:
            if not any(fields):
                continue  # a blank line, or one of only commas
            if len(fields) != len(header):
                errors.append(
                    RowError(
                        line,
                        None,
                        _("this line has %(found)d values; the header has %(expected)d columns.")
                        % {"found": len(fields), "expected": len(header)},
                    )
                )
                continue
            cells = {name: value for name, value in zip(header, fields, strict=True)}
            external_id = cells["external_id"]
            if external_id in first_line:
                errors.append(
                    RowError(
                        line,
                        "external_id",
                        _('"%(value)s" already appears on line %(line)d.')
                        % {"value": _quoted(external_id), "line": first_line[external_id]},
                    )
                )
            elif external_id:
                first_line[external_id] = line
            row, row_errors = _check_row(cells, line, now)
            errors.extend(row_errors)
            if row is not None:
                rows.append(row)
    if errors:
        raise ImportRejected(errors)
    return rows


def import_reports(
    source: str | os.PathLike | IO[bytes] | IO[str], *, dry_run: bool = False
) -> ImportResult:
    """Import the dossiers of a CSV file (a path or an open file), all or nothing.

    Raises ImportRejected, writing nothing, if any line is wrong. Rows whose
    ``external_id`` is already in the database are counted and skipped. With
    ``dry_run`` the file is checked and counted but nothing is written.
    """
    now = timezone.now()
    records = _check_file(_text(source), now)
    if dry_run:
        known = earlier_records_known([record.external_id for record in records])
        imported = len(records) - len(known)
    else:
        with transaction.atomic():
            imported = len(earlier_records_import(records, now=now))
            StatisticsLogEntry.objects.create(action=StatisticsAction.IMPORT, rows=imported)
    result = ImportResult(
        imported=imported, already_imported=len(records) - imported, dry_run=dry_run
    )
    # Counts only: the rows themselves are never logged.
    logger.info(
        "Import of earlier records%s: %d new, %d already imported",
        " (dry run)" if dry_run else "",
        result.imported,
        result.already_imported,
    )
    return result
