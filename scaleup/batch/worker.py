"""Evaluating one batch task, in a worker process or in the calling process.

:func:`evaluate_task` never raises for bad input: an invalid scenario becomes an ``error``
outcome with its located problems, a file of another kind a ``skipped`` one. :func:`worker_main`
is the loop of a worker process: it builds the engine once, then evaluates the tasks its parent
sends over a pipe, one at a time, in order, and exits when the pipe closes or its parent dies.
"""

from __future__ import annotations

import copy
import faulthandler
import gc
import os
import signal
import time
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Optional, Sequence

from .input import Task, document_lines, with_line
from .output import LEVELS
from ..errors import EngineError, Problem, ScaleupError, ScenarioError
from ..recommendation.evaluate import evaluate
from ..recommendation.expect import check_expectations
from ..scenario.inputs import kind_of
from ..recommendation.model import Recommendation
from ..rules.ir import CompiledRuleset
from ..scenario.load import LoadedScenario, validate_document
from ..scenario.sheets import SheetRow, load_row, row_document
from .sweep_point import follow_dependents
from ..scenario.validation import split_path
from ..scenario.yamlio import Document, parse_document
from ..scenario.mapping import MAPPING_FMT, mapping_document

# Test hook: a worker process that meets a scenario with the id CRASH_ON_ID dies the way a
# durable_rules crash would (CRASH_HOW: "segv", "exit" for os._exit, "kill" for SIGKILL, or "hang"),
# or, with "after", is killed right after evaluating it, before reporting it.
# Only tests set these module variables; the pool hands them to each worker process it starts and
# never applies them in the calling process. Nothing in a scenario file can reach them.
CRASH_ON_ID: Optional[str] = None
CRASH_HOW: str = "segv"

# A worker's progress, in memory its parent reads (a ctypes array of 3 doubles): tasks started,
# tasks finished, and when (time.monotonic, system-wide) it started the current one.
STARTED, FINISHED, SINCE = 0, 1, 2
FLUSH_AFTER = 0.25   # seconds: a chunk's results are sent early if it is slow, for the progress bar


def _crash(how: str) -> None:
    faulthandler.disable()   # a deliberate crash needs no Python traceback on stderr
    if how == "exit":
        os._exit(3)
    if how == "hang":
        time.sleep(3600)
    os.kill(os.getpid(), signal.SIGKILL if how == "kill" else signal.SIGSEGV)


@dataclass(frozen=True)
class Outcome:
    """What evaluating one task gave.

    Attributes:
        status: ``ok``, ``error``, ``crashed`` (the worker died holding it) or ``skipped``
            (not a scenario file; ``values["kind"]`` says what it is).
        values: result columns (see :data:`scaleup.batch.output.COLUMNS`).
    """

    status: str
    values: dict[str, Any] = field(default_factory=dict)


def result_values(rec: Recommendation) -> dict[str, Any]:
    """The batch columns of one recommendation."""
    levels = {c.name: c.level for c in rec.criteria}
    values: dict[str, Any] = {
        "id": rec.scenario.id, "title": rec.scenario.title, "country": rec.scenario.country,
        "decision": rec.scale_up, "route": rec.route, "variant": rec.variant,
        "leads": {x.role: x.actor for x in rec.leadership},
        "cluster_leads": {x.cluster: x.lead for x in rec.clusters},
        "flags": [f.name for f in rec.flags], "unhcr_level": rec.unhcr_emergency_level,
    }
    values.update({name: levels.get(name) for name in LEVELS})
    return values


def _document(task: Task, cache: dict[bytes, Document]) -> Document:
    if task.fmt == "sheet" and not task.patch:
        return row_document(SheetRow.from_bytes(task.raw, task.file))[0]
    if task.patch:
        base = cache.get(task.raw)
        if base is None:   # a sweep sends the same base with every point: parse it once
            cache.clear()
            base = cache[task.raw] = (row_document(SheetRow.from_bytes(task.raw, task.file))[0] if task.fmt == "sheet"
                                      else parse_document(task.raw, task.file, fmt=task.fmt, error=ScenarioError))
        data = copy.deepcopy(dict(base.data))
        data.pop("expect", None)   # a sweep point is not the test case its base file may be
        for path, value in task.patch:
            _set(data, path, value)
        return Document(task.file, data, base.lines, task.sha256)
    if task.fmt == MAPPING_FMT:
        return mapping_document(task.raw, task.file)
    try:
        document = parse_document(task.raw, task.file, fmt=task.fmt, error=ScenarioError)
    except ScaleupError as exc:
        raise type(exc)(with_line(exc.problems, task.file, task.line)) from None
    if task.line is not None:
        document = replace(document, lines=MappingProxyType(document_lines(document.lines, task.line)))
    return document


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set a dotted field, creating missing sections (validation then judges the result)."""
    parts = [str(p) for p in split_path(dotted)]
    node = data
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def identity(data: Any) -> dict[str, Optional[str]]:
    """The id, title and country a scenario's data names, as far as they are text (for the row
    of a scenario that failed)."""
    def text(value: Any, size: int) -> Optional[str]:
        return value[:size] if isinstance(value, str) else None
    data = data if isinstance(data, dict) else {}
    country = data.get("country")
    return {"id": text(data.get("id"), 80), "title": text(data.get("title"), 200),
            "country": text(country.get("name") if isinstance(country, dict) else None, 200)}


def task_identity(task: Task) -> dict[str, Optional[str]]:
    """:func:`identity` of a task whose worker died (parsing is pure Python, safe in the parent)."""
    try:
        return identity(_document(task, {}).data) if not task.failure else identity(None)
    except ScaleupError:
        return identity(None)


def _error(exc: ScaleupError, document: Optional[Document], keep: bool = False) -> Outcome:
    label = "internal error: " if isinstance(exc, EngineError) else ""
    values: dict[str, Any] = {**identity(document.data if document is not None else None),
              "error": "; ".join(f"{label}{p}" for p in exc.problems)}
    if keep:
        values["raised"] = (type(exc), tuple(exc.problems))
    return Outcome("error", values)


def load_task(task: Task, cache: Optional[dict[bytes, Document]] = None) -> tuple[Document, LoadedScenario | str]:
    """The document of a task and its validated scenario, or the kind of file it is when that is
    not a scenario.

    Raises:
        ScaleupError: the task's located problems.
    """
    if task.failure:
        raise ScenarioError(task.failure)
    document = _document(task, {} if cache is None else cache)
    return document, _validated(task, document)


def _validated(task: Task, document: Document) -> LoadedScenario | str:
    if task.fmt == "sheet" and not task.patch:   # the row's problems are located at its cells
        return load_row(SheetRow.from_bytes(task.raw, task.file))
    kind = kind_of(document)
    return validate_document(document) if kind == "scenario" else kind


def evaluate_task(task: Task, ruleset: CompiledRuleset, cache: Optional[dict[bytes, Document]] = None,
                  crash: Optional[tuple[str, str]] = None) -> Outcome:
    """Validate and evaluate one task; problems become an ``error`` outcome, never an exception.

    With ``task.keep`` the values also hold ``recommendation`` (the Recommendation) or
    ``raised`` (the error's class and its problems)."""
    if task.failure:
        return Outcome("error", {"error": "; ".join(str(p) for p in task.failure)})
    document: Optional[Document] = None
    try:
        document = _document(task, {} if cache is None else cache)
        adjusted = None
        try:
            loaded = _validated(task, document)
        except ScenarioError:
            followed = follow_dependents(document, task.patch) if task.patch else None
            if followed is None:
                raise
            document, adjusted = followed   # a sweep point: its dependent fields follow
            loaded = validate_document(document)
        if isinstance(loaded, str):
            return Outcome("skipped", {"kind": loaded})
        if crash is not None and loaded.scenario.id == crash[0] and crash[1] != "after":
            _crash(crash[1])
        rec = evaluate(loaded, ruleset)
    except ScaleupError as exc:
        return _error(exc, document, task.keep)
    except Exception as exc:  # a defect; the batch reports it and goes on
        problem = Problem(task.where, task.line, "", f"{type(exc).__name__}: {exc}", "please report this scenario")
        return _error(EngineError([problem]), document, task.keep)
    values = result_values(rec)
    if task.keep:
        values["recommendation"] = rec
    expect = loaded.scenario.expect
    mismatches = check_expectations(rec, expect) if expect is not None else []
    values["expect"] = None if expect is None else ("unmet" if mismatches else "met")
    values["mismatches"] = mismatches
    if adjusted:
        values["adjusted"] = adjusted
    return Outcome("ok", values)


def worker_main(conn: Any, ruleset: CompiledRuleset, crash: Optional[tuple[str, str]], inherited: Sequence[Any],
                progress: Any) -> None:
    """The loop of a worker process (see the module docstring).

    Messages in: a list of tasks. Messages out: ``("ready", None)`` once the engine is built,
    ``("init_error", text)`` if it cannot be, then ``("done", [outcome, ...])``: the outcomes of
    the tasks, in order, one message per list received (or sooner, when a list is slow).
    ``inherited`` are pipe ends a forked child got from its parent and must close; ``progress``
    is the shared array described at :data:`STARTED`.
    """
    for other in inherited:
        other.close()
    # Ctrl-C and SIGTERM go to the whole process group; the parent decides how to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        _serve(conn, ruleset, crash, progress)
    except (EOFError, OSError):   # the parent closed the pipe or died: nobody wants results
        pass


def _serve(conn: Any, ruleset: CompiledRuleset, crash: Optional[tuple[str, str]], progress: Any) -> None:
    parent = os.getppid()
    try:
        from ..engine.durable import engine_for   # loads durable_rules in the worker, never in the parent
        engine_for(ruleset)
    except Exception as exc:
        conn.send(("init_error", f"{type(exc).__name__}: {exc}"))
        return
    # Everything alive now (modules, the compiled rule set, the engine) lives as long as the
    # worker: keep it out of the collector's full passes, which otherwise pause an evaluation
    # for 20 ms now and then (p99 22 ms -> 2.5 ms, mean -13% in benchmarks/bench.py).
    gc.freeze()
    conn.send(("ready", None))
    cache: dict[bytes, Document] = {}
    while True:
        if not conn.poll(1.0):
            if os.getppid() != parent:   # the parent was killed: nobody will read results
                return
            continue
        done: list[Outcome] = []
        sent = time.monotonic()
        for task in conn.recv():
            progress[SINCE] = time.monotonic()
            progress[STARTED] += 1
            outcome = evaluate_task(task, ruleset, cache, crash)
            progress[FINISHED] += 1
            if crash is not None and crash[1] == "after" and outcome.values.get("id") == crash[0]:
                _crash("kill")
            done.append(outcome)
            if time.monotonic() - sent > FLUSH_AFTER:
                conn.send(("done", done))
                done, sent = [], time.monotonic()
        if done:
            conn.send(("done", done))
