"""``scaleup rules coverage``: which rules and bands a scenario corpus fires, which it never does,
and whether each condition of each rule was seen both true and false.

Rules fire on durable_rules (the reference engine). Condition results come from the pure-Python
evaluator's :func:`scaleup.engine.pyeval.check_rule` on the same evaluation: for a rule that fired, the
conditions of the firing; otherwise each condition bound, in order, to its matching (or closest)
fact. A ``not:`` condition holds when nothing blocks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from ..errors import Problem, ScaleupError
from ..engine.pyeval import check_rule
from ..rules.ir import CompiledRuleset
from ..rules.overlay import band_key
from .conditions import describe
from .corpus import Corpus, evaluations, read_corpus


@dataclass
class ConditionCount:
    """How often one condition of one rule branch held, and did not, over the corpus."""

    key: str
    index: int
    text: str
    true: int = 0
    false: int = 0

    @property
    def covered(self) -> bool:
        return self.true > 0 and self.false > 0


@dataclass
class Coverage:
    """The coverage of a rule set by a corpus."""

    ruleset: str
    version: str
    scenarios: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rules: dict[str, int] = field(default_factory=dict)          # rule id -> scenarios it fired in
    branches: dict[str, int] = field(default_factory=dict)       # branch key -> scenarios
    locations: dict[str, str] = field(default_factory=dict)      # rule id -> file:line
    bands: dict[str, dict[str, int]] = field(default_factory=dict)  # criterion/field -> band id -> count
    conditions: list[ConditionCount] = field(default_factory=list)

    def never(self) -> list[str]:
        return [r for r, n in self.rules.items() if n == 0]

    def percent(self, done: int, total: int) -> float:
        return 100.0 * done / total if total else 100.0

    def summary(self) -> dict[str, object]:
        fired = len(self.rules) - len(self.never())
        branches = sum(1 for n in self.branches.values() if n)
        conditions = sum(1 for c in self.conditions if c.covered)
        return {"scenarios": len(self.scenarios), "rules": len(self.rules), "rules_fired": fired,
                "rules_percent": round(self.percent(fired, len(self.rules)), 1),
                "branches": len(self.branches), "branches_fired": branches,
                "conditions": len(self.conditions), "conditions_covered": conditions,
                "conditions_percent": round(self.percent(conditions, len(self.conditions)), 1)}

    def to_dict(self) -> dict[str, object]:
        return {"ruleset": self.ruleset, "version": self.version, "summary": self.summary(),
                "scenarios": self.scenarios, "skipped": self.skipped,
                "problems": [p.to_dict() for p in self.problems],
                "rules": [{"id": r, "fired": n, "at": self.locations[r]} for r, n in self.rules.items()],
                "never_fired": self.never(),
                "bands": self.bands,
                "conditions": [{"rule": c.key, "condition": c.index, "text": c.text, "true": c.true,
                                "false": c.false, "covered": c.covered} for c in self.conditions]}


def coverage(ruleset: CompiledRuleset, paths: Sequence[str]) -> Coverage:
    """Evaluate every scenario under ``paths`` and count what fired and which conditions held."""
    corpus: Corpus = read_corpus(paths)
    result = Coverage(ruleset.id, ruleset.version, problems=list(corpus.problems), skipped=list(corpus.skipped))
    conditions: dict[tuple[str, int], ConditionCount] = {}
    for r in ruleset.rules:
        result.rules.setdefault(r.id, 0)
        result.branches.setdefault(r.key, 0)
        result.locations.setdefault(r.id, f"{r.file}:{r.line}")
        key = band_key(r)
        if key is not None:
            result.bands.setdefault("/".join(key), {})[r.id] = 0
        for i, p in enumerate(r.patterns):
            conditions[(r.key, i)] = ConditionCount(r.key, i, describe(p))
    for loaded, ev in evaluations(ruleset, corpus):
        if isinstance(ev, ScaleupError):
            result.problems.extend(ev.problems)
            continue
        result.scenarios.append(loaded.name)
        fired_keys = {f.key for f in ev.firings}
        for rule_id in {f.rule for f in ev.firings}:
            result.rules[rule_id] += 1
        for fired in fired_keys:
            result.branches[fired] += 1
        for r in ruleset.rules:
            band = band_key(r)
            if band is not None and r.key in fired_keys:
                result.bands["/".join(band)][r.id] += 1
            for held in check_rule(ruleset, ev, r.key):
                count = conditions[(r.key, held.index)]
                if held.held:
                    count.true += 1
                else:
                    count.false += 1
    result.conditions = list(conditions.values())
    return result
