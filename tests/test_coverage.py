"""``scaleup rules coverage``: which rules, bands and conditions a scenario corpus exercises."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from scaleup.assurance.coverage import Coverage, coverage
from scaleup.cli.main import main
from scaleup.engine.durable import engine_for
from scaleup.scenario.inputs import read_scenario
from scaleup.rules.load import load_ruleset
from scaleup.rules.overlay import band_key

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
CYCLONE = SCENARIOS / "cyclone-coastal.yaml"
RULESET = load_ruleset("iasc-2018")


@pytest.fixture(scope="module")
def shipped() -> Coverage:
    return coverage(RULESET, [str(SCENARIOS)])


def test_every_rule_is_counted_and_those_never_fired_are_listed(shipped: Coverage) -> None:
    assert set(shipped.rules) == set(RULESET.rule_ids)
    assert shipped.never() == [r for r, n in shipped.rules.items() if n == 0]
    assert all(0 <= n <= len(shipped.scenarios) for n in shipped.rules.values())
    assert shipped.problems == [] and shipped.scenarios


def test_each_condition_is_counted_once_per_scenario(shipped: Coverage) -> None:
    branches = sum(len(r.patterns) for r in RULESET.rules)
    assert len(shipped.conditions) == branches
    assert all(c.true + c.false == len(shipped.scenarios) for c in shipped.conditions)


def test_one_scenario_fires_exactly_the_rules_of_its_evaluation() -> None:
    one = coverage(RULESET, [str(CYCLONE)])
    ev = engine_for(RULESET).evaluate(read_scenario(CYCLONE).facts(), "cyclone")
    assert {r for r, n in one.rules.items() if n} == set(ev.fired_rules())
    fired_bands = {f.rule for f in ev.firings if band_key(ev.rule(f.key))}
    assert {b for counts in one.bands.values() for b, n in counts.items() if n == 1} == fired_bands
    assert all(c.covered is False for c in one.conditions)      # one scenario: nothing seen both ways


def test_a_condition_seen_true_in_one_scenario_and_false_in_another_is_covered(tmp_path: Path) -> None:
    shutil.copy(CYCLONE, tmp_path / "sudden.yaml")
    text = CYCLONE.read_text()
    assert "onset: sudden" in text
    (tmp_path / "protracted.yaml").write_text(text.replace("onset: sudden", "onset: protracted").replace(
        "id: cyclone-coastal", "id: cyclone-protracted"))
    two = coverage(RULESET, [str(tmp_path)])
    onset = [c for c in two.conditions if "field=hazard.onset" in c.text and "sudden" in c.text
             and "protracted" not in c.text and not c.text.startswith("not")]
    assert onset and all(c.covered for c in onset)


def test_the_cli_prints_a_table_and_json_and_fails_under_a_threshold(shipped: Coverage) -> None:
    runner = CliRunner()
    text = runner.invoke(main, ["rules", "coverage", "iasc-2018", str(SCENARIOS)])
    assert text.exit_code == 0, text.output
    assert f"rules fired:    {shipped.summary()['rules_fired']} of {len(RULESET.rule_ids)}" in text.output
    assert "bands (scenarios in which each band fired):" in text.output
    data = json.loads(runner.invoke(main, ["rules", "coverage", "iasc-2018", str(CYCLONE), "-f", "json"]).output)
    assert data["summary"]["scenarios"] == 1 and data["never_fired"]
    strict = runner.invoke(main, ["rules", "coverage", "iasc-2018", str(CYCLONE), "--fail-under", "100"])
    assert strict.exit_code == 1 and "under 100" in strict.output


def test_an_invalid_scenario_is_reported_with_its_line_and_fails_the_command(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(CYCLONE.read_text().replace("affected: 1850000", "affected: lots"))
    result = CliRunner().invoke(main, ["rules", "coverage", "iasc-2018", str(bad)])
    assert result.exit_code == 1
    assert f"error: {bad}:" in result.output and "populations.affected" in result.output
