"""Shipped example scenarios and exercises, found by name from any folder (scaleup/scenario/shipped.py),
through the source tree and through the package-data folder a wheel installs (``_scenarios``)."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from scaleup.cli import main
from scaleup.scenario import shipped
from scaleup.scenario.inputs import find_inputs

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty current folder: a name can only be found among the shipped files."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def wheel_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """scaleup/scenario/shipped.py as a wheel installs it: beside a ``_scenarios`` folder holding a copy of
    scenarios/ (as pyproject.toml's force-include puts it)."""
    package = tmp_path / "site-packages" / "scaleup"
    shutil.copytree(ROOT / "scenarios", package / "_scenarios")
    monkeypatch.setattr(shipped, "__file__", str(package / "scenario" / "shipped.py"))
    return package / "_scenarios"


def test_every_shipped_file_has_a_unique_short_name() -> None:
    names = [e.short for e in shipped.examples()]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    assert {"cyclone-coastal", "cyclone-idp-surge", "car-conflict-2013"} <= set(names)


def test_each_name_and_its_full_name_find_the_file(elsewhere: Path) -> None:
    for example in shipped.examples():
        assert shipped.find_example(example.short) == example.path
        assert shipped.find_example(example.name) == example.path
    assert shipped.find_example("exercises/cyclone-idp-surge") == ROOT / "scenarios/exercises/cyclone-idp-surge.yaml"


@pytest.mark.parametrize("text", ["cyclone-coastal.yaml", "/cyclone-coastal", "../scenarios/cyclone-coastal",
                                  "cyclone-*", "./cyclone-coastal", "", "exercises/../cyclone-coastal"])
def test_paths_and_patterns_are_not_names(text: str, elsewhere: Path) -> None:
    assert shipped.find_example(text) is None
    assert shipped.resolve(text) == text


def test_the_kind_follows_the_folder() -> None:
    kinds = {e.short: e.kind for e in shipped.examples()}
    assert (kinds["cyclone-coastal"], kinds["cyclone-idp-surge"], kinds["car-conflict-2013"]) == \
        ("scenario", "exercise", "history")


def test_a_file_of_that_name_in_the_current_folder_wins(elsewhere: Path) -> None:
    (elsewhere / "cyclone-coastal").write_text("id: mine\n", encoding="utf-8")
    assert shipped.resolve("cyclone-coastal") == "cyclone-coastal"
    assert find_inputs(["cyclone-coastal"]).files == [Path("cyclone-coastal")]


def test_a_name_is_shown_relative_to_the_current_folder_when_below_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert shipped.resolve("cyclone-coastal") == "scenarios/cyclone-coastal.yaml"
    monkeypatch.chdir(ROOT / "docs")
    assert shipped.resolve("cyclone-coastal") == str(ROOT / "scenarios/cyclone-coastal.yaml")


def test_names_resolve_through_the_package_data_folder_a_wheel_installs(wheel_layout: Path, elsewhere: Path) -> None:
    assert shipped.shipped_scenarios_dir() == wheel_layout
    assert shipped.find_example("cyclone-idp-surge") == wheel_layout / "exercises/cyclone-idp-surge.yaml"
    result = CliRunner().invoke(main, ["evaluate", "cyclone-coastal", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["scenario"]["file"] == str(wheel_layout / "cyclone-coastal.yaml")


# scaleup/cli/exercise.py reads the terminal through click.get_text_stream, deprecated in click 8.2
@pytest.mark.filterwarnings("ignore:'get_text_stream' is deprecated:DeprecationWarning")
def test_an_exercise_is_played_by_name_from_the_package_data_folder(wheel_layout: Path, elsewhere: Path) -> None:
    result = CliRunner().invoke(main, ["exercise", "play", "cyclone-idp-surge", "--name", "Amina",
                                       "--sheet", "amina.yaml"], input="1\nq\n")
    assert result.exit_code == 0, result.output
    assert "Cyclone Amara" in result.output
    assert "Saved 1 answer" in result.output
    assert (elsewhere / "amina.yaml").is_file()


def test_the_wheel_ships_scenarios_where_the_code_looks_for_them() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert include["scenarios"] == "scaleup/_scenarios"
    assert include["rulesets"] == "scaleup/_rulesets"
    # in the source tree the same names come from scenarios/ itself
    assert shipped.shipped_scenarios_dir() == ROOT / "scenarios"


@pytest.mark.parametrize("args", [["evaluate", "cyclone-coastal"], ["explain", "cyclone-coastal", "--depth", "0"],
                                  ["validate", "cyclone-idp-surge"], ["exercise", "validate", "cyclone-idp-surge"]])
def test_commands_take_a_shipped_name_from_any_folder(args: list[str], elsewhere: Path) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output


def test_a_misspelt_name_gets_the_closest_shipped_name(elsewhere: Path) -> None:
    result = CliRunner().invoke(main, ["evaluate", "cyclone-coastl"])
    assert result.exit_code == 1
    assert "cyclone-coastl: no such file or folder (check the path; did you mean the shipped example " \
           "'cyclone-coastal'?)" in result.output
    result = CliRunner().invoke(main, ["exercise", "play", "cyclone-idp-surg"])
    assert result.exit_code == 2
    assert "Did you mean the shipped example 'cyclone-idp-surge'?" in result.output
    result = CliRunner().invoke(main, ["evaluate", "nothing-like-any-example"])
    assert result.exit_code == 1 and "did you mean" not in result.output


def test_scenario_examples_lists_every_name_by_kind() -> None:
    result = CliRunner().invoke(main, ["scenario", "examples"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == f"# in {ROOT / 'scenarios'}"
    rows = [line.split() for line in lines[1:]]
    assert sorted(name for _, name in rows) == sorted(e.short for e in shipped.examples())
    kinds = [kind for kind, _ in rows]
    assert kinds == sorted(kinds, key=["scenario", "exercise", "history"].index)
    assert ["exercise", "cyclone-idp-surge"] in rows


def test_without_a_shipped_folder_no_name_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shipped, "__file__", str(tmp_path / "scaleup" / "scenario" / "shipped.py"))   # neither folder exists
    assert shipped.examples() == [] and shipped.find_example("cyclone-coastal") is None
    assert shipped.close_names("cyclone-coastl") == []


def test_only_names_get_a_did_you_mean() -> None:
    assert shipped.close_names("cyclone-coastl") == ["cyclone-coastal"]
    assert shipped.close_names("cyclone-coastl.yaml") == [] and shipped.close_names("dir/../x") == []
