"""Scenario spreadsheets: CSV and XLSX files with one scenario per row.

The header row names each column by its dotted field (``populations.in_need``) or an HXL hashtag
(``#inneed``); an HDX-style sheet has a row of labels with a row of hashtags below it, and a
hashtag that names a field wins over the label above it. Above the header, title rows are left
out; below it, blank rows and note rows (every filled cell in parentheses, like the template's
units row) are skipped. Empty cells are fields left out. Each row becomes a :class:`SheetRow`,
validated on its own, so a bad row costs only that row; every problem names its cell:
``file.xlsx:Sheet1!D7: populations.in_need: ...`` or ``file.csv:7: populations.in_need (column D): ...``.

The parent process reads the file (:func:`read_sheet`); :func:`load_row` validates one row,
wherever it runs. XLSX files are read with openpyxl in read-only mode (the first worksheet; cached
formula results, not formulas). CSV files are UTF-8 (a BOM is allowed) with ``,`` ``;`` or tab
between cells.

Longer than 300 lines: the two readers, the search for the header and tag rows, the row record
that travels to worker processes and the placing of every problem at its cell are one path, and
each part is only used by the others.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import itertools
import json
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional, Sequence

from ..errors import Problem, ScenarioError
from .load import LoadedScenario, validate_document
from .sheet_cells import CellError, Percent, read_cell
from .sheet_columns import Resolved, is_hashtag, resolve_header, resolve_tag, sheet_columns
from .validation import split_path
from .yamlio import Document

SHEET_SUFFIXES = (".csv", ".xlsx")
HEADER_SEARCH = 25        # rows searched for an HXL tag row (as HXL tools do)
MAX_COLUMNS = 2000
MAX_CELL = 10_000         # characters in one cell (as in YAML files)
SAVE_HINT = {".csv": "save it as CSV UTF-8 (comma-delimited)", ".xlsx": "save it as an Excel workbook (.xlsx)"}


def column_letter(index: int) -> str:
    """0 -> ``A``, 25 -> ``Z``, 26 -> ``AA``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass(frozen=True)
class Column:
    """A column of a sheet: its letter, its header text and what it names."""

    index: int
    letter: str
    label: str
    resolved: Resolved


@dataclass(frozen=True)
class SheetRow:
    """One data row: the non-empty cells of the columns that are read.

    ``cells`` are ``(column letter, field or "", value, problem message, hint)``; a cell of a
    column that names no field carries the column's problem instead of a field.
    """

    file: str
    sheet: Optional[str]
    row: int
    cells: tuple[tuple[str, str, Any, str, str], ...]
    required: tuple[tuple[str, str], ...] = ()   # (field, letter) of the sheet's columns of required fields

    def to_bytes(self) -> bytes:
        cells = [[letter, name, _encode(value), message, hint] for letter, name, value, message, hint in self.cells]
        return json.dumps({"sheet": self.sheet, "row": self.row, "cells": cells, "required": self.required},
                          ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8", "surrogatepass")

    @classmethod
    def from_bytes(cls, raw: bytes, file: str) -> "SheetRow":
        data = json.loads(raw.decode("utf-8", "surrogatepass"))   # a CSV byte that is not UTF-8 stays a surrogate
        return cls(file, data["sheet"], data["row"], tuple((a, b, _decode(c), d, e) for a, b, c, d, e in data["cells"]),
                   tuple((a, b) for a, b in data["required"]))

    def place(self, letter: Optional[str]) -> str:
        """Where a cell is, as ``file.xlsx:Sheet1!D7`` (XLSX) or ``file.csv`` (CSV; the row is the line)."""
        if self.sheet is None:
            return self.file
        return f"{self.file}:{self.sheet}!{letter}{self.row}" if letter else f"{self.file}:{self.sheet} row {self.row}"

    def problem(self, letter: Optional[str], field_name: str, message: str, hint: str) -> Problem:
        """A problem located at a cell of this row (or at the row, without a letter)."""
        if self.sheet is None:
            shown = f"{field_name} (column {letter})" if letter and field_name else field_name or (
                f"column {letter}" if letter else "")
            return Problem(self.file, self.row, shown, message, hint)
        return Problem(self.place(letter), None, field_name, message, hint)


def _encode(value: Any) -> Any:
    if isinstance(value, Percent):
        return {"percent": float(value)}
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, dt.time):
        return value.isoformat()
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "percent" in value:
            return Percent(value["percent"])
        if "datetime" in value:
            return dt.datetime.fromisoformat(value["datetime"])
        return dt.date.fromisoformat(value["date"])
    return value


@dataclass
class SheetReading:
    """What reading a sheet found besides its rows: notes (columns not read) and file problems."""

    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# --- reading the raw table -------------------------------------------------------------------

Cells = list[Any]


def _csv_table(path: str, name: str, out: SheetReading) -> Iterator[tuple[int, Cells]]:
    """Rows of a CSV file with the line each starts on; cells are text or None."""
    with open(path, "rb") as handle:
        head = handle.read(64 * 1024)
        handle.seek(0)
        first = head.split(b"\n", 1)[0]
        delimiter = max((",", ";", "\t"), key=lambda d: (first.count(d.encode()), d == ","))
        decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        lines = (decoder.decode(line) for line in handle)
        reader = csv.reader(_skip_bom(lines), delimiter=delimiter)
        start = 1
        try:
            for record in reader:
                line, start = start, reader.line_num + 1
                yield line, [cell if cell.strip() else None for cell in record]
        except csv.Error as exc:
            out.problems.append(Problem(name, reader.line_num, "", f"cannot read the CSV from here on: {exc}",
                                        "check the quotes on this line; " + SAVE_HINT[".csv"]))


def _skip_bom(lines: Iterator[str]) -> Iterator[str]:
    first = True
    for line in lines:
        yield line.removeprefix("\ufeff") if first else line
        first = False


def _xlsx_table(path: str, name: str, out: SheetReading) -> tuple[Optional[str], Iterator[tuple[int, Cells]]]:
    """The first worksheet's name and rows; a percentage-formatted number becomes a :class:`Percent`."""
    import openpyxl   # only when a workbook is read: other commands start faster
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "it is not an XLSX workbook"
        out.problems.append(Problem(name, None, "", f"cannot read the file: {reason}", SAVE_HINT[".xlsx"]))
        return None, iter(())
    except Exception as exc:   # openpyxl raises its own errors for damaged parts
        out.problems.append(Problem(name, None, "", f"cannot read the workbook: {type(exc).__name__}: {exc}",
                                    "open it in a spreadsheet program and save it again as .xlsx"))
        return None, iter(())
    if not book.worksheets:
        book.close()
        out.problems.append(Problem(name, None, "", "the workbook has no worksheet", "put the scenarios on a worksheet"))
        return None, iter(())
    sheet = book.worksheets[0]

    def rows() -> Iterator[tuple[int, Cells]]:
        number = 0
        try:
            for number, row in enumerate(sheet.iter_rows(), 1):
                yield number, [_xlsx_value(c) for c in row]
        except Exception as exc:   # a damaged sheet part: the rows before it stand
            out.problems.append(Problem(f"{name}:{sheet.title}", None, "", f"cannot read the sheet after row {number}: "
                                        f"{type(exc).__name__}: {exc}", "open it in a spreadsheet program and save it "
                                        "again as .xlsx"))
        finally:
            book.close()
    return sheet.title, rows()


def _xlsx_value(cell: Any) -> Any:
    value = getattr(cell, "value", None)
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "%" in str(getattr(cell, "number_format", "")):
        return Percent(value)
    return value


# --- from the table to rows ------------------------------------------------------------------

def _is_tag_row(cells: Cells) -> bool:
    filled = [c for c in cells if c is not None]
    return bool(filled) and all(isinstance(c, str) and is_hashtag(c) for c in filled)


def _is_note_row(cells: Cells) -> bool:
    filled = [c for c in cells if c is not None]
    return all(isinstance(c, str) and c.strip().startswith("(") and c.strip().endswith(")") for c in filled)


def _columns(labels: Cells, tags: Optional[Cells]) -> list[Column]:
    width = max(len(labels), len(tags or []))
    columns: list[Column] = []
    seen: dict[str, str] = {}
    for i in range(min(width, MAX_COLUMNS)):
        label = _label(labels[i] if i < len(labels) else None)
        tag = _label(tags[i] if tags is not None and i < len(tags) else None)
        if tag:
            resolved = resolve_tag(tag)
            if resolved.ignore and label:
                by_label = resolve_header(label, tagged=True)
                resolved = by_label if by_label.field else resolved
        else:
            resolved = resolve_header(label, tagged=tags is not None)
        letter = column_letter(i)
        if (named := resolved.field):
            if named in seen:
                resolved = Resolved(message=f"{named} is also column {seen[named]}",
                                    hint="keep one of the two columns")
            else:
                seen[named] = letter
        columns.append(Column(i, letter, tag or label, resolved))
    return columns


def _label(value: Any) -> str:
    return "" if value is None else str(value).strip()


def read_sheet(path: str, name: str, reading: Optional[SheetReading] = None) -> Iterator[SheetRow]:
    """The data rows of a CSV or XLSX file, in order. Notes on columns that are not read and
    problems with the file as a whole (unreadable, no header, no rows) go to ``reading``."""
    out = reading if reading is not None else SheetReading()
    sheet: Optional[str] = None
    if path.lower().endswith(".xlsx"):
        sheet, table = _xlsx_table(path, name, out)
    else:
        table = _csv_table(path, name, out)
    try:
        yield from _rows(name, sheet, table, out)
    except OSError as exc:
        out.problems.append(Problem(name, None, "", f"cannot read the file: {exc.strerror or exc}",
                                    "check that the path exists and is readable"))


def _rows(name: str, sheet: Optional[str], table: Iterator[tuple[int, Cells]], out: SheetReading) -> Iterator[SheetRow]:
    where = f"{name}:{sheet}" if sheet is not None else name
    head: list[tuple[int, Cells]] = []
    for number, cells in table:
        if any(c is not None for c in cells):
            head.append((number, cells))
        if len(head) >= HEADER_SEARCH:
            break
    tag_at = next((i for i, (_, cells) in enumerate(head) if _is_tag_row(cells)), None)
    if tag_at is None:
        if not head:
            out.problems.append(Problem(where, None, "", "the sheet is empty; expected a header row of field names",
                                        "start from `scaleup scenario template -f csv` or -f xlsx"))
            return
        header_at, labels, tags = 0, head[0][1], None
    else:
        header_at = tag_at
        labels = head[tag_at - 1][1] if tag_at > 0 else []
        tags = head[tag_at][1]
    columns = _columns(labels, tags)
    for column in columns:
        if column.resolved.ignore and column.label:
            out.notes.append(f"{where}: column {column.letter} ({column.label}) is not a scenario field; not read")
    required = tuple((c.resolved.field, c.letter) for c in columns
                     if c.resolved.field and sheet_columns()[c.resolved.field].required)
    data_rows = 0
    for number, cells in itertools.chain(head[header_at + 1:], table):
        if all(c is None for c in cells) or _is_note_row(cells):
            continue
        data_rows += 1
        yield SheetRow(name, sheet, number, tuple(_cells(columns, cells)), required)
    if not data_rows:
        out.problems.append(Problem(where, None, "", "the sheet has a header but no scenario rows",
                                    "fill in one scenario per row below the header"))


def _cells(columns: Sequence[Column], cells: Cells) -> Iterator[tuple[str, str, Any, str, str]]:
    for i, value in enumerate(cells):
        if value is None:
            continue
        if i >= len(columns):
            yield (column_letter(i), "", None, "a value in a column without a header",
                   "add a header naming the field, or delete the value")
            continue
        column = columns[i]
        if column.resolved.field:
            if isinstance(value, str) and len(value) > MAX_CELL:
                yield (column.letter, column.resolved.field, None,
                       f"the cell holds {len(value):,} characters; the limit is {MAX_CELL:,}", "shorten it")
            else:
                yield column.letter, column.resolved.field, value, "", ""
        elif not column.resolved.ignore:
            yield column.letter, "", None, column.resolved.message, column.resolved.hint


def count_rows(path: str) -> int:
    """How many tasks a sheet makes: its rows, and one for its problems if it has any (one pass)."""
    reading = SheetReading()
    rows = sum(1 for _ in read_sheet(path, path, reading))
    return rows + (1 if reading.problems else 0)


# --- one row to a scenario -------------------------------------------------------------------

_SURROGATE = re.compile("[\udc80-\udcff]")


def row_document(row: SheetRow) -> tuple[Document, list[Problem], dict[str, str]]:
    """The scenario document a row holds, the problems of its cells, and each field's column."""
    columns = sheet_columns()
    data: dict[str, Any] = {}
    problems: list[Problem] = []
    letters: dict[str, str] = {}
    for letter, name, value, message, hint in row.cells:
        if not name:
            problems.append(row.problem(letter, "", message, hint))
            continue
        letters[name] = letter
        if message:
            problems.append(row.problem(letter, name, message, hint))
            continue
        if isinstance(value, str) and _SURROGATE.search(value):
            problems.append(row.problem(letter, name, "the cell is not valid UTF-8 text",
                                        "save the file as CSV UTF-8 (Excel: File > Save As > CSV UTF-8)"))
            continue
        try:
            parsed = read_cell(columns[name], value)
        except CellError as exc:
            problems.append(row.problem(letter, name, exc.message, exc.hint))
            continue
        node = data
        *parents, last = [str(p) for p in split_path(name)]
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = parsed
    document = Document(row.file, data, {(): row.row}, hashlib.sha256(row.to_bytes()).hexdigest())
    return document, problems, letters


def load_row(row: SheetRow) -> LoadedScenario:
    """Validate one row as a scenario.

    Raises:
        ScenarioError: every problem of the row, each located at its cell.
    """
    document, problems, letters = row_document(row)
    letters = {**dict(row.required), **letters}
    try:
        loaded = validate_document(document)
    except ScenarioError as exc:
        unread = {name for _, name, _, message, _ in row.cells if name} - set(_fields_of(document.data))
        problems.extend(_relocate(row, p, letters) for p in exc.problems
                        if not (p.message == "required field is missing" and p.field in unread))
    if problems:
        raise ScenarioError(problems)
    return loaded


def _fields_of(data: dict[str, Any], prefix: str = "") -> Iterator[str]:
    for key, value in data.items():
        if isinstance(value, dict):
            yield from _fields_of(value, f"{prefix}{key}.")
        else:
            yield prefix + key


def _relocate(row: SheetRow, problem: Problem, letters: dict[str, str]) -> Problem:
    path = re.sub(r"\[[0-9]+\]", "", problem.field)
    letter = letters.get(path)
    hint = problem.hint
    if problem.message == "required field is missing":
        needed = [c for c in sheet_columns() if c == path or (c.startswith(path + ".") and sheet_columns()[c].required)]
        hint = f"fill in column {letter}" if letter else "add a column " + " and a column ".join(map(repr, needed or [path]))
    return row.problem(letter, problem.field, problem.message, hint)

