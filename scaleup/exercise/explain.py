"""The shape of a trainee's explanation: short lines, each optionally citing the rule behind it,
and the criteria they rest on; how citations read in them (facts read as
:func:`scaleup.words.brief_fact_text` phrases them). The reasons themselves (the
derivation of the engine's answer, and why not a participant's answer) are built in
:mod:`scaleup.exercise.reasons`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Optional

from ..engine.audit import Evaluation
from ..rules.ir import CompiledRule, CompiledRuleset
from ..words import citation


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
    """A rule with its short citation (:attr:`scaleup.words.Citation.short`: source id, section,
    basis; titles are in :func:`sources`). A rule without a section of its own is cited at the
    section its source names."""
    c = citation(ruleset, rule)
    if c.section is None:
        c = replace(c, section=getattr(ruleset.sources.get(rule.source), "section", None))
    return Cited(rule.id, rule.title, c.source, c.short, c.basis)


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


