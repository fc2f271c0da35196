"""The derivation tree's records: a fact (:class:`TreeNode`) and the firings that derived it
(:class:`Step`). :func:`scaleup.explain.derivation.derivation` builds them; every view walks them
(:mod:`scaleup.explain.walk`, the HTML templates, the exercises' brief view).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..words import Citation


@dataclass
class Step:
    """One firing that derived a fact: the rule, its citation, thresholds, and what it matched."""

    rule: str
    key: str
    title: str
    citation: Citation
    stratum: int
    thresholds: list[str]
    absent: list[str]
    matched: list["TreeNode"]


@dataclass
class TreeNode:
    fact: str
    type: str
    fields: dict[str, Any]
    text: str
    origin: Optional[str]
    because: list[Step] = field(default_factory=list)
    truncated: bool = False
    repeated: bool = False
