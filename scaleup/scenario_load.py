"""Loading scenario files: YAML or JSON in, a validated :class:`Scenario` or located errors out.

All problems of a file are reported at once, each as ``file:line: field.path: message (hint)``.
Nothing reaches the engine unless the whole file is valid.
"""

from __future__ import annotations

import os

from dataclasses import dataclass
from typing import Optional

from pydantic import ValidationError

from .errors import Problem, ScenarioError
from .facts import Fact
from .fields import to_facts
from .scenario import Scenario, cross_field_problems
from .validation import problems_from, split_path
from .yamlio import Document, load_document, parse_document

@dataclass(frozen=True)
class LoadedScenario:
    """A valid scenario with the document it came from (for line numbers and hashes)."""

    scenario: Scenario
    document: Document

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


def parse_scenario(text: str | bytes, name: str, fmt: str = "yaml") -> LoadedScenario:
    """Like :func:`load_scenario` for text already in memory."""
    return validate_document(parse_document(text, name, fmt=fmt, error=ScenarioError, keep_going=True))


def validate_document(document: Document) -> LoadedScenario:
    """Validate a parsed document as a scenario; raise ScenarioError listing every problem."""
    problems = list(document.recoverable)
    data = document.data
    if isinstance(data, dict) and data.get("kind") not in (None, "scenario"):
        problems.append(Problem(document.name, document.line(("kind",)), "kind",
                                f"this is a {data.get('kind')!r} file, not a scenario",
                                "pass it to the command for that kind of file"))
        raise ScenarioError(problems)
    scenario: Optional[Scenario] = None
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems.extend(problems_from(exc, document, Scenario))
    if scenario is not None:
        problems.extend(Problem(document.name, document.line(split_path(path)), path, message,
                                "check both figures; they must be consistent")
                        for path, message in cross_field_problems(scenario))
    if problems:
        raise ScenarioError(sorted(problems, key=lambda p: (p.line or 0, p.field)))
    assert scenario is not None
    return LoadedScenario(scenario, document)
