"""Find durable_rules' real limits for the shape of rules scaleup registers.

Each experiment builds compiled rules (``scaleup.rules.ir``) of one shape with a size ``n``,
registers them through :class:`scaleup.engine.durable.Engine` (so through :func:`scaleup.rules.translate.translate`,
exactly as a rule file would be) and evaluates one fact. It runs in a child process with a timeout,
because past some limits durable_rules loops forever.

    .venv/bin/python -m fuzz.durable_limits            # the table for docs/limits.md (about a minute)
    .venv/bin/python -m fuzz.durable_limits KIND N     # one experiment, in this process: may hang!

Shapes (all conditions on ``flag`` facts; the evaluated fact is ``{t: flag, name: x, level: 3}``;
one more rule, on another fact, always fires):

- ``tests``: n rules ``name == n<i>``: n different tests after the ``t == flag`` node;
- ``identical``: n rules with the identical condition ``name == x``;
- ``in_groups``: n rules ``name in [x, y]``: n ``in:`` groups through the ``name == x`` node;
- ``terms``: one rule whose condition has n ``not_in:`` groups (2 terms each, plus 2 for the ``$and``);
- ``pending``: n rules ``level < 10 + i``: all n pass for the fact at once.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from typing import Callable

from scaleup.facts import Fact
from scaleup.rules.ir import CompiledRule, CompiledRuleset, Emit, Pattern, Test
from scaleup.rules.limits import RuleLimits, check_rules

TIMEOUT = 15.0
FACT = Fact("i1", "flag", {"name": "x", "level": 3}, "experiment")
# One rule always fires: durable_rules aborts the process in delete_state when nothing fired.
GO = Fact("i2", "finding", {"name": "go"}, "experiment")


def _rule(i: int, tests: tuple[Test, ...], type_: str = "flag") -> CompiledRule:
    return CompiledRule(f"r{i}", f"r{i}", 1, "rule", "experiment", "X", "project", None, True, None,
                        (Pattern("a0", type_, tests),), (Emit("note", (("text", f"r{i}"),)),), (),
                        "experiment.yaml", i + 1)


GO_RULE = _rule(-1, (Test("name", "eq", "go"),), "finding")


SHAPES: dict[str, Callable[[int], list[CompiledRule]]] = {
    "tests": lambda n: [_rule(i, (Test("name", "eq", f"n{i}"),)) for i in range(n)],
    "identical": lambda n: [_rule(i, (Test("name", "eq", "x"),)) for i in range(n)],
    "in_groups": lambda n: [_rule(i, (Test("name", "in", ("x", "y")),)) for i in range(n)],
    "terms": lambda n: [_rule(0, tuple(Test("name", "not_in", (f"z{k}",)) for k in range(n)))],
    "pending": lambda n: [_rule(i, (Test("level", "lt", 10 + i),)) for i in range(n)],
}
# sizes around scaleup's limit and durable_rules' real one, per shape
BOUNDARIES = {"tests": (500, 501, 511, 512, 513), "identical": (256, 257), "in_groups": (63, 64, 65),
              "terms": (14, 15), "pending": (63, 64, 65)}
UNLIMITED = RuleLimits(max_node_tests=10**9, max_identical=10**9, max_in_groups=10**9, max_terms=10**9,
                       max_pending=10**9)


def ruleset(kind: str, n: int) -> CompiledRuleset:
    return CompiledRuleset(f"limits-{kind}", "0.0.0", "experiment", "experiment", f"{kind}-{n}".ljust(64, "0"),
                           dt.date(2020, 1, 1), {}, {}, (), (GO_RULE, *SHAPES[kind](n)), 0)


def run_one(kind: str, n: int) -> str:
    """Register and evaluate in this process; return what happened (may never return)."""
    from scaleup.engine.durable import Engine
    from scaleup.errors import EngineError
    rs = ruleset(kind, n)
    try:
        engine = Engine(rs)
    except EngineError as exc:
        return f"refused at registration: {exc.problems[0].message.rsplit(': ', 1)[-1]}"
    print("registered", flush=True)
    try:
        fired = len(engine.evaluate([GO, FACT]).firings) - 1
    except EngineError as exc:
        return f"failed during evaluation: {exc.problems[0].message.rsplit(': ', 1)[-1]}"
    return f"ok ({fired} firings)"


def run_child(kind: str, n: int, timeout: float = TIMEOUT) -> str:
    """:func:`run_one` in a child process: a hang becomes "hangs at registration/evaluation"."""
    try:
        done = subprocess.run([sys.executable, "-m", "fuzz.durable_limits", kind, str(n)],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return "hangs during evaluation" if "registered" in out else "hangs at registration"
    if done.returncode != 0:
        return f"crashed (return code {done.returncode}): {done.stderr.strip()[-200:]}"
    return done.stdout.strip().splitlines()[-1]


def model(kind: str, n: int) -> str:
    """What scaleup.rules.limits says about the same rules (with the default limits)."""
    problems = check_rules(ruleset(kind, n).rules, "experiment/ruleset.yaml")
    return "refused: " + problems[0].message.split(" (at most")[0] if problems else "accepted"


def run_many(experiments: list[tuple[str, int]], timeout: float = 120.0) -> list[str]:
    """Several experiments that cannot hang, in one child process (one result per experiment)."""
    args = [f"{kind}:{n}" for kind, n in experiments]
    done = subprocess.run([sys.executable, "-m", "fuzz.durable_limits", "--many", *args],
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"return code {done.returncode}: {done.stderr[-500:]}")
    return [line for line in done.stdout.splitlines() if line != "registered"]


def main(argv: list[str]) -> int:
    if len(argv) == 3:
        print(run_one(argv[1], int(argv[2])), flush=True)
        return 0
    if len(argv) > 1 and argv[1] == "--many":
        for arg in argv[2:]:
            kind, n = arg.split(":")
            print(run_one(kind, int(n)), flush=True)
        return 0
    print("| shape | n | durable_rules 2.0.28 | scaleup's check |\n|---|---|---|---|")
    for kind, sizes in BOUNDARIES.items():
        for n in sizes:
            print(f"| {kind} | {n} | {run_child(kind, n)} | {model(kind, n)} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
