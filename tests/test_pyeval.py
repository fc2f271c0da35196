"""The pure-Python evaluator agrees with durable_rules, and reports which conditions held."""

from __future__ import annotations

import os

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any, Optional

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from scaleup.engine import pyeval
from scaleup.engine.audit import Evaluation
from scaleup.engine.durable import Engine, engine_for
from scaleup.errors import ScaleupError
from scaleup.facts import Fact
from scaleup.scenario.fields import CATALOGUE
from scaleup.scenario.inputs import Skipped, read_scenario
from scaleup.rules.ir import CompiledRule, Emit, Pattern, Ref
from scaleup.rules.ir import Test as Cond
from scaleup.rules.load import load_ruleset
from scaleup.scenario.model import Scenario, cross_field_problems
from scaleup.scenario.load import LoadedScenario, parse_scenario

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = [p for p in sorted((ROOT / "scenarios").rglob("*.yaml")) if not isinstance(read_scenario(p), Skipped)]
RULESET = load_ruleset("iasc-2018")
FROZEN = load_ruleset(str(ROOT / "tests/fixtures/explain/ruleset"))   # rule content the checks below rely on


def signature(ev: Evaluation) -> tuple[set, set]:
    """What both engines must agree on: firings by content, and derived facts by content."""
    firings = {(f.key, tuple(ev.fact(m).key for m in f.matched)) for f in ev.firings}
    derived = {f.key for f in ev.facts if f.id.startswith("d")}
    return firings, derived


def both(facts: list[Fact], ruleset=RULESET) -> tuple[Evaluation, Evaluation]:
    return engine_for(ruleset).evaluate(facts), pyeval.run(ruleset, facts)


# --- semantics, on small hand-made rule sets ---------------------------------------------------

def rule(key: str, patterns: list[Pattern], stratum: int = 0) -> CompiledRule:
    return CompiledRule(key, key, 1, "rule", key, "SCALEUP-PROJECT", "project", None, True, None,
                        tuple(patterns), (Emit("note", (("text", key),)),), (), "test", 1, stratum)


def ind(field: str, *tests: Cond, alias: str = "a", negated: bool = False) -> Pattern:
    return Pattern(alias, "indicator", (Cond("field", "eq", field),) + tests, negated)


FACTS = [Fact("i1", "indicator", {"field": "t.text", "value": "abc"}, "x"),
         Fact("i2", "indicator", {"field": "t.one", "value": 1}, "x"),
         Fact("i3", "indicator", {"field": "t.two", "value": 2}, "x"),
         Fact("i4", "finding", {"name": "x"}, "x"),
         Fact("i5", "indicator", {"field": "t.multi", "value": 1}, "x"),
         Fact("i6", "indicator", {"field": "t.multi", "value": 2.5}, "x")]

# Each rule: (rule, fires on durable_rules as measured). An always-firing rule keeps durable_rules
# from crashing in delete_state when nothing else fires.
SEMANTICS = [
    (rule("always", [ind("t.one")]), True),
    (rule("negation-ignores-a-fact-bound-earlier", [
        Pattern("a", "finding", (Cond("name", "eq", "x"),)),
        Pattern("b", "finding", (Cond("name", "eq", "x"),), True)], 1), True),
    (rule("negation-first-sees-every-fact", [
        Pattern("b", "finding", (Cond("name", "eq", "x"),), True),
        Pattern("a", "finding", (Cond("name", "eq", "x"),))], 1), False),
    (rule("ne-on-a-missing-field-is-false", [ind("t.one", Cond("level", "ne", 5))]), False),
    (rule("not-in-on-a-missing-field-is-false", [ind("t.one", Cond("level", "not_in", (5,)))]), False),
    (rule("one-fact-binds-one-pattern", [ind("t.two"), ind("t.two", alias="b")]), False),
    (rule("two-facts-fire-per-ordered-pair", [ind("t.multi"), ind("t.multi", alias="b")]), True),
    (rule("int-and-float-compare-as-numbers", [ind("t.two", Cond("value", "gte", 1.5))]), True),
    (rule("a-reference-compares-across-facts", [
        ind("t.multi"), ind("t.multi", Cond("value", "gt", Ref("a", "value")), alias="b", negated=True)], 1), True),
    (rule("in-is-membership", [ind("t.text", Cond("value", "in", ("x", "abc")))]), True),
    (rule("not-in-excludes-members", [ind("t.text", Cond("value", "not_in", ("abc",)))]), False),
    (rule("strings-compare-as-strings", [ind("t.text", Cond("value", "lt", "b"))]), True),
]


def tiny_ruleset(rules: list[CompiledRule], name: str):
    return dataclasses.replace(RULESET, rules=tuple(rules), strata=max(r.stratum for r in rules),
                               overrides=(("test", name),))


@pytest.mark.parametrize("case,fires", SEMANTICS[1:], ids=[r.key for r, _ in SEMANTICS[1:]])
def test_the_python_evaluator_mirrors_a_measured_durable_rules_behaviour(case: CompiledRule, fires: bool) -> None:
    ruleset = tiny_ruleset([SEMANTICS[0][0], case], case.key)
    engine = Engine(ruleset)
    try:
        reference = engine.evaluate(FACTS)
    finally:
        engine.close()
    ours = pyeval.run(ruleset, FACTS)
    assert signature(ours) == signature(reference)
    assert (case.key in {f.key for f in ours.firings}) is fires


def test_a_pair_of_facts_fires_once_per_ordered_combination() -> None:
    ruleset = tiny_ruleset([SEMANTICS[0][0], SEMANTICS[6][0]], "pairs")
    ev = pyeval.run(ruleset, FACTS)
    pairs = [f.matched for f in ev.firings if f.key == "two-facts-fire-per-ordered-pair"]
    assert sorted(pairs) == [("i5", "i6"), ("i6", "i5")]


def test_an_existing_fact_asserted_again_is_recorded_as_reasserted() -> None:
    ruleset = tiny_ruleset([SEMANTICS[0][0], SEMANTICS[6][0]], "again")
    ev = pyeval.run(ruleset, FACTS)
    notes = [f for f in ev.firings if f.key == "two-facts-fire-per-ordered-pair"]
    assert [len(f.asserted) for f in notes] == [1, 0]
    assert notes[1].reasserted == notes[0].asserted
    assert [f.id for f in ev.facts[len(FACTS):]] == ["d1", "d2"]


def test_string_and_number_never_compare() -> None:
    assert not pyeval.compare("ne", "5", 5)
    assert not pyeval.compare("gt", "abc", 3)
    assert not pyeval.compare("eq", 2, "2")
    assert pyeval.compare("not_in", "5", (5,))


def test_a_rule_copying_a_missing_field_is_an_engine_error() -> None:
    bad = dataclasses.replace(SEMANTICS[0][0], key="copy", id="copy",
                              emits=(Emit("note", (("text", Ref("a", "level")),)),))
    with pytest.raises(ScaleupError, match="copies"):
        pyeval.run(tiny_ruleset([bad], "copy"), FACTS)


# --- the shipped rule set on the shipped scenarios --------------------------------------------

@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_durable_rules_and_the_python_evaluator_agree_on_a_shipped_scenario(path: Path) -> None:
    item = read_scenario(path)
    if not isinstance(item, LoadedScenario):
        pytest.skip(f"{path.name} is not a valid scenario ({type(item).__name__})")
    reference, ours = both(item.facts())
    assert signature(ours) == signature(reference)
    assert [f.id for f in ours.facts if f.id.startswith("i")] == [f.id for f in item.facts()]


def test_check_rule_says_which_condition_blocked_a_decision() -> None:
    loaded = parse_scenario((ROOT / "tests/fixtures/explain/cyclone-frozen.yaml").read_text(), "cyclone.yaml")
    ev = pyeval.run(FROZEN, loaded.facts())
    results = pyeval.check_rule(FROZEN, ev, "decision.consider")
    assert [r.held for r in results] == [True, True, False]
    assert results[2].pattern.negated and results[2].fact is not None
    assert results[2].fact.fields == {"name": "recommend_threshold"}


def test_check_rule_reports_the_closest_candidate_and_a_missing_indicator() -> None:
    loaded = parse_scenario((ROOT / "tests/fixtures/explain/flood-consider.yaml").read_text(), "flood.yaml")
    ev = pyeval.run(FROZEN, loaded.facts())
    [band] = pyeval.check_rule(FROZEN, ev, "scale/populations.in_need/L3")
    assert not band.held and band.fact is not None
    failed = [r for r in band.tests if not r.passed]
    assert [(r.test.op, r.observed, r.expected) for r in failed] == [("gte", 180000, 500000)]
    [missing] = pyeval.check_rule(FROZEN, ev, "urgency/health_nutrition.u5mr/L4")
    assert missing.fact is None and not missing.held


# --- generated scenarios ------------------------------------------------------------------------

def _edges(field: str) -> list[float]:
    """Every number the rule set compares the field with, and its neighbours."""
    values: set[float] = set()
    for r in RULESET.rules:
        for p in r.patterns:
            if p.type == "indicator" and pyeval._field_eq(p) == field:
                for t in p.tests:
                    if t.field == "value" and pyeval._is_number(t.value):
                        values.update({t.value, t.value + 1, max(t.value - 1, 0), t.value * 0.99})
    return sorted(values)


LIMITS = [  # (field, limit): the cross-field rules, applied by clamping
    ("populations.affected", "country.population"), ("populations.in_need", "populations.affected"),
    ("populations.idps", "populations.affected"), ("populations.refugees", "populations.affected"),
    ("populations.non_displaced_affected", "populations.affected"),
    ("capacity.people_reached", "populations.affected"), ("populations.idps_new_30d", "populations.idps"),
    ("populations.refugees_new_30d", "populations.refugees"), ("impact.deaths", "country.population"),
    ("impact.deaths_30d", "impact.deaths"), ("food_security.ipc_phase4plus_pct", "food_security.ipc_phase3plus_pct"),
    ("food_security.ipc_phase5_population", "country.population"), ("health_nutrition.sam_pct", "health_nutrition.gam_pct"),
]


def _get(data: dict, path: str) -> Any:
    for part in path.split("."):
        data = data.get(part) if isinstance(data, dict) else None  # type: ignore[assignment]
    return data


def _set(data: dict, path: str, value: Any) -> None:
    *head, last = path.split(".")
    for part in head:
        data = data.setdefault(part, {})
    if value is None:
        data.pop(last, None)
    else:
        data[last] = value


@st.composite
def scenarios(draw: st.DrawFn) -> dict:
    """A valid scenario document: every catalogue field present or not, values near band edges."""
    types = draw(st.lists(st.sampled_from(CATALOGUE["hazard.types"].values), min_size=1, max_size=3, unique=True))
    population = draw(st.sampled_from([50_000, 2_000_000, 31_000_000, 200_000_000]))
    data: dict = {"id": "generated", "title": "A generated crisis", "as_of": "2026-03-20",
                  "country": {"name": "Testland", "population": population},
                  "hazard": {"types": types, "onset": draw(st.sampled_from(CATALOGUE["hazard.onset"].values))}}
    for path, info in CATALOGUE.items():
        if info.formula or path.startswith(("country.", "activation.", "hazard.types", "hazard.onset")):
            continue
        if info.kind == "text" or not draw(st.booleans()):
            continue
        if info.kind in ("enum", "bool"):
            value: Any = draw(st.sampled_from(info.values))
            value = {"true": True, "false": False}.get(value, value) if info.kind == "bool" else value
        else:
            top = min(info.le if info.le is not None else 1e9, 1e8)
            low = info.ge or 0
            near = [e for e in _edges(path) if low <= e <= top]
            if info.kind == "int":
                near = [int(e) for e in near]
                value = draw(st.sampled_from(near) | st.integers(int(low), int(top)) if near else st.integers(int(low), int(top)))
            else:
                raw = st.floats(low, top, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 2))
                value = draw(st.sampled_from(near) | raw if near else raw)
        _set(data, path, value)
    if "epidemic" in types:
        data.setdefault("outbreak", {})["disease"] = "cholera"
    else:
        data.pop("outbreak", None)
    if draw(st.booleans()):
        data["activation"] = {"date": str(dt.date(2026, 3, 20) - dt.timedelta(days=draw(st.integers(0, 900)))),
                              "opr_done": draw(st.booleans())}
    for field, limit in LIMITS:
        value, cap = _get(data, field), _get(data, limit)
        if value is not None and cap is not None and value > cap:
            _set(data, field, cap)
    return data


def load_generated(data: dict) -> Optional[LoadedScenario]:
    """Validate; drop any field still inconsistent with another (rules added after this test)."""
    for _ in range(5):
        scenario = Scenario.model_validate(data)
        problems = list(cross_field_problems(scenario))
        if not problems:
            return parse_scenario(json.dumps(data), "generated.json", fmt="json")
        for path, _message in problems:
            if path.split("[")[0] in ("hazard.types", "outbreak"):
                data.pop("outbreak", None)
            else:
                _set(data, path.split("[")[0], None)
    return None


# 300 examples in the suite; SCALEUP_PYEVAL_EXAMPLES=5000 (or more) for a long run
@settings(max_examples=int(os.environ.get("SCALEUP_PYEVAL_EXAMPLES", "300")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(scenarios())
def test_durable_rules_and_the_python_evaluator_agree_on_generated_scenarios(data: dict) -> None:
    loaded = load_generated(data)
    assume(loaded is not None)
    reference, ours = both(loaded.facts())  # type: ignore[union-attr]
    assert signature(ours) == signature(reference)
