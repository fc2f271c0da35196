"""What the YAML and JSON readers share: limits, the located problems they raise, and paths.

A reader stops with :class:`Stop` carrying problems whose ``file`` is filled in by
:func:`scaleup.scenario.yamlio.parse_document`; a path is the tuple of keys and list indexes from the root.
"""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from scaleup.errors import Problem

KeyPath = tuple[str | int, ...]   # keys and list indexes from the document root (not a file path)


@dataclass(frozen=True)
class Limits:
    """Bounds applied while reading: bytes, nodes (counted while composing), collection depth,
    characters in one string, and entries in one list or mapping."""

    max_bytes: int = 1_000_000
    max_nodes: int = 20_000
    max_depth: int = 32
    max_string: int = 10_000
    max_list: int = 5_000


DEFAULT_LIMITS = Limits()


class Stop(Exception):
    """Internal: abort with ``args[0]``, a list of problems whose ``file`` is filled in later."""


INT_RE = re.compile(r"[-+]?[0-9]+(?:_[0-9]+)*|0o[0-7]+(?:_[0-7]+)*|0x[0-9a-fA-F]+(?:_[0-9a-fA-F]+)*")
FLOAT_RE = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
SURROGATE_RE = re.compile("[\ud800-\udfff]")
MESSAGES = {
    "nodes": ("the document has more than {n} values (the limit)",
              "split the file or remove repeated data"),
    "depth": ("values are nested more than {n} levels deep (the limit)", "flatten the structure"),
    "entries": ("the {kind} has more than {n} entries (the limit)", "split it into smaller parts"),
    "long": ("the text is {n} characters long; the limit is {limit}",
             "shorten it or move long text to a separate file"),
    "dup": ("duplicate key {key!r} (first defined on line {n})",
            "remove one of the two entries or rename one"),
    "finite": ("infinite and NaN values are not allowed (found {token})", "give a finite number"),
    "surrogate": ("the text contains U+{code:04X}, half of a UTF-16 surrogate pair, which is not a "
                  "character", "write the character itself (or \\U0001F600-style in double quotes), "
                  "not two \\u escapes"),
    "empty_key": ("the key is empty", "write the field name before the colon"),
    "digits": ("the number has {n} digits, too many to read",
               "write a shorter number, or quote it to keep it as text"),
}


MAX_INT_DIGITS = 4300                       # Python's own limit for decimal text (sys.int_info)
BASE_WORDS = {10: "", 8: "octal", 16: "hexadecimal"}


def max_digits(base: int) -> int:
    """The most digits an integer literal in ``base`` may have: as many as give a number of at
    most ``MAX_INT_DIGITS`` decimal digits, so every integer read can also be written back
    (``int('0x' + 'f' * 9000, 16)`` converts, and then fails in every message that shows it)."""
    return MAX_INT_DIGITS if base == 10 else int(MAX_INT_DIGITS * math.log(10) / math.log(base))


def message_of(what: str, **values: Any) -> tuple[str, str]:
    """Message and hint shared by the YAML and JSON readers."""
    return MESSAGES[what][0].format(**values), MESSAGES[what][1]


def problem_at(line: int | None, path: KeyPath, message: str, hint: str) -> Problem:
    return Problem("", line, field_path(path), message, hint)


def stop_at(line: int | None, path: KeyPath, message: str, hint: str) -> Stop:
    return Stop([problem_at(line, path, message, hint)])


def field_path(path: Sequence[str | int]) -> str:
    """Dotted field path: ``("hazard", "types", 2)`` -> ``hazard.types[2]``."""
    out = ""
    for part in path:
        text = '""' if part == "" else str(part)   # an empty key still shows in the path
        out += f"[{part}]" if isinstance(part, int) else f".{text}" if out else text
    # a key may hold a lone surrogate (reported as a problem); keep the path printable
    return out.encode("utf-8", "backslashreplace").decode("utf-8")


def line_of(lines: Mapping[KeyPath, int], path: KeyPath) -> int | None:
    line = lines.get(path)
    if line is not None:
        return line
    return next((lines[path[:n]] for n in range(len(path), -1, -1) if path[:n] in lines), None)


def value_kind(value: Any) -> str:
    for typ, word in ((bool, "true/false"), (int, "a number"), (float, "a number"), (str, "text"),
                      (datetime.date, "a date"), (list, "a list"), (type(None), "null")):
        if isinstance(value, typ):
            return word
    return "a mapping"


def not_mapping(kind: str | None, line: int) -> Stop:
    if kind is None:
        return stop_at(None, (), "the file is empty; expected a mapping of fields",
                     "write one `name: value` field per line")
    return stop_at(line, (), f"the top level is {kind}; expected a mapping of fields",
                 "write one `name: value` field per line at the top level")


