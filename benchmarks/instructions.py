"""Instruction counts per evaluation, stage by stage, under valgrind's callgrind.

CPU time on a shared 2-core machine moves by 30% with the neighbours' load; instruction counts do
not (the same binary and inputs give the same count). Each stage runs in its own process over the
same 100 prepared scenarios; ``count(stage) - count(none)`` is that stage's cost, so setup
(imports, rule set, scenario preparation) cancels out.

    python benchmarks/instructions.py            # prints the table (about 5 minutes)
    python benchmarks/instructions.py --stage engine   # one stage, what callgrind runs
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from report import split_section  # noqa: E402

STAGES = ("none", "bare", "core", "engine", "validate", "facts", "assemble")
N = 100


def run_stage(stage: str) -> None:
    """Prepare N scenarios (identically for every stage), then run one stage over all of them."""
    from bench import SID, Bare, Core, documents

    from scaleup.engine.durable import engine_for
    from scaleup.recommendation.assemble import assemble
    from scaleup.rules.load import load_ruleset
    from scaleup.scenario.load import validate_document
    ruleset = load_ruleset("iasc-2018")
    docs = documents(N, 5)
    engine, bare, core = engine_for(ruleset), Bare(ruleset), Core(ruleset)
    loaded = [validate_document(d) for d in docs]
    facts = [item.facts() for item in loaded]
    prebuilt = [[f.engine_dict(SID) for f in batch] for batch in facts]
    evaluations = [engine.evaluate(f, item.name) for f, item in zip(facts, loaded)]
    for batch in prebuilt[:5]:
        bare.evaluate([dict(f) for f in batch])
        core.evaluate([dict(f) for f in batch])
    if stage in ("bare", "core"):
        baseline = bare if stage == "bare" else core
        for batch in prebuilt:
            baseline.evaluate([dict(f) for f in batch])
    elif stage == "engine":
        for batch, item in zip(facts, loaded):
            engine.evaluate(batch, item.name)
    elif stage == "validate":
        for doc in docs:
            validate_document(doc)
    elif stage == "facts":
        for item in loaded:
            item.facts()
    elif stage == "assemble":
        for evaluation, item in zip(evaluations, loaded):
            assemble(evaluation, item)


def count(stage: str, folder: Path) -> int:
    out = folder / f"{stage}.out"
    # a fixed hash seed: set and dict layouts, hence instruction counts, then repeat exactly
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, __file__,
                    "--stage", stage], check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    match = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no instruction total in {out}")
    return int(match.group(1))


def measure(parallel: int = 2) -> dict[str, float]:
    """Millions of instructions per evaluation for each stage (and bare durable_rules)."""
    if shutil.which("valgrind") is None:
        raise RuntimeError("valgrind is not installed (apt-get install -y valgrind)")
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(parallel) as pool:
        totals = dict(zip(STAGES, pool.map(lambda s: count(s, Path(tmp)), STAGES)))
    return {s: (totals[s] - totals["none"]) / N / 1e6 for s in STAGES if s != "none"}


def section(m: dict[str, float]) -> str:
    return split_section("Instruction counts (callgrind)", f"Millions of instructions (M) per evaluation over {N} "
                         "generated scenarios; unaffected by machine load.", m, "M", 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", choices=STAGES)
    args = parser.parse_args()
    if args.stage:
        run_stage(args.stage)
    else:
        print(section(measure()))


if __name__ == "__main__":
    main()
