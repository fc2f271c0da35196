"""A process pool that survives its workers: a worker that dies costs only the task it held.

``concurrent.futures.ProcessPoolExecutor`` marks the whole pool broken when one worker dies, and
durable_rules can kill a process (docs/engine.md). Here each worker has its own pipe and the parent
knows which tasks it sent to which worker: chunks of tasks (up to 32, fewer in a short run), two
chunks ahead, evaluated in order, their results sent back one message per chunk (a message per
result cost the parent 40% more CPU, taken from the workers' cores). Each worker also counts, in
memory shared with the parent, the tasks it started and finished and when it started the current
one. When a worker dies (segfault, ``os._exit``, SIGKILL, or killed by the parent after
``timeout`` seconds on one task) the task it was evaluating is reported ``crashed``, every other
task it held (finished but not yet reported, or not started) goes back to the front of the queue,
and a new worker takes its place. Workers build their engine once, when they start, and exit
when their pipe closes or their parent dies.

:class:`InlinePool` runs tasks in the calling process (``-j 1``): no isolation, no start-up cost.

Longer than 300 lines because the worker processes, their pipes, deadlines and crash accounting are
one state machine.
"""

from __future__ import annotations

import multiprocessing
import os
import selectors
import signal
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Callable, Iterable, Iterator, Optional

from . import worker as batch_worker
from .input import Task
from .worker import FINISHED, SINCE, STARTED, Outcome, evaluate_task, worker_main
from ..errors import EngineError
from ..rules.ir import CompiledRuleset
from ..scenario.yamlio import Document

Result = tuple[int, Task, Outcome]
StopCheck = Callable[[], bool]
MAX_START_FAILURES = 3
STOP_GRACE = 3.0   # seconds to let workers finish the tasks they hold after a stop request


def default_start_method() -> str:
    """``fork`` where it exists (no re-import, the compiled rule set is inherited), else ``spawn``."""
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


class InlinePool:
    """Evaluates tasks one after the other in this process."""

    def __init__(self, ruleset: CompiledRuleset):
        self.ruleset = ruleset
        self._cache: dict[bytes, Document] = {}

    def results(self, tasks: Iterable[Task], should_stop: StopCheck = lambda: False) -> Iterator[Result]:
        for pos, task in enumerate(tasks):
            if should_stop():
                return
            yield pos, task, evaluate_task(task, self.ruleset, self._cache)


@dataclass
class _Slot:
    proc: Any
    conn: Connection
    progress: Any               # shared with the worker: see batch_worker.STARTED/FINISHED/SINCE
    held: deque[tuple[int, Task]] = field(default_factory=deque)
    reported: int = 0           # results received from this worker
    ready: bool = False
    timed_out: bool = False

    def running(self) -> Optional[int]:
        """Index in ``held`` of the task the worker is evaluating now, if any."""
        started, finished = int(self.progress[STARTED]), int(self.progress[FINISHED])
        return started - 1 - self.reported if started > finished else None


def _crash_hook() -> Optional[tuple[str, str]]:
    """The test hook of :mod:`scaleup.batch.worker`, if a test set it (None in production)."""
    crash_id = batch_worker.CRASH_ON_ID
    return None if crash_id is None else (crash_id, batch_worker.CRASH_HOW)


def crash_message(exitcode: Optional[int], timed_out: bool, timeout: float) -> str:
    if timed_out:
        return f"the evaluation took longer than {timeout:g} s; its worker process was stopped"
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"the worker process died ({name}) while evaluating this scenario"
    return f"the worker process exited (code {exitcode}) while evaluating this scenario"


class ProcessPool:
    """Worker processes fed over one pipe each (see the module docstring).

    Args:
        ruleset: the compiled rule set every worker evaluates with.
        workers: number of processes.
        timeout: seconds one evaluation may take before its worker is killed (0: no limit).
        start_method: ``fork``, ``spawn`` or ``forkserver``; default :func:`default_start_method`.
        chunk: tasks sent to a worker in one message; a worker holds at most two chunks, and
            reports the results of a chunk in one message.
        window: no new task is sent while the oldest unfinished one is this many tasks behind, so
            a caller that puts results back in order buffers a bounded number of them.
    """

    def __init__(self, ruleset: CompiledRuleset, workers: int, timeout: float = 0,
                 start_method: Optional[str] = None, chunk: int = 8, window: int = 10_000):
        self.ruleset, self.workers, self.timeout, self.chunk = ruleset, max(1, workers), timeout, max(1, chunk)
        self.window = window
        self._ctx = multiprocessing.get_context(start_method or default_start_method())
        self._slots: list[_Slot] = []
        self._start_failures = 0
        self._selector = selectors.DefaultSelector()   # kept: building one per wait costs CPU
        self._last_before_death: set[int] = set()   # tasks a worker died right after, unreported

    def _start(self) -> _Slot:
        parent_end, child_end = self._ctx.Pipe(duplex=True)
        # A forked child inherits the parent's end of its own pipe and of every earlier worker's;
        # it must close them, or it would never see end-of-file when the parent closes or dies.
        inherited = [parent_end] + [s.conn for s in self._slots] if self._ctx.get_start_method() == "fork" else []
        progress = self._ctx.RawArray("d", 3)
        proc = self._ctx.Process(target=worker_main, name="scaleup-worker", daemon=True,  # type: ignore[attr-defined]  # every concrete context has Process; typeshed leaves it off BaseContext
                                 args=(child_end, self.ruleset, _crash_hook(), inherited, progress))
        proc.start()
        child_end.close()
        slot = _Slot(proc, parent_end, progress)
        self._selector.register(parent_end.fileno(), selectors.EVENT_READ, slot)
        self._selector.register(proc.sentinel, selectors.EVENT_READ, slot)
        return slot

    def _forget(self, slot: _Slot) -> None:
        for fd in (slot.conn.fileno(), slot.proc.sentinel):
            try:
                self._selector.unregister(fd)
            except (KeyError, ValueError):
                pass

    def close(self) -> None:
        """Stop every worker: close its pipe (it exits), then kill what is left."""
        for slot in self._slots:
            self._forget(slot)
            slot.conn.close()
        deadline = time.monotonic() + 2.0
        for slot in self._slots:
            slot.proc.join(max(0.0, deadline - time.monotonic()))
            if slot.proc.is_alive():
                slot.proc.kill()
                slot.proc.join()
        self._slots = []

    def results(self, tasks: Iterable[Task], should_stop: StopCheck = lambda: False) -> Iterator[Result]:
        """Evaluate ``tasks``; yield ``(position, task, outcome)`` as they finish (any order).

        After ``should_stop()`` turns true no task is sent; tasks already sent are collected for
        up to :data:`STOP_GRACE` seconds, the rest are dropped (never reported).

        Raises:
            EngineError: when workers cannot start (the engine cannot be built).
        """
        source = enumerate(tasks)
        requeue: deque[tuple[int, Task]] = deque()
        exhausted = stopping = False
        grace_end = 0.0
        self._slots, self._last_before_death = [], set()
        for _ in range(self.workers):   # one by one: each new child closes the earlier pipe ends
            self._slots.append(self._start())
        taken = 0

        def next_task() -> Optional[tuple[int, Task]]:
            nonlocal exhausted, taken
            if stopping:
                return None
            if requeue:
                return requeue.popleft()
            if exhausted:
                return None
            held = [pos for slot in self._slots for pos, _ in slot.held]
            if held and taken - min(held) >= self.window:
                return None
            item = next(source, None)
            exhausted, taken = item is None, taken + 1
            return item

        try:
            while True:
                now = time.monotonic()
                if not stopping and should_stop():
                    stopping, grace_end = True, now + STOP_GRACE
                    requeue.clear()
                for slot in self._slots:
                    # two chunks ahead: the next one waits in the pipe while the worker evaluates
                    while slot.ready and len(slot.held) <= self.chunk:
                        chunk: list[tuple[int, Task]] = []
                        while len(chunk) < self.chunk and (item := next_task()) is not None:
                            chunk.append(item)
                        if not chunk:
                            break
                        try:
                            slot.conn.send([task for _, task in chunk])
                        except OSError:   # it just died; its death is handled below
                            requeue.extendleft(reversed(chunk))
                            slot.ready = False
                            break
                        slot.held.extend(chunk)
                busy = any(slot.held for slot in self._slots)
                if not busy and (stopping or (exhausted and not requeue)):
                    return
                if stopping and now > grace_end:
                    return
                ready = {key.fd for key, _ in self._selector.select(0.2)}
                for slot in list(self._slots):
                    if slot.conn.fileno() in ready:   # one message; the selector reports the rest
                        yield from self._receive(slot, drain=False)
                    if slot.proc.sentinel in ready:   # it exited: read what it sent before
                        yield from self._receive(slot, drain=True)
                        if not slot.proc.is_alive():
                            yield from self._bury(slot, requeue, more=not stopping and (not exhausted or bool(requeue)))
                self._check_timeouts()
        finally:
            self.close()

    def _receive(self, slot: _Slot, drain: bool) -> Iterator[Result]:
        """Handle one message (``drain``: every message left; ``poll`` costs a selector each)."""
        while True:
            try:
                if drain and not slot.conn.poll():
                    return
                kind, payload = slot.conn.recv()
            except (EOFError, OSError):
                return
            if kind == "ready":
                slot.ready, self._start_failures = True, 0
            elif kind == "init_error":
                raise EngineError.at(self.ruleset.path, None, "", f"a worker process could not build the engine: {payload}",
                                     "run `scaleup evaluate` on one scenario to see the error")
            else:
                slot.reported += len(payload)
                for outcome in payload:
                    pos, task = slot.held.popleft()
                    yield pos, task, outcome
            if not drain:
                return

    def _bury(self, slot: _Slot, requeue: deque[tuple[int, Task]], more: bool) -> Iterator[Result]:
        slot.proc.join()
        self._forget(slot)
        held = list(slot.held)
        blamed = slot.running()
        if blamed is None and held:
            # It died between two tasks: what it finished but never reported is evaluated again,
            # unless it died right after the same task before (then that task is to blame).
            finished = held[:int(slot.progress[FINISHED]) - slot.reported]
            if finished and finished[-1][0] in self._last_before_death:
                blamed = len(finished) - 1
            elif finished:
                self._last_before_death.add(finished[-1][0])
        if blamed is not None and blamed < len(held):
            pos, task = held.pop(blamed)
            yield pos, task, Outcome("crashed", {"error": crash_message(slot.proc.exitcode, slot.timed_out, self.timeout)})
        requeue.extendleft(reversed(held))
        if not slot.held and not slot.ready:
            self._start_failures += 1
            if self._start_failures >= MAX_START_FAILURES:
                raise EngineError.at(self.ruleset.path, None, "", f"worker processes die while starting "
                                     f"(exit code {slot.proc.exitcode})", "try -j 1 to see the error")
        slot.conn.close()
        index = self._slots.index(slot)
        if more or requeue:
            self._slots[index] = self._start()
        else:
            self._slots.pop(index)

    def _check_timeouts(self) -> None:
        if not self.timeout:
            return
        now = time.monotonic()
        for slot in self._slots:
            if not slot.timed_out and slot.running() is not None and now - slot.progress[SINCE] > self.timeout:
                slot.timed_out = True
                slot.proc.kill()


MAX_CHUNK = 32
MAX_WORKERS = 64          # worker processes at most, whatever -j says (docs/batch.md)
MAX_WORKERS_PER_CPU = 4   # ... and at most this many per usable core


def usable_cpus() -> int:
    """Cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:   # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def cap_workers(requested: int, tasks: int) -> int:
    """The worker processes worth starting: no more than tasks, nor than :data:`MAX_WORKERS` and
    :data:`MAX_WORKERS_PER_CPU` per core allow (each builds an engine: ~50 MB and a second)."""
    return max(1, min(requested, tasks, MAX_WORKERS, MAX_WORKERS_PER_CPU * usable_cpus()))


def plan_workers(requested: int, tasks: int) -> tuple[int, str]:
    """The workers to start for ``tasks`` and, when that is fewer than ``requested``, why (the
    note ``batch`` and ``sweep`` print: ``8 workers asked for, 2 started (one per scenario to
    evaluate: 2)``; empty otherwise)."""
    workers = cap_workers(requested, tasks)
    if workers >= requested:
        return workers, ""
    if workers == max(1, tasks):
        why = f"one per scenario to evaluate: {tasks}"
    else:
        why = f"at most {MAX_WORKERS_PER_CPU} per core ({usable_cpus()} here) and {MAX_WORKERS} in all"
    return workers, f"{requested} workers asked for, {workers} started ({why})"


def make_pool(ruleset: CompiledRuleset, workers: int, timeout: float = 0, start_method: Optional[str] = None,
              tasks: int = 0) -> InlinePool | ProcessPool:
    """``-j 1``: in this process; more: a :class:`ProcessPool`.

    ``tasks`` (how many are expected) sizes the chunks: large ones mean fewer messages and
    wake-ups of the parent, which compete with the workers for the cores (up to 8% of the rate
    on two cores); small ones keep a short batch spread over every worker (about eight chunks
    each).
    """
    workers = cap_workers(workers, tasks)
    if workers <= 1:
        return InlinePool(ruleset)
    chunk = max(1, min(MAX_CHUNK, tasks // (workers * 8)))
    return ProcessPool(ruleset, workers, timeout, start_method, chunk=chunk)
