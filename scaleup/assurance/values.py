"""Sets of field values, for reasoning about what a condition can match without running it.

A :class:`Values` is the set of values one field of one fact may take: a finite set of members,
or a numeric interval minus some points, or every string but some. Restricting it by a
:class:`~scaleup.rules.ir.Test` gives the values that pass the test; :meth:`Values.within`
says whether every value in the set passes a test. Both follow the engine's typing: a string
never equals or compares with a number, and ``ne`` / ``not_in`` never match a missing field
(callers handle missing fields: a :class:`Values` is always about a present field).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Optional

from ..rules.ir import Ref, Test

INF = math.inf


def _num(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


@dataclass(frozen=True)
class Values:
    """A set of possible values of one field.

    Attributes:
        kind: ``num`` (any number), ``int`` (whole numbers) or ``str``.
        members: the finite set of values, or None for "the range below, minus ``excluded``"
            (for ``str``: every string but ``excluded``).
        lo, hi, lo_open, hi_open: the numeric range when ``members`` is None.
        excluded: points removed from the range.
    """

    kind: str
    members: Optional[frozenset] = None
    lo: float = -INF
    hi: float = INF
    lo_open: bool = False
    hi_open: bool = False
    excluded: frozenset = frozenset()

    @classmethod
    def of(cls, kind: str, values: tuple = (), ge: Optional[float] = None, le: Optional[float] = None) -> "Values":
        """The domain of a field: its closed set of values, or its numeric range."""
        if values:
            return cls("str", frozenset(values))
        if kind in ("int", "num", "level"):
            lo = 1 if kind == "level" else (-INF if ge is None else ge)
            hi = 5 if kind == "level" else (INF if le is None else le)
            return cls("int" if kind in ("int", "level") else "num", None, lo, hi)
        return cls("str")

    # -- membership ---------------------------------------------------------------------------
    def _fits(self, v: object) -> bool:
        if self.kind == "str":
            return isinstance(v, str)
        return _num(v) and (self.kind == "num" or float(v).is_integer())  # type: ignore[arg-type]  # _num(v) holds first; mypy does not narrow through the helper

    def contains(self, v: object) -> bool:
        if not self._fits(v):
            return False
        if self.members is not None:
            return v in self.members
        if v in self.excluded:
            return False
        if self.kind == "str":
            return True
        lo_ok = v > self.lo if self.lo_open else v >= self.lo  # type: ignore[operator]  # v is a number: kind is num or int here (str returned above)
        hi_ok = v < self.hi if self.hi_open else v <= self.hi  # type: ignore[operator]  # v is a number: kind is num or int here (str returned above)
        return bool(lo_ok and hi_ok)

    def _int_bounds(self) -> tuple[float, float]:
        """The smallest and largest whole numbers in the range (infinite ends stay infinite)."""
        lo, hi = self.lo, self.hi
        if not math.isinf(lo):
            lo = math.floor(lo) + 1 if self.lo_open and float(lo).is_integer() else math.ceil(lo)
        if not math.isinf(hi):
            hi = math.ceil(hi) - 1 if self.hi_open and float(hi).is_integer() else math.floor(hi)
        return lo, hi

    def is_empty(self) -> bool:
        if self.members is not None:
            return not self.members
        if self.kind == "str":
            return False
        if self.kind == "int":
            lo, hi = self._int_bounds()
            if lo > hi:
                return True
            if not math.isinf(hi - lo) and hi - lo < len(self.excluded) + 1:   # few enough to count
                return all(x in self.excluded for x in range(int(lo), int(hi) + 1))
            return False
        if self.lo > self.hi or (self.lo == self.hi and (self.lo_open or self.hi_open)):
            return True
        return self.lo == self.hi and self.lo in self.excluded

    def finite(self, limit: int = 64) -> Optional[list]:
        """Every value, when there are at most ``limit`` of them; else None."""
        if self.members is not None:
            return sorted(self.members, key=lambda v: (str(type(v)), v))
        if self.kind == "int" and not math.isinf(self.lo) and not math.isinf(self.hi):
            lo, hi = self._int_bounds()
            if hi - lo < limit:
                return [x for x in range(int(lo), int(hi) + 1) if x not in self.excluded]
        if self.kind == "num" and self.lo == self.hi and not (self.lo_open or self.hi_open):
            return [] if self.lo in self.excluded else [_clean(self.lo)]
        return None

    def sample(self) -> Any:
        """One value of the set (the smallest, or a round one inside an open range)."""
        listed = self.finite()
        if listed is not None:
            return listed[0] if listed else None
        if self.kind == "str":
            n = 0
            while f"x{n}" in self.excluded:
                n += 1
            return f"x{n}"
        lo = self.lo if not math.isinf(self.lo) else (min(0.0, self.hi - 1) if not math.isinf(self.hi) else 0.0)
        hi = self.hi if not math.isinf(self.hi) else lo + 1e6
        candidates = [lo, math.floor(lo) + 1, (lo + hi) / 2, hi] + [lo + (hi - lo) * k / 7 for k in range(1, 7)]
        for c in candidates:
            c = _clean(math.ceil(c) if self.kind == "int" else round(c, 4))
            if self.contains(c):
                return c
        return None

    # -- restriction ----------------------------------------------------------------------------
    def restrict(self, test: Test) -> "Values":
        """The values that also pass ``test`` (a test against a reference restricts nothing)."""
        op = test.op
        value: Any = test.value   # a number or a string; a tuple for in and not_in
        if isinstance(value, Ref):
            return self
        if op not in ("in", "not_in") and _num(value) == (self.kind == "str"):
            return replace(self, members=frozenset())   # a string never matches a number, or back
        if op in ("eq", "in"):
            wanted = value if op == "in" else (value,)
            return replace(self, members=frozenset(v for v in wanted if self.contains(v)))
        if op in ("ne", "not_in"):
            gone = frozenset(value if op == "not_in" else (value,))
            if self.members is not None:
                return replace(self, members=self.members - gone)
            return replace(self, excluded=self.excluded | gone)
        if self.members is not None:
            return replace(self, members=frozenset(v for v in self.members if _passes(op, v, value)))
        if op in ("gt", "gte"):
            if value > self.lo or (value == self.lo and op == "gt"):
                return replace(self, lo=value, lo_open=op == "gt")
            return self
        if value < self.hi or (value == self.hi and op == "lt"):
            return replace(self, hi=value, hi_open=op == "lt")
        return self

    def within(self, test: Test) -> bool:
        """True when every value of the set passes ``test`` (False when that cannot be shown)."""
        if isinstance(test.value, Ref):
            return False
        if test.op not in ("in", "not_in") and _num(test.value) == (self.kind == "str"):
            return self.is_empty()
        listed = self.finite()
        if listed is not None:
            return all(_passes(test.op, v, test.value) for v in listed)
        negated = _negate(test)
        return self.restrict(negated).is_empty() if negated is not None else False


def _clean(v: float) -> Any:
    return int(v) if float(v).is_integer() else v


def _passes(op: str, observed: Any, expected: Any) -> bool:
    if op in ("in", "not_in"):
        hit = any(type(observed) is type(x) or (_num(observed) and _num(x)) for x in expected
                  if observed == x)
        return hit if op == "in" else not hit
    if _num(observed) != _num(expected):
        return False
    return {"eq": observed == expected, "ne": observed != expected, "gt": observed > expected,
            "gte": observed >= expected, "lt": observed < expected, "lte": observed <= expected}[op]


def _negate(test: Test) -> Optional[Test]:
    """The test a present value fails exactly when it passes ``test`` (same field)."""
    flip = {"eq": "ne", "ne": "eq", "in": "not_in", "not_in": "in", "gt": "lte", "gte": "lt", "lt": "gte", "lte": "gt"}
    return replace(test, op=flip[test.op])
