"""An exercise's ``baseline:`` and ``ruleset:`` stay inside the exercise file's folder (resolved,
symbolic links followed) unless the user passes ``--allow-outside-paths``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from scaleup.cli.main import main
from scaleup.errors import ScaleupError
from scaleup.exercise.load import load_exercise

FIX = Path(__file__).resolve().parent / "fixtures" / "exercises"
SECRET = "zzadmin:x:0:0:zzadmin:/home:/bin/sh\nsecret-user: hunter2\n"


def exercise(folder: Path, baseline: str, ruleset: str = "rules") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ex.yaml"
    path.write_text("kind: exercise\nid: paths\ntitle: Paths\naudience: tests\n"
                    f"ruleset: {ruleset}\nbaseline: {baseline}\n"
                    "injects:\n  - day: 0\n    narrative: Landfall.\n    questions:\n"
                    "      - {id: q1, kind: scale_up}\n")
    return path


@pytest.fixture
def tree(tmp_path):
    """tmp/outside/{secret.yaml, base.yaml, rules/} and tmp/ex/{rules/, base.yaml}."""
    out = tmp_path / "outside"
    out.mkdir()
    (out / "secret.yaml").write_text(SECRET)
    shutil.copy(FIX / "base.yaml", out / "base.yaml")
    shutil.copytree(FIX / "rules", out / "rules")
    ex = tmp_path / "ex"
    ex.mkdir()
    shutil.copytree(FIX / "rules", ex / "rules")
    shutil.copy(FIX / "base.yaml", ex / "base.yaml")
    return tmp_path


def refused(path: Path, **options) -> str:
    with pytest.raises(ScaleupError) as info:
        load_exercise(path, **options)
    assert len(info.value.problems) == 1, [str(p) for p in info.value.problems]
    text = str(info.value.problems[0])
    assert "hunter2" not in text and "zzadmin" not in text
    return text


def test_a_baseline_inside_the_folder_loads(tree):
    assert load_exercise(exercise(tree / "ex", "base.yaml")).question("q1").key == "consider"


@pytest.mark.parametrize("baseline", ["../outside/secret.yaml", "{secret}", "link.yaml"])
def test_a_baseline_outside_the_folder_is_refused_at_its_line_before_it_is_read(tree, baseline):
    (tree / "ex" / "link.yaml").symlink_to(tree / "outside" / "secret.yaml")
    given = baseline.format(secret=tree / "outside" / "secret.yaml")
    path = exercise(tree / "ex", given)
    assert refused(path) == (f"{path}:6: baseline: baseline file {given!r} is outside the exercise's folder "
                             "(put it in the exercise's folder (or below it), or pass --allow-outside-paths "
                             "if you trust this exercise file)")


@pytest.mark.parametrize("ruleset", ["../outside/rules", "{rules}", "linked"])
def test_a_rule_set_folder_outside_the_folder_is_refused_at_its_line(tree, ruleset, monkeypatch):
    (tree / "ex" / "linked").symlink_to(tree / "outside" / "rules")
    given = ruleset.format(rules=tree / "outside" / "rules")
    path = exercise(tree / "ex", "base.yaml", given)
    assert refused(path).startswith(f"{path}:5: ruleset: rule set folder {given!r} is outside the exercise's folder")
    monkeypatch.chdir(tree)                      # a folder relative to the current folder is outside too
    assert "is outside the exercise's folder" in refused(exercise(tree / "ex", "base.yaml", "outside/rules"))


def test_allow_outside_paths_lets_a_trusted_exercise_reach_out(tree):
    path = exercise(tree / "ex", "../outside/base.yaml", "../outside/rules")
    assert load_exercise(path, allow_outside_paths=True).question("q1").key == "consider"


def test_the_cli_refuses_outside_paths_unless_allowed(tree):
    path = str(exercise(tree / "ex", "../outside/base.yaml"))
    runner = CliRunner()
    result = runner.invoke(main, ["exercise", "validate", path])
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {path}:6: baseline: baseline file '../outside/base.yaml' is outside")
    assert runner.invoke(main, ["exercise", "validate", "--allow-outside-paths", path]).exit_code == 0
    sheet = tree / "sheet.yaml"
    sheet.write_text("kind: answer_sheet\nexercise: paths\nparticipant: A\nanswers: {q1: consider}\n")
    for command in (["score"], ["debrief"]):
        assert runner.invoke(main, ["exercise", *command, path, str(sheet)]).exit_code == 1
        assert runner.invoke(main, ["exercise", *command, "--allow-outside-paths", path, str(sheet)]).exit_code == 0


@pytest.mark.parametrize("allow", [False, True])
def test_a_baseline_that_is_a_loop_of_links_is_a_located_problem(tree, allow):
    # Path.resolve() raises RuntimeError on a loop in Python 3.11: this was a traceback.
    (tree / "ex" / "loop.yaml").symlink_to("loop.yaml")
    text = refused(exercise(tree / "ex", "loop.yaml"), allow_outside_paths=allow)
    assert text.endswith("ex.yaml:6: baseline: baseline file 'loop.yaml' is a loop of symbolic links "
                         "(give the path of the scenario file itself)")
