"""Dependent fields: when one figure of a scenario is set, the figures a cross-field rule ties
it to follow, so that the scenario stays consistent (``in_need <= affected``...).

Shared by everything that changes figures of a valid scenario: the flips search
(:mod:`scaleup.candidates`), sampling uncertain figures (:mod:`scaleup.uncertainty.sampling`) and sweeps.
A cross-field message of :func:`scaleup.scenario.cross_field_problems` that names the other
field (``... is more than populations.affected (...)``) is resolved by moving the field that was
not set to the value of the one that was: raising ``affected`` to a new ``in_need``, or lowering
``in_need`` to a new ``affected``. Anything else (both fields set, a limit that is not a field,
such as the country's population) cannot be resolved and is returned as the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Collection, Optional

from pydantic import ValidationError

from .model import Scenario, cross_field_problems

_LIMIT = re.compile(r"is more than ([a-z_0-9]+(?:\.[a-z_0-9]+)+) \(")
MAX_ADJUSTMENTS = 2   # more would no longer be a small change


def get(data: Any, path: str) -> Any:
    """The value at a dotted path of a scenario's data (None where a section is missing)."""
    for part in path.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def put(data: dict, path: str, value: Any) -> None:
    """Set a dotted path, creating missing sections."""
    *head, last = path.split(".")
    for part in head:
        data = data.setdefault(part, {})
    data[last] = value


@dataclass(frozen=True)
class Adjustment:
    """A dependent field moved to keep the scenario consistent."""

    field: str
    old: Any
    new: Any


@dataclass
class Consistency:
    """What :func:`make_consistent` gave: the valid scenario, or why there is none.

    Attributes:
        scenario: the validated scenario, or None when it could not be made consistent.
        adjusted: the dependent fields moved (also those moved before giving up).
        problem: why there is no scenario: ``invalid (message)``, ``FIELD message`` (a
            cross-field rule that cannot be resolved) or ``could not be made consistent``.
    """

    scenario: Optional[Scenario] = None
    adjusted: list[Adjustment] = field(default_factory=list)
    problem: Optional[str] = None


def make_consistent(data: dict, moved: Collection[str], limit: int = MAX_ADJUSTMENTS) -> Consistency:
    """Validate ``data`` (changed in place as dependent fields follow) after the fields ``moved``
    were set, moving at most ``limit`` dependent fields."""
    result = Consistency()
    moved = set(moved)
    for _ in range(limit + 1):
        try:
            scenario = Scenario.model_validate(data)
        except ValidationError as exc:
            result.problem = f"invalid ({exc.errors()[0]['msg']})"
            return result
        problems = list(cross_field_problems(scenario))
        if not problems:
            result.scenario = scenario
            return result
        path, message = problems[0]
        m = _LIMIT.search(message)
        if m and path in moved and m.group(1) not in moved:
            follow, value = m.group(1), get(data, path)
        elif m and m.group(1) in moved and path not in moved:
            follow, value = path, get(data, m.group(1))
        else:
            result.problem = f"{path} {message}"
            return result
        result.adjusted.append(Adjustment(follow, get(data, follow), value))
        put(data, follow, value)
        moved.add(follow)
    result.problem = "could not be made consistent"
    return result
