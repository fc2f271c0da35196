"""The consistency invariants (:mod:`.invariants`) checked over every combination of criterion
levels in every situation class, for ``scaleup rules check``.

The space is the completeness enumeration's (6^5 combinations of the five criteria, each class
with an in-scope onset), over the classes of :data:`.situations.INVARIANT_SITUATIONS`. Unlike
completeness, which derives only a decision or a route, each combination is taken as far as the
clusters and the leads: the rules the decision, route, cluster and lead facts depend on run.

Three exact reductions keep it fast:

1. what does not depend on the criteria runs once per class (as in completeness);
2. of the rest, only the *readers* see the criteria: the rules with a criterion condition and
   the rules they need. They run once per class of levels they cannot tell apart (as in
   completeness), which gives a handful of distinct sets of derived facts (findings...);
3. the remaining rules never see a criterion, so they run once per distinct set of the readers'
   facts, and their outcome, invariant breaches included, holds for every combination giving it.

Classes whose facts differ only in fields neither the rules nor the invariants read share their
outcomes.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from dataclasses import dataclass, field, replace
from typing import Optional, Sequence

from ..engine.audit import Evaluation
from ..facts import Fact
from ..vocabulary import CRITERIA
from ..engine.pyeval import passes
from ..rules.ir import CompiledRuleset, Ref
from .completeness import Evaluate, cases
from .conditions import emit_template, match
from .invariants import Breach, check_evaluation, need_fields
from .reduction import Cube, cube_size, downstream, fields_read, level_classes, split_by_criteria
from .situations import INVARIANT_SITUATIONS, LEVELS, Situation, criteria_facts, level_label

TARGETS = ("decision", "route", "cluster", "lead")


@dataclass
class Violation:
    """Every combination breaching one invariant about one subject, with the first as example."""

    code: str
    subject: str
    example: Breach
    case: str
    levels: tuple[Optional[int], ...]
    combinations: int = 0
    cases: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)

    def describe_levels(self) -> str:
        return ", ".join(f"{name}={level_label(x)}" for name, x in zip(CRITERIA, self.levels))

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "subject": self.subject, "message": self.example.message,
                "combinations": self.combinations, "cases": self.cases, "rules": self.rules,
                "example": {"case": self.case,
                            "levels": {name: level_label(x) for name, x in zip(CRITERIA, self.levels)}}}


@dataclass
class InvariantSweep:
    """What the invariants found over the space."""

    combinations: int = 0
    evaluations: int = 0
    classes: int = 0
    violations: list[Violation] = field(default_factory=list)
    by_code: dict[str, int] = field(default_factory=dict)     # combinations breaching each code
    seconds: float = 0.0
    rows: dict[str, list[tuple[Cube, list[Breach]]]] = field(default_factory=dict, repr=False)

    def breaches(self, case: str, levels: tuple[Optional[int], ...]) -> list[Breach]:
        """The breaches of one combination in one class (from the cube holding it)."""
        return next(b for cube, b in self.rows[case] if all(x in s for x, s in zip(levels, cube)))


def split_readers(varying: CompiledRuleset) -> tuple[CompiledRuleset, CompiledRuleset]:
    """(the rules that read a criterion and the rules they need, every other rule).

    The first part is closed upward: no rule of the second asserts a fact that could pass a
    condition (``not:`` included) of the first. So the first part's facts do not depend on the
    second, and the second reads the criteria only through the first part's facts.
    """
    templates = {r.key: [emit_template(r, e) for e in r.emits] for r in varying.rules}
    readers = {r.key for r in varying.rules if any(p.type == "criterion" for p in r.patterns)}
    changed = True
    while changed:
        changed = False
        needed = [p for r in varying.rules if r.key in readers for p in r.patterns]
        for r in varying.rules:
            if r.key not in readers and any(t.type == p.type and match(p.tests, t) is not None
                                            for t in templates[r.key] for p in needed):
                readers.add(r.key)
                changed = True

    def part(keys: set[str], tag: str) -> CompiledRuleset:
        digest = hashlib.sha256(f"{varying.sha256}:{tag}".encode()).hexdigest()
        return replace(varying, rules=tuple(r for r in varying.rules if r.key in keys), sha256=digest)
    return part(readers, "readers"), part({r.key for r in varying.rules} - readers, "rest")


def _copies(ev: Evaluation, prefix: str) -> list[Fact]:
    """The facts an evaluation derived, as input facts of the next (keeping the rule origin)."""
    return [Fact(f"{prefix}{n}", f.type, f.fields, f.origin)
            for n, f in enumerate((f for f in ev.facts if f.id.startswith("d")), start=1)]


def _visible(rules: CompiledRuleset, fact: Fact) -> bool:
    """Whether some condition of the rules could match the fact (its literal tests pass)."""
    return any(p.type == fact.type and all(passes(t, fact, {}) for t in p.tests if not isinstance(t.value, Ref))
               for r in rules.rules for p in r.patterns)


def sweep_invariants(ruleset: CompiledRuleset, evaluate: Evaluate,
                     situations: Sequence[Situation] = INVARIANT_SITUATIONS) -> InvariantSweep:
    """Check the invariants on every combination of criterion levels in every situation class.

    Args:
        ruleset: the compiled rule set.
        evaluate: the evaluator (the pure-Python one; every stage is an ordinary evaluation).
        situations: the classes (each with the in-scope onset).
    """
    start = time.perf_counter()
    sub = downstream(ruleset, TARGETS)
    fixed, varying = split_by_criteria(sub)
    readers, rest = split_readers(varying)
    classes = level_classes(readers.rules)
    space = cases(situations)
    result = InvariantSweep(combinations=len(LEVELS) ** len(CRITERIA) * len(space), classes=len(space))
    read = fields_read(sub.rules)
    if read is not None:
        read |= need_fields()
    seen: dict[frozenset, list[tuple[Cube, tuple[Optional[int], ...], list[Breach]]]] = {}
    stage: dict[frozenset, list[tuple[Cube, tuple[Optional[int], ...], list[Fact]]]] = {}
    found: dict[tuple[str, str], Violation] = {}
    for case in space:
        base = case.facts()
        key = frozenset(f.key for f in base if read is None or f.fields["field"] in read)
        if key not in seen:
            seen[key] = rows = []
            base = base + _copies(evaluate(fixed, base), "a")
            # Classes alike in what the readers can match share the readers' outcomes.
            seen_by_readers = [f for f in base if _visible(readers, f)]
            visible = frozenset(f.key for f in seen_by_readers)
            if visible not in stage:
                stage[visible] = []
                for choice in itertools.product(*classes):
                    levels = tuple(group[0] for group in choice)
                    first = evaluate(readers, criteria_facts(levels) + seen_by_readers)
                    result.evaluations += 1
                    stage[visible].append((tuple(frozenset(g) for g in choice), levels, _copies(first, "b")))
            outcomes: dict[frozenset, list[Breach]] = {}
            for cube, levels, derived in stage[visible]:
                signature = frozenset(f.key for f in derived)
                if signature not in outcomes:
                    outcomes[signature] = check_evaluation(evaluate(rest, base + derived))
                    result.evaluations += 1
                rows.append((cube, levels, outcomes[signature]))
        result.rows[case.label] = [(cube, breaches) for cube, _, breaches in seen[key]]
        for cube, levels, breaches in seen[key]:
            size = cube_size(cube)
            for code in dict.fromkeys(b.code for b in breaches):
                result.by_code[code] = result.by_code.get(code, 0) + size
            for b in {(b.code, b.subject): b for b in reversed(breaches)}.values():
                v = found.get((b.code, b.subject))
                if v is None:
                    v = found[(b.code, b.subject)] = Violation(b.code, b.subject, b, case.label, levels)
                v.combinations += size
                if case.label not in v.cases:
                    v.cases.append(case.label)
                v.rules += [r for r in b.rules if r not in v.rules]
    result.violations = sorted(found.values(), key=lambda v: (v.code, v.subject))
    result.by_code = dict(sorted(result.by_code.items()))
    result.seconds = time.perf_counter() - start
    return result
