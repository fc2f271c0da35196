"""Readable text: the decision, the five criteria and what drives them, who leads, what follows,
and the caveats. Meant for a terminal, 100 columns."""

from __future__ import annotations

from typing import Any, Sequence

from ..facts import CRITERION_WORDS, VARIANT_WORDS
from ..recommendation.model import Recommendation
from ..safetext import terminal
from ..explain.wording import fmt_float

DECISION_WORDS = {
    "recommend": "RECOMMEND a System-Wide Scale-Up to the ERC",
    "consider": "CONSIDER: refer to the ERC for discussion (Scale-Up or accompanying measures)",
    "not_recommended": "NOT RECOMMENDED: the criteria do not call for a Scale-Up",
    "not_applicable": "NOT APPLICABLE: outside the scope of the IASC Scale-Up",
    "insufficient_evidence": "INSUFFICIENT EVIDENCE to recommend either way",
}
TODAY_WORDS = {
    "recommend": "still met (a Scale-Up would be recommended today)",
    "consider": "borderline (the case would be referred to the ERC today)",
    "not_recommended": "no longer met",
    "not_applicable": "outside the scope of the protocol today",
    "insufficient_evidence": "cannot be weighed on the evidence given",
}
LIFECYCLE_WORDS = {
    "continue": "CONTINUE within the six-month period",
    "extend": "EXTEND: the one exceptional three-month extension may be considered",
    "deactivate": "DEACTIVATE on schedule and hand over through the transition plan",
    "transition": "TRANSITION: no further extension under Protocol 1",
}


def clean(text: str) -> str:
    """``text`` with every control character written as an escape (``\\x1b``): a scenario cannot
    fake report lines, recolour the terminal or reorder text (:func:`scaleup.safetext.terminal`)."""
    return terminal(text)


def fmt_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return fmt_float(value)
    return str(value)


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
        add(f"Scale-Up: ACTIVE since {lc.activated} (month {fmt_value(lc.months_elapsed)}): {LIFECYCLE_WORDS[lc.value]}")
        if lc.reason:
            add(f"  {lc.reason}  [{lc.rule}]")
        add(f"Criteria today: {TODAY_WORDS[rec.scale_up]}")
    else:
        add(f"Scale-Up: {DECISION_WORDS[rec.scale_up]}")
    if rec.variant:
        add(f"Protocol: {VARIANT_WORDS.get(rec.variant, rec.variant)}")
    if rec.scope:
        under = f" under {VARIANT_WORDS[rec.variant]}" if rec.variant in VARIANT_WORDS else ""
        add(f"Scope: {rec.scope.value.replace('_', ' ')}{under}" + (f" - {rec.scope.reason}" if rec.scope.reason else ""))
    add(f"Route: {rec.route or 'none derived'}")
    add("")
    add("Criteria (1 very low .. 5 very high; for the capacity gap, 5 is a very large gap)")
    for c in rec.criteria:
        level = f"{c.level} {c.label}" if c.level else "- insufficient evidence"
        presumed = " (presumed: no capacity measure given)" if c.presumed else ""
        add(f"  {CRITERION_WORDS[c.name]:<15} {level}{presumed}")
        for sig in c.signals:
            mark = " (presumed)" if sig.presumed else ""
            add(f"      L{sig.level} {sig.field} = {fmt_value(sig.value)}{mark}  [{sig.rule}] {line_of(sig.origin)}")
        for cap in c.ceilings:
            add(f"      at most L{cap.level}: {cap.field} = {fmt_value(cap.value)} (coping)  [{cap.rule}] {line_of(cap.origin)}")
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
    parts = [f"{fmt_value(m.months)} months" if m.months else "", f"{fmt_value(m.days)} days" if m.days else ""]
    return " ".join(p for p in parts if p) + f" after {m.anchor}"


def render(recs: Sequence[Recommendation]) -> str:
    return ("\n" + "=" * 100 + "\n\n").join(render_one(r) for r in recs)
