"""Explanations: the derivation tree reaches scenario lines, why-not answers give gaps, and every
reported flip really flips the outcome."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml
from click.testing import CliRunner

from scaleup.cli.main import main
from scaleup.recommendation.evaluate import evaluate, evaluate_traced
from scaleup.explain.derivation import TreeNode, explain, to_text
from scaleup.vocabulary import DECISIONS
from scaleup.explain.candidates import Change, patch
from scaleup.explain.flips import find_flips
from scaleup.scenario.inputs import Skipped, read_scenario
from scaleup.rules.load import load_ruleset
from scaleup.scenario.load import LoadedScenario, load_scenario
from scaleup.explain.whynot import parse_target, why_not

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "explain"
FROZEN = str(FIXTURES / "ruleset")
CYCLONE = FIXTURES / "cyclone-frozen.yaml"   # the shipped cyclone as it was with the frozen rule set
# the historical set (scenarios/history) is checked by test_history; its flips and reports add
# minutes to the suite and nothing the shipped library does not already exercise
SHIPPED = [p for p in sorted((ROOT / "scenarios").rglob("*.yaml"))
           if "history" not in p.relative_to(ROOT).parts and not isinstance(read_scenario(p), Skipped)]


def load(path: Path) -> LoadedScenario:
    return load_scenario(path, name=str(path.relative_to(ROOT)))


@pytest.fixture(scope="module")
def frozen():
    return load_ruleset(FROZEN)


def nodes(node: TreeNode) -> Iterator[TreeNode]:
    yield node
    for step in node.because:
        for child in step.matched:
            yield from nodes(child)


# --- the derivation tree ----------------------------------------------------------------------

def test_the_decision_is_traced_down_to_scenario_lines_with_citations(frozen) -> None:
    loaded = load(CYCLONE)
    exp = explain(loaded, frozen)
    decision = exp.tree[0]
    assert decision.text == "decision = recommend"
    leaves = [n for n in nodes(decision) if n.origin]
    assert f"{loaded.name}:{loaded.line_of('populations.affected')}" in {n.origin for n in leaves}
    assert all(n.type == "indicator" for n in leaves)
    steps = [s for n in nodes(decision) for s in n.because]
    protocol = next(s for s in steps if s.key == "decision.recommend")
    assert protocol.citation.title.startswith("Protocol 1.") and protocol.citation.section == "I. Definition (five criteria)"
    threshold = next(s for s in steps if s.key.startswith("finding.recommend-threshold"))
    assert "scale level >= 3 ($param.recommend_min_scale): basis project" in threshold.thresholds


def test_a_fact_shown_once_is_not_expanded_again(frozen) -> None:
    exp = explain(load(CYCLONE), frozen)
    scale = [n for root in exp.tree for n in nodes(root) if n.text == "criterion scale: level 4"]
    assert len(scale) > 1 and sum(bool(n.because) for n in scale) == 1
    assert all(n.repeated for n in scale if not n.because)


def test_the_depth_option_cuts_the_tree(frozen) -> None:
    exp = explain(load(CYCLONE), frozen, depth=1)
    below = [c for step in exp.tree[0].because for c in step.matched]
    assert below and all(not c.because for c in below)
    assert any(c.truncated for c in below)
    assert "(deeper rules not shown)" in to_text(exp)


# --- why not ----------------------------------------------------------------------------------

def test_why_not_gives_the_observed_value_the_threshold_and_the_gap(frozen) -> None:
    loaded = load(FIXTURES / "flood-consider.yaml")
    _, ev = evaluate_traced(loaded, frozen)
    answer = why_not(frozen, ev, parse_target(frozen, "scale/populations.in_need/L3"))
    [check] = answer.rules
    [gap] = [t for c in check.conditions for t in c.tests if not t.passed]
    assert gap.text == "people in need 180,000; needs 500,000; short by 320,000; threshold basis: project"
    assert not answer.holds


def test_why_not_says_a_missing_indicator_is_missing_and_what_it_feeds(frozen) -> None:
    exp = explain(load(FIXTURES / "flood-consider.yaml"), frozen, targets=["urgency/health_nutrition.u5mr/L4"])
    [condition] = exp.why_not[0].rules[0].conditions
    assert condition.note == "health_nutrition.u5mr is missing from the scenario; it would feed urgency"


def test_why_not_recommend_goes_down_to_the_indicator_that_would_have_to_move(frozen) -> None:
    exp = explain(load(FIXTURES / "flood-consider.yaml"), frozen, targets=["recommend"])
    [rule] = exp.why_not[0].rules
    finding = next(c for c in rule.conditions if not c.held)
    assert finding.deeper, "the missing finding is explained by the rules that could derive it"
    moves = [m.text for d in finding.deeper for c in d.conditions for m in c.moves]
    assert any(m.startswith("appeal funding coverage 45; needs less than 30; over by 15 -> risk level 4") for m in moves)
    assert any(m.startswith("INFORM Lack of Coping Capacity 4.2; needs 5; short by 0.8 -> capacity level 4") for m in moves)


def test_why_not_a_decision_that_holds_says_so(frozen) -> None:
    exp = explain(load(FIXTURES / "flood-consider.yaml"), frozen, targets=["consider"])
    assert exp.why_not[0].holds and exp.why_not[0].summary == "consider holds: decision.consider fired"


def test_why_not_a_route_and_a_lead_name_the_blocking_facts(frozen) -> None:
    exp = explain(load(FIXTURES / "refugee-influx.yaml"), frozen,
                  targets=["iasc_clusters", "lead:overall_coordination=Humanitarian Coordinator"])
    route, lead = exp.why_not
    assert [r.key for r in route.rules] == ["route.iasc-clusters"]
    assert "situation population = refugee_only" in route.rules[0].conditions[0].note
    assert [r.key for r in lead.rules] == ["route.mixed"] and not lead.holds


@pytest.mark.parametrize("target", ["recommend", "refugee_rcm", "protocol_1_2018", "cluster:shelter=IFRC",
                                    "lead:overall_coordination=Resident Coordinator", "decision.consider"])
def test_every_kind_of_why_not_target_is_understood(frozen, target: str) -> None:
    assert parse_target(frozen, target).text == target


def test_an_unknown_why_not_target_is_refused_with_what_is_accepted(frozen) -> None:
    with pytest.raises(ValueError, match="not a decision"):
        parse_target(frozen, "recomend")


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_explain_answers_why_and_why_not_each_other_decision_for_a_shipped_scenario(path: Path) -> None:
    item = read_scenario(path)
    if not isinstance(item, LoadedScenario):
        pytest.skip(f"{path.name} is not a valid scenario")
    exp = explain(item, load_ruleset("iasc-2018"))
    decision = exp.recommendation.scale_up
    assert exp.tree[0].text == f"decision = {decision}" and exp.tree[0].because
    assert sorted(w.target for w in exp.why_not) == sorted(d for d in DECISIONS if d != decision)
    for answer in exp.why_not:
        assert not answer.holds
        assert answer.summary.startswith(f"{answer.target} is not the outcome") or "no rule" in answer.summary
        for check in answer.rules:
            assert not check.fired and any(not c.held for c in check.conditions)


# --- flips ------------------------------------------------------------------------------------

def apply(path: Path, changes: list[dict[str, Any]]) -> LoadedScenario:
    """Apply reported changes to the scenario file's data, independently of the flip search."""
    data = yaml.safe_load(path.read_text())
    for c in changes:
        *head, last = c["field"].split(".")
        target = data
        for part in head:
            target = target.setdefault(part, {})
        target[last] = c["new"]
    from scaleup.scenario.load import parse_scenario
    return parse_scenario(yaml.safe_dump(data), str(path))


FLIP_CASES = [(CYCLONE, FROZEN), (FIXTURES / "flood-consider.yaml", FROZEN),
              (FIXTURES / "refugee-influx.yaml", FROZEN), (FIXTURES / "sparse-evidence.yaml", FROZEN),
              (ROOT / "scenarios/cyclone-coastal.yaml", "iasc-2018")]


@pytest.mark.parametrize("path,ruleset", FLIP_CASES, ids=[f"{p.stem}-{Path(r).name}" for p, r in FLIP_CASES])
def test_every_reported_flip_flips_the_outcome_when_applied(path: Path, ruleset: str) -> None:
    rules = load_ruleset(ruleset)
    loaded = load(path)
    base = evaluate(loaded, rules)
    exp = explain(loaded, rules, targets=["recommend"], flips=True, flip_budget=600)
    data = json.loads(json.dumps(exp.to_dict()["flips"], default=str))
    flips = data["decision"] + data["route"]
    assert flips, "the search finds at least one flip"
    for flip in flips:
        rec = evaluate(apply(path, flip["changes"]), rules)
        if flip["kind"] == "decision":
            assert rec.scale_up == flip["outcome"] != base.scale_up, flip["text"]
        else:
            assert rec.route == flip["outcome"] != base.route, flip["text"]
    sizes = [(f["size"], f["relative"]) for f in data["decision"]]
    assert sizes == sorted(sizes), "flips are reported smallest first"


def test_a_move_breaking_a_cross_field_rule_is_adjusted_and_counted(frozen) -> None:
    loaded = load(FIXTURES / "flood-consider.yaml")
    result = patch(loaded, [Change("populations.in_need", 180000, 1500000)])
    assert not isinstance(result, str)
    _, changes = result
    assert changes[1] == Change("populations.affected", 1200000, 1500000, adjusted=True)
    refused = patch(loaded, [Change("populations.affected", 1200000, 20_000_000)])
    assert isinstance(refused, str) and "country's population" in refused


def test_the_flip_search_says_when_its_budget_cut_it(frozen) -> None:
    report = find_flips(load(FIXTURES / "flood-consider.yaml"), frozen, budget=20)
    assert report.evaluations == 20
    assert report.cut and report.cut.startswith("cut after 20 evaluations")


def test_a_flip_on_a_derived_indicator_moves_its_input(frozen) -> None:
    report = find_flips(load(FIXTURES / "flood-consider.yaml"), frozen, budget=400)
    reach = [f for f in report.decision if f.changes[0].field == "capacity.people_reached"]
    assert reach and reach[0].outcome == "recommend"


# --- the command ------------------------------------------------------------------------------

def run(*args: str) -> Any:
    return CliRunner().invoke(main, ["explain", *args], catch_exceptions=False)


def test_explain_prints_a_tree_and_why_not_by_default() -> None:
    result = run(str(FIXTURES / "flood-consider.yaml"), "-r", FROZEN, "--depth", "2")
    assert result.exit_code == 0
    assert "Why not recommend?" in result.output and "Why not not_applicable?" in result.output
    assert "  decision = consider" in result.output


def test_explain_json_is_a_nested_tree(tmp_path: Path) -> None:
    out = tmp_path / "x.json"
    result = run(str(FIXTURES / "flood-consider.yaml"), "-r", FROZEN, "-f", "json", "-o", str(out),
                 "--set", "consider_gap_level=4", "--why-not", "consider")
    assert result.exit_code == 0 and result.output == ""
    data = json.loads(out.read_text())
    assert data["decision"] == "not_recommended" and data["stamp"]["overrides"] == {"consider_gap_level": 4}
    assert data["tree"][0]["because"][0]["matched"][0]["type"] == "scope"
    assert data["why_not"][0]["rules"][0]["key"] == "decision.consider"


def test_explain_refuses_an_unknown_target_with_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["explain", str(FIXTURES / "flood-consider.yaml"), "-r", FROZEN, "--why-not", "nope"])
    assert result.exit_code == 2 and "not a decision" in result.output


def test_explain_reports_an_invalid_scenario_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    data = copy.deepcopy(yaml.safe_load((FIXTURES / "flood-consider.yaml").read_text()))
    data["populations"]["in_need"] = 5_000_000
    bad.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(main, ["explain", str(bad), "-r", FROZEN])
    assert result.exit_code == 1 and "populations.in_need" in result.output


def test_explain_writes_markdown_and_html(tmp_path: Path) -> None:
    for fmt in ("markdown", "html"):
        out = tmp_path / f"x.{fmt}"
        assert run(str(FIXTURES / "flood-consider.yaml"), "-r", FROZEN, "-f", fmt, "-o", str(out), "--flips",
                   "--flip-budget", "50").exit_code == 0
        assert "Why not recommend" in out.read_text()


# --- the trainees' brief view (scaleup.exercise.reasons) -----------------------------------------

def test_a_trainee_reads_the_brief_view_of_the_same_derivation_tree() -> None:
    from scaleup.exercise.keys import explain_key
    from scaleup.exercise.load import load_exercise
    from scaleup.explain.derivation import derivation as tree
    from scaleup.words import brief_fact_text
    ex = load_exercise(ROOT / "scenarios" / "exercises" / "cyclone-idp-surge.yaml")
    asked = ex.question("d7-route")
    step = ex.step_of(asked)
    lines = explain_key(asked.question, asked.key, step).lines
    root = next(f for f in step.ev.of_type("route"))
    full = tree(step.ev, root.id, 3, set())
    # every rule of the tree's first level, each with its citation, and every fact in brief words
    assert [ln.text for ln in lines if ln.depth == 1] == [f"because: {s.title} [{s.rule}]" for s in full.because]
    assert all(ln.cited is not None and ln.cited.source for ln in lines if ln.text.startswith("because: "))
    assert lines[0].text == brief_fact_text(root)
    # a fact the tree has expanded already is marked, as `scaleup explain` marks it, not expanded again
    repeated = [ln.text for ln in lines if ln.text.endswith(" (shown above)")]
    assert repeated == ["situation: population is non_refugee (shown above)"]
    assert sum(ln.text.startswith("because: No refugees are hosted") for ln in lines) == 1


def test_a_trainee_reads_the_brief_view_of_the_same_why_not_search() -> None:
    from scaleup.exercise.load import load_exercise
    from scaleup.exercise.reasons import why_not as brief_why_not
    from scaleup.explain.whynot import Target
    ex = load_exercise(ROOT / "scenarios" / "exercises" / "cyclone-idp-surge.yaml")
    ev = ex.step_of(ex.question("d7-route")).ev
    wanted = next(v for v in ("refugee_rcm", "iasc_scaleup") if not any(f.fields.get("value") == v
                                                                        for f in ev.of_type("route")))
    brief = brief_why_not(ev, "route", {"value": wanted}).lines
    full = why_not(ev.ruleset, ev, Target(wanted, "route", "route", (("value", wanted),)), depth=1)
    checked = {x.key: x for x in full.rules}
    heads = [ln for ln in brief if ln.depth == 0]
    assert heads and all(ln.cited is not None for ln in heads)
    for i, head in enumerate(brief):
        if head.depth != 0:
            continue
        # the rule the trainee is told about is one explain --why-not checks, and its failed
        # conditions are the ones the trainee reads, one line each
        branches = [x for x in checked.values() if x.key.split("#")[0] == head.cited.rule and not x.fired]
        assert branches
        nxt = next((j for j, ln in enumerate(brief[i + 1:]) if ln.depth == 0), len(brief) - i - 1)
        shown = [ln for ln in brief[i + 1:i + 1 + nxt] if ln.depth == 1]
        assert len(shown) in {x.failed for x in branches}


def test_a_trainee_citation_is_the_words_citation_in_line() -> None:
    from scaleup.exercise.explain import cite
    from scaleup.words import citation
    rs = load_ruleset(ROOT / "rulesets" / "iasc-2018")
    assert any(not r.section for r in rs.rules) and any(r.section for r in rs.rules)
    for rule in rs.rules:
        c, full = cite(rs, rule), citation(rs, rule)
        assert c.citation.startswith(full.source) and f"basis {full.basis}" in c.citation
        assert c.citation.endswith(", not verified") == (not full.verified)
        section = full.section or getattr(rs.sources.get(rule.source), "section", None)
        assert (f", {section};" in c.citation) == bool(section)
