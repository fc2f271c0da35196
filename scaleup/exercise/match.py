"""Reading an answer as people write it: the option an answer names, exactly or by a guess.

Sheets typed from paper say ``IFRC`` for the option "IFRC (convener)", ``Level 3`` for UNHCR
level 3, ``not recommended`` for ``not_recommended`` and ``19/08/2026`` for a date. An answer is
read, in this order, as:

1. an option's value or label, ignoring case (exact: no warning);
2. the same ignoring punctuation, underscores and repeated spaces (``not recommended``);
3. a date in a common format (``19/08/2026``, ``19.08.2026``, ``19 Aug 2026``, ``August 19,
   2026``), when the options are dates;
4. an option number (``2``, ``#2``, ``option 2``, ``2)``), when no option value is a number;
5. an unambiguous prefix of one option's value or label (``IFRC``, ``Level 3``, ``rec``).

Anything but 1 is a *guess*: the caller reports it as a warning at the answer's line, so the
facilitator sees how ``IFRC`` was read. An answer that matches nothing, or matches several
options equally, is unreadable (:class:`Reading` with ``value`` None and the candidates).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Optional, Sequence

from .model import canon

_NOT_WORD = re.compile(r"[\W_]+")
_NUMBER = re.compile(r"(?:option|opt|no|n|number|#)?\s*\(?\s*([0-9]{1,2})\s*[).:]?", re.ASCII | re.IGNORECASE)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d", "%Y.%m.%d", "%d %b %Y", "%d %B %Y",
                 "%b %d %Y", "%B %d %Y", "%d/%m/%y")


@dataclass(frozen=True)
class Reading:
    """How an answer was read: the option value (None if unreadable), whether it was a guess and
    how (``by``), and for an ambiguous answer the options it could mean."""

    value: Optional[str]
    guess: bool = False
    by: str = ""
    candidates: tuple[str, ...] = ()


def words(text: str) -> str:
    """Lowercase words of ``text``, punctuation and underscores dropped, single-spaced."""
    return " ".join(_NOT_WORD.sub(" ", text.casefold()).split())


def read_date(text: str) -> Optional[str]:
    """``YYYY-MM-DD`` of a date written in a common format (day before month), or None."""
    clean = " ".join(text.replace(",", " ").split())
    for form in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(clean, form).date().isoformat()
        except ValueError:
            continue
    return None


def read_answer(options: Sequence[tuple[str, str]], raw: Any) -> Reading:
    """Read ``raw`` (a sheet's answer) against ``options`` ((value, label) pairs)."""
    text = canon(raw)
    folded = text.casefold()
    for value, label in options:
        if folded in (value.casefold(), label.casefold()):
            return Reading(value)
    key = words(text)
    if not key:
        return Reading(None)
    same = _unique(v for v, label in options if key in (words(v), words(label)))
    if same:
        return same if same.value is None else Reading(same.value, True, "ignoring punctuation")
    if all(_ISO_DATE.fullmatch(v) or v == "none" for v, _ in options):
        date = read_date(text)
        if date is not None and any(v == date for v, _ in options):
            return Reading(date, True, "as a date")
    if not any(v.isdigit() for v, _ in options):
        number = _NUMBER.fullmatch(text.strip())
        if number and 1 <= int(number.group(1)) <= len(options):
            return Reading(options[int(number.group(1)) - 1][0], True, f"as option number {int(number.group(1))}")
    prefixed = _unique(v for v, label in options if words(v).startswith(key) or words(label).startswith(key))
    if prefixed and prefixed.value is not None:
        return Reading(prefixed.value, True, "as the start of an option")
    return prefixed or Reading(None)


def _unique(values: Any) -> Optional[Reading]:
    found = tuple(dict.fromkeys(values))
    if not found:
        return None
    return Reading(found[0]) if len(found) == 1 else Reading(None, candidates=found)
