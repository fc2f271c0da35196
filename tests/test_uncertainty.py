"""Uncertain figures: ranges in scenarios, draws through the batch pool, exact regions, outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from scaleup.cli.main import main
from scaleup.errors import ScaleupError, ScenarioError
from scaleup.recommendation.evaluate import evaluate
from scaleup.uncertainty.report import render_html, render_text
from scaleup.rules.load import load_ruleset
from scaleup.uncertainty.sampling import run_uncertain, wilson
from scaleup.scenario.load import parse_scenario
from scaleup.schemas import json_schema

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "scenarios" / "uncertain" / "conflict-idp-uncertain-capacity.yaml"


@pytest.fixture(scope="module")
def ruleset():
    return load_ruleset("iasc-2018")


def _with(tmp_path: Path, **sections: dict) -> Path:
    """The shipped uncertain scenario with sections replaced (None removes a field)."""
    data = yaml.safe_load(SHIPPED.read_text())
    data.pop("expect")
    for section, fields in sections.items():
        for name, value in fields.items():
            if value is None:
                data[section].pop(name, None)
            else:
                data[section][name] = value
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_the_three_kinds_of_range_are_read_with_their_point_estimates():
    loaded = parse_scenario(SHIPPED.read_bytes(), "s.yaml")
    got = {r.field: (r.kind, r.point) for r in loaded.ranges}
    assert got == {"capacity.inform_lcc": ("triangular", 4.6), "capacity.people_reached": ("triangular", 300000),
                   "risk.pipeline_break_weeks": ("discrete", 1)}
    assert loaded.scenario.capacity.inform_lcc == 4.6 and loaded.document.data["capacity"]["people_reached"] == 300000
    uniform = parse_scenario(SHIPPED.read_text().replace("{low: 3.5, mode: 4.6, high: 6.5}", "{low: 3, high: 6}"), "u.yaml")
    assert [r.point for r in uniform.ranges if r.kind == "uniform"] == [4.5]


BAD = [
    ("{low: 6, high: 3}", "capacity.inform_lcc.low", "is not below high"),
    ("{low: 3, mode: 9, high: 6}", "capacity.inform_lcc.mode", "is outside low..high"),
    ("{values: [3, 4], weights: [1]}", "capacity.inform_lcc.weights", "one weight per value (2), got 1"),
    ("{values: [3, 4], weights: [1, -1]}", "capacity.inform_lcc.weights[1]", "expected a number >= 0"),
    ("{low: 3}", "capacity.inform_lcc.high", "a range needs both low and high"),
    ("{low: 3, high: 60}", "capacity.inform_lcc.high", "outside the field's range"),
    ("{lo: 3, high: 6}", "capacity.inform_lcc.lo", "unknown key of a range"),
]


@pytest.mark.parametrize("spec, field, message", BAD)
def test_a_bad_range_is_a_located_error(spec: str, field: str, message: str):
    text = SHIPPED.read_text().replace("{low: 3.5, mode: 4.6, high: 6.5}", spec)
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text, "bad.yaml")
    [problem] = err.value.problems
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if ln.strip().startswith("inform_lcc:"))
    assert (problem.file, problem.line, problem.field) == ("bad.yaml", line, field)
    assert message in problem.message


def test_a_plain_evaluation_scores_the_point_estimates_and_says_so(ruleset):
    rec = evaluate(parse_scenario(SHIPPED.read_bytes(), "s.yaml"), ruleset)
    assert rec.scale_up == "consider"
    assert rec.caveats[0].text.startswith("Uncertain figures, evaluated at their point estimates: capacity.inform_lcc 4.6")
    assert "--samples" in rec.caveats[0].text


def test_the_scenario_schema_accepts_ranges_and_refuses_a_range_with_an_unknown_key():
    validator = jsonschema.Draft202012Validator(json_schema("scenario"))
    data = yaml.safe_load(SHIPPED.read_text())
    data = json.loads(json.dumps(data, default=str))
    assert list(validator.iter_errors(data)) == []
    data["capacity"]["inform_lcc"] = {"lo": 1, "high": 2}
    assert list(validator.iter_errors(data))


def test_wilson_interval_matches_the_textbook_values():
    lo, hi = wilson(50, 100)
    assert round(lo, 4) == 0.4038 and round(hi, 4) == 0.5962
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == 1.0


def test_the_sampler_agrees_with_the_exact_regions_of_one_range(ruleset, tmp_path):
    path = _with(tmp_path, capacity={"people_reached": 300000}, risk={"pipeline_break_weeks": 1})
    result = run_uncertain(path, ruleset, samples=200, seed=7)
    exact = result.exact.decisions
    assert exact is not None and set(exact) == {"consider", "recommend"} and result.exact.cells >= 2
    assert abs(sum(exact.values()) - 1) < 1e-9
    for value, _, _, (lo, hi) in result.shares("decision"):
        assert lo <= exact[value] <= hi, (value, exact[value], lo, hi)
    [only] = result.sensitivity
    assert only.decision_flips == pytest.approx(exact["recommend"])   # the point estimate is "consider"
    text = render_text(result)
    assert "Exact, from the band edges" in text and f"{exact['recommend'] * 100:5.1f}%" in text
    assert "dashed line: the exact probability" in render_html(result)


def test_two_ranges_of_which_one_is_discrete_get_exact_regions_too(ruleset, tmp_path):
    path = _with(tmp_path, capacity={"people_reached": 300000})
    result = run_uncertain(path, ruleset, samples=0, exact=True)
    assert result.exact.decisions is not None and result.draws == []
    assert sum(result.exact.decisions.values()) == pytest.approx(1)


def test_exact_mode_refuses_three_ranges_and_says_why(ruleset):
    with pytest.raises(ScaleupError, match="3 uncertain figures; exact regions are computed for one or two"):
        run_uncertain(SHIPPED, ruleset, exact=True)


def test_sampling_a_scenario_without_ranges_is_refused(ruleset):
    with pytest.raises(ScaleupError, match="no figure is a range"):
        run_uncertain(ROOT / "scenarios" / "conflict-idp-consider.yaml", ruleset, samples=10)


def test_draws_that_contradict_each_other_are_left_out_and_counted(ruleset, tmp_path):
    path = _with(tmp_path, populations={"affected": {"low": 600000, "high": 900000},
                                        "in_need": {"low": 500000, "high": 800000}},
                 capacity={"inform_lcc": 4.6, "people_reached": 300000}, risk={"pipeline_break_weeks": None})
    result = run_uncertain(path, ruleset, samples=200, seed=1)
    [(reason, count)] = result.inconsistent()
    assert reason == "populations.in_need is more than populations.affected" and 0 < count < 200
    assert len(result.valid) == 200 - count
    assert f"left out: {count:,} draws where populations.in_need is more than populations.affected" in render_text(result)


def test_cli_json_is_deterministic_for_a_seed_any_worker_count_and_any_hash_seed():
    runner = CliRunner()
    args = ["evaluate", str(SHIPPED), "--samples", "30", "--seed", "5", "-f", "json"]
    one = runner.invoke(main, [*args, "-j", "1"])
    two = subprocess.run([sys.executable, "-m", "scaleup", *args, "-j", "2"], capture_output=True, cwd=ROOT,
                         env={**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)})
    assert one.exit_code == 0 and two.returncode == 0, one.output + two.stderr.decode()
    assert one.output.encode() == two.stdout
    data = json.loads(one.output)
    assert data["samples"] == 30 and sum(d["count"] for d in data["decisions"]) == 30
    assert [s["field"] for s in data["sensitivity"]["fields"]][0] == "capacity.inform_lcc"
    other = runner.invoke(main, ["evaluate", str(SHIPPED), "--samples", "30", "--seed", "6", "-f", "json", "-j", "1"])
    assert other.output != one.output


def test_cli_text_and_html_show_probabilities_and_sensitivities(tmp_path):
    runner = CliRunner()
    text = runner.invoke(main, ["evaluate", str(SHIPPED), "--samples", "20", "-j", "1"])
    assert text.exit_code == 0
    assert "Decision (probability, 95% Wilson interval):" in text.output and "Sensitivity:" in text.output
    out = tmp_path / "u.html"
    html = runner.invoke(main, ["evaluate", str(SHIPPED), "--samples", "20", "-j", "1", "-f", "html", "-o", str(out)])
    assert html.exit_code == 0
    page = out.read_text()
    assert page.count("<svg") == 3 and "Tornado chart" in page and "<script" not in page


def test_cli_refuses_samples_with_several_files_or_markdown():
    runner = CliRunner()
    many = runner.invoke(main, ["evaluate", str(SHIPPED), str(SHIPPED), "--samples", "10"])
    assert many.exit_code == 2 and "one scenario file" in many.output
    md = runner.invoke(main, ["evaluate", str(SHIPPED), "--samples", "10", "-f", "markdown"])
    assert md.exit_code == 2 and "not markdown" in md.output


def test_two_continuous_ranges_that_no_rule_ties_together_get_exact_cells(ruleset, tmp_path):
    path = _with(tmp_path, risk={"pipeline_break_weeks": 1})
    result = run_uncertain(path, ruleset, exact=True)
    assert result.exact.decisions is not None and result.exact.cells >= 4
    assert sum(result.exact.decisions.values()) == pytest.approx(1)


def test_two_ranges_tied_by_a_cross_field_check_get_no_exact_cells_and_the_reason(ruleset):
    from scaleup.uncertainty.exact import Regions
    loaded = parse_scenario(SHIPPED.read_text().replace("affected: 900000, in_need: 700000",
                                                        "affected: {low: 600000, high: 900000}, in_need: {low: 500000, high: 800000}")
                            .replace("{low: 3.5, mode: 4.6, high: 6.5}", "4.6")
                            .replace("{low: 100000, mode: 300000, high: 400000}", "300000")
                            .replace("{values: [1, 2, 4], weights: [3, 2, 1]}", "1"), "tied.yaml")
    ranges = loaded.ranges
    cells, reason = Regions(loaded.document.data, ruleset).cells(ranges, {r.field: r.point for r in ranges})
    assert cells is None and reason.startswith("populations.affected and populations.in_need interact")


def test_validate_accepts_a_scenario_with_ranges():
    result = CliRunner().invoke(main, ["validate", str(SHIPPED)])
    assert result.exit_code == 0 and "ok: " in result.output


def test_a_plain_cli_evaluation_notes_on_stderr_that_it_used_the_point_estimates():
    result = subprocess.run([sys.executable, "-m", "scaleup", "evaluate", str(SHIPPED), "--check"], capture_output=True,
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, text=True)
    assert result.returncode == 0, result.stderr
    assert "3 uncertain figures evaluated at their point estimates; --samples N" in result.stderr
    assert "Uncertain figures, evaluated at their point estimates" in result.stdout


def test_a_stopped_run_says_it_was_interrupted_and_reports_nothing(ruleset):
    result = run_uncertain(SHIPPED, ruleset, samples=20, should_stop=lambda: True)
    assert result.interrupted and result.draws == [] and result.sensitivity == []
