"""The shape of a trainee's explanation: short lines, each optionally citing the rule behind it,
and the criteria they rest on; how facts and citations read in them. The reasons themselves (the
derivation of the engine's answer, and why not a participant's answer) are built in
:mod:`scaleup.exercise.reasons`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

from ..engine.audit import Evaluation
from .model import LEVEL_WORDS
from ..facts import Fact
from ..vocabulary import Criterion
from ..display import fmt
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


