"""What the Markdown and HTML reports show beyond the recommendation's JSON, gathered once.

Citations with titles and URLs, the decision thresholds of the chart and the derivation tree need
the compiled rule set and the evaluation. The recommendation carries the evaluation it was
assembled from (:attr:`~scaleup.recommendation.model.Recommendation.evaluation`, never part of the
JSON), so :func:`shown` builds them from the recommendation alone: what a report shows does not
depend on what else the process evaluated or on the rule files on disk. A recommendation read back
from JSON carries no evaluation; its report says so and shows what the JSON holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from ..recommendation.model import Recommendation
from ..rules.ir import CompiledRule, CompiledRuleset, Ref
from ..rules.model import Source
from ..vocabulary import CRITERIA, Decision
from ..words import fact_text
from .derivation import ROOTS, derivation
from .tree import TreeNode
from .whynot import could_produce


@dataclass
class Marker:
    """A decision threshold drawn on one criterion of the chart."""

    level: float
    labels: list[str]


@dataclass
class Shown:
    """Everything a report shows for one recommendation (an explanation adds to it).

    Attributes:
        rec: the recommendation.
        found: whether the rule set and evaluation behind it are known (False for one read from JSON).
        words: the decision in words.
        markers: per criterion, the decision thresholds of the chart.
        sources: the cited sources (rules that fired, caveats), with title and URL when known.
        tree: the derivation tree, when asked for.
        catalogue: the rule set's sources, to cite more (why-not answers).
    """

    rec: Recommendation
    found: bool
    words: str
    markers: dict[str, list[Marker]] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)
    tree: list[TreeNode] = field(default_factory=list)
    catalogue: Mapping[str, Source] = field(default_factory=dict, repr=False)

    def cited(self, extra: set[str]) -> list[dict[str, Any]]:
        """The sources cited, plus those of ``extra`` (e.g. the rules of why-not answers)."""
        return cited_sources(self.rec, self.catalogue, extra)


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


def cited_sources(rec: Recommendation, catalogue: Mapping[str, Source], extra: set[str] = frozenset()) -> list[dict[str, Any]]:  # type: ignore[assignment]  # an immutable default; the function only reads it
    """The sources cited by the rules that fired (plus ``extra``), with title and URL when known."""
    ids = sorted({f.source for f in rec.audit.firings} | set(extra) | {c.source for c in rec.caveats if c.source})
    out = []
    for sid in ids:
        s: Optional[Source] = catalogue.get(sid)
        url = s.url if s else None
        out.append({"id": sid, "title": s.title if s else None, "publisher": s.publisher if s else None,
                    "year": s.year if s else None, "url": url if url and url.startswith(("https://", "http://")) else None})
    return out


def shown(rec: Recommendation, tree: bool = True) -> Shown:
    """What a report shows of one recommendation; the derivation tree when ``tree`` and the
    recommendation carries its evaluation."""
    ev = rec.evaluation
    catalogue = ev.ruleset.sources if ev is not None else {}
    out = Shown(rec, ev is not None, Decision(rec.scale_up).phrase, catalogue=catalogue)
    out.sources = cited_sources(rec, catalogue)
    if ev is not None:
        out.markers = markers(ev.ruleset)
        if tree:
            roots = sorted((f for f in ev.facts if f.type in ROOTS), key=lambda f: (ROOTS.index(f.type), fact_text(f)))
            seen: set[str] = set()
            out.tree = [derivation(ev, f.id, None, seen) for f in roots]
    return out
