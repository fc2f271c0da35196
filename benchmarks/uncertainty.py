"""Benchmark: `scaleup evaluate --samples 2000 -j 2` on the shipped scenario with three ranges.

Prints the wall time and the CPU time (this process's children: the CLI and its workers) of each
run, their medians over 3 runs, and the load average before and after (the machine is shared).

    python benchmarks/uncertainty.py [--samples 2000] [--runs 3] [-j 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "uncertain" / "conflict-idp-uncertain-capacity.yaml"


def evaluation_cpu_ms(count: int = 200) -> float:
    """CPU ms of one plain evaluation of the scenario (its point estimates), in this process: the
    calibration that says how much slower the shared machine is right now."""
    from scaleup.recommendation.evaluate import evaluate
    from scaleup.rules.load import load_ruleset
    from scaleup.scenario.load import load_scenario
    ruleset, loaded = load_ruleset("iasc-2018"), load_scenario(SCENARIO)
    evaluate(loaded, ruleset)
    started = time.process_time()
    for _ in range(count):
        evaluate(loaded, ruleset)
    return (time.process_time() - started) / count * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("-j", "--jobs", type=int, default=2)
    args = parser.parse_args()
    load_before = os.getloadavg()
    calibration = evaluation_cpu_ms()
    walls, cpus = [], []
    for _ in range(args.runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "scaleup", "evaluate", str(SCENARIO), "--samples", str(args.samples),
                        "--seed", "1", "-j", str(args.jobs), "-f", "json"], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    load_after = os.getloadavg()
    calibration = (calibration + evaluation_cpu_ms()) / 2
    print(f"evaluate --samples {args.samples} -j {args.jobs}, {SCENARIO.relative_to(ROOT)} (3 ranges)")
    print("wall (s): " + ", ".join(f"{w:.2f}" for w in walls) + f"; median {statistics.median(walls):.2f}")
    print("CPU, all processes (s): " + ", ".join(f"{c:.2f}" for c in cpus) + f"; median {statistics.median(cpus):.2f}")
    per = statistics.median(cpus) / (args.samples + 10) * 1000
    print(f"CPU per evaluation in the runs: {per:.2f} ms; a plain evaluation in this process at the same time "
          f"(mean of before and after): {calibration:.2f} ms")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in load_before)}; "
          f"after: {' '.join(f'{x:.2f}' for x in load_after)}; cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
