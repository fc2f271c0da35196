"""The README's commands run, and say what the README says they say: the ``console`` blocks with
the output they show, and the quick-tour and "More" commands of its ``sh`` blocks with the
claims its prose makes about them. ``make``, ``pip`` and commands too slow or interactive for
the suite are listed in SKIPPED with the test that covers them instead."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from docs_commands import Command, missing_lines, run, steps
from scaleup.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

SKIPPED = {
    "exercise serve scenarios/exercises/cyclone-idp-surge.yaml --host 0.0.0.0": "starts a web server that runs until "
                                                                              "stopped: tests/test_room.py",
    "rules check iasc-2018": "about a minute and a half of exhaustive checks: tests/test_rules_check.py",
    "exercise play scenarios/exercises/cyclone-idp-surge.yaml": "interactive: tests/test_exercise_play.py, "
                                                                "and tests/test_shipped.py plays it by name",
    "sweep scenarios/cyclone-coastal.yaml --vary populations.affected=100000:4000000 --vary capacity.inform_lcc=0:10 "
    "--vary health_nutrition.cmr=0.1:3 --sample lhs 100000 -o lhs.csv":
        "100,000 evaluations (minutes on 2 cores): benchmarks/sweep_memory.py runs it; tests/test_sweep.py samples LHS",
    "batch runs/ -o results.jsonl --cluster dask --scheduler tcp://HOST:8786":
        "needs a Dask scheduler at HOST: tests/test_batch_dask.py runs a local cluster",
    "evaluate scenarios/uncertain/conflict-idp-uncertain-capacity.yaml --samples 2000":
        "2,000 evaluations: tests/test_uncertainty.py samples the same scenario with fewer draws",
}
# What the README's prose says each command shows.
CLAIMS = {
    "evaluate scenarios/refugee-influx-border.yaml": ["Scale-Up: NOT APPLICABLE", "Route: refugee_rcm"],
    "evaluate scenarios/conflict-idp-escalation.yaml": [
        "Scale-Up: RECOMMEND a System-Wide Scale-Up to the ERC", "Route: iasc_clusters",
        r"^  scale +5 ", r"^  urgency +4 ", r"^  complexity +5 ", r"^  capacity gap +5 ", r"^  risk of failure +5 "],
    "evaluate scenarios/cyclone-coastal.yaml": [
        "Scale-Up: RECOMMEND a System-Wide Scale-Up to the ERC", "Route: iasc_clusters", "Shelter: IFRC",
        "CCCM: IOM", "flash_appeal_window_passed"],
    "scenario examples": ["exercise  cyclone-idp-surge"],
    "--version": [r"^scaleup \d+\.\d+\.\d+ \(distribution scaleup-iasc\)$", r"^rule set iasc-2018 ", "^durable_rules "],
}
OUTPUTS = {"-o": "results.csv", "--html": "map.html"}


def sh_commands() -> list[str]:
    """The scaleup commands of the README's ``sh`` blocks, without the program, comments and
    continuation lines."""
    found = []
    for block in re.findall(r"^```sh\n(.*?)^```", README, flags=re.S | re.M):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] in (".venv/bin/scaleup", "scaleup"):
                found.append(shlex.join(words[1:]))
    return found


COMMANDS = sh_commands()
RUN = [c for c in COMMANDS if c not in SKIPPED]


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder that looks like the checkout to the commands, where their outputs can be written."""
    for name in ("scenarios", "rulesets"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_readme_command_is_run_or_skipped_for_a_reason() -> None:
    assert len(COMMANDS) >= 10
    assert set(SKIPPED) <= set(COMMANDS), "a skipped command is no longer in the README"
    assert set(CLAIMS) <= set(COMMANDS)


@pytest.mark.parametrize("command", RUN)
def test_each_readme_command_runs_and_shows_what_the_readme_says(command: str, checkout: Path) -> None:
    args = shlex.split(command)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, f"scaleup {command}\n{result.output}"
    for claim in CLAIMS.get(command, []):
        if claim.startswith("^"):
            assert re.search(claim, result.output, flags=re.M), f"{claim!r} not in the output of {command}"
        else:
            assert claim in result.output, f"{claim!r} not in the output of {command}"
    for option, name in OUTPUTS.items():
        if option in args and args[args.index(option) + 1] == name:
            assert (checkout / name).stat().st_size > 0


CONSOLE = [s for s in steps(README) if isinstance(s, Command)]


def test_the_readme_shows_command_output() -> None:
    assert len(CONSOLE) >= 2


@pytest.mark.parametrize("command", CONSOLE, ids=[c.line[:60] for c in CONSOLE])
def test_each_readme_output_excerpt_is_what_the_command_prints(command: Command, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, output = run(command)
    assert code == command.exit_code, output
    assert not missing_lines(command.expected, output), f"$ {command.line}\n--- output ---\n{output}"
