"""Exhaustive completeness: every combination of criterion levels in every situation class gets
exactly one decision and exactly one route; every onset in every class exactly one scope.

The space is the 6^5 = 7,776 combinations of the five criteria (levels 1-5 or insufficient
evidence) crossed with the situation classes of :mod:`.situations` (46,656 with six classes),
each with an in-scope onset; for ``scope`` the classes are also crossed with every onset.
Criterion facts are injected directly, so only the rules downstream of the criteria run: for
each target the rules it depends on, transitively, minus those that derive signals and criteria.

How it stays fast: a target's rules compare each criterion with a few literal tests (``scale
level gte 3``, ``evidence insufficient``...). Levels that pass exactly the same tests are
indistinguishable to those rules, so one representative per class of levels is evaluated and
its outcome holds for the whole class. That is exact, not a sample; it applies only to a
criterion that no rule compares with another fact or copies (such a criterion has every level
evaluated). The route rules, for instance, read only whether capacity is 4 or more. A seeded
random sample of the full space is then evaluated on durable_rules without any reduction, and
the two must agree.
"""

from __future__ import annotations

import itertools
import random
import time
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

from ..engine.audit import Evaluation
from ..facts import FACT_TYPES, Fact
from ..vocabulary import CRITERIA
from ..rules.ir import CompiledRuleset
from .reduction import (Cube, cube_size, describe_cube, downstream, fields_read, level_classes, merge_cubes,
                        split_by_criteria)
from .situations import IN_SCOPE_ONSET, LEVELS, SITUATIONS, Situation, criteria_facts, onsets, situation_facts

Evaluate = Callable[[CompiledRuleset, Sequence[Fact]], Evaluation]
TARGETS = ("decision", "route")
SWEEP = ("scope",)          # crossed with every onset as well


@dataclass(frozen=True)
class Outcome:
    """The target facts one combination produced, and the rules that asserted them."""

    values: tuple[str, ...]
    rules: tuple[str, ...]


def outcome_of(ev: Evaluation, target: str, before: Optional[Evaluation] = None) -> Outcome:
    """The target facts of an evaluation; ``before`` derived the facts it was given (``a<n>``)."""
    facts = ev.of_type(target)
    value_field = FACT_TYPES[target].value_field
    values = tuple(sorted(str(f.fields.get(value_field)) for f in facts))
    rules = {firing.rule for f in facts for firing in ev.derived_by(f.id)}
    if before is not None:
        rules |= {firing.rule for f in facts if f.origin.startswith("before:")
                  for firing in before.derived_by(f.origin.removeprefix("before:"))}
    return Outcome(values, tuple(sorted(rules)))


@dataclass(frozen=True)
class Case:
    """One situation class with one onset: the input facts the combinations are crossed with."""

    label: str
    situation: Situation
    onset: str

    def facts(self) -> list[Fact]:
        return situation_facts(self.situation, self.onset)


def cases(situations: Sequence[Situation], every_onset: bool = False) -> list[Case]:
    if not every_onset:
        return [Case(s.name, s, IN_SCOPE_ONSET) for s in situations]
    return [Case(f"{s.name} (onset {o})", s, o) for s in situations for o in onsets()]


@dataclass
class TargetResult:
    """Outcomes of one target over its space, as cubes of criterion levels per case."""

    target: str
    combinations: int = 0
    evaluations: int = 0
    cubes: dict[str, list[tuple[Cube, Outcome]]] = field(default_factory=dict)

    _index: dict[str, dict[tuple, Outcome]] = field(default_factory=dict, repr=False)

    def outcome(self, case: str, levels: tuple[Optional[int], ...]) -> Outcome:
        """The outcome of one combination in one case."""
        if case not in self._index:
            self._index[case] = {combo: o for cube, o in self.cubes[case] for combo in itertools.product(*cube)}
        return self._index[case][levels]


def enumerate_target(ruleset: CompiledRuleset, target: str, evaluate: Evaluate, space: Sequence[Case],
                     reduce: bool = True) -> TargetResult:
    """Evaluate every combination of criterion levels in every case for one target.

    Args:
        reduce: evaluate one representative per class of indistinguishable levels (exact);
            False evaluates all 7,776 combinations per case.
    """
    sub = downstream(ruleset, [target])
    classes = level_classes(sub.rules) if reduce else [[[level] for level in LEVELS] for _ in CRITERIA]
    fixed, varying = split_by_criteria(sub) if reduce else (None, sub)
    result = TargetResult(target, combinations=len(LEVELS) ** len(CRITERIA) * len(space))
    read = fields_read(sub.rules)
    seen: dict[frozenset, str] = {}
    for case in space:
        base = case.facts()
        # Cases that differ only in facts these rules never read have the same outcomes.
        key = frozenset(f.key for f in base if read is None or f.fields["field"] in read)
        if reduce and key in seen:
            result.cubes[case.label] = result.cubes[seen[key]]
            continue
        seen[key] = case.label
        before = None
        if fixed is not None:
            # What does not depend on the criteria is derived once per case.
            before = evaluate(fixed, base)
            base = base + [Fact(f"a{n}", f.type, f.fields, f"before:{f.id}")
                           for n, f in enumerate((f for f in before.facts if f.id.startswith("d")), start=1)]
        rows = result.cubes[case.label] = []
        for choice in itertools.product(*classes):
            levels = tuple(group[0] for group in choice)
            ev = evaluate(varying, criteria_facts(levels) + base)
            result.evaluations += 1
            rows.append((tuple(frozenset(group) for group in choice), outcome_of(ev, target, before)))
    return result


@dataclass(frozen=True)
class Defect:
    """Combinations of one class where a target got no value, or several."""

    target: str
    kind: str                       # "none" or "several"
    case: str
    values: tuple[str, ...]
    rules: tuple[str, ...]
    cubes: tuple[Cube, ...]

    @property
    def count(self) -> int:
        return sum(cube_size(c) for c in self.cubes)

    def to_dict(self) -> dict[str, object]:
        return {"target": self.target, "kind": self.kind, "case": self.case, "values": list(self.values),
                "rules": list(self.rules), "combinations": self.count,
                "cases": [describe_cube(c) for c in self.cubes]}


@dataclass(frozen=True)
class Disagreement:
    case: str
    levels: tuple[Optional[int], ...]
    target: str
    python: tuple[str, ...]
    durable: tuple[str, ...]


@dataclass
class Completeness:
    """The result of the enumeration and of its cross-check on durable_rules."""

    targets: dict[str, TargetResult]
    defects: list[Defect]
    sample: int = 0
    seed: int = 0
    disagreements: list[Disagreement] = field(default_factory=list)
    seconds: float = 0.0
    crosscheck_seconds: float = 0.0

    @property
    def evaluations(self) -> int:
        return sum(r.evaluations for r in self.targets.values())


def find_defects(results: dict[str, TargetResult]) -> list[Defect]:
    out = []
    for target, result in results.items():
        for case, rows in result.cubes.items():
            groups: dict[tuple, list[Cube]] = {}
            for cube, outcome in rows:
                if len(outcome.values) != 1:
                    kind = "none" if not outcome.values else "several"
                    groups.setdefault((kind, outcome.values, outcome.rules), []).append(cube)
            for (kind, values, rules), cubes in sorted(groups.items()):
                out.append(Defect(target, kind, case, values, rules, tuple(merge_cubes(cubes))))
    return out


def check_completeness(ruleset: CompiledRuleset, evaluate: Evaluate, reference: Optional[Evaluate] = None,
                       sample: int = 1000, seed: int = 2018, situations: Sequence[Situation] = SITUATIONS,
                       reduce: bool = True) -> Completeness:
    """Enumerate the space with ``evaluate`` and cross-check ``sample`` combinations with ``reference``.

    Args:
        ruleset: the compiled rule set.
        evaluate: the evaluator for the enumeration (the pure-Python one).
        reference: the evaluator to agree with (durable_rules); None skips the cross-check.
        sample: how many combinations of the decision and route space to cross-check, drawn
            with ``random.Random(seed)``.
        situations: the situation classes.
        reduce: see :func:`enumerate_target`.
    """
    start = time.perf_counter()
    main, sweep = cases(situations), cases(situations, every_onset=True)
    results = {t: enumerate_target(ruleset, t, evaluate, main, reduce) for t in TARGETS}
    results.update({t: enumerate_target(ruleset, t, evaluate, sweep, reduce) for t in SWEEP})
    report = Completeness(results, find_defects(results))
    report.seconds = time.perf_counter() - start
    sub = downstream(ruleset, TARGETS)
    # Nothing to compare without rules; and durable_rules crashes on a rule set of no rules.
    if reference is not None and sample > 0 and sub.rules:
        start = time.perf_counter()
        rng = random.Random(seed)
        space = [(c, levels) for c in main for levels in itertools.product(LEVELS, repeat=len(CRITERIA))]
        for case, levels in rng.sample(space, min(sample, len(space))):
            ev = reference(sub, criteria_facts(levels) + case.facts())
            for t in TARGETS:
                got, want = outcome_of(ev, t).values, results[t].outcome(case.label, levels).values
                if got != want:
                    report.disagreements.append(Disagreement(case.label, levels, t, want, got))
        report.sample, report.seed = min(sample, len(space)), seed
        report.crosscheck_seconds = time.perf_counter() - start
    return report
