"""Uncertain figures: a numeric indicator given as a range or a distribution instead of a number.

Any numeric indicator of a scenario (a field of kind ``int`` or ``num`` in the field catalogue)
may be written as

- ``{low: L, high: H}``: uniform between L and H;
- ``{low: L, mode: M, high: H}``: triangular, most likely M;
- ``{values: [V1, V2, ...], weights: [W1, W2, ...]}``: one of the values, with those relative
  weights (equal weights when ``weights`` is left out).

Counts (``int`` fields) are drawn as real numbers and rounded to the nearest whole number. The
*point estimate* of a range (used to validate the rest of the scenario and as the "others held"
value of the sensitivity analysis) is the mode of a triangular range, the midpoint of a uniform
one and the most heavily weighted value of a discrete one (the first, on a tie). A plain
evaluation never picks it silently: a scenario with ranges needs ``--samples`` or ``--exact``
(see docs/uncertainty.md).
"""

from __future__ import annotations

import copy
import math
import random
from dataclasses import dataclass
from typing import Any, Optional

from .dependent import get, put
from ..errors import Problem
from .fields import CATALOGUE, DERIVED, FieldInfo
from .validation import split_path
from ..display import fmt
from .yamlio import Document

UNCERTAIN_FIELDS: dict[str, FieldInfo] = {
    path: info for path, info in CATALOGUE.items()
    if info.kind in ("int", "num") and not info.multi and path not in DERIVED}
KEYS = ("low", "mode", "high", "values", "weights")
MAX_VALUES = 1000
RANGE_HINT = "write {low: L, high: H}, {low: L, mode: M, high: H} or {values: [...], weights: [...]}"


@dataclass(frozen=True)
class Range:
    """One uncertain figure.

    Attributes:
        field: the dotted scenario path.
        kind: ``uniform``, ``triangular`` or ``discrete``.
        whole: the field counts (``int``): draws are rounded to whole numbers.
        low, high: the support (smallest and largest value).
        mode: the most likely value of a triangular range.
        values, weights: the values of a discrete range and their normalised weights.
    """

    field: str
    kind: str
    whole: bool
    low: float
    high: float
    mode: Optional[float] = None
    values: tuple[float, ...] = ()
    weights: tuple[float, ...] = ()

    @property
    def point(self) -> float:
        """The point estimate: mode, midpoint, or most heavily weighted value."""
        if self.kind == "discrete":
            return self.values[max(range(len(self.values)), key=lambda i: (self.weights[i], -i))]
        value = self.mode if self.kind == "triangular" else (self.low + self.high) / 2
        assert value is not None
        return self.rounded(value)

    def rounded(self, value: float) -> float:
        """A drawn real number as the field holds it (counts: the nearest whole number)."""
        return int(math.floor(value + 0.5)) if self.whole else value

    def draw(self, rng: random.Random) -> float:
        """One value drawn with ``rng``."""
        if self.kind == "discrete":
            return rng.choices(self.values, cum_weights=self._cumulative())[0]
        if self.kind == "triangular":
            return self.rounded(rng.triangular(self.low, self.high, self.mode))
        return self.rounded(rng.uniform(self.low, self.high))

    def _cumulative(self) -> list[float]:
        out, total = [], 0.0
        for w in self.weights:
            total += w
            out.append(total)
        return out

    def cdf(self, x: float) -> float:
        """P(drawn real number <= x), before rounding (uniform and triangular)."""
        lo, hi = self.low, self.high
        if x <= lo:
            return 0.0
        if x >= hi:
            return 1.0
        if self.kind == "uniform":
            return (x - lo) / (hi - lo)
        m = self.mode
        assert m is not None
        if x <= m:
            return (x - lo) ** 2 / ((hi - lo) * (m - lo))
        return 1 - (hi - x) ** 2 / ((hi - lo) * (hi - m))

    def mass(self, first: float, last: float) -> float:
        """Probability that the field's value lies in ``[first, last]`` (whole numbers for counts:
        the real draws that round into them), for uniform and triangular ranges."""
        if self.whole:
            return self.cdf(last + 0.5) - self.cdf(first - 0.5)
        return self.cdf(last) - self.cdf(first)

    def describe(self) -> str:
        if self.kind == "discrete":
            return "one of " + ", ".join(f"{fmt(v)} ({w:.0%})" for v, w in zip(self.values, self.weights))
        if self.kind == "triangular":
            return f"{fmt(self.low)} to {fmt(self.high)}, most likely {fmt(self.mode)}"
        return f"{fmt(self.low)} to {fmt(self.high)}, uniform"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "kind": self.kind, "low": self.low, "high": self.high}
        if self.kind == "triangular":
            out["mode"] = self.mode
        if self.kind == "discrete":
            out["values"], out["weights"] = list(self.values), [round(w, 12) for w in self.weights]
        out["point"] = self.point
        return out


@dataclass
class RangeRead:
    """The ranges of a document, their problems, and the data with every range replaced by its
    point estimate (a bad range is left out, so the rest of the file can still be checked)."""

    ranges: dict[str, Range]
    problems: list[Problem]
    data: Any


def read_ranges(document: Document) -> RangeRead:
    """Find and check every range of a scenario document (located problems, none raised)."""
    data = document.data
    if not isinstance(data, dict):
        return RangeRead({}, [], data)
    found = {path: get(data, path) for path in UNCERTAIN_FIELDS}
    found = {path: value for path, value in found.items() if isinstance(value, dict)}
    if not found:
        return RangeRead({}, [], data)
    ranges: dict[str, Range] = {}
    problems: list[Problem] = []
    points = copy.deepcopy(data)
    for path in sorted(found):
        def problem(key: str, message: str, hint: str = "", path: str = path) -> None:
            where = split_path(path) + ((key,) if key else ())
            problems.append(Problem(document.name, document.line(where), f"{path}.{key}" if key else path, message, hint))
        parsed = _parse(path, found[path], problem)
        if parsed is None:
            _remove(points, path)
        else:
            ranges[path] = parsed
            put(points, path, parsed.point)
    return RangeRead(ranges, problems, points)


def _remove(data: dict, path: str) -> None:
    *head, last = path.split(".")
    parent = get(data, ".".join(head)) if head else data
    if isinstance(parent, dict):
        parent.pop(last, None)


def _number(value: Any, info: FieldInfo, key: str, problem: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        problem(key, f"expected a finite number, got {value!r}")
        return None
    if info.kind == "int" and value != int(value):
        problem(key, f"expected a whole number, got {value}", f"{info.path} counts {info.unit or 'units'}")
        return None
    if (info.ge is not None and value < info.ge) or (info.le is not None and value > info.le):
        problem(key, f"{fmt(value)} is outside the field's range ({fmt(info.ge)} to {fmt(info.le)})")
        return None
    return int(value) if info.kind == "int" else value


def _parse(path: str, spec: dict, problem: Any) -> Optional[Range]:
    info = UNCERTAIN_FIELDS[path]
    whole = info.kind == "int"
    unknown = [k for k in spec if k not in KEYS]
    if unknown:
        problem(str(unknown[0]), f"unknown key of a range; expected {', '.join(KEYS)}", RANGE_HINT)
        return None
    if "values" in spec or "weights" in spec:
        mixed = [k for k in ("low", "mode", "high") if k in spec]
        if mixed:
            problem(mixed[0], "a discrete distribution takes values and weights only", RANGE_HINT)
            return None
        return _discrete(path, spec, info, problem)
    if "low" not in spec or "high" not in spec:
        problem("high" if "low" in spec else "low", "missing: a range needs both low and high", RANGE_HINT)
        return None
    low, high = (_number(spec[k], info, k, problem) for k in ("low", "high"))
    mode = _number(spec["mode"], info, "mode", problem) if "mode" in spec else None
    if low is None or high is None or ("mode" in spec and mode is None):
        return None
    if low >= high:
        problem("low", f"{fmt(low)} is not below high ({fmt(high)})",
                "swap them" if low > high else "for a known figure write the number itself")
        return None
    if mode is not None and not low <= mode <= high:
        problem("mode", f"{fmt(mode)} is outside low..high ({fmt(low)} to {fmt(high)})", "the most likely value lies between them")
        return None
    return Range(path, "uniform" if mode is None else "triangular", whole, low, high, mode)


def _discrete(path: str, spec: dict, info: FieldInfo, problem: Any) -> Optional[Range]:
    values = spec.get("values")
    if not isinstance(values, list) or not values or len(values) > MAX_VALUES:
        problem("values", f"expected a list of 1 to {MAX_VALUES} numbers", RANGE_HINT)
        return None
    read = [_number(v, info, f"values[{i}]", problem) for i, v in enumerate(values)]
    numbers = [v for v in read if v is not None]
    if len(numbers) < len(read):
        return None
    if len(set(numbers)) != len(numbers):
        problem("values", "a value is listed twice", "give each value once and weight it")
        return None
    weights = spec.get("weights", [1] * len(values))
    if not isinstance(weights, list) or len(weights) != len(values):
        count = len(weights) if isinstance(weights, list) else "not a list"
        problem("weights", f"expected one weight per value ({len(values)}), got {count}")
        return None
    for i, w in enumerate(weights):
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) or w < 0:
            problem(f"weights[{i}]", f"expected a number >= 0, got {w!r}", "weights are relative: 3 and 1 mean 75% and 25%")
            return None
    total = float(sum(weights))
    if total <= 0:
        problem("weights", "every weight is 0", "give at least one value a positive weight")
        return None
    order = sorted(range(len(numbers)), key=lambda i: numbers[i])
    vals = tuple(numbers[i] for i in order)
    return Range(path, "discrete", info.kind == "int", min(vals), max(vals),
                 values=vals, weights=tuple(weights[i] / total for i in order))
