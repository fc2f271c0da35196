"""``scaleup rules diff``: what changed between two rule set versions, and which scenarios of a
corpus it changes, with the rule to blame.

Changes are read from the compiled rule sets, so a parameter, an overlay and a ``--set`` edge
all show up as what they do: rules added, removed or changed (title, source, basis, conditions,
actions), band edges and levels moved, parameters and sources changed.

Impact: every scenario is evaluated with both rule sets on durable_rules; a scenario is listed
when any output field of its recommendation changed (decision, route, leads, variant, scope,
criterion levels, clusters and their leads, UNHCR level, plans, milestones, flags, notes: see
:func:`.corpus.outcome`). Its *blame* is the first rule, in firing order
(stratum, then sequence), whose firing differs between the two evaluations (fired in one only,
or on other facts, or asserting other facts), preferring a rule whose definition changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Optional, Sequence

from ..engine.audit import Evaluation, Firing
from ..errors import Problem, ScaleupError
from ..rules.ir import CompiledRule, CompiledRuleset, Pattern, RuleKind
from ..rules.overlay import band_key
from .corpus import evaluations, outcome, read_corpus

META = ("title", "source", "basis", "section", "verified", "description")


@dataclass(frozen=True)
class RuleChange:
    id: str
    change: str                   # added | removed | changed
    what: tuple[str, ...] = ()
    at: str = ""


@dataclass(frozen=True)
class BandChange:
    """An indicator whose bands changed: ``old``/``new`` are (lower, upper, level) per band."""

    indicator: str
    old: tuple[tuple, ...]
    new: tuple[tuple, ...]

    def describe(self) -> str:
        old_edges, new_edges = _edges(self.old), _edges(self.new)
        if not self.old:
            return f"{self.indicator}: added"
        if not self.new:
            return f"{self.indicator}: removed"
        if old_edges != new_edges:
            if len(old_edges) == len(new_edges):
                moved = ", ".join(f"edges[{i}] {a:,} -> {b:,}" if isinstance(a, (int, float)) else f"{a} -> {b}"
                                  for i, (a, b) in enumerate(zip(old_edges, new_edges)) if a != b)
                return f"{self.indicator}: {moved}"
            return f"{self.indicator}: edges {old_edges} -> {new_edges}"
        return f"{self.indicator}: levels {[b[2] for b in self.old]} -> {[b[2] for b in self.new]}"


def _edges(bands: tuple[tuple, ...]) -> list:
    values = {v for lo, hi, _ in bands for v in (lo, hi) if isinstance(v, (int, float))}
    if values:
        return sorted(values)
    return [lo for lo, _, _ in bands]    # categories: the values, in band order


@dataclass(frozen=True)
class Blame:
    rule: str
    key: str
    how: str
    changed: bool
    detail: str = ""


@dataclass
class Impact:
    scenario: str
    old: dict
    new: dict
    blame: Optional[Blame]


@dataclass
class RulesetDiff:
    old: str
    new: str
    rules: list[RuleChange] = field(default_factory=list)
    bands: list[BandChange] = field(default_factory=list)
    parameters: list[tuple[str, object, object]] = field(default_factory=list)
    sources: list[tuple[str, str]] = field(default_factory=list)     # (id, added|removed|changed)
    impacts: list[Impact] = field(default_factory=list)
    scenarios: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.rules or self.bands or self.parameters or self.sources)


def _band(rule: CompiledRule) -> tuple:
    tests: dict[str, Any] = {t.op: t.value for t in rule.patterns[0].tests if t.field == "value"}   # an in test holds a tuple
    level = dict(rule.emits[0].fields)["level"]
    if "eq" in tests or "in" in tests:
        values = tests.get("in", (tests.get("eq"),))
        return (", ".join(map(str, values)), None, level)
    return (tests.get("gte"), tests.get("lt"), level)


def _by_param(p: Pattern) -> Pattern:
    """The pattern with parameter values replaced by their names (a parameter change is listed once)."""
    return replace(p, tests=tuple(replace(t, value=f"$param.{t.param}") if t.param else t for t in p.tests))


def _rule_changes(old: CompiledRuleset, new: CompiledRuleset) -> list[RuleChange]:
    def group(rs: CompiledRuleset) -> dict[str, list[CompiledRule]]:
        out: dict[str, list[CompiledRule]] = {}
        for r in rs.rules:
            if r.kind != RuleKind.BAND:
                out.setdefault(r.id, []).append(r)
        return out
    a, b = group(old), group(new)
    out = []
    for rule_id in list(a) + [i for i in b if i not in a]:
        if rule_id not in b:
            out.append(RuleChange(rule_id, "removed", at=f"{a[rule_id][0].file}:{a[rule_id][0].line}"))
            continue
        first = b[rule_id][0]
        if rule_id not in a:
            out.append(RuleChange(rule_id, "added", at=f"{first.file}:{first.line}"))
            continue
        what = [m for m in META if getattr(a[rule_id][0], m) != getattr(first, m)]
        if [tuple(map(_by_param, r.patterns)) for r in a[rule_id]] != [tuple(map(_by_param, r.patterns)) for r in b[rule_id]]:
            what.append("conditions")
        if [r.emits for r in a[rule_id]] != [r.emits for r in b[rule_id]]:
            what.append("actions")
        if what:
            out.append(RuleChange(rule_id, "changed", tuple(what), f"{first.file}:{first.line}"))
    return out


def _band_changes(old: CompiledRuleset, new: CompiledRuleset) -> list[BandChange]:
    def bands(rs: CompiledRuleset) -> dict[str, tuple]:
        out: dict[str, list] = {}
        for r in rs.rules:
            key = band_key(r)
            if key is not None:
                out.setdefault("/".join(key), []).append(_band(r))
        return {k: tuple(v) for k, v in out.items()}
    a, b = bands(old), bands(new)
    return [BandChange(k, a.get(k, ()), b.get(k, ())) for k in list(a) + [k for k in b if k not in a]
            if a.get(k) != b.get(k)]


def _behaviour(rs: CompiledRuleset) -> dict[str, tuple]:
    return {r.key: (r.patterns, r.emits) for r in rs.rules}


def _signature(ev: Evaluation, firing: Firing) -> tuple:
    return (firing.key, tuple(ev.fact(m).key for m in firing.matched))


def blame(old_ev: Evaluation, new_ev: Evaluation, changed: set[str], details: dict[str, str]) -> Optional[Blame]:
    """The first firing that differs between two evaluations, preferring a changed rule."""
    def index(ev: Evaluation) -> dict[tuple, tuple]:
        return {_signature(ev, f): tuple(sorted(ev.fact(i).key for i in f.asserted + f.reasserted)) for f in ev.firings}
    a, b = index(old_ev), index(new_ev)
    keys_a, keys_b = {k[0] for k in a}, {k[0] for k in b}
    differing: list[tuple[tuple[int, int, int], Firing, str]] = []
    for side, ev, mine, theirs, their_keys in ((0, old_ev, a, b, keys_b), (1, new_ev, b, a, keys_a)):
        for f in ev.firings:
            sig = _signature(ev, f)
            if sig in theirs and theirs[sig] == mine[sig]:
                continue
            if sig in theirs:
                how = "asserts other facts"
            elif f.key in their_keys:
                how = "fires on other facts " + ("than before" if side else "than now")
            else:
                how = "fired before, not now" if side == 0 else "fires now, not before"
            differing.append(((f.stratum, f.seq, side), f, how))
    if not differing:
        return None
    differing.sort(key=lambda d: d[0])
    preferred = [d for d in differing if d[1].key in changed] or differing
    _, firing, how = preferred[0]
    return Blame(firing.rule, firing.key, how, firing.key in changed, details.get(firing.rule, ""))


def _name(rs: CompiledRuleset) -> str:
    sets = ", ".join(f"{k}={v}" for k, v in rs.overrides)
    return f"{rs.id} {rs.version}" + (f" with {sets}" if sets else "")


def diff_rulesets(old: CompiledRuleset, new: CompiledRuleset, paths: Sequence[str] = ()) -> RulesetDiff:
    """Compare two compiled rule sets, and their outcomes on the scenarios under ``paths``."""
    result = RulesetDiff(_name(old), _name(new))
    result.rules = _rule_changes(old, new)
    result.bands = _band_changes(old, new)
    for name in list(old.parameters) + [n for n in new.parameters if n not in old.parameters]:
        a = old.parameters[name].value if name in old.parameters else None
        b = new.parameters[name].value if name in new.parameters else None
        if a != b:
            result.parameters.append((name, a, b))
    for sid in sorted(set(old.sources) | set(new.sources)):
        if sid not in new.sources or sid not in old.sources:
            result.sources.append((sid, "removed" if sid not in new.sources else "added"))
        elif old.sources[sid] != new.sources[sid]:
            result.sources.append((sid, "changed"))
    behaviour_a, behaviour_b = _behaviour(old), _behaviour(new)
    changed = {k for k in set(behaviour_a) | set(behaviour_b) if behaviour_a.get(k) != behaviour_b.get(k)}
    details = {c.id: f"{c.change} ({', '.join(c.what)})" if c.what else c.change for c in result.rules}
    for band in result.bands:
        for r in list(old.rules) + list(new.rules):
            if band_key(r) is not None and "/".join(band_key(r) or ()) == band.indicator:
                details.setdefault(r.id, band.describe())
    for name, was, now in result.parameters:
        for r in new.rules:
            if any(t.param == name for p in r.patterns for t in p.tests):
                details.setdefault(r.id, f"parameter {name} {was} -> {now}")
    if not paths:
        return result
    corpus = read_corpus(paths)
    result.problems = list(corpus.problems)
    new_evs = {loaded.name: ev for loaded, ev in evaluations(new, corpus)}
    for loaded, old_ev in evaluations(old, corpus):
        new_ev = new_evs[loaded.name]
        if isinstance(old_ev, ScaleupError) or isinstance(new_ev, ScaleupError):
            for bad in (old_ev, new_ev):
                if isinstance(bad, ScaleupError):
                    result.problems.extend(bad.problems)
            continue
        result.scenarios += 1
        before, after = outcome(old_ev), outcome(new_ev)
        if before != after:
            result.impacts.append(Impact(loaded.name, before, after, blame(old_ev, new_ev, changed, details)))
    return result

