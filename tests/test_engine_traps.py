"""Every durable_rules trap reachable from a scenario file (docs/engine.md, "What data may reach
the C core") is refused with a located error or normalised before the engine sees it (issue 8).

Normalised values are checked where they enter the engine: a spy on ``Engine.evaluate`` records
the facts it is given.
"""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz.cases import scenario_case
from fuzz.outcome import cached_ruleset
from scaleup.engine.durable import Engine
from scaleup.errors import ScenarioError
from scaleup.recommendation.evaluate import evaluate
from scaleup.facts import MAX_INT, MAX_STRING, Fact, engine_text, engine_value
from scaleup.scenario.load import parse_scenario

BASE = """id: traps
title: Engine traps
as_of: 2026-03-20
country: {name: Mozambara, population: 2000000000}
hazard: {types: [flood], onset: sudden}
"""


@pytest.fixture
def engine_facts(monkeypatch: pytest.MonkeyPatch) -> list[Fact]:
    """The facts the next evaluations hand to the engine."""
    seen: list[Fact] = []
    original = Engine.evaluate

    def spy(self: Engine, facts: Any, label: str = "<scenario>") -> Any:
        seen.extend(facts)
        return original(self, facts, label)

    monkeypatch.setattr(Engine, "evaluate", spy)
    return seen


def engine_values(text: str, facts: list[Fact]) -> dict[str, Any]:
    """Evaluate BASE + text and return {indicator field: engine value} as the engine got them."""
    evaluate(parse_scenario(BASE + text, "traps.yaml"), cached_ruleset())
    return {f.fields["field"]: f.fields["value"] for f in facts}


def refusal(text: str, fmt: str = "yaml") -> list[tuple[int | None, str, str]]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text if fmt == "json" else BASE + text, f"traps.{fmt}", fmt)
    return [(p.line, p.field, p.message) for p in caught.value.problems]


@pytest.mark.parametrize("text, line, field, message", [
    # nested dicts (a segfault with long keys) never get past the model
    # a mapping on a numeric indicator is read as an uncertain range (docs/uncertainty.md)
    ("populations: {affected: {a: 1}}", 6, "populations.affected.a", "unknown key of a range; expected low, mode, high"),
    ("populations:\n  extra: {" + "k" * 1000 + ": {deeper: 1}}", 7, "populations.extra", "unknown field"),
    # NaN and infinities (NaN matches nothing, inf raises)
    ("health_nutrition: {cmr: .nan}", 6, "health_nutrition.cmr", "infinite and NaN values are not allowed (found .nan)"),
    ("health_nutrition: {cmr: .inf}", 6, "health_nutrition.cmr", "infinite and NaN values are not allowed (found .inf)"),
    ("health_nutrition: {cmr: nan}", 6, "health_nutrition.cmr", "expected a number, got the text 'nan'"),
    # numeric strings (compared as strings: '50' > 100 is true)
    ("populations: {affected: '50'}", 6, "populations.affected", "expected a number, got the text '50'"),
    ("health_nutrition: {gam_pct: \"12.5\"}", 6, "health_nutrition.gam_pct", "expected a number, got the text '12.5'"),
    # booleans where numbers belong (True == 1 in the engine), numbers where booleans belong
    ("populations: {affected: true}", 6, "populations.affected", "expected a number, got the boolean true"),
    ("capacity: {rc_present: 1}", 6, "capacity.rc_present", "expected true or false, got 1"),
    ("capacity: {rc_present: yes}", 6, "capacity.rc_present", "expected true or false, got the text 'yes'"),
    # dotted, uppercase and non-ASCII keys (a key a.b aliases {a: {b: ...}})
    ("populations.affected: 1000", 6, "populations.affected", "unknown field"),
    ("populations: {a.b: 1}", 6, "populations.a.b", "unknown field"),
    ("populations: {Affected: 1000}", 6, "populations.Affected", "unknown field"),
    ("populations: {afféctéd: 1000}", 6, "populations.afféctéd", "unknown field"),
    # user keys the engine treats specially
    ("populations: {id: 1}", 6, "populations.id", "unknown field"),
    ("impact: {sid: 1}", 6, "impact.sid", "unknown field"),
    ("capacity: {t: indicator}", 6, "capacity.t", "unknown field"),
    # integers beyond 2**53 (and 2**63, where atoll saturates)
    ("populations: {affected: 9007199254740993}", 6, "populations.affected", "must be at most 10000000000"),
    ("populations: {affected: 18446744073709551616}", 6, "populations.affected", "must be at most 10000000000"),
    # exponent floats the model cannot take: too large for any field
    ("populations: {affected: 1e+16}", 6, "populations.affected", "must be at most 10000000000, got 1e+16"),
    # lone surrogates (pyAssertFact: Invalid argument) and very long strings (16 MiB: code 314)
    ('capacity: {lead_deliverer: "a\\ud800b"}', 6, "capacity.lead_deliverer", "U+D800, half of a UTF-16 surrogate pair"),
    ("capacity: {lead_deliverer: " + "x" * 201 + "}", 6, "capacity.lead_deliverer", "at most 200 characters"),
])
def test_each_engine_trap_in_a_scenario_is_a_located_error(text: str, line: int, field: str, message: str) -> None:
    problems = refusal(text)
    assert any(p[0] == line and p[1] == field and message in p[2] for p in problems), problems


def test_the_same_hazard_twice_is_refused_so_no_identical_facts_are_asserted() -> None:
    # Asserting the same fact twice raises MessageObservedException in the engine.
    text = BASE.replace("types: [flood]", "types: [flood, flood]")
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "traps.yaml")
    assert [(p.line, p.field, p.message) for p in caught.value.problems] == [
        (5, "hazard.types", "lists the same hazard twice")]


def test_json_lone_surrogates_and_nan_are_located() -> None:
    text = ('{"id": "traps", "title": "t", "as_of": "2026-03-20", "country": {"name": "\\udc00", '
            '"population": 1000},\n "hazard": {"types": ["flood"], "onset": "sudden"},\n'
            ' "health_nutrition": {"cmr": NaN}}')
    assert refusal(text, "json") == [
        (1, "country.name", "the text contains U+DC00, half of a UTF-16 surrogate pair, which is not a character"),
        (3, "health_nutrition.cmr", "infinite and NaN values are not allowed (found NaN)")]


@pytest.mark.parametrize("text, field, value", [
    # exponent floats stay exact (the engine receives 1e-05 as "0.00001": the C parser refuses "1e-05")
    ("health_nutrition: {cmr: 1e-05}", "health_nutrition.cmr", 0.00001),
    ("health_nutrition: {cmr: 0.00015}", "health_nutrition.cmr", 0.00015),
    ("health_nutrition: {cmr: 2.5e+2}", "health_nutrition.cmr", 250),
    ("health_nutrition: {gam_pct: 12.345678}", "health_nutrition.gam_pct", 12.345678),
    # integral floats are ints (4 and 4.0 would be two different facts), -0.0 is 0
    ("health_nutrition: {cmr: 2.0}", "health_nutrition.cmr", 2),
    ("health_nutrition: {cmr: -0.0}", "health_nutrition.cmr", 0),
    ("context: {access_constraints: 3.0}", "context.access_constraints", 3),
    ("populations: {affected: 1.5e6}", "populations.affected", 1_500_000),
    # booleans are the strings "true"/"false" (the engine would treat True as 1)
    ("capacity: {rc_present: true, hc_designated: false}", "capacity.rc_present", "true"),
    ("capacity: {rc_present: true, hc_designated: false}", "capacity.hc_designated", "false"),
    # a numeric-looking text stays text in a text field
    ("capacity: {lead_deliverer: \"50\"}", "capacity.lead_deliverer", "50"),
    # long but allowed text reaches the engine intact
    ("capacity: {lead_deliverer: " + "é" * 200 + "}", "capacity.lead_deliverer", "é" * 200),
    # the largest counts stay far below 2**53, derived values too
    ("populations: {affected: 2000000000, in_need: 1}\ncapacity: {people_reached: 2000000000}",
     "capacity.reach_pct", 200_000_000_000),
])
def test_values_are_normalised_before_the_engine(text: str, field: str, value: Any, engine_facts: list[Fact]) -> None:
    got = engine_values(text, engine_facts)[field]
    assert got == value and type(got) is type(value), f"{field}: {got!r}"


@pytest.mark.parametrize("text", ["health_nutrition: {cmr: ~}", "impact: {deaths: }", "impact: {deaths: null}"])
def test_null_never_reaches_the_engine(text: str, engine_facts: list[Fact]) -> None:
    # None matches nothing in the engine, not even !=: a null field is simply not a fact.
    values = engine_values(text, engine_facts)
    assert "health_nutrition.cmr" not in values and "impact.deaths" not in values
    assert None not in values.values()


def test_the_engine_value_normaliser_refuses_what_the_engine_mishandles() -> None:
    for bad in (float("nan"), float("inf"), -float("inf"), 2**53 + 1, -(2**53) - 1, 10**400, None,
                {"a": 1}, [1], b"bytes", "x" * (MAX_STRING + 1), "a\ud800", 1e15 + 0.5, 1e16 + 0.5):
        with pytest.raises(ValueError):
            engine_value(bad)
    assert engine_value(True) == "true" and engine_value(False) == "false"
    assert engine_value(2**53) == 2**53 and engine_value(1e-320) == 1e-320 and engine_value(4.0) == 4


def invariant_problems(facts: list[Fact]) -> list[str]:
    """What would be unsafe to assert: docs/engine.md's input rules as checks on the engine's facts."""
    problems = []
    keys = [f.key for f in facts]
    if len(set(keys)) != len(keys):
        problems.append("two facts with the same content")
    for f in facts:
        if set(f.fields) != {"field", "value"} or f.type != "indicator":
            problems.append(f"{f.id}: fields {sorted(f.fields)}")
        for name, v in f.fields.items():
            if type(v) not in (int, float, str):
                problems.append(f"{f.id}.{name}: {type(v).__name__}")
            elif isinstance(v, int) and abs(v) > MAX_INT:
                problems.append(f"{f.id}.{name}: {v} beyond 2**53")
            elif isinstance(v, float) and (not math.isfinite(v) or "e" in engine_text(v) or v.is_integer()):
                problems.append(f"{f.id}.{name}: float {v!r}")
            elif isinstance(v, str) and (len(v) > MAX_STRING or any(0xD800 <= ord(c) <= 0xDFFF for c in v)):
                problems.append(f"{f.id}.{name}: unsafe text")
    return problems


@settings(derandomize=True, database=None, deadline=None, max_examples=120,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rnd=st.randoms(use_true_random=False, note_method_calls=False))
def test_every_fact_of_any_valid_scenario_is_safe_for_the_engine(rnd: random.Random) -> None:
    case = scenario_case(rnd)
    try:
        loaded = parse_scenario(case.raw, case.name, case.fmt)
    except ScenarioError:
        return
    assert invariant_problems(loaded.facts()) == [], case.how


def test_the_invariants_catch_unsafe_facts() -> None:
    # The property above is only as good as this checker.
    bad = [Fact("i1", "indicator", {"field": "a", "value": float("nan")}, ""),
           Fact("i2", "indicator", {"field": "a", "value": 2**60}, ""),
           Fact("i3", "indicator", {"field": "a", "value": True}, ""),
           Fact("i4", "indicator", {"field": "a", "value": 4.0}, ""),
           Fact("i5", "indicator", {"field": "a", "value": "x", "id": 1}, ""),
           Fact("i6", "indicator", {"field": "a", "value": "\ud800"}, ""),
           Fact("i7", "indicator", {"field": "a", "value": "\ud800"}, "")]
    assert len(invariant_problems(bad)) == 8
