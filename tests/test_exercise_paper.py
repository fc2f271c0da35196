"""Paper that works: answers typed as people write them are read leniently (each guess a located
warning), an unreadable answer costs that question only, and ``exercise handout`` prints the
participant booklet with a blank answer sheet."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scaleup.cli.main import main
from scaleup.exercise.load import load_exercise
from scaleup.exercise.match import read_answer, read_date
from scaleup.exercise.score import read_sheet

ROOT = Path(__file__).resolve().parent.parent
CYCLONE = ROOT / "scenarios" / "exercises" / "cyclone-idp-surge.yaml"


@pytest.fixture(scope="module")
def cyclone():
    return load_exercise(CYCLONE)


def sheet_of(tmp_path: Path, answers: dict[str, str], name: str = "Paper") -> Path:
    lines = ["kind: answer_sheet", "exercise: cyclone-idp-surge", f"participant: {name}", "answers:"]
    lines += [f"  {qid}: {value}" for qid, value in answers.items()]
    path = tmp_path / f"{name.lower()}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


KEY = {"d0-decision": "not recommended", "d0-scale": "2", "d0-capacity": "2", "d0-route": "national_led",
       "d3-decision": "Consider", "d3-scale": "3", "d3-reflection": "Talk to the RC",
       "d7-decision": "recommend", "d7-route": "IASC clusters", "d7-shelter": "IFRC",
       "d7-cccm": "iom", "d7-protection": "option 2", "d7-unhcr": "No UNHCR",
       "d12-expiry": "19/08/2026", "d12-opr": "19 Jul 2026", "d200-extension": "YES", "d200-reflection": "none"}


def test_the_issues_examples_score_as_people_write_them(cyclone, tmp_path):
    sheet = read_sheet(sheet_of(tmp_path, KEY), cyclone)
    assert sheet.problems == []
    assert (sheet.score, sheet.total) == (15, 15)
    assert sheet.answers["d7-shelter"] == "IFRC (convener)" and sheet.answers["d12-expiry"] == "2026-08-19"
    assert sheet.answers["d0-decision"] == "not_recommended"
    # every guess is a warning at its own line, saying how the answer was read
    warned = {w.field: (w.line, w.message) for w in sheet.warnings}
    assert warned["answers.d7-shelter"] == (14, "read 'IFRC' as the start of an option: 'IFRC (convener)' (IFRC (convener))")
    assert warned["answers.d12-expiry"][0] == 18 and "as a date" in warned["answers.d12-expiry"][1]
    assert "ignoring punctuation" in warned["answers.d0-decision"][1]
    # exact values and labels in any case are not guesses
    assert not {"answers.d3-decision", "answers.d7-decision", "answers.d0-scale", "answers.d200-extension"} & set(warned)


def test_level_3_is_read_from_the_label(cyclone):
    unhcr = cyclone.question("d7-unhcr")
    options = [(c.value, c.label) for c in unhcr.options]
    assert read_answer(options, "Level 3").value == "3" and read_answer(options, "Level 3").guess
    assert read_answer(options, "level 3:").value == "3"
    assert read_answer(options, 3).value == "3" and not read_answer(options, 3).guess      # a value, not a number
    assert read_answer(options, "Level").candidates == ("1", "2", "3")                      # ambiguous


def test_option_numbers_are_read_only_when_no_option_is_a_number(cyclone):
    route = [(c.value, c.label) for c in cyclone.question("d0-route").options]
    for text in ("2", "#2", "option 2", "2)", "(2)"):
        assert read_answer(route, text).value == route[1][0], text
    assert read_answer(route, "9").value is None
    scale = [(c.value, c.label) for c in cyclone.question("d0-scale").options]
    assert read_answer(scale, "6").value is None          # not option 6 (insufficient): levels are numbers


@pytest.mark.parametrize("text", ["19/08/2026", "2026-08-19", "19 Aug 2026", "19 August 2026", "August 19, 2026",
                                  "19.08.2026", "19-08-2026", "2026/08/19"])
def test_dates_in_common_formats(text):
    assert read_date(text) == "2026-08-19"


def test_a_date_that_is_not_an_option_and_nonsense_are_unreadable(cyclone):
    expiry = [(c.value, c.label) for c in cyclone.question("d12-expiry").options]
    assert read_answer(expiry, "20/08/2026").value is None
    assert read_answer(expiry, "31/02/2026").value is None
    assert read_answer(expiry, "?!").value is None


def test_an_unreadable_answer_costs_that_question_not_the_sheet(cyclone, tmp_path):
    answers = dict(KEY, **{"d7-shelter": "the red cross people", "d0-decision": "no"})
    sheet = read_sheet(sheet_of(tmp_path, answers), cyclone)
    assert sheet.problems == []
    assert (sheet.score, sheet.total) == (13, 15)
    wrong = {r.asked.id: r.answer for r in sheet.results if not r.correct}
    assert wrong == {"d7-shelter": "the red cross people", "d0-decision": "no"}
    by_field = {w.field: w for w in sheet.warnings}
    assert by_field["answers.d7-shelter"].line == 14
    assert "'the red cross people' is not an option of d7-shelter" in by_field["answers.d7-shelter"].message
    # 'no' starts 'not recommended' and 'not applicable' and 'no ...': ambiguous, the hint names them
    assert "not_recommended" in by_field["answers.d0-decision"].hint
    result = CliRunner().invoke(main, ["exercise", "score", str(CYCLONE), str(tmp_path / "paper.yaml")])
    assert result.exit_code == 0, result.output
    assert "Paper: 13/15" in result.stdout and "paper.yaml:14: answers.d7-shelter" in result.stderr


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_handout_prints_injects_numbered_options_and_a_blank_sheet(fmt, tmp_path):
    out = tmp_path / f"handout.{fmt}"
    result = CliRunner().invoke(main, ["exercise", "handout", str(CYCLONE), "-f", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    ex = load_exercise(CYCLONE)
    assert ex.exercise.title in text.replace("&#34;", '"').replace("&#39;", "'")
    for step in ex.steps:
        assert f"Day {step.inject.day}" in text
    shelter = ex.question("d7-shelter")
    numbered = [f"{n}. {c.label}" if fmt == "markdown" else f"<b>{n}</b>" for n, c in enumerate(shelter.options, 1)]
    assert all(n in text for n in numbered)
    assert "Answer sheet" in text and text.count("☐") >= sum(len(q.options) for q in ex.questions if q.scored)
    assert "2026-08-19 (" not in text          # the key is never printed
    if fmt == "html":
        assert "<script" not in text and "@media print" in text


def test_handout_escapes_the_exercise_text(tmp_path):
    src = (ROOT / "tests" / "fixtures" / "exercises" / "drill.yaml").read_text(encoding="utf-8")
    hostile = tmp_path / "drill.yaml"
    hostile.write_text(src.replace('title: "Drill', 'title: "<script>alert(1)</script> Drill', 1), encoding="utf-8")
    for extra in ("base.yaml",):
        (tmp_path / extra).write_text((ROOT / "tests" / "fixtures" / "exercises" / extra).read_text(encoding="utf-8"))
    rules = ROOT / "tests" / "fixtures" / "exercises" / "rules"
    (tmp_path / "rules").symlink_to(rules)
    result = CliRunner().invoke(main, ["exercise", "handout", str(hostile), "-f", "html", "--allow-outside-paths"])
    assert result.exit_code == 0, result.output
    assert "<script>alert(1)" not in result.stdout and "&lt;script&gt;alert(1)&lt;/script&gt;" in result.stdout
