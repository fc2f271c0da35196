"""The facilitator's debrief: distributions, the engine's answers explained by the rules, why-not
for the most common wrong answer, misjudged criteria; Markdown and self-contained HTML (checked in
headless Chromium)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from scaleup.cli.main import main
from scaleup.exercise.debrief import build, render_html, render_markdown
from scaleup.exercise.score import read_sheet

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures" / "exercises"
SHEETS = FIX / "sheets"
DRILL = str((FIX / "drill.yaml").relative_to(ROOT))


@pytest.fixture(scope="module")
def report(drill):
    sheets = [read_sheet(SHEETS / name, drill) for name in ("paper.yaml", "old-version.yaml")]
    return build(drill, sheets)


def test_each_question_has_its_distribution_and_the_engine_answer(report):
    q1 = report.questions[0]
    assert q1.asked.id == "q1" and (q1.answered, q1.correct) == (2, 1)
    assert [(t.choice.value, t.count, t.key) for t in q1.tallies] == [
        ("recommend", 1, False), ("consider", 1, True), ("not_recommended", 0, False)]


def test_every_scored_answer_is_explained_by_the_rules_that_produced_it(report):
    for q in report.questions:
        if q.asked.scored:
            assert q.why is not None and q.why.rules, q.asked.id
            assert all(c.source and c.basis in ("source", "project") for c in q.why.rules)


def test_the_most_common_wrong_answer_gets_a_why_not(report):
    q5 = next(q for q in report.questions if q.asked.id == "q5")
    assert q5.wrong is not None and q5.wrong.choice.value == "UNHCR"
    texts = [line.text for line in q5.why_not.lines]
    assert any("cluster.shelter.conflict" in t for t in texts)
    assert any("situation hazard conflict: value is disaster, needs conflict" in t for t in texts)


def test_misjudged_criteria_count_level_questions_and_decisions_turning_on_them(report):
    by_name = {m.criterion: m for m in report.misjudged}
    # Group B said scale 3 (engine 2); Gus said recommend at day 0 (engine consider), which turns on scale and capacity
    assert by_name["scale"].level_questions == 1 and by_name["scale"].decisions == 1
    assert by_name["capacity"].decisions == 1 and by_name["capacity"].level_questions == 0
    assert report.misjudged[0].criterion == "scale"


def test_reflections_and_version_warnings_reach_the_debrief(report):
    q8 = next(q for q in report.questions if q.asked.id == "q8")
    assert q8.reflections == (("Group B", "Call the RC first."),)
    assert [w.field for w in report.warnings] == ["exercise_sha256"]


def test_markdown_debrief_lists_scores_answers_reasons_and_sources(report):
    text = render_markdown(report)
    assert "| Group B | 9/10 |" in text and "| Gus | 6/10 |" in text
    assert "Engine's answer: **IFRC**; 1 of 2 answered it." in text
    assert "Why not **UNHCR** (the most common other answer, 1):" in text
    assert "- **IASC-P1-2018**: Protocol 1. Humanitarian System-Wide Scale-Up Activation" in text
    assert "| scale | 1 | 1 | 2 |" in text


def test_html_debrief_escapes_text_and_needs_no_network(drill, tmp_path):
    sheet = read_sheet(SHEETS / "paper.yaml", drill)
    sheet.participant = "<script>alert(1)</script>"
    html = render_html(build(drill, [sheet]))
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@media print" in html


def test_debrief_command_writes_html_and_reports_invalid_sheets(tmp_path):
    out = tmp_path / "debrief.html"
    result = CliRunner().invoke(main, ["exercise", "debrief", DRILL, str(SHEETS / "paper.yaml"),
                                       str(SHEETS / "malformed.yaml"), "-f", "html", "-o", str(out)])
    assert result.exit_code == 1
    assert "malformed.yaml:6: answers.q2: expected one answer, got a list" in result.output
    assert "Group B" in out.read_text() and "Eli" not in out.read_text()
    md = CliRunner().invoke(main, ["exercise", "debrief", DRILL, str(SHEETS / "paper.yaml")])
    assert md.exit_code == 0 and md.stdout.startswith("# Debrief: Drill: Cyclone Tala reaches Kesumba")


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="headless check needs Debian's chromium (apt-get install chromium)")
def test_html_debrief_renders_in_headless_chromium_without_console_errors(report, tmp_path):
    page = tmp_path / "debrief.html"
    page.write_text(render_html(report), encoding="utf-8")
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
             "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]
    shot = tmp_path / "debrief.png"
    taken = subprocess.run(flags + ["--window-size=1100,1600", f"--screenshot={shot}", page.as_uri()],
                           capture_output=True, text=True, timeout=120)
    dom = subprocess.run(flags + ["--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    console = [line for line in (taken.stderr + dom.stderr).splitlines() if ":CONSOLE" in line]
    assert console == []
    for needle in ('id="participants"', 'id="criteria"', 'id="q-q1"', 'class="engine-answer"',
                   'class="label why-not"', 'id="sources"', "Group B"):
        assert needle in dom.stdout, needle
