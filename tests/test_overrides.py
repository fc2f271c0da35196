"""Band edges set for one run (``--set CRITERION/FIELD.edges[I]=VALUE``) and rule set overlays
(``extends:``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from scaleup.cli.main import main
from scaleup.errors import RulesetError
from scaleup.rules.load import load_ruleset
from scaleup.rules.overlay import band_key

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "rulesets" / "iasc-2018"
EXAMPLE = ROOT / "rulesets" / "examples" / "stricter-gap"
SCENARIO = ROOT / "scenarios" / "cyclone-coastal.yaml"


def band_tests(ruleset, criterion: str, field: str) -> list[tuple]:
    """(lower, upper) of each band of an indicator, in band order."""
    out = []
    for r in ruleset.rules:
        if band_key(r) == (criterion, field):
            tests = {t.op: t.value for t in r.patterns[0].tests if t.field == "value"}
            out.append((tests.get("gte"), tests.get("lt")))
    return out


def test_a_band_edge_set_for_one_run_moves_both_bands_it_separates() -> None:
    base = load_ruleset("iasc-2018")
    edges = sorted({v for pair in band_tests(base, "scale", "populations.iasc_caseload") for v in pair if v is not None})
    moved = (edges[1] + edges[2]) // 2
    changed = load_ruleset("iasc-2018", {"scale/populations.iasc_caseload.edges[1]": moved})
    bands = band_tests(changed, "scale", "populations.iasc_caseload")
    assert (edges[0], moved) in bands and (moved, edges[2]) in bands
    assert ("scale/populations.iasc_caseload.edges[1]", moved) in changed.overrides
    assert changed.fingerprint != base.fingerprint


def test_an_edge_set_for_one_run_becomes_a_project_threshold() -> None:
    changed = load_ruleset("iasc-2018", {"scale/populations.iasc_caseload.edges[0]": 20000})
    thresholds = [t for r in changed.rules if band_key(r) == ("scale", "populations.iasc_caseload")
                  for t in r.thresholds if t.value == 20000]
    assert thresholds and all(t.basis == "project" for t in thresholds)


@pytest.mark.parametrize("key, value, message", [
    ("scale/populations.iasc_casload.edges[1]", 300000, "no scoring table indicator scale/populations.iasc_casload"),
    ("scale/populations.iasc_caseload.edges[9]", 300000, "scale/populations.iasc_caseload has"),
    ("scale/populations.iasc_caseload.edges[1]", 5, "not strictly increasing"),
    ("scale/populations.iasc_caseload.edges[1]", "many", "a band edge of populations.iasc_caseload: expected a number"),
    ("scale/populations.iasc_caseload.edge[1]", 5, "not a parameter name or a band edge"),
])
def test_a_bad_edge_override_is_reported_against_the_set_option(key: str, value: object, message: str) -> None:
    with pytest.raises(RulesetError) as caught:
        load_ruleset("iasc-2018", {key: value})
    problem = caught.value.problems[0]
    assert (problem.file, problem.field) == ("--set", key)
    assert message in problem.message


def test_a_misspelt_indicator_in_an_edge_override_gets_a_did_you_mean_hint() -> None:
    with pytest.raises(RulesetError) as caught:
        load_ruleset("iasc-2018", {"scale/populations.iasc_casload.edges[1]": 300000})
    assert "did you mean 'scale/populations.iasc_caseload'" in caught.value.problems[0].hint


def test_evaluate_records_an_edge_override_in_the_stamp() -> None:
    result = CliRunner().invoke(main, ["evaluate", str(SCENARIO), "-f", "json",
                                       "--set", "scale/populations.iasc_caseload.edges[3]=4000000"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    record = data[0] if isinstance(data, list) else data
    assert record["stamp"]["overrides"] == {"scale/populations.iasc_caseload.edges[3]": 4000000}


# --- overlays ----------------------------------------------------------------------------------

class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:
        return True


def dump(data: object) -> str:
    """YAML without anchors (the loader refuses them)."""
    return yaml.dump(data, Dumper=_NoAliases, sort_keys=False)


def write_overlay(folder: Path, extends: str, files: dict[str, dict], **head: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = {"id": "test-overlay", "version": "0.0.1", "title": "A test overlay", "effective_from": "2020-01-01",
            "extends": extends, **head, "include": sorted(files)}
    (folder / "ruleset.yaml").write_text(dump(data))
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(dump(content))
    return folder


def indicator_overlay(edges: list) -> dict:
    return {"tables": [{"criterion": "scale", "title": "Scale", "basis": "project", "source": "SCALEUP-PROJECT",
                        "indicators": [{"field": "populations.iasc_caseload", "edges": edges}]}]}


def test_an_overlay_replaces_one_indicator_and_keeps_the_rest_of_the_base(tmp_path: Path) -> None:
    base = load_ruleset("iasc-2018")
    overlay = load_ruleset(write_overlay(tmp_path / "o", "iasc-2018",
                                         {"scale.yaml": indicator_overlay([40000, 250000, 1000000, 3000000])}))
    assert (overlay.id, overlay.version) == ("test-overlay", "0.0.1")
    assert band_tests(overlay, "scale", "populations.iasc_caseload")[0] == (None, 40000)
    moved = [r for r in overlay.rules if band_key(r) == ("scale", "populations.iasc_caseload")]
    assert all(r.file.endswith("scale.yaml") and str(tmp_path) in r.file for r in moved)
    others = lambda rs: [(r.key, r.patterns) for r in rs.rules if band_key(r) != ("scale", "populations.iasc_caseload")]  # noqa: E731
    assert others(overlay) == others(base)
    assert overlay.sources == base.sources and overlay.parameters == base.parameters


def test_an_overlay_rule_with_a_base_rule_id_replaces_it_in_place(tmp_path: Path) -> None:
    base = load_ruleset("iasc-2018")
    target = next(r for r in base.rules if r.kind == "rule" and r.emits and r.emits[0].type == "note")
    rule = {"id": target.id, "title": "Replaced", "source": "SCALEUP-PROJECT", "basis": "project",
            "when": [{"fact": "indicator", "field": "hazard.onset", "value": "sudden"}],
            "then": [{"assert": {"fact": "note", "text": "replaced"}}]}
    extra = dict(rule, id="overlay.extra", title="Added")
    overlay = load_ruleset(write_overlay(tmp_path / "o", "iasc-2018", {"rules.yaml": {"rules": [rule, extra]}}))
    replaced = overlay.branches(target.id)
    assert [r.title for r in replaced] == ["Replaced"]
    assert overlay.branches("overlay.extra")
    assert len(overlay.rule_ids) == len(base.rule_ids) + 1


def test_overlay_parameters_merge_over_the_base(tmp_path: Path) -> None:
    base = load_ruleset("iasc-2018")
    name, param = next((n, p) for n, p in base.parameters.items() if isinstance(p.value, int) and not isinstance(p.value, bool))
    changed = dict(param.model_dump(exclude_none=True), value=param.value + 1)
    overlay = load_ruleset(write_overlay(tmp_path / "o", "iasc-2018", {}, parameters={name: changed}))
    assert overlay.parameters[name].value == param.value + 1
    assert set(overlay.parameters) == set(base.parameters)


def test_an_overlay_digest_covers_the_base_files(tmp_path: Path) -> None:
    shutil.copytree(SHIPPED, tmp_path / "base")
    folder = write_overlay(tmp_path / "o", "../base", {"scale.yaml": indicator_overlay([40000, 250000, 1000000, 3000000])})
    before = load_ruleset(folder).sha256
    assert before != load_ruleset(tmp_path / "base").sha256
    head = tmp_path / "base" / "ruleset.yaml"
    head.write_text(head.read_text() + "\n# a comment changes the bytes\n")
    assert load_ruleset(folder).sha256 != before


def test_an_overlay_of_a_missing_rule_set_is_located_at_its_extends_line(tmp_path: Path) -> None:
    folder = write_overlay(tmp_path / "o", "iasc-2019", {})
    with pytest.raises(RulesetError) as caught:
        load_ruleset(folder)
    problem = caught.value.problems[0]
    assert problem.file.endswith("ruleset.yaml") and problem.field == "extends"
    assert problem.line == 5 and "iasc-2018" in problem.hint


def test_an_overlay_may_not_extend_an_absolute_path(tmp_path: Path) -> None:
    folder = write_overlay(tmp_path / "o", str(ROOT / "rulesets" / "iasc-2018"), {})
    with pytest.raises(RulesetError, match="absolute path"):
        load_ruleset(folder)


def test_an_overlay_can_extend_a_shipped_overlay(tmp_path: Path) -> None:
    rs = load_ruleset(write_overlay(tmp_path / "o", "examples/stricter-gap", {}))
    assert rs.sha256 not in (load_ruleset(EXAMPLE).sha256, load_ruleset("iasc-2018").sha256)
    assert band_tests(rs, "capacity", "capacity.inform_lcc") == band_tests(load_ruleset(EXAMPLE), "capacity", "capacity.inform_lcc")


def test_overlays_extending_each_other_are_an_error(tmp_path: Path) -> None:
    write_overlay(tmp_path / "a", "../b", {})
    write_overlay(tmp_path / "b", "../a", {})
    with pytest.raises(RulesetError, match="leads back"):
        load_ruleset(tmp_path / "a")


def test_an_edge_override_applies_to_the_overlay_indicator_that_takes_effect(tmp_path: Path) -> None:
    folder = write_overlay(tmp_path / "o", "iasc-2018", {"scale.yaml": indicator_overlay([40000, 250000, 1000000, 3000000])})
    rs = load_ruleset(folder, {"scale/populations.iasc_caseload.edges[0]": 45000})
    assert band_tests(rs, "scale", "populations.iasc_caseload")[0] == (None, 45000)


def test_the_example_overlay_moves_one_edge_of_the_shipped_rule_set() -> None:
    base, overlay = load_ruleset("iasc-2018"), load_ruleset(EXAMPLE)
    assert overlay.id == "stricter-gap"
    before = {(b.key, b.patterns) for b in base.rules}
    differing = {r.key for r in overlay.rules if (r.key, r.patterns) not in before}
    assert differing and {band_key(overlay.branches(k.split("#")[0])[0]) for k in differing} == {("capacity", "capacity.inform_lcc")}
    assert len(overlay.rules) == len(base.rules)
