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


def _check_file(
    text: str, now: datetime, advance: Callable[[int], object] = lambda count: None
) -> list[EarlierRecord]:
    """Every row of the file, converted; or ImportRejected with every error.
    ``advance(1)`` is told after each line (a progress bar)."""
    errors: list[RowError] = []
    rows: list[EarlierRecord] = []
    first_line: dict[str, int] = {}
    records = _records(text, errors)
    header = next(records, (1, []))[1]
    if _check_header(header, errors):
        for line, fields in records:
            advance(1)
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

    Raises ImportRejected, writing nothing, if any line is wrong. Rows whose
    ``external_id`` is already in the database are counted and skipped. With
    ``dry_run`` the file is checked and counted but nothing is written.
    """
    now = timezone.now()
    text = _text(source)
    # The lines after the header, for a progress bar: progress(total) gives advance(n).
    advance = progress(max(len(text.splitlines()) - 1, 0)) if progress else (lambda count: None)
    records = _check_file(text, now, advance)
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
