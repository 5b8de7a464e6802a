"""Import of the Institute's earlier records from a CSV file.

One row per dossier, coded columns only (no personal data)::

    external_id,received_at,forms,reporter,language,channel[,status,closed_at,
    closure_reason,minor_involved]

The columns are separated by commas or, as Excel saves CSV in a Belgian locale, by
semicolons: the header says which, since its names are known. The text is UTF-8, with or
without a byte order mark, or else Windows-1252 (Excel's plain "CSV" on Windows).

All or nothing: the whole file is checked first and, if any row is wrong, nothing is
written and every problem is reported with its line (the header is line 1) and column.
Rows whose ``external_id`` is already in the database are skipped, so importing the
same file twice adds nothing. The dossiers are made by a service of ``cases``
(``cases.services.earlier_records``), in bulk and in one transaction.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.services.earlier_records import (
    EarlierRecord,
    earlier_records_import,
    earlier_records_known,
)

from .import_rows import RowError, check_row, quoted
from .models import StatisticsAction, StatisticsLogEntry

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("external_id", "received_at", "forms", "reporter", "language", "channel")
OPTIONAL_COLUMNS = ("status", "closed_at", "closure_reason", "minor_involved")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
DELIMITERS = (",", ";")  # commas first: the documented one, and the choice on a tie
_HEADER_READ = 64 * 1024

# The encodings a file is read in (Python's names for them).
UTF8, UTF8_BOM, WINDOWS_1252 = "utf-8", "utf-8-sig", "cp1252"

# A character of two to four bytes as UTF-8 writes it. Windows-1252 text almost never
# holds one (a capital accented letter followed by a symbol, such as "Ã©"), so a file
# that has one and is still not valid UTF-8 mixes encodings: read as Windows-1252, its
# UTF-8 letters would be garbled, identifiers included.
_UTF8_CHARACTER = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


class ImportRejected(Exception):
    """The file has errors; nothing was imported. ``errors`` lists every one;
    ``encoding`` is the one the file was read in (None if it could not be read)."""

    def __init__(self, errors: list[RowError], encoding: str | None = None) -> None:
        self.errors = errors
        self.encoding = encoding
        super().__init__("\n".join(str(error) for error in errors))


@dataclass(frozen=True)
class ImportResult:
    """What an import did (or, with ``dry_run``, would do)."""

    imported: int
    already_imported: int
    dry_run: bool = False
    encoding: str | None = None  # None for a file opened as text


def _unreadable(data: bytes, position: int, message: str) -> ImportRejected:
    line = data[:position].count(b"\n") + 1
    return ImportRejected([RowError(line, None, message)])


def _decode(data: bytes) -> tuple[str, str]:
    """The text of the file and the encoding it was read in: UTF-8, with or without a
    byte order mark, or else Windows-1252."""
    neither = _("the file is neither UTF-8 nor Windows-1252 text; save it as UTF-8.")
    # A NUL is never in text: UTF-16 (Excel's "Unicode text"), or not text at all.
    if (nul := data.find(b"\0")) >= 0:
        raise _unreadable(data, nul, neither)
    try:
        return data.decode(UTF8_BOM), UTF8_BOM if data.startswith(codecs.BOM_UTF8) else UTF8
    except UnicodeDecodeError as error:
        if _UTF8_CHARACTER.search(data):
            raise _unreadable(
                data,
                error.start,
                _(
                    "the file mixes UTF-8 with another encoding (this line is not UTF-8); "
                    "save the whole file as UTF-8."
                ),
            ) from None
    try:
        return data.decode(WINDOWS_1252), WINDOWS_1252
    except UnicodeDecodeError as error:  # five byte values mean nothing in Windows-1252
        raise _unreadable(data, error.start, neither) from None


def _text(source) -> tuple[str, str | None]:
    """The file as text, and the encoding it was read in (None if it was text)."""
    if hasattr(source, "read"):
        data = source.read()
    else:
        with open(source, "rb") as file:
            data = file.read()
    if isinstance(data, str):
        return data.removeprefix("\ufeff"), None
    return _decode(data)


def _first_record(text: str, delimiter: str) -> list[str]:
    # The header is far shorter than this; reading only its start spares copying a
    # large file twice more.
    start = io.StringIO(text[:_HEADER_READ], newline="")
    try:
        reader = csv.reader(start, delimiter=delimiter, strict=True)
        return [name.strip() for name in next(reader, [])]
    except csv.Error:
        return []


def _delimiter(text: str) -> str:
    """The delimiter that splits the header into the most known column names (commas
    if neither splits it into any: the header check then says so). Taken from the
    header, whose names are known, never guessed from the values."""
    known = {
        delimiter: sum(name in COLUMNS for name in _first_record(text, delimiter))
        for delimiter in DELIMITERS
    }
    return max(DELIMITERS, key=known.__getitem__)


def _records(text: str, errors: list[RowError], delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(first line, fields) of every record; a malformed one ends the file with an error."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
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
    if not any(name in COLUMNS for name in header):
        # Neither delimiter splits it into the names: tabs, another separator, or no header.
        errors.append(
            RowError(
                1,
                None,
                _(
                    "the first line must name the columns, separated by commas or by "
                    "semicolons: %(columns)s."
                )
                % {"columns": ", ".join(REQUIRED_COLUMNS)},
            )
        )
        return False
    readable = True
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


def _check_file(
    text: str, now: datetime, advance: Callable[[int], object] = lambda count: None
) -> list[EarlierRecord]:
    """Every row of the file, converted; or ImportRejected with every error.
    ``advance(1)`` is told after each line (a progress bar)."""
    errors: list[RowError] = []
    rows: list[EarlierRecord] = []
    first_line: dict[str, int] = {}
    records = _records(text, errors, _delimiter(text))
    header = next(records, (1, []))[1]
    if _check_header(header, errors):
        for line, fields in records:
            advance(1)
            if not any(fields):
                continue  # a blank line, or one of only delimiters
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
                        % {"value": quoted(external_id), "line": first_line[external_id]},
                    )
                )
            elif external_id:
                first_line[external_id] = line
            row, row_errors = check_row(cells, line, now)
            errors.extend(row_errors)
            if row is not None:
                rows.append(row)
    if errors:
        raise ImportRejected(errors)
    return rows


def import_reports(
    source: str | os.PathLike | IO[bytes] | IO[str],
    *,
    dry_run: bool = False,
    progress: Callable[[int], Callable[[int], object]] | None = None,
) -> ImportResult:
    """Import the dossiers of a CSV file (a path or an open file), all or nothing.
    The result says which encoding the file was read in.

    Raises ImportRejected, writing nothing, if any line is wrong. Rows whose
    ``external_id`` is already in the database are counted and skipped. With
    ``dry_run`` the file is checked and counted but nothing is written.
    """
    now = timezone.now()
    text, encoding = _text(source)
    # The lines after the header, for a progress bar: progress(total) gives advance(n).
    advance = progress(max(len(text.splitlines()) - 1, 0)) if progress else (lambda count: None)
    try:
        records = _check_file(text, now, advance)
    except ImportRejected as rejected:
        rejected.encoding = encoding
        raise
    if dry_run:
        known = earlier_records_known([record.external_id for record in records])
        imported = len(records) - len(known)
    else:
        with transaction.atomic():
            imported = len(earlier_records_import(records, now=now))
            StatisticsLogEntry.objects.create(action=StatisticsAction.IMPORT, rows=imported)
    result = ImportResult(
        imported=imported,
        already_imported=len(records) - imported,
        dry_run=dry_run,
        encoding=encoding,
    )
    # Counts only: the rows themselves are never logged.
    logger.info(
        "Import of earlier records%s: %d new, %d already imported",
        " (dry run)" if dry_run else "",
        result.imported,
        result.already_imported,
    )
    return result
