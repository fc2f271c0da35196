"""Evaluating the scenarios that paths name, in this process: the library half of ``scaleup
evaluate``.

:func:`evaluate_paths` expands the paths (files, folders, globs, files of rows), evaluates every
valid scenario, checks ``expect:`` blocks when asked, and returns the recommendations with every
message the user should see, in the order they arose. It never prints; the command prints the
messages, renders the recommendations and chooses the exit code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from ..errors import EngineError, ScaleupError
from ..recommendation.evaluate import evaluate
from ..recommendation.expect import check_expectations
from ..recommendation.model import Recommendation
from ..rules.ir import CompiledRuleset
from ..scenario.inputs import Skipped, find_inputs
from ..scenario.search import has_magic
from .scenario_files import Reading, holds_rows, read_all


class NoFileOfRows(ValueError):
    """``row`` was given but no path is a file of rows (a usage error)."""


@dataclass(frozen=True)
class Message:
    """One line for the user: ``label`` is error, internal error, note, skipped or mismatch."""

    label: str
    text: str

    def __str__(self) -> str:
        return f"{self.label}: {self.text}"


@dataclass
class PathsRun:
    """What :func:`evaluate_paths` found.

    Attributes:
        recommendations: one per valid scenario, in input order.
        messages: problems, notes, skipped files and expectation mismatches, in order.
        failed: a path was missing or a scenario invalid.
        mismatched: ``check`` found a recommendation that disagrees with its ``expect:`` block.
        many: the paths could name several scenarios (several paths, a folder, a glob, a file of
            rows), so a JSON report is an array even with one recommendation.
    """

    recommendations: list[Recommendation] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    failed: bool = False
    mismatched: bool = False
    many: bool = False

    def problems(self, error: ScaleupError) -> None:
        label = "internal error" if isinstance(error, EngineError) else "error"
        self.messages += [Message(label, str(p)) for p in error.problems]
        self.failed = True


def evaluate_paths(paths: Sequence[str], ruleset: CompiledRuleset, *, output: Optional[Path] = None,
                   row: Optional[int] = None, check: bool = False) -> PathsRun:
    """Evaluate every scenario that ``paths`` name (``row``: only that line or row of files of
    rows; ``output`` is never read as an input).

    Raises:
        NoFileOfRows: ``row`` is given but no path is a file of rows.
    """
    found = find_inputs(paths, output=output)
    run = PathsRun(failed=bool(found.problems))
    run.messages += [Message("error", str(p)) for p in found.problems]
    run.messages += [Message("note", str(n)) for n in found.notes]
    if row is not None and not any(holds_rows(p) for p in found.files):
        raise NoFileOfRows("--row picks a line of a .jsonl file or a row of a .csv or .xlsx file; none was given")
    reading = Reading()
    for where, item in read_all(found.files, row, reading):
        if isinstance(item, Skipped):
            run.messages.append(Message("skipped", f"{where} (kind {item.kind!r} is not a scenario)"))
            continue
        try:
            if isinstance(item, ScaleupError):
                raise item
            rec = evaluate(item, ruleset)
        except ScaleupError as exc:
            run.problems(exc)
            continue
        run.recommendations.append(rec)
        if item.ranges:
            run.messages.append(Message("note", f"{where}: {len(item.ranges)} uncertain figure"
                                        f"{'s' if len(item.ranges) != 1 else ''} evaluated at their point estimates; "
                                        "--samples N gives the probability of each decision (docs/uncertainty.md)"))
        if check and item.scenario.expect:
            for problem in check_expectations(rec, item.scenario.expect):
                run.messages.append(Message("mismatch", f"{where}: {problem}"))
                run.mismatched = True
    run.messages += [Message("note", str(n)) for n in reading.notes]
    run.many = (len(paths) > 1 or any(Path(s).is_dir() or has_magic(s) for s in paths)
                or (row is None and any(holds_rows(p) for p in found.files)))
    return run
