"""The long fuzz run: N generated cases through the whole user path, counted by outcome.

    .venv/bin/python -m fuzz.run -n 100000 -j 2 --write-docs   # the run recorded in docs/limits.md
    .venv/bin/python -m fuzz.run -n 2000 -j 0                  # sequentially, in this process
    .venv/bin/python -m fuzz.run --case 4711                   # regenerate and run one case

Case ``i`` is ``fuzz.cases.case_for(random.Random(f"{seed}:{i}"), shipped scenarios)``: the same
generators as ``tests/test_fuzz.py``, half random scenarios and half mutations of the shipped ones.
Cases run in chunks in worker processes (each loads the rule set once). A worker that dies (a
crash in the C core) or a chunk that hangs breaks the pool: the chunks involved are halved and run
again in a fresh pool until the crash or hang is pinned to one case, which then runs in a child
process of its own to confirm it; the run goes on.

Outcomes (see :mod:`fuzz.outcome`): valid, located, unlocated, control (raw control characters in
a text or Markdown report, or in a problem's line), exception, crash (the process died), hang (a
case ran longer than ``--case-timeout``). Only the first two are acceptable.

Before the cases, the symbolic-link checks of :mod:`fuzz.rulesets` run in a child process (rule
sets whose ``ruleset.yaml``, includes or ``extends:`` target are links out, loops, or links
inside); each must end as expected, and the count is recorded with the run.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures as cf
import datetime as dt
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

if __package__ in (None, ""):   # run as a script: make `fuzz` and `scaleup` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fuzz.cases import ROOT, Case, case_for, shipped_scenarios   # noqa: E402
from fuzz.outcome import CRASH, GOOD, HANG, OUTCOMES, classify, default_ruleset   # noqa: E402

DOCS = ROOT / "docs" / "limits.md"
BEGIN, END = "<!-- fuzz-run:begin -->", "<!-- fuzz-run:end -->"
_STATE: dict[str, Any] = {}


def make_case(seed: str, i: int, shipped: list[Path]) -> Case:
    return case_for(random.Random(f"{seed}:{i}"), shipped)


def _init(ruleset: str) -> None:
    from scaleup.rules.load import load_ruleset
    _STATE["ruleset"] = load_ruleset(ruleset)
    _STATE["shipped"] = shipped_scenarios()


def run_chunk(seed: str, start: int, stop: int) -> tuple[collections.Counter, list[dict[str, Any]]]:
    """Run cases [start, stop) in this worker; return counts and the bad cases."""
    counts: collections.Counter = collections.Counter()
    bad: list[dict[str, Any]] = []
    for i in range(start, stop):
        case = make_case(seed, i, _STATE["shipped"])
        outcome, detail = classify(case, _STATE["ruleset"])
        counts[outcome] += 1
        if outcome not in GOOD:
            bad.append({"case": i, "outcome": outcome, "how": case.how, "detail": detail[-1500:]})
    return counts, bad


def run_isolated(seed: str, i: int, ruleset: str, timeout: float) -> tuple[str, str]:
    """One case in its own child process: a crash or hang is seen from outside."""
    try:
        done = subprocess.run([sys.executable, "-m", "fuzz.run", "--case", str(i), "--seed", seed,
                               "--ruleset", ruleset], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return HANG, f"hung for more than {timeout:.0f} s"
    if done.returncode != 0:
        return CRASH, f"return code {done.returncode}: {done.stderr[-500:]}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["outcome"], result["detail"]


def _kill(pool: cf.ProcessPoolExecutor) -> None:
    for process in list(getattr(pool, "_processes", {}).values()):   # no public API to stop a stuck worker
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def fuzz(n: int, seed: str, jobs: int, ruleset: str, chunk: int, chunk_timeout: float,
         case_timeout: float) -> dict[str, Any]:
    """Run ``n`` cases; ``jobs == 0`` runs them in this process (no crash isolation)."""
    counts: collections.Counter = collections.Counter({o: 0 for o in OUTCOMES})
    bad: list[dict[str, Any]] = []
    started = time.perf_counter()
    chunks = [(s, min(s + chunk, n)) for s in range(0, n, chunk)]
    if jobs == 0:
        _init(ruleset)
        for start, stop in chunks:
            c, b = run_chunk(seed, start, stop)
            counts.update(c)
            bad += b
            _progress(stop, n, counts, started)
    else:
        pending = list(chunks)
        while pending:
            pool = cf.ProcessPoolExecutor(jobs, initializer=_init, initargs=(ruleset,))
            futures = {pool.submit(run_chunk, seed, s, e): (s, e) for s, e in pending}
            suspects: list[tuple[int, int]] = []
            waiting = set(futures)
            while waiting:
                done, waiting = cf.wait(waiting, timeout=chunk_timeout, return_when=cf.FIRST_COMPLETED)
                if not done:   # nothing finished for a whole chunk timeout: a case hangs
                    suspects += [futures[f] for f in waiting]
                    _kill(pool)
                    break
                for future in done:
                    try:
                        c, b = future.result()
                    except cf.process.BrokenProcessPool:   # a worker died: a crash somewhere
                        suspects.append(futures[future])
                        continue
                    counts.update(c)
                    bad += b
                    _progress(sum(counts.values()), n, counts, started)
            pool.shutdown(wait=False, cancel_futures=True)
            pending = []
            for start, stop in suspects:   # halve until the crash or hang is pinned to one case
                if stop - start > 1:
                    middle = (start + stop) // 2
                    pending += [(start, middle), (middle, stop)]
                    continue
                outcome, detail = run_isolated(seed, start, ruleset, case_timeout)
                counts[outcome] += 1
                if outcome not in GOOD:
                    bad.append({"case": start, "outcome": outcome, "how": "", "detail": detail[-1500:]})
    wall = time.perf_counter() - started
    return {"date": dt.date.today().isoformat(), "commit": _commit(), "n": n, "seed": seed, "jobs": jobs,
            "ruleset": ruleset, "shipped_scenarios": len(shipped_scenarios()), "counts": dict(counts),
            "wall_s": round(wall, 1), "cases_per_s": round(n / wall, 1), "bad": bad}


def symlink_checks(timeout: float = 300.0) -> dict[str, Any]:
    """:mod:`fuzz.rulesets` in a child process: {"cases", "as_expected", "bad": [...]}."""
    try:
        done = subprocess.run([sys.executable, "-m", "fuzz.rulesets"], cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"cases": 0, "as_expected": 0,
                "bad": [{"case": "symlinked rule sets", "outcome": HANG, "how": "",
                         "detail": f"fuzz.rulesets hung for more than {timeout:.0f} s"}]}
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    bad = [{"case": r["case"], "outcome": r["outcome"], "how": f"expected {r['expected']}", "detail": r["detail"]}
           for r in results if r["ok"] != "yes"]
    if done.returncode not in (0, 1) or not results:
        bad.append({"case": "symlinked rule sets", "outcome": CRASH, "how": "",
                    "detail": f"return code {done.returncode}: {done.stderr[-500:]}"})
    return {"cases": len(results), "as_expected": sum(r["ok"] == "yes" for r in results), "bad": bad}


def _progress(done: int, n: int, counts: collections.Counter, started: float) -> None:
    rate = done / max(time.perf_counter() - started, 1e-9)
    shown = " ".join(f"{k}={v}" for k, v in counts.items() if v)
    print(f"\r{done}/{n} ({rate:.0f}/s) {shown}", end="", file=sys.stderr, flush=True)


def _commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True,
                               timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + (" with uncommitted changes" if dirty else "")


def markdown(result: dict[str, Any]) -> str:
    c = result["counts"]
    lines = [BEGIN, "", f"- Date: {result['date']}; commit {result['commit']}; rule set `{result['ruleset']}`; "
             f"{result['shipped_scenarios']} shipped scenarios mutated",
             f"- Command: `python -m fuzz.run -n {result['n']} -j {result['jobs']} --seed {result['seed']}`",
             f"- Wall time: {result['wall_s']:,} s ({result['cases_per_s']:,} cases/s)"]
    if "links" in result:
        links = result["links"]
        lines.append(f"- Symbolic-link rule sets (`python -m fuzz.rulesets`): {links['as_expected']} of "
                     f"{links['cases']} cases as expected")
    lines += ["", "| cases | valid | located errors | unlocated errors | raw control characters | other exceptions "
              "| crashes | hangs |", "|---|---|---|---|---|---|---|---|",
              f"| {result['n']:,} | {c.get('valid', 0):,} | {c.get('located', 0):,} | {c.get('unlocated', 0):,} | "
              f"{c.get('control', 0):,} | {c.get('exception', 0):,} | {c.get('crash', 0):,} | {c.get('hang', 0):,} |", ""]
    if result["bad"]:
        lines += ["Cases that failed (regenerate one with `python -m fuzz.run --case N --seed SEED`):", ""]
        kinds: dict[str, list[int]] = {}
        for b in result["bad"]:
            key = f"{b['outcome']}: " + b["detail"].strip().splitlines()[-1][:160]
            kinds.setdefault(key, []).append(b["case"])
        lines += [f"- {k} (cases {', '.join(map(str, v[:5]))}{' ...' if len(v) > 5 else ''}; {len(v)} in all)"
                  for k, v in sorted(kinds.items(), key=lambda kv: -len(kv[1]))]
        lines.append("")
    return "\n".join(lines + [END])


def write_docs(result: dict[str, Any], path: Path = DOCS) -> None:
    text = path.read_text(encoding="utf-8")
    section = markdown(result)
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"{path} has no {BEGIN} ... {END} section")
    from scaleup.writeout import write_atomic
    write_atomic(path, pattern.sub(lambda _: section, text))


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=100_000, help="number of cases (default 100,000)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                        help="worker processes; 0 runs in this process (default: all cores)")
    parser.add_argument("--seed", default="long", help="case i is generated from SEED:i")
    parser.add_argument("--ruleset", default=default_ruleset())
    parser.add_argument("--chunk", type=int, default=250, help="cases per worker task")
    parser.add_argument("--chunk-timeout", type=float, default=300.0,
                        help="seconds without any chunk finishing before the running ones count as hung")
    parser.add_argument("--case-timeout", type=float, default=60.0)
    parser.add_argument("--case", type=int, help="run only case N in this process and print its outcome")
    parser.add_argument("--json", type=Path, help="also write the full result here")
    parser.add_argument("--write-docs", action="store_true", help=f"record the result in {DOCS.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    if args.case is not None:
        _init(args.ruleset)
        case = make_case(args.seed, args.case, _STATE["shipped"])
        outcome, detail = classify(case, _STATE["ruleset"])
        print(f"# {case.name} ({case.how}):\n{case.raw[:3000]!r}", file=sys.stderr)
        print(json.dumps({"case": args.case, "outcome": outcome, "how": case.how, "detail": detail}))
        return 0
    links = symlink_checks()
    print(f"symbolic-link rule sets: {links['as_expected']} of {links['cases']} cases as expected", file=sys.stderr)
    result = fuzz(args.n, args.seed, args.jobs, args.ruleset, args.chunk, args.chunk_timeout, args.case_timeout)
    result["links"] = {k: v for k, v in links.items() if k != "bad"}
    result["bad"] = links["bad"] + result["bad"]
    print(file=sys.stderr)
    print(json.dumps({k: v for k, v in result.items() if k != "bad"}, indent=2))
    for b in result["bad"][:20]:
        print(f"case {b['case']} {b['outcome']} {b['how']}\n{b['detail']}\n", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    if args.write_docs:
        write_docs(result)
    return 0 if not result["bad"] else 1


if __name__ == "__main__":
    sys.exit(main())
