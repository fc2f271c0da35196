"""The text of benchmarks/results.md: the targets table and its sections (see bench.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

TARGETS = {"overhead": 0.25, "speedup": 1.8, "growth_mb": 10.0, "cold_s": 0.5, "stretch": 600.0}


def report(r: dict[str, Any], prof: str) -> str:
    m, mem = r["machine"], r["memory"]

    def met(ok: bool) -> str:
        return "yes" if ok else "**no**"
    rows = [
        ("full path, one process (CPU time)", f"{r['full_rate']:,.0f} evaluations/s", f">= {TARGETS['stretch']:,.0f} (stretch)",
         met(r["full_rate"] >= TARGETS["stretch"])),
        ("latency p50 / p99 (CPU time)", f"{r['p50_ms']:.2f} ms / {r['p99_ms']:.2f} ms", "", ""),
        ("bare durable_rules, same rules, through its Python API (CPU time)", f"{r['bare_rate']:,.0f} evaluations/s "
         f"({r['us_per_firing_bare']:.0f} µs per firing)", "", ""),
        ("our overhead over bare durable_rules", f"{r['overhead']:+.0%}", f"<= {TARGETS['overhead']:.0%}",
         met(r["overhead"] <= TARGETS["overhead"])),
        ("durable_rules' C core alone, driven as scaleup drives it (CPU time)", f"{r['core_rate']:,.0f} evaluations/s", "", ""),
        ("full path over the C core alone (the floor)", f"{r['over_core']:+.0%}", f"(<= {TARGETS['overhead']:.0%})",
         met(r["over_core"] <= TARGETS["overhead"])),
        ("firings per evaluation", f"{r['firings_mean']:.1f} mean, {r['firings_median']:.0f} median", "", ""),
        (f"batch -j 1 / -j 2, {r['batch_n']:,} scenarios (wall time, file to rows)", f"{r['j1']:,.0f} / {r['j2']:,.0f} evaluations/s", "", ""),
        ("speed-up -j 2", f"{r['speedup']:.2f}x", f">= {TARGETS['speedup']}x", met(r["speedup"] >= TARGETS["speedup"])),
        ("the machine's ceiling: 2 forked processes / 1, no pool", f"{r['ceiling']:.2f}x "
         f"({r['f1']:,.0f} / {r['f2']:,.0f} evaluations/s)", "", ""),
        (f"RSS growth over {mem['samples'][-1][0]:,} evaluations", f"{mem['growth_mb']:+.1f} MB (peak {mem['peak_mb']:.0f} MB)",
         f"< {TARGETS['growth_mb']:.0f} MB", met(mem["growth_mb"] < TARGETS["growth_mb"])),
        ("cold start, `scaleup evaluate` one file", f"{r['cold_s']:.3f} s (median of {len(r['cold_runs'])})",
         f"<= {TARGETS['cold_s']} s", met(r["cold_s"] <= TARGETS["cold_s"])),
    ]
    lines = ["# scaleup benchmark results", "",
             f"Machine: {m['cpu']}, {m['cores']} cores; {m['os']}; Python {m['python']}; durable_rules {m['durable_rules']}.  ",
             f"Date: {m['date']}; commit {m['commit']}.  ",
             f"Rule set: {r['ruleset']}.  ",
             f"Scenarios: {r['n']:,} generated (benchmarks/generate.py, seeded); rates are medians of {r['repeat']} runs.  ",
             f"Load average (1, 5, 15 min) before: {r['load_before']}; after: {r['load_after']} "
             "(the 2 cores are shared with other work, which lowers rates and the -j 2 speed-up).", "",
             "| measure | result | target | met |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    lines += ["", f"Memory samples (evaluations, RSS MB): {', '.join(f'{c:,}: {mb:.1f}' for c, mb in mem['samples'])}; "
              f"{mem['seconds']:.0f} s.", f"Cold-start runs (s): {', '.join(map(str, r['cold_runs']))}.", ""]
    if prof:
        lines += ["## Profile of the full path (cProfile, by own time)", "", "```", prof.strip(), "```", ""]
    return "\n".join(lines)


def split_section(title: str, intro: str, m: dict[str, float], unit: str, digits: int) -> str:
    """Where the full path's time (or instructions) goes, stage by stage, against both baselines."""
    full = m["validate"] + m["facts"] + m["engine"] + m["assemble"]
    rows = [("validation (pydantic, cross-field checks)", m["validate"]), ("input facts (to_facts)", m["facts"]),
            ("durable_rules' C core alone", m["core"]),
            ("engine wrapper: audit capture in actions, phases, lost-fact checks", m["engine"] - m["core"]),
            ("assembly of the recommendation, with the audit", m["assemble"])]
    lines = [f"## {title}", "",
             f"{intro} Full path {full:.{digits}f} {unit}; bare durable_rules through its Python API "
             f"{m['bare']:.{digits}f} {unit} (full path {full / m['bare'] - 1:+.0%}); durable_rules' C core alone "
             f"{m['core']:.{digits}f} {unit} (full path {full / m['core'] - 1:+.0%}).", "",
             f"| stage | {unit} | share of the C core alone |", "|---|---|---|"]
    lines += [f"| {name} | {value:.{digits}f} | {'(the floor)' if i == 2 else format(value / m['core'], '+.0%')} |"
              for i, (name, value) in enumerate(rows)]
    return "\n".join(lines) + "\n"


def stages_section(m: dict[str, float], before: str, after: str) -> str:
    return split_section("Where the time goes", f"CPU ms per evaluation, medians of interleaved trials (load {before} -> "
                         f"{after}).", m, "ms", 3)


def big_section(b: dict[str, Any], info: dict[str, str]) -> str:
    workers = "; ".join(f"{first} -> {last} MB (peak {peak})" for first, last, peak in b["workers"]) or "not sampled"
    return "\n".join([
        f"## A batch of {b['n']:,} scenarios", "",
        f"`scaleup batch in.jsonl -o out.jsonl -j 2` on {b['n']:,} generated scenarios ({info['date']}): "
        f"exit code {b['rc']}, {b['rows']:,} rows, {b['wall']:.0f} s wall, {b['rate']:,.0f} evaluations/s; "
        f"load {b['load_before']} -> {b['load_after']}.  ",
        f"Worker RSS, first sample -> last sample: {workers}; parent peak {b['parent_peak']:.0f} MB.  ",
        f"Summary line: {' '.join(b['summary'])}", ""])


def speedup_section(r: dict[str, float], n: int, before: str, after: str, info: dict[str, str]) -> str:
    return "\n".join([
        "## -j 2 speed-up, measured again", "",
        f"{info['date']}: `run_batch` on {n:,} scenarios, -j 1 {r['j1']:,.0f} / -j 2 {r['j2']:,.0f} evaluations/s: "
        f"**{r['j2'] / r['j1']:.2f}x** (target >= {TARGETS['speedup']}x). The machine's own ceiling, one and two "
        f"forked processes evaluating the same tasks with no pool: {r['f1']:,.0f} / {r['f2']:,.0f} evaluations/s, "
        f"{r['f2'] / r['f1']:.2f}x. Load {before} -> {after}.", ""])


def replace_section(path: Path, section: str) -> None:
    """Put ``section`` in place of the section with the same heading (or at the end)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    heading = section.splitlines()[0].split(" of ")[0] if section.startswith("## A batch") else section.splitlines()[0]
    parts = text.split("\n## ")
    kept = [p for p in parts[1:] if not ("## " + p).startswith(heading)]
    path.write_text("\n## ".join([parts[0]] + kept).rstrip("\n") + "\n\n" + section, encoding="utf-8")
