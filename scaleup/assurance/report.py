"""Text and JSON forms of the ``rules check``, ``rules coverage`` and ``rules diff`` reports.

Text is for people (one finding per line, located, then a summary); JSON carries the same
content for tools. Both are deterministic for a given rule set and corpus, apart from timings.
"""

from __future__ import annotations

import json
from typing import Callable

from ..safetext import terminal
from .check import CheckReport
from .coverage import Coverage
from .diff import RulesetDiff
from .findings import Severity
from .situations import level_label

def check_text(report: CheckReport) -> str:
    lines = [str(f) for f in sorted(report.findings, key=lambda f: f.severity.rank)]
    name = f"{report.ruleset} {report.version}".strip()
    lines.append(f"{name}: {report.count(Severity.ERROR)} errors, {report.count(Severity.WARNING)} warnings "
                 f"({report.seconds:.1f} s)")
    return "\n".join(map(terminal, lines)) + "\n"


def check_json(report: CheckReport) -> str:
    data: dict[str, object] = {
        "ruleset": report.ruleset, "version": report.version, "path": report.path,
        "errors": report.count(Severity.ERROR), "warnings": report.count(Severity.WARNING), "seconds": round(report.seconds, 2),
        "findings": [f.to_dict() for f in sorted(report.findings, key=lambda f: f.severity.rank)],
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
    return "\n".join(map(terminal, lines)) + "\n"


def coverage_json(cov: Coverage) -> str:
    return json.dumps(cov.to_dict(), indent=2) + "\n"


# How each output field of a diff's outcome is summarised: one-value fields as "old -> new",
# named ones per name, lists as what was added (+) and removed (-).
_ONE = {"decision": "decision", "route": "route", "variant": "variant", "scope": "scope",
        "unhcr_level": "UNHCR level"}
_NAMED = {"leads": "lead", "criteria": "criterion", "clusters": "cluster"}
_LISTS = {"plans": "plan", "milestones": "milestone", "flags": "flag", "notes": "note"}
_ORDER = ("decision", "route", "leads", "variant", "scope", "criteria", "clusters", "unhcr_level",
          "plans", "milestones", "flags", "notes")


def _changes(old: dict, new: dict) -> list[str]:
    """One readable line per output field (or name, or list entry) that differs."""
    out = []
    for key in _ORDER:
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if key in _ONE:
            out.append(f"{_ONE[key]} {'/'.join(a or []) or 'none'} -> {'/'.join(b or []) or 'none'}")
        elif key in _NAMED:
            for name in sorted(set(a or {}) | set(b or {})):
                x, y = (a or {}).get(name, []), (b or {}).get(name, [])
                if x != y:
                    out.append(f"{_NAMED[key]} {name} {', '.join(x) or 'none'} -> {', '.join(y) or 'none'}")
        else:
            x, y = a or [], b or []
            out += [f"{_LISTS[key]} - {v}" for v in x if v not in y]
            out += [f"{_LISTS[key]} + {v}" for v in y if v not in x]
    return out


def _fields_changed(d: RulesetDiff) -> dict[str, int]:
    """How many changed scenarios each output field changed in, in output order."""
    counts = {k: sum(i.old.get(k) != i.new.get(k) for i in d.impacts) for k in _ORDER}
    return {("UNHCR level" if k == "unhcr_level" else k): n for k, n in counts.items() if n}


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
        fields = _fields_changed(d)
        lines.append(f"{len(d.impacts)} of {d.scenarios} scenarios changed"
                     + (f": {', '.join(f'{k} in {n}' for k, n in fields.items())}" if fields else ""))
        for i in d.impacts:
            lines.append(f"  {i.scenario}")
            lines += [f"    {change}" for change in _changes(i.old, i.new)]
            if i.blame is not None:
                b = i.blame
                lines.append(f"    blame: {b.key} ({b.how}{'; ' + b.detail if b.detail else ''})")
    return "\n".join(map(terminal, lines)) + "\n"


def diff_json(d: RulesetDiff) -> str:
    data = {
        "old": d.old, "new": d.new,
        "parameters": [{"name": n, "old": a, "new": b} for n, a, b in d.parameters],
        "bands": [{"indicator": b.indicator, "change": b.describe(),
                   "old": [list(x) for x in b.old], "new": [list(x) for x in b.new]} for b in d.bands],
        "rules": [{"id": c.id, "change": c.change, "what": list(c.what), "at": c.at} for c in d.rules],
        "sources": [{"id": s, "change": c} for s, c in d.sources],
        "scenarios": d.scenarios,
        "fields_changed": _fields_changed(d),
        "impacts": [{"scenario": i.scenario, "old": i.old, "new": i.new, "changes": _changes(i.old, i.new),
                     "blame": None if i.blame is None else {"rule": i.blame.rule, "key": i.blame.key, "how": i.blame.how,
                                                            "changed_rule": i.blame.changed, "detail": i.blame.detail}}
                    for i in d.impacts],
        "problems": [p.to_dict() for p in d.problems]}
    return json.dumps(data, indent=2) + "\n"


CHECK: dict[str, Callable[[CheckReport], str]] = {"text": check_text, "json": check_json}
COVERAGE: dict[str, Callable[[Coverage], str]] = {"text": coverage_text, "json": coverage_json}
DIFF: dict[str, Callable[[RulesetDiff], str]] = {"text": diff_text, "json": diff_json}
