"""Finding and reading the files a command is given: files, folders (searched recursively for
``*.yaml``, ``*.yml``, ``*.json``) and glob patterns, in a stable sorted order.

Files declare their kind (``kind: scenario`` is the default, ``kind: exercise`` for training
exercises); commands that take scenarios skip other kinds and say so.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional, Sequence, Union

from .errors import Problem, ScaleupError, ScenarioError
from .scenario_load import LoadedScenario, validate_document
from .yamlio import Document, load_document

SUFFIXES = (".yaml", ".yml", ".json")


def expand_paths(paths: Sequence[str]) -> tuple[list[Path], list[Problem]]:
    """Files named by ``paths``; a problem for each path that names nothing."""
    found: dict[Path, None] = {}
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            matches = sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
        elif path.is_file():
            matches = [path]
        elif any(ch in raw for ch in "*?["):
            matches = sorted(Path(p) for p in glob.glob(raw, recursive=True) if Path(p).is_file())
        else:
            matches = []
        if not matches:
            problems.append(Problem(raw, None, "", "no such file or folder" if not any(ch in raw for ch in "*?[")
                                    else "the pattern matches no file", "check the path"))
        for m in matches:
            found.setdefault(m)
    return list(found), problems


def kind_of(document: Document) -> str:
    data = document.data
    kind = data.get("kind", "scenario") if isinstance(data, dict) else "scenario"
    return kind if isinstance(kind, str) else "scenario"


@dataclass(frozen=True)
class Skipped:
    """A file of another kind than the command takes."""

    path: Path
    kind: str


Item = Union[LoadedScenario, ScaleupError, Skipped]


def read_scenarios(paths: Sequence[Path]) -> Iterator[tuple[Path, Item]]:
    """Each path with its loaded scenario, its error, or a note that it was skipped."""
    for path in paths:
        yield path, read_scenario(path)


def read_scenario(path: Path, name: Optional[str] = None) -> Item:
    try:
        document = load_document(path, error=ScenarioError, name=name or str(path), keep_going=True)
        kind = kind_of(document)
        if kind != "scenario":
            return Skipped(path, kind)
        return validate_document(document)
    except ScaleupError as exc:
        return exc
