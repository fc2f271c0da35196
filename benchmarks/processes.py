"""Measurements in other processes (memory, cold start, a big batch) and the machine's identity.

``python benchmarks/processes.py --memory-worker N`` is the fresh process of the memory run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import scenario, scenarios  # noqa: E402

from scaleup.engine.durable import durable_version  # noqa: E402
from scaleup.errors import ScenarioError  # noqa: E402
from scaleup.recommendation.evaluate import evaluate  # noqa: E402
from scaleup.rules.load import load_ruleset  # noqa: E402
from scaleup.scenario.load import validate_document  # noqa: E402
from scaleup.scenario.yamlio import parse_document  # noqa: E402


def scaleup_command() -> list[str]:
    script = Path(sys.executable).with_name("scaleup")
    return [str(script)] if script.exists() else [sys.executable, "-m", "scaleup"]


def rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def memory_worker(n: int, seed: int, ruleset_name: str) -> None:
    """Run in a fresh process: evaluate n generated scenarios, print RSS samples as JSON."""
    import random
    ruleset = load_ruleset(ruleset_name)
    rng = random.Random(seed)
    samples: list[tuple[int, float]] = []
    warm = min(1000, n // 10)
    start = time.perf_counter()
    for i in range(n):
        doc = parse_document(json.dumps(scenario(rng, i)), f"m-{i}.json", fmt="json", error=ScenarioError)
        evaluate(validate_document(doc), ruleset)
        if i + 1 == warm or (i + 1) % max(1, n // 10) == 0:
            samples.append((i + 1, round(rss_mb(), 2)))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"samples": samples, "peak_mb": round(peak, 2), "warm": warm, "seconds": time.perf_counter() - start}))


def memory(n: int, seed: int, ruleset_name: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--memory-worker", str(n), "--seed", str(seed), "--ruleset", ruleset_name],
                          capture_output=True, text=True, check=True)
    data = json.loads(done.stdout.strip().splitlines()[-1])
    after_warm = next(mb for count, mb in data["samples"] if count == data["warm"])
    data["growth_mb"] = round(data["samples"][-1][1] - after_warm, 2)
    return data


def cold_start(runs: int) -> list[float]:
    command = scaleup_command()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command + ["evaluate", str(ROOT / "scenarios" / "cyclone-coastal.yaml")], check=True,
                       capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return times


def tree_rss(pid: int) -> dict[int, float]:
    """RSS in MB of a process and its children."""
    out: dict[int, float] = {}
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            pass
    for p in [pid, *children]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out[p] = int(line.split()[1]) / 1024
        except OSError:
            pass
    return out


def big_batch(n: int, seed: int, ruleset_name: str) -> dict[str, Any]:
    """``scaleup batch`` with -j 2 on n generated scenarios in a new process; RSS sampled every 2 s."""
    command = scaleup_command()
    samples: dict[int, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path, out = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        with open(path, "w") as handle:
            for doc in scenarios(n, seed):
                handle.write(json.dumps(doc) + "\n")
        load_before = load()
        start = time.perf_counter()
        proc = subprocess.Popen(command + ["batch", str(path), "-o", str(out), "-j", "2", "-r", ruleset_name, "--no-progress"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        while proc.poll() is None:
            for p, mb in tree_rss(proc.pid).items():
                samples.setdefault(p, []).append(mb)
            time.sleep(2)
        wall = time.perf_counter() - start
        stderr = proc.stderr.read() if proc.stderr else ""
        rows = sum(1 for _ in open(out))
    workers = [v for p, v in samples.items() if p != proc.pid and len(v) > 2]
    return {"n": n, "rows": rows, "rc": proc.returncode, "wall": wall, "rate": n / wall, "summary": stderr.strip().splitlines()[-1:],
            "load_before": load_before, "load_after": load(),
            "parent_peak": max(samples.get(proc.pid, [0.0])),
            "workers": [(round(v[1], 1), round(v[-1], 1), round(max(v), 1)) for v in workers]}


def machine() -> dict[str, str]:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return "?"
    dirty = git("status", "--porcelain")
    return {"cpu": model, "cores": str(os.cpu_count()), "python": platform.python_version(),
            "os": f"{platform.system()} {platform.release()}", "durable_rules": durable_version(),
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": git("rev-parse", "--short", "HEAD") + (" + uncommitted changes" if dirty and dirty != "?" else "")}


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())




if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="the fresh process of the memory run")
    parser.add_argument("--memory-worker", type=int, required=True)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--ruleset", default="iasc-2018")
    args = parser.parse_args()
    memory_worker(args.memory_worker, args.seed, args.ruleset)
