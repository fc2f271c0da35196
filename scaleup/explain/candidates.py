"""Candidate changes for the flip search: moves of one indicator to either side of every value
the rule set compares it with, and applying changes to a scenario with validation.

A derived indicator (a share, a ratio, a sum) is moved through its first input, which it is
linear in. A change that breaks a cross-field rule (``in_need <= affected``...) is adjusted when
the rule names the other field, which then moves too; otherwise the candidate is refused with the
reason (:mod:`scaleup.scenario.dependent`, shared with sampling and sweeps).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any, Iterator, Optional, Union

from pydantic import ValidationError

from ..scenario.fields import CATALOGUE, DERIVED
from ..engine.pyeval import _field_eq, _is_number
from ..rules.ir import CompiledRuleset
from ..scenario.dependent import get, make_consistent, put
from ..scenario.model import Scenario
from ..scenario.load import LoadedScenario
from ..display import fmt

@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any
    adjusted: bool = False

    def text(self) -> str:
        if self.old is None:
            return f"{self.field} were {fmt(self.new)} (not given now)"
        return f"{self.field} were {fmt(self.new)} instead of {fmt(self.old)}"


def _step(value: float, kind: str) -> float:
    if kind == "int":
        return 1
    return 10 ** (math.floor(math.log10(abs(value))) - 2) if value else 0.01


def _compared(ruleset: CompiledRuleset) -> dict[str, list[tuple[str, Any]]]:
    """Scenario field -> the (op, value) tests rules make on it, in rule order."""
    out: dict[str, list[tuple[str, Any]]] = {}
    for rule in ruleset.rules:
        for p in rule.patterns:
            path = _field_eq(p)
            if path is None:
                continue
            tests = out.setdefault(str(path), [])
            tests.extend((t.op, t.value) for t in p.tests if t.field == "value" and (t.op, t.value) not in tests)
    return out


def _numbers(tests: list[tuple[str, Any]], kind: str, lo: Optional[float], hi: Optional[float]) -> list[float]:
    """Values just either side of every number a field is compared with."""
    values: set[float] = set()
    for op, v in tests:
        if not _is_number(v):
            continue
        s = _step(v, kind)
        values.update({v, v - s} if op in ("gte", "lt") else {v, v + s} if op in ("gt", "lte") else {v - s, v, v + s})
    fit = [round(x, 4) for x in values if (lo is None or x >= lo) and (hi is None or x <= hi)]
    return sorted({int(x) if kind == "int" else x for x in fit})


def _linear_input(loaded: LoadedScenario, path: str, targets: list[float]) -> Iterator[tuple[str, float]]:
    """Moves of a derived indicator's first input that bring it to each target (it is linear in it)."""
    source = DERIVED[path].inputs[0]
    info = CATALOGUE.get(source)
    if info is None or info.kind not in ("int", "num"):
        return
    data = loaded.document.data

    def at(x: float) -> Optional[float]:
        patched = copy.deepcopy(data)
        put(patched, source, x)
        try:
            return DERIVED[path].compute(Scenario.model_validate(patched))
        except (ValidationError, TypeError, ZeroDivisionError):
            return None
    x0 = get(data, source) or 0
    y0, y1 = at(x0), at(x0 + 1000)
    if y0 is None or y1 is None or y1 == y0:
        return
    slope = (y1 - y0) / 1000
    for t in targets:
        x = x0 + (t - y0) / slope
        near = {math.floor(x), math.ceil(x), math.floor(x) - 1, math.ceil(x) + 1} if info.kind == "int" else {x, x * 0.99, x * 1.01}
        for v in near:
            if v >= 0:
                yield source, round(v, 4)


def single_moves(ruleset: CompiledRuleset, loaded: LoadedScenario) -> list[Change]:
    """Every single-indicator candidate move, in a deterministic order."""
    data = loaded.document.data
    moves: dict[tuple[str, Any], Change] = {}
    for path, tests in sorted(_compared(ruleset).items()):
        info = CATALOGUE.get(path)
        if info is None:
            continue
        pairs: list[tuple[str, Any]]
        if path in DERIVED:
            targets = _numbers(tests, "num", None, None)
            pairs = list(_linear_input(loaded, path, targets))
        elif info.kind in ("int", "num"):
            pairs = [(path, v) for v in _numbers(tests, info.kind, info.ge, info.le)]
        elif info.kind == "bool":
            pairs = [(path, v) for v in (True, False)]
        elif info.multi:
            now = list(get(data, path) or [])
            named = sorted({x for _, v in tests for x in (v if isinstance(v, tuple) else (v,)) if isinstance(x, str)})
            pairs = [(path, now + [x]) for x in named if x not in now]
            pairs += [(path, [y for y in now if y != x]) for x in named if x in now and len(now) > 1]
        elif info.kind == "enum":
            pairs = [(path, v) for v in info.values]
        else:
            continue
        for target, value in pairs:
            old = get(data, target)
            if old == value or (target, str(value)) in moves:
                continue
            moves[(target, str(value))] = Change(target, old, value)
    # Moves of indicators the scenario gives come first, smallest first: if the budget cuts the
    # search, what is left untried is the least likely to be a minimal flip.
    return sorted(moves.values(), key=lambda c: (c.old is None, relative(c), c.field, str(c.new)))


def patch(loaded: LoadedScenario, changes: list[Change]) -> Union[tuple[LoadedScenario, list[Change]], str]:
    """The scenario with ``changes`` applied and validated, plus any adjustments of dependent
    fields (:mod:`scaleup.scenario.dependent`); or why it is invalid."""
    data = copy.deepcopy(loaded.document.data)
    changes = list(changes)
    for c in changes:
        put(data, c.field, c.new)
    result = make_consistent(data, {c.field for c in changes})
    changes += [Change(a.field, a.old, a.new, adjusted=True) for a in result.adjusted]
    if result.scenario is None:
        return f"{', '.join(c.text() for c in changes)}: {result.problem}"
    return LoadedScenario(result.scenario, loaded.document), changes


def relative(c: Change) -> float:
    if _is_number(c.old) and _is_number(c.new) and c.old:
        return abs(c.new - c.old) / abs(c.old)
    return 1.0
