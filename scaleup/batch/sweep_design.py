"""What a sweep evaluates: the varied fields and their points, generated one at a time.

``--vary FIELD=START:STOP:STEP`` (numbers, STOP included when a step lands on it),
``--vary FIELD=V1,V2,...`` (numbers, ``true``/``false``, or the values of a categorical field), or,
for a sampled sweep only, ``--vary FIELD=START:STOP`` (a continuous range). FIELD is a dotted
scenario path from the field catalogue (derived indicators excluded: they are computed from other
fields). Any number of fields may be varied.

A :class:`Design` is either the full grid (every combination, the first field varying slowest) or
a sample of N points: ``random`` (each field drawn uniformly and independently) or ``lhs`` (a Latin
hypercube: each field's range is cut into N equal strata and every stratum is used exactly once).
Points are generated lazily from the seed, so a sweep of millions of points never holds them: the
Latin hypercube's per-field shuffle of the N strata is a keyed permutation computed one index at a
time (:class:`Shuffle`), not a list.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Iterator, Optional, Sequence

from ..errors import ScaleupError
from ..rules.compile import did_you_mean
from ..scenario.fields import CATALOGUE, DERIVED, FieldInfo

MAX_VALUES = 100_000   # values of one field on a grid (the grid's size is not capped)
SAMPLES = ("random", "lhs")
SWEEPABLE = {path: info for path, info in CATALOGUE.items() if path not in DERIVED}


@dataclass(frozen=True)
class Vary:
    """One varied field: its grid values in axis order, or (sampled sweeps) a continuous span.

    Attributes:
        values: the listed or stepped values (empty for a span).
        span: ``(low, high)`` of ``FIELD=START:STOP``: any value in between may be drawn.
    """

    field: str
    info: FieldInfo
    values: tuple[Any, ...]
    span: Optional[tuple[Any, Any]] = None

    @property
    def numeric(self) -> bool:
        return self.info.kind in ("int", "num")

    @property
    def bounds(self) -> Optional[tuple[Any, Any]]:
        """Lowest and highest value a numeric field takes here (None for a categorical one)."""
        if self.span is not None:
            return self.span
        return (self.values[0], self.values[-1]) if self.numeric and self.values else None

    def at(self, u: float) -> Any:
        """The value at quantile ``u`` (0 <= u < 1): a stratum of the values, or a point of the span
        (whole numbers for a count; six significant digits for a measure, so rows stay readable)."""
        if self.span is None:
            return self.values[min(len(self.values) - 1, int(u * len(self.values)))]
        low, high = self.span
        if self.info.kind == "int":
            return min(high, low + int(u * (high - low + 1)))
        value = float(f"{low + u * (high - low):.6g}")
        return min(high, max(low, int(value) if value.is_integer() else value))


def _bad(spec: str, message: str, hint: str = "") -> ScaleupError:
    return ScaleupError.at("--vary", None, spec.partition("=")[0], message, hint)


def _number(text: str, spec: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace("_", ""))
    except InvalidOperation:
        raise _bad(spec, f"{text.strip()!r} is not a number", "write plain numbers, e.g. 250000 or 2.5") from None
    if not value.is_finite():
        raise _bad(spec, f"{text.strip()!r} is not a finite number")
    return value


def _plain(value: Decimal, info: FieldInfo, spec: str) -> int | float:
    if value == value.to_integral_value():
        return int(value)
    if info.kind == "int":
        raise _bad(spec, f"{value} is not a whole number, and {info.path} counts {info.unit or 'units'}")
    return float(value)


def _in_range(values: Sequence[Any], info: FieldInfo, spec: str) -> None:
    for v in values:
        if info.ge is not None and v < info.ge:
            raise _bad(spec, f"{v} is below the field's minimum {info.ge:g}")
        if info.le is not None and v > info.le:
            raise _bad(spec, f"{v} is above the field's maximum {info.le:g}")


def parse_vary(spec: str) -> Vary:
    """Parse one ``--vary`` argument.

    Raises:
        ScaleupError: unknown or derived field (with a "did you mean"), bad numbers, a value outside
            the field's range or its categories, or more than :data:`MAX_VALUES` values.
    """
    name, sep, rhs = spec.partition("=")
    name = name.strip()
    if not sep or not name or not rhs.strip():
        raise _bad(spec, f"{spec!r} is not FIELD=START:STOP:STEP, FIELD=START:STOP or FIELD=V1,V2,...",
                   "e.g. --vary populations.in_need=100000:2000000:100000")
    if name in DERIVED:
        raise _bad(spec, f"{name} is computed from other fields ({DERIVED[name].formula}), so it cannot be set",
                   f"vary {' or '.join(DERIVED[name].inputs)} instead")
    info = SWEEPABLE.get(name)
    if info is None:
        raise _bad(spec, "not a scenario field that can be varied", did_you_mean(name, list(SWEEPABLE)))
    if ":" in rhs:
        parts = rhs.split(":")
        if len(parts) not in (2, 3) or info.kind not in ("int", "num"):
            raise _bad(spec, "a range is START:STOP:STEP or START:STOP, for a numeric field" if len(parts) > 3 else
                       f"{name} is not numeric; list its values instead", "e.g. FIELD=a,b,c" if len(parts) <= 3 else "")
        if len(parts) == 2:
            low, high = (_plain(_number(p, spec), info, spec) for p in parts)
            if high <= low:
                raise _bad(spec, f"the range {low} to {high} is empty", "write the lower end first")
            _in_range((low, high), info, spec)
            return Vary(name, info, (), (low, high))
        start, stop, step = (_number(p, spec) for p in parts)
        if step == 0 or (stop - start) * step < 0:
            raise _bad(spec, f"the step {step} does not lead from {start} to {stop}")
        count = int((stop - start) / step) + 1
        if count > MAX_VALUES:
            raise _bad(spec, f"{count:,} values; at most {MAX_VALUES:,} for one field", "use a larger step")
        values: list[Any] = [_plain(start + i * step, info, spec) for i in range(count)]
    else:
        values = [_value(item.strip(), info, spec) for item in rhs.split(",") if item.strip()]
    if info.kind in ("int", "num"):
        _in_range(values, info, spec)
        values = sorted(set(values))
    elif len(set(values)) != len(values):
        raise _bad(spec, "a value is listed twice")
    return Vary(name, info, tuple(values))


def _value(text: str, info: FieldInfo, spec: str) -> Any:
    if info.kind in ("int", "num"):
        return _plain(_number(text, spec), info, spec)
    if info.kind == "bool":
        if text.lower() not in ("true", "false"):
            raise _bad(spec, f"{text!r} is not true or false")
        return text.lower() == "true"
    if info.values and text not in info.values:
        raise _bad(spec, f"{text!r} is not a value of {info.path}", did_you_mean(text, list(info.values)))
    return text


_M64 = (1 << 64) - 1


def _mix(x: int) -> int:
    """SplitMix64's finaliser: a cheap, well-spread 64-bit hash."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


class Shuffle:
    """A pseudo-random permutation of ``range(n)``, computed one index at a time in constant
    memory: a four-round Feistel network on the smallest power of four >= n, whose outputs
    outside the range are fed back in until one falls inside ("cycle walking": still a bijection)."""

    def __init__(self, n: int, rng: random.Random):
        self.n = n
        self.half = max(1, ((n - 1).bit_length() + 1) // 2)
        self.mask = (1 << self.half) - 1
        self.keys = [rng.getrandbits(64) for _ in range(4)]

    def __call__(self, i: int) -> int:
        x = i
        while True:
            left, right = x >> self.half, x & self.mask
            for key in self.keys:
                left, right = right, left ^ (_mix(right ^ key) & self.mask)
            x = (left << self.half) | right
            if x < self.n:
                return x


@dataclass(frozen=True)
class Design:
    """The points of a sweep: the full grid, or ``count`` points sampled with ``seed``."""

    varies: tuple[Vary, ...]
    sample: Optional[str] = None
    count: int = 0
    seed: int = 0

    @property
    def size(self) -> int:
        return self.count if self.sample else math.prod(len(v.values) for v in self.varies)

    @property
    def is_grid(self) -> bool:
        return self.sample is None

    def describe(self) -> str:
        if self.sample is None:
            return " x ".join(str(len(v.values)) for v in self.varies)
        return f"{'Latin hypercube' if self.sample == 'lhs' else 'random'} sample, seed {self.seed}"

    def points(self) -> Iterator[tuple[Any, ...]]:
        """The points in order, lazily: the same sequence for the same design and seed."""
        if self.sample is None:
            yield from itertools.product(*(v.values for v in self.varies))
            return
        rng = random.Random(self.seed)
        n = self.count
        if self.sample == "lhs":
            shuffles = [Shuffle(n, rng) for _ in self.varies]
            for i in range(n):
                yield tuple(v.at((s(i) + rng.random()) / n) for v, s in zip(self.varies, shuffles))
        else:
            for _ in range(n):
                yield tuple(v.at(rng.random()) for v in self.varies)


def make_design(varies: Sequence[Vary], sample: Optional[str] = None, count: int = 0, seed: int = 0) -> Design:
    """Check the fields and the sampling together.

    Raises:
        ScaleupError: no field, a field twice, a span in a grid, a bad sample kind or size.
    """
    if not varies:
        raise ScaleupError.at("--vary", None, "", "no field to vary", "e.g. --vary populations.in_need=0:2000000:100000")
    seen: set[str] = set()
    for v in varies:
        if v.field in seen:
            raise ScaleupError.at("--vary", None, v.field, "the same field is varied twice")
        seen.add(v.field)
    if sample is None:
        for v in varies:
            if v.span is not None:
                raise ScaleupError.at("--vary", None, v.field, f"{v.field}={v.span[0]}:{v.span[1]} has no step, "
                                      "so it only makes sense for a sampled sweep",
                                      "add a step (START:STOP:STEP) or sample it with --sample lhs N")
    elif sample not in SAMPLES:
        raise ScaleupError.at("--sample", None, "", f"{sample!r} is not a way of sampling", "use random or lhs")
    elif count < 1:
        raise ScaleupError.at("--sample", None, "", f"{count} points; a sample needs at least one")
    return Design(tuple(varies), sample, count if sample else 0, seed)
