"""Rule sets whose files are symbolic links: a deterministic check of the containment rules.

A rule set folder may only read files that resolve inside it (``scaleup/rules/load.py``,
``scaleup/rules/limits.outside_folder``): ``ruleset.yaml`` itself and every include, in every
layer of an ``extends:`` chain; the folder an overlay extends must be named as itself, not through
a link. :func:`check_symlinked_rulesets` builds, in a temporary folder, one small rule set per
case (the test rule set ``tests/fixtures/rulesets/small``, and an overlay of it) where
``ruleset.yaml``, an include, a folder on an include's path or the ``extends:`` target is a
symbolic link: out of the folder (to a valid rule file, to a file holding a secret, dangling,
relative, through a chain of links, to ``/dev/zero``), a loop, or inside the folder. Loading must
end as expected: a link inside the folder is accepted; every other case is a
:class:`~scaleup.errors.RulesetError` whose every problem names a file, never another exception,
and no problem quotes the secret.

    .venv/bin/python -m fuzz.rulesets        # prints one JSON line per case; exit 1 on a failure

``tests/test_fuzz.py`` runs every case; :mod:`fuzz.run` runs them in a child process (a FIFO or
a device read by mistake would hang) and records the count with the long run.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Callable, Optional

from scaleup.errors import RulesetError
from scaleup.rules.load import load_ruleset

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "fixtures" / "rulesets" / "small"
SECRET = "hunter2: [the content of a file outside the rule set folder\n"   # invalid YAML: an error would quote it
OVERLAY = ("id: small-overlay\nversion: 0.1.0\ntitle: An overlay of the small rule set\n"
           "effective_from: 2020-01-01\nextends: {extends}\ninclude: [more.yaml]\n")
MORE = ("title: One more rule\nrules:\n  - id: flag.overlay\n    title: The overlay's own rule\n"
        "    source: TEST-SOURCE\n    basis: project\n    when:\n      - {fact: indicator, field: hazard.onset}\n"
        "    then:\n      - assert: {fact: flag, name: overlay}\n")

ACCEPTED, REFUSED = "accepted", "refused"


def _tree(tmp: Path) -> tuple[Path, Path]:
    """tmp/outside/{secret.yaml, scale.yaml, rules.yaml, ruleset.yaml, base/}, tmp/rs/ (the small
    rule set); returns (rule set folder, outside folder)."""
    out = tmp / "outside"
    out.mkdir()
    (out / "secret.yaml").write_text(SECRET, encoding="utf-8")
    for name in ("scale.yaml", "rules.yaml", "ruleset.yaml"):   # valid files: only where they are is wrong
        shutil.copy(SMALL / name, out / name)
    shutil.copytree(SMALL, out / "base")
    shutil.copytree(SMALL, tmp / "rs")
    return tmp / "rs", out


def _overlay(tmp: Path, extends: str = "../base") -> Path:
    """tmp/o, an overlay of the small rule set that extends ``extends``; tmp/base is made by the case."""
    o = tmp / "o"
    o.mkdir()
    (o / "ruleset.yaml").write_text(OVERLAY.format(extends=extends), encoding="utf-8")
    (o / "more.yaml").write_text(MORE, encoding="utf-8")
    return o


def _relink(path: Path, target: str | Path) -> None:
    """Replace the file at ``path`` by a symbolic link to ``target``."""
    if path.exists() or path.is_symlink():
        path.unlink()
    path.symlink_to(target)


def _moved_inside(rs: Path, name: str) -> str:
    """Move ``rs/name`` to ``rs/real/name``; return a link target for it relative to ``rs``."""
    (rs / "real").mkdir(exist_ok=True)
    (rs / name).rename(rs / "real" / name)
    return f"real/{name}"


def _file_cases() -> dict[str, tuple[str, Callable[[Path], Path]]]:
    """Cases where ``ruleset.yaml`` or an include (``scale.yaml``) is a link."""
    cases: dict[str, tuple[str, Callable[[Path], Path]]] = {}
    for file in ("ruleset.yaml", "scale.yaml"):
        def case(expect: str, how: Callable[[Path, Path, Path], None], file: str = file) -> tuple[str, Callable]:
            def build(tmp: Path) -> Path:
                rs, out = _tree(tmp)
                how(rs, out, rs / file)
                return rs
            return expect, build
        cases.update({
            f"{file} -> a valid copy outside": case(REFUSED, lambda rs, out, f: _relink(f, out / f.name)),
            f"{file} -> a secret outside": case(REFUSED, lambda rs, out, f: _relink(f, out / "secret.yaml")),
            f"{file} -> ../outside (relative)": case(REFUSED, lambda rs, out, f: _relink(f, f"../outside/{f.name}")),
            f"{file} -> a missing file outside": case(REFUSED, lambda rs, out, f: _relink(f, out / "missing.yaml")),
            f"{file} -> a link inside -> outside": case(REFUSED, lambda rs, out, f: (
                _relink(rs / "hop.yaml", out / f.name), _relink(f, "hop.yaml"))),
            f"{file} -> /dev/zero": case(REFUSED, lambda rs, out, f: _relink(f, "/dev/zero")),
            f"{file} -> itself (loop)": case(REFUSED, lambda rs, out, f: _relink(f, f.name)),
            f"{file} -> a link -> it (loop of two)": case(REFUSED, lambda rs, out, f: (
                _relink(rs / "again.yaml", f.name), _relink(f, "again.yaml"))),
            f"{file} -> a loop outside": case(REFUSED, lambda rs, out, f: (
                _relink(out / "loop.yaml", out / "loop.yaml"), _relink(f, out / "loop.yaml"))),
            f"{file} -> the folder itself": case(REFUSED, lambda rs, out, f: _relink(f, ".")),
            f"{file} -> a missing file inside": case(REFUSED, lambda rs, out, f: _relink(f, "missing.yaml")),
            f"{file} -> a FIFO inside": case(REFUSED, lambda rs, out, f: (
                os.mkfifo(rs / "pipe.yaml"), _relink(f, "pipe.yaml"))),
            f"{file} -> a file inside": case(ACCEPTED, lambda rs, out, f: _relink(f, _moved_inside(rs, f.name))),
            f"{file} -> a link inside -> a file inside": case(ACCEPTED, lambda rs, out, f: (
                _relink(rs / "hop.yaml", _moved_inside(rs, f.name)), _relink(f, "hop.yaml"))),
            f"{file} -> a file inside, by absolute path": case(ACCEPTED, lambda rs, out, f: _relink(
                f, rs.resolve() / _moved_inside(rs, f.name))),
        })
    return cases


def _include_folder(tmp: Path, target: Callable[[Path, Path], str | Path]) -> Path:
    """The small rule set with ``scale.yaml`` included as ``tables/scale.yaml``, ``tables`` a link."""
    rs, out = _tree(tmp)
    head = rs / "ruleset.yaml"
    head.write_text(head.read_text(encoding="utf-8").replace("  - scale.yaml", "  - tables/scale.yaml"), encoding="utf-8")
    (rs / "tables").symlink_to(target(rs, out))
    return rs


def _inside_tables(rs: Path, out: Path) -> str:
    (rs / "sub").mkdir()
    (rs / "scale.yaml").rename(rs / "sub" / "scale.yaml")
    return "sub"


def _folder_cases() -> dict[str, tuple[str, Callable[[Path], Path]]]:
    """Cases where a folder on an include's path, the rule set folder or the extends: target is a link."""
    def base_with(how: Callable[[Path, Path], None]) -> Callable[[Path], Path]:
        def build(tmp: Path) -> Path:
            _, out = _tree(tmp)
            shutil.copytree(SMALL, tmp / "base")
            how(tmp / "base", out)
            return _overlay(tmp)
        return build

    def extends_link(target: Callable[[Path], str | Path], extends: str = "../base") -> Callable[[Path], Path]:
        def build(tmp: Path) -> Path:
            _tree(tmp)
            (tmp / "base").symlink_to(target(tmp))
            return _overlay(tmp, extends)
        return build

    def named(link: Callable[[Path], str | Path]) -> Callable[[Path], Path]:
        def build(tmp: Path) -> Path:
            _tree(tmp)
            (tmp / "named").symlink_to(link(tmp))
            return tmp / "named"
        return build

    def chain_loop(tmp: Path) -> Path:
        _tree(tmp)
        o = _overlay(tmp, "../o2")
        shutil.copytree(o, tmp / "o2")
        head = tmp / "o2" / "ruleset.yaml"
        head.write_text(head.read_text(encoding="utf-8").replace("extends: ../o2", "extends: ../o"), encoding="utf-8")
        return o

    def self_loop(tmp: Path) -> Path:
        _tree(tmp)
        return _overlay(tmp, ".")

    return {
        "include folder tables -> a folder outside": (REFUSED, lambda tmp: _include_folder(tmp, lambda rs, out: out)),
        "include folder tables -> itself (loop)": (REFUSED, lambda tmp: _include_folder(tmp, lambda rs, out: "tables")),
        "include folder tables -> the rule set folder's parent": (REFUSED, lambda tmp: _include_folder(
            tmp, lambda rs, out: "..")),
        "include folder tables -> a folder inside": (ACCEPTED, lambda tmp: _include_folder(tmp, _inside_tables)),
        "extends a real folder": (ACCEPTED, base_with(lambda base, out: None)),
        "extends a real folder whose ruleset.yaml -> a file inside it": (ACCEPTED, base_with(
            lambda base, out: _relink(base / "ruleset.yaml", _moved_inside(base, "ruleset.yaml")))),
        "extends a folder through a link -> outside": (REFUSED, extends_link(lambda tmp: tmp / "outside" / "base")),
        "extends a folder through a link -> next to it": (REFUSED, extends_link(
            lambda tmp: shutil.copytree(SMALL, tmp / "real-base") and "real-base")),
        "extends a link to itself (loop)": (REFUSED, extends_link(lambda tmp: "base")),
        "extends a link whose folder is reached through ..": (REFUSED, extends_link(
            lambda tmp: tmp / "outside" / "base", extends="../base/../base")),
        "extends a base whose ruleset.yaml -> a secret outside": (REFUSED, base_with(
            lambda base, out: _relink(base / "ruleset.yaml", out / "secret.yaml"))),
        "extends a base whose ruleset.yaml -> itself (loop)": (REFUSED, base_with(
            lambda base, out: _relink(base / "ruleset.yaml", "ruleset.yaml"))),
        "extends a base whose include -> a valid copy outside": (REFUSED, base_with(
            lambda base, out: _relink(base / "scale.yaml", out / "scale.yaml"))),
        "extends a base whose include -> a loop of two": (REFUSED, base_with(
            lambda base, out: (_relink(base / "again.yaml", "scale.yaml"), _relink(base / "scale.yaml", "again.yaml")))),
        "extends a chain that leads back to itself": (REFUSED, chain_loop),
        "extends itself (.)": (REFUSED, self_loop),
        "the rule set folder named through a link": (ACCEPTED, named(lambda tmp: tmp / "rs")),
        "the rule set folder named through a loop": (REFUSED, named(lambda tmp: "named")),
        "the rule set folder named through a dangling link": (REFUSED, named(lambda tmp: tmp / "missing")),
    }


def symlink_cases() -> dict[str, tuple[str, Callable[[Path], Path]]]:
    """Every case: name -> (expected, build), where build(tmp) makes the tree and returns the folder to load."""
    return {**_file_cases(), **_folder_cases()}


def run_case(name: str, tmp: Path) -> tuple[str, str]:
    """Build and load one case in the empty folder ``tmp``; return (outcome, detail) where the
    outcome is ``accepted``, ``refused`` (a located RulesetError), ``unlocated`` (a RulesetError
    with a problem naming no file, or quoting the secret) or ``exception``."""
    expect, build = symlink_cases()[name]
    folder = build(tmp)
    try:
        load_ruleset(folder)
    except RulesetError as exc:
        if not exc.problems:
            return "unlocated", "a RulesetError without problems"
        for problem in exc.problems:
            if not problem.file or "hunter2" in str(problem) or "hunter2" in problem.message:
                return "unlocated", str(problem)
        return REFUSED, "; ".join(map(str, exc.problems))[:500]
    except Exception:   # noqa: BLE001 - the point is to catch what should never happen
        return "exception", traceback.format_exc(limit=6)
    return ACCEPTED, ""


def check_symlinked_rulesets(names: Optional[list[str]] = None) -> list[dict[str, str]]:
    """Run every case (or ``names``), each in a fresh temporary folder; one dict per case with
    ``case``, ``expected``, ``outcome``, ``detail``; ``ok`` is ``"yes"`` when it ended as expected."""
    cases = symlink_cases()
    results = []
    for name in names or list(cases):
        with tempfile.TemporaryDirectory(prefix="scaleup-links-") as tmp:
            outcome, detail = run_case(name, Path(tmp))
        expected = cases[name][0]
        results.append({"case": name, "expected": expected, "outcome": outcome, "detail": detail,
                        "ok": "yes" if outcome == expected else "no"})
    return results


def main() -> int:
    results = check_symlinked_rulesets()
    for result in results:
        print(json.dumps(result), flush=True)
    return 0 if all(r["ok"] == "yes" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["ACCEPTED", "REFUSED", "check_symlinked_rulesets", "run_case", "symlink_cases"]
