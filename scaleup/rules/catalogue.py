"""A compiled rule set described for readers: the rows of ``scaleup rules list`` and the
document of ``scaleup rules show`` (markdown, JSON or text), e.g. ``docs/rulebase.md``.

Everything is read from the compiled, engine-neutral form (:mod:`scaleup.rules.ir`), so the
document shows exactly what the engine runs: each rule's conditions per ``any:`` alternative,
each band of each scoring table with the basis and source of its edges, and the parameters with
their current values. Output is deterministic (no dates, no absolute paths).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Callable, Optional

from .ir import CompiledRule, CompiledRuleset, Emit, Pattern, Ref, RuleKind, Test
from ..safetext import terminal
from ..scenario.yamlio import load_document

REGENERATE = "scaleup rules show iasc-2018 -f markdown > docs/rulebase.md"
SYMBOLS = {"eq": "=", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "in": "in", "not_in": "not in"}


@dataclass(frozen=True)
class RuleRow:
    """One rule id (its ``any:`` alternatives and generated bands share it)."""

    id: str
    kind: str
    title: str
    basis: str
    source: str
    verified: bool
    file: str
    alternatives: int


def _relative(ruleset: CompiledRuleset, file: str) -> str:
    return os.path.relpath(file, ruleset.path).replace(os.sep, "/")


def rule_rows(ruleset: CompiledRuleset) -> list[RuleRow]:
    """One row per rule id, in rule-file order (strata do not reorder the listing)."""
    first: dict[str, CompiledRule] = {}
    count: Counter[str] = Counter()
    for rule in sorted(ruleset.rules, key=lambda r: (ruleset_file_index(ruleset, r), r.file, r.line or 0, r.branch)):
        first.setdefault(rule.id, rule)
        count[rule.id] += 1
    return [RuleRow(r.id, r.kind, r.title, r.basis, r.source, r.verified, _relative(ruleset, r.file), count[r.id])
            for r in first.values()]


def ruleset_file_index(ruleset: CompiledRuleset, rule: CompiledRule) -> int:
    rel = _relative(ruleset, rule.file)
    names = [f.split(":", 1)[-1] for f in ruleset.files]
    return names.index(rel) if rel in names else len(names)


def basis_counts(rows: list[RuleRow]) -> dict[str, int]:
    """Rules per basis (``source``, ``project``), the same for written rules only (bands and
    generated rules are all ``project``: the level mapping is ours), plus ``unverified``."""
    counts = Counter(r.basis for r in rows)
    written = Counter(r.basis for r in rows if r.kind == RuleKind.RULE)
    return {"source": counts["source"], "project": counts["project"],
            "written_source": written["source"], "written_project": written["project"],
            "unverified": sum(not r.verified for r in rows)}


def edge_counts(ruleset: CompiledRuleset) -> dict[str, int]:
    """Distinct band edges of the scoring tables, by the basis of the number itself."""
    edges = {(r.id.split("/")[0], th.field, th.value): th.basis for r in ruleset.rules if r.kind == RuleKind.BAND
             for th in r.thresholds if th.op in ("gte", "lt")}
    counts = Counter(edges.values())
    return {"edges": len(edges), "edges_source": counts["source"], "edges_project": counts["project"]}


# --- conditions and actions in words -----------------------------------------------------------

def _value(value: Any) -> str:
    if isinstance(value, Ref):
        return str(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _test(test: Test, name: str = "") -> str:
    shown = _value(test.value) + (f" (`{test.param}`)" if test.param else "")
    return f"{name or test.field} {SYMBOLS[test.op]} {shown}"


def describe_pattern(pattern: Pattern) -> str:
    """``indicator `hazard.onset` in [sudden, rapid_deterioration]``, ``not criterion ...``."""
    if pattern.type == "indicator":
        field = next((str(t.value) for t in pattern.tests if t.field == "field"), "?")
        tests = [_test(t, "value") for t in pattern.tests if t.field != "field"]
        body = f"indicator `{field}` " + (" and ".join(t.removeprefix("value ") for t in tests) if tests else "is given")
    else:
        body = pattern.type + " " + ", ".join(_test(t) for t in pattern.tests)
    alias = f" (as {pattern.alias})" if not pattern.alias.startswith("a") or not pattern.alias[1:].isdigit() else ""
    return ("not " if pattern.negated else "") + body.rstrip() + alias


def describe_emit(emit: Emit) -> str:
    return f"{emit.type}: " + ", ".join(f"{k} = {_value(v)}" for k, v in emit.fields)


def _band_condition(tests: list[Test]) -> str:
    """``1,000 to < 5,000``, ``>= 2``, ``< 0.5``, ``sudden``, ``contested or de_facto``."""
    ops: dict[str, Any] = {t.op: t.value for t in tests}   # an in test holds a tuple
    if "gte" in ops and "lt" in ops:
        return f"{_value(ops['gte'])} to < {_value(ops['lt'])}"
    if "in" in ops:
        return " or ".join(str(v) for v in ops["in"])
    if "eq" in ops:
        return str(ops["eq"])
    return " and ".join(f"{SYMBOLS[t.op]} {_value(t.value)}" for t in tests)


def _band(rule: CompiledRule) -> dict[str, Any]:
    tests = [t for t in rule.patterns[0].tests if t.field != "field"]
    level = next(v for k, v in rule.emits[0].fields if k == "level")
    return {"level": level, "condition": _band_condition(tests),
            "edges": [{"value": th.value, "basis": th.basis, "source": th.source} for th in rule.thresholds
                      if th.op in ("gte", "lt")]}


def _file_title(file: str) -> Optional[str]:
    try:
        data = load_document(file).data
    except Exception:   # a missing or unreadable file only costs the heading
        return None
    return data.get("title") if isinstance(data, dict) else None


def describe(ruleset: CompiledRuleset) -> dict[str, Any]:
    """The whole rule set as JSON-able data, grouped by file in include order."""
    rows = rule_rows(ruleset)
    by_id: dict[str, list[CompiledRule]] = {}
    for rule in ruleset.rules:
        by_id.setdefault(rule.id, []).append(rule)
    files: dict[str, dict[str, Any]] = {}
    for row in rows:
        branches = sorted(by_id[row.id], key=lambda r: r.branch)
        rule = branches[0]
        if row.file not in files:
            files[row.file] = {"file": row.file, "title": _file_title(rule.file), "tables": {}, "rules": []}
        entry = files[row.file]
        if rule.kind == RuleKind.BAND:
            field = next(str(t.value) for t in rule.patterns[0].tests if t.field == "field")
            criterion = rule.id.split("/", 1)[0]
            table = entry["tables"].setdefault(criterion, {"criterion": criterion, "indicators": {}})
            indicator = table["indicators"].setdefault(field, {
                "field": field, "title": rule.title.split(":", 1)[0], "basis": rule.basis,
                "source": rule.source, "verified": rule.verified, "note": rule.description, "bands": []})
            indicator["bands"].append({"rule": rule.id, **_band(rule)})
            continue
        entry["rules"].append({
            **asdict(row), "section": rule.section, "description": rule.description,
            "alternatives": [{"when": [describe_pattern(p) for p in b.patterns],
                              "then": [describe_emit(e) for e in b.emits]} for b in branches]})
    for entry in files.values():
        entry["tables"] = [{"criterion": t["criterion"], "indicators": list(t["indicators"].values())}
                           for t in entry["tables"].values()]
    return {
        "id": ruleset.id, "version": ruleset.version, "title": ruleset.title,
        "effective_from": ruleset.effective_from.isoformat(),
        "counts": {"rules": len(rows), "bands": sum(r.kind == RuleKind.BAND for r in rows),
                   "generated": sum(r.kind in (RuleKind.COMBINE, RuleKind.INSUFFICIENT) for r in rows),
                   "written": sum(r.kind == RuleKind.RULE for r in rows), **basis_counts(rows), **edge_counts(ruleset),
                   "engine_rules": len(ruleset.rules), "strata": ruleset.strata},
        "caveats": [c.model_dump(exclude_none=True) for c in ruleset.caveats],
        "sources": {k: s.model_dump(exclude_none=True) for k, s in ruleset.sources.items()},
        "parameters": {k: p.model_dump(exclude_none=True) for k, p in ruleset.parameters.items()},
        "files": list(files.values()),
    }


def render_json(ruleset: CompiledRuleset) -> str:
    return json.dumps(describe(ruleset), indent=2, ensure_ascii=False, default=str) + "\n"


def list_json(ruleset: CompiledRuleset) -> str:
    rows = rule_rows(ruleset)
    return json.dumps({"ruleset": ruleset.id, "version": ruleset.version, "counts": basis_counts(rows),
                       "rules": [asdict(r) for r in rows]}, indent=2, ensure_ascii=False) + "\n"


def list_text(ruleset: CompiledRuleset) -> str:
    rows = rule_rows(ruleset)
    width = max(len(r.id) for r in rows)
    lines = [f"{r.id:<{width}}  {r.basis:<7}  {r.source:<24}  {'' if r.verified else '(unverified) '}{r.title}"
             for r in rows]
    c = basis_counts(rows)
    lines.append(f"{len(rows)} rules in {ruleset.id} {ruleset.version}: {c['source']} basis source, "
                 f"{c['project']} basis project ({c['unverified']} unverified); of the "
                 f"{c['written_source'] + c['written_project']} written rules {c['written_source']} source, "
                 f"{c['written_project']} project")
    return "\n".join(map(terminal, lines)) + "\n"


LIST_RENDERERS: dict[str, Callable[[CompiledRuleset], str]] = {"text": list_text, "json": list_json}
