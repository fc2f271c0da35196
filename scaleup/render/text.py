"""Readable text: the decision, the five criteria and what drives them, who leads, what follows,
and the caveats. Meant for a terminal, 100 columns."""

from __future__ import annotations

from typing import Any, Sequence

from ..vocabulary import Criterion, Decision, Lifecycle, Variant
from ..recommendation.model import Recommendation
from ..safetext import terminal
from ..display import fmt

def clean(text: str) -> str:
    """``text`` with every control character written as an escape (``\\x1b``): a scenario cannot
    fake report lines, recolour the terminal or reorder text (:func:`scaleup.safetext.terminal`)."""
    return terminal(text)


def line_of(origin: str) -> str:
    """``input:populations.affected@f.yaml:7`` -> ``f.yaml:7``."""
    return origin.split("@", 1)[-1]


def render_one(rec: Recommendation) -> str:
    out: list[str] = []
    add = out.append
    s = rec.scenario
    add(f"{s.id}: {s.title}")
    add(f"{s.country}, as of {s.as_of} ({s.file})")
    add("")
    if rec.lifecycle:
        lc = rec.lifecycle
        add(f"Scale-Up: ACTIVE since {lc.activated} (month {fmt(lc.months_elapsed)}): {Lifecycle(lc.value).headline}")
        if lc.reason:
            add(f"  {lc.reason}  [{lc.rule}]")
        add(f"Criteria today: {Decision(rec.scale_up).today}")
    else:
        add(f"Scale-Up: {Decision(rec.scale_up).headline}")
    if rec.variant:
        add(f"Protocol: {Variant(rec.variant).phrase}")
    if rec.scope:
        under = f" under {Variant(rec.variant).phrase}" if rec.variant else ""
        add(f"Scope: {rec.scope.value.replace('_', ' ')}{under}" + (f" - {rec.scope.reason}" if rec.scope.reason else ""))
    add(f"Route: {rec.route or 'none derived'}")
    add("")
    add("Criteria (1 very low .. 5 very high; for the capacity gap, 5 is a very large gap)")
    for c in rec.criteria:
        level = f"{c.level} {c.label}" if c.level else "- insufficient evidence"
        presumed = " (presumed: no capacity measure given)" if c.presumed else ""
        add(f"  {Criterion(c.name).phrase:<15} {level}{presumed}")
        for sig in c.signals:
            mark = " (presumed)" if sig.presumed else ""
            add(f"      L{sig.level} {sig.field} = {fmt(sig.value)}{mark}  [{sig.rule}] {line_of(sig.origin)}")
        for cap in c.ceilings:
            add(f"      at most L{cap.level}: {cap.field} = {fmt(cap.value)} (coping)  [{cap.rule}] {line_of(cap.origin)}")
    sections = [
        ("Leadership", [f"{x.role.replace('_', ' ')}: {x.actor}  [{x.rule}]" for x in rec.leadership]),
        ("Clusters", [f"{x.cluster}: {x.lead}  [{x.rule}]" for x in rec.clusters]),
        ("Plans", [f"{x.name}" + (f" ({x.timing})" if x.timing else "") + f"  [{x.rule}]" for x in rec.plans]),
        ("UNHCR emergency level", [f"Level {rec.unhcr_emergency_level}"] if rec.unhcr_emergency_level else []),
        ("Milestones", [f"{m.name}: " + (str(m.date) if m.date else _offset(m)) + f"  [{m.rule}]" for m in rec.milestones]),
        ("Flags", [f"{x.name}" + (f": {x.text}" if x.text else "") + f"  [{x.rule}]" for x in rec.flags]),
        ("Notes", [f"{x.text}  [{x.rule}]" for x in rec.notes]),
    ]
    for title, rows in sections:
        if rows:
            add("")
            add(title)
            out.extend(f"  {r}" for r in rows)
    add("")
    add("Caveats")
    out.extend(f"  - {c.text}" for c in rec.caveats)
    st = rec.stamp
    add("")
    overrides = "".join(f" {k}={v}" for k, v in st.overrides.items())
    add(f"Rule set {st.ruleset_id} {st.ruleset_version} (sha256 {st.ruleset_sha256[:12]}){' overrides:' + overrides if overrides else ''}; "
        f"{len(rec.audit.firings)} rules fired; scaleup {st.scaleup_version}, durable_rules {st.durable_rules_version}")
    return "\n".join(map(clean, out)) + "\n"


def _offset(m: Any) -> str:
    parts = [f"{fmt(m.months)} months" if m.months else "", f"{fmt(m.days)} days" if m.days else ""]
    return " ".join(p for p in parts if p) + f" after {m.anchor}"


def render(recs: Sequence[Recommendation]) -> str:
    return ("\n" + "=" * 100 + "\n\n").join(render_one(r) for r in recs)
