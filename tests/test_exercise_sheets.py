"""Default answer sheets of ``scaleup exercise play``: one per participant, found and resumed
before anything is written, never another participant's; and the figures participants read."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from scaleup.errors import ScaleupError
from scaleup.exercise.load import load_exercise
from scaleup.exercise.play import play
from scaleup.exercise.score import read_sheet

ROOT = Path(__file__).resolve().parent.parent


def clock():
    return "2026-03-01T09:00:00Z"


def session(ex, lines, **options):
    out = io.StringIO()
    outcome = play(ex, io.StringIO("".join(f"{x}\n" for x in lines)), out, clock=clock, **options)
    return outcome, out.getvalue()


def test_two_names_that_slug_alike_get_two_sheets_and_keep_their_answers(drill, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first, _ = session(drill, ["1", "q"], name="Amina K")             # q1: recommend
    second, text = session(drill, ["3", "q"], name="amina k")         # q1: not recommended
    assert first.sheet == Path("answers-drill-amina-k.yaml")
    assert second.sheet == Path("answers-drill-amina-k-2.yaml")
    assert "answers-drill-amina-k.yaml holds another participant's answers; yours go to answers-drill-amina-k-2.yaml." in text
    amina, other = (read_sheet(tmp_path / p, drill, partial=True) for p in (first.sheet, second.sheet))
    assert (amina.participant, amina.answers) == ("Amina K", {"q1": "recommend"})
    assert (other.participant, other.answers) == ("amina k", {"q1": "not_recommended"})
    # each finds their own sheet again
    again, text = session(drill, ["q"], name="amina k")
    assert again.sheet == second.sheet and "Resuming answers-drill-amina-k-2.yaml: 1 answers so far." in text


def test_playing_again_with_the_same_name_resumes_the_default_sheet_instead_of_overwriting_it(drill, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    session(drill, ["2", "2", "q"], name="Hana")
    outcome, text = session(drill, ["q"], name="Hana")
    assert "Resuming answers-drill-hana.yaml: 2 answers so far." in text and "Q1." not in text
    assert read_sheet(tmp_path / outcome.sheet, drill, partial=True).answers == {"q1": "consider", "q2": "2"}


def test_a_name_typed_at_the_prompt_also_resumes_its_default_sheet(drill, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    session(drill, ["Ivo", "2", "q"])
    outcome, text = session(drill, ["Ivo", "q"])
    assert "Resuming answers-drill-ivo.yaml: 1 answers so far." in text
    assert read_sheet(tmp_path / outcome.sheet, drill, partial=True).answers == {"q1": "consider"}


def test_an_explicit_sheet_of_another_participant_is_refused_not_overwritten(drill, tmp_path):
    sheet = tmp_path / "amina.yaml"
    session(drill, ["2", "q"], name="Amina", sheet=sheet)
    before = sheet.read_text()
    with pytest.raises(ScaleupError) as exc:
        session(drill, ["1", "q"], name="Ben", sheet=sheet)
    assert str(exc.value) == (f"{sheet}: participant: this sheet holds the answers of 'Amina', not of 'Ben' "
                              "(give another --sheet, or leave --sheet out to get a sheet of your own)")
    assert sheet.read_text() == before


def test_the_figures_participants_read_are_phrased_for_people(tmp_path):
    ex = load_exercise(ROOT / "scenarios" / "exercises" / "cyclone-idp-surge.yaml")
    _, text = session(ex, ["Jo"] + ["1"] * 40, sheet=tmp_path / "s.yaml")
    assert "activation.extensions: date 2026-08-15, months 6" in text
    assert "datetime" not in text and "{'" not in text
