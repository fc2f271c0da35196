"""Sweeps: the grid is what was asked, each point is what a direct evaluation gives, invalid points
are reported, and the decision map marks the rule set's band edges."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scaleup.cli.main import main
from scaleup.errors import ScaleupError
from scaleup.recommendation.evaluate import evaluate
from scaleup.batch.decision_map import render
from scaleup.display import fmt as fmt_value
from scaleup.rules.load import load_ruleset
from scaleup.scenario.load import load_scenario
from scaleup.batch.sweep import parse_vary, run_sweep
from scaleup.scenario.yamlio import load_document

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "scenarios" / "cyclone-coastal.yaml"


@pytest.fixture(scope="module")
def ruleset():
    return load_ruleset("iasc-2018")


def base_data() -> dict[str, Any]:
    return json.loads(json.dumps(load_document(BASE).data, default=str))


def direct(tmp_path: Path, ruleset, **values: Any) -> dict[str, Any]:
    """Evaluate the base scenario with fields set, written out as a file of its own."""
    data = base_data()
    data.pop("expect", None)
    for dotted, value in values.items():
        section, name = dotted.replace("__", ".").split(".")
        data.setdefault(section, {})[name] = value
    path = tmp_path / "direct.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    rec = evaluate(load_scenario(path), ruleset)
    return {"decision": rec.scale_up, "route": rec.route or "",
            **{c.name: "" if c.level is None else str(c.level) for c in rec.criteria}}


def grid_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_a_range_includes_its_stop_and_lists_take_numbers_or_categories():
    assert parse_vary("populations.in_need=0:1000000:250000").values == (0, 250000, 500000, 750000, 1000000)
    assert parse_vary("health_nutrition.cmr=0.5:1.4:0.3").values == (0.5, 0.8, 1.1, 1.4)
    assert parse_vary("health_nutrition.cmr=2,0.5,1").values == (0.5, 1, 2)
    assert parse_vary("hazard.onset=gradual,sudden").values == ("gradual", "sudden")
    assert parse_vary("capacity.hc_designated=true,false").values == (True, False)


@pytest.mark.parametrize("spec, message", [
    ("populations.in_ned=0:10:1", "did you mean 'populations.in_need'?"),
    ("populations.iasc_caseload_pct=1:5:1", "is computed from other fields"),
    ("health_nutrition.gam_pct=0:150:50", "150 is above the field's maximum 100"),
    ("populations.in_need=0.5,1", "0.5 is not a whole number"),
    ("hazard.onset=sudden,gradul", "did you mean 'gradual'?"),
    ("hazard.onset=0:1:1", "not numeric"),
    ("populations.in_need=10:0:1", "does not lead from 10 to 0"),
    ("populations.in_need=0:100000000:1", "at most 10,000"),
    ("populations.in_need", "is not FIELD=START:STOP:STEP"),
    ("populations.in_need=a:b:c", "'a' is not a number"),
])
def test_bad_vary_arguments_are_refused_with_a_clear_message(spec, message):
    with pytest.raises(ScaleupError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        parse_vary(spec)


def test_a_one_field_sweep_writes_one_row_per_value_that_matches_direct_evaluation(tmp_path, ruleset):
    out = tmp_path / "grid.csv"
    result = CliRunner().invoke(main, ["sweep", str(BASE), "--vary", "capacity.inform_lcc=0:10:0.5", "-o", str(out), "-j", "2"])
    assert result.exit_code == 0, result.stderr
    rows = grid_of(out.read_bytes().decode())
    assert [float(r["capacity.inform_lcc"]) for r in rows] == [i / 2 for i in range(21)]
    assert list(rows[0])[:4] == ["capacity.inform_lcc", "status", "decision", "route"]
    for index, value in ((1, 0.5), (14, 7)):
        expected = direct(tmp_path, ruleset, **{"capacity.inform_lcc": value})
        assert {k: rows[index][k] for k in expected} == expected
    assert "sweep: 21 points (21)" in result.stderr and f"wrote {out}" in result.stderr


def test_a_two_field_sweep_covers_the_grid_and_reports_invalid_points(tmp_path, ruleset):
    affected = base_data()["populations"]["affected"]
    needs = [affected // 4, affected // 2, affected, affected + 1000]
    result = CliRunner().invoke(main, ["sweep", str(BASE), "--vary", "populations.in_need=" + ",".join(map(str, needs)),
                                       "--vary", "health_nutrition.cmr=0.5,1.5,2.5", "-j", "1"])
    assert result.exit_code == 0, result.stderr
    rows = grid_of(result.stdout)
    assert [(int(r["populations.in_need"]), float(r["health_nutrition.cmr"])) for r in rows] == \
        [(n, c) for n in needs for c in (0.5, 1.5, 2.5)]
    invalid = [r for r in rows if r["status"] == "error"]
    assert len(invalid) == 3 and all(int(r["populations.in_need"]) == affected + 1000 for r in invalid)
    assert all("populations.in_need: " in r["error"] and "is more than populations.affected" in r["error"] for r in invalid)
    expected = direct(tmp_path, ruleset, **{"populations.in_need": affected // 2, "health_nutrition.cmr": 2.5})
    assert {k: rows[5][k] for k in expected} == expected
    assert "3 grid points make the scenario invalid" in result.stderr


def test_a_sweep_refuses_three_fields_or_one_field_twice(tmp_path):
    runner = CliRunner()
    three = runner.invoke(main, ["sweep", str(BASE), "--vary", "populations.in_need=1,2", "--vary",
                                 "health_nutrition.cmr=1,2", "--vary", "capacity.inform_lcc=1,2"])
    twice = runner.invoke(main, ["sweep", str(BASE), "--vary", "populations.in_need=1,2", "--vary", "populations.in_need=3,4"])
    assert three.exit_code == twice.exit_code == 1
    assert "a sweep varies one or two" in three.stderr and "varied twice" in twice.stderr


def test_an_invalid_base_scenario_is_reported_with_its_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE.read_text(encoding="utf-8").replace("population:", "populaton:", 1), encoding="utf-8")
    result = CliRunner().invoke(main, ["sweep", str(bad), "--vary", "populations.in_need=1,2"])
    assert result.exit_code == 1 and f"{bad}:" in result.stderr and "populaton" in result.stderr


def test_the_decision_map_marks_the_rule_sets_band_edges_and_escapes_scenario_text(tmp_path, ruleset):
    data = base_data()
    data["title"] = "<script>alert('x')</script> & co"
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    vary = parse_vary("capacity.inform_lcc=0:10:0.5")
    html = render(run_sweep(path, [vary], ruleset, workers=1))
    assert "<script>" not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co" in html
    edges = sorted({t.value for r in ruleset.rules if r.kind == "band"
                    for t in r.thresholds if t.field == "capacity.inform_lcc" and t.op in ("gte", "lt")})
    assert edges, "the rule set scores capacity.inform_lcc"
    for edge in edges:
        assert re.search(rf'<td class="num">\d+</td><td><code>capacity.inform_lcc</code></td><td class="num">{fmt_value(edge)}</td>', html)
    assert html.count('class="cell"') == 2 * 21 and "http" not in html.replace("http://www.w3.org/2000/svg", "")


def test_sweep_writes_the_html_map_and_keeps_stdout_free(tmp_path):
    out = tmp_path / "map.html"
    result = CliRunner().invoke(main, ["sweep", str(BASE), "--vary", "hazard.onset=sudden,gradual,protracted",
                                       "--html", str(out), "-j", "1"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_a_sweep_shows_progress_and_reports_every_point_to_a_library_caller(tmp_path, ruleset):
    result = CliRunner().invoke(main, ["sweep", str(BASE), "--vary", "capacity.inform_lcc=1:3:1", "-o",
                                       str(tmp_path / "g.csv"), "-j", "1", "--progress"])
    assert result.exit_code == 0, result.stderr
    assert "3/3" in result.stderr and "[########################]" in result.stderr
    seen: list[tuple[int, int]] = []
    run_sweep(BASE, [parse_vary("capacity.inform_lcc=1:3:1")], ruleset,
              progress=lambda counts: seen.append((counts.done, counts.total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    quiet = CliRunner().invoke(main, ["sweep", str(BASE), "--vary", "capacity.inform_lcc=1:3:1", "-o",
                                      str(tmp_path / "q.csv"), "-j", "1", "--no-progress"])
    assert "3/3" not in quiet.stderr
