"""``scaleup exercise play`` reads option numbers as ASCII digits only."""

from __future__ import annotations

import io

import pytest

from scaleup.exercise.play import play
from scaleup.exercise.score import read_sheet

RETRY = "Please type a number from 1 to 3, b to go back or q to save and stop."


def clock():
    return "2026-03-01T09:00:00Z"


@pytest.mark.parametrize("reply", ["²", "١", "٢", "１", "1²", " 1 2", "+1", "1.0", "0x1", "99999999999999999999"])
def test_an_option_number_in_other_digits_is_asked_again_not_read_or_crashed_on(drill, tmp_path, reply):
    out = io.StringIO()
    outcome = play(drill, io.StringIO(f"Ida\n{reply}\n2\nq\n"), out, sheet=tmp_path / "s.yaml", clock=clock)
    assert outcome.status == "quit"
    assert out.getvalue().count(RETRY) == 1
    # the one answer recorded is the "2" typed after the refusal, never option 1 from '١'
    assert read_sheet(tmp_path / "s.yaml", drill, partial=True).answers == {"q1": "consider"}
