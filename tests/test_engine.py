"""The durable_rules wrapper: the docs/engine.md traps it closes, isolation between evaluations, and
the audit trail it records."""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import re
import subprocess
import sys
from pathlib import Path

import durable_rules_engine
import pytest
import yaml

from scaleup.engine import durable as engine_module
from scaleup.engine.audit import walk
from scaleup.engine.durable import Engine, engine_for
from scaleup.errors import EngineError
from scaleup.recommendation.evaluate import evaluate, evaluate_traced
from scaleup.facts import MAX_INT, engine_text, engine_value
from scaleup.scenario.fields import CATALOGUE
from scaleup.render.json import render as render_json
from scaleup.rules.load import load_ruleset
from scaleup.scenario.load import load_scenario, parse_scenario
from scaleup.schemas import scenario_template

ROOT = Path(__file__).resolve().parent.parent
TRAPS = ROOT / "tests" / "fixtures" / "rulesets" / "traps"
CYCLONE = ROOT / "scenarios" / "cyclone-coastal.yaml"
GOLDEN = sorted((ROOT / "tests" / "fixtures" / "golden").glob("*.yaml"))

SCENARIO = """\
id: trap
title: A scenario for the trap rules
as_of: 2026-03-20
country: {{name: Mozambara, population: 31000000}}
hazard: {{types: [cyclone], onset: sudden}}
{extra}
"""


def scenario(extra: str = "", name: str = "trap.yaml"):
    return parse_scenario(SCENARIO.format(extra=extra), name)


@pytest.fixture(scope="module")
def traps():
    return load_ruleset(TRAPS)


def test_durable_rules_imports_and_evaluates_a_scenario() -> None:
    import durable_rules_engine  # the C extension: an install can succeed and still fail here
    assert hasattr(durable_rules_engine, "create_ruleset")
    ev = engine_for(load_ruleset()).evaluate(load_scenario(CYCLONE).facts(), "cyclone")
    assert ev.firings and ev.of_type("decision")


# --- negation after a later fact --------------------------------------------------------------

def test_a_rule_negating_a_fact_derived_later_does_not_fire_when_that_fact_exists(traps) -> None:
    ev = Engine(traps).evaluate(scenario("populations: {affected: 1000}").facts())
    assert "finding.late" in ev.fired_rules()
    assert "flag.no-late-finding" not in ev.fired_rules()


def test_the_same_negation_fires_when_the_fact_is_absent(traps) -> None:
    ev = Engine(traps).evaluate(scenario().facts())
    assert "flag.no-late-finding" in ev.fired_rules()
    assert [f.fields["name"] for f in ev.of_type("flag")] == ["no_late_finding"]


def test_without_strata_durable_rules_would_fire_that_negation_wrongly(traps) -> None:
    # The trap is real: the same rules run in one phase, in file order, fire the negated rule.
    flat = dataclasses.replace(
        traps, strata=0, overrides=(("flat", 1),),
        rules=tuple(sorted((dataclasses.replace(r, stratum=0) for r in traps.rules), key=lambda r: r.line)))
    ev = Engine(flat).evaluate(scenario("populations: {affected: 1000}").facts())
    assert {"flag.no-late-finding", "finding.late"} <= set(ev.fired_rules())


# --- unhandled facts -----------------------------------------------------------------------------

def test_facts_no_rule_reads_do_not_raise(traps) -> None:
    loaded = parse_scenario(scenario_template(), "template.yaml")
    ev = Engine(traps).evaluate(loaded.facts())
    assert len(ev.facts) > len(loaded.facts())     # evaluated, and derived facts kept
    assert [f.fields["text"] for f in ev.of_type("note")] == ["nobody reads this"]


def test_an_input_with_no_rule_at_all_for_its_type_is_still_evaluated(traps) -> None:
    ev = Engine(traps).evaluate(scenario("risk: {leadership_gap: true}").facts())
    assert any(f.fields.get("field") == "risk.leadership_gap" for f in ev.facts)


# --- exceptions inside actions -------------------------------------------------------------------

def test_an_exception_inside_an_action_raises_engine_error_naming_the_rule(traps, monkeypatch) -> None:
    eng = Engine(traps)
    facts = scenario("impact: {geographic_spread: nationwide}").facts()
    good = eng.evaluate(facts)

    def broken(value):
        raise KeyError("lookup failed")
    monkeypatch.setattr(engine_module, "engine_value", broken)   # every Ref lookup in an action fails
    with pytest.raises(EngineError) as caught:
        eng.evaluate(facts, "trap.yaml")
    problem = caught.value.problems[0]
    assert (problem.file, problem.field) == ("trap.yaml", "situation.copy-spread")
    assert "rule action failed: KeyError" in problem.message
    monkeypatch.undo()
    assert eng.evaluate(facts) == good            # the failed run left nothing behind


def test_a_failure_inside_the_engine_is_an_engine_error_and_the_engine_starts_afresh(traps, monkeypatch) -> None:
    eng = Engine(traps)
    facts = scenario("populations: {affected: 1000}").facts()
    good = eng.evaluate(facts)
    old_handle, old_name = eng._handle, eng.name
    deleted = []
    monkeypatch.setattr(durable_rules_engine, "delete_state", lambda *a: deleted.append(a))

    def phase_fails(*args):
        raise RuntimeError("boom")
    monkeypatch.setattr(durable_rules_engine, "assert_fact", phase_fails)
    with pytest.raises(EngineError, match="the rule engine failed: RuntimeError: boom"):
        eng.evaluate(facts, "trap.yaml")
    # A state a failure may have corrupted is never deleted (durable can segfault there):
    # the rules are registered afresh under a new name instead.
    assert not deleted
    assert eng._handle != old_handle and eng.name != old_name
    monkeypatch.undo()
    assert eng.evaluate(facts) == good


NO_FIRING = """\
id: quiet
version: 1.0.0
title: A rule set in which nothing fires for an ordinary scenario
effective_from: 2020-01-01
sources: {S: {title: Test source}}
include: [rules.yaml]
"""
NO_FIRING_RULES = """\
rules:
  - id: never
    title: Only for enormous crises
    source: S
    basis: project
    when: [{fact: indicator, field: populations.affected, value: {gt: 1000000000}}]
    then: [{assert: {fact: note, text: enormous}}]
"""


def test_a_rule_set_in_which_no_rule_fires_does_not_crash_the_engine(tmp_path) -> None:
    # durable_rules' delete_state segfaults on a state where no action ran; the engine's
    # internal final-phase rule always fires. Run in a subprocess so a regression fails cleanly.
    (tmp_path / "ruleset.yaml").write_text(NO_FIRING)
    (tmp_path / "rules.yaml").write_text(NO_FIRING_RULES)
    code = (
        "from scaleup.rules.load import load_ruleset\n"
        "from scaleup.engine.durable import Engine\n"
        "from scaleup.scenario.load import parse_scenario\n"
        f"rs = load_ruleset({str(tmp_path)!r})\n"
        "s = parse_scenario('id: q\\ntitle: q\\nas_of: 2026-01-01\\ncountry: {name: Q, population: 10}\\n"
        "hazard: {types: [flood], onset: sudden}\\n', 'q.yaml')\n"
        "eng = Engine(rs)\n"
        "for _ in range(3):\n"
        "    assert eng.evaluate(s.facts()).firings == ()\n"
        "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def _observed(real, *markers):
    """durable_rules' assert answering "already observed" for the facts containing one of
    ``markers``: what a hash collision between two facts of one state looks like from outside."""
    return lambda handle, text: (2, real(handle, text)[1]) if any(m in text for m in markers) else real(handle, text)


def _same(a, b) -> bool:
    return ([f.to_dict() for f in a.facts] == [f.to_dict() for f in b.facts]
            and [f.to_dict() for f in a.firings] == [f.to_dict() for f in b.firings])


def test_a_derived_fact_lost_to_a_hash_collision_is_recovered_by_a_salted_run(traps, monkeypatch) -> None:
    eng = Engine(traps)
    clean = eng.evaluate(scenario().facts())
    monkeypatch.setattr(durable_rules_engine, "assert_fact", _observed(durable_rules_engine.assert_fact, '"fid": "d1"'))
    assert _same(eng.evaluate(scenario().facts(), "trap.yaml"), clean)


def test_an_input_fact_lost_to_a_hash_collision_is_recovered_by_a_salted_run(traps, monkeypatch) -> None:
    eng = Engine(traps)
    clean = eng.evaluate(scenario().facts())
    monkeypatch.setattr(durable_rules_engine, "assert_facts", _observed(durable_rules_engine.assert_facts, '"i1"'))
    assert _same(eng.evaluate(scenario().facts(), "trap.yaml"), clean)


def test_a_fact_lost_on_every_salted_run_is_still_detected(traps, monkeypatch) -> None:
    eng = Engine(traps)
    monkeypatch.setattr(durable_rules_engine, "assert_fact",
                        _observed(durable_rules_engine.assert_fact, '"fid": "d1"', '"fid": "d1~'))
    with pytest.raises(EngineError, match="dropped d1 as already observed: a fact was lost .*4 attempts"):
        eng.evaluate(scenario().facts(), "trap.yaml")
    monkeypatch.undo()
    assert eng.evaluate(scenario().facts()).firings      # the state was cleaned up
    monkeypatch.setattr(durable_rules_engine, "assert_facts",
                        _observed(durable_rules_engine.assert_facts, '"i1"', '"i1~'))
    with pytest.raises(EngineError, match="dropped an input fact as already observed"):
        eng.evaluate(scenario().facts(), "trap.yaml")


# --- free text never reaches the C core (issue 17, item 12) ----------------------------------------

CRAFTED = "WFP eyjIB"   # the issue's crafted lead_deliverer: its fact's 32-bit hash was made to collide


@pytest.fixture(scope="module")
def shipped():
    return load_ruleset("iasc-2018")


def crafted_scenario():
    text = (ROOT / "scenarios" / "lead-deliverer-hc.yaml").read_text(encoding="utf-8")
    text = text.replace("lead_deliverer: WFP,", f'lead_deliverer: "{CRAFTED}",').replace("    lead_deliverer: WFP\n", "")
    assert CRAFTED in text
    return parse_scenario(text, "crafted.yaml")


def _recording(real, sent):
    return lambda handle, text: (sent.append(text), real(handle, text))[1]


def test_free_text_never_reaches_the_engine_and_comes_back_in_the_recommendation(shipped, monkeypatch) -> None:
    from scaleup.engine import pyeval
    sent: list[str] = []
    monkeypatch.setattr(durable_rules_engine, "assert_facts", _recording(durable_rules_engine.assert_facts, sent))
    monkeypatch.setattr(durable_rules_engine, "assert_fact", _recording(durable_rules_engine.assert_fact, sent))
    loaded = crafted_scenario()
    engine_for(shipped)
    recommendation, evaluation = evaluate_traced(loaded, shipped)
    assert sent and not any("eyjIB" in text for text in sent)
    assert any('"value": "~1"' in text for text in sent) and any('"actor": "~1"' in text for text in sent)
    assert {lead.role: lead.actor for lead in recommendation.leadership}["lead_deliverer"] == CRAFTED
    # the facts and firings recorded are those of an engine that saw the text (the Python evaluator)
    assert _same(evaluation, pyeval.run(shipped, loaded.facts()))


def test_a_collision_crafted_with_free_text_cannot_drop_a_fact(shipped, monkeypatch, caplog) -> None:
    # the attack: any fact holding the crafted text is "already observed" by durable_rules
    monkeypatch.setattr(durable_rules_engine, "assert_facts", _observed(durable_rules_engine.assert_facts, "eyjIB"))
    monkeypatch.setattr(durable_rules_engine, "assert_fact", _observed(durable_rules_engine.assert_fact, "eyjIB"))
    with caplog.at_level(logging.INFO, logger="scaleup.rules"):
        recommendation = evaluate(crafted_scenario(), shipped)
    assert "hash collision" not in caplog.text       # evaluated at the first attempt
    assert {lead.role: lead.actor for lead in recommendation.leadership}["lead_deliverer"] == CRAFTED


def test_a_forced_collision_of_a_fact_holding_a_stand_in_is_recovered_with_its_text(shipped, monkeypatch, caplog) -> None:
    clean = evaluate_traced(crafted_scenario(), shipped)[1]
    real = durable_rules_engine.assert_fact   # the unsalted lead fact holding the stand-in collides
    monkeypatch.setattr(durable_rules_engine, "assert_fact", lambda handle, text: (
        (2, real(handle, text)[1]) if re.search(r'"fid": "d[0-9]+", "actor": "~1"', text) else real(handle, text)))
    with caplog.at_level(logging.INFO, logger="scaleup.rules"):
        recommendation, evaluation = evaluate_traced(crafted_scenario(), shipped)
    assert "hash collision" in caplog.text and "salt ~1" in caplog.text
    assert _same(evaluation, clean)
    assert {lead.role: lead.actor for lead in recommendation.leadership}["lead_deliverer"] == CRAFTED


def test_stand_ins_keep_equal_texts_equal_and_ordered_texts_ordered(shipped) -> None:
    from scaleup.engine.stand_ins import Words, ruleset_words
    from scaleup.facts import Fact
    words = Words(shipped)
    assert {"capacity.lead_deliverer", "lead_deliverer", "sudden", "true"} <= ruleset_words(shipped)
    facts = [Fact(f"i{n}", "indicator", {"field": "capacity.lead_deliverer", "value": v}, "t")
             for n, v in enumerate(["b", "a", "b", "sudden", 3] + [f"x{i}" for i in range(9)])]
    got = words.stand_ins(facts)
    assert "sudden" not in got and got["a"] == "~01" and got["b"] == "~02" and len(got) == 11
    assert sorted(got, key=got.__getitem__) == sorted(got)
    assert words.prefix == "~"
    from scaleup.engine import stand_ins as engine_words
    assert engine_words._prefix(["~1", "x"]) == "~~" and engine_words._prefix(["~~", "~"]) == "~~~"


def test_a_rule_set_durable_rules_refuses_is_an_engine_error(traps, monkeypatch) -> None:
    def refuse(name, definitions):
        raise Exception("error code: 101")
    monkeypatch.setattr(durable_rules_engine, "create_ruleset", refuse)
    with pytest.raises(EngineError, match="durable_rules rejected the compiled rule set"):
        Engine(traps)


# --- values reaching the C core -------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    (True, "true"), (False, "false"), (4.0, 4), (1e6, 1_000_000), (0.00001, 0.00001), (-0.00001, -0.00001),
    (0.00012, 0.00012), (5.96774, 5.96774), (4.99996, 4.99996), (123456789012.5, 123456789012.5),
    (MAX_INT, MAX_INT), ("sudden", "sudden"),
])
def test_engine_values_are_normalised_and_none_is_written_with_an_exponent(value, expected) -> None:
    got = engine_value(value)
    assert got == expected and type(got) is type(expected)
    text = engine_text(got)
    assert "e" not in text.lower() or isinstance(got, str)
    assert json.loads(text) == got


@pytest.mark.parametrize("value", [1e16, 1e15 + 0.5, float("nan"), float("inf"), MAX_INT + 1, None, [1], {"a": 1},
                                   "x" * 501, "\ud800"])
def test_values_the_engine_would_mishandle_are_refused(value) -> None:
    with pytest.raises(ValueError):
        engine_value(value)


def test_the_c_core_really_rejects_a_float_written_with_an_exponent() -> None:
    handle = durable_rules_engine.create_ruleset("exponent-canary", json.dumps({"r": {"all": [{"m": {"x": 1}}]}}))
    try:
        with pytest.raises(Exception, match="204"):
            durable_rules_engine.assert_fact(handle, json.dumps({"sid": "1", "x": 1e-05}))
    finally:
        durable_rules_engine.delete_ruleset(handle)


@pytest.fixture
def sent(monkeypatch) -> list[dict]:
    """Every input fact the engine hands durable_rules' C core, as the core receives it."""
    facts: list[dict] = []
    real = durable_rules_engine.assert_facts
    monkeypatch.setattr(durable_rules_engine, "assert_facts",
                        lambda handle, text: (facts.extend(json.loads(text)), real(handle, text))[1])
    return facts


def test_tiny_rates_and_ratios_reach_the_engine_without_exponents(traps, sent) -> None:
    eng = Engine(traps)
    loaded = scenario("health_nutrition: {cmr: 0.00001, cmr_baseline: 900}\n"
                      "populations: {affected: 3, in_need: 3}\ncapacity: {operational_partners: 0, people_reached: 1}")
    ev = eng.evaluate(loaded.facts())
    values = {d["field"]: d["value"] for d in sent}
    assert values["health_nutrition.cmr"] == 0.00001    # exact: nothing is rounded before comparing
    assert 0 < values["health_nutrition.cmr_ratio"] < 0.0001 and 0 < values["populations.iasc_caseload_pct"] < 0.0001
    assert "finding.any-mortality" not in ev.fired_rules()


def test_booleans_and_numeric_text_never_reach_the_engine_as_such(traps, sent) -> None:
    eng = Engine(traps)
    eng.evaluate(parse_scenario(scenario_template(), "template.yaml").facts())
    assert sent
    for fact in sent:
        info = CATALOGUE[fact["field"]]
        assert not any(isinstance(v, bool) for v in fact.values()), fact
        if info.kind in ("int", "num"):
            assert isinstance(fact["value"], (int, float)), fact
        elif info.kind == "bool":
            assert fact["value"] in ("true", "false"), fact
        else:
            assert isinstance(fact["value"], str), fact
        assert set(fact) == {"sid", "t", "fid", "field", "value"}   # flat: no user key, only ours
        assert fact["fid"].startswith("i")


def test_every_test_of_a_pattern_counts_not_only_the_first(traps) -> None:
    ev = Engine(traps).evaluate(scenario("populations: {affected: 1000}").facts())
    assert "finding.huge" not in ev.fired_rules()
    big = SCENARIO.format(extra="populations: {affected: 150000000}").replace("31000000", "300000000")
    ev = Engine(traps).evaluate(parse_scenario(big, "big.yaml").facts())
    assert "finding.huge" in ev.fired_rules()


def test_not_in_excludes_every_listed_value(traps) -> None:
    assert "finding.not-slow" in Engine(traps).evaluate(scenario().facts()).fired_rules()
    slow = parse_scenario(SCENARIO.format(extra="").replace("onset: sudden", "onset: gradual"), "slow.yaml")
    assert "finding.not-slow" not in Engine(traps).evaluate(slow.facts()).fired_rules()


def test_a_test_on_a_field_the_fact_lacks_is_false_even_for_ne(traps) -> None:
    ev = Engine(traps).evaluate(scenario().facts())
    assert "flag.no-late-finding" in ev.fired_rules()            # the flag exists, without text
    assert "note.flag-text-not-x" not in ev.fired_rules()


def test_every_firing_is_logged_at_debug_level_on_the_rules_logger(traps, caplog) -> None:
    with caplog.at_level(logging.DEBUG, logger="scaleup.rules"):
        ev = Engine(traps).evaluate(scenario().facts(), "trap.yaml")
    lines = [r.getMessage() for r in caplog.records if r.name == "scaleup.rules"]
    assert len(lines) == len(ev.firings)
    assert lines[0].startswith(f"trap.yaml: #1 {ev.firings[0].key} (stratum 0) matched ")


# --- determinism and isolation --------------------------------------------------------------------

def recommendation_json(path: Path) -> str:
    rel = path.relative_to(ROOT)
    return render_json([evaluate(load_scenario(path, name=str(rel)), load_ruleset())])


def test_firing_order_and_fact_ids_are_the_same_on_every_run() -> None:
    loaded = load_scenario(CYCLONE)
    first, second = evaluate_traced(loaded, load_ruleset())[1], evaluate_traced(loaded, load_ruleset())[1]
    assert first.firings == second.firings and first.facts == second.facts


def test_engines_are_compiled_once_per_rule_set_version_and_overrides() -> None:
    rs = load_ruleset()
    assert engine_for(rs) is engine_for(load_ruleset())
    first_param = sorted(rs.parameters)[0]
    value = rs.parameters[first_param].value
    assert engine_for(load_ruleset(overrides={first_param: value})) is not engine_for(rs)


def test_a_closed_engine_frees_its_rule_set(traps, monkeypatch) -> None:
    eng = Engine(traps)
    freed = []
    real = durable_rules_engine.delete_ruleset
    monkeypatch.setattr(durable_rules_engine, "delete_ruleset", lambda handle: (freed.append(handle), real(handle)))
    handle = eng._handle
    eng.close()
    assert freed == [handle] and eng._handle is None
    eng.close()   # closing twice is harmless


def test_no_fact_leaks_from_one_scenario_into_the_next() -> None:
    rs = load_ruleset()
    a = load_scenario(GOLDEN[0], name="a.yaml")
    b = load_scenario(CYCLONE, name="b.yaml")
    alone = evaluate_traced(b, rs)[1]
    evaluate_traced(a, rs)
    after = evaluate_traced(b, rs)[1]
    assert after.facts == alone.facts and after.firings == alone.firings
    assert all("@a.yaml" not in f.origin for f in after.facts)
    a_values = {(f.fields["field"], f.fields["value"]) for f in a.facts()} - {
        (f.fields["field"], f.fields["value"]) for f in b.facts()}
    assert not any((f.fields.get("field"), f.fields.get("value")) in a_values for f in after.facts)


def _reversed(data):
    """The same data with every mapping's keys and every list in reverse order."""
    if isinstance(data, dict):
        return {k: _reversed(data[k]) for k in reversed(list(data))}
    if isinstance(data, list):
        return [_reversed(x) for x in reversed(data)]
    return data


def _normalised(text: str) -> dict:
    """Recommendation JSON without what legitimately depends on the file's bytes and layout."""
    data = json.loads(text)
    data["stamp"].pop("scenario_sha256")
    data["scenario"].pop("file")

    def strip(value):
        if isinstance(value, dict):
            return {k: (v.split("[")[0].split("@")[0] if k == "origin" else strip(v)) for k, v in value.items()}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value
    return strip(data)


@pytest.mark.parametrize("path", [CYCLONE, *GOLDEN], ids=lambda p: p.stem)
def test_the_order_of_keys_and_list_items_in_a_scenario_does_not_change_the_output(path: Path, tmp_path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    shuffled = tmp_path / path.name
    shuffled.write_text(yaml.safe_dump(_reversed(data), sort_keys=False), encoding="utf-8")
    assert shuffled.read_text() != path.read_text()
    reordered = render_json([evaluate(load_scenario(shuffled), load_ruleset())])
    assert _normalised(reordered) == _normalised(recommendation_json(path))


FRESH = """
import sys
from pathlib import Path
from scaleup.recommendation.evaluate import evaluate
from scaleup.render.json import render
from scaleup.rules.load import load_ruleset
from scaleup.scenario.load import load_scenario
root = Path(sys.argv[1])
for rel in sys.argv[2:]:
    print(render([evaluate(load_scenario(root / rel, name=rel), load_ruleset())]), end="\\x00")
"""


def test_thousands_of_evaluations_in_one_process_equal_a_fresh_process() -> None:
    """2,500 evaluations: more than twice durable_rules' 1,024 live states, so a leaked state fails."""
    paths = [CYCLONE, *GOLDEN]
    start = [recommendation_json(p) for p in paths]
    rs, traps = load_ruleset(), load_ruleset(TRAPS)
    rng = random.Random(20260320)
    pool = [load_scenario(p) for p in paths]
    for n in range(12):     # variants: same scenario, other figures
        affected = rng.randrange(1_000, 9_000_000)
        pool.append(parse_scenario(SCENARIO.format(extra=(
            f"populations: {{affected: {affected}, in_need: {affected // 2}}}\n"
            f"capacity: {{inform_lcc: {rng.randrange(0, 100) / 10}, funding_coverage_pct: {rng.randrange(0, 101)}}}\n"
            f"health_nutrition: {{cmr: {rng.randrange(0, 300) / 100}}}")), f"variant-{n}.yaml"))
    jobs = [(engine_for(rules), s.facts(), s.name) for s in pool for rules in (rs, traps)]
    expected = [eng.evaluate(facts, name) for eng, facts, name in jobs]
    order = [rng.randrange(len(jobs)) for _ in range(2_500)]
    for i in order:
        eng, facts, name = jobs[i]
        ev = eng.evaluate(facts, name)
        assert ev.firings == expected[i].firings and ev.facts == expected[i].facts, name
    assert [recommendation_json(p) for p in paths] == start
    fresh = subprocess.run([sys.executable, "-c", FRESH, str(ROOT), *(str(p.relative_to(ROOT)) for p in paths)],
                           capture_output=True, text=True, check=True, cwd=ROOT)
    assert fresh.stdout.split("\x00")[:-1] == start


# --- the audit trail ------------------------------------------------------------------------------

def test_every_derived_fact_traces_back_to_input_facts_with_file_and_line() -> None:
    rec, ev = evaluate_traced(load_scenario(CYCLONE, name="scenarios/cyclone-coastal.yaml"), load_ruleset())
    decision = ev.of_type("decision")[0]
    leaves = [node.fact for level, node, firing in walk(ev.tree(decision.id)) if not node.because]
    assert leaves and all(f.type == "indicator" for f in leaves)
    assert all(f.origin.split("@")[1].startswith("scenarios/cyclone-coastal.yaml:") for f in leaves)
    for fact in ev.facts:
        if fact.origin.startswith("rule:"):
            assert ev.derived_by(fact.id), fact
            assert fact.origin == f"rule:{ev.derived_by(fact.id)[0].rule}"


def test_facts_and_firings_serialise_to_plain_data() -> None:
    ev = evaluate_traced(load_scenario(CYCLONE), load_ruleset())[1]
    firing = ev.firings[0]
    rule = ev.rule(firing.key)
    assert firing.to_dict() == {"seq": 1, "rule": firing.rule, "key": firing.key, "title": rule.title,
                                "source": rule.source, "basis": rule.basis, "stratum": firing.stratum,
                                "matched": list(firing.matched), "asserted": list(firing.asserted),
                                "reasserted": list(firing.reasserted)}
    fact = ev.fact(firing.matched[0])
    assert json.loads(json.dumps(fact.to_dict())) == {"id": fact.id, "type": fact.type, "fields": dict(fact.fields),
                                                      "origin": fact.origin}


def test_the_derivation_tree_stops_at_the_requested_depth() -> None:
    ev = evaluate_traced(load_scenario(CYCLONE), load_ruleset())[1]
    decision = ev.of_type("decision")[0]
    shallow = ev.tree(decision.id, depth=1)
    assert shallow.because and all(not child.because for _, children in shallow.because for child in children)
    assert ev.tree(decision.id, depth=0).because == ()
    firing = ev.derived_by(decision.id)[0]
    assert ev.rule(firing.key).id == firing.rule
