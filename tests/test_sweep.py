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
from scaleup.batch.sweep import make_design, parse_vary, run_sweep
from scaleup.batch.sweep_design import Shuffle
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
    ("populations.in_need=0:100000000:1", "at most 100,000 for one field"),
    ("populations.in_need", "is not FIELD=START:STOP:STEP"),
    ("populations.in_need=5:5", "the range 5 to 5 is empty"),
    ("populations.in_need=1:2:3:4", "a range is START:STOP:STEP or START:STOP"),
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


def test_a_two_field_sweep_covers_the_grid_moves_dependent_fields_and_reports_invalid_points(tmp_path, ruleset):
    data = base_data()
    affected, population = data["populations"]["affected"], data["country"]["population"]
    needs = [affected // 4, affected // 2, affected, affected + 1000, population + 1000]
    result = CliRunner().invoke(main, ["sweep", str(BASE), "--vary", "populations.in_need=" + ",".join(map(str, needs)),
                                       "--vary", "health_nutrition.cmr=0.5,1.5,2.5", "-j", "1"])
    assert result.exit_code == 0, result.stderr
    rows = grid_of(result.stdout)
    assert [(int(r["populations.in_need"]), float(r["health_nutrition.cmr"])) for r in rows] == \
        [(n, c) for n in needs for c in (0.5, 1.5, 2.5)]
    # in need above affected: affected follows it (the flips search's rule), and the row says so
    moved = [r for r in rows if int(r["populations.in_need"]) == affected + 1000]
    assert all(r["status"] == "ok" and r["adjusted"] == f"populations.affected={affected + 1000}" for r in moved)
    expected = direct(tmp_path, ruleset, **{"populations.in_need": affected + 1000, "populations.affected": affected + 1000,
                                            "health_nutrition.cmr": 1.5})
    assert {k: rows[10][k] for k in expected} == expected
    # ... but not above the country's population, which is not a field a point may move: invalid rows
    invalid = [r for r in rows if r["status"] == "error"]
    assert len(invalid) == 3 and all(int(r["populations.in_need"]) == population + 1000 for r in invalid)
    assert all("populations.in_need: " in r["error"] and "is more than populations.affected" in r["error"] for r in invalid)
    assert all(r["adjusted"] == "" for r in rows if int(r["populations.in_need"]) <= affected)
    expected = direct(tmp_path, ruleset, **{"populations.in_need": affected // 2, "health_nutrition.cmr": 2.5})
    assert {k: rows[5][k] for k in expected} == expected
    assert "3 points make the scenario invalid" in result.stderr
    assert "3 points moved a dependent field to stay consistent" in result.stderr


def test_varying_a_total_alone_moves_its_parts_instead_of_making_points_invalid(tmp_path):
    """populations.affected=0:6000000:500000 made 6 of 13 points invalid before dependent fields followed."""
    result = CliRunner().invoke(main, ["sweep", str(BASE), "--vary", "populations.affected=0:6000000:500000", "-j", "1"])
    assert result.exit_code == 0, result.stderr
    rows = grid_of(result.stdout)
    assert len(rows) == 13 and [r["status"] for r in rows] == ["error"] + ["ok"] * 12
    assert "impact.deaths: 600 deaths is more than populations.affected (0)" in rows[0]["error"]
    assert rows[1]["adjusted"] == "populations.in_need=500000; populations.non_displaced_affected=500000"


def test_three_fields_make_a_full_grid_first_field_slowest(tmp_path):
    result = CliRunner().invoke(main, ["sweep", str(BASE), "--vary", "capacity.inform_lcc=1,9", "--vary",
                                       "health_nutrition.cmr=0.5,2", "--vary", "hazard.onset=sudden,gradual,protracted",
                                       "-j", "1"])
    assert result.exit_code == 0, result.stderr
    rows = grid_of(result.stdout)
    assert [(r["capacity.inform_lcc"], r["health_nutrition.cmr"], r["hazard.onset"]) for r in rows] == \
        [(a, b, c) for a in ("1", "9") for b in ("0.5", "2") for c in ("sudden", "gradual", "protracted")]
    assert "sweep: 12 points (2 x 2 x 3)" in result.stderr


def test_a_sweep_refuses_one_field_twice_a_span_without_sampling_and_a_map_of_unvaried_fields(tmp_path):
    runner = CliRunner()
    twice = runner.invoke(main, ["sweep", str(BASE), "--vary", "populations.in_need=1,2", "--vary", "populations.in_need=3,4"])
    span = runner.invoke(main, ["sweep", str(BASE), "--vary", "populations.in_need=1:200"])
    other = runner.invoke(main, ["sweep", str(BASE), "--vary", "populations.in_need=1,2", "--map", "health_nutrition.cmr",
                                 "--html", str(tmp_path / "m.html")])
    assert twice.exit_code == span.exit_code == other.exit_code == 1
    assert "varied twice" in twice.stderr
    assert "has no step, so it only makes sense for a sampled sweep" in span.stderr and "--sample lhs N" in span.stderr
    assert "health_nutrition.cmr: is not one of the varied fields" in other.stderr


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


@pytest.mark.parametrize("n", [1, 2, 3, 5, 17, 64, 1000, 4097])
def test_the_latin_hypercube_shuffle_is_a_permutation(n):
    import random
    shuffle = Shuffle(n, random.Random(n))
    assert sorted(shuffle(i) for i in range(n)) == list(range(n))
    if n >= 17:
        assert [shuffle(i) for i in range(n)] != list(range(n))


def test_a_latin_hypercube_uses_every_stratum_of_every_field_once():
    n = 200
    design = make_design([parse_vary(f"populations.affected=0:{n * 10 - 1}"), parse_vary(f"capacity.people_reached=5000:{5000 + n * 10 - 1}"),
                          parse_vary("hazard.onset=sudden,gradual")], "lhs", n, seed=7)
    points = list(design.points())
    assert len(points) == design.size == n
    assert sorted(p[0] // 10 for p in points) == list(range(n))
    assert sorted((p[1] - 5000) // 10 for p in points) == list(range(n))
    assert sorted(p[2] for p in points) == ["gradual"] * (n // 2) + ["sudden"] * (n // 2)
    assert list(design.points()) == points                       # the same seed, the same points
    assert list(make_design(design.varies, "lhs", n, seed=8).points()) != points
    sampled = list(make_design([parse_vary("health_nutrition.cmr=0.1:3")], "random", 500, seed=1).points())
    assert all(0.1 <= p[0] <= 3 for p in sampled) and len({p[0] for p in sampled}) > 490


def test_points_are_generated_lazily_without_a_cap_on_their_number():
    import itertools
    grid = make_design([parse_vary("populations.in_need=0:99999:1"), parse_vary("health_nutrition.cmr=0:99.999:0.001")])
    assert grid.size == 100_000 * 100_000
    assert list(itertools.islice(grid.points(), 2)) == [(0, 0), (0, 0.001)]
    lhs = make_design([parse_vary("populations.in_need=0:2000000"), parse_vary("health_nutrition.cmr=0.1:3")], "lhs", 10 ** 9)
    first = list(itertools.islice(lhs.points(), 3))
    assert len(first) == 3 and all(0 <= a <= 2_000_000 and 0.1 <= b <= 3 for a, b in first)


def test_a_sampled_sweep_is_byte_identical_for_a_seed_with_any_worker_count(tmp_path):
    def run(seed: int, jobs: int) -> bytes:
        out = tmp_path / f"s{seed}-j{jobs}.csv"
        result = CliRunner().invoke(main, ["sweep", str(BASE), "--vary", "populations.affected=100000:4000000", "--vary",
                                           "capacity.inform_lcc=0:10", "--vary", "hazard.onset=sudden,gradual",
                                           "--sample", "lhs", "24", "--seed", str(seed), "-j", str(jobs), "-o", str(out)])
        assert result.exit_code == 0, result.stderr
        assert "24 points (Latin hypercube sample, seed " in result.stderr
        return out.read_bytes()
    one = run(5, 1)
    assert run(5, 2) == one and run(6, 1) != one
    rows = grid_of(one.decode())
    assert len(rows) == 24 and {r["hazard.onset"] for r in rows} == {"sudden", "gradual"}


def test_the_map_of_a_three_field_sweep_shows_marginal_shares_of_the_two_chosen_fields(tmp_path, ruleset):
    design = make_design([parse_vary("capacity.inform_lcc=1,5,9"), parse_vary("hazard.onset=sudden,gradual"),
                          parse_vary("health_nutrition.cmr=0.5,1,2,3")])
    result = run_sweep(BASE, design, ruleset, map_fields=["capacity.inform_lcc", "health_nutrition.cmr"])
    assert result.points == 24 and sum(c.points for c in result.tally.cells.values()) == 24
    assert set(result.tally.cells) == {(x, y) for x in range(3) for y in range(4)}
    assert all(c.points == 2 for c in result.tally.cells.values())
    html = render(result)
    assert html.count('class="cell"') == 2 * 12
    assert "also varying <code>hazard.onset</code>" in html and "2 points: " in html
    # onset decides here (sudden: recommend, gradual: not applicable), so every cell is half and half
    assert 'fill-opacity="0.62"' in html and "recommend 50%" in html.lower()
    sampled = run_sweep(BASE, make_design([parse_vary("populations.affected=100000:4000000"), parse_vary("capacity.inform_lcc=0:10")],
                                          "random", 40, seed=2), ruleset)
    assert sampled.tally.x.binned and sampled.tally.x.cells == 4 and sum(c.points for c in sampled.tally.cells.values()) == 40
    assert render(sampled).count('class="cell"') == 2 * len(sampled.tally.cells)
