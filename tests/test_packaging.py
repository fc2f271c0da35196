"""Packaging: one version source, the versions ``--version`` reports, the licence, the changelog,
and the set-up step that builds durable-rules for Python 3.13."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

import scaleup
from scaleup.cli import main, versions
from scaleup.engine.durable import durable_version
from scaleup.rules.load import load_ruleset

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_version_is_written_once_in_scaleup_init() -> None:
    project = PYPROJECT["project"]
    assert "version" not in project and project["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["hatch"]["version"]["path"] == "scaleup/version.py"
    source = (ROOT / "scaleup" / "version.py").read_text(encoding="utf-8")
    assert re.findall(r'^__version__ = "([^"]+)"$', source, flags=re.M) == [scaleup.__version__]
    written = [p for p in (ROOT / "scaleup").rglob("*.py") if re.search(r"^__version__ = ", p.read_text(encoding="utf-8"), re.M)]
    assert written == [ROOT / "scaleup" / "version.py"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", scaleup.__version__)


def test_the_distribution_name_is_the_one_versions_reports() -> None:
    assert PYPROJECT["project"]["name"] == versions.DISTRIBUTION == "scaleup-iasc"
    assert PYPROJECT["project"]["scripts"] == {"scaleup": "scaleup.cli:main"}


def test_version_prints_scaleup_the_rule_sets_and_durable_rules() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    rules = load_ruleset("iasc-2018")
    assert result.output.splitlines() == [
        f"scaleup {scaleup.__version__} (distribution scaleup-iasc)",
        f"rule set iasc-2018 {rules.version}",
        f"durable_rules {durable_version()}",
        f"Python {sys.version.split()[0]}",
    ]


def test_version_reports_a_rule_set_it_cannot_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "ruleset.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    (tmp_path / "noversion").mkdir()
    (tmp_path / "noversion" / "ruleset.yaml").write_text("id: noversion\n", encoding="utf-8")
    monkeypatch.setattr(versions, "shipped_rulesets_dir", lambda: tmp_path)
    assert versions.shipped_ruleset_versions() == [("broken", "unreadable"), ("noversion", "unreadable")]


def test_version_says_when_durable_rules_is_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> str:
        raise versions.metadata.PackageNotFoundError(name)
    monkeypatch.setattr(versions.metadata, "version", missing)
    assert versions.durable_rules_version() == "not installed"


def test_the_licence_is_the_apache_2_text_pyproject_names() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert PYPROJECT["project"]["license"] == {"text": "Apache-2.0"}
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "END OF TERMS AND CONDITIONS" in text and len(text.splitlines()) > 190


def test_the_changelog_starts_at_the_current_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (\d+\.\d+\.\d+)", text, flags=re.M)
    assert headings[0] == scaleup.__version__
    assert headings == sorted(headings, key=lambda v: tuple(map(int, v.split("."))), reverse=True)
    assert "rulesets/CHANGELOG.md" in text


def test_python_3_13_is_allowed_and_3_14_is_not() -> None:
    assert PYPROJECT["project"]["requires-python"] == ">=3.11,<3.14"


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_builds_durable_rules_with_the_3_13_define_before_scaleup(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    dry = subprocess.run(["make", "-n", f"{venv}/.installed", f"VENV={venv}", f"PYTHON={sys.executable}"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    lines = [line for line in dry.splitlines() if "pip install" in line]
    durable = next(i for i, line in enumerate(lines) if "durable-rules==2.0.28" in line)
    editable = next(i for i, line in enumerate(lines) if "-e '.[test]'" in line)
    assert durable < editable
    assert "--no-binary durable-rules" in lines[durable] and "--no-cache-dir" in lines[durable]
    assert "-DPyEval_CallObject=PyObject_CallObject" in dry
    assert f"{venv}/bin/python -m pip" in lines[editable]   # VENV is honoured


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("version, ok", [((3, 10), False), ((3, 11), True), ((3, 13), True), ((3, 14), False)])
def test_make_accepts_python_3_11_to_3_13(version: tuple[int, int], ok: bool) -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    check = re.search(r"@\$\(PYTHON\) -c '([^']+)'", makefile)
    assert check is not None
    code = check.group(1).replace("sys.version_info[:2]", repr(version))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (result.returncode == 0) == ok
    if not ok:
        assert "scaleup needs Python 3.11, 3.12 or 3.13" in result.stderr


def test_ci_runs_the_suite_on_python_3_13_in_its_own_venv_or_warns() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test PYTHON=\"$py313\" VENV=.venv313" in script
    assert "warning: no Python 3.13 found" in script
    assert ".venv313/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_the_package_says_it_is_typed_and_make_test_type_checks_it() -> None:
    # PEP 561: the marker ships inside the package (the wheel takes every file under scaleup/)
    assert (ROOT / "scaleup" / "py.typed").is_file()
    assert PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["scaleup"]
    mypy = PYPROJECT["tool"]["mypy"]
    assert mypy["files"] == ["scaleup"] and mypy["warn_unused_ignores"] is True
    assert "ignore_missing_imports" not in mypy   # only per module, for third-party code without types
    recipe = (ROOT / "Makefile").read_text(encoding="utf-8").split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert recipe.index("ruff check") < recipe.index("$(BIN)/mypy") < recipe.index("pytest")


def test_every_type_ignore_says_why() -> None:
    bare = [f"{path.relative_to(ROOT)}:{n}" for path in sorted((ROOT / "scaleup").rglob("*.py"))
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if "type: ignore" in line and not re.search(r"# type: ignore\[[a-z, -]+\]  # \S", line)]
    assert bare == [], "a type: ignore needs its error code and a reason after it: " + ", ".join(bare)
