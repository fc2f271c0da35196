"""Turning pydantic validation errors into located, hinted :class:`~scaleup.errors.Problem` s.

Shared by scenario, rule set and exercise loading so that every file kind reports alike:
``file:line: field.path: message (hint)``, with a "did you mean" for unknown keys and misspelt
choices.
"""

from __future__ import annotations

import calendar
import datetime
import difflib
import re
import types
import typing
from typing import Any, Optional, Sequence, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from ..errors import Problem
from .yamlio import Document

NUMBER_HINT = "write a plain number without quotes, units or thousands separators, e.g. 250000"


def problems_from(exc: ValidationError, document: Document, root: type[BaseModel]) -> list[Problem]:
    """All problems of a pydantic ValidationError, located in ``document``."""
    return [_problem(document, err, root) for err in exc.errors(include_url=False)]


def unwrap(annotation: Any) -> Any:
    """Strip Optional/Union-with-None and Annotated from a type annotation."""
    while get_origin(annotation) in (Union, types.UnionType, typing.Annotated):
        args = [a for a in get_args(annotation) if a is not type(None)]
        annotation = args[0]
    return annotation


def split_path(dotted: str) -> tuple[str | int, ...]:
    """``"a.b[2].c"`` -> ``("a", "b", 2, "c")``."""
    out: list[str | int] = []
    for part in dotted.split("."):
        while "[" in part:
            head, _, rest = part.partition("[")
            if head:
                out.append(head)
            index, _, part = rest.partition("]")
            out.append(int(index))
        if part:
            out.append(part)
    return tuple(out)


def dotted(loc: Sequence[str | int]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _data_loc(data: Any, raw: Sequence[str | int], root: type[BaseModel]) -> tuple[str | int, ...]:
    """The part of pydantic's error location that names keys and indexes of the document.

    pydantic inserts its own steps (``function-before[...]``, union members, ``list[...]``); a
    step is kept when it is a key or index present in the data, or a field of the model at that
    point (a missing field), so that any key a user can write, even ``ti[tle``, is located.
    """
    loc: list[str | int] = []
    node: Any = data
    for part in raw:
        if isinstance(node, dict) and part in node:  # noqa: SIM114 - two branches, so that mypy narrows part for the list
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(part, str) and part in _field_names(root, loc):
            node = None
        else:
            continue
        loc.append(part)
    return tuple(loc)


def _problem(document: Document, err: Any, root: type[BaseModel]) -> Problem:
    loc = _data_loc(document.data, err["loc"], root)
    kind, value = err["type"], err.get("input")
    message = err["msg"].removeprefix("Value error, ")
    hint = ""
    if kind == "extra_forbidden":
        known = _field_names(root, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        message = "unknown field"
        hint = f"did you mean {close[0]!r}?" if close else f"known fields here: {', '.join(known)}"
    elif kind == "missing":
        message = "required field is missing"
        hint = f"add '{loc[-1]}:'" + (f" ({_describe_field(root, loc)})" if _describe_field(root, loc) else "")
    elif kind in ("int_type", "float_type", "int_from_float", "value_error") and "number" in message:
        hint = NUMBER_HINT
    elif kind in ("int_type", "float_type", "int_parsing", "float_parsing"):
        message = f"expected a number, got {_got(value)}"
        hint = NUMBER_HINT
    elif kind == "bool_type":
        message = f"expected true or false, got {_got(value)}"
        hint = "write true or false" + (" (yes/no/on/off are read as text)"
                                        if isinstance(value, str) and value.lower() in ("yes", "no", "on", "off", "y", "n") else "")
    elif kind == "literal_error":
        options = [o.strip(" '") for o in message.split("should be", 1)[-1].replace(" or ", ",").split(",")]
        close = difflib.get_close_matches(str(value), options, n=1, cutoff=0.5)
        message = f"{message}; got {_got(value)}"
        hint = f"did you mean {close[0]!r}?" if close else "use one of the listed values"
    elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        ctx = err.get("ctx", {})
        bound = next(iter(ctx.values()), "?")
        words = {"greater_than_equal": "at least", "less_than_equal": "at most",
                 "greater_than": "more than", "less_than": "less than"}[kind]
        message = f"must be {words} {bound}, got {_number_text(value)}"
        hint = ("counts and rates cannot be negative" if kind.startswith("greater") and bound == 0
                else "check the unit and the figure")
    elif kind in ("string_type",):
        message = f"expected text, got {_got(value)}"
        hint = "put the value in quotes" if value is not None else "write the text after the colon"
    elif kind.startswith("date"):
        message = f"expected a date, got {_got(value)}"
        hint = "write dates as YYYY-MM-DD"
        if isinstance(value, str) and (wrong := _impossible_date(value)):
            message, hint = wrong, "write a real calendar date as YYYY-MM-DD"
    elif kind == "string_pattern_mismatch":
        message = f"{message}; got {value!r}"
        hint = ("identifiers use lowercase letters, digits and dashes" if loc and loc[-1] == "id"
                else _describe_field(root, loc) or "check the format")
    elif kind in ("dict_type", "model_type", "list_type"):
        message = f"expected {'a list' if kind == 'list_type' else 'a mapping of fields'}, got {_got(value)}"
        hint = "check the indentation of this block"
    return Problem(document.name, document.line(loc), dotted(loc), message, hint)


def _impossible_date(text: str) -> Optional[str]:
    """``'2026-02-30' is not a date: February 2026 has 28 days`` for YYYY-MM-DD text naming no
    real day; None for any other text."""
    found = re.fullmatch(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", text.strip())
    if found is None:
        return None
    year, month, day = (int(x) for x in found.groups())
    if not 1 <= month <= 12:
        return f"{text!r} is not a date: there is no month {month}"
    if year < 1:
        return f"{text!r} is not a date: there is no year 0"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return f"{text!r} is not a date: {datetime.date(year, month, 1):%B %Y} has {days} days"
    return None


def _number_text(value: Any) -> str:
    """A number for a message: a very long integer by its size, not 4,000 digits of it."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 100:
        return f"a number with {len(str(value))} digits"
    return str(value)


def _got(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f"the text {value!r}"
    if value is None:
        return "nothing (null)"
    if isinstance(value, (dict, list)):
        return f"a {'mapping' if isinstance(value, dict) else 'list'}"
    return repr(value)


def _model_at(root: type[BaseModel], loc: Sequence[str | int]) -> Optional[type[BaseModel]]:
    model: Any = root
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or part not in model.model_fields:
            return None
        ann = unwrap(model.model_fields[part].annotation)
        if get_origin(ann) is list:
            ann = unwrap(get_args(ann)[0])
        model = ann
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _field_names(root: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    model = _model_at(root, loc)
    return list(model.model_fields) if model else []


def _describe_field(root: type[BaseModel], loc: Sequence[str | int]) -> str:
    model = _model_at(root, loc[:-1])
    if model and loc[-1] in model.model_fields:
        return model.model_fields[str(loc[-1])].description or ""
    return ""



