"""docs/tutorial.md runs as written: every command, in order, on the files the page shows, with the
output lines it shows (tests/docs_commands.py says how a page is read)."""

from __future__ import annotations

from pathlib import Path

import pytest

from docs_commands import Command, FileBlock, missing_lines, run, steps, write_files_before

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "tutorial.md"
STEPS = steps(PAGE.read_text(encoding="utf-8"))
COMMANDS = [(i, s) for i, s in enumerate(STEPS) if isinstance(s, Command)]


def test_the_tutorial_writes_a_rule_set_that_extends_the_shipped_one() -> None:
    files = {s.path for s in STEPS if isinstance(s, FileBlock)}
    assert {"course-rules/ruleset.yaml", "course-rules/rules/security.yaml", "course-rules/tables/risk.yaml"} <= files
    first = next(s for s in STEPS if isinstance(s, FileBlock))
    assert "extends: iasc-2018" in first.text
    assert len(COMMANDS) >= 8 and all(c.expected for _, c in COMMANDS)


@pytest.mark.parametrize("index, command", COMMANDS, ids=[f"{n}: {c.line[:60]}" for n, (_, c) in enumerate(COMMANDS)])
def test_each_tutorial_command_gives_the_output_shown(index: int, command: Command, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_files_before(STEPS, index, tmp_path)
    code, output = run(command)
    assert code == command.exit_code, output
    missing = missing_lines(command.expected, output)
    assert not missing, f"$ {command.line}\nnot in the output from: {missing[0]!r}\n--- output ---\n{output}"
