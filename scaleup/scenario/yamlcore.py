"""YAML 1.2 core-schema scalars and the tags scaleup accepts, shared by both YAML readers.

The pure-Python reader (:mod:`scaleup.scenario.yamlio`) and the libyaml one
(:mod:`scaleup.scenario.yamlfast`) turn a scalar's text, explicit tag and style into a value with
the same function, so that they cannot disagree about what a value is: ``NO``/``yes``/``on``
stay text, ``010`` is ten, ``1e6`` is a float, ``1_000`` is 1000 (single underscores between
digits, accepted as Python does), ``YYYY-MM-DD`` is a ``datetime.date``, ``1:30`` and timestamps
are text, infinities and NaN are refused.
"""

from __future__ import annotations

import datetime
import math
import re
from typing import Any

from .reading import BASE_WORDS, FLOAT_RE, INT_RE, SURROGATE_RE, Limits, max_digits, message_of

CORE = "tag:yaml.org,2002:"
TAGS = frozenset({"!", *(CORE + t for t in ("str", "int", "float", "bool", "null", "seq", "map"))})
NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TEXT_TAGS = ("!", CORE + "str")
_TAG_TYPES: dict[str, Any] = {"int": int, "float": (int, float), "bool": bool, "null": type(None)}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INF_NAN = re.compile(r"[-+]?\.(?:inf|nan)", re.IGNORECASE)
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_NUMBER_START = frozenset("+-.0123456789")


def resolve_plain(text: str) -> Any:
    """Resolve an unquoted YAML scalar under YAML 1.2 core-schema rules.

    Raises:
        ValueError: with ``(message, hint)`` args for infinities, NaN, impossible dates and
            integers with more digits than Python converts.
    """
    if text in NULLS or text in _BOOLS:
        return _BOOLS.get(text)
    if text[0] not in _NUMBER_START:          # every number, infinity, NaN and date starts so
        return text
    if INT_RE.fullmatch(text):
        base = {"0o": 8, "0x": 16}.get(text[:2], 10)
        digits = (text[2:] if base != 10 else text).lstrip("+-").replace("_", "").lstrip("0")
        if len(digits) > max_digits(base):    # bounded before int(): hex and octal have no limit there
            raise ValueError(*message_of("digits", n=f"{len(digits)} {BASE_WORDS[base]}".rstrip()))
        try:
            return int(text[2:] if base != 10 else text, base)  # int() accepts single "_"
        except ValueError:
            raise ValueError(*message_of("digits", n=len(text))) from None
    if FLOAT_RE.fullmatch(text):
        if math.isfinite(value := float(text)):
            return value
        raise ValueError(*message_of("finite", token=text[:40]))
    if _INF_NAN.fullmatch(text):
        raise ValueError(*message_of("finite", token=text[:40]))
    if match := _DATE.fullmatch(text):
        try:
            return datetime.date(*(int(part) for part in match.groups()))
        except ValueError as err:
            raise ValueError(f"{text!r} is not a valid date ({err})", "write a real calendar "
                             "date as YYYY-MM-DD, or quote the value to keep it as text") from None
    return text


def scalar_value(text: str, tag: str | None, plain: bool, limits: Limits) -> Any:
    """The value of one scalar.

    Args:
        text: the scalar's text as the parser gives it.
        tag: its explicit tag (``"!"``, ``"tag:yaml.org,2002:int"``, ...), or None.
        plain: True when it was written unquoted (not quoted, not a ``|``/``>`` block).
        limits: the reader's bounds (``max_string``).

    Raises:
        ValueError: with ``(message, hint)`` args when the scalar is not acceptable.
    """
    if len(text) > limits.max_string:
        raise ValueError(*message_of("long", n=len(text), limit=limits.max_string))
    if not text.isascii() and (lone := SURROGATE_RE.search(text)):
        raise ValueError(*message_of("surrogate", code=ord(lone.group())))
    if tag is None:
        return resolve_plain(text) if plain else text
    if tag in _TEXT_TAGS:
        return text
    value = resolve_plain(text)
    want = _TAG_TYPES.get(tag[len(CORE):])
    if want and isinstance(value, want) and (want is bool or not isinstance(value, bool)):
        if tag != CORE + "float":
            return value
        try:
            return float(value)
        except OverflowError:       # `!!float 1000...0` with more than 308 digits
            raise ValueError(*message_of("finite", token=text[:40])) from None
    raise ValueError(f"{text!r} is not a valid {tag.replace(CORE, '!!')} value",
                     "remove the tag or correct the value")
