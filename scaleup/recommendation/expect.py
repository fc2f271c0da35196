"""Comparing a recommendation with a scenario's ``expect:`` block (which makes it a test case)."""

from __future__ import annotations

from .model import Recommendation
from ..scenario.model import Expect


def check_expectations(rec: Recommendation, expect: Expect) -> list[str]:
    """Every way ``rec`` differs from ``expect``, as sentences; empty when all hold."""
    out: list[str] = []

    def differ(what: str, expected: object, got: object) -> None:
        if expected != got:
            out.append(f"{what}: expected {expected!r}, got {got!r}")

    record: list[str] = []
    for what, expected, got in (("scale_up", expect.scale_up, rec.scale_up), ("route", expect.route, rec.route)):
        if expected is None:
            continue
        accepted = expected if isinstance(expected, list) else [expected]
        if got not in accepted:
            shown = accepted[0] if len(accepted) == 1 else " or ".join(map(repr, accepted))
            record.append(f"{what}: expected {shown!r}, got {got!r}" if len(accepted) == 1
                          else f"{what}: expected {shown}, got {got!r}")
    if expect.disagreement is None:
        out.extend(record)
    elif not record:
        out.append("disagreement: documented, but decision and route now agree with the record; "
                   "remove the disagreement note (and its entry in docs/history.md)")
    if expect.variant is not None:
        differ("variant", None if expect.variant == "none" else expect.variant, rec.variant)
    for name, level in (expect.criteria or {}).items():
        differ(f"criteria.{name}", level, next(c.level for c in rec.criteria if c.name == name))
    for role, actor in (expect.leads or {}).items():
        differ(f"leads.{role}", actor, rec.lead(role))
    for cluster, lead in (expect.clusters or {}).items():
        differ(f"clusters.{cluster}", lead, rec.cluster_lead(cluster))
    if expect.no_clusters:
        differ("clusters", [], [c.cluster for c in rec.clusters])
    if expect.unhcr_level is not None:
        differ("unhcr_level", expect.unhcr_level or None, rec.unhcr_emergency_level)
    flags = {f.name for f in rec.flags}
    out.extend(f"flags: expected {name!r} among {sorted(flags)}" for name in expect.flags or [] if name not in flags)
    plans = {p.name for p in rec.plans}
    out.extend(f"plans: expected {name!r} among {sorted(plans)}" for name in expect.plans or [] if name not in plans)
    fired = {f.rule for f in rec.audit.firings}
    out.extend(f"fired: expected rule {rule!r} to fire" for rule in expect.fired or [] if rule not in fired)
    return out
