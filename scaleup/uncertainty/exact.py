"""Decision regions of uncertain figures, from the band edges, without sampling.

Every criterion is banded: the rules compare each indicator with fixed values (band edges,
parameters). As one uncertain figure moves from its low to its high value (the others held),
what the rules can see changes only where one of those comparisons changes, for the figure
itself or for an indicator derived from it (a share, a ratio, a caseload), dependent fields
following it (:mod:`scaleup.scenario.dependent`). Those points are found by bisection on the *signature*
of a value: the outcome of every comparison the rule set makes with a constant. Each comparison
is monotone in the figure (the derived indicators are sums and ratios), so equal signatures at
both ends of an interval mean no change inside it. Between two such points the engine's outcome
is constant, so evaluating one value per interval, weighted by the probability of the interval,
gives the exact probabilities.

With two uncertain figures the regions are the cells of both figures' intervals, provided no
comparison depends on both (checked: each figure's change points are the same whatever the other
figure's low, point or high value); when one of them is discrete, the other's intervals are
found again for each of its values, which is exact in any case. A count is drawn as a real number and rounded, so its
interval [a, b] of whole numbers carries the probability of [a - 0.5, b + 0.5).
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

from ..explain.candidates import _compared
from ..scenario.dependent import make_consistent, put
from ..scenario.fields import to_facts
from ..engine.pyeval import compare
from ..rules.ir import CompiledRuleset
from ..scenario.ranges import Range

Signature = tuple[Any, ...]
TOLERANCE = 1e-9   # relative to a real-valued range: where bisection stops


@dataclass(frozen=True)
class Interval:
    """Values of one figure over which the rules see the same thing.

    Attributes:
        first, last: the interval's ends (whole numbers included, for counts).
        mass: its probability.
        value: the value evaluated for it.
    """

    first: float
    last: float
    mass: float
    value: float


@dataclass(frozen=True)
class Cell:
    """A combination of intervals (one per figure) and the values evaluated for it."""

    values: tuple[tuple[str, float], ...]
    mass: float


class Regions:
    """Signatures of a scenario's values, for the rule set's comparisons with constants."""

    def __init__(self, data: dict, ruleset: CompiledRuleset):
        self.data = data
        self.tests = [(field, op, value) for field, tests in sorted(_compared(ruleset).items())
                      for op, value in tests]

    def signature(self, values: dict[str, float]) -> Signature:
        """The outcome of every comparison for ``values`` set on the scenario (its point data)."""
        data = copy.deepcopy(self.data)
        for path, value in values.items():
            put(data, path, value)
        result = make_consistent(data, set(values))
        if result.scenario is None:   # the field at fault, not the message: it quotes the value
            return ("inconsistent", str(result.problem).split(" ")[0])
        facts: dict[str, list[Any]] = {}
        for fact in to_facts(result.scenario, "", lambda loc: None):
            facts.setdefault(str(fact.fields["field"]), []).append(fact.fields["value"])
        return tuple(any(compare(op, v, expected) for v in facts.get(field, ()))
                     for field, op, expected in self.tests)

    def intervals(self, r: Range, held: Optional[dict[str, float]] = None) -> list[Interval]:
        """The intervals of ``r`` (the other figures at ``held``), with their probabilities."""
        held = dict(held or {})
        if r.kind == "discrete":
            return [Interval(v, v, w, v) for v, w in zip(r.values, r.weights)]

        def sig(x: float) -> Signature:
            return self.signature({**held, r.field: x})
        edges = _changes(sig, r.low, r.high, r.whole, (r.high - r.low) * TOLERANCE)
        if r.whole:
            starts = [r.low, *edges]
            ends = [e - 1 for e in edges] + [r.high]
            return [Interval(a, b, r.mass(a, b), (a + b) // 2) for a, b in zip(starts, ends)]
        bounds = [r.low, *edges, r.high]
        return [Interval(a, b, r.mass(a, b), (a + b) / 2) for a, b in zip(bounds, bounds[1:])]

    def cells(self, ranges: Sequence[Range], point: dict[str, float]) -> tuple[Optional[list[Cell]], str]:
        """The exact cells of one or two figures, or None and why they cannot be had."""
        if len(ranges) > 2:
            return None, f"{len(ranges)} uncertain figures; exact regions are computed for one or two"
        if len(ranges) == 1:
            r = ranges[0]
            return [Cell(((r.field, i.value),), i.mass) for i in self.intervals(r)], ""
        a, b = ranges
        if a.kind == "discrete" or b.kind == "discrete":   # exact whatever they share: one set per value
            d, c = (a, b) if a.kind == "discrete" else (b, a)
            return [Cell(tuple(sorted(((d.field, v), (c.field, i.value)))), w * i.mass)
                    for v, w in zip(d.values, d.weights) for i in self.intervals(c, {d.field: v})], ""
        per: list[list[Interval]] = []
        for one, other in ((a, b), (b, a)):
            found = {tuple(self.intervals(one, {other.field: x})) for x in _probes(other, point[other.field])}
            if len(found) != 1:
                return None, (f"{a.field} and {b.field} interact (a rule compares a figure that depends on both, "
                              "or a cross-field check ties them)")
            per.append(list(found.pop()))
        return [Cell(((a.field, i.value), (b.field, j.value)), i.mass * j.mass)
                for i, j in itertools.product(*per)], ""


def _probes(r: Range, point: float) -> list[float]:
    return sorted({r.low, point, r.high})


def _changes(sig: Callable[[float], Signature], low: float, high: float, whole: bool, tol: float) -> list[float]:
    """Where the signature changes between ``low`` and ``high``: for counts, the first whole
    number of each new interval; for real numbers, the point within ``tol``."""
    out: list[float] = []
    stack = [(low, high, sig(low), sig(high))]
    while stack:
        a, b, sa, sb = stack.pop()
        if sa == sb:
            continue
        if (whole and b - a <= 1) or (not whole and b - a <= tol):
            out.append(b if whole else (a + b) / 2)
            continue
        m = (a + b) // 2 if whole else (a + b) / 2
        sm = sig(m)
        stack.append((m, b, sm, sb))
        stack.append((a, m, sa, sm))
    return sorted(out)
