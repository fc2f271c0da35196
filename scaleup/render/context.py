"""What the Markdown and HTML reports show beyond the recommendation itself, gathered once.

A renderer receives :class:`~scaleup.recommendation.model.Recommendation` objects; citations with URLs, the
decision thresholds of the chart and the derivation tree need the compiled rule set too. It is
found by the recommendation's stamp: the rule set this process evaluated with, or the shipped rule
set of that id if its sha256 and overrides match. When neither is found the report says so and
shows what the recommendation alone carries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..engine.audit import Evaluation
from ..errors import ScaleupError
from ..vocabulary import CRITERIA, Decision
from ..recommendation.model import Recommendation
from ..rules.ir import CompiledRule, CompiledRuleset, Ref
from ..explain.derivation import ROOTS, derivation
from ..explain.whynot import could_produce
from ..words import fact_text

def find_ruleset(rec: Recommendation) -> Optional[CompiledRuleset]:
    """The compiled rule set a recommendation was made with, if it can be found."""
    st = rec.stamp
    wanted = tuple(sorted(st.overrides.items()))

    def same(rs: CompiledRuleset) -> bool:
        return rs.id == st.ruleset_id and rs.sha256 == st.ruleset_sha256 and tuple(sorted(rs.overrides)) == wanted
    from ..engine.durable import compiled_rulesets   # the rule sets this process compiled, looked up first
    for ruleset in compiled_rulesets():
        if same(ruleset):
            return ruleset
    try:
        from ..rules.load import load_ruleset   # else compiled again from disk
        loaded = load_ruleset(st.ruleset_id, dict(st.overrides))
    except (ScaleupError, OSError, ValueError):
        return None
    return loaded if same(loaded) else None


def evaluation_of(rec: Recommendation, ruleset: CompiledRuleset) -> Evaluation:
    """The evaluation behind a recommendation, rebuilt from its audit trail."""
    return Evaluation(ruleset, rec.audit.facts, rec.audit.firings)


@dataclass
class Marker:
    """A decision threshold drawn on one criterion of the chart."""

    level: float
    labels: list[str]


@dataclass
class Report:
    """Everything a report shows for one recommendation (an explanation adds to it)."""

    rec: Recommendation
    ruleset: Optional[CompiledRuleset]
    words: str
    markers: dict[str, list[Marker]] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)
    tree: list[Any] = field(default_factory=list)


def decision_rules(ruleset: CompiledRuleset) -> list[CompiledRule]:
    """The rules that derive the decision, and those deriving what they test (findings...),
    stopping at criteria: the rules whose thresholds are *decision* thresholds."""
    chosen = [r for r in ruleset.rules if any(e.type == "decision" for e in r.emits)]
    keys = {r.key for r in chosen}
    i = 0
    while i < len(chosen):
        for p in chosen[i].patterns:
            if p.type in ("criterion", "signal", "indicator"):
                continue
            tests = [(t.field, t.op, t.value) for t in p.tests if not isinstance(t.value, Ref)]
            for r in ruleset.rules:
                if r.key not in keys and any(could_produce(e, p.type, tests) for e in r.emits):
                    chosen.append(r)
                    keys.add(r.key)
        i += 1
    return chosen


def markers(ruleset: CompiledRuleset) -> dict[str, list[Marker]]:
    """Per criterion, the parameters the decision rules compare its level with (e.g. demand_level 4)."""
    found: dict[str, dict[float, list[str]]] = {c: {} for c in CRITERIA}
    for rule in decision_rules(ruleset):
        for p in rule.patterns:
            name = next((t.value for t in p.tests if t.field == "name" and t.op == "eq"), None)
            if p.type != "criterion" or name not in found:
                continue
            for t in p.tests:
                if t.field == "level" and t.param and isinstance(t.value, (int, float)):
                    labels = found[str(name)].setdefault(float(t.value), [])
                    if t.param not in labels:
                        labels.append(t.param)
    return {c: [Marker(v, sorted(labels)) for v, labels in sorted(levels.items())] for c, levels in found.items()}


def sources(rec: Recommendation, ruleset: Optional[CompiledRuleset], extra: set[str] = frozenset()) -> list[dict[str, Any]]:  # type: ignore[assignment]
    """The sources cited by the rules that fired (plus ``extra``), with title and URL when known."""
    ids = sorted({f.source for f in rec.audit.firings} | set(extra) | {c.source for c in rec.caveats if c.source})
    out = []
    for sid in ids:
        s = ruleset.sources.get(sid) if ruleset else None
        url = getattr(s, "url", None)
        out.append({"id": sid, "title": getattr(s, "title", None), "publisher": getattr(s, "publisher", None),
                    "year": getattr(s, "year", None), "url": url if url and url.startswith(("https://", "http://")) else None})
    return out


def report(rec: Recommendation, tree: bool = True) -> Report:
    """Gather the report of one recommendation; the derivation tree when the rule set is found."""
    ruleset = find_ruleset(rec)
    out = Report(rec, ruleset, Decision(rec.scale_up).phrase)
    out.sources = sources(rec, ruleset)
    if ruleset is not None:
        out.markers = markers(ruleset)
        if tree:
            ev = evaluation_of(rec, ruleset)
            roots = sorted((f for f in ev.facts if f.type in ROOTS), key=lambda f: (ROOTS.index(f.type), fact_text(f)))
            shown: set[str] = set()
            out.tree = [derivation(ev, f.id, None, shown) for f in roots]
    return out
