"""Values reach the engine exactly and are compared exactly (hardening items 6, 7, 8, 15, 16).

A float is never rounded before it is compared: the engine receives plain decimal text with
every digit ``repr`` needs, and both engines (durable_rules and :mod:`scaleup.engine.pyeval`) agree
with Python's own comparison one ulp either side of every band edge of the shipped rule set.
"""

from __future__ import annotations

import json
import math
import operator

import pytest

from fuzz.outcome import cached_ruleset
from scaleup.engine import pyeval
from scaleup.engine.durable import engine_for
from scaleup.recommendation.evaluate import evaluate
from scaleup.facts import Fact, engine_text, engine_value, float_text
from scaleup.rules.ir import Ref
from scaleup.scenario.load import parse_scenario
from scaleup.display import fmt

PY = {"eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "gte": operator.ge, "lt": operator.lt,
      "lte": operator.le}

BASE = """id: values
title: Values
as_of: 2026-03-20
country: {name: Mozambara, population: 20000000}
hazard: {types: [flood], onset: sudden}
"""


def band_field(rule) -> str:
    """The scenario field a band reads (presumption bands are ``criterion/presumed/field/Ln``)."""
    return next(str(t.value) for t in rule.patterns[0].tests if t.field == "field")


def numeric_bands() -> list:
    """Bands on numeric fields (a categorical band tests with eq or in on text)."""
    return [r for r in cached_ruleset().rules if r.kind == "band"
            and all(t.op in PY and not isinstance(t.value, (Ref, str)) for t in r.patterns[0].tests if t.field == "value")]


def band_edges() -> list[tuple[str, float | int]]:
    """(field, edge) for every numeric edge of every band of the shipped rule set."""
    return sorted({(band_field(r), t.value) for r in numeric_bands() for t in r.patterns[0].tests if t.field == "value"})


def expected_bands(field: str, x: float | int) -> set[str]:
    return {r.key for r in numeric_bands() if band_field(r) == field
            and all(PY[t.op](x, t.value) for t in r.patterns[0].tests if t.field == "value")}


def fired_bands(evaluation, field: str) -> set[str]:
    bands = {r.key for r in numeric_bands() if band_field(r) == field}
    return {f.key for f in evaluation.firings if f.key in bands}


EDGES = band_edges()


def test_the_shipped_rule_set_has_numeric_band_edges() -> None:
    assert len(EDGES) > 40


@pytest.mark.parametrize("field, edge", EDGES, ids=[f"{f}@{e}" for f, e in EDGES])
def test_one_ulp_either_side_of_every_band_edge_both_engines_agree_with_python(field: str, edge: float) -> None:
    engine = engine_for(cached_ruleset())
    for x in (math.nextafter(edge, -math.inf), edge, math.nextafter(edge, math.inf)):
        value = engine_value(x)
        assert value == x                      # nothing rounded on the way
        facts = [Fact("i1", "indicator", {"field": field, "value": value}, "")]
        want = expected_bands(field, x)
        assert fired_bands(engine.evaluate(facts), field) == want, (field, x)
        assert fired_bands(pyeval.run(cached_ruleset(), facts), field) == want, (field, x)


def test_a_value_just_below_a_band_edge_scores_below_it_and_is_shown_as_written() -> None:
    # inform_lcc band [3.5, 5) is level 3; rounding 4.99996 to 4 decimals made it 5 (level 4)
    rec = evaluate(parse_scenario(BASE + "capacity: {inform_lcc: 4.99996}\n", "values.yaml"), cached_ruleset())
    signal = [s for c in rec.criteria for s in c.signals if s.field == "capacity.inform_lcc"][0]
    assert (signal.value, signal.level) == (4.99996, 3)
    assert fmt(4.99996) == "4.99996" and fmt(4.9999999) == "4.9999999" and fmt(5.967741935483871) == "5.9677"


@pytest.mark.parametrize("value, text", [
    (1e-05, "0.00001"), (-1.5e-07, "-0.00000015"), (4.99996, "4.99996"), (0.1, "0.1"),
    (4.999999999999999, "4.999999999999999"), (123456789012.5, "123456789012.5"), (5e-324, None),
])
def test_floats_are_written_in_plain_decimals_that_read_back_exactly(value: float, text: str | None) -> None:
    written = float_text(value)
    assert "e" not in written and float(written) == value and json.loads(engine_text(value)) == value
    assert text is None or written == text


# --- --set values (items 8 and 16) -------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("NaN", "expected a finite number, got nan"), ("Infinity", "expected a finite number, got inf"),
    ("1e400", "expected a finite number, got inf"), ("1e16", "expected a number below 1e+15"),
    ("[1,2]", "expected a number, got a list"), ('{"a":1}', "expected a number, got a mapping"),
    ("null", "expected a number, got null"), ("true", "expected a number, got true"),
    ("1e-05", "a value in level must be a whole number from 1 to 5, got 1e-05"),
    ("-1", "must be a whole number from 1 to 5"), ("0", "must be a whole number from 1 to 5"),
    ("6", "must be a whole number from 1 to 5"), ("4.5", "must be a whole number from 1 to 5"),
])
def test_a_level_parameter_set_for_one_run_is_a_whole_number_from_1_to_5(text: str, message: str) -> None:
    from click.testing import CliRunner
    from scaleup.cli.main import main
    result = CliRunner().invoke(main, ["evaluate", "scenarios/cyclone-coastal.yaml", "--set",
                                       f"recommend_gap_level={text}"])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert result.output.startswith("error: --set: recommend_gap_level: ") and message in result.output


@pytest.mark.parametrize("name, value, ok", [
    ("recommend_gap_level", 4.0, True), ("recommend_gap_level", 5, True),
    ("early_recovery_houses", -5, False), ("early_recovery_houses", 2.5, False), ("early_recovery_houses", 0, True),
    ("health_cmr", 0.00001, True), ("health_cmr", -0.1, False),
])
def test_parameters_set_for_one_run_keep_to_the_range_of_their_unit(name: str, value: object, ok: bool) -> None:
    from scaleup.errors import RulesetError
    from scaleup.rules.load import load_ruleset
    if ok:
        assert load_ruleset("iasc-2018", {name: value}).parameters[name].value == value
    else:
        with pytest.raises(RulesetError) as caught:
            load_ruleset("iasc-2018", {name: value})
        assert caught.value.problems[0].field == name


@pytest.mark.parametrize("value, message", [
    (-5, "must be within the field's range 0 to 10,000,000,000, got -5"), (2.5, "expected a whole number"),
    (float("nan"), "expected a finite number"), ([1], "expected a number, got a list"), (None, "got null"),
])
def test_a_band_edge_set_for_one_run_keeps_to_the_field_range(value: object, message: str) -> None:
    from scaleup.errors import RulesetError
    from scaleup.rules.load import load_ruleset
    key = "scale/populations.in_need.edges[1]"
    with pytest.raises(RulesetError) as caught:
        load_ruleset("iasc-2018", {key: value})
    problem = caught.value.problems[0]
    assert (problem.file, problem.field) == ("--set", key) and message in problem.message


# --- integer literals too long to read (item 6) ------------------------------------------------

def _with_affected(literal: str) -> str:
    return BASE + f"populations: {{affected: {literal}}}\n"


@pytest.mark.parametrize("literal, message", [
    ("0x" + "f" * 9000, "the number has 9000 hexadecimal digits, too many to read"),
    ("0o" + "7" * 6000, "the number has 6000 octal digits, too many to read"),
    ("0x" + "0" * 20 + "f" * 4000, "the number has 4000 hexadecimal digits, too many to read"),
    ("9" * 5000, "the number has 5000 digits, too many to read"),
    ("0x" + "f" * 3571, "must be at most 10000000000, got a number with 4300 digits"),
])
def test_hex_and_octal_integers_are_bounded_before_conversion(literal: str, message: str) -> None:
    from scaleup.errors import ScenarioError
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(_with_affected(literal), "values.yaml")
    problem = caught.value.problems[0]
    assert (problem.line, problem.field) == (6, "populations.affected") and message in problem.message
    assert len(str(problem)) < 400


def test_hex_integers_in_rule_files_are_bounded_too(tmp_path) -> None:
    import shutil
    from scaleup.errors import RulesetError
    from scaleup.rules.load import load_ruleset
    from pathlib import Path
    root = tmp_path / "rs"
    shutil.copytree(Path(__file__).parent.parent / "rulesets" / "iasc-2018", root)
    head = root / "ruleset.yaml"
    head.write_text(head.read_text(encoding="utf-8").replace("    value: 10000\n", "    value: 0x" + "f" * 9000 + "\n", 1),
                    encoding="utf-8")
    with pytest.raises(RulesetError) as caught:
        load_ruleset(root)
    assert "9000 hexadecimal digits, too many to read" in caught.value.problems[0].message


# --- dates (item 7) ------------------------------------------------------------------------------

@pytest.mark.parametrize("extra, field", [
    ("activation: {date: 9999-12-31}\n", "activation.date"),
    ("capacity: {flash_appeal_date: 9999-12-31}\n", "capacity.flash_appeal_date"),
])
def test_dates_near_year_9999_are_refused_at_validation(extra: str, field: str) -> None:
    from scaleup.errors import ScenarioError
    text = BASE.replace("as_of: 2026-03-20", "as_of: 9999-12-31") + extra
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "values.yaml")
    got = {(p.field, p.message, p.hint) for p in caught.value.problems}
    message = "9999-12-31 is outside the dates scaleup accepts (1900-01-01 to 2100-12-31)"
    hint = "give a date from 1900-01-01 to 2100-12-31"   # was "check both figures; they must be consistent"
    assert ("as_of", message, hint) in got
    assert (field, message, hint) in got


def test_an_activation_late_in_2100_still_gets_its_milestone_dates() -> None:
    text = BASE.replace("as_of: 2026-03-20", "as_of: 2100-12-31") + (
        "populations: {affected: 3000000}\nactivation: {date: 2100-12-31, extensions: [{date: 2100-12-31, months: 3}]}\n")
    rec = evaluate(parse_scenario(text, "values.yaml"), cached_ruleset())
    assert any(m.date and m.date.year >= 2101 for m in rec.milestones), rec.milestones


def test_an_extension_and_a_start_before_1900_are_refused() -> None:
    from scaleup.errors import ScenarioError
    text = BASE.replace("hazard: {types: [flood], onset: sudden}", "hazard: {types: [flood], onset: sudden, started: 1899-12-31}")
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "values.yaml")
    assert [(p.line, p.field) for p in caught.value.problems] == [(5, "hazard.started")]


def test_an_exercise_baseline_dated_9999_is_a_located_error_not_an_overflow(tmp_path) -> None:
    import shutil
    from pathlib import Path
    from scaleup.errors import ScenarioError
    from scaleup.exercise.load import load_exercise
    src = Path(__file__).parent / "fixtures" / "exercises"
    shutil.copytree(src, tmp_path / "ex")
    drill = tmp_path / "ex" / "drill.yaml"
    drill.write_text(drill.read_text(encoding="utf-8").replace("as_of: 2026-03-15", "as_of: 9999-12-31", 1),
                     encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_exercise(drill)
    assert any("9999-12-31 is outside the dates scaleup accepts" in p.message for p in caught.value.problems)


# --- cross-field plausibility (item 18) ----------------------------------------------------------

def _problems(text: str) -> set[tuple[str, str]]:
    from scaleup.errors import ScenarioError
    try:
        parse_scenario(text, "values.yaml")
    except ScenarioError as exc:
        return {(p.field, p.message) for p in exc.problems}
    return set()


def test_one_person_affected_and_45000_houses_destroyed_is_refused_not_scored_5() -> None:
    text = BASE.replace("population: 20000000", "population: 1") + (
        "populations: {affected: 1}\nimpact: {houses_destroyed: 45000}\n")
    assert _problems(text) == {("impact.houses_destroyed", "45,000 destroyed houses is more than one per affected "
                                                           "person (populations.affected: 1)")}


@pytest.mark.parametrize("extra, field", [
    ("impact: {houses_destroyed: 45000}\n", "impact.houses_destroyed"),           # vs the population
    ("populations: {affected: 100}\nimpact: {deaths: 101}\n", "impact.deaths"),
    ("populations: {in_need: 30000000}\n", "populations.in_need"),
    ("populations: {idps: 30000000}\n", "populations.idps"),
    ("food_security: {ipc_phase3plus_population: 30000000}\n", "food_security.ipc_phase3plus_population"),
])
def test_figures_that_cannot_describe_one_crisis_are_refused(extra: str, field: str) -> None:
    text = BASE.replace("population: 20000000", "population: 20000") + extra
    assert field in {f for f, _ in _problems(text)}


def test_plausible_figures_and_a_missing_population_pass() -> None:
    assert _problems(BASE + "populations: {affected: 50000, in_need: 30000}\nimpact: {houses_destroyed: 9000, deaths: 40}\n") == set()
    assert _problems(BASE.replace(", population: 20000000", "") + "populations: {in_need: 30000000}\n"
                     "impact: {houses_destroyed: 45000}\n") == set()
