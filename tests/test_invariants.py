"""Consistency invariants INV01-INV05: each is detected on a small hand-built evaluation and by
``rules check`` on a fixture rule set breaking it, none is reported where it holds, the
enumeration's reductions are exact, and the shipped rule set keeps every invariant on the
enumeration and on generated scenarios (hypothesis, on durable_rules)."""

from __future__ import annotations

import itertools
import json
import random
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import pytest
from hypothesis import HealthCheck, given, settings

from scaleup.assurance.check import CheckReport, check_ruleset
from scaleup.assurance.consistency import TARGETS, InvariantSweep, sweep_invariants
from scaleup.assurance.findings import Severity
from scaleup.assurance.invariants import CODES, NEEDS, Breach, check_evaluation
from scaleup.assurance.reduction import downstream
from scaleup.assurance.situations import INVARIANT_SITUATIONS, LEVELS, criteria_facts, situation_facts
from scaleup.engine.audit import Evaluation
from scaleup.engine.durable import engine_for
from scaleup.recommendation.evaluate import evaluate_traced
from scaleup.facts import Fact
from scaleup.scenario.fields import CATALOGUE
from scaleup.engine.pyeval import run
from scaleup.rules.ir import CompiledRuleset
from scaleup.rules.load import load_ruleset
from scaleup.scenario.load import parse_scenario
from scenario_strategies import any_scenario

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "rulesets"
BROKEN, SOUND = FIXTURES / "invariants-broken", FIXTURES / "invariants-sound"
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@lru_cache(maxsize=None)
def ruleset(name: str = "iasc-2018") -> CompiledRuleset:
    return load_ruleset(name)


# --- hand-built evaluations ------------------------------------------------------------------------

def evaluation(*outputs: tuple[str, dict[str, Any], str], **indicators: Any) -> Evaluation:
    """An evaluation holding indicator facts (``populations__idps=0``) and derived facts, each
    given as (type, fields, asserting rule)."""
    facts = [Fact(f"i{n}", "indicator", {"field": name.replace("__", "."), "value": value}, "input:test")
             for n, (name, values) in enumerate(indicators.items(), start=1)
             for value in (values if isinstance(values, list) else [values])]
    facts += [Fact(f"d{n}", type_, fields, f"rule:{rule}") for n, (type_, fields, rule) in enumerate(outputs, start=1)]
    return Evaluation(ruleset(str(SOUND)), tuple(facts), ())


def decision(value: str, rule: str = "decision.r") -> tuple[str, dict[str, Any], str]:
    return ("decision", {"value": value}, rule)


def route(value: str, rule: str = "route.r") -> tuple[str, dict[str, Any], str]:
    return ("route", {"value": value}, rule)


def cluster(name: str, lead: str = "UNHCR", rule: str = "cluster.r") -> tuple[str, dict[str, Any], str]:
    return ("cluster", {"name": name, "lead": lead}, rule)


def lead(role: str, actor: str = "Someone", rule: str = "lead.r") -> tuple[str, dict[str, Any], str]:
    return ("lead", {"role": role, "actor": actor}, rule)


def codes(breaches: list[Breach]) -> list[str]:
    return sorted(b.code for b in breaches)


DISPLACED = {"populations__idps": 50_000, "hazard__types": "flood"}


def test_a_recommendation_under_government_lead_breaks_inv01_naming_the_route_and_its_rules() -> None:
    breaches = check_evaluation(evaluation(decision("recommend", "decision.recommend"),
                                           route("national_led", "route.national"), **DISPLACED))
    assert [(x.code, x.subject) for x in breaches] == [("INV01", "route national_led"), ("INV01", "no cluster")]
    b = breaches[0]
    assert b.rules == ("decision.recommend", "route.national")
    assert "decision recommend with route national_led" in b.message and "route.national" in b.message


def test_a_recommendation_without_any_cluster_breaks_inv01() -> None:
    [b] = check_evaluation(evaluation(decision("recommend"), route("iasc_clusters"), **DISPLACED))
    assert (b.code, b.subject) == ("INV01", "no cluster")


def test_a_recommendation_through_clusters_with_a_needed_cluster_breaks_nothing() -> None:
    ev = evaluation(decision("recommend"), route("mixed_joint_note"), cluster("Shelter", "IFRC"),
                    lead("empowered_leadership"), **DISPLACED)
    assert check_evaluation(ev) == []


@pytest.mark.parametrize("output", [cluster("Shelter", "IFRC", "cluster.shelter"),
                                    lead("empowered_leadership", "HC", "lead.empowered")])
def test_a_cluster_or_an_empowered_hc_under_government_lead_breaks_inv02(output: tuple) -> None:
    [b] = check_evaluation(evaluation(decision("not_recommended"), route("national_led"), output, **DISPLACED))
    assert b.code == "INV02" and output[2] in b.rules and "route national_led with" in b.message


def test_government_lead_with_its_own_roles_breaks_nothing() -> None:
    ev = evaluation(decision("consider"), route("national_led"), lead("overall_coordination"),
                    lead("humanitarian_coordinator"), **DISPLACED)
    assert check_evaluation(ev) == []


@pytest.mark.parametrize("output, subject", [
    (decision("not_recommended"), "decision not_recommended"),
    (cluster("Protection"), "cluster Protection"),
    (lead("humanitarian_coordinator"), "lead humanitarian_coordinator"),
    (lead("empowered_leadership"), "lead empowered_leadership")])
def test_a_decision_a_cluster_or_an_hc_under_the_refugee_model_breaks_inv03(output: tuple, subject: str) -> None:
    outputs = [route("refugee_rcm"), output] + ([] if output[0] == "decision" else [decision("not_applicable")])
    breaches = [b for b in check_evaluation(evaluation(*outputs, populations__refugees=9_000)) if b.code == "INV03"]
    assert [b.subject for b in breaches] == [subject]


def test_the_refugee_model_out_of_scope_with_its_own_roles_breaks_nothing() -> None:
    ev = evaluation(route("refugee_rcm"), decision("not_applicable"), lead("overall_coordination", "UNHCR"),
                    populations__refugees=9_000)
    assert check_evaluation(ev) == []


def test_protection_for_an_outbreak_with_no_displacement_breaks_inv04_naming_the_cluster_rule() -> None:
    ev = evaluation(cluster("Protection", "To be agreed", "cluster.protection.disaster-agreed"),
                    hazard__types="epidemic", populations__idps=0, context__conflict_intensity="none")
    [b] = check_evaluation(ev)
    assert (b.code, b.subject, b.rules) == ("INV04", "cluster Protection", ("cluster.protection.disaster-agreed",))
    assert "no need for it" in b.message and "populations.idps > 0" in b.message


@pytest.mark.parametrize("need", [{"populations__idps": 1}, {"populations__returnees": 10},
                                  {"impact__houses_destroyed": 3}, {"hazard__types": ["flood", "violence"]},
                                  {"context__conflict_intensity": "active_hostilities"},
                                  {"populations__refugees": 5, "populations__non_displaced_affected": 7}])
def test_protection_with_any_one_need_breaks_nothing(need: dict[str, Any]) -> None:
    assert check_evaluation(evaluation(cluster("Protection"), **need)) == []


def test_refugees_alone_are_no_need_for_protection_and_a_health_cluster_needs_a_health_trigger() -> None:
    ev = evaluation(cluster("Protection"), cluster("Health", "WHO"), populations__refugees=5,
                    health_nutrition__cmr=0.5, hazard__types="flood")
    assert [b.subject for b in check_evaluation(ev)] == ["cluster Health", "cluster Protection"]
    assert check_evaluation(evaluation(cluster("Health", "WHO"), health_nutrition__cmr=1.2)) == []
    assert check_evaluation(evaluation(cluster("Health", "WHO"), hazard__types=["flood", "epidemic"])) == []


def test_a_cluster_the_needs_table_does_not_know_breaks_inv04() -> None:
    [b] = check_evaluation(evaluation(cluster("Camp Management", "IOM"), **DISPLACED))
    assert b.code == "INV04" and "has no need defined" in b.message


def test_two_leads_for_one_cluster_break_inv05_naming_both_rules() -> None:
    ev = evaluation(cluster("Shelter", "IFRC", "cluster.a"), cluster("Shelter", "UNHCR", "cluster.b"), **DISPLACED)
    [b] = check_evaluation(ev)
    assert b.code == "INV05" and b.rules == ("cluster.a", "cluster.b") and "2 leads (IFRC, UNHCR)" in b.message


def test_every_field_of_the_needs_table_is_a_scenario_field_and_every_shipped_cluster_has_a_need() -> None:
    fields = {t.field for need in NEEDS.values() for alt in need.tests for t in alt}
    assert sorted(fields - set(CATALOGUE)) == []
    shipped = {dict(e.fields)["name"] for r in ruleset().rules for e in r.emits if e.type == "cluster"}
    assert sorted(shipped - set(NEEDS)) == []


# --- rules check on fixture rule sets ----------------------------------------------------------------

def invariant_errors(report: CheckReport) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in report.findings:
        if f.check == "invariants" and f.severity == Severity.ERROR:
            assert f.code.id == f.problem.field     # an invariant's finding carries its code
            out.setdefault(f.problem.field, []).append(str(f.problem))
    return out


@pytest.fixture(scope="module")
def broken_report() -> CheckReport:
    return check_ruleset(BROKEN, sample=0)


def test_rules_check_reports_each_invariant_a_fixture_breaks_at_the_rule_with_an_example(broken_report: CheckReport) -> None:
    found = invariant_errors(broken_report)
    assert sorted(found) == sorted(CODES) == ["INV01", "INV02", "INV03", "INV04", "INV05"]
    rules_file = str(BROKEN / "rules.yaml")
    [inv05] = found["INV05"]
    assert inv05.startswith(f"{rules_file}:") and "cluster Protection has 2 leads (IOM, UNHCR)" in inv05
    assert "rules cluster.protection, cluster.protection.rival" in inv05
    assert "in idp-disaster, idp-disaster-sector-needs; e.g. idp-disaster with scale=4," in inv05
    [inv04] = found["INV04"]
    assert "in infectious-disease, none, disaster-in-place;" in inv04 and "7,776 of 77,760 combinations" in inv04


def test_the_summary_counts_the_combinations_breaking_each_invariant(broken_report: CheckReport) -> None:
    sweep = broken_report.invariants
    assert sweep is not None and sweep.combinations == 6 ** 5 * len(INVARIANT_SITUATIONS)
    # scale >= 4 (2 of 6 levels) is a recommendation; in 2 of 10 classes refugees are present
    assert sweep.by_code["INV01"] == 6 ** 4 * 2 * 10
    assert sweep.by_code["INV05"] == 6 ** 4 * 2 * 2
    [summary] = [f for f in broken_report.findings if f.check == "invariants" and f.severity != Severity.ERROR]
    assert summary.code.id == "INV00" and summary.severity == Severity.INFO
    assert "broken: INV01 (25,920 combinations)" in summary.problem.message


def test_a_fixture_keeping_every_invariant_gets_no_invariant_finding() -> None:
    report = check_ruleset(SOUND, sample=0)
    assert report.ok, "\n".join(map(str, report.findings))
    assert report.invariants is not None and report.invariants.violations == [] and report.invariants.by_code == {}


def test_rules_check_json_carries_the_invariant_counts_and_examples() -> None:
    from click.testing import CliRunner
    from scaleup.cli.main import main
    result = CliRunner().invoke(main, ["rules", "check", str(BROKEN), "--sample", "0", "-f", "json"])
    assert result.exit_code == 1
    data = json.loads(result.output)["invariants"]
    assert set(data["broken"]) == set(CODES)
    example = next(v for v in data["violations"] if v["code"] == "INV05")["example"]
    assert example["case"] == "idp-disaster" and example["levels"]["scale"] in ("4", "5")


# --- the enumeration is exact ------------------------------------------------------------------------

def _direct(rs: CompiledRuleset, evaluate: Any, situation: Any, levels: tuple[Optional[int], ...]) -> set[tuple[str, str]]:
    sub = downstream(rs, TARGETS)
    ev = evaluate(sub, criteria_facts(levels) + situation_facts(situation))
    return {(b.code, b.subject) for b in check_evaluation(ev)}


@pytest.fixture(scope="module")
def shipped_sweep() -> InvariantSweep:
    return sweep_invariants(ruleset(), run)


def _assert_sample_agrees(sweep: InvariantSweep, evaluate, seed: int, n: int) -> None:
    """On ``n`` sampled combinations the sweep's breaches equal those of a direct evaluation."""
    rng = random.Random(seed)
    space = list(itertools.product(INVARIANT_SITUATIONS, itertools.product(LEVELS, repeat=5)))
    for situation, levels in rng.sample(space, n):
        got = {(b.code, b.subject) for b in sweep.breaches(situation.name, levels)}
        assert got == _direct(ruleset(), evaluate, situation, levels), (situation.name, levels)


def test_the_reduced_sweep_gives_every_combination_the_breaches_of_a_direct_evaluation(shipped_sweep: InvariantSweep) -> None:
    _assert_sample_agrees(shipped_sweep, run, seed=11, n=300)


def test_durable_rules_finds_the_same_breaches_on_sampled_combinations(shipped_sweep: InvariantSweep) -> None:
    def durable(rs: CompiledRuleset, facts: list[Fact]) -> Evaluation:
        return engine_for(rs).evaluate(facts, "<combination>")
    _assert_sample_agrees(shipped_sweep, durable, seed=12, n=60)


def test_the_sweep_evaluates_far_fewer_than_all_combinations(shipped_sweep: InvariantSweep) -> None:
    assert shipped_sweep.evaluations < shipped_sweep.combinations / 20


# --- the shipped rule set ----------------------------------------------------------------------------

def test_the_shipped_rule_set_keeps_every_invariant_on_every_combination(shipped_sweep: InvariantSweep) -> None:
    shown = [f"{v.code} {v.example.message}: {v.combinations:,} combinations, e.g. {v.case} with {v.describe_levels()}"
             for v in shipped_sweep.violations]
    assert shown == []


def _evaluate(data: dict[str, Any]) -> Evaluation:
    loaded = parse_scenario(json.dumps(data), "generated.json", fmt="json")
    return evaluate_traced(loaded, ruleset())[1]


@PROPERTY
@given(any_scenario())
def test_every_generated_scenario_keeps_every_invariant_on_durable_rules(data: dict[str, Any]) -> None:
    assert [b.message for b in check_evaluation(_evaluate(data))] == []


@PROPERTY
@given(any_scenario())
def test_the_python_evaluator_and_durable_rules_breach_the_same_invariants(data: dict[str, Any]) -> None:
    loaded = parse_scenario(json.dumps(data), "generated.json", fmt="json")
    durable = check_evaluation(evaluate_traced(loaded, ruleset())[1])
    python = check_evaluation(run(ruleset(), loaded.facts()))
    # firing order may differ between the engines, so the rules are compared as sets
    assert ({(b.code, b.subject, frozenset(b.rules)) for b in python}
            == {(b.code, b.subject, frozenset(b.rules)) for b in durable})
