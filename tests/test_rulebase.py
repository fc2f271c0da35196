"""The shipped IASC 2018 rule base: the scenario library fires every rule, every rule cites a
defined source, docs/rulebase.md is the generated document, and domain invariants hold on
scenarios built in code (hypothesis)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scaleup.engine.audit import Evaluation
from scaleup.recommendation.evaluate import evaluate_traced
from scaleup.scenario.fields import CATALOGUE, CONTEXT_ONLY, DERIVED
from scaleup.scenario.inputs import Skipped, read_scenario
from scaleup.recommendation.model import Recommendation
from scaleup.render.rulebase import render_markdown
from scaleup.rules.ir import CompiledRuleset
from scaleup.rules.load import load_ruleset
from scaleup.scenario.load import LoadedScenario, parse_scenario
from scenario_strategies import any_scenario, base

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
ORDER = {"not_recommended": 0, "consider": 1, "recommend": 2}
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@lru_cache(maxsize=1)
def ruleset() -> CompiledRuleset:
    return load_ruleset("iasc-2018")


@lru_cache(maxsize=1)
def library() -> tuple[tuple[LoadedScenario, Recommendation, Evaluation], ...]:
    out = []
    for path in SCENARIOS:
        item = read_scenario(path, name=str(path.relative_to(ROOT)))
        if isinstance(item, Skipped):
            continue
        assert isinstance(item, LoadedScenario), item
        out.append((item, *evaluate_traced(item, ruleset())))
    return tuple(out)


def run(data: dict[str, Any]) -> tuple[Recommendation, Evaluation]:
    loaded = parse_scenario(json.dumps(data), "generated.json", fmt="json")
    return evaluate_traced(loaded, ruleset())


# --- the scenario library ----------------------------------------------------------------------

def test_every_rule_of_the_rule_set_fires_in_at_least_one_shipped_scenario() -> None:
    fired = {f.rule for _, _, ev in library() for f in ev.firings}
    assert [r for r in ruleset().rule_ids if r not in fired] == []


def test_the_library_has_at_least_24_scenarios_each_pinning_its_decision_and_route() -> None:
    assert len(library()) >= 24
    for loaded, _, _ in library():
        expect = loaded.scenario.expect
        assert expect is not None and expect.scale_up and expect.route, loaded.name


def test_the_library_covers_every_decision_route_variant_and_unhcr_level() -> None:
    recs = [rec for _, rec, _ in library()]
    assert {r.scale_up for r in recs} == {"recommend", "consider", "not_recommended", "not_applicable",
                                          "insufficient_evidence"}
    assert {r.route for r in recs} == {"iasc_clusters", "refugee_rcm", "mixed_joint_note", "national_led"}
    assert {r.variant for r in recs} == {"protocol_1_2018", "infectious_disease_2019", None}
    assert {r.unhcr_emergency_level for r in recs} == {None, 1, 2, 3}
    assert {f.name for r in recs for f in r.flags} == {
        "second_extension", "extension_over_3_months", "activation_past_9_months", "expired_without_extension",
        "transition_plan_incomplete", "opr_overdue", "cluster_deactivation_review", "clusters_not_warranted",
        "consent_withheld", "flash_appeal_window_passed", "flash_appeal_late"}
    protection = {c.lead for r in recs for c in r.clusters if c.cluster == "Protection"}
    assert protection == {"UNHCR", "To be agreed at country level: UNHCR, OHCHR or UNICEF",
                          "To be agreed at country level (UNHCR for IDPs in conflict; UNHCR, OHCHR or UNICEF in disasters)"}
    assert {c.lead for r in recs for c in r.clusters if c.cluster == "Shelter"} >= {"UNHCR", "IFRC (convener)"}
    assert {c.lead for r in recs for c in r.clusters if c.cluster == "CCCM"} >= {"UNHCR", "IOM"}


def test_no_written_rule_fires_without_deriving_something_new() -> None:
    # Alternatives inside a rule exclude each other, so a rule never fires twice for one conclusion.
    kinds = {r.key: r.kind for r in ruleset().rules}
    redundant = sorted({(loaded.name, f.key) for loaded, _, ev in library() for f in ev.firings
                        if kinds[f.key] == "rule" and not f.asserted})
    assert redundant == []


# --- citations and the generated document ------------------------------------------------------

def test_every_rule_and_band_edge_cites_a_source_defined_in_the_rule_set() -> None:
    rs = ruleset()
    assert all(r.source in rs.sources for r in rs.rules)
    assert all(t.source in rs.sources for r in rs.rules for t in r.thresholds if t.source)
    assert all(p.source in rs.sources for p in rs.parameters.values() if p.source)


def test_what_rests_on_the_project_convention_is_never_labelled_basis_source() -> None:
    rs = ruleset()
    assert [r.id for r in rs.rules if r.source == "SCALEUP-PROJECT" and r.basis == "source"] == []
    assert [n for n, p in rs.parameters.items() if p.source == "SCALEUP-PROJECT" and p.basis == "source"] == []
    edges = [(r.id, t.value) for r in rs.rules for t in r.thresholds if t.basis == "source" and t.source == "SCALEUP-PROJECT"]
    assert edges == []


def test_unverified_background_facts_are_marked_verified_false() -> None:
    rs = ruleset()
    unverified = {r.id for r in rs.rules if not r.verified}
    assert {"scope.in.stalled", "unhcr.level-2", "unhcr.level-3", "scaleup.procedure",
            "decision.consider", "infectious.duration"} <= unverified
    assert not rs.parameters["iarrm_days"].verified


def test_every_scenario_field_is_read_by_a_rule_directly_or_through_a_derived_indicator() -> None:
    read = {str(t.value) for r in ruleset().rules for p in r.patterns if p.type == "indicator"
            for t in p.tests if t.field == "field"}
    used = read | {i for path, derived in DERIVED.items() if path in read for i in derived.inputs}
    assert sorted(set(CATALOGUE) - used) == sorted(CONTEXT_ONLY)     # each recorded-only field says why


def test_docs_rulebase_md_is_the_generated_rule_set_document() -> None:
    current = (ROOT / "docs" / "rulebase.md").read_text(encoding="utf-8")
    assert current == render_markdown(ruleset()), (
        "docs/rulebase.md is out of date: run `scaleup rules show iasc-2018 -f markdown -o docs/rulebase.md`")


# --- behaviour on scenarios built in code --------------------------------------------------------

def test_crude_mortality_of_2_is_the_override_that_puts_urgency_at_5() -> None:
    rec, _ = run(base(hazard={"onset": "stalled_response"}, health_nutrition={"cmr": 2.0}))
    urgency = next(c for c in rec.criteria if c.name == "urgency")
    assert (urgency.level, urgency.signals[0].rule) == (5, "urgency/health_nutrition.cmr/L5")


def test_a_stalled_response_alone_gives_no_urgency_signal() -> None:
    rec, _ = run(base(hazard={"onset": "stalled_response"}, populations={"affected": 500_000}))
    assert next(c.level for c in rec.criteria if c.name == "urgency") is None


def test_a_refugee_only_situation_records_that_the_erc_cannot_declare_a_refugee_emergency() -> None:
    rec, _ = run(base(populations={"affected": 60_000, "refugees": 60_000, "refugees_new_30d": 20_000}))
    assert rec.scale_up == "not_applicable" and rec.route == "refugee_rcm"
    assert any("no authority to declare a refugee emergency" in n.text for n in rec.notes)


# --- properties ----------------------------------------------------------------------------------

# "Worse is higher" numeric fields with ranges chosen so any values keep the scenario valid
# (e.g. in_need never exceeds affected); descending fields are better when higher.
ASCENDING = {
    ("populations", "affected"): (2_000_000, 20_000_000), ("populations", "in_need"): (0, 2_000_000),
    ("populations", "idps"): (100_000, 2_000_000), ("populations", "idps_new_30d"): (0, 100_000),
    ("impact", "deaths"): (10_000, 100_000), ("impact", "deaths_30d"): (0, 10_000),
    ("impact", "houses_destroyed"): (0, 500_000), ("health_nutrition", "cmr"): (0.0, 10.0),
    ("health_nutrition", "u5mr"): (0.0, 20.0), ("health_nutrition", "gam_pct"): (5.0, 40.0),
    ("health_nutrition", "sam_pct"): (0.0, 5.0), ("food_security", "ipc_phase3plus_pct"): (30.0, 100.0),
    ("food_security", "ipc_phase4plus_pct"): (0.0, 30.0), ("food_security", "ipc_phase5_population"): (0, 1_000_000),
    ("context", "access_constraints"): (0, 5), ("context", "armed_actors"): (0, 20),
    ("context", "countries_affected"): (1, 5), ("context", "violence_against_aid"): (0, 3),
    ("capacity", "inform_lcc"): (0.0, 10.0), ("risk", "aid_worker_incidents_90d"): (0, 100),
    ("risk", "pipeline_break_weeks"): (0.0, 20.0), ("risk", "movement_restrictions"): (0, 3),
}
DESCENDING = {("capacity", "funding_coverage_pct"): (0.0, 100.0), ("capacity", "people_reached"): (0, 1_000_000),
              ("capacity", "operational_partners"): (0, 2_000)}
ORDINAL = {
    ("hazard", "trend"): ["improving", "stable", "deteriorating", "sharply_deteriorating", "collapse"],
    ("context", "conflict_intensity"): ["none", "localized", "widespread", "active_hostilities"],
    ("context", "authority_context"): ["recognised", "contested", "de_facto"],
    ("capacity", "capacity_tier"): ["district", "province", "national", "national_needs_international", "overwhelmed"],
    ("impact", "geographic_spread"): ["one_district", "several_districts", "several_provinces", "nationwide", "multi_country"],
    ("capacity", "government_request"): ["not_requested", "requested"],
    ("food_security", "famine_projected"): [False, True], ("food_security", "famine_classified"): [False, True],
    ("risk", "capacity_gap_growing"): [False, True], ("risk", "leadership_gap"): [False, True],
    ("capacity", "hct_present"): [True, False], ("capacity", "hc_designated"): [True, False],
}


@st.composite
def worse_pairs(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A scenario and the same scenario with every present indicator equal or worse."""
    onset = draw(st.sampled_from(["sudden", "rapid_deterioration", "stalled_response"]))
    hazard = draw(st.sampled_from([["flood"], ["conflict"], ["drought", "conflict"]]))
    a, b = base(hazard={"types": hazard, "onset": onset}), base(hazard={"types": hazard, "onset": onset})

    def put(section: str, field: str, lo_value: Any, hi_value: Any) -> None:
        a.setdefault(section, {})[field], b.setdefault(section, {})[field] = lo_value, hi_value

    for (section, field), (lo, hi) in {**ASCENDING, **DESCENDING}.items():
        if not draw(st.booleans()):
            continue
        number = st.floats(lo, hi, allow_nan=False) if isinstance(lo, float) else st.integers(lo, hi)
        x, y = sorted((draw(number), draw(number)))
        put(section, field, *((x, y) if (section, field) in ASCENDING else (y, x)))
    for (section, field), values in ORDINAL.items():
        if draw(st.booleans()):
            i, j = sorted((draw(st.integers(0, len(values) - 1)), draw(st.integers(0, len(values) - 1))))
            put(section, field, values[i], values[j])
    if "cmr" in a.get("health_nutrition", {}):
        put("health_nutrition", "cmr_baseline", 0.5, 0.5)
    return a, b


@PROPERTY
@given(worse_pairs())
def test_making_indicators_worse_never_lowers_a_criterion_level_or_the_decision(pair: tuple[dict, dict]) -> None:
    (before, _), (after, _) = run(pair[0]), run(pair[1])
    for old, new in zip(before.criteria, after.criteria):
        # "insufficient evidence" may become scored (a worse value that signals), never the reverse
        assert old.level is None or (new.level is not None and new.level >= old.level), old.name
    if before.scale_up in ORDER and after.scale_up in ORDER:
        assert ORDER[after.scale_up] >= ORDER[before.scale_up]
    if before.scale_up == "recommend":
        assert after.scale_up == "recommend"


@PROPERTY
@given(any_scenario())
def test_every_evaluation_yields_exactly_one_decision_one_route_and_one_scope(data: dict[str, Any]) -> None:
    rec, ev = run(data)
    assert [len(ev.of_type(t)) for t in ("decision", "route", "scope")] == [1, 1, 1]
    assert (rec.variant is not None) == (rec.scope is not None and rec.scope.value == "in_scope")


@PROPERTY
@given(any_scenario(refugee_only=True))
def test_a_refugee_only_caseload_never_yields_clusters_an_hc_or_a_scale_up(data: dict[str, Any]) -> None:
    rec, _ = run(data)
    assert (rec.scale_up, rec.route, rec.clusters) == ("not_applicable", "refugee_rcm", [])
    assert not [x for x in rec.leadership if x.role in ("humanitarian_coordinator", "empowered_leadership")
                or "Humanitarian Coordinator" in x.actor]


@PROPERTY
@given(any_scenario(), st.booleans(), st.integers(1, 3))
def test_a_pheic_or_a_who_grade_never_changes_the_decision(data: dict[str, Any], pheic: bool, grade: int) -> None:
    if "outbreak" not in data:
        data["hazard"]["types"] = ["epidemic"]
        data["outbreak"] = {"disease": "cholera", "who_dg_recommends": False}
    changed = json.loads(json.dumps(data))
    changed["outbreak"] |= {"pheic": pheic}
    changed["who"] = {"grade": grade}
    (before, _), (after, _) = run(data), run(changed)
    assert (after.scale_up, after.route, after.variant) == (before.scale_up, before.route, before.variant)
    assert [c.level for c in after.criteria] == [c.level for c in before.criteria]


@pytest.mark.parametrize("dg", [False, True])
def test_a_pheic_with_a_small_outbreak_is_not_recommended_whatever_who_recommends(dg: bool) -> None:
    rec, _ = run(base(hazard={"types": ["epidemic"], "onset": "sudden"},
                      who={"grade": 3}, outbreak={"disease": "mpox", "pheic": True, "who_dg_recommends": dg,
                                "population_at_risk_pct": 0.01},
                      capacity={"capacity_tier": "district", "funding_coverage_pct": 90}))
    assert rec.variant == "infectious_disease_2019" and rec.scale_up == "not_recommended"
