"""Scaling of ``--cluster dask``: a batch on a LocalCluster of 1 and 2 workers, and a projection
for 100 workers from the per-shard timings.

For each worker count: wall time from the first task to the last row (the cluster already up),
evaluations per second, the shard timings the workers report (seconds per shard, evaluated by
scaleup's pool inside the worker), and the parent's CPU time per scenario (this process: reading,
hashing, sending tasks, ordering and writing rows, plus the LocalCluster's scheduler, which runs
in this process). Also checks that each cluster run's output equals a local ``-j 1`` run.

Projection for W workers (each one evaluation process, as here): the workers evaluate
``W * shard / median shard seconds`` scenarios a second, and the parent can feed at most
``1 / parent CPU seconds per scenario``; the projected rate is the smaller of the two. It assumes
a network that moves a shard (about 250 scenarios, ~1 MB) in well under a shard's time, and
ignores stragglers and start-up. Every figure is medians of ``--runs`` runs; the machine's load
average is printed, since the reference machine is shared.

    python benchmarks/dask_scaling.py            # 1,000 generated scenarios, shards of 64
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=1000)
    parser.add_argument("--shard", type=int, default=64)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--project", type=int, default=100)
    args = parser.parse_args()

    import dask
    from dask.distributed import Client, LocalCluster

    from generate import scenarios
    from scaleup.batch.cluster import DaskPool
    from scaleup.batch.run import run_batch
    from scaleup.rules.load import load_ruleset

    ruleset = load_ruleset("iasc-2018")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "batch.jsonl"
        source.write_text("".join(json.dumps(s) + "\n" for s in scenarios(args.scenarios, seed=7)), encoding="utf-8")
        reference = io.StringIO()
        run_batch([str(source)], ruleset, fmt="jsonl", stream=reference, workers=1)
        print(f"{args.scenarios:,} generated scenarios (seed 7), shards of {args.shard}; load average before: "
              + " ".join(f"{x:.2f}" for x in os.getloadavg()))
        rows = []
        for workers in (1, 2):
            with dask.config.set({"distributed.worker.daemon": False}), \
                    LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                                 silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
                warm = DaskPool(client, ruleset, shard=args.shard)
                run_batch([str(source)], ruleset, fmt="jsonl", stream=io.StringIO(), workers=workers, pool=warm)
                walls, rates, parent, shard_s = [], [], [], []
                for _ in range(args.runs):
                    pool = DaskPool(client, ruleset, shard=args.shard)
                    out = io.StringIO()
                    c0, t0 = cpu(), time.perf_counter()
                    run_batch([str(source)], ruleset, fmt="jsonl", stream=out, workers=workers, pool=pool)
                    wall, used = time.perf_counter() - t0, cpu() - c0
                    assert out.getvalue() == reference.getvalue(), "cluster output differs from a local run"
                    walls.append(wall)
                    rates.append(args.scenarios / wall)
                    parent.append(used / args.scenarios)
                    shard_s += [t.seconds for t in pool.timings if t.tasks == args.shard]
            rows.append((workers, statistics.median(walls), statistics.median(rates), statistics.median(parent),
                         statistics.median(shard_s)))
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print("| Dask workers | wall (s) | evaluations/s | speed-up | median shard (s, "
              f"{args.shard} scenarios) | parent CPU per scenario (ms) |")
        print("|---|---|---|---|---|---|")
        for workers, wall, rate, per, shard in rows:
            print(f"| {workers} (measured) | {wall:.1f} | {rate:,.0f} | {rate / rows[0][2]:.2f}x | {shard:.2f} | {per * 1000:.2f} |")
        shard = rows[0][4]
        per = min(r[3] for r in rows)
        workers_rate = args.project * args.shard / shard
        feed = 1 / per if per else float("inf")
        projected = min(workers_rate, feed)
        print(f"| {args.project} (projected) | {args.scenarios / projected:.1f} | {projected:,.0f} | "
              f"{projected / rows[0][2]:.0f}x | {shard:.2f} | {per * 1000:.2f} |")
        print(f"projection: workers {args.project} x {args.shard} / {shard:.2f} s = {workers_rate:,.0f}/s; "
              f"parent feed 1 / {per * 1000:.2f} ms = {feed:,.0f}/s; bound by the "
              f"{'parent' if feed < workers_rate else 'workers'}")


if __name__ == "__main__":
    main()
