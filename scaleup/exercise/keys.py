"""Answer keys and answer sets of exercise questions, read from the engine and the rule set.

The key of a question is read from the recommendation of the scenario as patched at its inject;
nothing here decides anything. Options a trainer leaves out are generated from what the rule set
can derive (every lead a rule can name for that cluster, every milestone date a rule can set), so
the distractors are the engine's own alternatives.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from ..engine.audit import Evaluation
from ..display import fmt
from .explain import Explanation, Line, cite, criteria_in
from .reasons import derivation, level_why_not, why_not
from .model import KINDS, NONE, Question, canon
from .timeline import Step
from ..facts import Fact
from ..recommendation.assemble import add_months
from ..recommendation.model import Recommendation
from ..rules.ir import CompiledRuleset, Ref

MIN_OPTIONS = 4
# question kind -> (fact type, field naming the subject, field holding the answer)
FACT_OF_KIND = {
    "scale_up": ("decision", "", "value"),
    "route": ("route", "", "value"),
    "variant": ("variant", "", "value"),
    "criterion": ("criterion", "name", "level"),
    "lead": ("lead", "role", "actor"),
    "cluster_lead": ("cluster", "name", "lead"),
    "cluster_activated": ("cluster", "name", ""),
    "unhcr_level": ("unhcr_level", "", "value"),
    "milestone": ("milestone", "name", ""),
    "flag": ("flag", "name", ""),
}


def subject(q: Question) -> Optional[str]:
    """What the question is about (criterion, cluster, role, milestone or flag name), if anything."""
    spec = KINDS[q.kind]
    return getattr(q, spec.subject) if spec.subject else None


def answer_key(q: Question, rec: Recommendation) -> Optional[str]:
    """The engine's answer in canonical text; None only for a milestone derived without a date."""
    kind, about = q.kind, subject(q)
    if kind == "scale_up":
        return rec.scale_up
    if kind == "route":
        return rec.route or NONE
    if kind == "variant":
        return rec.variant or NONE
    if kind == "criterion":
        level = next(c.level for c in rec.criteria if c.name == about)
        return "insufficient" if level is None else str(level)
    if kind == "lead":
        return rec.lead(str(about)) or NONE
    if kind == "cluster_lead":
        return rec.cluster_lead(str(about)) or NONE
    if kind == "cluster_activated":
        return "yes" if rec.cluster_lead(str(about)) else "no"
    if kind == "unhcr_level":
        return canon(rec.unhcr_emergency_level)
    if kind == "milestone":
        m = next((m for m in rec.milestones if m.name == about), None)
        return NONE if m is None else (m.date.isoformat() if m.date else None)
    if kind == "flag":
        return "yes" if any(f.name == about for f in rec.flags) else "no"
    raise ValueError(f"question kind {kind!r} has no answer key")  # pragma: no cover - reflection is never keyed


def emitted(ruleset: CompiledRuleset, type_: str, field: str, **match: str) -> list[str]:
    """Literal values of ``field`` in facts of ``type_`` some rule can assert (with ``match``)."""
    out: dict[str, None] = {}
    for rule in ruleset.rules:
        for emit in rule.emits:
            fields = dict(emit.fields)
            if emit.type != type_ or isinstance(fields.get(field), Ref) or field not in fields:
                continue
            if all(fields.get(k) == v for k, v in match.items()):
                out.setdefault(canon(fields[field]))
    return sorted(out)


def subject_values(ruleset: CompiledRuleset, kind: str) -> list[str]:
    """The names a question of ``kind`` may ask about: those the rule set can derive."""
    type_, name_field, _ = FACT_OF_KIND[kind]
    return emitted(ruleset, type_, name_field) if name_field and kind != "criterion" else []


def milestone_dates(ruleset: CompiledRuleset, step: Step) -> dict[str, str]:
    """Date -> milestone name for every milestone any rule can set, from this scenario's anchors."""
    s = step.loaded.scenario
    anchors = {"activation": s.activation.date if s.activation else None, "onset": s.hazard.started}
    out: dict[str, str] = {}
    for rule in ruleset.rules:
        for emit in rule.emits:
            f: dict[str, Any] = dict(emit.fields)
            if emit.type != "milestone" or any(isinstance(v, Ref) for v in f.values()):
                continue
            base = anchors.get(str(f.get("anchor", "activation")))
            if base is None:
                continue
            date = add_months(base, float(f.get("months") or 0)) + dt.timedelta(days=float(f.get("days") or 0))
            out.setdefault(date.isoformat(), str(f["name"]))
    return out


def generated_options(q: Question, step: Step, ruleset: CompiledRuleset) -> list[str]:
    """The options of a question that gives none: the kind's answer set or the rule set's."""
    spec, about = KINDS[q.kind], subject(q)
    if q.kind == "route":
        return [v for v in spec.values if v != NONE] + ([NONE] if step.rec.route is None else [])
    if spec.values:
        return list(spec.values)
    if q.kind == "lead":
        actors = emitted(ruleset, "lead", "actor", role=str(about))
        # a role with one or two possible actors gets the shortest actors of other roles as distractors
        others = sorted((a for a in emitted(ruleset, "lead", "actor") if a not in actors), key=lambda a: (len(a), a))
        return actors + others[:max(0, MIN_OPTIONS - len(actors))] + ([NONE] if step.rec.lead(str(about)) is None else [])
    if q.kind == "cluster_lead":
        return emitted(ruleset, "cluster", "lead", name=str(about)) + [NONE]
    dates = sorted(milestone_dates(ruleset, step))
    return dates + [NONE]


# --- explanations of answers -------------------------------------------------------------------

def _target(q: Question, answer: str) -> Optional[tuple[str, dict[str, Any]]]:
    """The fact a (positive) answer claims, or None when the answer claims an absence."""
    about = subject(q)
    if answer in (NONE, "no"):
        return None
    if q.kind in ("scale_up", "route", "variant"):
        return FACT_OF_KIND[q.kind][0], {"value": answer}
    if q.kind == "lead":
        return "lead", {"role": about, "actor": answer}
    if q.kind == "cluster_lead":
        return "cluster", {"name": about, "lead": answer}
    if q.kind in ("cluster_activated", "flag"):
        return FACT_OF_KIND[q.kind][0], {"name": about}
    if q.kind == "unhcr_level":
        return "unhcr_level", {"value": int(answer)}
    return None


def fact_of(q: Question, ev: Evaluation) -> Optional[Fact]:
    """The derived fact the engine's answer rests on, if the answer is not an absence."""
    type_, name_field, _ = FACT_OF_KIND[q.kind]
    about = subject(q)
    return next((f for f in ev.of_type(type_) if not name_field or f.fields.get(name_field) == about), None)


def explain_key(q: Question, key: str, step: Step) -> Explanation:
    """Why the engine answers ``key``: the derivation of its fact, or why no rule derived one."""
    ev, rec = step.ev, step.rec
    if q.kind == "criterion":
        crit = next(c for c in rec.criteria if c.name == subject(q))
        if crit.level is None:
            return Explanation((Line(0, f"no indicator of {crit.name} is in the scenario: insufficient evidence, "
                                        "never level 1"),), (crit.name,))
        lines = [Line(0, f"{crit.name} takes the highest level among its indicators:")]
        lines += [Line(1, f"L{s.level}: {s.field} = {fmt(s.value)} ({s.origin.split('@', 1)[-1]}) [{s.rule}]",
                       cite(ev.ruleset, ev.rule(s.rule))) for s in crit.signals[:5]]
        return Explanation(tuple(lines), (crit.name,))
    fact = fact_of(q, ev)
    if fact is not None:
        lines = derivation(ev, fact.id)
        m = next((m for m in rec.milestones if m.name == subject(q)), None) if q.kind == "milestone" else None
        if m is not None and m.date is not None:
            offset = " and ".join(f"{fmt(v)} {unit}" for v, unit in ((m.months, "months"), (m.days, "days")) if v)
            lines.insert(0, Line(0, f"{m.name}: {m.date.isoformat()}, {offset or 'the day'} after the {m.anchor} date"))
        return Explanation(tuple(lines), tuple(criteria_in(ev, fact.id)))
    type_, name_field, _ = FACT_OF_KIND[q.kind]
    fields = {name_field: subject(q)} if name_field else {}
    lines = [Line(0, f"no rule derived {type_} {subject(q) or ''}".rstrip() + ":")]
    sub = why_not(ev, type_, fields, at=1)
    return Explanation(tuple(lines) + sub.lines, sub.criteria)


def explain_wrong(q: Question, answer: str, key: str, step: Step, ruleset: CompiledRuleset) -> Explanation:
    """Why not ``answer``: what the rules that would give it lacked."""
    ev = step.ev
    if q.kind == "criterion":
        return level_why_not(ev, step.rec, str(subject(q)), answer)
    if q.kind == "milestone":
        other = milestone_dates(ruleset, step).get(answer)
        first = (f"{answer} is the date of {other}, not of {subject(q)}" if other else
                 f"no milestone of {ruleset.id} falls on {answer}" if answer != NONE else
                 f"the rules derive {subject(q)}")
        return Explanation((Line(0, first),) + explain_key(q, key, step).lines)
    target = _target(q, answer)
    if target is None:
        head = Line(0, f"the rules do derive it ({KINDS[q.kind].labels.get(key, key)}):")
        return Explanation((head,) + explain_key(q, key, step).lines, explain_key(q, key, step).criteria)
    return why_not(ev, target[0], target[1])
