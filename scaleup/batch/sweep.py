"""Sweeps: one scenario evaluated over a grid of one or two fields, through the batch machinery.

``--vary FIELD=START:STOP:STEP`` (numbers, STOP included when a step lands on it) or
``--vary FIELD=V1,V2,...`` (numbers, ``true``/``false``, or the values of a categorical field).
FIELD is a dotted scenario path from the field catalogue (derived indicators excluded: they are
computed from other fields). Each grid point is the scenario with those values set (missing
sections are created), validated again in full, cross-field checks included, so a point that
makes the scenario inconsistent (people in need above people affected) is reported as an invalid
point with its message, never skipped.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Optional, Sequence

from .run import BatchSummary, Progress, make_row, ordered
from .input import Task, sweep_task
from .output import LEVELS
from .pool import StopCheck, make_pool, plan_workers
from ..errors import ScaleupError
from ..scenario.fields import CATALOGUE, DERIVED, FieldInfo
from ..rules.compile import did_you_mean
from ..rules.ir import CompiledRuleset
from ..scenario.load import LoadedScenario, load_scenario

MAX_POINTS = 10_000
GRID_COLUMNS = ("status", "decision", "route", "variant", *LEVELS, "unhcr_level", "leads", "cluster_leads", "flags", "error")
SWEEPABLE = {path: info for path, info in CATALOGUE.items() if path not in DERIVED}


@dataclass(frozen=True)
class Vary:
    """One varied field and its values, in axis order."""

    field: str
    info: FieldInfo
    values: tuple[Any, ...]

    @property
    def numeric(self) -> bool:
        return self.info.kind in ("int", "num")


def _bad(spec: str, message: str, hint: str = "") -> ScaleupError:
    return ScaleupError.at("--vary", None, spec.partition("=")[0], message, hint)


def _number(text: str, spec: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace("_", ""))
    except InvalidOperation:
        raise _bad(spec, f"{text.strip()!r} is not a number", "write plain numbers, e.g. 250000 or 2.5") from None
    if not value.is_finite():
        raise _bad(spec, f"{text.strip()!r} is not a finite number")
    return value


def _plain(value: Decimal, info: FieldInfo, spec: str) -> int | float:
    if value == value.to_integral_value():
        return int(value)
    if info.kind == "int":
        raise _bad(spec, f"{value} is not a whole number, and {info.path} counts {info.unit or 'units'}")
    return float(value)


def _in_range(values: Sequence[Any], info: FieldInfo, spec: str) -> None:
    for v in values:
        if info.ge is not None and v < info.ge:
            raise _bad(spec, f"{v} is below the field's minimum {info.ge:g}")
        if info.le is not None and v > info.le:
            raise _bad(spec, f"{v} is above the field's maximum {info.le:g}")


def parse_vary(spec: str) -> Vary:
    """Parse one ``--vary`` argument.

    Raises:
        ScaleupError: unknown or derived field (with a "did you mean"), bad numbers, a value outside
            the field's range or its categories, or more than :data:`MAX_POINTS` values.
    """
    name, sep, rhs = spec.partition("=")
    name = name.strip()
    if not sep or not name or not rhs.strip():
        raise _bad(spec, f"{spec!r} is not FIELD=START:STOP:STEP or FIELD=V1,V2,...",
                   "e.g. --vary populations.in_need=100000:2000000:100000")
    if name in DERIVED:
        raise _bad(spec, f"{name} is computed from other fields ({DERIVED[name].formula}), so it cannot be set",
                   f"vary {' or '.join(DERIVED[name].inputs)} instead")
    info = SWEEPABLE.get(name)
    if info is None:
        raise _bad(spec, "not a scenario field that can be varied", did_you_mean(name, list(SWEEPABLE)))
    if ":" in rhs:
        parts = rhs.split(":")
        if len(parts) != 3 or info.kind not in ("int", "num"):
            raise _bad(spec, "a range is START:STOP:STEP, for a numeric field" if len(parts) != 3 else
                       f"{name} is not numeric; list its values instead", "e.g. FIELD=a,b,c" if len(parts) == 3 else "")
        start, stop, step = (_number(p, spec) for p in parts)
        if step == 0 or (stop - start) * step < 0:
            raise _bad(spec, f"the step {step} does not lead from {start} to {stop}")
        count = int((stop - start) / step) + 1
        if count > MAX_POINTS:
            raise _bad(spec, f"{count:,} values; at most {MAX_POINTS:,}", "use a larger step")
        values: list[Any] = [_plain(start + i * step, info, spec) for i in range(count)]
    else:
        values = [_value(item.strip(), info, spec) for item in rhs.split(",") if item.strip()]
    if info.kind in ("int", "num"):
        _in_range(values, info, spec)
        values = sorted(set(values))
    elif len(set(values)) != len(values):
        raise _bad(spec, "a value is listed twice")
    return Vary(name, info, tuple(values))


def _value(text: str, info: FieldInfo, spec: str) -> Any:
    if info.kind in ("int", "num"):
        return _plain(_number(text, spec), info, spec)
    if info.kind == "bool":
        if text.lower() not in ("true", "false"):
            raise _bad(spec, f"{text!r} is not true or false")
        return text.lower() == "true"
    if info.values and text not in info.values:
        raise _bad(spec, f"{text!r} is not a value of {info.path}", did_you_mean(text, list(info.values)))
    return text


def grid(varies: Sequence[Vary]) -> list[tuple[Any, ...]]:
    """Every combination, the first field varying slowest."""
    return list(itertools.product(*(v.values for v in varies)))


@dataclass
class SweepPoint:
    values: tuple[Any, ...]
    row: dict[str, Any]


@dataclass
class SweepResult:
    """A finished sweep: the base scenario, the varied fields and one point per combination."""

    base: LoadedScenario
    varies: tuple[Vary, ...]
    points: list[SweepPoint]
    ruleset: CompiledRuleset
    wall: float
    interrupted: bool = False
    capped: str = ""   # why fewer workers were started than asked for (as for a batch)

    def grid_rows(self) -> list[dict[str, Any]]:
        """Rows for the grid CSV: the varied fields' values, then the outcome."""
        return [{**{v.field: p.values[i] for i, v in enumerate(self.varies)},
                 **{c: p.row.get(c) for c in GRID_COLUMNS}} for p in self.points]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(v.field for v in self.varies) + GRID_COLUMNS

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
        """For a one-field sweep: where the decision changes, as (from value, to value, from, to)."""
        out = []
        valid = [p for p in self.points if p.row["status"] == "ok"]
        for a, b in zip(valid, valid[1:]):
            if a.row["decision"] != b.row["decision"]:
                out.append((a.values[0], b.values[0], a.row["decision"], b.row["decision"]))
        return out


def run_sweep(scenario: str | Path, varies: Sequence[Vary], ruleset: CompiledRuleset, *, workers: int = 1,
              timeout: float = 0, start_method: Optional[str] = None,
              should_stop: StopCheck = lambda: False, progress: Optional[Progress] = None) -> SweepResult:
    """Evaluate the scenario at every grid point; ``progress`` is called after each point with
    the running counts (as in a batch).

    Raises:
        ScenarioError: when the base scenario itself is invalid.
        ScaleupError: when more than two fields, a field twice, or too many points are asked for.
    """
    if not 1 <= len(varies) <= 2:
        raise ScaleupError.at("--vary", None, "", f"{len(varies)} fields given; a sweep varies one or two")
    if len({v.field for v in varies}) != len(varies):
        raise ScaleupError.at("--vary", None, varies[0].field, "the same field is varied twice")
    points = grid(varies)
    if len(points) > MAX_POINTS:
        raise ScaleupError.at("--vary", None, "", f"{len(points):,} grid points; at most {MAX_POINTS:,}",
                              "use larger steps or fewer values")
    started = time.monotonic()
    base = load_scenario(scenario)
    raw = Path(scenario).read_bytes()
    if hashlib.sha256(raw).hexdigest() != base.document.sha256:
        raise ScaleupError.at(str(scenario), None, "", "the file changed while it was being read", "run the sweep again")
    tasks: list[Task] = [sweep_task(str(scenario), raw, tuple((v.field, [x] if v.info.multi else x)
                                                            for v, x in zip(varies, combo))) for combo in points]
    started_workers, capped = plan_workers(workers, len(tasks))
    pool = make_pool(ruleset, started_workers, timeout, start_method, tasks=len(tasks))
    counts = BatchSummary(total=len(points), workers=started_workers)
    out = []
    for combo, (task, outcome) in zip(points, ordered(pool.results(tasks, should_stop))):
        out.append(SweepPoint(combo, make_row(task, outcome, ruleset)))
        counts.processed += 1
        counts.evaluated += 1
        counts.add(out[-1].row)
        if progress is not None:
            progress(counts)
    return SweepResult(base, tuple(varies), out, ruleset, time.monotonic() - started,
                       interrupted=len(out) < len(points), capped=capped)
