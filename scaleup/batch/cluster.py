"""Batches and sweeps on a Dask distributed cluster (``--cluster dask [--scheduler ADDRESS]``).

The parent reads tasks lazily as in a local run and cuts them into shards of consecutive tasks.
Each shard goes to a Dask worker, which evaluates it with scaleup's own pool
(:class:`~scaleup.batch.pool.ProcessPool`, one evaluation process per shard by default): a
scenario that crashes or hangs its evaluation process is a ``crashed`` row and costs nothing else,
exactly as on one machine. The outcomes come back per shard, in shard order, and
:class:`DaskPool` yields them as ``(position, task, outcome)`` like the local pools, so
:func:`scaleup.batch.ordered` and the same row writers produce the same bytes as a local run, and
``--resume`` works unchanged (the parent still decides what is left to evaluate).

At most ``ahead`` shards per Dask worker thread are in flight, so the parent holds a bounded
number of tasks and results whatever the size of the batch. Without ``--scheduler`` a
``LocalCluster`` is started on this machine. Dask is optional: ``pip install 'scaleup[dask]'``.

A Dask worker keeps its evaluation processes between shards (:class:`KeptPool`), so each builds
its engine once, as locally. Evaluation processes are started with ``forkserver`` inside Dask workers (forking a threaded
worker process is unsafe), and Dask's worker processes must not be daemonic, since a daemonic
process may not start children: the local cluster is started that way, and a real cluster's
workers need ``DASK_DISTRIBUTED__WORKER__DAEMON=False`` (docs/batch.md).
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Optional

from . import worker as batch_worker
from .input import Task
from .pool import MAX_CHUNK, ProcessPool, Result, StopCheck
from .worker import Outcome
from ..errors import ScaleupError
from ..rules.ir import CompiledRuleset

SHARD = 256        # tasks per shard: large enough that starting its evaluation process is paid back
AHEAD = 2          # shards in flight per Dask worker thread
CONNECT_TIMEOUT = "10s"
DAEMON_HINT = "start the Dask workers with DASK_DISTRIBUTED__WORKER__DAEMON=False (docs/batch.md)"


def _missing() -> ScaleupError:
    return ScaleupError.at("--cluster", None, "", "Dask is not installed", "pip install 'scaleup[dask]'")


class KeptPool(ProcessPool):
    """A :class:`ProcessPool` whose evaluation processes outlive one ``results`` call: a Dask
    worker evaluates many shards, and building an engine per shard would cost more than the
    shard. Processes that are alive and idle when a shard ends wait for the next one; a process
    that died (a crashing scenario) is replaced as usual."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._idle: list[Any] = []

    def _start(self) -> Any:
        while self._idle:
            slot = self._idle.pop()
            if slot.proc.is_alive():
                return slot
            self._forget(slot)
            slot.conn.close()
        return super()._start()

    def close(self) -> None:
        """End of a shard: keep live, idle processes; stop the rest."""
        keep = [s for s in self._slots if s.proc.is_alive() and s.ready and not s.held and not s.timed_out]
        self._slots = [s for s in self._slots if s not in keep]
        super().close()
        self._idle.extend(keep)

    def shutdown(self) -> None:
        self._slots, self._idle = self._slots + self._idle, []
        super().close()


_KEPT: dict[tuple[Any, ...], KeptPool] = {}   # per Dask worker process: (thread, rule set, processes, timeout)


def close_kept() -> None:
    """Stop the evaluation processes this process keeps for shards (they also stop with it)."""
    while _KEPT:
        _KEPT.popitem()[1].shutdown()


def evaluate_shard(tasks: list[Task], ruleset: CompiledRuleset, processes: int = 1,
                   timeout: float = 0) -> tuple[list[Outcome], float]:
    """Run on a Dask worker: evaluate a shard with scaleup's process pool there (kept between
    shards, one per worker thread); the outcomes in shard order, and the seconds it took.

    Raises:
        RuntimeError: the Dask worker is a daemonic process and cannot start evaluation processes.
    """
    if multiprocessing.current_process().daemon:
        raise RuntimeError("this Dask worker is a daemonic process, so it cannot start scaleup's evaluation "
                           "processes; " + DAEMON_HINT)
    started = time.perf_counter()
    key = (threading.get_ident(), ruleset.sha256, ruleset.overrides, processes, timeout,
           batch_worker.CRASH_ON_ID, batch_worker.CRASH_HOW)   # the tests' crash hook is fixed per process
    pool = _KEPT.get(key)
    if pool is None:
        pool = _KEPT[key] = KeptPool(ruleset, max(1, processes), timeout, "forkserver", chunk=MAX_CHUNK)
    outcomes: list[Optional[Outcome]] = [None] * len(tasks)
    for pos, _, outcome in pool.results(tasks):
        outcomes[pos] = outcome
    missing = [i for i, o in enumerate(outcomes) if o is None]
    if missing:   # pragma: no cover - the pool reports every task it was given when not stopped
        raise RuntimeError(f"{len(missing)} tasks of a shard got no result")
    return outcomes, time.perf_counter() - started   # type: ignore[return-value]  # every slot is filled: missing results raised just above


def _keep(value: Any) -> Any:
    return value


@dataclass
class ShardTiming:
    tasks: int
    seconds: float


@dataclass
class DaskPool:
    """A pool whose workers are Dask workers; same ``results`` contract as the local pools.

    Args:
        client: a connected ``dask.distributed.Client``.
        ruleset: the compiled rule set (sent to every worker once).
        processes: evaluation processes per shard, on its Dask worker.
        timeout: seconds one evaluation may take (0: no limit), as locally.
        shard: tasks per shard.
        ahead: shards in flight per Dask worker thread.
    """

    client: Any
    ruleset: CompiledRuleset
    processes: int = 1
    timeout: float = 0
    shard: int = SHARD
    ahead: int = AHEAD
    timings: list[ShardTiming] = field(default_factory=list)

    @property
    def workers(self) -> int:
        """Dask worker threads: shards evaluated at once."""
        return max(1, sum(self.client.nthreads().values()))

    def results(self, tasks: Iterable[Task], should_stop: StopCheck = lambda: False) -> Iterator[Result]:
        """Evaluate ``tasks`` on the cluster; yield ``(position, task, outcome)`` shard by shard.

        After ``should_stop()`` turns true no shard is sent; shards in flight are still collected.

        Raises:
            ScaleupError: a shard failed on the cluster (a worker could not start evaluation
                processes, or Dask gave up on it).
        """
        from dask.distributed import as_completed

        source = enumerate(tasks)
        # a task, not scattered data: if every worker holding it is lost, the scheduler can make it again
        ruleset = self.client.submit(_keep, self.ruleset, pure=False)
        flight = as_completed()
        shards: dict[Any, list[tuple[int, Task]]] = {}
        stopping = False

        def submit() -> bool:
            batch: list[tuple[int, Task]] = []
            for item in source:
                batch.append(item)
                if len(batch) >= self.shard:
                    break
            if not batch:
                return False
            future = self.client.submit(evaluate_shard, [t for _, t in batch], ruleset, self.processes, self.timeout,
                                        pure=False)
            shards[future] = batch
            flight.add(future)
            return True

        for _ in range(self.ahead * self.workers):
            if not submit():
                break
        try:
            for future in flight:
                batch = shards.pop(future)
                try:
                    outcomes, seconds = future.result()
                except Exception as exc:   # a remote failure, re-raised here by Dask
                    raise ScaleupError.at("--cluster", None, "", f"a shard of {len(batch)} scenarios failed on the "
                                          f"Dask cluster: {type(exc).__name__}: {exc}",
                                          "check the workers' logs; run without --cluster to compare") from None
                self.timings.append(ShardTiming(len(batch), seconds))
                for (pos, task), outcome in zip(batch, outcomes):
                    yield pos, task, outcome
                if not stopping and should_stop():
                    stopping = True
                if not stopping:
                    submit()
        finally:
            for future in list(shards):
                future.cancel()


@contextmanager
def dask_client(scheduler: Optional[str], workers: int) -> Iterator[Any]:
    """A Dask client: connected to ``scheduler``, or to a new ``LocalCluster`` of ``workers``
    single-threaded, non-daemonic worker processes, closed on exit.

    Raises:
        ScaleupError: Dask is not installed, or the scheduler cannot be reached.
    """
    try:
        import dask
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise _missing() from None
    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ScaleupError.at("--scheduler", None, "", f"cannot reach the Dask scheduler at {scheduler}: {exc}",
                                  "check the address (tcp://HOST:8786) and that the scheduler is running") from None
        with client:
            yield client
        return
    with dask.config.set({"distributed.worker.daemon": False}):
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
    with cluster, Client(cluster) as client:
        yield client
