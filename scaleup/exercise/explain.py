"""Why the engine gave an exercise question its answer: the derivation tree of the fact behind
the answer, read from the evaluation (the rules that fired, with titles and citations, down to
criterion levels and scenario lines), as short lines for a terminal or a debrief page.
Why-not (for a participant's other answer) is in :mod:`scaleup.exercise.whynot`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Optional

from ..engine.audit import Evaluation
from .model import LEVEL_WORDS
from ..facts import Fact
from ..words import fmt
from ..vocabulary import Criterion
from ..rules.ir import CompiledRule, CompiledRuleset


@dataclass(frozen=True)
class Cited:
    """A rule as a reader sees it: id, title, and where its content comes from."""

    rule: str
    title: str
    source: str
    citation: str
    basis: str


@dataclass(frozen=True)
class Line:
    """One line of an explanation; ``depth`` indents it under the line it supports."""

    depth: int
    text: str
    cited: Optional[Cited] = None


@dataclass(frozen=True)
class Explanation:
    """Lines of text and the criteria they rest on."""

    lines: tuple[Line, ...]
    criteria: tuple[str, ...] = ()

    @property
    def rules(self) -> list[Cited]:
        seen: dict[str, Cited] = {}
        for line in self.lines:
            if line.cited:
                seen.setdefault(line.cited.rule, line.cited)
        return list(seen.values())


def cite(ruleset: CompiledRuleset, rule: CompiledRule) -> Cited:
    """A rule with its short citation: source id, section, basis (titles are in :func:`sources`)."""
    section = rule.section or getattr(ruleset.sources.get(rule.source), "section", None)
    note = "" if rule.verified else ", not verified"
    return Cited(rule.id, rule.title, rule.source,
                 f"{rule.source}{', ' + section if section else ''}; basis {rule.basis}{note}", rule.basis)


def sources(ruleset: CompiledRuleset, cited: Iterable[Cited]) -> list[tuple[str, str, Optional[str]]]:
    """(id, full reference, url) of the sources the cited rules rest on, in id order."""
    out = []
    for sid in sorted({c.source for c in cited}):
        src = ruleset.sources.get(sid)
        if src is None:
            continue
        ref = ", ".join(str(x) for x in (src.title, src.publisher, src.year) if x)
        out.append((sid, ref, src.url))
    return out


def describe(fact: Fact) -> str:
    """A fact in words."""
    f = fact.fields
    if fact.type == "indicator":
        return f"{f['field']} = {fmt(f['value'])} ({fact.origin.split('@', 1)[-1]})"
    if fact.type == "criterion":
        level = f.get("level")
        return f"{Criterion(f['name']).phrase} is " + (LEVEL_WORDS[str(level)] if level else "insufficient evidence")
    if fact.type in ("finding", "flag", "milestone", "plan"):
        return f"{fact.type} {f['name']}" + "".join(f", {k} {fmt(v)}" for k, v in f.items() if k != "name")
    if fact.type == "situation":
        return f"situation: {f['aspect']} is {f['value']}"
    if fact.type == "cluster":
        return f"cluster {f['name']}, led by {f['lead']}"
    if fact.type == "lead":
        return f"{str(f['role']).replace('_', ' ')}: {f['actor']}"
    if "value" in f and len(f) <= 2:
        return f"{fact.type} {fmt(f['value'])}" + (f" ({f['reason']})" if f.get("reason") else "")
    return f"{fact.type} " + ", ".join(f"{k} {fmt(v)}" for k, v in f.items())


def derivation(ev: Evaluation, fact_id: str, depth: int = 3, at: int = 0) -> list[Line]:
    """The rules that derived a fact, and what they matched, ``depth`` firings deep. At the top,
    a rule's ``not:`` conditions are explained too (why no such fact was derived), since for
    answers such as "not recommended" they are the whole reason."""
    from .whynot import pattern_words, why_not, words_of   # why-not builds on this module
    fact = ev.fact(fact_id)
    lines = [Line(at, describe(fact))]
    shown: set[str] = set()
    for firing in ev.derived_by(fact_id):
        if firing.rule in shown:
            continue  # other any: branches of a rule already shown say nothing new
        shown.add(firing.rule)
        rule = ev.rule(firing.key)
        lines.append(Line(at + 1, f"because: {rule.title} [{rule.id}]", cite(ev.ruleset, rule)))
        for m in firing.matched:
            child = ev.fact(m)
            if child.type == "signal":
                lines.append(Line(at + 2, _signal(ev, child)))
            elif depth <= 1 or child.type == "indicator":
                lines.append(Line(at + 2, describe(child)))
            else:
                lines.extend(derivation(ev, m, depth - 1, at + 2))
        for p in (rule.patterns if at == 0 else ()):
            if p.negated and p.type != "indicator":
                lines.append(Line(at + 2, f"and no {pattern_words(p)} was derived:"))
                lines.extend(why_not(ev, p.type, words_of(p), depth=1, at=at + 3).lines)
    return lines


def _signal(ev: Evaluation, signal: Fact) -> str:
    firing = ev.derived_by(signal.id)[0]
    indicator = describe(ev.fact(firing.matched[0])) if firing.matched else str(signal.fields["field"])
    name = Criterion(signal.fields['criterion']).phrase
    presumed = " (presumed)" if signal.fields.get("presumed") == "true" else ""
    return f"{indicator} puts {name} at level {signal.fields['level']}{presumed} [{firing.key}]"


def criteria_in(ev: Evaluation, fact_id: str) -> list[str]:
    """Names of the criterion facts in a fact's derivation tree."""
    out: dict[str, None] = {}
    stack, seen = [fact_id], set()
    while stack:
        fid = stack.pop()
        if fid in seen:
            continue
        seen.add(fid)
        fact = ev.fact(fid)
        if fact.type == "criterion":
            out.setdefault(str(fact.fields["name"]))
        for firing in ev.derived_by(fid):
            stack.extend(firing.matched)
    return sorted(out)


def joined(parts: Iterable[Explanation]) -> Explanation:
    items = list(parts)
    return Explanation(tuple(line for e in items for line in e.lines),
                       tuple(sorted({c for e in items for c in e.criteria})))


