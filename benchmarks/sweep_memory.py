"""Parent memory of a streamed N-d sweep: a 3-field Latin hypercube sweep written to CSV.

Runs ``scaleup sweep`` as a child process (``--sample lhs N``, three fields, ``-j`` workers, ``-o``
CSV) and samples the *parent's* resident set size (``VmRSS`` of the scaleup process; its workers
are separate processes) and the rows written so far, every ``--every`` seconds. Prints the samples,
the RSS after the first tenth of the points and at the end, the peak, and the least-squares
slope of RSS against points over the last nine tenths (MB per 100,000 points): flat memory is a
slope near 0. Also checks that the CSV has one row per point. Linux only (reads /proc).

    python benchmarks/sweep_memory.py                 # 100,000 points, -j 2
    python benchmarks/sweep_memory.py --points 20000 --jobs 1
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memory import slope  # noqa: E402  (least squares, MB per row: the batch memory benchmark's)

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "cyclone-coastal.yaml"
FIELDS = ("populations.affected=100000:4000000", "capacity.inform_lcc=0:10", "health_nutrition.cmr=0.1:3")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def rows(path: Path) -> int:
    try:
        with open(path, "rb") as handle:
            return max(0, sum(chunk.count(b"\r\n") for chunk in iter(lambda: handle.read(1 << 20), b"")) - 1)
    except FileNotFoundError:
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--every", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "lhs.csv"
        command = [sys.executable, "-m", "scaleup", "sweep", str(SCENARIO), *(a for f in FIELDS for a in ("--vary", f)),
                   "--sample", "lhs", str(args.points), "--seed", "1", "-j", str(args.jobs), "-o", str(out), "--no-progress"]
        load_before = os.getloadavg()
        started = time.monotonic()
        child = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True,
                                 env={**os.environ, "PYTHONPATH": str(ROOT)})
        samples: list[tuple[float, int, float]] = []
        while child.poll() is None:
            try:
                samples.append((time.monotonic() - started, rows(out), rss_mb(child.pid)))
            except (FileNotFoundError, ProcessLookupError):
                break
            time.sleep(args.every)
        stderr = child.communicate()[1]
        wall = time.monotonic() - started
        written = rows(out)
    load_after = os.getloadavg()
    print(f"command: scaleup sweep {SCENARIO.relative_to(ROOT)} " + " ".join(f"--vary {f}" for f in FIELDS)
          + f" --sample lhs {args.points} --seed 1 -j {args.jobs} -o lhs.csv")
    print(f"exit code {child.returncode}; {written:,} rows for {args.points:,} points; wall {wall:.0f} s "
          f"({written / wall:.0f} points/s)")
    print("stderr: " + " | ".join(stderr.strip().splitlines()))
    print(f"load average before: {' '.join(f'{x:.2f}' for x in load_before)}; after: {' '.join(f'{x:.2f}' for x in load_after)}")
    steady = [(p, r) for _, p, r in samples if p >= args.points / 10]
    first = steady[0] if steady else (0, 0.0)
    last = steady[-1] if steady else (0, 0.0)
    print(f"parent RSS at {first[0]:,} points: {first[1]:.1f} MB; at {last[0]:,} points: {last[1]:.1f} MB; "
          f"peak {max((r for _, _, r in samples), default=0):.1f} MB; slope {slope(steady) * 100_000:+.2f} MB per 100,000 points")
    shown = samples[:: max(1, len(samples) // 12)] + samples[-1:]
    print("samples (s, rows, parent RSS MB): " + ", ".join(f"{t:.0f}: {p:,}: {r:.1f}" for t, p, r in shown))


if __name__ == "__main__":
    main()
