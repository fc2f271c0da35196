"""YAML files against JSON Lines: the fast YAML path (libyaml events) and the pure-Python reader.

Measured in one run, on the same generated scenarios (benchmarks/generate.py), each written once as
its own YAML file (as a person writes one: block style, dates unquoted) and once as a line of one
JSON Lines file:

- per-file parse time, ``parse_document`` on the bytes, fast path vs pure-Python reader (CPU time,
  median per file), on the generated files and on the scenarios shipped in ``scenarios/``;
- ``run_batch`` -j 1 (in this process: inputs found and read, parsed, validated, evaluated, rows
  written) over the N YAML files with the fast path, over the same N files with the pure reader,
  and over the one .jsonl file; runs interleaved, medians of ``--repeat`` runs of CPU and wall
  time; the YAML / JSON Lines ratio is the figure of issue 16 (target <= 1.5x).

The pure reader is measured by switching the fast path off (``scaleup.scenario.yamlio.read_fast`` returning
None), which is what happens when PyYAML has no libyaml.

Usage:
    python benchmarks/yaml_batch.py              # 1,000 scenarios, 5 runs; writes a section of results.md
    python benchmarks/yaml_batch.py --quick      # 200 scenarios, 3 runs
    python benchmarks/yaml_batch.py --no-write   # print only
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import scenarios  # noqa: E402
from processes import load, machine  # noqa: E402
from report import replace_section  # noqa: E402

from scaleup.scenario import yamlfast, yamlio  # noqa: E402
from scaleup.batch.run import run_batch  # noqa: E402
from scaleup.rules.load import load_ruleset  # noqa: E402

TARGET = 1.5


@contextmanager
def pure_reader() -> Iterator[None]:
    """The fast path switched off: every YAML document is read by the pure-Python reader."""
    saved = yamlio.read_fast
    yamlio.read_fast = lambda text, limits: None
    try:
        yield
    finally:
        yamlio.read_fast = saved


def as_written(value: Any) -> Any:
    """ISO dates as dates, so that the YAML holds them unquoted as people write them."""
    if isinstance(value, dict):
        return {k: as_written(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_written(v) for v in value]
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def write_inputs(folder: Path, n: int, seed: int) -> tuple[Path, Path]:
    """N YAML files in ``folder/yaml`` and the same N scenarios as ``folder/all.jsonl``."""
    files = folder / "yaml"
    files.mkdir()
    lines = []
    for i, data in enumerate(scenarios(n, seed)):
        text = yaml.safe_dump(as_written(data), sort_keys=False, allow_unicode=True, default_flow_style=False)
        (files / f"gen-{i:06d}.yaml").write_text(text, encoding="utf-8")
        lines.append(json.dumps(data, ensure_ascii=False))
    jsonl = folder / "all.jsonl"
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return files, jsonl


def parse_ms(raws: list[bytes], repeat: int) -> float:
    """Median CPU ms to parse one file (each file's best of ``repeat``)."""
    per_file = []
    for raw in raws:
        best = float("inf")
        for _ in range(repeat):
            start = time.process_time()
            yamlio.parse_document(raw, "x.yaml")
            best = min(best, time.process_time() - start)
        per_file.append(best)
    return statistics.median(per_file) * 1000


def batch_once(path: Path, ruleset: Any, n: int) -> tuple[float, float]:
    """(CPU s, wall s) of one ``run_batch`` -j 1 over ``path``, output to a file."""
    with tempfile.TemporaryDirectory() as tmp:
        cpu, wall = time.process_time(), time.perf_counter()
        summary = run_batch([str(path)], ruleset, fmt="jsonl", output=Path(tmp) / "out.jsonl", workers=1)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert summary.status["ok"] == n, summary.status
    return cpu, wall


def measure(n: int, seed: int, repeat: int, ruleset_name: str) -> dict[str, Any]:
    ruleset = load_ruleset(ruleset_name)
    with tempfile.TemporaryDirectory() as tmp:
        files, jsonl = write_inputs(Path(tmp), n, seed)
        generated = [p.read_bytes() for p in sorted(files.iterdir())]
        shipped = [p.read_bytes() for p in sorted((ROOT / "scenarios").glob("*.yaml"))]
        answered = sum(yamlfast.read_fast(raw.decode(), yamlio.DEFAULT_LIMITS) is not None for raw in generated + shipped)
        parse = {"generated_fast": parse_ms(generated[:300], 3), "shipped_fast": parse_ms(shipped, 5)}
        with pure_reader():
            parse.update(generated_pure=parse_ms(generated[:300], 3), shipped_pure=parse_ms(shipped, 5))
        batch_once(jsonl, ruleset, n)                      # warm-up: engine built, caches filled
        runs: dict[str, list[tuple[float, float]]] = {"jsonl": [], "yaml": [], "pure": []}
        for _ in range(repeat):                            # interleaved, so that load changes hit all three
            runs["jsonl"].append(batch_once(jsonl, ruleset, n))
            runs["yaml"].append(batch_once(files, ruleset, n))
            with pure_reader():
                runs["pure"].append(batch_once(files, ruleset, n))
    med = {k: (statistics.median(c for c, _ in v), statistics.median(w for _, w in v)) for k, v in runs.items()}
    return {"n": n, "repeat": repeat, "parse": parse, "answered": answered, "files": len(generated) + len(shipped),
            "shipped": len(shipped), "bytes": statistics.median(map(len, generated)), "batch": med,
            "ratio_cpu": med["yaml"][0] / med["jsonl"][0], "ratio_wall": med["yaml"][1] / med["jsonl"][1],
            "ratio_pure_cpu": med["pure"][0] / med["jsonl"][0], "ratio_pure_wall": med["pure"][1] / med["jsonl"][1]}


def section(r: dict[str, Any], info: dict[str, str], before: str, after: str) -> str:
    p, b, n = r["parse"], r["batch"], r["n"]

    def row(name: str, key: str) -> str:
        cpu, wall = b[key]
        return (f"| {name} | {cpu:.2f} s ({cpu / n * 1000:.2f} ms/scenario) | {wall:.2f} s ({n / wall:,.0f}/s) | "
                f"{cpu / b['jsonl'][0]:.2f}x | {wall / b['jsonl'][1]:.2f}x |")
    met = "yes" if r["ratio_cpu"] <= TARGET else "**no**"
    return "\n".join([
        "## YAML files against JSON Lines (the fast YAML path)", "",
        f"{info['date']}, commit {info['commit']}; `python benchmarks/yaml_batch.py`; the 2 cores are shared with other "
        f"agents' work (load {before} -> {after}), so CPU time is the figure to trust and wall time moves with the "
        "neighbours.", "",
        f"Per-file parse (`parse_document` on the bytes, CPU ms, median per file): generated scenarios "
        f"({r['bytes']:,.0f} bytes median, block style) **{p['generated_pure']:.2f} -> {p['generated_fast']:.2f} ms** "
        f"({p['generated_pure'] / p['generated_fast']:.1f}x); the {r['shipped']} scenarios in `scenarios/` "
        f"(comments, long texts, `expect:` blocks) **{p['shipped_pure']:.2f} -> {p['shipped_fast']:.2f} ms** "
        f"({p['shipped_pure'] / p['shipped_fast']:.1f}x). The fast path answered for {r['answered']} of {r['files']} "
        "files.", "",
        f"`run_batch` -j 1 on {n:,} generated scenarios, in this process, files to rows (medians of {r['repeat']} "
        "interleaved runs):", "",
        "| input | CPU time | wall time | CPU / JSON Lines | wall / JSON Lines |", "|---|---|---|---|---|",
        row("one .jsonl file", "jsonl"), row(f"{n:,} .yaml files, fast path", "yaml"),
        row(f"{n:,} .yaml files, pure-Python reader", "pure"), "",
        f"YAML batch / JSON Lines batch: **{r['ratio_cpu']:.2f}x** CPU, {r['ratio_wall']:.2f}x wall "
        f"(target <= {TARGET}x: {met}); with the pure-Python reader {r['ratio_pure_cpu']:.2f}x CPU, "
        f"{r['ratio_pure_wall']:.2f}x wall. YAML files add {(b['yaml'][0] - b['jsonl'][0]) / n * 1000:.2f} ms "
        f"of CPU per scenario (fast path; {(b['pure'][0] - b['jsonl'][0]) / n * 1000:.2f} ms with the pure reader): "
        "finding, opening and hashing one file each, and parsing YAML rather than one JSON line.", ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="scenarios (YAML files, JSON Lines lines)")
    parser.add_argument("--repeat", type=int, default=5, help="interleaved batch runs")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--ruleset", default="iasc-2018")
    parser.add_argument("--quick", action="store_true", help="200 scenarios, 3 runs")
    parser.add_argument("--no-write", action="store_true", help="print only; leave results.md alone")
    args = parser.parse_args()
    if args.quick:
        args.n, args.repeat = 200, 3
    if not yamlfast.available():
        sys.exit("PyYAML was built without libyaml here: there is no fast path to measure")
    info, before = machine(), load()
    result = measure(args.n, args.seed, args.repeat, args.ruleset)
    text = section(result, info, before, load())
    print(text)
    if not args.no_write:
        replace_section(HERE / "results.md", text)


if __name__ == "__main__":
    main()
