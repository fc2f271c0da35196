"""Scenarios given as Python mappings (a ``dict``, a row of a data frame), located by JSON pointer.

A mapping is turned into JSON text (dates as ISO text, tuples as lists, NumPy and pandas scalars
as Python numbers) and read by the same JSON reader as a scenario file, so every limit and check
of a file applies unchanged (text keys, no NaN or infinity, sizes, depth). A mapping has no lines,
so its problems are located by JSON pointer instead (RFC 6901)::

    <dict>: /populations/in_need: must be at most 1850000 ...

The JSON text is also what a worker process receives (``Task.fmt == "mapping"``), so a mapping
evaluated in the calling process and one evaluated in a worker give the same recommendation.
"""

from __future__ import annotations

import datetime
import json
import numbers
from dataclasses import replace
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from ..errors import Problem, ScenarioError
from .validation import split_path
from .yamlio import Document, parse_document

DEFAULT_NAME = "<dict>"
MAPPING_FMT = "mapping"   # Task.fmt of a mapping sent to a worker process


def pointer(field: str) -> str:
    """``populations.in_need`` -> ``/populations/in_need``; ``hazard.types[1]`` -> ``/hazard/types/1``."""
    if not field:
        return ""
    parts = (str(part).replace("~", "~0").replace("/", "~1") for part in split_path(field))
    return "".join("/" + part for part in parts)


def pointed(problems: Iterable[Problem]) -> list[Problem]:
    """Problems of a mapping, located by JSON pointer (a mapping has no lines)."""
    return [replace(p, line=None, field=p.field if p.field.startswith("/") else pointer(p.field)) for p in problems]


def _plain(value: Any, path: tuple[str, ...], problems: list[Problem], name: str) -> Any:
    """``value`` as JSON-ready Python values; what cannot be one becomes a problem."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, datetime.datetime):   # pandas Timestamp too; a date at midnight is a date
        return value.date().isoformat() if value.time() == datetime.time() and value.tzinfo is None else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                problems.append(Problem(name, None, _join(path), f"the key {key!r} is not text",
                                        "use field names as text keys"))
                continue
            out[key] = _plain(item, path + (key,), problems, name)
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(item, path + (str(i),), problems, name) for i, item in enumerate(value)]
    problems.append(Problem(name, None, _join(path), f"a {type(value).__name__} cannot be a scenario value",
                            "give numbers, text, true/false, dates, lists or mappings"))
    return None


def _join(path: tuple[str, ...]) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in path)


def mapping_bytes(data: Mapping[str, Any], name: str = DEFAULT_NAME) -> bytes:
    """The JSON text of a mapping (UTF-8, keys in the mapping's order).

    Raises:
        ScenarioError: a key is not text, or a value has no JSON form; located by JSON pointer.
    """
    problems: list[Problem] = []
    plain = _plain(data, (), problems, name)
    if problems:
        raise ScenarioError(problems)
    return json.dumps(plain, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")


def mapping_document(raw: bytes, name: str = DEFAULT_NAME) -> Document:
    """The document of a mapping's JSON text (from :func:`mapping_bytes`), with no lines.

    Raises:
        ScenarioError: located by JSON pointer.
    """
    try:
        document = parse_document(raw, name, fmt="json", error=ScenarioError)
    except ScenarioError as exc:
        raise ScenarioError(pointed(exc.problems)) from None
    return replace(document, lines=MappingProxyType({}))
