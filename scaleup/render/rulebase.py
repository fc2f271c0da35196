"""Render the description of a rule set (:func:`scaleup.rules.catalogue.describe`) as markdown or
plain text, for ``scaleup rules show``. The markdown is ``docs/rulebase.md``.
"""

from __future__ import annotations

from typing import Any, Callable

from ..rules.ir import CompiledRuleset
from .markdown import code, esc, esc_text
from ..rules.catalogue import REGENERATE, describe, render_json
from ..safetext import terminal


def _cell(value: Any) -> str:
    """Text from the rule set, escaped for Markdown (a table cell, a list item, a heading)."""
    return "" if value is None else esc(str(value))


def _counts(d: dict[str, Any]) -> str:
    c = d["counts"]
    return (f"{c['rules']} rules: {c['bands']} scoring bands, {c['generated']} generated per criterion "
            f"(combine, insufficient evidence) and {c['written']} written rules. By basis: {c['source']} "
            f"source, {c['project']} project (every band maps values to levels, which is ours); of the "
            f"written rules {c['written_source']} source, {c['written_project']} project. Of the "
            f"{c['edges']} band edges, {c['edges_source']} come from a source and {c['edges_project']} are "
            f"ours. {c['unverified']} rules rest on unverified facts (`verified: false`). Compiled to "
            f"{c['engine_rules']} engine rules in {c['strata'] + 1} strata.")


def _edges(bands: list[dict[str, Any]]) -> str:
    seen: dict[str, str] = {}
    for band in bands:
        for edge in band["edges"]:
            label = f"{edge['value']:,}" if isinstance(edge["value"], (int, float)) else str(edge["value"])
            seen.setdefault(label, "project" if edge["basis"] == "project" else f"source {edge['source']}")
    return "; ".join(f"{k}: {v}" for k, v in seen.items())


def _rule_md(rule: dict[str, Any]) -> list[str]:
    out = [f"#### {code(rule['id'])}", "", esc_text(rule["title"]), ""]
    meta = f"basis **{_cell(rule['basis'])}** · source {code(rule['source'])}"
    if rule.get("section"):
        meta += f" ({_cell(rule['section'])})"
    if not rule["verified"]:
        meta += " · **unverified**"
    out += [meta, ""]
    if rule.get("description"):
        out += [esc_text(rule["description"]), ""]
    alternatives = rule["alternatives"]
    for i, alt in enumerate(alternatives, 1):
        head = "When" if len(alternatives) == 1 else f"When (alternative {i} of {len(alternatives)})"
        out.append(f"- {head}:")
        out += [f"  - {esc_text(w)}" for w in alt["when"]]
    out.append("- Then:")
    out += [f"  - {esc_text(t)}" for t in alternatives[0]["then"]]
    return out + [""]


def render_markdown(ruleset: CompiledRuleset) -> str:
    """``docs/rulebase.md``: every source, parameter, scoring band and rule of the rule set."""
    d = describe(ruleset)
    out = [f"# Rule set {code(d['id'])} {_cell(d['version'])}: {_cell(d['title'])}", "",
           f"<!-- Generated from rulesets/{_cell(d['id'])}/ by `{REGENERATE}`; do not edit by hand. -->", "",
           f"Effective from {d['effective_from']}. {_counts(d)}", "",
           "Every rule and band edge says where it comes from: **basis source** means a cited document "
           "gives the rule or the number; **basis project** means it is this tool's assumption (no source "
           "gives numeric thresholds for the five criteria). Each scoring band is its own rule "
           "(`criterion/field/L<level>`), so the audit trail names the band that fired.", "",
           "## Caveats (printed with every recommendation)", ""]
    out += [f"- {_cell(c['text'])} (basis {_cell(c['basis'])}, {code(c.get('source') or '')})" for c in d["caveats"]]
    out += ["", "## Sources", "", "| id | title | publisher | year | address |", "|---|---|---|---|---|"]
    for sid, s in d["sources"].items():
        out.append(f"| {code(sid)} | {_cell(s['title'])} | {_cell(s.get('publisher'))} | {_cell(s.get('year'))} "
                   f"| {_cell(s.get('url'))} |")
    out += ["", "## Parameters", "", "Override one for a run with `--set NAME=VALUE`.", "",
            "| name | value | unit | basis | source | verified | meaning |", "|---|---|---|---|---|---|---|"]
    for name, p in d["parameters"].items():
        out.append(f"| {code(name)} | {_cell(p['value'])} | {_cell(p.get('unit'))} | {_cell(p['basis'])} | "
                   f"{code(p.get('source') or '')} | {'yes' if p.get('verified', True) else '**no**'} | "
                   f"{_cell(p['description'])} |")
    for entry in d["files"]:
        out += ["", f"## {_cell(entry['title'] or entry['file'])}", "", f"File: {code(entry['file'])}", ""]
        for table in entry["tables"]:
            out += [f"### Scoring table: {_cell(table['criterion'])}", "",
                    "| indicator | bands (value -> level) | basis | edges |", "|---|---|---|---|"]
            for ind in table["indicators"]:
                bands = "<br>".join(f"L{b['level']}: {_cell(b['condition'])}" for b in ind["bands"])
                basis = f"{_cell(ind['basis'])} ({code(ind['source'])})" + ("" if ind["verified"] else ", unverified")
                note = f"<br>{_cell(ind['note'])}" if ind.get("note") else ""
                out.append(f"| {code(ind['field'])}<br>{_cell(ind['title'])}{note} | {bands} | {basis} | "
                           f"{_cell(_edges(ind['bands']))} |")
            out.append("")
        for rule in entry["rules"]:
            out += _rule_md(rule)
    return "\n".join(out).rstrip() + "\n"


def render_text(ruleset: CompiledRuleset) -> str:
    """A plain-text listing of every rule with its conditions, for the terminal."""
    d = describe(ruleset)
    out = [f"{d['id']} {d['version']}: {d['title']}", _counts(d), ""]
    for entry in d["files"]:
        out += [f"== {entry['file']}: {entry['title'] or ''}", ""]
        for table in entry["tables"]:
            for ind in table["indicators"]:
                out.append(f"{table['criterion']} <- {ind['field']} ({ind['basis']}, {ind['source']})")
                out += [f"    L{b['level']}: {b['condition']}" for b in ind["bands"]]
            out.append("")
        for rule in entry["rules"]:
            flag = "" if rule["verified"] else " [unverified]"
            out.append(f"{rule['id']}  ({rule['basis']}, {rule['source']}){flag}")
            out.append(f"    {rule['title']}")
            for i, alt in enumerate(rule["alternatives"], 1):
                label = "when" if len(rule["alternatives"]) == 1 else f"when ({i})"
                out.append(f"    {label}: " + "; ".join(alt["when"]))
            out.append("    then: " + "; ".join(rule["alternatives"][0]["then"]))
            out.append("")
    return "\n".join(map(terminal, out)).rstrip() + "\n"   # one element, one line


SHOW_RENDERERS: dict[str, Callable[[CompiledRuleset], str]] = {
    "markdown": render_markdown, "json": render_json, "text": render_text}
