"""Files of the statistics: a table as CSV or XLSX, the workbook of every table of a
period for the annual report, and the command line's JSON and long CSV.

Each CSV also comes "for Excel": Excel in a Belgian locale (nl-BE, fr-BE) reads a CSV
with the list separator and decimal symbol of Windows's regional settings, a semicolon
and a comma, and without a byte order mark in the system's code page, not UTF-8. So the
variant has semicolons, decimal commas (a "15.6" there is text, or even a date) and a
byte order mark. The standard CSV, with commas and decimal points, is for programs.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .publication import Publication, Table

if TYPE_CHECKING:  # openpyxl is imported only when a workbook is made
    from openpyxl import Workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
CSV_EXCEL = "csv-excel"  # the format's name, on the command line, in a file's URL, in the log
BOM = "\ufeff"


def _header(table: Table) -> list[str]:
    return [table.row_heading, _("Period"), *table.columns]


def _values(table: Table):
    for row in table.rows:
        yield [row.label, row.period_label, *(cell.json for cell in row.cells)]


def _for_excel(value):
    return str(value).replace(".", ",") if isinstance(value, float) else value


def _csv(rows: Iterable[list], *, excel: bool) -> str:
    """The rows as CSV; ``excel``: with semicolons, decimal commas and a byte order mark
    (see above)."""
    buffer = io.StringIO()
    if excel:
        buffer.write(BOM)
        rows = ([_for_excel(value) for value in row] for row in rows)
    csv.writer(buffer, delimiter=";" if excel else ",").writerows(rows)
    return buffer.getvalue()


def table_csv(table: Table, *, excel: bool = False) -> str:
    return _csv([_header(table), *_values(table)], excel=excel)


def _sheet(workbook: Workbook, table: Table, title: str) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title[:31])
    sheet.append([table.title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([table.note])
    if table.legend:
        sheet.append([table.legend])
    sheet.append([])
    sheet.append(_header(table))
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row, values in zip(table.rows, _values(table), strict=True):
        sheet.append(values)
        if row.previous:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(color="666666")
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=3)
    sheet.column_dimensions["A"].width = 36
    sheet.column_dimensions["B"].width = 26
    for index in range(3, len(table.columns) + 3):
        sheet.column_dimensions[get_column_letter(index)].width = 13


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def table_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    _sheet(workbook, table, str(table.spec.sheet))
    return _save(workbook)


def workbook_xlsx(tables: list[Table], current: Publication, previous: Publication) -> bytes:
    """Every table of the period, one sheet each, after a sheet saying what they are."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    about = workbook.active
    about.title = _("About")[:31]
    about.append([_("Statistics of the Institute for the Equality of Women and Men")])
    about["A1"].font = Font(bold=True, size=13)
    about.append([_("Period"), current.period.label])
    about.append([_("Compared with"), previous.period.label])
    about.append([_("Dossiers received"), current.shown(("by_form", "all")).json])
    about.append([_("Produced on"), formats.date_format(timezone.localdate())])
    about.append(
        [
            _("Small numbers"),
            current.legend or _("Exact figures, for internal use: not for publication."),
        ]
    )
    about.append([])
    for table in tables:
        about.append([table.title, table.note])
    about.column_dimensions["A"].width = 40
    about.column_dimensions["B"].width = 110
    for table in tables:
        _sheet(workbook, table, str(table.spec.sheet))
    return _save(workbook)


def figures_json(publication: Publication) -> str:
    return json.dumps(publication.as_json(), indent=2, ensure_ascii=False) + "\n"


def figures_csv(publication: Publication, *, excel: bool = False) -> str:
    """One line per figure: table, row, column, value (codes, for further processing)."""
    start, end = publication.period.start.isoformat(), publication.period.end.isoformat()
    header = ["period_from", "period_to", "table", "row", "column", "value"]
    lines = ([start, end, *line] for line in publication.as_rows())
    return _csv([header, *lines], excel=excel)
