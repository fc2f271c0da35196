"""``scaleup exercise play``: driven through its streams, and end to end in a real terminal (tmux)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from scaleup.exercise.play import play
from scaleup.exercise.score import read_sheet

ROOT = Path(__file__).resolve().parent.parent
DRILL = ROOT / "tests" / "fixtures" / "exercises" / "drill.yaml"
# option numbers of the engine's answers to q1..q11 of the drill (q8 is a free-text reflection)
RIGHT = ["2", "2", "4", "1", "1", "1", "3", "Brief the RC on the caseload", "3", "2", "1"]


def ticking():
    """A fake clock: one second per call, so timestamps are deterministic."""
    n = iter(range(10_000))
    return lambda: f"2026-03-01T09:{next(n) // 60:02d}:{next(n) % 60:02d}Z"


def run(ex, lines, tmp_path, **options):
    out = io.StringIO()
    options.setdefault("sheet", tmp_path / "sheet.yaml")
    outcome = play(ex, io.StringIO("".join(f"{x}\n" for x in lines)), out, clock=ticking(), **options)
    return outcome, out.getvalue()


def test_answering_every_question_right_scores_full_marks_and_explains_each_answer(drill, tmp_path):
    outcome, text = run(drill, ["Amina"] + RIGHT, tmp_path)
    assert (outcome.status, outcome.score, outcome.total) == ("finished", 10, 10)
    assert "Amina: 10 of 10 answers match the engine (100%)." in text
    assert "--- Day 4: The caseload grows" in text and "populations.idps: 420,000" in text
    assert "engine's answer: IFRC" in text
    flat = " ".join(text.split())       # explanations are wrapped at 78 columns
    assert "because: In a disaster with the cluster activation test met, IFRC convenes the Shelter cluster" \
           " [cluster.shelter.disaster] (UNHCR-EH-ICA-2024; basis source)" in flat
    sheet = read_sheet(tmp_path / "sheet.yaml", drill)
    assert sheet.problems == [] and sheet.score == 10 and sheet.participant == "Amina"
    assert sheet.reflections == {"q8": "Brief the RC on the caseload"}
    assert sheet.finished is not None and all(t.endswith("Z") for t in sheet.times.values())


def test_a_wrong_answer_is_shown_with_why_not(drill, tmp_path):
    wrong = list(RIGHT)
    wrong[0] = "1"                      # recommend instead of consider
    outcome, text = run(drill, ["Ben"] + wrong, tmp_path)
    assert outcome.score == 9
    assert "your answer: Recommend a System-Wide Scale-Up to the ERC  [not the engine's answer]" in text
    flat = " ".join(text.split())
    assert "why not Recommend a System-Wide Scale-Up to the ERC:" in flat
    assert "criterion scale: level is 2, needs at least 3" in flat


def test_invalid_input_is_asked_again_and_b_goes_back_to_change_an_answer(drill, tmp_path):
    lines = ["Chloe", "2", "7", "two", "1", "b", "2"] + RIGHT[2:]
    outcome, text = run(drill, lines, tmp_path)
    assert text.count("Please type a number from 1 to 6, b to go back or q to save and stop.") == 2
    assert "(your earlier answer: 1 - very low)" in text
    assert outcome.score == 10       # q2 was first answered 1, then corrected to 2 after going back


def test_b_on_the_first_question_says_so(drill, tmp_path):
    _, text = run(drill, ["Dev", "b", "q"], tmp_path)
    assert "This is the first question." in text


def test_q_saves_progress_and_playing_again_resumes_at_the_first_unanswered_question(drill, tmp_path):
    outcome, text = run(drill, ["Eva", "2", "2", "q"], tmp_path)
    assert outcome.status == "quit" and "Saved 2 answers" in text
    assert f"--sheet {tmp_path / 'sheet.yaml'}" in text
    partial = read_sheet(tmp_path / "sheet.yaml", drill)
    assert [p.field for p in partial.warnings][:1] == ["answers.q3"]           # unanswered: costs the question
    outcome, text = run(drill, RIGHT[2:], tmp_path)
    assert "Resuming" in text and "Your name" not in text and "Q1." not in text
    assert (outcome.status, outcome.score) == ("finished", 10)


def test_end_of_input_counts_as_quit(drill, tmp_path):
    outcome, _ = run(drill, ["Fay", "2"], tmp_path)
    assert outcome.status == "quit"
    assert read_sheet(tmp_path / "sheet.yaml", drill, partial=True).answers == {"q1": "consider"}


def test_reveal_after_each_shows_the_answer_at_once_and_blocks_going_back(drill, tmp_path):
    outcome, text = run(drill, ["Gus", "1", "b", "q"], tmp_path, reveal="each")
    first = text.index("Q1 (q1, day 0)")
    assert text.index("engine's answer: Consider", first) < text.index("Q2.")
    assert "The answer to the previous question was revealed, so it cannot be changed." in text


def test_the_sheet_name_defaults_to_the_exercise_and_participant(drill, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    outcome, _ = run(drill, ["q"], tmp_path, sheet=None, name="Hana Ito")
    assert outcome.sheet == Path("answers-drill-hana-ito.yaml") and (tmp_path / outcome.sheet).is_file()


# --- a real terminal ------------------------------------------------------------------------

class Tmux:
    """A detached tmux session running one command; keys in, screen out."""

    def __init__(self, command: str, cwd: Path):
        self.name = f"scaleup-test-{uuid.uuid4().hex[:8]}"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", "120", "-y", "50", "-c", str(cwd), command],
                       check=True)

    def send(self, text: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", text], check=True)
        subprocess.run(["tmux", "send-keys", "-t", self.name, "Enter"], check=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-S", "-2000", "-t", self.name],
                              capture_output=True, text=True, check=True).stdout

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        text = text.rstrip()     # capture-pane drops trailing spaces
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} did not appear; screen:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)")
def test_play_in_a_real_terminal_with_wrong_and_invalid_answers_and_a_back_step(drill, tmp_path):
    scaleup = Path(sys.executable).with_name("scaleup")
    sheet = tmp_path / "terminal.yaml"
    # `; sleep` keeps the pane after the program ends, so its last screen can be read
    term = Tmux(f"{scaleup} exercise play {DRILL} --sheet {sheet}; echo EXITED $?; sleep 60", tmp_path)
    try:
        term.wait_for("Your name: ")
        term.send("Ines")
        term.wait_for("Your answer [1-3, b, q]: ")
        term.send("1")                                    # wrong: the engine says consider
        term.wait_for("Your answer [1-6, b, q]: ")
        term.send("9")                                    # invalid
        term.wait_for("Please type a number from 1 to 6")
        term.send("b")                                    # back to q1
        term.wait_for("(your earlier answer: Recommend")
        term.send("2")                                    # right this time
        for answer in RIGHT[1:]:
            before = term.screen().count("Your ")
            term.send(answer)
            deadline = time.monotonic() + 30
            while term.screen().count("Your ") == before and "EXITED" not in term.screen():
                assert time.monotonic() < deadline, term.screen()
                time.sleep(0.1)
        screen = term.wait_for("EXITED 0")
    finally:
        term.close()
    assert "Ines: 10 of 10 answers match the engine (100%)." in screen
    assert "Please type a number from 1 to 6, b to go back or q to save and stop." in screen
    result = read_sheet(sheet, drill)
    assert result.problems == [] and result.score == 10 and result.answers["q1"] == "consider"
    assert os.path.getsize(sheet) > 0
