"""scaleup benchmark: throughput, latency, parallel speed-up, memory, cold start, and our overhead
over bare durable_rules on the same compiled rules. Prints a table; writes benchmarks/results.md.

What is measured (medians of ``--repeat`` runs where a figure is a rate):

- full path, one process: a parsed document -> validation -> input facts -> engine (with audit) ->
  recommendation, per scenario; evaluations/s, p50 and p99 latency; firings per evaluation.
  Single-process figures are CPU time (``time.process_time``), so that other work on a shared
  machine does not count as ours; batch figures are wall time.
- bare durable_rules: the same durable rule definitions (``scaleup.rules.translate.definitions``) on the same
  host class, whose actions only assert the facts a rule emits; facts pre-built; the same phases
  (including the engine's final one) and state deletion. No validation, audit or assembly. The
  ratio full/bare is our overhead.
- batch runner: ``run_batch`` over a JSON Lines file of the same scenarios with -j 1 and -j 2
  (reading, parsing and writing rows included); the speed-up is j2/j1.
- memory: a fresh process evaluating ``--memory-n`` generated scenarios (100,000 by default);
  RSS after a 1,000-evaluation warm-up and at the end, peak RSS.
- cold start: wall time of ``scaleup evaluate scenarios/cyclone-coastal.yaml`` in a new process.

- where the overhead goes: validation, input facts, engine wrapper and assembly timed stage by
  stage, interleaved with bare runs (``--trials``).
- a big batch: ``scaleup batch -j 2`` on ``--big`` generated scenarios (100,000 by default) in a
  new process; wall time, rate, and the RSS of its workers sampled every 2 s.

Usage:
    python benchmarks/bench.py                    # full run (tens of minutes)
    python benchmarks/bench.py --quick            # small sizes, about two minutes
    python benchmarks/bench.py --profile          # also a cProfile of the full path
    python benchmarks/bench.py --only big         # re-run one section, replacing it in results.md
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import scenarios  # noqa: E402
from processes import big_batch, cold_start, load, machine, memory  # noqa: E402
from report import big_section, replace_section, report, speedup_section, stages_section  # noqa: E402

import instructions  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from durable import engine as durable_engine  # noqa: E402

import durable_rules_engine  # noqa: E402

from scaleup.batch.run import run_batch  # noqa: E402
from scaleup.engine.durable import SID
from scaleup.rules.translate import definitions  # noqa: E402
from scaleup.errors import ScenarioError  # noqa: E402
from scaleup.recommendation.evaluate import evaluate  # noqa: E402
from scaleup.rules.ir import CompiledRule, CompiledRuleset, Ref  # noqa: E402
from scaleup.rules.load import load_ruleset  # noqa: E402
from scaleup.scenario.load import validate_document  # noqa: E402
from scaleup.scenario.yamlio import Document, parse_document  # noqa: E402

def documents(n: int, seed: int) -> list[Document]:
    return [parse_document(json.dumps(d), f"gen-{i:06d}.json", fmt="json", error=ScenarioError)
            for i, d in enumerate(scenarios(n, seed))]


def full_path(docs: list[Document], ruleset: CompiledRuleset) -> tuple[list[float], list[int]]:
    """CPU seconds per evaluation and firings per evaluation, validation to recommendation."""
    times, firings = [], []
    clock = time.process_time   # CPU time: what the work costs, whatever else the machine runs
    for doc in docs:
        start = clock()
        rec = evaluate(validate_document(doc), ruleset)
        times.append(clock() - start)
        firings.append(len(rec.audit.firings))
    return times, firings


class _QuietHost(durable_engine.Host):
    """durable_rules' own host without its timer threads (docs/engine.md: they race with the caller)."""

    def _run(self) -> None:
        pass


def emitter(rule: CompiledRule) -> Callable[[dict[str, Any]], list[dict[str, Any]]]:
    """The facts a rule's action asserts, from the facts durable matched (by durable alias)."""
    aliases = {p.alias: f"a{i}" for i, p in enumerate(rule.patterns)}
    plan = [(e.type, [(k, (aliases[v.alias], v.field) if isinstance(v, Ref) else None, v) for k, v in e.fields])
            for e in rule.emits]

    def emit(matched: dict[str, Any]) -> list[dict[str, Any]]:
        facts = []
        for kind, fields in plan:
            fact = {"sid": SID, "t": kind}
            for name, ref, value in fields:
                fact[name] = matched[ref[0]][ref[1]] if ref else value
            facts.append(fact)
        return facts
    return emit


class Bare:
    """The compiled rules on durable_rules alone, through its documented Python API (a Host and
    one closure per rule): actions only assert the facts they emit."""

    def __init__(self, ruleset: CompiledRuleset):
        # the engine's final phase too: durable_rules segfaults deleting a state where no action
        # ran, so scaleup.engine.durable always fires one internal rule last; that is durable's cost
        self.phases = ruleset.strata + 1
        self.firings = 0
        rules = {rule.key: self._action(rule) for rule in ruleset.rules}
        found = definitions(ruleset)
        for key, definition in found.items():
            definition["run"] = rules.get(key, lambda c: None)
        self.host = _QuietHost()
        self.name = "bare"
        self.host.register_rulesets({self.name: found})

    def _action(self, rule: CompiledRule) -> Callable[[Any], None]:
        emit = emitter(rule)

        def run(c: Any) -> None:
            self.firings += 1
            for fact in emit(c._m):
                c.assert_fact(fact)
        return run

    def evaluate(self, facts: list[dict[str, Any]]) -> None:
        try:
            self.host.assert_facts(self.name, facts)
            for k in range(1, self.phases + 1):
                self.host.assert_fact(self.name, {"sid": SID, "t": "phase", "n": k})
        finally:
            self.host.delete_state(self.name, SID)


class Core:
    """The compiled rules on durable_rules' C core alone, driven the way scaleup.engine.durable drives it
    (one batch of input facts, phases, one action at a time), with actions that only assert the
    facts they emit: the floor under any engine built on durable_rules."""

    def __init__(self, ruleset: CompiledRuleset):
        self.phases = ruleset.strata + 1
        self.firings = 0
        self.actions: dict[str, Callable[[dict[str, Any]], None]] = {"__done__": lambda m: None}
        self.actions.update({rule.key: self._action(rule) for rule in ruleset.rules})
        self.handle = durable_rules_engine.create_ruleset("core", json.dumps(definitions(ruleset)))

    def _action(self, rule: CompiledRule) -> Callable[[dict[str, Any]], None]:
        emit = emitter(rule)

        def run(m: dict[str, Any]) -> None:
            self.firings += 1
            for fact in emit(m):
                durable_rules_engine.assert_fact(self.handle, json.dumps(fact))
        return run

    def _fire(self, state: int) -> None:
        queued = durable_rules_engine.start_action_for_state(self.handle, state)
        message = queued[1] if queued else None
        while message:
            for key, matched in json.loads(message).items():
                self.actions[key](matched)
            message = durable_rules_engine.complete_and_start_action(self.handle, state)

    def evaluate(self, facts: list[dict[str, Any]]) -> None:
        self._fire(durable_rules_engine.assert_facts(self.handle, json.dumps(facts))[1])
        for k in range(1, self.phases + 1):
            self._fire(durable_rules_engine.assert_fact(self.handle, json.dumps({"sid": SID, "t": "phase", "n": k}))[1])
        durable_rules_engine.delete_state(self.handle, SID)


def bare_path(docs: list[Document], ruleset: CompiledRuleset, kind: type = Bare) -> tuple[list[float], int]:
    """CPU seconds per evaluation of a baseline (Bare or Core) on pre-built input facts."""
    bare = kind(ruleset)
    facts = [[f.engine_dict(SID) for f in validate_document(d).facts()] for d in docs]
    times = []
    clock = time.process_time
    for batch in facts:
        start = clock()
        bare.evaluate([dict(f) for f in batch])
        times.append(clock() - start)
    return times, bare.firings


def batch_rate(path: Path, ruleset: CompiledRuleset, workers: int, n: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        summary = run_batch([str(path)], ruleset, fmt="jsonl", output=Path(tmp) / "out.jsonl", workers=workers)
        wall = time.perf_counter() - start
    assert summary.status["ok"] == n, summary.status
    return n / wall


def forked_rate(tasks: list[Any], ruleset: CompiledRuleset, processes: int) -> float:
    """Evaluations/s of ``processes`` forked copies of this process, each evaluating its share of
    ``tasks`` with no pipe, pool or parent in the way: what the machine itself allows."""
    from scaleup.batch.worker import evaluate_task
    evaluate_task(tasks[0], ruleset, {})    # engine built before forking
    start = time.perf_counter()
    children = []
    for k in range(processes):
        pid = os.fork()
        if pid == 0:   # pragma: no cover - child
            for task in tasks[k::processes]:
                evaluate_task(task, ruleset, {})
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
    return len(tasks) / (time.perf_counter() - start)


def speedup(ruleset: CompiledRuleset, n: int, seed: int, repeat: int) -> dict[str, float]:
    """Median -j 1 and -j 2 batch rates, and the rates of one and two bare forked processes (the
    machine's own ceiling: two busy cores run slower than one), measured in interleaved rounds
    so that load hits all of them alike."""
    from scaleup.batch.input import iter_tasks
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenarios.jsonl"
        path.write_text("".join(json.dumps(d) + "\n" for d in scenarios(n, seed)))
        tasks = list(iter_tasks([path]))
        rounds = [{"j1": batch_rate(path, ruleset, 1, n), "j2": batch_rate(path, ruleset, 2, n),
                   "f1": forked_rate(tasks, ruleset, 1), "f2": forked_rate(tasks, ruleset, 2)} for _ in range(repeat)]
    return {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def profile(docs: list[Document], ruleset: CompiledRuleset, top: int = 25) -> str:
    prof = cProfile.Profile()
    prof.enable()
    full_path(docs, ruleset)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def stages(docs: list[Document], ruleset: CompiledRuleset, trials: int) -> dict[str, float]:
    """Median CPU ms per evaluation of each stage and of both baselines, interleaved in the same
    trials so that a change in machine load affects all of them alike."""
    from scaleup.engine.durable import engine_for
    from scaleup.recommendation.assemble import assemble
    engine, baselines = engine_for(ruleset), {"bare": Bare(ruleset), "core": Core(ruleset)}
    facts = [[f.engine_dict(SID) for f in validate_document(d).facts()] for d in docs]
    names = ("validate", "facts", "engine", "assemble", *baselines)
    runs: dict[str, list[float]] = {k: [] for k in names}
    clock = time.process_time
    for _ in range(trials):
        spent = dict.fromkeys(names, 0.0)
        for doc in docs:
            t0 = clock()
            loaded = validate_document(doc)
            t1 = clock()
            inputs = loaded.facts()
            t2 = clock()
            evaluation = engine.evaluate(inputs, loaded.name)
            t3 = clock()
            assemble(evaluation, loaded)
            t4 = clock()
            for name, took in zip(names, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                spent[name] += took
        for name, baseline in baselines.items():
            t0 = clock()
            for batch in facts:
                baseline.evaluate([dict(f) for f in batch])
            spent[name] = clock() - t0
        for name in names:
            runs[name].append(spent[name] / len(docs) * 1000)
    return {name: statistics.median(values) for name, values in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description="scaleup benchmark")
    parser.add_argument("-n", type=int, default=2000, help="scenarios for throughput and latency")
    parser.add_argument("--memory-n", type=int, default=100_000, help="evaluations for the memory run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--ruleset", default="iasc-2018")
    parser.add_argument("--quick", action="store_true", help="500 scenarios, 5,000 for memory, 1 repeat")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="do not write benchmarks/results.md")
    parser.add_argument("--batch-n", type=int, default=6000,
                        help="scenarios for the -j 1 / -j 2 comparison (worker start-up must not dominate)")
    parser.add_argument("--big", type=int, default=100_000, help="scenarios for the -j 2 batch run (0: skip)")
    parser.add_argument("--trials", type=int, default=9, help="interleaved trials for the overhead split")
    parser.add_argument("--only", choices=["stages", "big", "speedup", "instructions"],
                        help="run one section and replace it in an existing results.md")
    parser.add_argument("--instructions", action="store_true", help="also count instructions under callgrind")
    args = parser.parse_args()
    if args.quick:
        args.n, args.memory_n, args.repeat, args.big, args.trials, args.batch_n = 500, 5000, 1, 2000, 3, 1000
    info, load_before = machine(), load()
    ruleset = load_ruleset(args.ruleset)
    if args.only:
        if args.only == "stages":
            section = stages_section(stages(documents(200, args.seed), ruleset, args.trials), load_before, load())
        elif args.only == "big":
            section = big_section(big_batch(args.big, args.seed, args.ruleset), info)
        elif args.only == "speedup":
            section = speedup_section(speedup(ruleset, args.batch_n, args.seed, args.repeat), args.batch_n,
                                      load_before, load(), info)
        else:
            section = instructions.section(instructions.measure())
        print(section)
        if not args.no_write:
            replace_section(HERE / "results.md", section)
        return
    docs = documents(args.n, args.seed)
    full_path(docs[:100], ruleset)          # warm-up: engine built, caches filled
    gc.freeze()   # as batch workers do once their engine is built: the data held here is not ours
    runs = [full_path(docs, ruleset) for _ in range(args.repeat)]
    rates = [len(docs) / sum(t) for t, _ in runs]
    best = runs[rates.index(statistics.median(rates))][0]
    firings = runs[0][1]
    bare_runs = [bare_path(docs, ruleset) for _ in range(args.repeat)]
    bare_rates = [len(docs) / sum(t) for t, _ in bare_runs]
    assert bare_runs[0][1] == sum(firings), f"bare fired {bare_runs[0][1]} rules, full {sum(firings)}: not the same work"
    core_runs = [bare_path(docs, ruleset, Core) for _ in range(args.repeat)]
    core_rates = [len(docs) / sum(t) for t, _ in core_runs]
    assert core_runs[0][1] == sum(firings), f"the C core alone fired {core_runs[0][1]} rules, full {sum(firings)}"
    parallel = speedup(ruleset, args.batch_n, args.seed, args.repeat)
    split = stages(docs[:200], ruleset, args.trials)
    mem = memory(args.memory_n, args.seed, args.ruleset)
    cold = cold_start(7)
    big = big_batch(args.big, args.seed, args.ruleset) if args.big else None
    load_after = load()
    full_rate, bare_rate, core_rate = statistics.median(rates), statistics.median(bare_rates), statistics.median(core_rates)
    result = {
        "machine": info, "load_before": load_before, "load_after": load_after, "n": args.n, "repeat": args.repeat,
        "ruleset": f"{ruleset.id} {ruleset.version} ({len(ruleset.rule_ids)} rules, {len(ruleset.rules)} compiled branches, "
                   f"{ruleset.strata} strata)",
        "full_rate": full_rate, "p50_ms": percentile(best, 0.5) * 1000, "p99_ms": percentile(best, 0.99) * 1000,
        "bare_rate": bare_rate, "overhead": bare_rate / full_rate - 1,
        "core_rate": core_rate, "over_core": core_rate / full_rate - 1,
        "firings_mean": statistics.mean(firings), "firings_median": statistics.median(firings),
        "us_per_firing_bare": 1e6 / bare_rate / statistics.mean(firings),
        **parallel, "speedup": parallel["j2"] / parallel["j1"], "ceiling": parallel["f2"] / parallel["f1"],
        "batch_n": args.batch_n, "memory": mem, "cold_s": statistics.median(cold),
        "cold_runs": [round(c, 3) for c in cold],
    }
    text = report(result, profile(docs[: min(500, len(docs))], ruleset) if args.profile else "")
    text += "\n" + stages_section(split, load_before, load_after)
    if big is not None:
        text += "\n" + big_section(big, info)
    if args.instructions:
        text += "\n" + instructions.section(instructions.measure())
    print(text)
    if not args.no_write:
        (HERE / "results.md").write_text(text, encoding="utf-8")
        print(f"wrote {HERE / 'results.md'}", file=sys.stderr)


if __name__ == "__main__":
    main()
