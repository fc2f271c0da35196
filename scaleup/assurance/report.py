"""Text and JSON forms of the ``rules check``, ``rules coverage`` and ``rules diff`` reports.

Text is for people (one finding per line, located, then a summary); JSON carries the same
content for tools. Both are deterministic for a given rule set and corpus, apart from timings.
"""

from __future__ import annotations

import json
from typing import Callable

from .check import CheckReport
from .coverage import Coverage
from .diff import RulesetDiff
from .findings import ERROR, INFO, WARNING
from .situations import level_label

ORDER = {ERROR: 0, WARNING: 1, INFO: 2}


def check_text(report: CheckReport) -> str:
    lines = [str(f) for f in sorted(report.findings, key=lambda f: ORDER[f.severity])]
    name = f"{report.ruleset} {report.version}".strip()
    lines.append(f"{name}: {report.count(ERROR)} errors, {report.count(WARNING)} warnings "
                 f"({report.seconds:.1f} s)")
    return "\n".join(lines) + "\n"


def check_json(report: CheckReport) -> str:
    data: dict[str, object] = {
        "ruleset": report.ruleset, "version": report.version, "path": report.path,
        "errors": report.count(ERROR), "warnings": report.count(WARNING), "seconds": round(report.seconds, 2),
        "findings": [f.to_dict() for f in sorted(report.findings, key=lambda f: ORDER[f.severity])],
        "pairs": [{"slot": v.pair.slot, "rules": [v.pair.a.key, v.pair.b.key], "status": v.status, "reason": v.reason}
                  for v in report.verdicts]}
    c = report.completeness
    if c is not None:
        data["completeness"] = {
            "targets": {t: {"combinations": r.combinations, "evaluations": r.evaluations} for t, r in c.targets.items()},
            "defects": [d.to_dict() for d in c.defects],
            "crosscheck": {"sample": c.sample, "seed": c.seed, "disagreements": [
                {"case": d.case, "levels": [level_label(x) for x in d.levels], "target": d.target,
                 "python": list(d.python), "durable_rules": list(d.durable)} for d in c.disagreements]},
            "seconds": round(c.seconds + c.crosscheck_seconds, 2)}
    i = report.invariants
    if i is not None:
        data["invariants"] = {"combinations": i.combinations, "classes": i.classes, "evaluations": i.evaluations,
                              "broken": i.by_code, "violations": [v.to_dict() for v in i.violations],
                              "seconds": round(i.seconds, 2)}
    return json.dumps(data, indent=2) + "\n"


def coverage_text(cov: Coverage) -> str:
    s = cov.summary()
    lines = [f"{cov.ruleset} {cov.version} over {s['scenarios']} scenarios",
             f"rules fired:    {s['rules_fired']} of {s['rules']} ({s['rules_percent']}%)",
             f"branches fired: {s['branches_fired']} of {s['branches']}",
             f"conditions seen true and false: {s['conditions_covered']} of {s['conditions']} ({s['conditions_percent']}%)"]
    never = cov.never()
    if never:
        lines.append("")
        lines.append(f"never fired ({len(never)}):")
        lines += [f"  {cov.locations[r]}: {r}" for r in never]
    lines.append("")
    lines.append("bands (scenarios in which each band fired):")
    width = max((len(k) for k in cov.bands), default=0)
    for indicator, bands in cov.bands.items():
        cells = "  ".join(f"{b.rsplit('/', 1)[-1]}:{n}" for b, n in bands.items())
        lines.append(f"  {indicator.ljust(width)}  {cells}")
    half = [c for c in cov.conditions if not c.covered]
    if half:
        lines.append("")
        lines.append(f"conditions not seen both ways ({len(half)}):")
        for c in half:
            seen = "never true" if not c.true else "never false"
            lines.append(f"  {c.key} [{c.index}] {c.text}: {seen} ({c.true} true, {c.false} false)")
    return "\n".join(lines) + "\n"


def coverage_json(cov: Coverage) -> str:
    return json.dumps(cov.to_dict(), indent=2) + "\n"


def _changes(old: dict, new: dict) -> list[str]:
    out = []
    for key in ("decision", "route"):
        if old[key] != new[key]:
            out.append(f"{key} {'/'.join(old[key]) or 'none'} -> {'/'.join(new[key]) or 'none'}")
    for role in sorted(set(old["leads"]) | set(new["leads"])):
        a, b = old["leads"].get(role, []), new["leads"].get(role, [])
        if a != b:
            out.append(f"lead {role} {', '.join(a) or 'none'} -> {', '.join(b) or 'none'}")
    return out


def diff_text(d: RulesetDiff) -> str:
    lines = [f"{d.old} -> {d.new}"]
    if not d.changed:
        lines.append("no rule, band, parameter or source changed")
    for name, a, b in d.parameters:
        lines.append(f"parameter {name}: {a} -> {b}")
    for band in d.bands:
        lines.append(f"bands {band.describe()}")
    for c in d.rules:
        lines.append(f"rule {c.id}: {c.change}" + (f" ({', '.join(c.what)})" if c.what else "") + f" at {c.at}")
    for sid, change in d.sources:
        lines.append(f"source {sid}: {change}")
    if d.scenarios:
        lines.append("")
        lines.append(f"{len(d.impacts)} of {d.scenarios} scenarios changed")
        for i in d.impacts:
            lines.append(f"  {i.scenario}")
            lines += [f"    {change}" for change in _changes(i.old, i.new)]
            if i.blame is not None:
                b = i.blame
                lines.append(f"    blame: {b.key} ({b.how}{'; ' + b.detail if b.detail else ''})")
    return "\n".join(lines) + "\n"


def diff_json(d: RulesetDiff) -> str:
    data = {
        "old": d.old, "new": d.new,
        "parameters": [{"name": n, "old": a, "new": b} for n, a, b in d.parameters],
        "bands": [{"indicator": b.indicator, "change": b.describe(),
                   "old": [list(x) for x in b.old], "new": [list(x) for x in b.new]} for b in d.bands],
        "rules": [{"id": c.id, "change": c.change, "what": list(c.what), "at": c.at} for c in d.rules],
        "sources": [{"id": s, "change": c} for s, c in d.sources],
        "scenarios": d.scenarios,
        "impacts": [{"scenario": i.scenario, "old": i.old, "new": i.new, "changes": _changes(i.old, i.new),
                     "blame": None if i.blame is None else {"rule": i.blame.rule, "key": i.blame.key, "how": i.blame.how,
                                                            "changed_rule": i.blame.changed, "detail": i.blame.detail}}
                    for i in d.impacts],
        "problems": [p.to_dict() for p in d.problems]}
    return json.dumps(data, indent=2) + "\n"


CHECK: dict[str, Callable[[CheckReport], str]] = {"text": check_text, "json": check_json}
COVERAGE: dict[str, Callable[[Coverage], str]] = {"text": coverage_text, "json": coverage_json}
DIFF: dict[str, Callable[[RulesetDiff], str]] = {"text": diff_text, "json": diff_json}
