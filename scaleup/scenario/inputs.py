"""Finding and reading the files a command is given: files, folders (searched recursively for
``*.yaml``, ``*.yml``, ``*.json``) and glob patterns, in a stable sorted order.

Files declare their kind (``kind: scenario`` is the default, ``kind: exercise`` for training
exercises); commands that take scenarios skip other kinds and say so.
"""

from __future__ import annotations

import difflib
import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional, Sequence, Union

from ..errors import Problem, ScaleupError, ScenarioError
from .search import Stopped, StopCheck, glob_paths, has_magic, walk
from ..paths import display_name, kind_of_mode
from .load import LoadedScenario, validate_document
from .shipped import close_names, resolve as resolve_shipped
from .yamlio import Document, load_document

SUFFIXES = (".yaml", ".yml", ".json")
# What each input suffix holds; suffixes are compared in lowercase everywhere (this is the one place).
FORMATS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
           ".csv": "csv", ".xlsx": "xlsx"}
EXPECTED_SUFFIXES = "expected .yaml, .json, .jsonl, .csv or .xlsx"
MAX_INPUTS = 100_000   # files one run may name (docs/limits.md); JSON Lines lines are not counted
KINDS = ("scenario", "exercise", "answer_sheet")


@dataclass
class Inputs:
    """What the paths a command was given name.

    Attributes:
        files: the regular files found, in order (a file named twice is kept once).
        problems: a problem for each path that names nothing usable.
        notes: files left out on purpose (the command's own output).
        stopped: ``should_stop`` turned true: ``files`` is incomplete.
    """

    files: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stopped: bool = False


def input_format(path: str | os.PathLike[str]) -> Optional[str]:
    """``yaml``, ``json``, ``jsonl``, ``csv`` or ``xlsx`` by the file's suffix (any case); None for another suffix."""
    return FORMATS.get(os.path.splitext(os.fspath(path))[1].lower())


def unknown_suffix(name: str) -> Problem:
    """The problem of a file whose suffix says nothing scaleup reads."""
    suffix = os.path.splitext(name)[1]
    hints = {".xls": "save it as .xlsx (Excel: File > Save As > Excel Workbook)",
             ".ods": "save it as .xlsx or as CSV UTF-8", ".tsv": "rename it to .csv (tabs between cells are read)"}
    what = f"unknown file suffix {suffix!r}" if suffix else "the file name has no suffix"
    return Problem(name, None, "", f"{what}; {EXPECTED_SUFFIXES}",
                   hints.get(suffix.lower(), "rename the file to say what it holds"))


def expand_paths(paths: Sequence[str]) -> tuple[list[Path], list[Problem]]:
    """Files named by ``paths``; a problem for each path that names nothing."""
    found = find_inputs(paths)
    return found.files, found.problems


def find_inputs(paths: Sequence[str], suffixes: Sequence[str] = SUFFIXES, *, output: Optional[Path] = None,
                should_stop: Optional[StopCheck] = None, limit: int = MAX_INPUTS) -> Inputs:
    """The regular files named by ``paths``: files, folders (searched recursively for ``suffixes``,
    each sorted), glob patterns and names of shipped examples (:mod:`scaleup.scenario.shipped`; only when
    nothing exists at that path), in the order given.

    Symbolic links to folders inside a folder or under ``**`` are not followed. A path that is a
    FIFO, a device, a socket or a loop of links is a problem, and is never opened. ``output``, the
    file the command will write, is left out with a note when a folder or pattern finds it.

    Raises:
        ScaleupError: a path names the output itself, or the paths name more than ``limit`` files.
    """
    result = Inputs()
    found: dict[Path, None] = {}
    avoid = _identity(output) if output is not None else None
    try:
        for raw in paths:
            raw = resolve_shipped(raw)
            shown = display_name(raw)
            matches, odd = _expand_one(raw, suffixes, should_stop)
            result.problems.extend(Problem(display_name(p), None, "", f"cannot read the file: it is {what}",
                                           "give the path of a scenario file; FIFOs and devices are never read")
                                   for p, what in odd)
            if not matches and not odd:
                result.problems.append(_nothing_named(raw, shown, suffixes))
            for match in matches:
                if avoid is not None and _identity(match) == avoid:
                    if match == Path(raw):
                        raise ScaleupError.at(shown, None, "", "this input is also the output (-o): writing "
                                              "the output would destroy it", "write the output to another file")
                    result.notes.append(f"{display_name(match)}: left out: it is this run's output (-o)")
                    continue
                found.setdefault(match)
                if len(found) > limit:
                    raise ScaleupError.at(shown, None, "", f"the inputs name more than {limit:,} files (the limit)",
                                          "split the run: give fewer folders, or narrower patterns")
    except Stopped:
        result.stopped = True
    result.files = list(found)
    return result


def _identity(path: Path) -> Optional[tuple[int, int]]:
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return (info.st_dev, info.st_ino)


def _mode(path: str) -> tuple[Optional[int], Optional[OSError]]:
    try:
        return os.stat(path).st_mode, None
    except OSError as exc:
        return None, exc


def _expand_one(raw: str, suffixes: Sequence[str], should_stop: Optional[StopCheck]
                ) -> tuple[list[Path], list[tuple[str, str]]]:
    """Regular files one path names, and the matches that are something else (path, what)."""
    mode, error = _mode(raw)
    candidates: Iterator[str]
    if mode is not None and stat.S_ISDIR(mode):
        candidates = (p for p in walk(raw, should_stop) if os.path.splitext(p)[1].lower() in suffixes)   # lowercase, as input_format
    elif mode is not None or (error is not None and not has_magic(raw)):
        candidates = iter([raw])
    elif has_magic(raw):
        candidates = glob_paths(raw, should_stop)
    else:
        candidates = iter(())
    files: list[Path] = []
    odd: list[tuple[str, str]] = []
    for candidate in candidates:
        mode, error = _mode(candidate)
        if mode is not None and stat.S_ISREG(mode):
            files.append(Path(candidate))
        elif mode is not None and stat.S_ISDIR(mode):
            continue   # a folder a pattern matched: patterns name files
        elif error is not None and error.errno == errno.ENOENT:
            continue   # nothing there (reported as naming nothing), or a broken link in a folder
        else:
            what = kind_of_mode(mode) if mode is not None else _os_kind(error)
            odd.append((candidate, what))
    return sorted(files) if len(files) > 1 else files, odd


def _os_kind(error: Optional[OSError]) -> str:
    if error is not None and error.errno == errno.ELOOP:
        return "a loop of symbolic links"
    return f"unreadable ({error.strerror if error is not None else 'unknown reason'})"


def _nothing_named(raw: str, shown: str, suffixes: Sequence[str]) -> Problem:
    if os.path.isdir(raw):
        kinds = ", ".join(f"*{s}" for s in suffixes)
        return Problem(shown, None, "", f"the folder holds no {kinds} file", "check the path, or name the files")
    if has_magic(raw):
        return Problem(shown, None, "", "the pattern matches no file", "check the path")
    close = close_names(raw)
    return Problem(shown, None, "", "no such file or folder",
                   f"check the path; did you mean the shipped example {close[0]!r}?" if close else "check the path")


def kind_of(document: Document) -> str:
    """The document's ``kind:``; ``scenario`` when it has none.

    Raises:
        ScenarioError: the kind is not one this version knows (``Scenario``, ``""``, a number),
            with a did-you-mean.
    """
    data = document.data
    if not isinstance(data, dict) or data.get("kind") is None:
        return "scenario"
    kind = data["kind"]
    if isinstance(kind, str) and kind in KINDS:
        return kind
    close = difflib.get_close_matches(str(kind).strip().lower().replace("-", "_").replace(" ", "_"), KINDS, n=1, cutoff=0.6)
    hint = (f"did you mean {close[0]!r}?" if close else
            f"write one of {', '.join(KINDS)}, or leave kind: out for a scenario")
    shown = display_name(kind) if isinstance(kind, str) else kind
    raise ScenarioError.at(document.name, document.line(("kind",)), "kind",
                           f"unknown kind {shown!r}; expected one of {', '.join(KINDS)}", hint)


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
        fmt = input_format(path)
        if fmt in ("jsonl", "csv", "xlsx"):
            raise ScenarioError.at(name or display_name(path), None, "", f"a .{fmt} file holds one scenario per "
                                   f"{'line' if fmt == 'jsonl' else 'row'}; this reads one scenario per file",
                                   "give it to evaluate, explain or batch, which read every row")
        if fmt is None:
            raise ScenarioError([unknown_suffix(name or display_name(path))])
        document = load_document(path, error=ScenarioError, name=name or display_name(path), keep_going=True)
        kind = kind_of(document)
        if kind != "scenario":
            return Skipped(path, kind)
        return validate_document(document)
    except ScaleupError as exc:
        return exc
