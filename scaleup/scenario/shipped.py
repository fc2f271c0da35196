"""Example scenarios and exercises shipped with scaleup, found by name.

The wheel carries the repository's ``scenarios/`` folder as ``scaleup/_scenarios`` (see
``pyproject.toml``), as it carries ``rulesets/`` as ``scaleup/_rulesets``; a source checkout
reads ``scenarios/`` where it is. So, from any folder and from an installed wheel::

    scaleup evaluate cyclone-coastal
    scaleup exercise play cyclone-idp-surge

A name is a file's path inside that folder without its ``.yaml`` suffix
(``cyclone-coastal``, ``exercises/cyclone-idp-surge``, ``history/car-conflict-2013``), or
just its file name without the suffix when no other shipped file has it (every shipped file
does: ``tests/test_shipped.py``). A name is only looked up when no file or folder of that name
exists: a user's own ``cyclone-coastal`` always wins.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

SUFFIX = ".yaml"


def shipped_scenarios_dir() -> Path:
    """The folder of scenarios and exercises shipped with scaleup (inside the wheel, or the
    source tree)."""
    here = Path(__file__).resolve().parent.parent   # the scaleup package
    packaged = here / "_scenarios"
    return packaged if packaged.is_dir() else here.parent / "scenarios"


@dataclass(frozen=True)
class Example:
    """One shipped file: its name (path in the shipped folder without ``.yaml``) and path."""

    name: str
    path: Path

    @property
    def short(self) -> str:
        """The file name without ``.yaml``: the name users type."""
        return self.name.rpartition("/")[2]

    @property
    def kind(self) -> str:
        """``exercise`` for files under ``exercises/``, ``history`` under ``history/``,
        ``scenario`` otherwise (by folder: reading each file's ``kind:`` would parse them all)."""
        folder = self.name.rpartition("/")[0]
        return {"exercises": "exercise", "history": "history"}.get(folder, "scenario")


def examples() -> list[Example]:
    """Every shipped ``*.yaml`` file, sorted by name."""
    root = shipped_scenarios_dir()
    if not root.is_dir():
        return []
    found = [Example(p.relative_to(root).with_suffix("").as_posix(), p) for p in root.rglob(f"*{SUFFIX}")
             if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)]
    return sorted(found, key=lambda e: e.name)


def looks_like_name(text: str) -> bool:
    """Whether ``text`` could be a shipped name: no suffix, no wildcard, not absolute, no ``..``."""
    return (bool(text) and not text.startswith(("/", ".", "~")) and "\\" not in text
            and not any(ch in text for ch in "*?[") and not os.path.splitext(text)[1]
            and ".." not in text.split("/"))


def find_example(name: str) -> Optional[Path]:
    """The shipped file called ``name``, or None. Existing files are not consulted: callers look
    a name up only when no file of that name exists (:func:`resolve`)."""
    if not looks_like_name(name):
        return None
    everything = examples()
    for example in everything:
        if example.name == name:
            return example.path
    by_short = [e for e in everything if e.short == name]
    return by_short[0].path if len(by_short) == 1 else None


def resolve(path: str) -> str:
    """``path`` itself when something exists there (or it is not a name); otherwise the shipped
    file of that name, shown relative to the current folder when it is below it."""
    if os.path.lexists(path):
        return path
    found = find_example(path)
    if found is None:
        return path
    relative = os.path.relpath(found)
    return found.as_posix() if relative.startswith("..") else Path(relative).as_posix()


def close_names(text: str, limit: int = 3) -> list[str]:
    """Shipped names resembling ``text`` (for a did-you-mean on a path that names nothing)."""
    import difflib
    if not looks_like_name(text):
        return []
    everything = examples()
    shorts = [e.short for e in everything]
    choices = sorted({e.short if shorts.count(e.short) == 1 else e.name for e in everything})
    return difflib.get_close_matches(text, choices, n=limit, cutoff=0.6)
