"""Why not: for a target outcome, every rule that could produce it and which of its conditions
held, with the observed value, the threshold and the gap.

A failed condition on a derived fact goes one level further down: for a criterion level, which
indicator would have to move and to which band edge (:func:`moves`); for another derived fact
(a finding, a situation...), the nearest branches of the rules that could derive it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..engine import pyeval
from ..engine.audit import Evaluation
from ..vocabulary import DECISIONS, ROUTES, VARIANTS
from ..rules.ir import CompiledRule, CompiledRuleset, Emit, Pattern, Ref, RuleKind
from ..display import fmt
from ..words import OP_WORDS, Citation, band_text, citation, fact_text, field_label, origin_line, pattern_text, threshold_basis


@dataclass(frozen=True)
class Target:
    """What a why-not question asks about: a fact type with fields, or one rule."""

    text: str
    kind: str                 # decision | route | variant | cluster | lead | rule
    type: str = ""
    fields: tuple[tuple[str, str], ...] = ()


def parse_target(ruleset: CompiledRuleset, text: str) -> Target:
    """``recommend``, ``refugee_rcm``, ``cluster:shelter=IFRC``, ``lead:<role>=<actor>`` or a rule id.

    Raises:
        ValueError: with a message naming what is accepted.
    """
    for values, kind in ((DECISIONS, "decision"), (ROUTES, "route"), (VARIANTS, "variant")):
        if text in values:
            return Target(text, kind, kind, (("value", text),))
    head, sep, rest = text.partition(":")
    if sep and head in ("cluster", "lead") and "=" in rest:
        name, _, value = rest.partition("=")
        key, val = ("name", "lead") if head == "cluster" else ("role", "actor")
        return Target(text, head, head, ((key, name.strip()), (val, value.strip())))
    if text in ruleset.rule_ids:
        return Target(text, "rule")
    raise ValueError(f"{text!r} is not a decision ({', '.join(DECISIONS)}), a route ({', '.join(ROUTES)}), "
                     "cluster:<name>=<lead>, lead:<role>=<actor> or a rule id of the rule set")


@dataclass
class TestCheck:
    """One comparison of a condition: what was seen, what was needed, and by how much it missed."""

    label: str
    op: str
    threshold: Any
    observed: Any
    passed: bool
    gap: Optional[float]
    basis: str
    param: Optional[str]
    text: str


@dataclass
class Move:
    """A change of one indicator that would put a criterion at a required level."""

    criterion: str
    level: int
    field: str
    observed: Any
    rule: str
    distance: float
    text: str


@dataclass
class ConditionCheck:
    text: str
    negated: bool
    held: bool
    fact: Optional[str]
    note: str
    tests: list[TestCheck] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    deeper: list["RuleCheck"] = field(default_factory=list)
    omitted: int = 0


@dataclass
class RuleCheck:
    key: str
    title: str
    citation: Citation
    fired: bool
    failed: int
    distance: float
    conditions: list[ConditionCheck]


@dataclass
class WhyNot:
    target: str
    kind: str
    holds: bool
    summary: str
    rules: list[RuleCheck]


def could_produce(emit: Emit, type_: str, tests: list[tuple[str, str, Any]]) -> bool:
    """Whether an emitted fact could satisfy ``(field, op, literal)`` tests (a Ref could be anything)."""
    if emit.type != type_:
        return False
    fields = dict(emit.fields)
    for name, op, value in tests:
        if name not in fields:
            return False
        seen = fields[name]
        if not isinstance(seen, Ref) and not pyeval.compare(op, seen, value):
            return False
    return True


def producers(ruleset: CompiledRuleset, type_: str, tests: list[tuple[str, str, Any]]) -> list[CompiledRule]:
    return [r for r in ruleset.rules if any(could_produce(e, type_, tests) for e in r.emits)]


def _literal_tests(p: Pattern) -> list[tuple[str, str, Any]]:
    return [(t.field, t.op, t.value) for t in p.tests if not isinstance(t.value, Ref)]


def _label(ruleset: CompiledRuleset, p: Pattern, name: str) -> str:
    key = {t.field: t.value for t in pyeval.key_tests(p)}
    if p.type == "indicator" and name == "value":
        return field_label(ruleset, str(key.get("field")))
    if p.type == "criterion" and "name" in key:
        return f"{key['name']} {name}"
    return f"{p.type} {name}"


def test_check(ruleset: CompiledRuleset, rule: CompiledRule, p: Pattern, r: pyeval.TestResult) -> TestCheck:
    label, op, seen, need = _label(ruleset, p, r.test.field), r.test.op, r.observed, r.expected
    basis = threshold_basis(ruleset, rule, r.test)
    gap = None
    if not r.passed and pyeval._is_number(seen) and pyeval._is_number(need):
        gap = abs(float(need) - float(seen))  # type: ignore[arg-type]  # _is_number checked both just above; mypy does not narrow through it
    if seen is None:
        text = f"{label}: missing; needs {OP_WORDS[op]}{fmt(need)}"
    else:
        text = f"{label} {fmt(seen)}; needs {OP_WORDS[op]}{fmt(need)}"
        if gap == 0:
            text += "; at the threshold, not beyond it"
        elif gap is not None:
            text += f"; {'short' if seen < need else 'over'} by {fmt(_tidy(gap))}"
        elif r.passed:
            text += ": met"
    return TestCheck(label, op, need, seen, r.passed, gap, basis, r.test.param, f"{text}; threshold basis: {basis}")


def _tidy(x: float) -> float | int:
    x = round(x, 4)
    return int(x) if x.is_integer() else x


def feeds(ruleset: CompiledRuleset, field_path: str) -> str:
    criteria = sorted({r.key.split("/")[0] for r in ruleset.rules if r.kind == RuleKind.BAND and r.key.split("/")[1] == field_path})
    if criteria:
        return f"it would feed {' and '.join(criteria)}"
    readers = sorted({r.id for r in ruleset.rules for p in r.patterns if pyeval._field_eq(p) == field_path})
    return f"it is read by {', '.join(readers)}" if readers else "no rule reads it"


def moves(ruleset: CompiledRuleset, ev: Evaluation, criterion: str, needs: list[tuple[str, Any]]) -> list[Move]:
    """For each indicator of a criterion, the nearest band (or override) that reaches a level
    passing every ``(op, value)`` of ``needs``."""
    wanted = [lvl for lvl in range(1, 6) if all(pyeval.compare(op, lvl, value) for op, value in needs)]
    best: dict[str, Move] = {}
    for rule in ruleset.rules:
        emit = next((e for e in rule.emits if e.type == "signal" and dict(e.fields).get("criterion") == criterion), None)
        level = dict(emit.fields).get("level") if emit else None
        if level not in wanted:
            continue
        results = pyeval.check_rule(ruleset, ev, rule.key)
        failed = [c for c in results if not c.held]
        if len(failed) != 1 or failed[0].pattern.type != "indicator" or failed[0].pattern.negated:
            continue   # fired already, or needs more than one indicator to move
        c = failed[0]
        path = str(pyeval._field_eq(c.pattern))
        checks = [test_check(ruleset, rule, c.pattern, r) for r in c.tests if r.test.field == "value"]
        misses = [t for t in checks if not t.passed] or checks
        distance = 1e9 if c.fact is None else pyeval._distance(c.tests)[1] + len(misses) - 1
        seen = c.fact.fields.get("value") if c.fact else None
        text = (f"{'; '.join(t.text.rsplit('; threshold basis', 1)[0] for t in misses)}"
                f" -> {criterion} level {level} ({rule.key}; basis {misses[0].basis})")
        if c.fact is None:
            band = band_text([r.test for r in c.tests if r.test.field == "value"])
            text = (f"{field_label(ruleset, path)} is missing; {band} would put {criterion} at level {level}"
                    f" ({rule.key}; basis {misses[0].basis})")
        move = Move(criterion, int(level), path, seen, rule.key, distance, text)
        if path not in best or (move.distance, move.level) < (best[path].distance, best[path].level):
            best[path] = move
    return sorted(best.values(), key=lambda m: (m.distance, m.field))


def check(ruleset: CompiledRuleset, ev: Evaluation, rule: CompiledRule, depth: int = 2,
          branches: int = 3, seen: frozenset[str] = frozenset()) -> RuleCheck:
    """Condition by condition, why a rule branch did or did not fire."""
    conditions: list[ConditionCheck] = []
    for res in pyeval.check_rule(ruleset, ev, rule.key):
        p = res.pattern
        c = ConditionCheck(pattern_text(p), p.negated, res.held, res.fact.id if res.fact else None, "")
        keys = set(pyeval.key_tests(p))
        if not p.negated:
            c.tests = [test_check(ruleset, rule, p, r) for r in res.tests if r.test not in keys]
        if p.negated and not res.held and res.fact is not None:
            by = sorted({f.rule for f in ev.derived_by(res.fact.id)})
            c.note = f"but {fact_text(res.fact)} exists ({'derived by ' + ', '.join(by) if by else origin_line(res.fact)})"
        elif res.fact is None and not res.held and p.type == "indicator":
            path = str(pyeval._field_eq(p))
            c.note = f"{path} is missing from the scenario; {feeds(ruleset, path)}"
        elif res.fact is None and not res.held:
            c.note = f"no such {p.type} fact was derived"
        elif res.fact is not None:
            c.note = ("held: " if res.held else "not met: ") + fact_text(res.fact)
        if not res.held and not p.negated:
            _deeper(ruleset, ev, rule, p, res, c, depth, branches, seen | {rule.key})
        conditions.append(c)
    failed = sum(not c.held for c in conditions)
    gaps = sum(t.gap / max(abs(float(t.threshold)), 1.0) for c in conditions for t in c.tests if t.gap is not None)
    fired = any(f.key == rule.key for f in ev.firings)
    return RuleCheck(rule.key, rule.title, citation(ruleset, rule), fired, failed, gaps, conditions)


def _deeper(ruleset: CompiledRuleset, ev: Evaluation, rule: CompiledRule, p: Pattern, res: pyeval.PatternResult,
            c: ConditionCheck, depth: int, branches: int, seen: frozenset[str]) -> None:
    if p.type == "criterion":
        name = {t.field: t.value for t in pyeval.key_tests(p)}.get("name")
        needs = [(r.test.op, r.expected) for r in res.tests if r.test.field == "level" and r.expected is not None]
        if name and any(not r.passed for r in res.tests if r.test.field == "level"):
            c.moves = moves(ruleset, ev, str(name), needs)
        return
    if p.type == "indicator" or depth <= 1:
        return
    candidates = [r for r in producers(ruleset, p.type, _literal_tests(p)) if r.key not in seen]
    checks = sorted((check(ruleset, ev, r, depth - 1, branches, seen) for r in candidates),
                    key=lambda x: (x.failed, x.distance, x.key))
    c.deeper, c.omitted = checks[:branches], max(len(checks) - branches, 0)


def why_not(ruleset: CompiledRuleset, ev: Evaluation, target: Target, depth: int = 2, branches: int = 3) -> WhyNot:
    """Explain why ``target`` is (or is not) an outcome of an evaluation.

    Args:
        depth: levels of rules to follow below the target's own rules (criterion moves are free).
        branches: at the levels below, how many of the nearest rule branches to show.
    """
    if target.kind == "rule":
        rules = ruleset.branches(target.text)
        holds = any(f.rule == target.text for f in ev.firings)
    else:
        rules = producers(ruleset, target.type, [(k, "eq", v) for k, v in target.fields])
        holds = any(f.type == target.type and all(f.fields.get(k) == v for k, v in target.fields)
                    for f in ev.facts)
    checks = [check(ruleset, ev, r, depth, branches) for r in rules]
    if holds:
        by = [x.key for x in checks if x.fired]
        summary = f"{target.text} holds" + (f": {', '.join(by)} fired" if by else "")
    elif not checks:
        summary = f"no rule of {ruleset.id} can produce {target.text}"
    else:
        reasons = []
        for x in checks:
            first = next((c for c in x.conditions if not c.held), None)
            if first is not None:
                reasons.append(f"{x.key}: {first.text} failed" + (f" ({first.note})" if first.note else ""))
        summary = f"{target.text} is not the outcome. " + "; ".join(reasons)
    return WhyNot(target.text, target.kind, holds, summary, checks)
