"""docs/api-reference/ is the API reference generated from the docstrings (scaleup/api_doc.py, with
pdoc's documentation model), kept in sync like docs/rulebase.md and docs/scenario.md."""

from __future__ import annotations

from pathlib import Path

import pytest

import scaleup
from scaleup import api_doc

ROOT = Path(__file__).resolve().parent.parent


def test_docs_api_reference_is_the_generated_reference(capsys: pytest.CaptureFixture[str]) -> None:
    assert api_doc.DOC_DIR == ROOT / "docs" / "api-reference"
    code = api_doc.main(["--check"])
    assert code == 0, f"{capsys.readouterr().err}docs/api-reference/ is out of date: run `python -m scaleup.api_doc`"


def test_the_reference_documents_the_entry_points_with_their_docstrings() -> None:
    page = api_doc.render_module("scaleup")
    for name in ("evaluate", "load_scenario", "load_ruleset", "parse_scenario", "ScaleupError"):
        assert f"## `{name}`" in page
    assert scaleup.evaluate.__doc__.splitlines()[0] in page
    assert "**Raises:**\n - **ScenarioError:**" in page
    index = api_doc.render_index()
    assert all(f"[`{name}`]({name}.md)" in index for name in api_doc.MODULES)


def test_classes_show_their_fields_and_own_docstring_only() -> None:
    page = api_doc.render_module("scaleup.recommendation.model")
    assert "- `presumed: bool = False`: the level is inferred from other evidence, not measured" in page
    assert "A base class for creating Pydantic models" not in page   # pydantic's, inherited
    assert "__pydantic" not in page


def test_the_generator_checks_rewrites_and_prunes_the_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "api"
    assert api_doc.main(["--check", "-o", str(out)]) == 1
    assert "README.md: out of date" in capsys.readouterr().err
    (out).mkdir()
    (out / "scaleup.gone.md").write_text("a module that no longer exists\n", encoding="utf-8")
    assert api_doc.stale(out)[-1] == "scaleup.gone.md"
    assert api_doc.main(["-o", str(out)]) == 0
    assert api_doc.main(["--check", "-o", str(out)]) == 0
    assert sorted(p.name for p in out.glob("*.md")) == sorted(["README.md"] + [f"{m}.md" for m in api_doc.MODULES])
    (out / "scaleup.md").write_text("edited by hand\n", encoding="utf-8")
    assert api_doc.stale(out) == ["scaleup.md"]



def test_type_names_are_spelt_the_same_on_every_python_version() -> None:
    assert api_doc._types("def f(p: pathlib._local.Path) -> typing.Annotated[int, X()]") == \
        "def f(p: pathlib.Path) -> Annotated[int, X()]"
    assert api_doc._types('def f(frame: "\'pandas.DataFrame\'") -> "\'pandas.DataFrame\'"') == \
        "def f(frame: pandas.DataFrame) -> pandas.DataFrame"
    pages = "".join(api_doc.render().values())
    assert "pathlib.Path" in pages and "pathlib._local" not in pages and "typing." not in pages
