"""Files of the statistics: a table as CSV or XLSX, the workbook of every table of a
period for the annual report, and the command line's JSON and long CSV."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .publication import Publication, Table

if TYPE_CHECKING:  # openpyxl is imported only when a workbook is made
    from openpyxl import Workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def _header(table: Table) -> list[str]:
    return [table.row_heading, _("Period"), *table.columns]


def _values(table: Table):
    for row in table.rows:
        yield [row.label, row.period_label, *(cell.json for cell in row.cells)]


def table_csv(table: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_header(table))
    writer.writerows(_values(table))
    return buffer.getvalue()


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


def figures_csv(publication: Publication) -> str:
    """One line per figure: table, row, column, value (codes, for further processing)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["period_from", "period_to", "table", "row", "column", "value"])
    start, end = publication.period.start.isoformat(), publication.period.end.isoformat()
    for line in publication.as_rows():
        writer.writerow([start, end, *line])
    return buffer.getvalue()
