"""A sweep point whose values break a cross-field rule: its dependent fields follow.

A sweep sets some fields of a valid scenario; when that breaks a rule that ties two fields
(``in_need <= affected``...), the field that was not set follows the one that was, as in the
flips search (:func:`scaleup.scenario.dependent.make_consistent`): raising ``populations.affected`` to a
swept ``in_need`` above it, or lowering ``in_need`` to a swept ``affected`` below it. The moves are
reported with the point (the grid's ``adjusted`` column). A point that cannot be made consistent
(both fields swept, or a limit that is not a field, such as the country's population) keeps its
original, located error and is reported as an invalid point. Unlike the flips search, which stops
after two adjustments to stay a small change, a point may move every part of a swept total
(``affected`` below ``in_need``, ``idps``, ``non_displaced_affected`` and ``people_reached``).
A follower takes the swept value (it is clamped to the limit, not scaled in proportion).
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Optional

from .input import Patch
from ..scenario.dependent import make_consistent
from ..scenario.yamlio import Document

MAX_FOLLOWING = 12   # every rule tying two fields may move one (a swept total moves all its parts)


def follow_dependents(document: Document, patch: Patch) -> Optional[tuple[Document, str]]:
    """The point's document with its dependent fields moved, and what moved (``field=value; ...``);
    None when nothing can make it consistent."""
    data = copy.deepcopy(dict(document.data))
    result = make_consistent(data, {path for path, _ in patch}, limit=MAX_FOLLOWING)
    if result.scenario is None or not result.adjusted:
        return None
    moved = "; ".join(f"{a.field}={json.dumps(a.new, default=str)}" for a in result.adjusted)
    return replace(document, data=data), moved
