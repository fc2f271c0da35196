"""A data frame of generated scenarios through ``scaleup.evaluate_frame`` (the notebook path).

``python benchmarks/frame.py [N] [--jobs J ...] [--repeat R]`` prints, for each worker count, the
median wall-clock and CPU time of R passes over a frame of N scenarios (default 1,000; the
scenarios of ``generate.py``, flattened to dotted columns) and the rate, beside ``evaluate_many``
on the same dicts (the difference is what the frame itself costs: nesting the rows, building the
result frame). On a shared machine the CPU time is the steadier figure. Needs pandas (``pip install scaleup[pandas]``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import pandas as pd  # noqa: E402

import scaleup  # noqa: E402
from generate import scenarios  # noqa: E402


def flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def timed(run: Any, repeat: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds (of this process: with workers, only the parent's share)."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, nargs="?", default=1000)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    docs = list(scenarios(args.n))
    frame = pd.DataFrame([flat(d) for d in docs])
    scaleup.get_ruleset()   # compiled once, as in a notebook session, before timing
    print(f"{args.n} scenarios, {len(frame.columns)} columns; median of {args.repeat} passes (wall clock)")
    for jobs in args.jobs:
        out = scaleup.evaluate_frame(frame, jobs=jobs)
        assert len(out) == args.n
        errors = int(out["errors"].notna().sum())
        whole, whole_cpu = timed(lambda: scaleup.evaluate_frame(frame, jobs=jobs), args.repeat)
        bare, bare_cpu = timed(lambda: list(scaleup.evaluate_many(docs, jobs=jobs)), args.repeat)
        print(f"  jobs={jobs}: evaluate_frame {whole:6.2f} s ({args.n / whole:5.0f}/s; this process's CPU {whole_cpu:.2f} s), "
              f"evaluate_many on the dicts {bare:6.2f} s (CPU {bare_cpu:.2f} s); {errors} rows with errors")


if __name__ == "__main__":
    main()
