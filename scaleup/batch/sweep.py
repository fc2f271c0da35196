"""Sweeps: one scenario evaluated at many points of any number of fields, through the batch
machinery, streamed.

The points (:mod:`scaleup.batch.sweep_design`: a grid, or a random or Latin hypercube sample) are
generated one at a time and handed to the worker pool as tasks (the base scenario's bytes plus the
point's field values); results come back in point order and each becomes one grid row, handed to
``write`` at once and then forgotten. What the run keeps is bounded whatever the number of
points: counts per outcome, the first :data:`MAX_REASONS` distinct reasons of invalid points,
the decision map's cells (:mod:`scaleup.batch.sweep_map`) and, for a one-field grid, where the decision
changes.

Each point is validated again in full, cross-field checks included. A point that breaks a rule
tying two fields has the field it did not set follow (:mod:`scaleup.batch.sweep_point`; the row's
``adjusted`` column says what moved); a point that still cannot be made consistent is an invalid
point, reported with its message, never skipped.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence, Union

from .input import Task, sweep_task
from .output import LEVELS
from .pool import StopCheck, make_pool, plan_workers
from .run import BatchSummary, Pool, Progress, make_row, ordered
from .scenario_files import base_row, holds_rows
from .sweep_design import Design, Vary, make_design, parse_vary
from .sweep_map import MapAxis, MapTally, bins_for
from ..errors import ScaleupError
from ..rules.ir import CompiledRuleset
from ..scenario.load import LoadedScenario, load_scenario

__all__ = ["GRID_COLUMNS", "SweepResult", "Design", "Vary", "make_design", "parse_vary", "run_sweep", "columns"]

GRID_COLUMNS = ("status", "decision", "route", "variant", *LEVELS, "unhcr_level", "leads", "cluster_leads", "flags",
                "adjusted", "error")
MAX_REASONS = 1000
GridRow = dict[str, Any]


def columns(design: Design) -> tuple[str, ...]:
    """The grid's columns: the varied fields, then the outcome."""
    return tuple(v.field for v in design.varies) + GRID_COLUMNS


@dataclass
class SweepResult:
    """A finished (or interrupted) sweep: what it kept of its points (see the module docstring)."""

    base: LoadedScenario
    design: Design
    ruleset: CompiledRuleset
    tally: MapTally
    points: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    invalid: int = 0
    crashed: int = 0
    adjusted: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    changes: list[tuple[Any, Any, str, str]] = field(default_factory=list)
    wall: float = 0.0
    interrupted: bool = False
    capped: str = ""   # why fewer workers were started than asked for (as for a batch)

    @property
    def varies(self) -> tuple[Vary, ...]:
        return self.design.varies

    @property
    def columns(self) -> tuple[str, ...]:
        return columns(self.design)

    def base_values(self) -> tuple[Any, ...]:
        """The varied fields' values in the scenario as written (None where absent)."""
        out = []
        for v in self.varies:
            node: Any = self.base.scenario
            for part in v.field.split("."):
                node = getattr(node, part, None) if node is not None else None
            out.append(node[0] if isinstance(node, (list, tuple)) and node else node)
        return tuple(out)

    def transitions(self) -> list[tuple[Any, Any, str, str]]:
        """For a one-field grid: where the decision changes, as (from value, to value, from, to)."""
        return self.changes

    def _note(self, values: tuple[Any, ...], row: GridRow, last: list[Any]) -> None:
        self.points += 1
        status = row["status"]
        self.counts[row["decision"] if status == "ok" else status] += 1
        self.adjusted += bool(row.get("adjusted"))
        if status != "ok":
            self.invalid += status == "error"
            self.crashed += status == "crashed"
            for part in str(row.get("error") or "").split("; "):
                reason = part.split(": ", 1)[1] if part.startswith(self.base.name + ":") and ": " in part else part
                if reason in self.reasons or len(self.reasons) < MAX_REASONS:
                    self.reasons[reason] += 1
            return
        if self.design.is_grid and len(self.varies) == 1:
            if last and last[1] != row["decision"]:
                self.changes.append((last[0], values[0], last[1], row["decision"]))
            last[:] = [values[0], row["decision"]]


def _base(scenario: Union[str, Path], row: Optional[int]) -> tuple[LoadedScenario, bytes, Optional[Task]]:
    """The base scenario, its bytes, and for a line of a JSON Lines file or a spreadsheet row the
    task that reads it (``row``; needed when the file holds more than one scenario)."""
    if holds_rows(scenario):
        base, base_task = base_row(Path(scenario), row)
        return base, base_task.raw, base_task
    if row is not None:
        raise ScaleupError.at(str(scenario), None, "", "--row picks a line of a .jsonl file or a row of a .csv or "
                              ".xlsx file", "leave --row out for a YAML or JSON scenario")
    base = load_scenario(scenario)
    raw = Path(scenario).read_bytes()
    if hashlib.sha256(raw).hexdigest() != base.document.sha256:
        raise ScaleupError.at(str(scenario), None, "", "the file changed while it was being read", "run the sweep again")
    return base, raw, None


def _map_axes(design: Design, map_fields: Optional[Sequence[str]]) -> tuple[MapAxis, Optional[MapAxis]]:
    by_field = {v.field: v for v in design.varies}
    chosen = list(map_fields) if map_fields else [v.field for v in design.varies[:2]]
    if not 1 <= len(chosen) <= 2 or len(set(chosen)) != len(chosen):
        raise ScaleupError.at("--map", None, "", f"{', '.join(chosen)}: the map shows one or two different fields",
                              "e.g. --map populations.in_need,capacity.inform_lcc")
    for name in chosen:
        if name not in by_field:
            raise ScaleupError.at("--map", None, name, "is not one of the varied fields",
                                  "choose among " + ", ".join(by_field))
    bins = bins_for(design.size, len(chosen))
    return MapAxis.of(by_field[chosen[0]], bins), (MapAxis.of(by_field[chosen[1]], bins) if len(chosen) > 1 else None)


def _unwrap(vary: Vary, value: Any) -> Any:
    return value[0] if vary.info.multi and isinstance(value, list) else value


def run_sweep(scenario: str | Path, design: Union[Design, Sequence[Vary]], ruleset: CompiledRuleset, *,
              workers: int = 1, timeout: float = 0, start_method: Optional[str] = None,
              should_stop: StopCheck = lambda: False, progress: Optional[Progress] = None,
              write: Optional[Callable[[GridRow], None]] = None,
              map_fields: Optional[Sequence[str]] = None, pool: Optional[Pool] = None,
              row: Optional[int] = None) -> SweepResult:
    """Evaluate the scenario at every point of ``design``, streaming one grid row per point, in
    point order, to ``write``; ``progress`` is called after each point with the running counts
    (as in a batch). ``map_fields`` (one or two varied fields, default the first two) are the
    axes of the decision map's tally. A sequence of :class:`Vary` is the full grid over them.
    ``pool`` evaluates instead of local worker processes (a :class:`~scaleup.batch.cluster.DaskPool`).
    ``scenario`` may be a line of a JSON Lines file or a spreadsheet row (``row``; needed when
    the file holds more than one scenario).

    Raises:
        ScenarioError: when the base scenario itself is invalid.
        ScaleupError: no field, a field twice, a bad sample, or map fields that are not varied.
    """
    if not isinstance(design, Design):
        design = make_design(list(design))
    started = time.monotonic()
    x_axis, y_axis = _map_axes(design, map_fields)
    base, raw, base_task = _base(scenario, row)
    varies, name = design.varies, str(scenario)
    total = design.size

    def tasks() -> Iterator[Task]:
        for values in design.points():
            yield sweep_task(name, raw, tuple((v.field, [x] if v.info.multi else x) for v, x in zip(varies, values)),
                             base_task)

    result = SweepResult(base, design, ruleset, MapTally(x_axis, y_axis))
    if pool is None:
        workers, result.capped = plan_workers(workers, total)
        pool = make_pool(ruleset, workers, timeout, start_method, tasks=total)
    counts = BatchSummary(total=total, workers=max(1, workers))
    last: list[Any] = []
    for task, outcome in ordered(pool.results(tasks(), should_stop)):
        values = tuple(_unwrap(v, x) for v, (_, x) in zip(varies, task.patch))
        made = make_row(task, outcome, ruleset)
        grid = {**{v.field: x for v, x in zip(varies, values)}, **{c: made.get(c) for c in GRID_COLUMNS}}
        if write is not None:
            write(grid)
        result._note(values, grid, last)
        result.tally.add(grid, grid)
        counts.processed += 1
        counts.evaluated += 1
        counts.add(made)
        if progress is not None:
            progress(counts)
    result.wall = time.monotonic() - started
    result.interrupted = result.points < total
    return result

