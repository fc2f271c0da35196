"""Markdown reports: ``render(recommendations)`` for ``evaluate -f markdown`` and
:func:`render_explanation` for ``explain -f markdown``.

Every piece of text from a scenario or a rule file is escaped (:func:`esc`), so a title holding
``<script>`` or ``|`` shows as written and cannot break a table or inject HTML.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Sequence

from ..vocabulary import Criterion, Variant
from ..recommendation.model import Recommendation
from ..safetext import terminal
from ..display import fmt
from ..explain.shown import Shown, shown
from ..explain.walk import Style, check_lines, tree_lines

if TYPE_CHECKING:   # explanations are imported only when rendered (keeps `scaleup evaluate` fast to start)
    from ..explain.derivation import Explanation
    from ..explain.flips import FlipReport

_SPECIAL = re.compile(r"([\\`*\[\]|~]|(?<![^\W_])_|_(?![^\W_])|^#)")


def esc(value: Any) -> str:
    """Text for Markdown, the one escaping of every Markdown renderer (reports, explanations,
    debriefs, ``rules show``): newlines folded to spaces (no injected headings, list items or
    table rows), other control and bidi characters shown as escapes (:func:`scaleup.safetext.terminal`:
    no ESC or BEL bytes in the file), ``& < >`` as entities (no HTML, no ``<script>``, no autolink),
    emphasis, link, code and table characters backslash-escaped (no ``[x](javascript:...)``, no
    ``|`` splitting a cell; an underscore between two letters or digits is left alone: it can
    neither open nor close emphasis; one next to another underscore can, so it is escaped)."""
    text = fmt(value) if not isinstance(value, str) else value
    text = terminal(text.replace("\r\n", " ").replace("\n", " ").replace("\r", " "))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", text)


_CODE_SPAN = re.compile(r"(`[^`]*`)")


def esc_text(value: Any) -> str:
    """Like :func:`esc`, but `code spans` already in the text stay code spans (their content is
    literal in Markdown, so they cannot carry HTML, links or emphasis): for texts that are partly
    generated markup, such as a rule's conditions in ``rules show``."""
    parts = _CODE_SPAN.split(terminal(str(value).replace("\r", " ").replace("\n", " ")))
    return "".join(code(p[1:-1]) if i % 2 else esc(p) for i, p in enumerate(parts))


def code(value: Any) -> str:
    """An inline code span (its content is literal in Markdown: backticks, newlines and control
    characters need care; a ``|`` is escaped, as GitHub tables split cells on it even in code)."""
    text = terminal(str(value).replace("\n", " ").replace("\r", " ")).replace("`", "'")
    return "`" + text.replace("|", "\\|") + "`"


def _head(rep: Shown, level: str = "#") -> list[str]:
    rec, s = rep.rec, rep.rec.scenario
    out = [f"{level} {esc(s.id)}: {esc(s.title)}", "",
           f"{esc(s.country)}, as of {s.as_of} · {esc(s.file)}", "",
           f"**Scale-Up: {esc(rec.scale_up)}**: {esc(rep.words)}", ""]
    if rec.lifecycle:
        lc = rec.lifecycle
        out[-1:-1] = [f"**Active since {lc.activated} (month {esc(lc.months_elapsed)}): {esc(lc.value)}**: {esc(lc.reason or '')}", ""]
    facts = [("Protocol", Variant(rec.variant).phrase if rec.variant else None),
             ("Scope", rec.scope.value + (f" ({rec.scope.reason})" if rec.scope.reason else "") if rec.scope else None),
             ("Route", rec.route or "none derived"), ("UNHCR emergency level", rec.unhcr_emergency_level)]
    out += [f"- {k}: {esc(v)}" for k, v in facts if v is not None] + [""]
    out += ["| Criterion | Level | Driven by |", "|---|---|---|"]
    for c in rec.criteria:
        top = [s for s in c.signals if s.level == c.level]
        driven = "; ".join(f"{esc(s.field)} = {esc(s.value)}{' (presumed)' if s.presumed else ''} "
                           f"({esc(s.origin.split('@', 1)[-1])})" for s in top) or "no indicator given"
        held = [k for k in c.ceilings if k.level == c.level]
        driven += "".join(f"; held at {k.level} by {esc(k.field)} = {esc(k.value)} (coping)" for k in held[:1])
        presumed = " (presumed)" if c.presumed else ""
        out.append(f"| {Criterion(c.name).phrase} | {c.level or '-'} {esc(c.label)}{presumed} | {driven} |")
    return out + [""]


def _lists(rec: Recommendation) -> list[str]:
    out: list[str] = []
    sections = [
        ("Leadership", [f"{esc(x.role.replace('_', ' '))}: {esc(x.actor)} ({code(x.rule)})" for x in rec.leadership]),
        ("Clusters", [f"{esc(x.cluster)}: {esc(x.lead)} ({code(x.rule)})" for x in rec.clusters]),
        ("Plans", [esc(x.name) + (f" ({esc(x.timing)})" if x.timing else "") for x in rec.plans]),
        ("Milestones", [f"{esc(m.name)}: {m.date or esc(offset(m))}" for m in rec.milestones]),
        ("Flags", [esc(x.name) + (f": {esc(x.text)}" if x.text else "") for x in rec.flags]),
        ("Notes", [esc(x.text) for x in rec.notes]),
    ]
    for title, rows in sections:
        if rows:
            out += [f"## {title}", "", *[f"- {r}" for r in rows], ""]
    return out


def offset(m: Any) -> str:
    """``3 days after activation`` for a milestone without a date."""
    parts = [f"{fmt(m.months)} months" if m.months else "", f"{fmt(m.days)} days" if m.days else ""]
    return " ".join(p for p in parts if p) + f" after {m.anchor}"


def _tail(rep: Shown, extra: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]  # an immutable default; the function only reads it
    rec = rep.rec
    out = ["## Sources", ""]
    for s in rep.cited(extra) if extra else rep.sources:
        what = ", ".join(esc(x) for x in (s["title"], s["publisher"], str(s["year"] or "")) if x) or "not described in the rule set"
        out.append(f"- **{esc(s['id'])}**: {what}" + (f". <{esc(s['url'])}>" if s["url"] else ""))
    out += ["", "## Caveats", "", *[f"- {esc(c.text)}" for c in rec.caveats], ""]
    st = rec.stamp
    overrides = "".join(f" {esc(k)}={esc(v)}" for k, v in st.overrides.items())
    out += ["---", "", f"Rule set {esc(st.ruleset_id)} {esc(st.ruleset_version)} (sha256 `{st.ruleset_sha256[:12]}`)"
            + (f", overrides:{overrides}" if overrides else "") + f"; scenario sha256 `{st.scenario_sha256[:12]}`; "
            f"{len(rec.audit.firings)} rules fired; scaleup {esc(st.scaleup_version)}, durable_rules {esc(st.durable_rules_version)}", ""]
    return out


def render_one(rec: Recommendation) -> str:
    rep = shown(rec, tree=False)
    fired = ["## Rules that fired", "", "| # | Rule | Source | Basis |", "|---|---|---|---|"]
    fired += [f"| {f.seq} | {code(f.key)} {esc(f.title)} | {esc(f.source)} | {esc(f.basis)} |" for f in rec.audit.firings]
    return "\n".join(_head(rep) + _lists(rec) + fired + [""] + _tail(rep))


def render(recs: Sequence[Recommendation]) -> str:
    """One Markdown document for one or more recommendations."""
    return "\n".join(render_one(r) for r in recs)


# --- explanations ------------------------------------------------------------------------------

MARKDOWN = Style(
    node=lambda pad, node: f"{pad}- **{esc(node.text)}**" + (f" ({esc(node.origin)})" if node.origin else "")
    + (" *(shown above)*" if node.repeated else " *(deeper rules not shown)*" if node.truncated else ""),
    step=lambda pad, step: [f"{pad}  - because {code(step.key)}: {esc(step.title)}. *{esc(str(step.citation))}*",
                            *[f"{pad}    - threshold: {esc(t)}" for t in step.thresholds],
                            *[f"{pad}    - and {esc(a)}" for a in step.absent]],
    child=2,
    check=lambda pad, check: [f"{pad}- {'**fired**' if check.fired else 'not fired'}: {code(check.key)} "
                              f"{esc(check.title)}. *{esc(str(check.citation))}*"],
    condition=lambda pad, c: [f"{pad}  - [{'x' if c.held else ' '}] {esc(c.text)}" + (f": {esc(c.note)}" if c.note else ""),
                              *[f"{pad}    - {esc(t.text)}" for t in c.tests if not t.passed],
                              *[f"{pad}    - to move: {esc(m.text)}" for m in c.moves]],
    omitted=lambda pad, n: f"{pad}    - {n} more rule branches could derive it; they need more to change",
    deeper=2,
)


def flip_lines(report_: FlipReport) -> list[str]:
    out = ["## What would change the outcome", "",
           f"{report_.evaluations} evaluations of {report_.singles} single moves and {report_.pairs_tried} of "
           f"{report_.pairs} pairs (budget {report_.budget}).", ""]
    for kind, flips in (("decision", report_.decision), ("route", report_.route)):
        out += [f"**The {kind}**" + ("" if flips else ": no flip found within the search"), ""]
        out += [f"{i}. {esc(f.text)}" for i, f in enumerate(flips, 1)] + [""]
    if report_.adjusted or report_.discarded:
        out += [f"{report_.adjusted} candidates were adjusted to stay consistent; {len(report_.discarded)} were discarded as "
                "inconsistent or out of range.", ""]
    if report_.cut:
        out += [f"The search was {esc(report_.cut)}.", ""]
    return out


def render_explanation(exp: Explanation) -> str:
    """One Markdown document explaining one recommendation."""
    rep = shown(exp.recommendation, tree=False)
    out = _head(rep, "# Explanation:") + _lists(exp.recommendation)
    depth = f" ({exp.depth} level{'s' if exp.depth != 1 else ''} of rules)" if exp.depth is not None else ""
    out += [f"## Why: the derivation tree{depth}", ""]
    for node in exp.tree:
        tree_lines(node, 0, out, MARKDOWN)
    extra: set[str] = set()
    for w in exp.why_not:
        out += ["", f"## Why not {esc(w.target)}?", "", esc(w.summary), ""]
        for check in w.rules:
            check_lines(check, 0, out, MARKDOWN)
            extra.add(check.citation.source)
    out.append("")
    if exp.flips is not None:
        out += flip_lines(exp.flips)
    return "\n".join(out + _tail(rep, extra))
