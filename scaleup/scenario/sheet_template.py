"""Empty scenario spreadsheets: ``scaleup scenario template -f csv|xlsx``.

The header row holds every column of :func:`~scaleup.scenario.sheet_columns.sheet_columns` in
schema order, and a note row (skipped when read) gives each column's unit or allowed values.
"""

from __future__ import annotations

import csv
import io
import os
from typing import IO

from ..xlsx import save_workbook
from .sheet_columns import SheetColumn, sheet_columns

HEADER_FILL = "1F3B57"


def template_columns() -> list[SheetColumn]:
    """The columns of the template: every scenario field that has a column, schema order."""
    return list(sheet_columns().values())


def template_csv() -> str:
    """An empty CSV scenario sheet: the header row, and a note row (skipped when read) giving
    each column's unit or allowed values."""
    columns = template_columns()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")   # as batch CSV output is written
    writer.writerow([c.path for c in columns])
    writer.writerow([f"({c.describe()})" for c in columns])
    return buffer.getvalue()


def write_template_xlsx(path: str | os.PathLike[str] | IO[bytes]) -> None:
    """An empty XLSX scenario sheet: the header row (each header with a comment saying what the
    field is), a note row of units and allowed values (skipped when read), a drop-down list on
    every choice column, and a ``values`` sheet listing the allowed values of each choice."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation
    columns = template_columns()
    book = Workbook()
    sheet = book.active
    sheet.title = "scenarios"
    values = book.create_sheet("values")
    bold, grey = Font(bold=True, color="FFFFFF"), Font(italic=True, color="595959")
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    next_values = 1
    for i, column in enumerate(columns, 1):
        letter = get_column_letter(i)
        head = sheet.cell(row=1, column=i, value=column.path)
        head.font, head.fill = bold, fill
        head.comment = Comment(f"{column.doc or column.path}\n{column.describe()}", "scaleup", width=300, height=120)
        note = sheet.cell(row=2, column=i, value=f"({column.describe()})")
        note.font, note.alignment = grey, Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[letter].width = max(14, min(40, len(column.path) + 2))
        if column.kind == "enum" or column.kind == "bool":
            options = column.values if column.kind == "enum" else ("true", "false")
            values.cell(row=1, column=next_values, value=column.path).font = Font(bold=True)
            for j, option in enumerate(options, 2):
                values.cell(row=j, column=next_values, value=option)
            span = get_column_letter(next_values)
            check = DataValidation(type="list", formula1=f"values!${span}$2:${span}${len(options) + 1}",
                                   allow_blank=True, showErrorMessage=True, errorTitle=column.path,
                                   error=f"{column.path}: {column.describe()}")
            check.add(f"{letter}3:{letter}10000")
            sheet.add_data_validation(check)
            next_values += 1
        elif column.kind == "enum_list":
            col = next_values
            values.cell(row=1, column=col, value=column.path).font = Font(bold=True)
            for j, option in enumerate(column.values, 2):
                values.cell(row=j, column=col, value=option)
            next_values += 1
    sheet.freeze_panes = "B3"
    save_workbook(book, path)
