"""Flips: the smallest changes to a scenario's indicators that change the decision or the route.

Candidates (:mod:`scaleup.explain.candidates`) are single moves of one indicator to just either side of
every value the rule set compares it with (band edges, parameters such as the famine mortality),
every other value of a category, and every other truth value; then pairs of single moves that
each changed something (a criterion level, a finding, a situation) without flipping the outcome
on their own. Every candidate is a patched copy of the scenario, validated again and evaluated by
the real engine (:func:`scaleup.recommendation.evaluate.evaluate_traced`). Adjusted candidates (a cross-field
rule moved another field too, which counts in the size) and discarded ones are reported. The
search is bounded by a number of evaluations (and optionally seconds), and says when it was cut.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any, Optional

from .candidates import Change, patch, relative, single_moves
from ..errors import ScaleupError
from ..recommendation.evaluate import evaluate_traced
from ..rules.ir import CompiledRuleset
from ..scenario.load import LoadedScenario

STATE_TYPES = ("criterion", "finding", "situation", "scope", "variant")


@dataclass
class Flip:
    kind: str                      # decision | route
    was: Optional[str]
    outcome: Optional[str]
    changes: list[Change]
    size: int
    relative: float
    text: str


@dataclass
class FlipReport:
    decision: list[Flip] = field(default_factory=list)
    route: list[Flip] = field(default_factory=list)
    evaluations: int = 0
    singles: int = 0
    pairs_tried: int = 0
    pairs: int = 0
    budget: int = 0
    adjusted: int = 0
    discarded: list[str] = field(default_factory=list)
    cut: Optional[str] = None


class _Search:
    def __init__(self, loaded: LoadedScenario, ruleset: CompiledRuleset, budget: int, seconds: Optional[float]):
        self.loaded, self.ruleset, self.budget = loaded, ruleset, budget
        self.deadline = time.monotonic() + seconds if seconds else None
        self.report = FlipReport(budget=budget)
        rec, ev = evaluate_traced(loaded, ruleset)
        self.base = (rec.scale_up, rec.route, self._state(ev))

    @staticmethod
    def _state(ev: Any) -> frozenset:
        return frozenset(f.key for f in ev.facts if f.type in STATE_TYPES)

    def out_of_budget(self) -> bool:
        return self.report.evaluations >= self.budget or (self.deadline is not None and time.monotonic() > self.deadline)

    def run(self, moves: list[Change]) -> Optional[tuple[str, Optional[str], frozenset, list[Change]]]:
        patched = patch(self.loaded, moves)
        if isinstance(patched, str):
            self.report.discarded.append(patched)
            return None
        scenario, changes = patched
        self.report.adjusted += any(c.adjusted for c in changes)
        self.report.evaluations += 1
        try:
            rec, ev = evaluate_traced(scenario, self.ruleset)
        except ScaleupError as exc:
            self.report.discarded.append(f"{', '.join(c.text() for c in changes)}: {exc.problems[0].message}")
            return None
        return rec.scale_up, rec.route, self._state(ev), changes

    def record(self, kind: str, outcome: Optional[str], changes: list[Change]) -> None:
        was = self.base[0] if kind == "decision" else self.base[1]
        what = "the decision would be" if kind == "decision" else "the route would be"
        moved = [c for c in changes if not c.adjusted]
        text = f"if {' and '.join(c.text() for c in moved)}, {what} {outcome or 'none'}"
        extra = [c for c in changes if c.adjusted]
        if extra:
            text += f" (with {', '.join(c.text().replace(' were ', ' ', 1) for c in extra)}, to stay consistent)"
        flips = self.report.decision if kind == "decision" else self.report.route
        flips.append(Flip(kind, was, outcome, changes, len({c.field for c in changes}),
                          round(sum(relative(c) for c in changes), 4), text))


def find_flips(loaded: LoadedScenario, ruleset: CompiledRuleset, budget: int = 2000,
               seconds: Optional[float] = None, limit: int = 10) -> FlipReport:
    """Search for minimal decision and route flips; see the module doc.

    Args:
        budget: at most this many evaluations.
        seconds: stop after this long too (makes the output depend on the machine).
        limit: report at most this many flips of each kind.
    """
    search = _Search(loaded, ruleset, budget, seconds)
    report = search.report
    singles = single_moves(ruleset, loaded)
    report.singles = len(singles)
    useful: list[tuple[Change, bool, bool]] = []
    for i, move in enumerate(singles):
        if search.out_of_budget():
            report.cut = f"cut after {report.evaluations} evaluations: {len(singles) - i} of {len(singles)} single moves and every pair not tried"
            break
        result = search.run([move])
        if result is None:
            continue
        decision, route, state, changes = result
        flips_d, flips_r = decision != search.base[0], route != search.base[1]
        if flips_d:
            search.record("decision", decision, changes)
        if flips_r:
            search.record("route", route, changes)
        if state != search.base[2] and not (flips_d and flips_r):
            useful.append((move, flips_d, flips_r))
    pairs = [(a, b) for a, b in itertools.combinations(useful, 2) if a[0].field != b[0].field]
    pairs.sort(key=lambda ab: (relative(ab[0][0]) + relative(ab[1][0]), ab[0][0].field, ab[1][0].field))
    report.pairs = len(pairs)
    for (a, a_d, a_r), (b, b_d, b_r) in pairs if report.cut is None else []:
        if search.out_of_budget():
            report.cut = f"cut after {report.evaluations} evaluations: {report.pairs - report.pairs_tried} of {report.pairs} pairs not tried"
            break
        report.pairs_tried += 1
        result = search.run([a, b])
        if result is None:
            continue
        decision, route, _, changes = result
        if not (a_d or b_d) and decision != search.base[0]:
            search.record("decision", decision, changes)
        if not (a_r or b_r) and route != search.base[1]:
            search.record("route", route, changes)
    report.decision = _best(report.decision, limit)
    report.route = _best(report.route, limit)
    return report


def _best(flips: list[Flip], limit: int) -> list[Flip]:
    """The smallest flip per set of fields and outcome, smallest first."""
    flips = sorted(flips, key=lambda f: (f.size, f.relative, f.text))
    seen: set[tuple] = set()
    out = []
    for f in flips:
        key = (frozenset(c.field for c in f.changes), f.outcome)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out[:limit]
