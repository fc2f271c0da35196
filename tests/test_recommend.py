"""The recommendation: the published output contract, reproducible to the byte, with an audit
trail that leads from every firing back to scenario lines."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from scaleup import __version__
from scaleup.errors import RulesetError
from scaleup.recommendation.evaluate import evaluate, evaluate_traced
from scaleup.recommendation.expect import check_expectations
from scaleup.scenario.fields import DERIVED
from scaleup.recommendation.assemble import add_months
from scaleup.render.json import render as render_json
from scaleup.render.text import render as render_text
from scaleup.rules.load import load_ruleset
from scaleup.scenario.model import Expect
from scaleup.scenario.load import load_scenario
from scaleup.schemas import json_schema

ROOT = Path(__file__).resolve().parent.parent
CYCLONE_REL = "scenarios/cyclone-coastal.yaml"
CYCLONE = ROOT / CYCLONE_REL
GOLDEN = sorted((ROOT / "tests" / "fixtures" / "golden").glob("*.yaml"))
FIXTURES = ROOT / "tests" / "fixtures" / "rulesets"
SCENARIOS = [CYCLONE, *GOLDEN]


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json_schema("recommendation")
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_the_json_output_validates_against_the_published_schema(path: Path, validator) -> None:
    data = json.loads(render_json([evaluate(load_scenario(path), load_ruleset())]))
    validator.validate(data)
    assert data["schema_version"] == "2.0.0"


def test_an_output_with_every_section_filled_validates_too(validator) -> None:
    rec = evaluate(load_scenario(GOLDEN[0]), load_ruleset(FIXTURES / "outputs"))
    validator.validate(json.loads(render_json([rec])))
    several = json.loads(render_json([rec, rec]))
    assert isinstance(several, list) and len(several) == 2


def test_the_json_is_byte_identical_whatever_the_hash_seed() -> None:
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-m", "scaleup", "evaluate", *map(rel, SCENARIOS), "-f", "json"],
                             capture_output=True, cwd=ROOT, env=env, check=True)
        outputs.add(run.stdout)
    assert len(outputs) == 1
    assert len(json.loads(outputs.pop())) == len(SCENARIOS)


# --- the audit trail --------------------------------------------------------------------------

def test_every_firing_names_its_rule_source_and_basis_and_matches_known_facts() -> None:
    rs = load_ruleset()
    for path in SCENARIOS:
        rec = evaluate(load_scenario(path), rs)
        ids = {f.id for f in rec.audit.facts}
        assert rec.audit.firings
        for firing in rec.audit.firings:
            rule = rs.branches(firing.rule)[0]
            assert (firing.title, firing.source, firing.basis) == (rule.title, rule.source, rule.basis)
            assert firing.source in rs.sources and firing.basis in ("source", "project")
            assert firing.matched and set(firing.matched) <= ids
            assert set(firing.asserted) | set(firing.reasserted) <= ids
        assert [f.seq for f in rec.audit.firings] == list(range(1, len(rec.audit.firings) + 1))


def _value_on_line(text: str, leaf: str, value: object) -> bool:
    """Whether ``leaf: value`` (block or flow style) or a list item ``value`` is written on the line."""
    found = re.search(rf"\b{re.escape(leaf)}:\s*([^,}}#\n]+)", text)
    if found is None:       # a list item: [cyclone, flood] or "- cyclone"
        return re.search(rf"(?<![\w.]){re.escape(str(value))}(?![\w.])", text) is not None
    token = found.group(1).strip().strip("'\"")
    if isinstance(value, (int, float)):
        return float(token) == value
    return token == str(value) or token.startswith("[")


def test_every_input_fact_of_cyclone_coastal_points_at_the_line_that_holds_it() -> None:
    lines = CYCLONE.read_text(encoding="utf-8").splitlines()
    rec = evaluate(load_scenario(CYCLONE, name=CYCLONE_REL), load_ruleset())
    inputs = [f for f in rec.audit.facts if f.type == "indicator"]
    assert inputs
    for fact in inputs:
        kind, _, where = fact.origin.partition(":")
        path, _, place = where.partition("@")
        file, _, numbers = place.rpartition(":")
        assert file == CYCLONE_REL, fact.origin
        if kind == "input":
            text = lines[int(numbers) - 1]
            leaf = re.sub(r"\[\d+\]$", "", path).rsplit(".", 1)[-1]
            assert _value_on_line(text, leaf, fact.fields["value"]), (fact.origin, text)
        else:   # derived: every line named holds one of the fields of its formula
            assert kind == "derived", fact.origin
            leaves = {i.rsplit(".", 1)[-1] for i in DERIVED[path].inputs}
            for number in numbers.split(","):
                text = lines[int(number) - 1]
                assert any(re.search(rf"\b{leaf}:", text) for leaf in leaves), (fact.origin, text)


def test_every_firing_traces_back_to_scenario_lines() -> None:
    rec, ev = evaluate_traced(load_scenario(CYCLONE, name=CYCLONE_REL), load_ruleset())
    facts = {f.id: f for f in rec.audit.facts}
    origins = re.compile(rf"^(input|derived):[\w.\[\]]+@{re.escape(CYCLONE_REL)}:\d+(,\d+)*$")

    def inputs_behind(fact_id: str, seen: frozenset[str] = frozenset()) -> set[str]:
        fact = facts[fact_id]
        if fact.type == "indicator":
            return {fact.origin}
        found: set[str] = set()
        for firing in ev.derived_by(fact_id):
            for m in firing.matched:
                if m not in seen:
                    found |= inputs_behind(m, seen | {fact_id})
        return found

    for firing in rec.audit.firings:
        behind = set().union(*(inputs_behind(m) for m in firing.matched))
        assert behind, firing.key
        assert all(origins.match(o) for o in behind), behind


def test_signals_name_the_indicator_value_rule_and_line_behind_each_criterion() -> None:
    path = "tests/fixtures/golden/mixed-conflict-outbreak.yaml"
    rec = evaluate(load_scenario(ROOT / path, name=path), load_ruleset())
    scale = next(c for c in rec.criteria if c.name == "scale")
    signal = next(s for s in scale.signals if s.field == "populations.in_need")
    assert (signal.value, signal.origin) == (3100000, f"input:populations.in_need@{path}:21")
    assert signal.rule == f"scale/populations.in_need/L{signal.level}"
    assert scale.level == max(s.level for s in scale.signals) == scale.signals[0].level
    assert [s.level for s in scale.signals] == sorted((s.level for s in scale.signals), reverse=True)


# --- stamps ---------------------------------------------------------------------------------

def test_the_stamp_identifies_the_program_rules_scenario_and_engine() -> None:
    rs = load_ruleset()
    rec = evaluate(load_scenario(CYCLONE), rs)
    assert rec.stamp.scaleup_version == __version__
    assert (rec.stamp.ruleset_id, rec.stamp.ruleset_version, rec.stamp.ruleset_sha256) == (rs.id, rs.version, rs.sha256)
    assert rec.stamp.scenario_sha256 == hashlib.sha256(CYCLONE.read_bytes()).hexdigest()
    assert rec.stamp.durable_rules_version == "2.0.28"
    assert rec.stamp.overrides == {}
    assert str(dt.date.today()) not in render_json([rec])


def test_parameter_overrides_are_recorded_in_the_stamp() -> None:
    rs = load_ruleset(FIXTURES / "outputs")
    assert evaluate(load_scenario(CYCLONE), rs).stamp.overrides == {}
    small = load_ruleset(FIXTURES / "small", {"high_level": 5})
    assert small.overrides == (("high_level", 5),)


# --- assembly -------------------------------------------------------------------------------

def test_every_output_fact_type_is_assembled_into_its_section() -> None:
    rec = evaluate(load_scenario(GOLDEN[0]), load_ruleset(FIXTURES / "outputs"))
    assert (rec.scale_up, rec.route, rec.variant, rec.unhcr_emergency_level) == (
        "consider", "iasc_clusters", "protocol_1_2018", 2)
    assert (rec.scope.value, rec.scope.reason, rec.scope.rule) == ("in_scope", "A sudden onset.", "everything")
    assert rec.lead("overall_coordination") == "Humanitarian Coordinator" and rec.lead("nobody") is None
    assert [(c.cluster, c.lead) for c in rec.clusters] == [("health", "WHO"), ("shelter", "IFRC")]
    assert rec.cluster_lead("health") == "WHO"
    assert [(p.name, p.timing) for p in rec.plans] == [("Flash Appeal", "within 5 days"), ("Humanitarian Response Plan", None)]
    assert [(f.name, f.text) for f in rec.flags] == [("bare_flag", None), ("no_hc", "No Humanitarian Coordinator is designated.")]
    assert [n.text for n in rec.notes] == ["A note for the reader."]
    assert [(c.text, c.source, c.basis) for c in rec.caveats] == [
        ("A caveat from a source.", "TEST-SOURCE", "source"), ("A caveat of ours.", None, "project")]


def test_milestones_get_dates_when_the_scenario_gives_their_anchor() -> None:
    rs = load_ruleset(FIXTURES / "outputs")
    dated = {m.name: m.date for m in evaluate(load_scenario(GOLDEN[0]), rs).milestones}
    # activation 2025-09-15, onset 2025-08-20
    assert dated == {"operational peer review": dt.date(2025, 12, 14), "expiry": dt.date(2026, 3, 15),
                     "first review": dt.date(2025, 10, 5)}
    undated = {m.name: (m.date, m.months, m.days) for m in evaluate(load_scenario(CYCLONE), rs).milestones}
    assert undated["expiry"] == (None, 6, None)
    assert undated["first review"][0] == dt.date(2026, 4, 29)   # onset 2026-03-14 + 1.5 months


@pytest.mark.parametrize(("start", "months", "expected"), [
    (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)), (dt.date(2025, 11, 15), 3, dt.date(2026, 2, 15)),
    (dt.date(2026, 3, 1), 0.5, dt.date(2026, 3, 16)), (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
])
def test_months_are_calendar_months_clamped_to_the_month_end(start, months, expected) -> None:
    assert add_months(start, months) == expected


def test_a_criterion_without_evidence_is_null_and_labelled_insufficient() -> None:
    rec = evaluate(load_scenario(CYCLONE), load_ruleset(FIXTURES / "outputs"))
    levels = {c.name: (c.level, c.label, c.signals) for c in rec.criteria}
    assert levels["urgency"] == (None, "insufficient evidence", [])
    assert levels["scale"][:2] == (4, "high")


def test_two_conflicting_decisions_are_a_ruleset_error_naming_both_rules() -> None:
    with pytest.raises(RulesetError) as caught:
        evaluate(load_scenario(CYCLONE, name=CYCLONE_REL), load_ruleset(FIXTURES / "conflict"))
    problem = caught.value.problems[0]
    assert problem.field == "decision"
    assert "2 conflicting decision facts" in problem.message and "decision.no, decision.yes" in problem.message
    assert CYCLONE_REL in problem.message


def test_a_rule_set_that_reaches_no_decision_is_a_ruleset_error() -> None:
    with pytest.raises(RulesetError, match="reached no decision"):
        evaluate(load_scenario(CYCLONE), load_ruleset(FIXTURES / "small"))


# --- expectations and text --------------------------------------------------------------------

def test_expectations_that_hold_give_no_mismatch_and_each_wrong_one_a_sentence() -> None:
    rec = evaluate(load_scenario(GOLDEN[0]), load_ruleset(FIXTURES / "outputs"))
    right = Expect(scale_up="consider", route="iasc_clusters", variant="protocol_1_2018", criteria={"scale": 5, "risk": None},
                   leads={"refugee_response": "UNHCR Representative"}, clusters={"shelter": "IFRC"}, unhcr_level=2,
                   flags=["no_hc"], plans=["Flash Appeal"], fired=["everything"])
    assert check_expectations(rec, right) == []
    wrong = Expect(scale_up="recommend", route="refugee_rcm", variant="none", criteria={"scale": 3},
                   leads={"refugee_response": "UNICEF"}, clusters={"shelter": "UNHCR"}, no_clusters=True, unhcr_level=0,
                   flags=["absent"], plans=["RRP"], fired=["never.fired"])
    assert check_expectations(rec, wrong) == [
        "scale_up: expected 'recommend', got 'consider'",
        "route: expected 'refugee_rcm', got 'iasc_clusters'",
        "variant: expected None, got 'protocol_1_2018'",
        "criteria.scale: expected 3, got 5",
        "leads.refugee_response: expected 'UNICEF', got 'UNHCR Representative'",
        "clusters.shelter: expected 'UNHCR', got 'IFRC'",
        "clusters: expected [], got ['health', 'shelter']",
        "unhcr_level: expected None, got 2",
        "flags: expected 'absent' among ['bare_flag', 'no_hc']",
        "plans: expected 'RRP' among ['Flash Appeal', 'Humanitarian Response Plan']",
        "fired: expected rule 'never.fired' to fire",
    ]


def test_the_text_report_shows_every_section_with_rules_and_lines() -> None:
    rec = evaluate(load_scenario(GOLDEN[0], name="g.yaml"), load_ruleset(FIXTURES / "outputs"))
    text = render_text([rec])
    for expected in ("Scale-Up: CONSIDER", "Protocol: Protocol 1 (IASC, 2018)",
                     "Scope: in scope under Protocol 1 (IASC, 2018) - A sudden onset.",
                     "Route: iasc_clusters", "  urgency         - insufficient evidence",
                     "      L5 populations.affected = 4,200,000  [scale/populations.affected/L5] g.yaml:20",
                     "  overall coordination: Humanitarian Coordinator  [everything]", "  health: WHO  [everything]",
                     "  Flash Appeal (within 5 days)  [everything]", "  Level 2", "  expiry: 2026-03-15  [everything]",
                     "  no_hc: No Humanitarian Coordinator is designated.  [everything]", "  - A caveat of ours.",
                     "Rule set test-outputs 2.0.0"):
        assert expected in text, expected
    undated = render_text([evaluate(load_scenario(CYCLONE), load_ruleset(FIXTURES / "outputs"))])
    assert "  expiry: 6 months after activation  [everything]" in undated
    assert "  operational peer review: 90 days after activation  [everything]" in undated
    assert render_text([rec, rec]).count("=" * 100) == 1
