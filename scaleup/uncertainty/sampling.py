"""Evaluating a scenario with uncertain figures: draws through the batch machinery, probabilities
with confidence intervals, exact regions where they are cheap, and sensitivities.

Draws are made in this process with ``random.Random(seed)``, one value per range in field order,
so the same seed gives the same draws whatever the number of workers. Each draw sets every
uncertain figure; dependent fields follow (:mod:`scaleup.scenario.dependent`: a drawn ``in_need`` above
``affected`` raises ``affected``). A draw that cannot be made consistent (two drawn figures that
contradict each other) is counted as inconsistent and left out: the probabilities are those of
the consistent draws. Every draw, exact cell and sensitivity point is one task of the batch pool
(:mod:`scaleup.batch_pool`), so ``-j`` spreads them over worker processes.

Probabilities carry a 95% Wilson score interval. Sensitivity is one at a time: each range alone
moves over its whole distribution, the others held at their point estimates, and its share is
the probability that the decision then differs from the decision at the point estimates. It is
computed exactly from the band edges (:mod:`scaleup.uncertainty.exact`), not sampled.
"""

from __future__ import annotations

import copy
import hashlib
import math
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ..batch.run import make_row, ordered
from ..batch.input import sweep_task
from ..batch.output import LEVELS
from ..batch.pool import StopCheck, make_pool
from ..scenario.dependent import make_consistent, put
from ..errors import ScaleupError
from .exact import Regions
from ..rules.ir import CompiledRuleset
from ..scenario.load import LoadedScenario, load_scenario
from ..scenario.ranges import Range

Z95 = 1.959963984540054
MAX_SAMPLES = 1_000_000
METHOD = ("one at a time: each range over its whole distribution, the others at their point estimates; "
          "the share is the probability that the decision differs from the decision at the point estimates "
          "(exact, from the band edges)")


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion k/n."""
    if n == 0:
        return (0.0, 1.0)
    if k == n:   # the ends are exact: the formula's rounding would give 0.9999999999999999
        return (1 - wilson(0, n, z)[1], 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (0.0 if k == 0 else max(0.0, centre - half), min(1.0, centre + half))


@dataclass
class Outcome:
    """What one evaluated draw or cell gave (None for an invalid one, with its reason)."""

    decision: Optional[str]
    route: Optional[str]
    levels: dict[str, Optional[int]]
    error: Optional[str] = None


@dataclass
class Sensitivity:
    field: str
    decision_flips: float
    route_flips: float
    at_low: Optional[str]
    at_high: Optional[str]


@dataclass
class Exact:
    """Exact probabilities (None when not available, with the reason)."""

    decisions: Optional[dict[str, float]] = None
    routes: Optional[dict[str, float]] = None
    inconsistent: float = 0.0
    cells: int = 0
    reason: str = ""


@dataclass
class UncertaintyResult:
    base: LoadedScenario
    ruleset: CompiledRuleset
    samples: int
    seed: int
    point: Outcome
    draws: list[Outcome] = field(default_factory=list)
    sensitivity: list[Sensitivity] = field(default_factory=list)
    exact: Exact = field(default_factory=Exact)
    interrupted: bool = False

    @property
    def ranges(self) -> tuple[Range, ...]:
        return self.base.ranges

    @property
    def valid(self) -> list[Outcome]:
        return [d for d in self.draws if d.error is None]

    def shares(self, what: str) -> list[tuple[str, int, float, tuple[float, float]]]:
        """(value, count, probability, 95% interval) of ``decision`` or ``route``, most likely first."""
        valid = self.valid
        counts = Counter(str(getattr(d, what)) for d in valid)
        n = len(valid)
        return [(v, k, k / n, wilson(k, n)) for v, k in sorted(counts.items(), key=lambda vk: (-vk[1], vk[0]))]

    def levels(self) -> dict[str, list[tuple[Optional[int], float]]]:
        """Each criterion's levels and their probabilities, lowest level first (None: no data)."""
        valid = self.valid
        out = {}
        for name in LEVELS:
            counts = Counter(d.levels.get(name) for d in valid)
            out[name] = [(lv, counts[lv] / len(valid)) for lv in sorted(counts, key=lambda x: (x is not None, x or 0))]
        return out

    def inconsistent(self) -> list[tuple[str, int]]:
        """Why draws were left out, most frequent first."""
        counts = Counter(d.error for d in self.draws if d.error is not None)
        return sorted(counts.items(), key=lambda rk: (-rk[1], rk[0]))


def _outcome(row: dict[str, Any]) -> Outcome:
    if row["status"] != "ok":
        return Outcome(None, None, {}, error=str(row.get("error") or row["status"]))
    return Outcome(row["decision"], row["route"], {name: row.get(name) for name in LEVELS})


def _patch(base: LoadedScenario, values: dict[str, float]) -> tuple[Optional[tuple[tuple[str, Any], ...]], str]:
    """The fields a draw sets, dependent ones included; or None and why it is inconsistent."""
    data = copy.deepcopy(base.document.data)
    for path, value in values.items():
        put(data, path, value)
    result = make_consistent(data, set(values))
    if result.scenario is None:   # the reason without the drawn figures, so that draws group by it
        return None, re.sub(r" [\d,.]+(?= |$)", "", re.sub(r"\s*\([^)]*\)", "", str(result.problem)))
    return tuple(sorted({**values, **{a.field: a.new for a in result.adjusted}}.items())), ""


def run_uncertain(scenario: str | Path, ruleset: CompiledRuleset, *, samples: int = 0, seed: int = 0,
                  exact: bool = False, workers: int = 1, timeout: float = 0, start_method: Optional[str] = None,
                  should_stop: StopCheck = lambda: False) -> UncertaintyResult:
    """Evaluate ``samples`` draws of a scenario's uncertain figures, its exact regions when there
    are one or two (always, or only them when ``samples`` is 0 and ``exact`` is asked for), and
    the sensitivity of the decision to each range.

    Raises:
        ScenarioError: the scenario is invalid.
        ScaleupError: it has no ranges; ``exact`` was asked for and is not available; too many samples.
    """
    name = str(scenario)
    base = load_scenario(scenario)
    if not base.ranges:
        raise ScaleupError.at(base.name, None, "", "no figure is a range, so there is nothing to sample",
                              "write an uncertain figure as {low: L, high: H} (docs/uncertainty.md), or evaluate without --samples")
    if not 0 <= samples <= MAX_SAMPLES:
        raise ScaleupError.at("--samples", None, "", f"{samples:,} samples; at most {MAX_SAMPLES:,}")
    raw = Path(scenario).read_bytes()
    if hashlib.sha256(raw).hexdigest() != base.document.sha256:
        raise ScaleupError.at(base.name, None, "", "the file changed while it was being read", "run it again")
    ranges = base.ranges
    point = {r.field: r.point for r in ranges}
    regions = Regions(base.document.data, ruleset)
    cells, reason = regions.cells(ranges, point)
    if exact and cells is None:
        raise ScaleupError.at(base.name, None, "", f"no exact mode: {reason}", "use --samples N")

    # Every evaluation as one task list: the point, the draws, the exact cells, then for each
    # range its one-at-a-time intervals.
    plans: list[tuple[str, Any, Optional[tuple], str]] = [("point", None, tuple(sorted(point.items())), "")]
    rng = random.Random(seed)
    for _ in range(samples):
        plans.append(("draw", None, *_patch(base, {r.field: r.draw(rng) for r in ranges})))
    for cell in cells or []:
        plans.append(("cell", cell.mass, *_patch(base, dict(cell.values))))
    oat: list[tuple[Range, list]] = []
    for r in ranges:
        held = {k: v for k, v in point.items() if k != r.field}
        intervals = regions.intervals(r, held)
        oat.append((r, intervals))
        for i in intervals:
            plans.append(("oat", i.mass, *_patch(base, {**held, r.field: i.value})))
    tasks = [sweep_task(name, raw, patch) for _, _, patch, _ in plans if patch is not None]
    pool = make_pool(ruleset, workers, timeout, start_method, tasks=len(tasks))
    results = iter(ordered(pool.results(tasks, should_stop)))
    outcomes: list[Outcome] = []
    interrupted = False
    for _, _, patch, why in plans:
        if patch is None:
            outcomes.append(Outcome(None, None, {}, error=why))
            continue
        got = next(results, None)
        if got is None:
            interrupted = True
            break
        task, outcome = got
        outcomes.append(_outcome(make_row(task, outcome, ruleset)))
    if interrupted:
        return UncertaintyResult(base, ruleset, samples, seed, Outcome(None, None, {}), interrupted=True)
    kinds = [p[0] for p in plans]
    at_point = outcomes[0]
    assert at_point is not None
    result = UncertaintyResult(base, ruleset, samples, seed, at_point,
                               draws=[o for k, o in zip(kinds, outcomes) if k == "draw" and o is not None])
    if cells is not None:
        result.exact = _exact([(p[1], o) for p, o in zip(plans, outcomes) if p[0] == "cell" and o is not None], len(cells))
    else:
        result.exact = Exact(reason=reason)
    rest = iter([(p[1], o) for p, o in zip(plans, outcomes) if p[0] == "oat"])
    for r, intervals in oat:
        weighted = [next(rest) for _ in intervals]
        result.sensitivity.append(_sensitivity(r, weighted, at_point))
    result.sensitivity.sort(key=lambda s: (-s.decision_flips, -s.route_flips, s.field))
    if samples and not result.valid:
        raise ScaleupError.at(base.name, None, "", f"none of the {samples:,} draws is consistent: "
                              f"{result.inconsistent()[0][0]}", "check that the ranges can hold together")
    return result


def _exact(weighted: list[tuple[float, Outcome]], cells: int) -> Exact:
    ok = [(w, o) for w, o in weighted if o.error is None]
    total = sum(w for w, _ in ok)
    decisions: dict[str, float] = {}
    routes: dict[str, float] = {}
    for w, o in ok:
        decisions[str(o.decision)] = decisions.get(str(o.decision), 0) + (w / total if total else 0)
        routes[str(o.route)] = routes.get(str(o.route), 0) + (w / total if total else 0)
    return Exact({k: round(v, 9) for k, v in decisions.items()}, {k: round(v, 9) for k, v in routes.items()},
                 round(1 - total, 9) if total else 1.0, cells)


def _sensitivity(r: Range, weighted: list[tuple[float, Outcome]], point: Outcome) -> Sensitivity:
    ok = [(w, o) for w, o in weighted if o.error is None]
    total = sum(w for w, _ in ok) or 1.0
    flips = sum(w for w, o in ok if o.decision != point.decision) / total
    route = sum(w for w, o in ok if o.route != point.route) / total
    low, high = weighted[0][1], weighted[-1][1]
    return Sensitivity(r.field, round(flips, 9), round(route, 9),
                       low.decision if low.error is None else None, high.decision if high.error is None else None)
