"""Answer sheets: scoring, and located errors for sheets with missing or malformed answers."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from scaleup.cli.main import main
from scaleup.exercise.score import read_sheet, sheet_text

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures" / "exercises"
SHEETS = FIX / "sheets"
DRILL = str((FIX / "drill.yaml").relative_to(ROOT))


def located(sheet, what: str = "problems") -> list[str]:
    return [f"{Path(p.file).name}:{p.line}: {p.field}: {p.message}" for p in getattr(sheet, what)]


def test_a_paper_sheet_with_plain_values_labels_and_any_case_is_scored(drill):
    sheet = read_sheet(SHEETS / "paper.yaml", drill)
    assert sheet.problems == []
    assert (sheet.participant, sheet.score, sheet.total) == ("Group B", 9, 10)
    assert [r.asked.id for r in sheet.results if not r.correct] == ["q2"]
    assert sheet.answers["q4"] == "recommend" and sheet.answers["q5"] == "IFRC"
    assert sheet.reflections == {"q8": "Call the RC first."}


def test_a_missing_answer_costs_that_question_with_a_located_warning_and_the_sheet_is_scored(drill):
    sheet = read_sheet(SHEETS / "missing.yaml", drill)
    assert sheet.problems == []
    assert located(sheet, "warnings") == [
        "missing.yaml:4: answers.q4: question q4 is not answered; counted as not the engine's answer"]
    assert "one of: recommend, consider" in sheet.warnings[0].hint
    assert (sheet.score, sheet.total) == (9, 10) and [r.asked.id for r in sheet.results if not r.correct] == ["q4"]


def test_malformed_answers_are_each_reported_at_their_line(drill):
    sheet = read_sheet(SHEETS / "malformed.yaml", drill)
    assert located(sheet) == [
        "malformed.yaml:6: answers.q2: expected one answer, got a list",
        "malformed.yaml:9: answers.q5.at: expected an ISO 8601 time with a time zone, got 'yesterday'",
        "malformed.yaml:15: answers.q12: drill has no question 'q12'",
    ]
    # read leniently (the start of one option), with a warning at its line saying how
    assert located(sheet, "warnings")[0] == (
        "malformed.yaml:7: answers.q3: read 'iasc_cluster' as the start of an option: "
        "'IASC clusters, activated by the ERC' (iasc_clusters)")


def test_a_sheet_for_another_exercise_is_an_error(drill):
    sheet = read_sheet(SHEETS / "other-exercise.yaml", drill)
    assert located(sheet) == ["other-exercise.yaml:2: exercise: this sheet is for exercise 'cyclone-idp-surge', not 'drill'"]


def test_a_sheet_for_another_version_is_scored_with_a_warning(drill):
    sheet = read_sheet(SHEETS / "old-version.yaml", drill)
    assert sheet.problems == []
    assert [(w.line, w.field) for w in sheet.warnings] == [(3, "exercise_sha256")]
    assert "scored against the current version" in sheet.warnings[0].message
    assert (sheet.score, sheet.total) == (6, 10)
    assert sheet.times["q1"] == "2026-03-01T09:05:00Z"


def test_a_file_that_is_not_a_sheet_is_refused(drill):
    assert located(read_sheet(FIX / "base.yaml", drill)) == ["base.yaml:1: kind: this is not an answer sheet"]


def test_a_sheet_written_by_play_reads_back_identically(drill, tmp_path):
    answers = {"q1": ("consider", "2026-01-01T10:00:00Z"), "q8": ("no idea: really", "2026-01-01T10:01:00Z"),
               "q10": ("no", "2026-01-01T10:02:00Z")}
    path = tmp_path / "s.yaml"
    path.write_text(sheet_text(drill, "Zoë \"Z\" O'Neil", answers, "2026-01-01T09:59:00Z", None))
    sheet = read_sheet(path, drill, partial=True)
    assert sheet.problems == []
    assert sheet.participant == "Zoë \"Z\" O'Neil"
    assert sheet.answers == {"q1": "consider", "q10": "no"} and sheet.reflections == {"q8": "no idea: really"}
    assert read_sheet(path, drill).warnings[0].message == "question q2 is not answered; counted as not the engine's answer"


def test_score_command_prints_scores_and_exits_1_when_a_sheet_is_invalid():
    runner = CliRunner()
    good = runner.invoke(main, ["exercise", "score", DRILL, str(SHEETS / "paper.yaml"), str(SHEETS / "missing.yaml")])
    assert good.exit_code == 0, good.output
    assert "Group B: 9/10" in good.output and "not the engine's answer: q2" in good.output
    assert "Dana: 9/10" in good.output and "warning: " in good.stderr
    assert "missing.yaml:4: answers.q4: question q4 is not answered" in good.stderr
    mixed = runner.invoke(main, ["exercise", "score", DRILL, str(SHEETS / "paper.yaml"), str(SHEETS / "malformed.yaml")])
    assert mixed.exit_code == 1
    assert "Group B: 9/10" in mixed.output
    assert "malformed.yaml:6: answers.q2: expected one answer, got a list" in mixed.stderr


def test_score_command_writes_json():
    result = CliRunner().invoke(main, ["exercise", "score", DRILL, str(SHEETS / "old-version.yaml"), "-f", "json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["sheets"][0]["score"] == 6
    assert data["sheets"][0]["answers"]["q1"] == {"answer": "recommend", "key": "consider", "correct": False}
