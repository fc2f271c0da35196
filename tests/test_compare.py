"""``scaleup compare``: crises side by side, golden text and HTML, differences marked, each HTML
cell explained, sorting with the caveat, a bad file among good ones, exit codes. Refresh the
golden files after an intended change with ``pytest tests/test_compare.py --update-golden``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from scaleup.cli.main import main
from scaleup.compare import FALLBACK_CAVEAT, compare, ranking_caveat, to_text
from scaleup.errors import ScenarioError
from scaleup.rules.load import load_ruleset
from scaleup.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
CYCLONE = "scenarios/cyclone-coastal.yaml"
CONFLICT = "scenarios/conflict-idp-escalation.yaml"
REFUGEE = "scenarios/refugee-influx-border.yaml"
BAD = "tests/fixtures/bad/scenarios/four-problems.yaml"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["compare", *args])


def cell(stdout: str, label: str, column: int) -> str:
    """The text of one cell of the text table, its wrapped lines joined."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line[2:28].strip() == label and "|" in line)
    parts = [lines[start].split("|")[column].strip()]
    for line in lines[start + 1:]:
        if "|" not in line or line[:28].strip():
            break
        parts.append(line.split("|")[column].strip())
    return " ".join(p for p in parts if p)


def check_golden(name: str, text: str, request: pytest.FixtureRequest) -> None:
    golden = GOLDEN / name
    if request.config.getoption("--update-golden"):
        golden.write_text(text, encoding="utf-8")
    assert golden.is_file(), f"{golden} is missing: run pytest tests/test_compare.py --update-golden"
    assert text == golden.read_text(encoding="utf-8"), (
        f"compare output differs from {golden.relative_to(ROOT)}; if intended, run pytest "
        "tests/test_compare.py --update-golden and review the diff")


def test_the_text_table_matches_its_golden_file(request: pytest.FixtureRequest) -> None:
    result = run(CYCLONE, CONFLICT, REFUGEE, BAD, "--sort", "levels")
    assert result.exit_code == 1
    check_golden("compare-sorted.txt", result.stdout, request)


def test_the_html_page_matches_its_golden_file(request: pytest.FixtureRequest) -> None:
    result = run(CYCLONE, CONFLICT, REFUGEE, "-f", "html")
    assert result.exit_code == 0, result.stderr
    check_golden("compare.html", result.stdout, request)


def test_crises_stand_side_by_side_and_differing_rows_are_marked() -> None:
    result = run(CYCLONE, REFUGEE)
    assert result.exit_code == 0 and result.stderr == ""
    rows = {line[2:28].strip(): line for line in result.stdout.splitlines() if line[:1] in "* " and "|" in line}
    assert rows["decision"].startswith("*") and "recommend" in rows["decision"] and "not applicable" in rows["decision"]
    assert rows["urgency"].startswith(" ")            # both 5 very high from a sudden onset
    assert "5 very high: hazard.onset = sudden" in rows["urgency"]
    assert rows["scale"].startswith("*")
    assert cell(result.stdout, "scale", 1).startswith("4 high: impact.houses_destroyed = 62,000;")
    assert "Caveat" not in result.stdout             # only a sorted table carries it


def test_a_sorted_table_orders_by_the_levels_and_prints_the_cited_caveat() -> None:
    result = run(REFUGEE, CYCLONE, CONFLICT, "--sort", "levels")
    assert result.exit_code == 0
    ids = re.search(r"^  scenario +\| (.*)$", result.stdout, re.M).group(1).split("|")
    assert [i.strip() for i in ids] == ["conflict-idp-escalation", "cyclone-coastal", "refugee-influx-border"]
    assert ("Caveat: The criterion levels are not a severity ranking of crises. [IASC-P1-2018: Protocol 1. "
            "Humanitarian System-Wide Scale-Up Activation") in result.stdout


def test_a_rule_set_without_the_caveat_still_shows_it() -> None:
    rules = load_ruleset()
    assert ranking_caveat(rules).source == "IASC-P1-2018"
    bare = type(rules)(**{**rules.__dict__, "caveats": ()})
    assert ranking_caveat(bare).text == FALLBACK_CAVEAT


def test_a_bad_file_among_good_ones_shows_its_error_in_its_column_and_exits_1() -> None:
    result = run(CYCLONE, BAD, REFUGEE)
    assert result.exit_code == 1
    assert cell(result.stdout, "error", 1) == "" and cell(result.stdout, "error", 3) == ""
    assert cell(result.stdout, "error", 2).startswith("line 8: populations.afected: unknown field (did you mean")
    assert "error: tests/fixtures/bad/scenarios/four-problems.yaml:8: populations.afected: unknown field" in result.stderr
    assert "recommend" in result.stdout and "not applicable" in result.stdout   # the good ones are compared


def test_a_missing_file_is_reported_and_exits_1_and_nothing_left_exits_1() -> None:
    result = run(CYCLONE, "scenarios/no-such.yaml")
    assert result.exit_code == 1 and "no-such.yaml" in result.stderr and "cyclone-coastal" in result.stdout
    assert run("scenarios/no-such.yaml").exit_code == 1


def test_sort_accepts_only_levels() -> None:
    assert run(CYCLONE, "--sort", "severity").exit_code == 2
    with pytest.raises(ValueError):
        compare([], load_ruleset(), sort="severity")


def test_html_highlights_differences_and_explains_each_cell(tmp_path: Path) -> None:
    out = tmp_path / "c.html"
    result = run(CYCLONE, REFUGEE, BAD, "-f", "html", "-o", str(out))
    assert result.exit_code == 1 and result.stdout == ""
    page = out.read_text(encoding="utf-8")
    assert '<tr class="differs" id="row-decision">' in page and '<tr class="same" id="row-urgency">' in page
    assert "tr.differs td.cell { background:" in page
    decision_row = page.split('id="row-decision">', 1)[1].split("</tr>", 1)[0]
    assert decision_row.count('<td class="cell"><details>') == 2                    # two evaluated crises, one error column
    assert 'class="rule">decision.' in decision_row and "basis <b>" in decision_row  # rule, citation, basis
    assert "line 8: populations.afected: unknown field" in page.split('class="errors"', 1)[1]
    assert "<script" not in page and "Content-Security-Policy" in page


def test_hostile_titles_are_escaped_in_both_formats(tmp_path: Path) -> None:
    hostile = "<script>alert(1)</script>\x1b[2J"
    path = tmp_path / "hostile.yaml"
    path.write_text((ROOT / CYCLONE).read_text().replace("title: Category 4 cyclone strikes two coastal provinces",
                                                         f"title: {json.dumps(hostile)}"), encoding="utf-8")
    text = run(str(path), CYCLONE)
    assert text.exit_code == 0 and "\x1b" not in text.stdout and "\\x1b[2J" in text.stdout
    page = run(str(path), CYCLONE, "-f", "html").stdout
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_library_keeps_failed_scenarios_as_columns() -> None:
    error = ScenarioError.at("x.yaml", 3, "populations.idps", "must be at least 0")
    comp = compare([("x.yaml", error), (CYCLONE, load_scenario(CYCLONE))], load_ruleset(), sort="levels")
    assert [c.file for c in comp.columns] == [CYCLONE, "x.yaml"]      # failed ones sort last
    assert comp.failed and comp.rows[0].cells[1] is None
    assert "| line 3: populations.idps: must be" in to_text(comp)


def test_uncertain_figures_are_compared_at_their_point_estimates_with_a_note() -> None:
    uncertain = next(iter(sorted((ROOT / "scenarios" / "uncertain").glob("*.yaml"))))
    result = run(CYCLONE, str(uncertain.relative_to(ROOT)))
    assert result.exit_code == 0
    assert "compared at their point estimates; scaleup evaluate --samples N" in result.stderr
