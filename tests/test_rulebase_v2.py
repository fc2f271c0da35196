"""Rule base 2.0: each error the source review found in rule set 1.1.0, and each contradiction
measured on real crises, as a test that failed on 1.1.0 and passes now."""

from __future__ import annotations

from typing import Any

import pytest

from scaleup.recommendation.model import Recommendation

from test_rulebase import base, run

LARGE_CONFLICT = {"hazard": {"types": ["conflict"], "onset": "rapid_deterioration", "trend": "sharply_deteriorating"},
                      "populations": {"affected": 5_000_000, "in_need": 4_000_000, "idps": 1_500_000},
                      "context": {"conflict_intensity": "active_hostilities"}}


def criterion(rec: Recommendation, name: str) -> Any:
    return next(c for c in rec.criteria if c.name == name)


# --- the capacity gap, presumed when it is not measured -------------------------------------------

def test_a_large_conflict_without_capacity_data_presumes_a_high_gap_and_recommends_through_clusters() -> None:
    rec, _ = run(base(**LARGE_CONFLICT))
    capacity = criterion(rec, "capacity")
    assert (capacity.level, capacity.presumed) == (4, True)
    assert (rec.scale_up, rec.route) == ("recommend", "iasc_clusters")
    assert rec.cluster_lead("Protection") == "UNHCR"


def test_the_text_report_says_the_gap_is_presumed_and_from_what() -> None:
    from scaleup.render.text import render_one
    rec, _ = run(base(**LARGE_CONFLICT))
    text = render_one(rec)
    assert "capacity gap    4 high (presumed: no capacity measure given)" in text
    assert "populations.need_estimate = 4,000,000 (presumed)" in text


def test_a_capacity_measure_replaces_the_presumption() -> None:
    rec, _ = run(base(**{**LARGE_CONFLICT, "capacity": {"inform_lcc": 1.5}}))
    capacity = criterion(rec, "capacity")
    assert (capacity.level, capacity.presumed) == (1, False)
    assert not any(s.presumed for s in capacity.signals)


def test_insufficient_evidence_is_kept_for_a_crisis_whose_scale_cannot_be_established() -> None:
    rec, _ = run(base(hazard={"types": ["conflict"], "onset": "sudden"}))
    assert rec.scale_up == "insufficient_evidence"


def test_high_demand_with_no_capacity_or_risk_evidence_is_referred_not_declared_insufficient() -> None:
    rec, _ = run(base(impact={"deaths": 6_000}))          # no need figure: nothing to presume the gap from
    assert criterion(rec, "capacity").level is None and criterion(rec, "risk").level is None
    assert rec.scale_up == "consider"


# --- coping lowers the gap; a refusal is a consent warning -------------------------------------

def test_a_government_that_declines_international_help_holds_the_gap_at_medium() -> None:
    rec, _ = run(base(**{**LARGE_CONFLICT, "capacity": {"government_request": "declined"}}))
    capacity = criterion(rec, "capacity")
    assert capacity.level == 3 and capacity.ceilings[0].rule == "capacity.coping.declined"
    assert rec.scale_up != "recommend"


@pytest.mark.parametrize("coping", [{"government_leads_sectors": True},
                                    {"hc_designated": True, "clusters_active": True}])
def test_a_state_leading_sectors_or_coordination_in_place_lowers_a_very_high_gap_to_high(coping: dict) -> None:
    data = base(**{**LARGE_CONFLICT, "capacity": {"capacity_tier": "overwhelmed", **coping}})
    rec, _ = run(data)
    assert criterion(rec, "capacity").level == 4


def test_a_government_refusal_never_makes_a_crisis_recommended() -> None:
    data = base(populations={"affected": 2_000_000}, capacity={"capacity_tier": "national", "government_request": "refused"})
    rec, _ = run(data)
    assert criterion(rec, "risk").level is None
    assert rec.scale_up != "recommend"
    assert "consent_withheld" in {f.name for f in rec.flags}


def test_risk_alone_never_recommends_and_a_recommendation_needs_a_capacity_gap() -> None:
    data = base(populations={"affected": 2_000_000}, capacity={"capacity_tier": "district", "funding_coverage_pct": 5})
    rec, _ = run(data)
    assert (criterion(rec, "capacity").level, criterion(rec, "risk").level) == (1, 5)
    assert rec.scale_up != "recommend"


def test_a_medium_gap_with_a_high_risk_of_failure_recommends_through_clusters() -> None:
    data = base(populations={"affected": 2_000_000}, capacity={"capacity_tier": "national", "funding_coverage_pct": 10})
    rec, _ = run(data)
    assert (criterion(rec, "capacity").level, criterion(rec, "risk").level) == (3, 5)
    assert (rec.scale_up, rec.route) == ("recommend", "iasc_clusters")
    assert rec.clusters == [] and rec.lead("cluster_proposal")    # no need names a cluster: the RC/HC proposes them


# --- error 1: a handful of IDPs does not make a refugee influx mixed -------------------------------

def test_three_hundred_idps_beside_a_large_influx_stay_with_the_refugee_response() -> None:
    rec, _ = run(base(populations={"affected": 200_300, "refugees": 200_000, "refugees_new_30d": 90_000, "idps": 300},
                      capacity={"capacity_tier": "overwhelmed"}))
    assert (rec.scale_up, rec.route, rec.clusters) == ("not_applicable", "refugee_rcm", [])
    assert rec.lead("regional_coordination") is None


def test_refugees_are_not_counted_in_the_scale_of_a_mixed_situation() -> None:
    rec, _ = run(base(populations={"affected": 3_050_000, "refugees": 3_000_000, "idps": 50_000}))
    assert rec.route == "mixed_joint_note"
    assert criterion(rec, "scale").level == 2       # 50,000 IDPs, not 3 million refugees


# --- errors 2 and 3: protection leads -----------------------------------------------------------

def test_protection_in_a_disaster_is_decided_by_unhcr_ohchr_and_unicef() -> None:
    rec, _ = run(base(populations={"affected": 2_000_000, "idps": 300_000}, capacity={"capacity_tier": "overwhelmed"}))
    assert rec.cluster_lead("Protection") == "To be agreed at country level: UNHCR, OHCHR or UNICEF"


def test_protection_for_civilians_in_conflict_other_than_idps_is_not_given_to_unhcr_alone() -> None:
    data = base(**{**LARGE_CONFLICT, "populations": {"affected": 5_000_000, "in_need": 4_000_000, "idps": 0}})
    rec, _ = run(data)
    assert rec.cluster_lead("Protection") == "To be agreed at country level: UNHCR, OHCHR or UNICEF"


def test_protection_for_idps_in_conflict_is_led_by_unhcr() -> None:
    rec, _ = run(base(**LARGE_CONFLICT))
    assert rec.cluster_lead("Protection") == "UNHCR"


# --- error 4: a substantial deterioration of a slow or protracted crisis is in scope -------------

@pytest.mark.parametrize("worse", [{"hazard": {"trend": "collapse"}}, {"food_security": {"famine_projected": True}}])
def test_a_gradual_crisis_that_collapses_or_heads_into_famine_is_in_scope(worse: dict) -> None:
    data = base(hazard={"types": ["drought"], "onset": "gradual"}, populations={"affected": 3_000_000, "in_need": 2_500_000})
    for key, value in worse.items():
        data[key] = {**data.get(key, {}), **value}
    rec, _ = run(data)
    assert rec.scope is not None and rec.scope.value == "in_scope"
    assert rec.scale_up in ("recommend", "consider")


def test_a_steady_protracted_crisis_stays_out_of_scope() -> None:
    rec, _ = run(base(hazard={"types": ["conflict"], "onset": "protracted", "trend": "stable"},
                      populations={"affected": 3_000_000}))
    assert rec.scale_up == "not_applicable"


# --- error 5: the 2019 infectious-disease protocol -------------------------------------------

@pytest.mark.parametrize("who", [{"corporate_emergency": True}, {"risk_regional": "very_high"}, {"risk_global": "high"}])
def test_who_brings_an_outbreak_to_the_erc_by_risk_assessment_or_corporate_emergency(who: dict) -> None:
    data = base(hazard={"types": ["epidemic"], "onset": "sudden"}, who=who,
                outbreak={"disease": "cholera", "cases": 20_000}, populations={"affected": 2_000_000},
                capacity={"capacity_tier": "national"})
    rec, ev = run(data)
    assert rec.variant == "infectious_disease_2019" and rec.scale_up == "recommend"
    assert "finding.who-notifies-erc" in {f.rule for f in ev.firings}
    assert rec.route == "iasc_clusters" and rec.cluster_lead("Health") == "WHO"


def test_an_outbreak_assessed_moderate_risk_with_no_who_notification_is_referred() -> None:
    data = base(hazard={"types": ["epidemic"], "onset": "sudden"}, who={"risk_regional": "moderate", "grade": 3},
                outbreak={"disease": "cholera"}, populations={"affected": 2_000_000}, capacity={"capacity_tier": "overwhelmed"})
    rec, _ = run(data)
    assert rec.scale_up == "consider"


# --- error 6: "regional" means several host countries ------------------------------------------

def test_a_one_host_influx_gets_a_country_rrp_not_a_regional_one() -> None:
    rec, _ = run(base(populations={"affected": 100_000, "refugees": 100_000}, context={"countries_affected": 1}))
    names = {p.name for p in rec.plans}
    assert "Refugee Response Plan (RRP)" in names and "Regional Refugee Response Plan (RRRP)" not in names


def test_refugees_hosted_in_several_countries_get_a_regional_rrp() -> None:
    rec, _ = run(base(populations={"affected": 100_000, "refugees": 100_000}, context={"host_countries": 2}))
    assert "Regional Refugee Response Plan (RRRP)" in {p.name for p in rec.plans}


def test_an_origin_country_whose_refugees_fled_to_several_countries_gets_a_regional_rrp() -> None:
    rec, _ = run(base(**{**LARGE_CONFLICT, "populations": {**LARGE_CONFLICT["populations"], "refugees_abroad": 400_000},
                         "context": {"conflict_intensity": "active_hostilities", "host_countries": 3}}))
    assert "Regional Refugee Response Plan (RRRP)" in {p.name for p in rec.plans}
    assert rec.lead("regional_coordination") is None      # hosting countries are not affected countries


# --- error 7: UNHCR levels ---------------------------------------------------------------------

def test_unhcr_declares_a_level_for_an_influx_even_without_an_office() -> None:
    rec, _ = run(base(populations={"affected": 120_000, "refugees": 120_000, "refugees_new_30d": 80_000},
                      capacity={"unhcr_present": False, "capacity_tier": "overwhelmed"}))
    assert rec.unhcr_emergency_level == 3


def test_fatalities_among_a_displaced_population_meet_unhcrs_first_test() -> None:
    data = base(**{**LARGE_CONFLICT, "impact": {"deaths_30d": 800}, "capacity": {"capacity_tier": "national_needs_international"}})
    rec, ev = run(data)
    assert "finding.unhcr-first-test" in {f.rule for f in ev.firings}
    assert rec.unhcr_emergency_level in (2, 3)


# --- errors 8 and 9 ------------------------------------------------------------------------

def test_the_host_government_leads_a_refugee_response_with_unhcr_in_support() -> None:
    rec, _ = run(base(populations={"affected": 60_000, "refugees": 60_000}))
    assert rec.lead("overall_coordination") == "Host government (primary responsibility), supported by the UNHCR Representative"


def test_a_scale_up_supports_the_national_authorities() -> None:
    rec, _ = run(base(**LARGE_CONFLICT))
    assert rec.lead("national_authorities") is not None


def test_a_natural_disaster_with_no_refugees_and_no_unhcr_protection_lead_gets_no_unhcr_level() -> None:
    rec, _ = run(base(populations={"affected": 2_000_000, "idps": 400_000, "idps_new_30d": 400_000},
                      capacity={"capacity_tier": "overwhelmed"}))
    assert rec.scale_up == "recommend" and rec.unhcr_emergency_level is None


def test_a_cholera_outbreak_with_no_displacement_gets_no_protection_cluster() -> None:
    data = base(hazard={"types": ["epidemic"], "onset": "sudden"}, outbreak={"disease": "cholera", "who_dg_recommends": True},
                populations={"affected": 1_000_000}, capacity={"capacity_tier": "overwhelmed"})
    rec, _ = run(data)
    assert rec.clusters and rec.cluster_lead("Protection") is None


def test_an_earthquake_with_mass_casualties_gets_a_health_cluster() -> None:
    rec, _ = run(base(hazard={"types": ["earthquake"]}, populations={"affected": 1_500_000}, impact={"deaths": 14_500},
                      capacity={"capacity_tier": "overwhelmed"}))
    assert rec.cluster_lead("Health") == "WHO"


# --- an active Scale-Up, and the Flash Appeal window ------------------------------------------

@pytest.mark.parametrize("as_of, extensions, expected", [
    ("2026-03-01", [], "continue"),
    ("2026-07-20", [], "extend"),
    ("2026-09-01", [], "transition"),
    ("2026-07-20", [{"date": "2026-07-15", "months": 3}], "transition"),
])
def test_an_active_scale_up_is_framed_as_continue_extend_or_transition(as_of: str, extensions: list, expected: str) -> None:
    data = base(**LARGE_CONFLICT)
    data["as_of"] = as_of
    data["activation"] = {"date": "2026-02-01", "extensions": extensions}
    rec, _ = run(data)
    assert rec.lifecycle is not None and rec.lifecycle.value == expected


def test_an_active_scale_up_whose_criteria_no_longer_hold_is_deactivated_on_schedule() -> None:
    data = base(populations={"affected": 100_000}, capacity={"capacity_tier": "province"})
    data["as_of"], data["activation"] = "2026-07-20", {"date": "2026-02-01"}
    rec, _ = run(data)
    assert rec.lifecycle is not None and rec.lifecycle.value == "deactivate"


def test_a_missed_flash_appeal_window_is_flagged() -> None:
    data = base(hazard={"types": ["cyclone"], "onset": "sudden", "started": "2026-05-01"},
                populations={"affected": 2_000_000, "idps": 300_000}, capacity={"capacity_tier": "overwhelmed"})
    late = {**data, "capacity": {**data["capacity"], "flash_appeal_date": "2026-05-20"}}
    assert "flash_appeal_window_passed" in {f.name for f in run(data)[0].flags}
    assert "flash_appeal_late" in {f.name for f in run(late)[0].flags}
