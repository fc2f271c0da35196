"""One walk of the derivation tree and of why-not rule checks, for every text-like format.

The text form (:func:`scaleup.explain.derivation.to_text`) and the Markdown form
(:mod:`scaleup.render.markdown`) differ only in how each element reads and how far children are
indented; a :class:`Style` says that, and :func:`tree_lines` / :func:`check_lines` do the
recursion once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .tree import Step, TreeNode
from .whynot import ConditionCheck, RuleCheck


@dataclass(frozen=True)
class Style:
    """How a format writes each element of a tree; every callable gets the line's indent (``pad``).

    Attributes:
        node: the line of a fact.
        step: the lines of a rule that derived it (title, citation, thresholds, absences).
        child: how many indent steps a matched fact goes below its node.
        check: the lines of a rule check's head.
        condition: the lines of one condition (its tests and moves included).
        omitted: the line saying how many more rule branches could derive a condition.
        deeper: how many indent steps a deeper rule check goes below its check.
    """

    node: Callable[[str, TreeNode], str]
    step: Callable[[str, Step], list[str]]
    child: int
    check: Callable[[str, RuleCheck], list[str]]
    condition: Callable[[str, ConditionCheck], list[str]]
    omitted: Callable[[str, int], str]
    deeper: int


def tree_lines(node: TreeNode, indent: int, out: list[str], style: Style) -> None:
    """Append the lines of a derivation tree to ``out``."""
    pad = "  " * indent
    out.append(style.node(pad, node))
    for step in node.because:
        out.extend(style.step(pad, step))
        for child in step.matched:
            tree_lines(child, indent + style.child, out, style)


def check_lines(check: RuleCheck, indent: int, out: list[str], style: Style) -> None:
    """Append the lines of a why-not rule check, with the deeper checks of its conditions."""
    pad = "  " * indent
    out.extend(style.check(pad, check))
    for c in check.conditions:
        out.extend(style.condition(pad, c))
        for d in c.deeper:
            check_lines(d, indent + style.deeper, out, style)
        if c.omitted:
            out.append(style.omitted(pad, c.omitted))
