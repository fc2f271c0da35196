"""Exhaustive completeness: one decision and one route for every combination of criterion levels in
every situation class, the reduction that makes it fast is exact, and both engines agree."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from scaleup.assurance.completeness import Completeness, cases, check_completeness, enumerate_target
from scaleup.assurance.reduction import describe_cube, downstream, level_classes, merge_cubes, split_by_criteria
from scaleup.assurance.situations import LEVELS, SITUATIONS, situation_facts, situation_problems
from scaleup.engine.durable import engine_for
from scaleup.vocabulary import CRITERIA
from scaleup.engine.pyeval import run
from scaleup.rules.ir import CompiledRule, Emit, Pattern, Ref
from scaleup.rules.ir import Test as Cond
from scaleup.rules.load import load_ruleset

RULESET = load_ruleset("iasc-2018")


def durable(ruleset, facts):
    return engine_for(ruleset).evaluate(facts, "<combination>")


@pytest.fixture(scope="module")
def result() -> Completeness:
    return check_completeness(RULESET, run, durable, sample=1000, seed=7)


def test_the_space_is_every_criterion_combination_in_every_situation_class(result: Completeness) -> None:
    assert result.targets["decision"].combinations == 6 ** 5 * len(SITUATIONS) == 46_656
    assert result.targets["route"].combinations == 46_656
    assert result.targets["scope"].combinations == 6 ** 5 * len(SITUATIONS) * 5


def test_every_combination_gets_exactly_one_decision_route_and_scope(result: Completeness) -> None:
    assert [d.to_dict() for d in result.defects] == []


def test_a_thousand_sampled_combinations_agree_on_durable_rules(result: Completeness) -> None:
    assert result.sample == 1000 and result.disagreements == []


def test_the_reduction_evaluates_far_fewer_than_all_combinations(result: Completeness) -> None:
    assert result.evaluations < result.targets["decision"].combinations / 4


def test_a_refugee_only_caseload_is_routed_to_the_rcm_and_is_never_a_scale_up(result: Completeness) -> None:
    routes = {o.values for _, o in result.targets["route"].cubes["refugee-only"]}
    decisions = {o.values for _, o in result.targets["decision"].cubes["refugee-only"]}
    assert routes == {("refugee_rcm",)}
    assert ("recommend",) not in decisions


def test_a_mixed_situation_follows_the_joint_note_whatever_the_criteria(result: Completeness) -> None:
    assert {o.values for _, o in result.targets["route"].cubes["mixed"]} == {("mixed_joint_note",)}


def test_the_reduced_enumeration_equals_the_full_one() -> None:
    space = [c for c in cases(SITUATIONS) if c.label == "idp-disaster"]
    reduced = enumerate_target(RULESET, "route", run, space)
    full = enumerate_target(RULESET, "route", run, space, reduce=False)
    # routes read the decision (a recommendation always routes through clusters), so the route's
    # level classes follow the decision thresholds: hundreds of representatives, not thousands
    assert full.evaluations == 6 ** 5 and reduced.evaluations < 6 ** 5 / 8
    for levels in itertools.product(LEVELS, repeat=5):
        assert reduced.outcome("idp-disaster", levels) == full.outcome("idp-disaster", levels)


def _rule(key: str, patterns: tuple[Pattern, ...], emit: Emit) -> CompiledRule:
    return CompiledRule(key, key, 1, "rule", key, "S", "project", None, True, None, patterns, (emit,), (), "f.yaml", 1, 1)


def test_levels_passing_the_same_tests_form_one_class() -> None:
    rule = _rule("r", (Pattern("c", "criterion", (Cond("name", "eq", "scale"), Cond("level", "gte", 3))),),
                 Emit("finding", (("name", "x"),)))
    classes = level_classes([rule])
    assert {frozenset(group) for group in classes[0]} == {frozenset([1, 2, None]), frozenset([3, 4, 5])}
    assert classes[1] == [list(LEVELS)]       # no rule reads urgency: one class


def test_a_criterion_compared_with_another_fact_is_never_reduced() -> None:
    rule = _rule("r", (Pattern("c", "criterion", (Cond("name", "eq", "risk"),)),
                       Pattern("d", "criterion", (Cond("name", "eq", "scale"), Cond("level", "gt", Ref("c", "level"))))),
                 Emit("finding", (("name", "x"),)))
    classes = level_classes([rule])
    assert classes[CRITERIA.index("scale")] == [[x] for x in LEVELS]
    assert classes[CRITERIA.index("risk")] == [[x] for x in LEVELS]


def test_rules_independent_of_the_criteria_are_split_off_to_run_once_per_class() -> None:
    sub = downstream(RULESET, ["decision"])
    fixed, varying = split_by_criteria(sub)
    assert fixed.rules and varying.rules
    assert not any(p.type == "criterion" for r in fixed.rules for p in r.patterns)
    assert {r.key for r in fixed.rules} | {r.key for r in varying.rules} == {r.key for r in sub.rules}


def test_the_downstream_rules_derive_no_signals_or_criteria() -> None:
    sub = downstream(RULESET, ["decision", "route"])
    assert sub.rules and not any(r.writes & {"signal", "criterion"} for r in sub.rules)
    assert sub.fingerprint != RULESET.fingerprint


def test_a_rule_set_without_a_default_decision_shows_the_gap_as_cubes() -> None:
    gapped = replace(RULESET, rules=tuple(r for r in RULESET.rules
                                          if not any(dict(e.fields).get("value") == "not_recommended" for e in r.emits)))
    found = check_completeness(gapped, run, sample=0)
    gaps = [d for d in found.defects if d.target == "decision" and d.kind == "none"]
    assert gaps and all(d.count > 0 for d in gaps)
    assert all("scale" in describe_cube(c) or "urgency" in describe_cube(c) for d in gaps for c in d.cubes)


def test_cubes_differing_in_one_criterion_merge() -> None:
    a = (frozenset([1]), frozenset([2]), frozenset([3]), frozenset([4]), frozenset([5]))
    b = (frozenset([1]), frozenset([3]), frozenset([3]), frozenset([4]), frozenset([5]))
    c = (frozenset([2]), frozenset([4]), frozenset([3]), frozenset([4]), frozenset([5]))
    merged = merge_cubes([a, b, c])
    assert len(merged) == 2 and merged[0][1] == frozenset([2, 3])
    assert describe_cube(merged[0]) == "scale=1, urgency in {2, 3}, complexity=3, capacity=4, risk=5"


def test_the_situation_classes_are_valid_scenarios_with_derived_indicators() -> None:
    assert situation_problems() == []
    fields = {f.fields["field"] for f in situation_facts(SITUATIONS[0])}
    assert {"hazard.onset", "hazard.count"} <= fields
