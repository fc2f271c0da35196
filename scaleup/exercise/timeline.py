"""The timeline of an exercise: a scenario patched inject by inject, remembering where each value
was set so that problems and input facts point at the right line of the right file.

A patch is a nested mapping merged into the scenario so far: mappings merge key by key, any other
value (a number, a text, a list) replaces what was there, and ``null`` removes the field.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional

from ..engine.audit import Evaluation
from ..facts import Fact
from ..recommendation.model import Recommendation
from ..scenario.load import LoadedScenario
from ..scenario.validation import split_path
from .model import Inject

PathT = tuple[Any, ...]


@dataclass(frozen=True)
class Where:
    """Where a scenario value was set: the file, its line, and the block that set it
    (``injects[2].patch``, ``baseline``, ``injects[2].day`` for an advanced as_of, or ``""`` for a
    baseline file)."""

    file: str
    line: Optional[int]
    root: str

    def label(self, dotted: str) -> str:
        """The field path to show for a problem with scenario field ``dotted``."""
        if self.root.endswith(".day"):
            return self.root
        return f"{self.root}.{dotted}" if self.root else dotted


@dataclass(frozen=True)
class PatchedScenario(LoadedScenario):
    """A scenario as patched at one inject; input facts point at the line that set each value."""

    where: Mapping[PathT, Where] = field(default_factory=dict)

    def where_of(self, path: PathT) -> Optional[Where]:
        for n in range(len(path), -1, -1):
            if path[:n] in self.where:
                return self.where[path[:n]]
        return None

    def facts(self) -> list[Fact]:
        out = []
        for fact in super().facts():
            kind, _, rest = fact.origin.partition(":")
            dotted = rest.split("@", 1)[0]
            w = self.where_of(split_path(dotted)) if kind == "input" else None
            out.append(Fact(fact.id, fact.type, fact.fields, f"input:{dotted}@{w.file}:{w.line}") if w else fact)
        return out


def paths(data: Any, at: PathT = ()) -> list[PathT]:
    out = [at] if at else []
    if isinstance(data, dict):
        for k, v in data.items():
            out.extend(paths(v, at + (k,)))
    elif isinstance(data, list):
        for k, v in enumerate(data):
            out.extend(paths(v, at + (k,)))
    return out


def merge(target: dict[str, Any], patch: Mapping[str, Any], at: PathT, where: dict[PathT, Where],
          mark: Callable[[PathT], Where]) -> None:
    """Merge ``patch`` into ``target`` in place: mappings merge, anything else replaces, null removes."""
    for key, value in patch.items():
        path = at + (key,)
        for old in [p for p in where if p[:len(path)] == path and (not isinstance(value, dict) or value == {})]:
            del where[old]
        if value is None:
            target.pop(key, None)
            continue
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            where.setdefault(path, mark(path))
            merge(target[key], value, path, where, mark)
            continue
        target[key] = copy.deepcopy(value)
        for p in paths(value, path) or [path]:
            where[p] = mark(p)
        where[path] = mark(path)


@dataclass(frozen=True)
class Step:
    """The scenario at one inject and what the engine made of it."""

    index: int
    inject: Inject
    loaded: PatchedScenario
    rec: Recommendation
    ev: Evaluation
