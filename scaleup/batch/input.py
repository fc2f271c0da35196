"""What a batch evaluates: tasks read from scenario files and JSON Lines files, in input order.

A task is one scenario document: a whole YAML/JSON file, one line of a ``*.jsonl`` file (one
scenario object per line; blank lines are ignored), or one row of a ``*.csv`` or ``*.xlsx``
spreadsheet (:mod:`scaleup.scenario.sheets`; the task's ``line`` is the row, its bytes the row's
cells). The parent process reads the bytes (bounded by
the loader's size limit) and hashes them, so ``--resume`` can tell which scenarios are done
without parsing anything; workers parse and validate. A sweep point is a task too: the base
scenario's bytes plus a patch of field values.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterator, Optional, Sequence

from ..errors import Problem, ScaleupError, ScenarioError
from ..scenario.search import StopCheck
from ..scenario.inputs import SUFFIXES, Inputs, find_inputs, input_format, unknown_suffix
from ..paths import display_name, kind_of_mode
from ..scenario.sheets import SheetReading, SheetRow, count_rows, read_sheet
from ..scenario.yamlio import DEFAULT_LIMITS, load_document

JSONL_SUFFIXES = (".jsonl", ".ndjson")
BATCH_SUFFIXES = SUFFIXES + JSONL_SUFFIXES
Patch = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Task:
    """One scenario to evaluate.

    Attributes:
        file: the input file as the user named it (or found it in a folder).
        line: the line of a JSON Lines file, or None for a whole file.
        fmt: ``yaml``, ``json`` or ``sheet`` (a spreadsheet row, :class:`~scaleup.scenario.sheets.SheetRow` bytes).
        raw: the document's bytes (empty when ``failure`` is set).
        sha256: hex SHA-256 of ``raw`` (and of the patch, for sweep points); "" when unread.
        patch: field values a sweep sets on the document, as ``(dotted path, value)`` pairs.
        failure: the located problems when the parent could not even read the input.
        keep: also return the recommendation itself and an error's problems (the Python API's
            ``evaluate_many``; see :func:`scaleup.batch.worker.evaluate_task`).
    """

    file: str
    line: Optional[int]
    fmt: str
    raw: bytes
    sha256: str
    patch: Patch = ()
    failure: tuple[Problem, ...] = ()
    keep: bool = False

    @property
    def key(self) -> tuple[str, Optional[int], str]:
        return (self.file, self.line, self.sha256)

    @property
    def where(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


def is_jsonl(path: Path) -> bool:
    return input_format(path) == "jsonl"


def is_sheet(path: Path) -> bool:
    return input_format(path) in ("csv", "xlsx")


def expand_inputs(paths: Sequence[str], *, output: Optional[Path] = None,
                  should_stop: Optional[StopCheck] = None) -> Inputs:
    """Files named by ``paths`` (files, folders searched recursively, glob patterns), in order.

    Like :func:`scaleup.scenario.inputs.find_inputs`, but folders also yield ``*.jsonl`` files.
    """
    return find_inputs(paths, BATCH_SUFFIXES, output=output, should_stop=should_stop)


def open_regular(path: Path) -> BinaryIO:
    """Open a file for reading, refusing anything that is not a regular file before a read could
    block (a FIFO waits for a writer, ``/dev/zero`` never ends).

    Raises:
        OSError: it cannot be opened, or it is not a regular file (``strerror`` says what it is).
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, f"it is {kind_of_mode(mode)}, not a regular file", str(path))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def count_tasks(paths: Sequence[Path]) -> int:
    """How many tasks :func:`iter_tasks` will yield (one pass over JSON Lines files)."""
    total = 0
    for path in paths:
        if is_sheet(path):
            total += max(1, count_rows(str(path)))
            continue
        if not is_jsonl(path):
            total += 1
            continue
        try:
            with open_regular(path) as handle:
                total += sum(1 for line in handle if line.strip())
        except OSError:
            total += 1
    return total


def iter_tasks(paths: Sequence[Path], notes: Optional[list[str]] = None) -> Iterator[Task]:
    """The tasks of every input file, in order: one per file, one per non-blank JSON Lines line,
    one per spreadsheet row. Spreadsheet columns that are not read are noted in ``notes``."""
    for path in paths:
        if is_jsonl(path):
            yield from _jsonl_tasks(path)
        elif is_sheet(path):
            yield from _sheet_tasks(path, notes)
        elif input_format(path) is None:
            yield Task(display_name(path), None, "yaml", b"", "", failure=(unknown_suffix(display_name(path)),))
        else:
            yield _file_task(path)


def sheet_task(row: SheetRow) -> Task:
    raw = row.to_bytes()
    return Task(row.file, row.row, "sheet", raw, hashlib.sha256(raw).hexdigest())


def _sheet_tasks(path: Path, notes: Optional[list[str]]) -> Iterator[Task]:
    name = display_name(path)
    reading = SheetReading()
    for row in read_sheet(str(path), name, reading):
        yield sheet_task(row)
    if notes is not None:
        notes.extend(reading.notes)
    if reading.problems:
        first = reading.problems[0]
        yield Task(name, first.line, "sheet", b"", "", failure=tuple(reading.problems))


def _failed(file: str, line: Optional[int], exc: ScaleupError) -> Task:
    problems = tuple(Problem(file, line if line is not None else p.line, p.field, p.message, p.hint)
                     for p in exc.problems)
    return Task(file, line, "json" if line is not None else "yaml", b"", "", failure=problems)


def _file_task(path: Path) -> Task:
    name = display_name(path)
    fmt = "json" if input_format(path) == "json" else "yaml"
    limit = DEFAULT_LIMITS.max_bytes
    try:
        with open_regular(path) as handle:
            raw = handle.read(limit + 1)
    except OSError:
        raw = None
    if raw is None or len(raw) > limit:
        try:   # the loader's own checks give the located message (stat first, so this is cheap)
            load_document(path, error=ScenarioError, name=name)
        except ScaleupError as exc:
            return _failed(name, None, exc)
        raw = path.read_bytes()   # pragma: no cover - the file changed between the two reads
    return Task(name, None, fmt, raw, hashlib.sha256(raw).hexdigest())


def _jsonl_tasks(path: Path) -> Iterator[Task]:
    name = display_name(path)
    limit = DEFAULT_LIMITS.max_bytes
    try:
        handle = open_regular(path)
    except OSError as exc:
        yield _failed(name, None, ScenarioError.at(name, None, "", f"cannot read the file: {exc.strerror or exc}",
                                                   "check that the path exists and is readable"))
        return
    with handle:
        number = 0
        while True:
            line = handle.readline(limit + 2)
            if not line:
                return
            number += 1
            if len(line) > limit and not line.endswith(b"\n"):
                while line and not line.endswith(b"\n"):   # skip the rest of the oversized line
                    line = handle.readline(1 << 20)
                yield _failed(name, number, ScenarioError.at(
                    name, number, "", f"the line is longer than the limit of {limit} bytes",
                    "split the scenario into a file of its own or shorten it"))
                continue
            raw = line.rstrip(b"\r\n")
            if not raw.strip():
                continue
            yield Task(name, number, "json", raw, hashlib.sha256(raw).hexdigest())


def sweep_task(file: str, raw: bytes, patch: Patch, base: Optional[Task] = None) -> Task:
    """A sweep point: the base scenario's bytes (or the base task's: a spreadsheet row) plus the
    field values it sets."""
    digest = hashlib.sha256(raw)
    digest.update(json.dumps([list(p) for p in patch], sort_keys=True, default=str).encode())
    if base is not None:
        return Task(base.file, base.line, base.fmt, base.raw, digest.hexdigest(), tuple(patch))
    fmt = "json" if input_format(file) == "json" else "yaml"
    return Task(file, None, fmt, raw, digest.hexdigest(), tuple(patch))


_LINE_ONE = re.compile(r"(\bon line|\(line) 1\b")


def with_line(problems: Sequence[Problem], file: str, line: Optional[int]) -> list[Problem]:
    """Problems of a JSON Lines document, re-located to the line of the input file. The entry
    was read as a one-line document, so a line named inside a message (``first defined on line
    1``, ``(line 1, column 23)``) is the entry's line too."""
    if line is None:
        return list(problems)
    return [Problem(file, line, p.field, _LINE_ONE.sub(rf"\1 {line}", p.message), p.hint) for p in problems]


def document_lines(lines: Any, line: int) -> dict[Any, int]:
    """Every node of a one-line JSON document placed on ``line`` of the JSON Lines file."""
    return dict.fromkeys(lines, line)
