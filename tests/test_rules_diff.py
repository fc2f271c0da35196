"""``scaleup rules diff``: what changed between two rule sets, which scenarios flip, and the blame."""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from pathlib import Path
from typing import Optional

import yaml
from click.testing import CliRunner

from scaleup.assurance.corpus import outcome, read_corpus
from scaleup.assurance.situations import criteria_facts
from scaleup.assurance.diff import diff_rulesets
from scaleup.cli.main import main
from scaleup.engine.durable import engine_for
from scaleup.recommendation.evaluate import evaluate
from scaleup.vocabulary import CRITERIA
from scaleup.engine.pyeval import run
from scaleup.recommendation.model import Recommendation
from scaleup.rules.load import load_ruleset, read_chain, resolve_ruleset
from scaleup.rules.overlay import band_key

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
BASE = load_ruleset("iasc-2018")


def verdict(rec: Recommendation) -> tuple:
    """What a flip is: any output field of the recommendation changes (not the audit trail,
    the stamp or the rule that produced a value)."""
    return (rec.scale_up, rec.route, sorted((x.role, x.actor) for x in rec.leadership), rec.variant,
            rec.scope and (rec.scope.value, rec.scope.reason), [c.level for c in rec.criteria],
            sorted((x.cluster, x.lead) for x in rec.clusters), rec.unhcr_emergency_level,
            sorted((x.name, x.timing or "") for x in rec.plans),
            sorted((m.name, m.anchor, m.months or 0, m.days or 0) for m in rec.milestones),
            sorted((x.name, x.text or "") for x in rec.flags), sorted(x.text for x in rec.notes))


def edges_of(criterion: str, field: str) -> list:
    return sorted({t.value for r in BASE.rules if band_key(r) == (criterion, field)
                   for t in r.patterns[0].tests if t.field == "value" and t.op in ("gte", "lt")})


def ascending(criterion: str, field: str) -> bool:
    """Whether the indicator's level rises with its value (its edges are listed low to high)."""
    bands = sorted((min((t.value for t in r.patterns[0].tests if t.op == "gte"), default=float("-inf")),
                    dict(r.emits[0].fields)["level"]) for r in BASE.rules if band_key(r) == (criterion, field))
    return [level for _, level in bands] == sorted(level for _, level in bands)


@functools.lru_cache(maxsize=1)
def flipping_edge() -> tuple[str, str, int, float, str]:
    """A shipped scenario, and one edge of a band it fired, that moved past its value flips it.

    Found by search so that the test follows the rule base: for each band a scenario fired, the
    band's lower edge is moved just above the value (the level drops) or its upper edge just
    below (the level rises); candidates are screened by re-running the rules downstream of the
    criteria with the changed level, then confirmed on the real engine. Returns (criterion,
    field, edge index, new value, scenario name).
    """
    downstream = replace(BASE, rules=tuple(r for r in BASE.rules if not r.writes & {"signal", "criterion"}),
                         sha256="0" * 64)
    corpus = read_corpus([str(SCENARIOS)])
    for loaded in corpus.scenarios:
        ev = engine_for(BASE).evaluate(loaded.facts(), loaded.name)
        before = outcome(ev)
        levels = {str(f.fields["name"]): f.fields.get("level") for f in ev.of_type("criterion")}
        signals = [(ev.rule(x.key), ev.fact(x.matched[0]).fields["value"]) for x in ev.firings if ev.rule(x.key).kind == "band"]
        inputs = [f for f in ev.facts if f.type == "indicator"]
        for rule, value in signals:
            key = band_key(rule)
            if key is None or not ascending(*key):
                continue
            criterion, field = key
            bands = band_levels(criterion, field)
            tests = {t.op: t.value for t in rule.patterns[0].tests if t.field == "value"}
            others = [lv for r, _ in signals if r is not rule and band_key(r) and band_key(r)[0] == criterion
                      for lv in [dict(r.emits[0].fields)["level"]]]
            edges = edges_of(criterion, field)
            moves = []
            if "gte" in tests:           # lower edge just above the value: the band below applies
                upper = tests.get("lt", value * 3 + 1)
                moves.append((edges.index(tests["gte"]), _between(value, upper), bands[tests["gte"]][0]))
            if "lt" in tests:            # upper edge just below the value: the band above applies
                lower = tests.get("gte", min(0, value - 1))
                moves.append((edges.index(tests["lt"]), _between(lower, value, above=False), bands[tests["lt"]][1]))
            for index, new, level in moves:
                if new is None:
                    continue
                changed = dict(levels, **{criterion: max([level] + others)})
                facts = inputs + criteria_facts(tuple(changed.get(c) for c in CRITERIA))
                if outcome(run(downstream, facts)) == before:
                    continue
                moved = load_ruleset("iasc-2018", {f"{criterion}/{field}.edges[{index}]": new})
                if verdict(evaluate(loaded, moved)) != verdict(evaluate(loaded, BASE)):
                    return criterion, field, index, new, loaded.name
    raise AssertionError("no shipped scenario flips when one band edge moves past its value")


def _between(low: float, high: float, above: bool = True) -> Optional[float]:
    """A round value strictly between ``low`` and ``high`` (None if there is none)."""
    mid = (low + high) / 2
    for candidate in (round(mid), round(mid, 1), round(mid, 2), mid):
        if low < candidate < high:
            return candidate
    return None


def band_levels(criterion: str, field: str) -> dict:
    """Edge value -> (level of the band below it, level of the band above it)."""
    below, above = {}, {}
    for r in BASE.rules:
        if band_key(r) != (criterion, field):
            continue
        level = dict(r.emits[0].fields)["level"]
        for t in r.patterns[0].tests:
            if t.op == "lt":
                below[t.value] = level
            if t.op == "gte":
                above[t.value] = level
    return {v: (below[v], above[v]) for v in below if v in above}


def write_edge_overlay(folder: Path, criterion: str, field: str, index: int, value: float) -> Path:
    """An overlay of the shipped rule set with one edge of one indicator moved."""
    chain = read_chain(resolve_ruleset("iasc-2018"), "iasc-2018", [])
    table, indicator = next((t, i) for _, _, rf in chain[-1].files for t in rf.tables for i in t.indicators
                            if t.criterion == criterion and i.field == field)
    ind = indicator.model_dump(exclude_none=True)
    ind["edges"][index] = {"value": value, "basis": "project", "note": "moved by the test"}
    folder.mkdir(parents=True)
    (folder / "ruleset.yaml").write_text(yaml.safe_dump({
        "id": "moved-edge", "version": "0.0.1", "title": "One edge moved", "effective_from": "2018-11-01",
        "extends": "iasc-2018", "include": ["moved.yaml"]}, sort_keys=False))
    (folder / "moved.yaml").write_text(yaml.safe_dump({"tables": [{
        "criterion": criterion, "title": table.title, "basis": table.basis, "source": table.source,
        "indicators": [ind]}]}, sort_keys=False))
    return folder


def test_moving_one_edge_lists_exactly_the_scenarios_that_flip_blaming_that_edge(tmp_path: Path) -> None:
    criterion, field, index, value, flipper = flipping_edge()
    overlay = load_ruleset(write_edge_overlay(tmp_path / "moved", criterion, field, index, value))
    result = diff_rulesets(BASE, overlay, [str(SCENARIOS)])

    corpus = read_corpus([str(SCENARIOS)])
    expected = {s.name for s in corpus.scenarios if verdict(evaluate(s, BASE)) != verdict(evaluate(s, overlay))}
    assert flipper in expected
    assert {i.scenario for i in result.impacts} == expected
    assert result.scenarios == len(corpus.scenarios)
    for impact in result.impacts:
        assert impact.blame is not None and impact.blame.changed
        assert impact.blame.rule.startswith(f"{criterion}/{field}/L"), impact.blame
    [band] = result.bands
    assert band.indicator == f"{criterion}/{field}" and f"edges[{index}]" in band.describe()
    assert result.rules == [] and result.parameters == []


def _blame_of(result, name: str) -> Optional[str]:
    return next((i.blame.rule for i in result.impacts if i.scenario == name and i.blame), None)


def test_a_changed_parameter_is_listed_and_blamed_on_a_rule_using_it() -> None:
    name, param = next((n, p) for n, p in BASE.parameters.items()
                       if any(t.param == n for r in BASE.rules for pt in r.patterns for t in pt.tests)
                       and isinstance(p.value, int) and not isinstance(p.value, bool))
    changed = load_ruleset("iasc-2018", {name: param.value + 1})
    result = diff_rulesets(BASE, changed, [str(SCENARIOS)])
    assert result.parameters == [(name, param.value, param.value + 1)]
    users = {r.id for r in BASE.rules if any(t.param == name for p in r.patterns for t in p.tests)}
    for impact in result.impacts:
        assert impact.blame is not None and impact.blame.rule in users and name in impact.blame.detail


def test_rules_added_removed_and_changed_are_listed(tmp_path: Path) -> None:
    victim = next(r for r in BASE.rules if r.kind == "rule" and r.emits[0].type == "note")
    renamed = {"id": victim.id, "title": "A new title", "source": victim.source, "basis": victim.basis,
               "when": [{"fact": "indicator", "field": "hazard.onset", "value": "sudden"}],
               "then": [{"assert": {"fact": "note", "text": "changed"}}]}
    added = json.loads(json.dumps(dict(renamed, id="diff.added")))     # no shared objects: no YAML anchors
    folder = tmp_path / "o"
    folder.mkdir()
    (folder / "ruleset.yaml").write_text(yaml.safe_dump({
        "id": "edited", "version": "0.0.2", "title": "Edited", "effective_from": "2018-11-01",
        "extends": "iasc-2018", "include": ["rules.yaml"]}))
    (folder / "rules.yaml").write_text(yaml.safe_dump({"rules": [renamed, added]}))
    result = diff_rulesets(BASE, load_ruleset(folder))
    changes = {c.id: c for c in result.rules}
    assert changes["diff.added"].change == "added"
    assert changes[victim.id].change == "changed"
    assert {"title", "conditions", "actions"} <= set(changes[victim.id].what)
    back = diff_rulesets(load_ruleset(folder), BASE)
    assert {c.id: c.change for c in back.rules}["diff.added"] == "removed"


def test_the_cli_previews_an_edge_move_with_set_in_text_and_json() -> None:
    criterion, field, index, value, flipper = flipping_edge()
    args = ["rules", "diff", "iasc-2018", "iasc-2018", "--scenarios", str(SCENARIOS),
            "--set", f"{criterion}/{field}.edges[{index}]={value}"]
    text = CliRunner().invoke(main, args)
    assert text.exit_code == 0, text.output
    assert f"bands {criterion}/{field}: edges[{index}]" in text.output
    assert flipper in text.output and f"blame: {criterion}/{field}/L" in text.output
    data = json.loads(CliRunner().invoke(main, args + ["-f", "json"]).output)
    assert flipper in {i["scenario"] for i in data["impacts"]}
    assert all(i["blame"]["rule"].startswith(f"{criterion}/{field}/") for i in data["impacts"])


def test_identical_rule_sets_have_no_changes_and_no_impact() -> None:
    result = diff_rulesets(BASE, load_ruleset("iasc-2018"), [str(SCENARIOS)])
    assert not result.changed and result.impacts == [] and result.scenarios > 0


def test_a_change_to_any_output_field_is_an_impact_with_a_line_per_field() -> None:
    """A --set that only moves the UNHCR level is not "0 scenarios changed"."""
    result = CliRunner().invoke(main, ["rules", "diff", "iasc-2018", "iasc-2018", "-s", str(SCENARIOS),
                                       "--set", "unhcr_l3_displacement=100000000"])
    assert result.exit_code == 0, result.output
    impacts = result.output.split("scenarios changed", 1)[1]
    assert f"3 of {len(read_corpus([str(SCENARIOS)]).scenarios)} scenarios changed: UNHCR level in 3\n" in result.output
    assert "refugee-influx-border.yaml\n    UNHCR level 3 -> 2\n    blame: unhcr.level-3#1" in impacts


def test_an_added_cluster_and_every_other_field_show_in_the_outcome(tmp_path: Path) -> None:
    health = {"id": "diff.health", "title": "Health for every sudden onset", "source": "SCALEUP-PROJECT",
              "basis": "project", "when": [{"fact": "indicator", "field": "hazard.onset", "value": "sudden"}],
              "then": [{"assert": {"fact": "cluster", "name": "Health", "lead": "WHO (diff test)"}},
                       {"assert": {"fact": "plan", "name": "Diff plan", "timing": "now"}},
                       {"assert": {"fact": "flag", "name": "diff_flag", "text": "raised"}},
                       {"assert": {"fact": "milestone", "name": "Diff review", "anchor": "onset", "days": 9}}]}
    folder = tmp_path / "o"
    folder.mkdir()
    (folder / "ruleset.yaml").write_text(yaml.safe_dump({
        "id": "health", "version": "0.0.1", "title": "Health", "effective_from": "2018-11-01",
        "extends": "iasc-2018", "include": ["rules.yaml"]}))
    (folder / "rules.yaml").write_text(yaml.safe_dump({"rules": [health]}))
    result = diff_rulesets(BASE, load_ruleset(folder), [str(SCENARIOS / "cyclone-coastal.yaml")])
    [impact] = result.impacts
    from scaleup.assurance.report import _changes, diff_text
    assert _changes(impact.old, impact.new) == [
        "cluster Health none -> WHO (diff test)", "plan + Diff plan (now)",
        "milestone + Diff review: 9 days after onset", "flag + diff_flag: raised"]
    assert impact.blame is not None and impact.blame.rule == "diff.health"
    assert "1 of 1 scenarios changed: clusters in 1, plans in 1, milestones in 1, flags in 1" in diff_text(result)


def test_the_outcome_holds_every_output_field() -> None:
    corpus = read_corpus([str(SCENARIOS / "cyclone-coastal.yaml")])
    ev = engine_for(BASE).evaluate(corpus.scenarios[0].facts(), "x")
    assert list(outcome(ev)) == ["decision", "route", "leads", "variant", "scope", "criteria", "clusters",
                                 "unhcr_level", "plans", "milestones", "flags", "notes"]
    assert set(outcome(ev)["criteria"]) == set(CRITERIA)
