"""Batch runs: evaluate many scenarios on worker processes, stream one row per scenario in input
order, survive bad files, dead workers and interruptions, and resume where a run stopped.

The flow: :func:`~scaleup.batch.input.iter_tasks` reads the inputs lazily; a pool
(:mod:`scaleup.batch.pool`) evaluates them; :func:`ordered` puts results back in input order
whatever the worker count; each row is written and flushed as soon as all rows before it are, so
an interrupted run leaves a valid prefix. ``resume`` keeps the rows already in the output
(``ok`` and ``error`` rows of the same rule set, matched by input file, JSON Lines line and
scenario SHA-256), evaluates the rest, and finally rewrites the file atomically in input order,
so it ends byte-identical to an uninterrupted run. ``crashed`` rows are evaluated again.

The library never prints: progress goes to a callback and the run returns a
:class:`BatchSummary` for the command line to show.

Longer than 300 lines because a batch run is one loop (inputs, pool, ordered output, resume, interruption) whose parts share the output file's state.
"""

from __future__ import annotations

import stat
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator, Optional, Sequence

from .input import Task, count_tasks, expand_inputs, iter_tasks
from .output import COLUMNS, RowWriter, StoredRow, csv_line, read_rows
from .pool import MAX_WORKERS, MAX_WORKERS_PER_CPU, StopCheck, cap_workers, make_pool, usable_cpus
from .worker import Outcome
from ..errors import Problem, ScaleupError, ScenarioError
from ..paths import display_name, kind_of_mode
from ..rules.ir import CompiledRuleset
from ..writeout import open_output, output_error, write_atomic
from ..scenario.yamlio import parse_document

KEEP_ON_RESUME = ("ok", "error")
MAX_LISTED = 1000   # error and mismatch messages kept in the summary (all are in the output)


@dataclass
class BatchSummary:
    """What a batch did, for the summary table and the exit code. After a completed resume the
    status, decision and route counts cover every row of the output, kept ones included."""

    total: int = 0
    evaluated: int = 0
    resumed: int = 0
    processed: int = 0    # rows written and files skipped by this run
    status: Counter[str] = field(default_factory=Counter)
    decisions: Counter[str] = field(default_factory=Counter)
    routes: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    unmet: int = 0
    duplicate_ids: list[str] = field(default_factory=list)
    missing: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    capped: str = ""      # why fewer workers were started than asked for, if they were
    dropped: int = 0
    workers: int = 1
    wall: float = 0.0
    interrupted: bool = False

    @property
    def done(self) -> int:
        """Scenarios finished by this run (the counters below may also cover resumed rows)."""
        return self.processed

    @property
    def rate(self) -> float:
        return self.evaluated / self.wall if self.wall > 0 else 0.0

    def add(self, row: dict[str, Any]) -> None:
        status = row["status"]
        self.status[status] += 1
        where = row["file"] if row.get("line") is None else f"{row['file']}:{row['line']}"
        if status == "ok":
            self.decisions[row.get("decision") or "(none)"] += 1
            self.routes[row.get("route") or "(none)"] += 1
        elif len(self.errors) < MAX_LISTED:
            self.errors.append(f"{where}: {status}: {row.get('error')}" if status == "crashed" else str(row.get("error")))
        if row.get("expect") == "unmet":
            self.unmet += 1
            self.mismatches.extend(f"{where}: {m}" for m in row.get("mismatches") or [])
            del self.mismatches[MAX_LISTED:]


Progress = Callable[[BatchSummary], None]


def ordered(results: Iterable[tuple[int, Task, Outcome]]) -> Iterator[tuple[Task, Outcome]]:
    """Results back in task order (a pool yields them as workers finish)."""
    waiting: dict[int, tuple[Task, Outcome]] = {}
    following = 0
    for pos, task, outcome in results:
        waiting[pos] = (task, outcome)
        while following in waiting:
            yield waiting.pop(following)
            following += 1


def make_row(task: Task, outcome: Outcome, ruleset: CompiledRuleset) -> dict[str, Any]:
    """The output row of one evaluated task."""
    values = dict(outcome.values)
    if outcome.status == "crashed" and not values.get("id"):
        values["id"] = _id_from(task)
    row = {c: None for c in COLUMNS}
    row.update(values, file=task.file, line=task.line, status=outcome.status, ruleset_id=ruleset.id,
               ruleset_version=version_label(ruleset), ruleset_sha256=ruleset.sha256,
               scenario_sha256=task.sha256 or None)
    for name in ("leads", "cluster_leads"):
        row[name] = row[name] or {}
    for name in ("flags", "mismatches"):
        row[name] = row[name] or []
    return row


def version_label(ruleset: CompiledRuleset) -> str:
    """The rule set version as rows record it, with ``--set`` overrides: ``1.0.0 (a=1; b=2)``."""
    overrides = "; ".join(f"{k}={v}" for k, v in ruleset.overrides)
    return ruleset.version + (f" ({overrides})" if overrides else "")


def _id_from(task: Task) -> Optional[str]:
    """The id of a scenario whose worker died (parsing is pure Python, safe here)."""
    try:
        data = parse_document(task.raw, task.file, fmt=task.fmt, error=ScenarioError).data
    except ScaleupError:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return value[:80] if isinstance(value, str) else None


Key = tuple[str, Optional[int], str]


def _load_existing(output: Path, fmt: str, ruleset: CompiledRuleset) -> set[Key]:
    """Read a previous run's output, check its rule set, cut a torn last row from the file, and
    return the keys of the scenarios it holds a final result for."""
    if not output.exists():
        return set()
    text, rows, valid = _read_output(output, fmt)
    version = version_label(ruleset)
    for number, row in enumerate(rows, 2 if fmt == "csv" else 1):
        v = row.values
        if (v.get("ruleset_id"), v.get("ruleset_version"), v.get("ruleset_sha256")) != (ruleset.id, version, ruleset.sha256):
            raise ScaleupError.at(str(output), None, "", f"row {number} was evaluated with rule set {v.get('ruleset_id')} "
                                  f"{v.get('ruleset_version')} (sha256 {str(v.get('ruleset_sha256'))[:12]}), this run uses "
                                  f"{ruleset.id} {version} (sha256 {ruleset.sha256[:12]})",
                                  "results of two rule sets cannot be mixed: run without --resume to start afresh")
    if valid < len(text):
        with open(output, "r+b") as handle:   # cut the torn last row before appending
            handle.truncate(len(text[:valid].encode("utf-8")))
    return {r.key for r in rows if r.values.get("status") in KEEP_ON_RESUME and r.key[2]}


def _read_output(output: Path, fmt: str) -> tuple[str, list[StoredRow], int]:
    try:
        with open(output, encoding="utf-8", newline="") as handle:
            text = handle.read()
    except UnicodeDecodeError as exc:
        raise ScaleupError.at(str(output), None, "", f"not UTF-8 text ({exc.reason})",
                              "the file is damaged or was written by something else; remove it to start afresh") from None
    rows, valid = read_rows(text, fmt, str(output))
    return text, rows, valid


def _rewrite_in_order(output: Path, fmt: str, order: dict[Key, int]) -> tuple[list[StoredRow], int]:
    """Rewrite a resumed output in input order (last row per scenario wins); return rows, dropped."""
    _, rows, _ = _read_output(output, fmt)
    latest: dict[Key, StoredRow] = {}
    for row in rows:
        latest[row.key] = row
    kept = sorted((r for k, r in latest.items() if k in order), key=lambda r: order[r.key])
    head = csv_line(COLUMNS) if fmt == "csv" else ""
    write_atomic(output, head + "".join(r.text for r in kept))
    return kept, len(latest) - len(kept)


def run_batch(paths: Sequence[str], ruleset: CompiledRuleset, *, fmt: str, output: Optional[Path] = None,
              stream: Optional[IO[str]] = None, workers: int = 1, resume: bool = False, timeout: float = 0,
              start_method: Optional[str] = None, should_stop: StopCheck = lambda: False,
              progress: Optional[Progress] = None) -> BatchSummary:
    """Evaluate every scenario under ``paths`` and write one row each to ``output`` or ``stream``.

    Args:
        paths: files, folders and glob patterns; ``*.jsonl`` files hold one scenario per line.
        ruleset: the compiled rule set.
        fmt: ``jsonl``, ``csv`` or ``table`` (``table`` only to a stream).
        output: the output file (streamed row by row; required for ``resume``).
        stream: where rows go when there is no ``output`` (stdout).
        workers: worker processes; 1 evaluates in this process.
        resume: keep the rows already in ``output`` and evaluate only the others.
        timeout: seconds one evaluation may take in a worker process (0: no limit).
        start_method: multiprocessing start method (default: fork where available).
        should_stop: polled often; when it turns true the run stops cleanly (``interrupted``).
        progress: called after each row with the running summary.

    Raises:
        ScaleupError: when ``resume`` meets an output written by another rule set or damaged.
    """
    started = time.monotonic()
    summary = BatchSummary(workers=max(1, workers))
    found = expand_inputs(paths, output=output, should_stop=should_stop)
    files, summary.missing, summary.notes = found.files, found.problems, found.notes
    if found.stopped:   # stopped while looking for inputs: nothing was written
        summary.interrupted, summary.wall = True, time.monotonic() - started
        return summary
    summary.total = count_tasks(files)
    if resume and output is not None:
        _check_resumable(output)
    done = _load_existing(output, fmt, ruleset) if (resume and output) else set()
    order: dict[Key, int] = {}
    seen_ids: dict[str, str] = {}

    def pending() -> Iterator[Task]:
        for number, task in enumerate(iter_tasks(files)):
            order[task.key] = number
            if task.key in done:
                summary.resumed += 1
                if progress is not None:
                    progress(summary)
                continue
            yield task

    handle: Optional[IO[str]] = None
    if output is not None:
        fresh = not (resume and output.exists() and output.stat().st_size > 0)
        handle = open_output(output, append=not fresh)
    else:
        fresh = True
    target = handle if handle is not None else stream
    if target is None:
        raise ValueError("run_batch needs an output file or a stream")
    pending_count = max(summary.total - len(done), 0)
    summary.workers = cap_workers(workers, pending_count)
    if summary.workers < workers:
        summary.capped = (f"{workers} workers asked for, {summary.workers} started "
                          f"({_cap_reason(workers, pending_count)})")
    try:
        writer = RowWriter(target, fmt, header=fresh)
        pool = make_pool(ruleset, summary.workers, timeout, start_method, tasks=pending_count)
        for task, outcome in ordered(pool.results(pending(), should_stop)):
            summary.processed += 1
            if outcome.status == "skipped":
                summary.skipped[str(outcome.values.get("kind"))] += 1
            else:
                row = make_row(task, outcome, ruleset)
                writer.write(row)
                summary.evaluated += 1
                summary.add(row)
                _note_id(row, seen_ids, summary)
            if progress is not None:
                progress(summary)
    except OSError as exc:
        if handle is None:
            raise   # the stream (stdout): the command line says so
        raise output_error(output, exc) from None
    finally:
        if handle is not None:
            try:
                handle.close()
            except OSError:   # the write error above is the one to report
                pass
    summary.interrupted = should_stop() and summary.done + summary.resumed < summary.total
    if resume and output is not None and not summary.interrupted:
        kept, summary.dropped = _rewrite_in_order(output, fmt, order)
        _recount(summary, kept)
    summary.wall = time.monotonic() - started
    return summary


def _check_resumable(output: Path) -> None:
    """``--resume`` reads the output back: only a regular file can be read back."""
    try:
        mode = output.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise output_error(output, exc, "read") from None
    if not stat.S_ISREG(mode):
        raise ScaleupError.at(display_name(output), None, "", f"--resume reads the output back, and it is {kind_of_mode(mode)}",
                              "resume into a regular file, or run without --resume")


def _cap_reason(requested: int, tasks: int) -> str:
    if cap_workers(requested, tasks) == max(1, tasks):
        return f"one per scenario to evaluate: {tasks}"
    return f"at most {MAX_WORKERS_PER_CPU} per core ({usable_cpus()} here) and {MAX_WORKERS} in all"


def _note_id(row: dict[str, Any], seen: dict[str, str], summary: BatchSummary) -> None:
    scenario_id = row.get("id")
    if row["status"] != "ok" or not scenario_id:
        return
    where = row["file"] if row.get("line") is None else f"{row['file']}:{row['line']}"
    first = seen.setdefault(scenario_id, where)
    if first != where and len(summary.duplicate_ids) < MAX_LISTED:
        summary.duplicate_ids.append(f"{where}: id {scenario_id!r} is also used by {first}")


def _recount(summary: BatchSummary, rows: list[StoredRow]) -> None:
    """After a resume, count every row of the final file, not only this run's."""
    fresh = BatchSummary()
    for row in rows:
        fresh.add(row.values)
    summary.status, summary.decisions, summary.routes = fresh.status, fresh.decisions, fresh.routes
    summary.errors, summary.mismatches, summary.unmet = fresh.errors, fresh.mismatches, fresh.unmet
