"""Why the engine gave a question its answer, and why not a participant's answer, as short lines
for a terminal or a debrief page.

:func:`derivation` is the derivation tree of the fact behind the answer, read from the evaluation
(the rules that fired, with titles and citations, down to criterion levels and scenario lines).
:func:`why_not` names the rules that would have produced another answer, the closest of their
``any:`` branches, and what that branch lacked ("criterion scale: level is 2, needs at least 3").
The two recurse into each other (a derivation explains a rule's ``not:`` conditions by why-not).

They are the brief view of the one explanation model: :func:`derivation` walks the derivation
tree of :func:`scaleup.explain.derivation.derivation`; :func:`why_not` runs the search of
``scaleup explain --why-not`` (:mod:`scaleup.explain.whynot`): the rules that could produce an
answer are :func:`scaleup.explain.whynot.producers`, and their conditions are checked by
:func:`scaleup.engine.pyeval.check_rule`, the engine's own comparison with the closest fact bound
when none matches. Only the rendering is shorter: the closest rules, one line per failed
condition phrased by :mod:`scaleup.words`, for trainees and a printed debrief.
"""

from __future__ import annotations

from typing import Any

from ..engine import pyeval
from ..engine.audit import Evaluation
from ..explain import whynot
from ..explain.tree import TreeNode
from ..explain.derivation import derivation as tree_of
from ..vocabulary import Criterion
from ..display import fmt
from .explain import Explanation, Line, cite, criteria_in
from ..facts import Fact
from ..recommendation.model import Recommendation
from ..rules.ir import CompiledRule, CompiledRuleset, Pattern, Ref, Test
from ..words import OP_SIGNS, brief_fact_text, needs_text


def words_of(p: Pattern) -> dict[str, Any]:
    return {t.field: t.value for t in p.tests if t.op == "eq" and isinstance(t.value, str)}


def pattern_words(p: Pattern) -> str:
    ident = words_of(p)
    if p.type == "indicator" and "field" in ident:
        return str(ident["field"])
    if p.type in ("criterion", "finding", "flag", "cluster", "milestone") and "name" in ident:
        return f"{p.type} {ident['name']}"
    if p.type == "situation" and "aspect" in ident:
        return f"situation {ident['aspect']}" + (f" {ident['value']}" if "value" in ident else "")
    return " ".join([p.type] + [str(v) for v in ident.values()])


def _test_words(ruleset: CompiledRuleset, t: Test) -> str:
    words = needs_text(t.op, str(t.value) if isinstance(t.value, Ref) else t.value).strip()
    if t.param and t.param in ruleset.parameters:
        words += f" (parameter {t.param}, basis {ruleset.parameters[t.param].basis})"
    return words


def _failed(ev: Evaluation, res: pyeval.PatternResult, depth: int, at: int) -> tuple[list[Line], list[str]]:
    """Why a condition of a rule does not hold, as checked by :func:`scaleup.engine.pyeval.check_rule`:
    lines and the criteria involved."""
    p, fact = res.pattern, res.fact
    ident = words_of(p)
    crit = [str(ident["name"])] if p.type == "criterion" and "name" in ident else []
    if p.negated and fact is not None:
        return ([Line(at, f"needs no {pattern_words(p)}, but {brief_fact_text(fact)}")],
                crit + criteria_in(ev, fact.id))
    if fact is not None:
        bad: dict[str, list[str]] = {}
        for r in res.tests:
            if not r.passed and not (isinstance(r.test.value, Ref) and r.expected is None):
                bad.setdefault(r.test.field, []).append(_test_words(ev.ruleset, r.test))
        text = "; ".join(f"{name} is {fmt(fact.fields.get(name, 'missing'))}, needs {' and '.join(words)}"
                         for name, words in bad.items())
        return [Line(at, f"{pattern_words(p)}: {text}")], crit
    if p.type == "indicator":
        return [Line(at, f"needs {pattern_words(p)}, which the scenario does not give")], crit
    keyed = pyeval.key_tests(p)
    lines = [Line(at, f"needs {pattern_words(p)}" + ("" if keyed or not p.tests else
                                                    " with " + ", ".join(f"{t.field} {_test_words(ev.ruleset, t)}"
                                                                         for t in p.tests))
                  + ", which no rule derived")]
    if depth > 0 and p.type != "criterion":
        sub = why_not(ev, p.type, words_of(p), depth - 1, at + 1)
        lines.extend(sub.lines)
        crit += list(sub.criteria)
    return lines, crit


def _distance(res: pyeval.PatternResult) -> int:
    """How far a failed condition is from holding: its failing tests on the closest fact, else 1."""
    if res.pattern.negated or res.fact is None:
        return 1
    return max(1, sum(1 for r in res.tests if not r.passed))


def _branch(ev: Evaluation, rule: CompiledRule, depth: int, at: int) -> tuple[int, list[Line], list[str]]:
    """A rule branch's failed conditions, checked as ``scaleup explain --why-not`` checks them."""
    failures, lines, crit = 0, [], []
    for res in pyeval.check_rule(ev.ruleset, ev, rule.key):
        if res.held:
            continue
        failures += _distance(res)
        more, names = _failed(ev, res, depth, at)
        lines.extend(more)
        crit.extend(names)
    return failures, lines, crit


def producers(ruleset: CompiledRuleset, type_: str, fields: dict[str, Any]) -> list[CompiledRule]:
    """Rule branches that could assert a ``type_`` fact with these field values (the search of
    :func:`scaleup.explain.whynot.producers`)."""
    return whynot.producers(ruleset, type_, [(k, "eq", v) for k, v in fields.items()])


def why_not(ev: Evaluation, type_: str, fields: dict[str, Any], depth: int = 2, at: int = 0) -> Explanation:
    """Why no fact ``type_`` with ``fields`` was derived: per rule that could derive it, the
    closest of its ``any:`` branches and the conditions that branch lacked."""
    best: dict[str, tuple[int, list[Line], list[str], CompiledRule]] = {}
    for rule in producers(ev.ruleset, type_, fields):
        n, lines, crit = _branch(ev, rule, depth, at + 1)
        if rule.id not in best or n < best[rule.id][0]:
            best[rule.id] = (n, lines, crit, rule)
    if not best:
        what = ", ".join(f"{k} {fmt(v)}" for k, v in fields.items())
        return Explanation((Line(at, f"no rule of {ev.ruleset.id} can derive {type_} {what}"),))
    out: list[Line] = []
    criteria: list[str] = []
    ranked = sorted((b for b in best.values() if b[0] > 0), key=lambda b: (b[0], b[3].id))
    # the closest rules only: a rule that would need more changes than the closest adds noise
    for n, lines, crit, rule in [b for b in ranked if b[0] == ranked[0][0]][:2] if ranked else []:
        out.append(Line(at, f"{rule.title} [{rule.id}] would need {n} more condition{'s' * (n > 1)}:",
                        cite(ev.ruleset, rule)))
        out.extend(lines)
        criteria.extend(crit)
    return Explanation(tuple(out), tuple(sorted(set(criteria))))


def level_why_not(ev: Evaluation, rec: Recommendation, criterion: str, level: str) -> Explanation:
    """Why a criterion is not at ``level``: the bands that would put it there, or the signals above it."""
    crit = next(c for c in rec.criteria if c.name == criterion)
    if level == "insufficient":
        fields = ", ".join(sorted({s.field for s in crit.signals}))
        return Explanation((Line(0, f"the scenario gives {fields}, so {criterion} has evidence"),), (criterion,))
    want = int(level)
    if crit.level is not None and want < crit.level:
        lines = [Line(0, f"{criterion} takes its highest indicator level; these are above {want}:")]
        lines += [Line(1, f"L{s.level}: {s.field} = {fmt(s.value)} [{s.rule}]", cite(ev.ruleset, ev.rule(s.rule)))
                  for s in crit.signals if s.level > want]
        return Explanation(tuple(lines), (criterion,))
    lines = [Line(0, f"to reach {want}, an indicator of {criterion} would need a level-{want} band:")]
    for rule in producers(ev.ruleset, "signal", {"criterion": criterion, "level": want})[:8]:
        field = next((str(v) for e in rule.emits for k, v in e.fields if k == "field"), "")
        have = next((f.fields["value"] for f in ev.of_type("indicator") if f.fields["field"] == field), None)
        need = "; ".join(f"{OP_SIGNS[t.op]} {fmt(t.value)}" for t in rule.thresholds) or rule.title
        lines.append(Line(1, f"{field}: {'not given' if have is None else fmt(have)}; level {want} needs {need} "
                             f"[{rule.id}]", cite(ev.ruleset, rule)))
    return Explanation(tuple(lines), (criterion,))


def derivation(ev: Evaluation, fact_id: str, depth: int = 3, at: int = 0) -> list[Line]:
    """The rules that derived a fact, and what they matched, ``depth`` firings deep: the brief view
    of its derivation tree (one line per fact and rule; another ``any:`` branch of a rule already
    shown, thresholds and scenario lines of derived facts are left out). At the top, a rule's
    ``not:`` conditions are explained too (why no such fact was derived), since for answers such
    as "not recommended" they are the whole reason."""
    return _brief(ev, tree_of(ev, fact_id, depth, set()), at, top=at == 0)


def _brief(ev: Evaluation, node: TreeNode, at: int, top: bool = False) -> list[Line]:
    lines = [Line(at, brief_fact_text(ev.fact(node.fact)))]
    shown: set[str] = set()
    for step in node.because:
        if step.rule in shown:
            continue  # other any: branches of a rule already shown say nothing new
        shown.add(step.rule)
        rule = ev.rule(step.key)
        lines.append(Line(at + 1, f"because: {rule.title} [{rule.id}]", cite(ev.ruleset, rule)))
        for child in step.matched:
            fact = ev.fact(child.fact)
            if fact.type == "signal":
                lines.append(Line(at + 2, _signal(ev, fact)))
            elif child.because:
                lines.extend(_brief(ev, child, at + 2))
            else:   # a scenario figure, the depth reached, or a fact shown above (as explain marks it)
                lines.append(Line(at + 2, brief_fact_text(fact) + (" (shown above)" if child.repeated else "")))
        for p in (rule.patterns if top else ()):
            if p.negated and p.type != "indicator":
                lines.append(Line(at + 2, f"and no {pattern_words(p)} was derived:"))
                lines.extend(why_not(ev, p.type, words_of(p), depth=1, at=at + 3).lines)
    return lines


def _signal(ev: Evaluation, signal: Fact) -> str:
    firing = ev.derived_by(signal.id)[0]
    indicator = brief_fact_text(ev.fact(firing.matched[0])) if firing.matched else str(signal.fields["field"])
    name = Criterion(str(signal.fields['criterion'])).phrase
    presumed = " (presumed)" if signal.fields.get("presumed") == "true" else ""
    return f"{indicator} puts {name} at level {signal.fields['level']}{presumed} [{firing.key}]"
