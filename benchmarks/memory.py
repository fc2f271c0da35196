"""The batch parent's memory over a long run: RSS growth and its slope per scenario.

Runs ``scaleup batch IN.jsonl -o OUT.jsonl -j 2`` in a new process on generated scenarios
(200,000 by default), samples the parent's RSS (not the workers') twice a second together with
the rows written so far, and prints the growth after a warm-up of 10,000 rows, the slope (a
least-squares line through the samples, bytes per scenario) and that slope extrapolated to
1,000,000 scenarios. ``--resume`` then also runs ``--resume`` on the finished output, where every
row is reused (the one case that keeps an index per row). ``--code DIR`` measures the scaleup
checked out in DIR instead of this one (for a before/after).

    python benchmarks/memory.py                      # 200,000 scenarios (several minutes)
    python benchmarks/memory.py -n 20000 --resume    # a quick look
    python benchmarks/memory.py --time-limit 1800    # on a busy machine: stop after 30 minutes
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import scenarios  # noqa: E402
from report import replace_section  # noqa: E402

WARM_UP = 10_000
TARGET = 1_000_000


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class RowCounter:
    """Counts the newlines of a file that grows (the batch's partial or resume file)."""

    def __init__(self, *paths: Path):
        self.paths, self.rows, self.offset, self.current = paths, 0, 0, None

    def __call__(self) -> int:
        path = next((p for p in self.paths if p.exists()), None)
        if path is None:
            return self.rows
        if path != self.current:
            self.current, self.offset, self.rows = path, 0, 0
        with open(path, "rb") as handle:
            handle.seek(self.offset)
            data = handle.read()
        self.offset += len(data)
        self.rows += data.count(b"\n")
        return self.rows


def slope(points: list[tuple[int, float]]) -> float:
    """Least-squares MB per row."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / var if var else 0.0


def measure(args: list[str], code: Path, counter: RowCounter, n: int, limit: float = 0) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(code)}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "scaleup", "batch", *args, "-j", "2", "--no-progress"], cwd=code, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    samples: list[tuple[float, int, float]] = []
    stopped = False
    while proc.poll() is None:
        samples.append((time.perf_counter() - start, counter(), rss_mb(proc.pid)))
        if limit and not stopped and samples[-1][0] > limit:
            proc.send_signal(signal.SIGINT)   # a clean stop: the figures cover the rows done
            stopped = True
        time.sleep(0.5)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read() if proc.stderr else ""
    samples = [s for s in samples if s[2] > 0]
    warm = [(rows, mb) for _, rows, mb in samples if rows >= min(WARM_UP, n // 10)]
    base = warm[0][1] if warm else 0.0
    per_row = slope(warm)
    done = max((rows for _, rows, _ in samples), default=0)
    return {"rc": proc.returncode, "stopped_after_time_limit": stopped, "rows_done": done, "wall_s": round(wall, 1),
            "rate": round(done / wall), "samples": len(samples),
            "rss_at_warm_up_mb": round(base, 1), "rss_end_mb": round(warm[-1][1], 1) if warm else None,
            "rss_peak_mb": round(max(mb for _, _, mb in samples), 1) if samples else None,
            "growth_mb": round(max(mb for _, mb in warm) - base, 2) if warm else None,
            "slope_bytes_per_row": round(per_row * 1024 * 1024, 2),
            "extrapolated_growth_1m_mb": round(per_row * (TARGET - WARM_UP), 2),
            "summary": stderr.strip().splitlines()[-1:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--input", type=Path, help="an existing JSON Lines file instead of generating one")
    parser.add_argument("--code", type=Path, default=ROOT, help="the scaleup checkout to measure")
    parser.add_argument("--resume", action="store_true", help="also measure --resume over the finished output")
    parser.add_argument("--write", action="store_true", help="put the figures in benchmarks/results.md")
    parser.add_argument("--label", default="", help="what --code is, for results.md (e.g. 'main before the change')")
    parser.add_argument("--time-limit", type=float, default=0,
                        help="stop the batch (Ctrl-C) after this many seconds and report the rows done (a busy machine)")
    args = parser.parse_args()
    started, load_before = dt.datetime.now(dt.timezone.utc), os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        data = args.input
        if data is None:
            data = Path(tmp) / "in.jsonl"
            with open(data, "w") as handle:
                for doc in scenarios(args.n, args.seed):
                    handle.write(json.dumps(doc, separators=(",", ":")) + "\n")
        n = sum(1 for _ in open(data, "rb"))
        out = Path(tmp) / "out.jsonl"
        # rows go to .out.jsonl.partial while the run lasts (older versions: to out.jsonl itself)
        counter = RowCounter(Path(tmp) / ".out.jsonl.partial", out)
        result = {"n": n, "code": str(args.code), "fresh": measure([str(data), "-o", str(out)], args.code.resolve(), counter, n,
                                                                          args.time_limit)}
        if args.resume:
            counter = RowCounter(Path(tmp) / ".out.jsonl.resume", Path(tmp) / ".out.jsonl.partial")
            result["resume"] = measure([str(data), "-o", str(out), "--resume"], args.code.resolve(), counter, n)
    result["date"], result["load"] = started.strftime("%Y-%m-%d %H:%M UTC"), [load_before, os.getloadavg()]
    result["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=args.code, capture_output=True,
                                      text=True).stdout.strip()
    result["label"] = args.label
    print(json.dumps(result, indent=1))
    if args.write:
        replace_section(HERE / "results.md", section([result]))


def section(results: list[dict[str, Any]]) -> str:
    """The results.md section for one or more runs (e.g. after and before a change)."""
    lines = ["## The batch parent's memory (benchmarks/memory.py)", "",
             "`scaleup batch in.jsonl -o out.jsonl -j 2` on generated scenarios (benchmarks/generate.py) in a new process; "
             "the parent's RSS (not the workers') sampled twice a second with the rows written; growth from the sample "
             f"after {WARM_UP:,} rows to the largest later one; the slope is a least-squares line through those "
             f"samples, extrapolated to {TARGET:,} scenarios (target: parent growth < 20 MB over {TARGET:,}).", "",
             "| code | scenarios in the input | rows done | wall | rows/s | RSS after warm-up | growth | slope | "
             f"extrapolated to {TARGET:,} |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        for mode in ("fresh", "resume"):
            m = r.get(mode)
            if not m:
                continue
            name = f"{r['label'] or r['commit']}{' --resume' if mode == 'resume' else ''}"
            lines.append(f"| {name} | {r['n']:,} | {m['rows_done']:,}{' (stopped)' if m['stopped_after_time_limit'] else ''} "
                         f"| {m['wall_s']:,.0f} s | {m['rate']:,} | {m['rss_at_warm_up_mb']} MB | {m['growth_mb']:+.2f} MB "
                         f"| {m['slope_bytes_per_row']:.1f} B/row | {m['extrapolated_growth_1m_mb']:+.1f} MB |")
    loads = "; ".join(f"{r['date']}, commit {r['commit']}, load {' '.join(f'{x:.1f}' for x in r['load'][0])} -> "
                      f"{' '.join(f'{x:.1f}' for x in r['load'][1])}" for r in results)
    lines += ["", f"Runs: {loads}.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
