"""Every scenario a list of input files holds, for the commands that evaluate them in this process
(``evaluate``, ``explain``): one per YAML/JSON file, one per JSON Lines line, one per
spreadsheet row, read and validated exactly as a batch reads them (:mod:`scaleup.batch.input`,
:func:`scaleup.batch.worker.load_task`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional, Sequence

from ..errors import Problem, ScaleupError, ScenarioError
from ..paths import display_name
from ..scenario.inputs import Item, Skipped, read_scenario
from ..scenario.load import LoadedScenario
from .input import Task, is_jsonl, is_sheet, iter_tasks
from .worker import load_task


def holds_rows(path: Path | str) -> bool:
    """The file holds one scenario per line or row (``.jsonl``, ``.csv``, ``.xlsx``)."""
    return is_jsonl(Path(path)) or is_sheet(Path(path))


@dataclass
class Reading:
    """Notes about what was read (spreadsheet columns left out)."""

    notes: list[str] = field(default_factory=list)


def read_all(paths: Sequence[Path], row: Optional[int] = None,
             reading: Optional[Reading] = None) -> Iterator[tuple[str, Item]]:
    """Each scenario of ``paths`` with where it is (``file`` or ``file:line``) and its loaded
    scenario, its error or a note that it is of another kind.

    Args:
        paths: the files, in order.
        row: only the scenario on this line (JSON Lines) or row (spreadsheets) of each file that
            holds rows; a file without a scenario there gives a located problem.
        reading: collects notes.
    """
    out = reading if reading is not None else Reading()
    for path in paths:
        if not holds_rows(path):
            yield display_name(path), read_scenario(path)
            continue
        lines: list[int] = []
        found = False
        for task in iter_tasks([path], out.notes):
            wanted = row is None or task.line == row
            if wanted or (task.failure and (task.line is None or task.fmt == "sheet")):   # file problems always
                found = found or wanted
                yield task.where, _load(path, task)
            elif task.line is not None:
                lines.append(task.line)
        if not found:
            yield display_name(path), ScenarioError([_no_row(display_name(path), row or 0, lines)])


def base_row(path: Path, row: Optional[int]) -> tuple[LoadedScenario, Task]:
    """The one scenario of a file of rows a command works on (``row``, or the only one).

    Raises:
        ScaleupError: the row is missing or invalid, or the file holds several and ``row`` is None.
    """
    name = display_name(path)
    tasks = [t for t in iter_tasks([path]) if row is None or t.line == row or t.failure]
    scenarios = [t for t in tasks if not t.failure]
    if row is None and len(scenarios) > 1:
        raise ScaleupError.at(name, None, "", f"the file holds {len(scenarios)} scenarios; a sweep varies one",
                              f"pick one with --row N; scenarios are on rows {', '.join(str(t.line) for t in scenarios[:5])}")
    if not scenarios:
        failures = [p for t in tasks for p in t.failure]
        raise ScenarioError(failures or [_no_row(name, row or 0, [t.line for t in iter_tasks([path]) if t.line])])
    _, loaded = load_task(scenarios[0])
    if isinstance(loaded, str):
        raise ScenarioError.at(scenarios[0].where, None, "kind", f"this is a {loaded!r}, not a scenario")
    return loaded, scenarios[0]


def _load(path: Path, task: Task) -> Item:
    try:
        _, loaded = load_task(task)
    except ScaleupError as exc:
        return exc
    return Skipped(path, loaded) if isinstance(loaded, str) else loaded


def _no_row(name: str, row: int, rows: list[int]) -> Problem:
    what = "line" if is_jsonl(Path(name)) else "row"
    if not rows:
        return Problem(name, None, "", f"--row {row}: the file holds no scenario", "check the file")
    listed = ", ".join(map(str, rows[:10])) + (f" ... {rows[-1]}" if len(rows) > 10 else "")
    return Problem(name, None, "", f"--row {row}: no scenario on {what} {row}; scenarios are on {what}s {listed}",
                   f"{what}s are numbered as messages show them, like {name}:{rows[0]}")
