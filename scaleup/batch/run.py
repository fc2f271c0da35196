"""Batch runs: evaluate many scenarios on worker processes, stream one row per scenario in input
order, survive bad files, dead workers and interruptions, and resume where a run stopped.

The flow: :func:`~scaleup.batch.input.iter_tasks` reads the inputs lazily; a pool
(:mod:`scaleup.batch.pool`) evaluates them; :func:`ordered` puts results back in input order
whatever the worker count; each row is written and flushed as soon as all rows before it are.
With ``-o FILE`` the rows go to a partial file that replaces FILE only when the run completes,
so a failed or interrupted run leaves FILE as it was and its rows wait for ``resume``
(:mod:`scaleup.batch.files`). ``resume`` reuses the rows of FILE and of the partial file (``ok``
and ``error`` rows of the same rule set, matched by input file, JSON Lines line and scenario
SHA-256), evaluates the rest, and writes the new output in input order, so it ends
byte-identical to an uninterrupted run. ``crashed`` rows are evaluated again. The parent keeps
no state per scenario, except the index of reusable rows a ``resume`` needs and an 8-byte
fingerprint per id (:mod:`scaleup.batch.ids`).

The library never prints: progress goes to a callback and the run returns a
:class:`BatchSummary` for the command line to show.

Longer than 300 lines because a batch run is one loop (inputs, pool, ordered output, resume,
interruption) whose parts share the output file's state.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator, Optional, Protocol, Sequence

from .input import Task, count_tasks, expand_inputs, iter_tasks
from .files import BatchOutput, Ref, partial_path
from .ids import SeenIds
from .output import COLUMNS
from .pool import StopCheck, make_pool, plan_workers
from .worker import Outcome, result_values, task_identity
from ..errors import Problem, ScaleupError
from ..paths import display_name
from ..rules.ir import CompiledRuleset
from ..writeout import output_error

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
    partial: str = ""     # where the rows of an interrupted run wait for --resume (-o FILE untouched)
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


class Pool(Protocol):
    """What evaluates tasks: the local pools of :mod:`scaleup.batch.pool`, or a cluster's."""

    def results(self, tasks: Iterable[Task], should_stop: StopCheck = ...) -> Iterator[tuple[int, Task, Outcome]]: ...


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
        values.update(task_identity(task))
    row = dict.fromkeys(COLUMNS)
    row.update(values, file=task.file, line=task.line, status=outcome.status, ruleset_id=ruleset.id,
               ruleset_version=version_label(ruleset), ruleset_sha256=ruleset.sha256,
               scenario_sha256=task.sha256 or None)
    for name in ("leads", "cluster_leads"):
        row[name] = row[name] or {}
    for name in ("flags", "mismatches"):
        row[name] = row[name] or []
    return row


def recommendation_row(rec: Any, ruleset: Any, file: Optional[str] = None, line: Optional[int] = None) -> dict[str, Any]:
    """The batch row of a recommendation evaluated outside a batch (``scaleup.evaluate``), as the
    JSON Lines output would hold it; ``result_row(recommendation_row(...), flat_columns(ruleset))``
    gives its flat form."""
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(result_values(rec), file=file if file is not None else rec.scenario.file, line=line, status="ok",
               mismatches=[], ruleset_id=ruleset.id, ruleset_version=version_label(ruleset),
               ruleset_sha256=ruleset.sha256, scenario_sha256=rec.stamp.scenario_sha256)
    return row


def version_label(ruleset: CompiledRuleset) -> str:
    """The rule set version as rows record it, with ``--set`` overrides: ``1.0.0 (a=1; b=2)``."""
    overrides = "; ".join(f"{k}={v}" for k, v in ruleset.overrides)
    return ruleset.version + (f" ({overrides})" if overrides else "")




def run_batch(paths: Sequence[str], ruleset: CompiledRuleset, *, fmt: str, output: Optional[Path] = None,
              stream: Optional[IO[str]] = None, workers: int = 1, resume: bool = False, timeout: float = 0,
              start_method: Optional[str] = None, should_stop: StopCheck = lambda: False,
              progress: Optional[Progress] = None, pool: Optional[Pool] = None) -> BatchSummary:
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
        pool: evaluate with this pool (a :class:`~scaleup.batch.cluster.DaskPool`) instead of local
            worker processes; ``workers`` is then reported as given, not capped.

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
    rows = BatchOutput(output, stream, fmt, resume and output is not None,
                       (ruleset.id, version_label(ruleset), ruleset.sha256))
    ids = SeenIds(summary.total)
    # Per input not yet written, in order: the reused row to copy, or None for one being evaluated
    # (only a resumed run needs this; the pool keeps at most its window of tasks in flight).
    queue: deque[Optional[Ref]] = deque()
    resuming = rows.log is not None

    def pending() -> Iterator[Task]:
        for task in iter_tasks(files, summary.notes):
            ref = rows.take(task.key)
            if ref is not None:
                queue.append(ref)
                summary.resumed += 1
                if progress is not None:
                    progress(summary)
                continue
            if resuming:
                queue.append(None)
            yield task

    def copy_reused() -> None:
        while queue and queue[0] is not None:
            kept = rows.copy(queue.popleft())   # type: ignore[arg-type]  # the queue's head was checked not to be None in the loop condition
            summary.add(kept)
            _note_id(kept, ids, summary)

    pending_count = max(summary.total - len(rows.reuse), 0)
    if pool is None:
        summary.workers, summary.capped = plan_workers(workers, pending_count)
    else:
        summary.workers = max(1, workers)
    try:
        pool = pool or make_pool(ruleset, summary.workers, timeout, start_method, tasks=pending_count)
        for task, outcome in ordered(pool.results(pending(), should_stop)):
            copy_reused()
            if queue:
                queue.popleft()
            summary.processed += 1
            if outcome.status == "skipped":
                summary.skipped[str(outcome.values.get("kind"))] += 1
            else:
                row = make_row(task, outcome, ruleset)
                rows.write(row)
                summary.evaluated += 1
                summary.add(row)
                _note_id(row, ids, summary)
            if progress is not None:
                progress(summary)
        summary.interrupted = should_stop() and summary.done + summary.resumed < summary.total
        if not summary.interrupted:
            copy_reused()
            summary.dropped = len(rows.reuse)
            rows.finish()
    except OSError as exc:
        rows.abandon()
        if output is None:
            raise   # the stream (stdout): the command line says so
        raise _write_failed(output, exc, rows) from None
    except BaseException:
        rows.abandon()
        raise
    if summary.interrupted:
        rows.abandon()
        if rows.path is not None and output is not None:
            summary.partial = display_name(partial_path(output))
    summary.wall = time.monotonic() - started
    return summary


def _write_failed(output: Path, exc: OSError, rows: BatchOutput) -> ScaleupError:
    """A failed write: the output is as it was; say where the rows finished so far are."""
    error = output_error(output, exc)
    if rows.path is not None:
        kept = display_name(partial_path(output))
        problem = error.problems[0]
        error = ScaleupError.at(problem.file, None, "", f"{problem.message}; the file was left as it was",
                                f"{problem.hint}; the rows finished so far are in {kept}: run again with --resume to continue")
    return error


def _note_id(row: dict[str, Any], seen: SeenIds, summary: BatchSummary) -> None:
    scenario_id = row.get("id")
    if row["status"] != "ok" or not scenario_id:
        return
    if seen.add(str(scenario_id)) and len(summary.duplicate_ids) < MAX_LISTED:
        where = row["file"] if row.get("line") is None else f"{row['file']}:{row['line']}"
        summary.duplicate_ids.append(f"{where}: id {scenario_id!r} is also used by an earlier scenario of this batch")
