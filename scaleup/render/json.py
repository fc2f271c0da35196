"""JSON output: one object for one scenario file, an array for several files or a folder. Byte-identical for the same
inputs and rule set (no wall-clock time, fixed key order, sorted lists)."""

from __future__ import annotations

import json
from typing import Any, Sequence

from ..recommendation.model import Recommendation


def to_data(rec: Recommendation) -> dict[str, Any]:
    return rec.model_dump(mode="json")


def render(recs: Sequence[Recommendation], many: bool = False) -> str:
    """One object for one recommendation; an array for several, or whenever ``many`` (the
    command was given several paths or a folder, so a reader expects a list)."""
    data: Any = to_data(recs[0]) if len(recs) == 1 and not many else [to_data(r) for r in recs]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
