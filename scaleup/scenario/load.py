"""Loading scenario files: YAML or JSON in, a validated :class:`Scenario` or located errors out.

All problems of a file are reported at once, each as ``file:line: field.path: message (hint)``.
Nothing reaches the engine unless the whole file is valid.
"""

from __future__ import annotations

import copy
import os

from dataclasses import dataclass, replace
from typing import Any, Mapping, Optional

from pydantic import ValidationError

from ..errors import Problem, ScenarioError
from ..facts import Fact
from .fields import to_facts
from .model import Scenario, cross_field_hint, cross_field_problems
from .ranges import Range, read_ranges
from .validation import problems_from, split_path
from .yamlio import Document, load_document, parse_document
from .mapping import mapping_bytes, mapping_document, pointed

@dataclass(frozen=True)
class LoadedScenario:
    """A valid scenario with the document it came from (for line numbers and hashes).

    For a scenario with uncertain figures, ``scenario`` and ``document.data`` hold their point
    estimates and ``ranges`` the ranges as written (:mod:`scaleup.scenario.ranges`).
    """

    scenario: Scenario
    document: Document
    ranges: tuple[Range, ...] = ()

    @property
    def name(self) -> str:
        return self.document.name

    def line_of(self, dotted: str) -> Optional[int]:
        return self.document.line(split_path(dotted))

    def facts(self) -> list[Fact]:
        return to_facts(self.scenario, self.document.name, self.document.line)


def load_scenario(path: str | os.PathLike[str], name: Optional[str] = None) -> LoadedScenario:
    """Load and validate one scenario file.

    Raises:
        ScenarioError: with every problem of the file, located.
    """
    document = load_document(path, error=ScenarioError, name=name, keep_going=True)
    return validate_document(document)


def parse_scenario(text: str | bytes | Mapping[str, Any], name: str = "<dict>", fmt: str = "yaml") -> LoadedScenario:
    """Like :func:`load_scenario` for text already in memory, or for a mapping (a ``dict``):
    a mapping's problems are located by JSON pointer (``/populations/in_need``) and ``fmt`` is
    ignored (see :mod:`scaleup.scenario.mapping`)."""
    if isinstance(text, Mapping):
        try:
            return validate_document(mapping_document(mapping_bytes(text, name), name))
        except ScenarioError as exc:
            raise ScenarioError(pointed(exc.problems)) from None
    return validate_document(parse_document(text, name, fmt=fmt, error=ScenarioError, keep_going=True))


def validate_document(document: Document) -> LoadedScenario:
    """Validate a parsed document as a scenario; raise ScenarioError listing every problem.

    Ranges of uncertain figures (:mod:`scaleup.scenario.ranges`) are checked too; the scenario
    returned holds each range's point estimate, in its data as well (``ranges`` keeps the
    ranges, and a recommendation says that it evaluated point estimates).
    """
    problems = list(document.recoverable)
    found = read_ranges(document)
    problems.extend(found.problems)
    data = found.data
    if isinstance(data, dict) and data.get("kind") not in (None, "scenario"):
        problems.append(Problem(document.name, document.line(("kind",)), "kind",
                                f"this is a {data.get('kind')!r} file, not a scenario",
                                "pass it to the command for that kind of file"))
        raise ScenarioError(problems)
    scenario: Optional[Scenario] = None
    checked: Optional[Scenario] = None
    try:
        scenario = checked = Scenario.model_validate(data)
    except ValidationError as exc:
        problems.extend(problems_from(exc, document, Scenario))
        checked = _without_invalid(data, exc)
    if checked is not None:   # also when other fields are invalid: one round reports both kinds
        problems.extend(Problem(document.name, document.line(split_path(path)), path, message,
                                cross_field_hint(message))
                        for path, message in cross_field_problems(checked))
    if problems:
        raise ScenarioError(sorted(problems, key=lambda p: (p.line or 0, p.field)))
    assert scenario is not None
    if found.ranges:
        document = replace(document, data=data)
    return LoadedScenario(scenario, document, tuple(found.ranges.values()))


def _without_invalid(data: object, exc: ValidationError, rounds: int = 3) -> Optional[Scenario]:
    """The scenario with every invalid optional field left out, so that the cross-field checks
    can still run on the fields that are valid; None when a required field is invalid."""
    for _ in range(rounds):
        if not isinstance(data, dict):
            return None
        data = copy.deepcopy(data)
        for err in exc.errors():
            if err["type"] == "missing":
                return None
            _drop(data, tuple(err["loc"]))
        try:
            return Scenario.model_validate(data)
        except ValidationError as again:
            exc = again
    return None


def _drop(data: object, loc: tuple) -> None:
    """Remove the value at ``loc`` (pydantic's error location; union tags are skipped)."""
    for i in range(len(loc), 0, -1):
        parent: object = data
        for step in loc[: i - 1]:
            parent = parent.get(step) if isinstance(parent, dict) else (
                parent[step] if isinstance(parent, list) and isinstance(step, int) and step < len(parent) else None)
        if isinstance(parent, dict) and loc[i - 1] in parent:
            del parent[loc[i - 1]]
            return
