"""Markdown and HTML reports: golden Markdown, escaping of every scenario string, a self-contained
HTML page with the criteria chart, and the report formats on the command line.

Refresh the golden files after an intended change with
``pytest tests/test_reports.py --update-golden`` and review the diff."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from scaleup.cli.main import main
from scaleup.recommendation.evaluate import evaluate
from scaleup.explain.derivation import explain
from scaleup.render import RENDERERS, html, markdown
from scaleup.explain.shown import markers, shown
from scaleup.recommendation.model import Recommendation
from scaleup.rules.load import load_ruleset
from scaleup.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
FIXTURES = "tests/fixtures/explain"
FROZEN = str(ROOT / FIXTURES / "ruleset")
SPARSE = f"{FIXTURES}/sparse-evidence.yaml"


def loaded(rel: str):
    # named relative to the repository, so the output does not depend on where it is checked out
    return load_scenario(ROOT / rel, name=rel)


def evaluate_md(rel: str, ruleset: str) -> str:
    return markdown.render([evaluate(loaded(rel), load_ruleset(ruleset))])


def explain_md(rel: str, ruleset: str) -> str:
    return markdown.render_explanation(explain(loaded(rel), load_ruleset(ruleset), depth=3, flips=True, flip_budget=150))


CASES = {
    "report-evaluate-cyclone-coastal": lambda: evaluate_md("scenarios/cyclone-coastal.yaml", "iasc-2018"),
    "report-evaluate-refugee-influx": lambda: evaluate_md(f"{FIXTURES}/refugee-influx.yaml", FROZEN),
    "report-explain-flood-consider": lambda: explain_md(f"{FIXTURES}/flood-consider.yaml", FROZEN),
    "report-explain-sparse-evidence": lambda: explain_md(SPARSE, FROZEN),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_markdown_report_matches_its_golden_file(name: str, request: pytest.FixtureRequest) -> None:
    text, golden = CASES[name](), GOLDEN / f"{name}.md"
    if request.config.getoption("--update-golden"):
        golden.write_text(text, encoding="utf-8")
    assert golden.is_file(), f"{golden} is missing: run pytest tests/test_reports.py --update-golden"
    if text != golden.read_text(encoding="utf-8"):
        pytest.fail(f"{name}: output differs from {golden.relative_to(ROOT)}; if the change is intended, "
                    "run pytest tests/test_reports.py --update-golden and review the diff")


def test_every_markdown_golden_file_belongs_to_a_case() -> None:
    assert {p.stem for p in GOLDEN.glob("report-*.md")} <= set(CASES)


# --- escaping -----------------------------------------------------------------------------------

def test_markdown_escapes_html_and_markdown_syntax_in_scenario_text() -> None:
    text = evaluate_md(SPARSE, FROZEN)
    assert "<script>" not in text
    assert "Earthquake with &lt;script&gt;alert(\"x\")&lt;/script&gt; &amp; \"quoted\" early reports" in text
    assert markdown.esc("a | b *c* [d](e) _f_ snake_case") == r"a \| b \*c\* \[d\](e) \_f\_ snake_case"


def test_html_escapes_scenario_text_and_runs_nothing() -> None:
    page = html.render([evaluate(loaded(SPARSE), load_ruleset(FROZEN))])
    assert "<script" not in page.lower()
    assert "Earthquake with &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;quoted&#34; early reports" in page


def test_the_html_report_is_self_contained_and_printable() -> None:
    page = html.render_explanation(explain(loaded(f"{FIXTURES}/flood-consider.yaml"), load_ruleset(FROZEN),
                                           flips=True, flip_budget=50))
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    for fetch in (r"\ssrc=", r"<link\b", r"@import", r"url\(", r"<script", r"<iframe", r"<object"):
        assert not re.search(fetch, page, re.I), fetch
    assert all(href.startswith("https://") for href in re.findall(r'href="([^"]*)"', page))
    assert "@media print" in page and "details::details-content" in page
    assert page.count("<details") >= 3 and '<svg class="chart"' in page
    assert "Why not recommend?" in page and "What would change the outcome" in page


# --- the chart ----------------------------------------------------------------------------------

def test_the_chart_draws_each_criterion_and_the_thresholds_of_the_rule_set() -> None:
    rules = load_ruleset(FROZEN)
    page = html.render([evaluate(loaded(f"{FIXTURES}/flood-consider.yaml"), rules)])
    chart = page[page.index('<svg class="chart"'):page.index("</svg>")]
    assert chart.count('class="bar"') == 5
    assert "demand_level 4" in chart and "consider_gap_level 3" in chart and "recommend_gap_level 4" in chart
    found = markers(rules)
    assert [(m.level, m.labels) for m in found["scale"]] == [(3.0, ["recommend_min_scale"]), (4.0, ["demand_level"])]


def test_a_rule_set_without_decision_parameters_gets_a_chart_without_thresholds() -> None:
    rules = load_ruleset(FROZEN)
    bare = dataclasses.replace(rules, rules=tuple(
        dataclasses.replace(r, patterns=tuple(dataclasses.replace(p, tests=tuple(dataclasses.replace(t, param=None)
                                                                                for t in p.tests)) for p in r.patterns))
        for r in rules.rules))
    assert all(not m for m in markers(bare).values())
    rep = shown(evaluate(loaded(f"{FIXTURES}/refugee-influx.yaml"), rules))
    rep.markers = markers(bare)
    page = html._render([html._item(rep)], "bare")
    assert "No decision thresholds were found" in page and 'class="threshold"' not in page


def test_a_recommendation_without_its_evaluation_still_renders() -> None:
    rec = evaluate(loaded(f"{FIXTURES}/refugee-influx.yaml"), load_ruleset(FROZEN))
    lost = Recommendation.model_validate(dict(rec))   # as built from data, not assembled
    assert lost == rec and lost.evaluation is None and not shown(lost).found
    page = html.render([lost])
    assert "could not be found" in page and "No decision thresholds were found" in page
    assert "**UNHCR-RCM**: not described in the rule set" in markdown.render([lost])


# --- on the command line ------------------------------------------------------------------------

def test_evaluate_writes_one_html_page_for_several_scenarios(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["evaluate", str(ROOT / FIXTURES / "flood-consider.yaml"),
                                       str(ROOT / FIXTURES / "refugee-influx.yaml"), "-r", FROZEN, "-f", "html", "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert page.count('<article class="report"') == 2 and page.count('<svg class="chart"') == 2
    assert 'id="derivation-2"' in page


def test_evaluate_prints_markdown() -> None:
    result = CliRunner().invoke(main, ["evaluate", str(ROOT / FIXTURES / "flood-consider.yaml"), "-r", FROZEN, "-f", "markdown"])
    assert result.exit_code == 0 and result.output.startswith("# flood-consider: River flood")
    assert {"markdown", "html"} <= set(RENDERERS)


# --- what a report shows comes with the recommendation ------------------------------------------

def test_a_report_cites_its_sources_once_the_rule_files_and_engines_are_gone(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil
    from scaleup.engine import durable
    copy = tmp_path / "ruleset"
    shutil.copytree(ROOT / FROZEN, copy)
    rec = evaluate(loaded(f"{FIXTURES}/refugee-influx.yaml"), load_ruleset(str(copy)))
    shutil.rmtree(copy)
    monkeypatch.setattr(durable, "_ENGINES", {})   # as in a process that evaluated nothing
    page = markdown.render([rec])
    assert "not described in the rule set" not in page
    assert "**UNHCR-RCM**: Refugee Coordination Model (RCM), UNHCR Emergency Handbook, UNHCR." in page


def test_renderers_import_neither_the_engine_nor_the_rule_loader() -> None:
    import ast
    for path in sorted((ROOT / "scaleup" / "render").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found = [(node.level, node.module or "") for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        found += [(0, a.name) for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names]
        for level, module in found:
            name = module if level == 0 else "scaleup." + ("render." if level == 1 else "") + module
            assert not name.startswith(("scaleup.engine", "scaleup.rules.load")), f"{path.name} imports {name}"
