"""Scenarios built in code for property tests (hypothesis), shared by test_rulebase and
test_invariants: :func:`base` is a minimal valid scenario, :func:`any_scenario` one of any kind."""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from hypothesis import strategies as st


def base(**sections: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"id": "generated", "title": "A scenario built in a test", "as_of": "2026-06-01",
                            "country": {"name": "Testland", "population": 20_000_000},
                            "hazard": {"types": ["flood"], "onset": "sudden"}}
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value}
    return data


def optional_count(low: int = 1, high: int = 2_000_000) -> st.SearchStrategy[Optional[int]]:
    return st.one_of(st.none(), st.just(0), st.integers(low, high))


def _maybe(draw: st.DrawFn, strategy: st.SearchStrategy[Any]) -> Any:
    """A value, or None (the field left out) half of the time."""
    return draw(strategy) if draw(st.booleans()) else None


@st.composite
def sector_needs(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    """The sectoral need indicators the cluster rules read, each present or absent: homes destroyed,
    mortality, malnutrition, IPC 3+, access, pipeline, telecoms and schools."""
    out: dict[str, dict[str, Any]] = {"impact": {}, "health_nutrition": {}, "food_security": {}, "context": {},
                                      "risk": {}}
    fields = {("impact", "houses_destroyed"): st.sampled_from([0, 500, 50_000]),
              ("impact", "telecoms_disrupted"): st.booleans(), ("impact", "schools_disrupted"): st.booleans(),
              ("health_nutrition", "cmr"): st.sampled_from([0.4, 1.5, 3.0]),
              ("health_nutrition", "u5mr"): st.sampled_from([0.8, 2.5]),
              ("health_nutrition", "gam_pct"): st.sampled_from([3.0, 8.0, 16.0]),
              ("food_security", "ipc_phase3plus_pct"): st.sampled_from([0.0, 10.0, 30.0]),
              ("context", "access_constraints"): st.integers(0, 5),
              ("risk", "pipeline_break_weeks"): st.sampled_from([0.0, 1.0, 4.0])}
    for (section, name), strategy in fields.items():
        value = _maybe(draw, strategy)
        if value is not None:
            out[section][name] = value
    if "cmr" in out["health_nutrition"]:
        out["health_nutrition"]["cmr_baseline"] = 0.5
    return {k: v for k, v in out.items() if v}


@st.composite
def any_scenario(draw: st.DrawFn, refugee_only: bool = False) -> dict[str, Any]:
    """A scenario of any kind: population mix, onset, hazards, outbreak, leadership, lifecycle, and
    the sectoral needs the clusters answer."""
    hazards = draw(st.lists(st.sampled_from(["cyclone", "flood", "conflict", "violence", "epidemic", "economic"]),
                            min_size=1, max_size=3, unique=True))
    data = base(hazard={"types": hazards, "onset": draw(st.sampled_from(
        ["sudden", "rapid_deterioration", "gradual", "protracted", "stalled_response"])),
        "trend": draw(st.sampled_from(["improving", "stable", "sharply_deteriorating", "collapse"])),
        "displacement_expected": draw(st.booleans())})
    refugees = draw(st.integers(1, 500_000)) if refugee_only else draw(optional_count(1, 500_000))
    # refugee-only: nobody affected but refugees and their hosts (non_displaced_affected excludes hosts)
    others = {"non_displaced_affected": 0} if refugee_only else {
        k: v for k in ("idps", "non_displaced_affected", "returnees") if (v := draw(optional_count(1, 500_000))) is not None}
    populations = {"affected": 2_000_000, **others, "refugee_idp_colocated": draw(st.booleans())}
    if refugees is not None:
        populations |= {"refugees": refugees, "refugees_new_30d": draw(st.integers(0, refugees))}
    if others.get("idps"):
        populations["idps_new_30d"] = draw(st.integers(0, others["idps"]))
    data["populations"] = populations
    data["capacity"] = {"inform_lcc": draw(st.floats(0, 10, allow_nan=False)),
                        "hc_designated": draw(st.booleans()), "rc_present": draw(st.booleans()),
                        "clusters_active": draw(st.booleans()), "unhcr_present": draw(st.booleans()),
                        "lead_deliverer": "WFP", "lead_deliverer_share_pct": draw(st.floats(0, 100, allow_nan=False)),
                        "funding_coverage_pct": draw(st.floats(0, 100, allow_nan=False))}
    data["context"] = {"countries_affected": draw(st.integers(1, 4)),
                       "conflict_intensity": draw(st.sampled_from(["none", "localized", "active_hostilities"]))}
    data["impact"] = {"geographic_spread": draw(st.sampled_from(["one_district", "nationwide", "multi_country"]))}
    for section, fields in draw(sector_needs()).items():
        data[section] = {**data.get(section, {}), **fields}
    if "epidemic" in hazards:
        data["outbreak"] = {"disease": "cholera", "who_dg_recommends": draw(st.booleans()),
                            "pheic": draw(st.booleans()),
                            "population_at_risk_pct": draw(st.floats(0, 1, allow_nan=False))}
    if draw(st.booleans()):
        start = dt.date(2026, 6, 1) - dt.timedelta(days=draw(st.integers(0, 400)))
        data["activation"] = {"date": start.isoformat(), "opr_done": draw(st.booleans()),
                              "extensions": [{"date": start.isoformat(), "months": m}
                                             for m in draw(st.lists(st.sampled_from([3, 6]), max_size=2))]}
    return data
