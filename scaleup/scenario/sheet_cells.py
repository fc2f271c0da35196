"""Reading one spreadsheet cell as the value of its field.

A CSV cell is text; an XLSX cell may also be a number, a true/false, a date or a percentage
(a number whose format shows ``%``). Each is read by the kind of its column
(:class:`~scaleup.sheet_columns.SheetColumn`), as ``docs/spreadsheets.md`` describes; what cannot
be read raises :class:`CellError` with what was expected and the likely fix. Range and choice
checks are left to the scenario's own validation, which reports them at the same cell.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from .sheet_columns import SheetColumn
from .validation import NUMBER_HINT

_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_GROUPED = re.compile(r"[-+]?[0-9]{1,3}(?:[, ][0-9]{3})+(?:\.[0-9]+)?")
_DECIMAL_COMMA = re.compile(r"[-+]?[0-9]+,[0-9]+")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]00:00(?::00(?:\.0+)?)?)?")
TRUE, FALSE = {"true", "yes"}, {"false", "no"}


class CellError(Exception):
    """A cell that cannot be read as its field's kind: ``args`` are (message, hint)."""

    @property
    def message(self) -> str:
        return str(self.args[0])

    @property
    def hint(self) -> str:
        return str(self.args[1])


class Percent(float):
    """A number from a cell formatted as a percentage: 0.18 shown as 18%."""


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, bool):
        return f"the true/false value {str(value).upper()}"
    if isinstance(value, (dt.date, dt.datetime)):
        return f"the date {value.isoformat()}"
    return f"the number {value!r}"


def read_cell(column: SheetColumn, value: Any) -> Any:
    """The field value a non-empty cell holds.

    Raises:
        CellError: the cell cannot be read as the column's kind.
    """
    reader = {"text": _text, "int": _number, "num": _number, "bool": _bool, "date": _date,
              "enum": _choice, "enum_list": _choices, "text_list": _texts}[column.kind]
    return reader(column, value)


def _text(column: SheetColumn, value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _number(column: SheetColumn, value: Any) -> Any:
    whole = column.kind == "int"
    expected = "a whole number" if whole else "a number"
    if isinstance(value, bool):
        raise CellError(f"expected {expected}, got {_shown(value)}", NUMBER_HINT)
    if isinstance(value, Percent):
        if not column.percent:
            raise CellError(f"the cell is formatted as a percentage ({value * 100:g}%), and "
                            f"{column.path} is in {column.unit or 'plain numbers'}", "format the cell as a plain number")
        return round(value * 100, 10)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        raise CellError(f"expected {expected}, got {_shown(value)}", "the cell is formatted as a date; format it as a number")
    text = str(value).strip()
    if column.percent and text.endswith("%"):
        text = text[:-1].strip()
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        number = float(text)
        if not math.isfinite(number):   # pragma: no cover - the pattern admits no inf/nan spelling
            raise CellError(f"expected a finite number, got {_shown(value)}", NUMBER_HINT)
        return number
    if _GROUPED.fullmatch(text):
        plain = re.sub(r"[, ]", "", text)
        raise CellError(f"expected {expected}, got {_shown(value)}", f"remove the thousands separators: {plain}")
    if _DECIMAL_COMMA.fullmatch(text):
        raise CellError(f"expected {expected}, got {_shown(value)}",
                        f"write the decimal point as a point: {text.replace(',', '.')}")
    if text.endswith("%"):
        raise CellError(f"expected {expected} in {column.unit or 'plain numbers'}, got {_shown(value)}",
                        "leave out the % sign")
    raise CellError(f"expected {expected}, got {_shown(value)}", NUMBER_HINT)


def _bool(column: SheetColumn, value: Any) -> Any:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE or text in FALSE:
        return text in TRUE
    raise CellError(f"expected true or false, got {_shown(value)}", "write true or false (or yes or no)")


def _date(column: SheetColumn, value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.time() != dt.time():
            raise CellError(f"expected a date, got {value.isoformat(' ')} (a date with a time of day)",
                            "give the day only: format the cell as a date, or write YYYY-MM-DD")
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise CellError(f"expected a date, got {_shown(value)}", "format the cell as a date, or write YYYY-MM-DD")
    text = str(value).strip()
    found = _DATE.fullmatch(text)
    if found is None:
        raise CellError(f"expected a date as YYYY-MM-DD, got {_shown(value)}",
                        "write the date as YYYY-MM-DD; day/month order differs between countries")
    try:
        return dt.date(*(int(x) for x in found.groups()))
    except ValueError:
        raise CellError(f"{text!r} is not a calendar date", "write a real calendar date as YYYY-MM-DD") from None


def normal_choice(text: str) -> str:
    """``Several provinces`` -> ``several_provinces``: how a choice is matched to the allowed values."""
    return re.sub(r"[\s-]+", "_", text.strip().lower())


def _choice(column: SheetColumn, value: Any) -> Any:
    text = _text(column, value)
    normal = normal_choice(text)
    return normal if normal in column.values else text   # an unknown value is judged by validation


def _choices(column: SheetColumn, value: Any) -> Any:
    items = [_choice(column, part) for part in re.split(r"[;,]", _text(column, value)) if part.strip()]
    if column.one_or_list and len(items) == 1:
        return items[0]
    return items


def _texts(column: SheetColumn, value: Any) -> Any:
    return [part.strip() for part in _text(column, value).split(";") if part.strip()]
