"""Where input files are found: folder walks and glob patterns.

Both are written here rather than taken from :mod:`glob` and :meth:`pathlib.Path.rglob` so that
they share three properties:

- a symbolic link to a folder met *during* a walk or at a ``**`` is not followed (a link
  ``t/a/up -> ..`` made ``glob('t/**/*.yaml')`` expand exponentially); a link named directly, or
  matched by a one-level wildcard (``links/*/x.yaml``), is followed, which can never loop;
- a ``should_stop`` callback is polled at every folder, so Ctrl-C and SIGTERM stop an expansion;
- the caller bounds how many files it takes (:data:`scaleup.scenario.inputs.MAX_INPUTS`).

Patterns follow :mod:`glob` with ``recursive=True``: ``*``, ``?`` and ``[...]`` match within one
name, ``**`` any number of folders, and wildcards do not match a leading dot.
"""

from __future__ import annotations

import os
from fnmatch import fnmatchcase
from typing import Callable, Iterator, Optional

StopCheck = Callable[[], bool]
MAGIC = "*?["


class Stopped(Exception):
    """Internal: the caller's ``should_stop`` turned true during a search."""


def has_magic(text: str) -> bool:
    return any(ch in text for ch in MAGIC)


def _poll(should_stop: Optional[StopCheck]) -> None:
    if should_stop is not None and should_stop():
        raise Stopped


def _entries(folder: str, should_stop: Optional[StopCheck]) -> list[os.DirEntry[str]]:
    _poll(should_stop)
    try:
        with os.scandir(folder or ".") as listing:
            return sorted(listing, key=lambda e: e.name)
    except OSError:   # unreadable, vanished, not a folder: nothing found there (as glob does)
        return []


def _is_dir(entry: os.DirEntry[str], follow: bool) -> bool:
    try:
        return entry.is_dir(follow_symlinks=follow)
    except OSError:
        return False


def walk(root: str, should_stop: Optional[StopCheck] = None) -> Iterator[str]:
    """Every non-folder entry under ``root``, recursively, without entering linked folders.

    Symbolic links to files (and broken links, loops, FIFOs, devices) are yielded for the caller
    to judge; links to folders are not (a link ``up -> ..`` would loop).
    """
    stack = [root]
    while stack:
        folder = stack.pop()
        subfolders = []
        for entry in _entries(folder, should_stop):
            if _is_dir(entry, follow=False):
                subfolders.append(entry.path)
            elif not (entry.is_symlink() and _is_dir(entry, follow=True)):
                yield entry.path
        stack.extend(reversed(subfolders))


def glob_paths(pattern: str, should_stop: Optional[StopCheck] = None) -> Iterator[str]:
    """Paths matching ``pattern`` (folders included, as :func:`glob.glob` gives them)."""
    parts = pattern.split("/")
    start = next((i for i, part in enumerate(parts) if has_magic(part)), len(parts))
    base = "/".join(parts[:start]) or ("/" if pattern.startswith("/") else "")
    rest: list[str] = []
    for part in parts[start:]:
        if part == "**" and rest and rest[-1] == "**":
            continue   # a/**/**/b is a/**/b (each extra ** multiplied the work)
        rest.append(part)
    if not rest:
        if os.path.lexists(base):
            yield base
        return
    if base and not os.path.isdir(base):
        return
    yield from _match(base, rest, should_stop)


def _join(base: str, name: str) -> str:
    return name if not base else base + name if base.endswith("/") else f"{base}/{name}"


def _match(base: str, parts: list[str], should_stop: Optional[StopCheck]) -> Iterator[str]:
    part, rest = parts[0], parts[1:]
    if part == "**":
        if rest:
            yield from _match(base, rest, should_stop)   # ** as no folder at all
        for entry in _entries(base, should_stop):
            if entry.name.startswith("."):
                continue
            path = _join(base, entry.name)
            if not rest:
                yield path
            if _is_dir(entry, follow=False):   # never through a link: that is where loops are
                yield from _match(path, parts, should_stop)
        return
    if part == "" and rest:   # a doubled or trailing slash
        yield from _match(base, rest, should_stop)
        return
    if not has_magic(part):
        path = _join(base, part)
        if not rest:
            if os.path.lexists(path):
                yield path
        elif os.path.isdir(path):
            yield from _match(path, rest, should_stop)
        return
    for entry in _entries(base, should_stop):
        if entry.name.startswith(".") and not part.startswith("."):
            continue
        if not fnmatchcase(entry.name, part):
            continue
        path = _join(base, entry.name)
        if not rest:
            yield path
        elif _is_dir(entry, follow=True):   # one level through a link is bounded by the pattern
            yield from _match(path, rest, should_stop)
