"""Explanations of one recommendation: the derivation tree, why-not answers, and flips.

:func:`explain` evaluates a scenario with the real engine and builds an :class:`Explanation`:

- ``tree``: for each outcome (decision, variant, route, leads, clusters, UNHCR level), the rules
  that derived it, each with its citation, basis, thresholds and the facts it matched, down to
  the scenario fields and their ``file:line``. A fact already shown higher up is marked
  ``repeated`` instead of being expanded twice; ``depth`` limits the levels of rules.
- ``why_not``: for each target (by default every other decision value), :mod:`scaleup.explain.whynot`.
- ``flips``: when asked, :mod:`scaleup.explain.flips`.

:meth:`Explanation.to_dict` is the JSON form (documented in docs/explain.md); the text form is
:func:`to_text`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from ..engine.audit import Evaluation
from ..recommendation.evaluate import evaluate_traced
from ..vocabulary import DECISIONS, Criterion
from .flips import FlipReport, find_flips
from ..recommendation.model import Recommendation
from ..engine.pyeval import key_tests
from ..rules.ir import CompiledRuleset, Ref
from ..scenario.load import LoadedScenario
from .whynot import WhyNot, parse_target, why_not
from .tree import Step, TreeNode
from .walk import Style, check_lines, tree_lines
from ..safetext import terminal
from ..display import fmt
from ..words import OP_SIGNS, citation, fact_text, origin_line, pattern_text, subject, threshold_basis

ROOTS = ("decision", "variant", "scope", "route", "lead", "cluster", "unhcr_level")


@dataclass
class Explanation:
    recommendation: Recommendation
    tree: list[TreeNode]
    why_not: list[WhyNot]
    flips: Optional[FlipReport]
    depth: Optional[int]
    ruleset: CompiledRuleset = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        rec = self.recommendation
        return {
            "scenario": rec.scenario.model_dump(mode="json"),
            "decision": rec.scale_up, "route": rec.route, "variant": rec.variant,
            "criteria": {c.name: c.level for c in rec.criteria},
            "depth": self.depth,
            "tree": [dataclasses.asdict(n) for n in self.tree],
            "why_not": [dataclasses.asdict(w) for w in self.why_not],
            "flips": dataclasses.asdict(self.flips) if self.flips else None,
            "stamp": rec.stamp.model_dump(mode="json"),
        }


def threshold_texts(ruleset: CompiledRuleset, key: str) -> list[str]:
    """Each number or category a rule compares with, named by what it is compared to, with its basis."""
    rule = next(r for r in ruleset.rules if r.key == key)
    out: list[str] = []
    for p in rule.patterns:
        if p.negated:   # shown as "and no ..." with its tests
            continue
        keys = set(key_tests(p))
        for t in p.tests:
            if t in keys or isinstance(t.value, Ref):
                continue
            shown = fmt(list(t.value) if isinstance(t.value, tuple) else t.value)
            param = f" (${'param'}.{t.param})" if t.param else ""
            text = f"{subject(p, t.field)} {OP_SIGNS[t.op]} {shown}{param}: basis {threshold_basis(ruleset, rule, t)}"
            if text not in out:
                out.append(text)
    return out


def derivation(ev: Evaluation, fact_id: str, depth: Optional[int], shown: set[str]) -> TreeNode:
    """The derivation tree of one fact (``shown`` collects facts already expanded)."""
    fact = ev.fact(fact_id)
    node = TreeNode(fact.id, fact.type, dict(fact.fields), fact_text(fact), origin_line(fact))
    firings = ev.derived_by(fact_id)
    if not firings:
        return node
    if fact_id in shown:
        node.repeated = True
        return node
    if depth == 0:
        node.truncated = True
        return node
    shown.add(fact_id)
    below = None if depth is None else depth - 1
    for firing in firings:
        rule = ev.rule(firing.key)
        node.because.append(Step(
            firing.rule, firing.key, rule.title, citation(ev.ruleset, rule), firing.stratum,
            threshold_texts(ev.ruleset, firing.key), [pattern_text(p) for p in rule.patterns if p.negated],
            [derivation(ev, m, below, shown) for m in firing.matched]))
    return node


def explain(loaded: LoadedScenario, ruleset: CompiledRuleset, depth: Optional[int] = None,
            targets: Sequence[str] = (), flips: bool = False, flip_budget: int = 2000,
            flip_seconds: Optional[float] = None, why_depth: int = 2) -> Explanation:
    """Evaluate a scenario and explain the outcome.

    Args:
        depth: levels of rules in the derivation tree (None: all).
        targets: why-not targets; empty means every decision value other than the outcome.
        flips: search for minimal changes that flip the decision and the route.
        flip_budget, flip_seconds: bounds of that search.
        why_depth: levels of rules a why-not answer follows down.

    Raises:
        ValueError: a target is not a decision, route, cluster or lead, or rule id.
        ScaleupError: the engine or the rule set failed.
    """
    parsed = [parse_target(ruleset, t) for t in targets]
    rec, ev = evaluate_traced(loaded, ruleset)
    if not parsed:
        parsed = [parse_target(ruleset, d) for d in DECISIONS if d != rec.scale_up]
    shown: set[str] = set()
    roots = sorted((f for f in ev.facts if f.type in ROOTS), key=lambda f: (ROOTS.index(f.type), fact_text(f)))
    tree = [derivation(ev, f.id, depth, shown) for f in roots]
    answers = [why_not(ruleset, ev, t, depth=why_depth) for t in parsed]
    report = find_flips(loaded, ruleset, flip_budget, flip_seconds) if flips else None
    return Explanation(rec, tree, answers, report, depth, ruleset)


# --- text --------------------------------------------------------------------------------------

TEXT = Style(
    node=lambda pad, node: f"{pad}{node.text}" + (f"  {node.origin}" if node.origin else "")
    + ("  (shown above)" if node.repeated else "  (deeper rules not shown)" if node.truncated else ""),
    step=lambda pad, step: [f"{pad}  <- {step.key}: {step.title}", f"{pad}     {step.citation}",
                            *[f"{pad}     threshold {t}" for t in step.thresholds],
                            *[f"{pad}     and {a}" for a in step.absent]],
    child=3,
    check=lambda pad, check: [f"{pad}{'FIRED' if check.fired else 'not fired'}: {check.key}: {check.title}",
                              f"{pad}  {check.citation}"],
    condition=lambda pad, c: [f"{pad}  [{'x' if c.held else ' '}] {c.text}" + (f": {c.note}" if c.note else ""),
                              *[f"{pad}        {t.text}" for t in c.tests if not t.passed],
                              *[f"{pad}        to move: {m.text}" for m in c.moves]],
    omitted=lambda pad, n: f"{pad}        ({n} more rule branches could derive it; they need more to change)",
    deeper=4,
)


def to_text(exp: Explanation) -> str:
    """The explanation as an indented text tree (100 columns not enforced: rule titles are long)."""
    rec = exp.recommendation
    out = [f"{rec.scenario.id}: {rec.scenario.title}", f"{rec.scenario.file}, as of {rec.scenario.as_of}", "",
           f"Decision: {rec.scale_up}    Route: {rec.route or 'none'}",
           "Criteria: " + ", ".join(f"{Criterion(c.name).phrase} {c.level if c.level else '-'}" for c in rec.criteria),
           *[p for p in (c.presumption() for c in rec.criteria) if p], "",
           "Why (derivation tree" + (f", {exp.depth} level{'s' if exp.depth != 1 else ''} of rules" if exp.depth is not None else "") + ")"]
    for node in exp.tree:
        tree_lines(node, 1, out, TEXT)
    for w in exp.why_not:
        out += ["", f"Why not {w.target}? {w.summary}"]
        for check in w.rules:
            check_lines(check, 1, out, TEXT)
    if exp.flips is not None:
        out += ["", *flip_lines(exp.flips)]
    st = rec.stamp
    out += ["", f"Rule set {st.ruleset_id} {st.ruleset_version} (sha256 {st.ruleset_sha256[:12]})"
            + "".join(f" {k}={v}" for k, v in st.overrides.items()) + f"; scaleup {st.scaleup_version}"]
    return "\n".join(map(terminal, out)) + "\n"   # one element, one line: user text cannot break it


def flip_lines(report: FlipReport) -> list[str]:
    out = [f"Flips ({report.evaluations} evaluations of {report.singles} single moves and "
           f"{report.pairs_tried} of {report.pairs} pairs; budget {report.budget})"]
    for kind, flips in (("decision", report.decision), ("route", report.route)):
        out.append(f"  The {kind}:" if flips else f"  The {kind}: no flip found")
        out.extend(f"    - {f.text}" for f in flips)
    if report.adjusted or report.discarded:
        out.append(f"  {report.adjusted} candidates adjusted to stay consistent; {len(report.discarded)} discarded, e.g.:")
        out.extend(f"    x {d}" for d in report.discarded[:3])
    if report.cut:
        out.append(f"  Search {report.cut}.")
    return out
