"""How a value is written for a reader: the one rule for thousands, decimals, lists and
booleans, used by reports, explanations, debriefs, the room and messages about values.

It sits below everything else (it needs nothing but the engine's exact float text), so scenario
validation can write values the way reports do. Phrasing facts, rules and citations builds on it
in :mod:`scaleup.words`.
"""

from __future__ import annotations

from typing import Any

from .facts import float_text


def fmt(value: Any) -> str:
    """A value for a reader, the one way numbers are written everywhere (reports, explanations,
    debriefs, messages about values): thousands separators, floats by :func:`fmt_float`, lists
    joined, a mapping (an entry of a list such as ``activation.extensions``) as ``key value``."""
    if value is None:
        return "missing"
    if isinstance(value, dict):
        return ", ".join(f"{k} {fmt(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        sep = "; " if any(isinstance(v, dict) for v in value) else ", "
        return sep.join(fmt(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return fmt_float(value)
    return str(value)


def fmt_float(value: float) -> str:
    """A float for a reader: as written when it has at most 6 decimals (``4.99996``), else
    rounded to 4 decimals (a computed ratio: ``5.9677``), but never rounded to a whole number
    it is not (``4.999996`` is not shown as ``5``, which could be read as a band edge it is below)."""
    if value.is_integer():
        return f"{value:,.0f}"
    for decimals in (6, 4):
        if decimals == 6 and float(f"{value:.6f}") != value:
            continue
        text = f"{value:,.{decimals}f}".rstrip("0").rstrip(".")
        if "." in text:
            return text
    return float_text(value)
