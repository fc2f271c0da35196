"""Run the commands a Markdown page shows: ``console`` blocks whose lines start with ``$ scaleup``,
and ``yaml`` blocks whose first line names the file they hold (``# folder/file.yaml``).

A command's expected output is the lines after it up to the next command. Each expected line must
appear, in order, in the command's output (indentation aside): the first anywhere, each next one
right after the one before unless a line that is only ``...`` (any number of lines) separates
them; ``...`` within a line stands for any text. A comment ``# exits with N`` on the command line
gives its exit code (default 0). Commands run through click's CliRunner in the current folder;
shell syntax (pipes, redirections, ``&&``) is not supported and a page must not use it in these
blocks.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

from click.testing import CliRunner

from scaleup.cli import main

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
EXIT = re.compile(r"\s+#\s*exits with (\d+)\s*$")


@dataclass
class Command:
    line: str             # as shown, without "$ "
    args: list[str]
    exit_code: int
    expected: list[str] = field(default_factory=list)


@dataclass
class FileBlock:
    path: str
    text: str


Step = Union[Command, FileBlock]


def steps(markdown: str, program: str = "scaleup") -> list[Step]:
    """The page's file blocks and commands, in page order."""
    out: list[Step] = []
    for match in FENCE.finditer(markdown):
        lang, body = match.group(1), match.group(2)
        if lang == "yaml":
            first = body.partition("\n")[0]
            named = re.fullmatch(r"#\s*(\S+\.ya?ml)\s*", first)
            if named:   # written whole: the comment stays line 1, as when a reader copies the block
                out.append(FileBlock(named.group(1), body))
        elif lang == "console":
            current: Optional[Command] = None
            for line in body.splitlines():
                if line.startswith("$ "):
                    text = line[2:]
                    code = EXIT.search(text)
                    words = shlex.split(EXIT.sub("", text))
                    assert words[0] == program, f"only {program} commands can be run: {line!r}"
                    current = Command(text, words[1:], int(code.group(1)) if code else 0)
                    out.append(current)
                elif current is not None:
                    current.expected.append(line)
    return out


def _line_matches(pattern: str, line: str) -> bool:
    """Whether ``line`` matches ``pattern`` (``...`` for any text), indentation aside: a page may
    show an excerpt of a deeply nested line less indented."""
    regex = ".*?".join(re.escape(p) for p in pattern.strip().split("..."))
    return re.fullmatch(regex, line.strip()) is not None


def missing_lines(expected: list[str], output: str) -> list[str]:
    """Expected lines not found, in order, in ``output`` (empty when all are there)."""
    lines = output.splitlines()
    at = 0
    for i, pattern in enumerate(expected):
        if pattern.strip() == "...":
            continue
        gap = i > 0 and expected[i - 1].strip() == "..."
        window = range(at, len(lines)) if gap or i == 0 else range(at, min(at + 1, len(lines)))
        found = next((j for j in window if _line_matches(pattern, lines[j])), None)
        if found is None:
            return expected[i:]
        at = found + 1
    return []


def run(command: Command) -> tuple[int, str]:
    result = CliRunner().invoke(main, command.args)
    return result.exit_code, result.output


def write_files_before(all_steps: list[Step], index: int, folder: Path) -> None:
    """Write every file block that comes before step ``index`` (later versions replace earlier)."""
    for step in all_steps[:index]:
        if isinstance(step, FileBlock):
            path = folder / step.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(step.text, encoding="utf-8")
