"""The one exception hierarchy of scaleup.

Every error the library raises is a :class:`ScaleupError`. It carries one or more
:class:`Problem` records, each naming the file, the line, the field path, what is wrong and
the likely fix, so that a user sees *all* problems of a file at once, each located.

The library never prints or exits; ``scaleup.cli.main`` turns these into messages and exit codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .safetext import terminal


@dataclass(frozen=True)
class Problem:
    """One located problem.

    Attributes:
        file: the file as the user named it (or ``<string>``).
        line: 1-based line number, or ``None`` when the problem concerns the whole file.
        field: dotted field path (``populations.affected``, ``rules[3].when[0]``) or ``""``.
        message: what is wrong and what was expected.
        hint: the likely fix, or ``""``.
    """

    file: str
    line: int | None
    field: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        """The problem as one line to show: file names, keys and values quoted in the message
        come from files, so control characters are escaped (a YAML key cannot clear the screen
        or forge an ``error:`` line); :meth:`to_dict` keeps the raw text."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        head = f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        return terminal(f"{head} ({self.hint})" if self.hint else head)

    def to_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "field": self.field,
                "message": self.message, "hint": self.hint}


class ScaleupError(Exception):
    """Root of every error scaleup raises. Holds one or more located problems."""

    def __init__(self, problems: Iterable[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem("<scaleup>", None, "", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def at(cls, file: str, line: int | None, field: str, message: str, hint: str = "") -> "ScaleupError":
        """Shorthand for an error with a single problem."""
        return cls([Problem(file, line, field, message, hint)])


class ScenarioError(ScaleupError):
    """A scenario or exercise file is unreadable or invalid."""


class RulesetError(ScaleupError):
    """A rule set is unreadable, invalid, or cannot be compiled."""


class EngineError(ScaleupError):
    """The rule engine failed while evaluating a valid scenario (a defect, never bad input)."""
