"""A pure-Python evaluator of the compiled rule language, and condition-level checks for why-not.

:func:`run` gives the same answers as :mod:`scaleup.engine.durable` on durable_rules (a cross-check
test holds them to it on every shipped scenario and on generated ones), without the C core:
explanations, completeness checks and enumerations use it where asking "which conditions held?"
or evaluating thousands of combinations matters more than being the reference engine.

The semantics mirror durable_rules as :mod:`scaleup.engine.durable` drives it (docs/engine.md):
- strata run in order; within a stratum rules fire until nothing new fires;
- a rule instance fires once per distinct (ordered) combination of facts bound to its positive
  patterns, and a fact binds at most one pattern of a rule instance;
- a negated pattern fails if any fact not bound by an *earlier* positive pattern matches it
  (measured on durable_rules: it ignores facts already bound, and sees the complete lower strata);
- a test on a missing field is false, ``ne`` and ``not_in`` included; so is a comparison with a
  missing ``$alias.field`` (on which durable_rules' C core aborts the process, measured);
- ``in`` is membership; numbers compare as Python compares ints and floats; a string never
  compares with a number (the compiler rejects such rules; durable_rules would compare them
  in a surprising, asymmetric way);
- asserting a fact whose content already exists records it as re-asserted, not new.

Firing order may differ from durable_rules' (rule order, most recent fact first); the sets of
firings and of derived facts may not.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any, Iterator, Optional, Sequence

from .audit import Evaluation, Firing
from ..errors import EngineError
from ..facts import FACT_TYPES, Fact, Scalar, content_key, engine_value
from ..rules.ir import CompiledRule, CompiledRuleset, Pattern, Ref, Test

_NON_KEY = {"value", "level", "evidence"}


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_NUMBERS = (int, float)
_COMPARE = {"eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "gte": operator.ge,
            "lt": operator.lt, "lte": operator.le}


def _comparable(a: object, b: object) -> bool:
    ta, tb = type(a), type(b)
    return (ta is tb and ta in (int, float, str)) or (ta in _NUMBERS and tb in _NUMBERS)


def compare(op: str, observed: Scalar, expected: Any) -> bool:
    """``observed <op> expected`` with the engine's typing rules (see the module doc)."""
    if op in ("in", "not_in"):
        hit = any(_comparable(observed, x) and observed == x for x in expected)
        return hit if op == "in" else not hit
    return _comparable(observed, expected) and _COMPARE[op](observed, expected)


def resolve(test: Test, bound: dict[str, Fact]) -> tuple[bool, Any]:
    """The value a test compares with: ``(False, None)`` when a reference cannot be resolved."""
    if not isinstance(test.value, Ref):
        return True, test.value
    fact = bound.get(test.value.alias)
    if fact is None or test.value.field not in fact.fields:
        return False, None
    return True, fact.fields[test.value.field]


def passes(test: Test, fact: Fact, bound: dict[str, Fact]) -> bool:
    observed = fact.fields.get(test.field)
    if observed is None:
        return False
    if isinstance(test.value, Ref):
        ok, expected = resolve(test, bound)
        return ok and compare(test.op, observed, expected)
    return compare(test.op, observed, test.value)


_FIELD_EQ: dict[int, tuple[Pattern, Optional[Scalar]]] = {}


def _field_eq(p: Pattern) -> Optional[Scalar]:
    """The scenario field an indicator pattern is about (cached: joins ask for it constantly)."""
    hit = _FIELD_EQ.get(id(p))
    if hit is not None and hit[0] is p:
        return hit[1]
    value = None
    if p.type == "indicator":
        value = next((t.value for t in p.tests if t.field == "field" and t.op == "eq" and isinstance(t.value, str)), None)
    _FIELD_EQ[id(p)] = (p, value)
    return value


class _Facts:
    """All facts so far, indexed by type (and indicators by field) for joins."""

    def __init__(self, facts: Sequence[Fact]):
        self.all: list[Fact] = []
        self.known: dict[tuple, Fact] = {}
        self.by_type: dict[str, list[Fact]] = {}
        self.by_field: dict[Scalar, list[Fact]] = {}
        for f in facts:
            self.add(f)

    def add(self, fact: Fact) -> None:
        self.all.append(fact)
        self.known[fact.key] = fact
        self.by_type.setdefault(fact.type, []).append(fact)
        if fact.type == "indicator":
            self.by_field.setdefault(fact.fields.get("field"), []).append(fact)  # type: ignore[arg-type]  # an indicator fact's field is its scenario path, always present

    def candidates(self, p: Pattern) -> list[Fact]:
        field = _field_eq(p)
        return list(self.by_field.get(field, ()) if field is not None else self.by_type.get(p.type, ()))


def bindings(rule: CompiledRule, facts: _Facts) -> Iterator[dict[str, Fact]]:
    """Every combination of facts that makes the rule fire (positive aliases -> facts)."""
    patterns = rule.patterns
    bound: dict[str, Fact] = {}
    used: set[str] = set()

    def step(i: int) -> Iterator[dict[str, Fact]]:
        if i == len(patterns):
            yield dict(bound)
            return
        p = patterns[i]
        if p.negated:
            if not any(f.id not in used and all(passes(t, f, bound) for t in p.tests) for f in facts.candidates(p)):
                yield from step(i + 1)
            return
        for f in facts.candidates(p):
            if f.id in used or not all(passes(t, f, bound) for t in p.tests):
                continue
            bound[p.alias] = f
            used.add(f.id)
            yield from step(i + 1)
            del bound[p.alias]
            used.discard(f.id)
    return step(0)


def run(ruleset: CompiledRuleset, facts: Sequence[Fact]) -> Evaluation:
    """Evaluate input facts with a compiled rule set, in pure Python.

    Args:
        ruleset: the compiled rule set.
        facts: input facts (engine representation, unique content); their ids are kept.

    Returns:
        The evaluation: input facts, then derived facts ``d1, d2, ...`` in derivation order,
        and every firing with what it matched, asserted and re-asserted.

    Raises:
        EngineError: a rule copies a field (``$alias.field``) that the matched fact lacks.
    """
    state = _Facts(facts)
    firings: list[Firing] = []
    fired: set[tuple[str, tuple[str, ...]]] = set()
    derived = 0
    for stratum in range(ruleset.strata + 1):
        rules = [r for r in ruleset.rules if r.stratum == stratum]
        seen: dict[str, tuple[int, ...]] = {}   # rule key -> sizes of the fact types it reads, when last joined
        changed = True
        while changed:
            changed = False
            for rule in rules:
                # Facts are never retracted and negated types are complete, so a rule can only
                # find a new combination if a type it reads has grown since it last ran.
                sizes = tuple(len(state.by_type.get(p.type, ())) for p in rule.patterns if not p.negated)
                if seen.get(rule.key) == sizes:
                    continue
                seen[rule.key] = sizes
                positive = [p.alias for p in rule.patterns if not p.negated]
                for bound in list(bindings(rule, state)):
                    ids = tuple(bound[a].id for a in positive)
                    if (rule.key, ids) in fired:
                        continue
                    fired.add((rule.key, ids))
                    changed = True
                    new: list[str] = []
                    again: list[str] = []
                    for emit in rule.emits:
                        fields = {name: _copy(v, bound, rule) for name, v in emit.fields}
                        existing = state.known.get(content_key(emit.type, fields))
                        if existing is not None:
                            again.append(existing.id)
                            continue
                        derived += 1
                        fact = Fact(f"d{derived}", emit.type, fields, f"rule:{rule.id}")
                        state.add(fact)
                        new.append(fact.id)
                    firings.append(Firing.of(rule, len(firings) + 1, ids, tuple(new), tuple(again)))
    return Evaluation(ruleset, tuple(state.all), tuple(firings))


def _copy(value: Any, bound: dict[str, Fact], rule: CompiledRule) -> Scalar:
    if not isinstance(value, Ref):
        return value
    fact = bound[value.alias]
    if value.field not in fact.fields:
        raise EngineError.at(rule.file, rule.line, rule.key,
                             f"rule {rule.key} copies {value} but the matched fact has no {value.field!r}",
                             "this is a defect in the rule set")
    return engine_value(fact.fields[value.field])


# --- condition-level results for why-not ------------------------------------------------------

@dataclass(frozen=True)
class TestResult:
    """One test of a pattern against one fact: ``observed`` is None when the field is missing."""

    test: Test
    passed: bool
    observed: Optional[Scalar]
    expected: Any


@dataclass(frozen=True)
class PatternResult:
    """Whether one condition of a rule held, and on which fact.

    ``fact`` is, for a positive pattern, the matching fact or else the closest candidate (None
    when no fact even has the right identity, e.g. an indicator missing from the scenario); for
    a negated pattern, the fact that blocks it (None when it held).
    """

    index: int
    pattern: Pattern
    held: bool
    fact: Optional[Fact]
    tests: tuple[TestResult, ...]


def key_tests(p: Pattern) -> list[Test]:
    """The tests that say *which* fact a pattern is about (indicator field, criterion name...)."""
    spec = FACT_TYPES.get(p.type)
    value_field = spec.value_field if spec else ""
    return [t for t in p.tests if t.op in ("eq", "in") and not isinstance(t.value, Ref)
            and t.field not in _NON_KEY and t.field != value_field]


def _results(p: Pattern, fact: Fact, bound: dict[str, Fact]) -> tuple[TestResult, ...]:
    out = []
    for t in p.tests:
        ok, expected = resolve(t, bound)
        out.append(TestResult(t, passes(t, fact, bound), fact.fields.get(t.field), expected if ok else None))
    return tuple(out)


def _distance(results: Sequence[TestResult]) -> tuple[int, float]:
    """Sort key of a candidate: fewer failed tests, then smaller relative gaps."""
    failed = [r for r in results if not r.passed]
    gap = 0.0
    for r in failed:
        if _is_number(r.observed) and _is_number(r.expected):
            gap += abs(float(r.observed) - float(r.expected)) / max(abs(float(r.expected)), 1e-9)  # type: ignore[arg-type]  # _is_number checked both just above; mypy does not narrow through it
        else:
            gap += 1.0
    return len(failed), gap


def check_rule(ruleset: CompiledRuleset, evaluation: Evaluation, rule_key: str) -> list[PatternResult]:
    """For each condition of a rule branch, whether it held in an evaluation, and why.

    Uses the facts of a firing of the rule when there is one; otherwise binds each positive
    pattern to a matching fact, or to its closest candidate, in order, so that later
    ``$alias.field`` references have something to read.
    """
    rule = next(r for r in ruleset.rules if r.key == rule_key)
    facts = _Facts(evaluation.facts)
    firing = next((f for f in evaluation.firings if f.key == rule_key), None)
    full = dict(zip([p.alias for p in rule.patterns if not p.negated],
                    [evaluation.fact(i) for i in firing.matched])) if firing else next(bindings(rule, facts), None)
    bound: dict[str, Fact] = {}
    used: set[str] = set()
    out: list[PatternResult] = []
    for i, p in enumerate(rule.patterns):
        pool = [f for f in facts.candidates(p) if f.id not in used]
        if p.negated:
            blocker = next((f for f in pool if all(passes(t, f, bound) for t in p.tests)), None)
            out.append(PatternResult(i, p, blocker is None, blocker, _results(p, blocker, bound) if blocker else ()))
            continue
        keyed = [f for f in pool if all(passes(t, f, bound) for t in key_tests(p))]
        chosen = full.get(p.alias) if full else None
        if chosen is None and keyed:
            chosen = min(keyed, key=lambda f: _distance(_results(p, f, bound)))
        if chosen is None:
            out.append(PatternResult(i, p, False, None, tuple(
                TestResult(t, False, None, resolve(t, bound)[1]) for t in p.tests)))
            continue
        results = _results(p, chosen, bound)
        bound[p.alias] = chosen
        used.add(chosen.id)
        out.append(PatternResult(i, p, all(r.passed for r in results), chosen, results))
    return out
