"""No rule file is read through a symbolic link out of its rule set folder: not ``ruleset.yaml``
itself, not an include, not the folder an overlay ``extends:``, in any layer of the chain."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scaleup.errors import RulesetError
from scaleup.rules.load import load_ruleset

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "rulesets" / "iasc-2018"
OVERLAY = ROOT / "rulesets" / "examples" / "stricter-gap"
SECRET = "hunter2: [the content of a file outside the folder\n"     # invalid YAML: an error would quote it


def overlay(folder: Path, extends: str) -> Path:
    shutil.copytree(OVERLAY, folder)
    text = (folder / "ruleset.yaml").read_text()
    (folder / "ruleset.yaml").write_text(text.replace("extends: iasc-2018", f"extends: {extends}"))
    return folder


def problem(folder: Path) -> str:
    with pytest.raises(RulesetError) as caught:
        load_ruleset(folder)
    text = "\n".join(map(str, caught.value.problems))
    assert "hunter2" not in text
    return text


def test_a_ruleset_yaml_that_links_out_of_its_folder_is_refused_before_it_is_read(tmp_path):
    (tmp_path / "secret.yaml").write_text(SECRET)
    folder = tmp_path / "rs"
    folder.mkdir()
    (folder / "ruleset.yaml").symlink_to(tmp_path / "secret.yaml")
    assert problem(folder) == (f"{folder / 'ruleset.yaml'}: ruleset.yaml is a symbolic link out of the rule set "
                               "folder (copy the file into the folder instead of linking to it)")


def test_an_overlay_may_extend_a_real_folder_next_to_it(tmp_path):
    shutil.copytree(SHIPPED, tmp_path / "base")
    assert load_ruleset(overlay(tmp_path / "o", "../base")).id == "stricter-gap"


def test_an_overlay_cannot_extend_a_folder_through_a_symbolic_link(tmp_path):
    shutil.copytree(SHIPPED, tmp_path / "elsewhere" / "base")
    (tmp_path / "base").symlink_to(tmp_path / "elsewhere" / "base")
    o = overlay(tmp_path / "o", "../base")
    assert problem(o) == (f"{o / 'ruleset.yaml'}:12: extends: extends '../base', which is a symbolic link "
                          f"(to {(tmp_path / 'elsewhere' / 'base').resolve()}) (name the folder itself, not a link to it)")


def test_the_base_of_an_overlay_cannot_link_its_ruleset_yaml_or_an_include_out(tmp_path):
    (tmp_path / "secret.yaml").write_text(SECRET)
    base = tmp_path / "base"
    shutil.copytree(SHIPPED, base)
    (base / "ruleset.yaml").rename(tmp_path / "moved.yaml")
    (base / "ruleset.yaml").symlink_to(tmp_path / "moved.yaml")
    o = overlay(tmp_path / "o", "../base")
    assert "ruleset.yaml is a symbolic link out of the rule set folder" in problem(o)
    (base / "ruleset.yaml").unlink()
    (tmp_path / "moved.yaml").rename(base / "ruleset.yaml")
    (base / "tables" / "scale.yaml").unlink()
    (base / "tables" / "scale.yaml").symlink_to(tmp_path / "secret.yaml")
    assert "included file 'tables/scale.yaml' is outside the rule set folder" in problem(o)


def test_a_loop_of_links_as_ruleset_yaml_or_as_an_include_is_a_located_problem(tmp_path):
    # Path.resolve() raises RuntimeError on a loop in Python 3.11: this was a traceback.
    base = tmp_path / "base"
    shutil.copytree(SHIPPED, base)
    (base / "ruleset.yaml").rename(tmp_path / "moved.yaml")
    (base / "ruleset.yaml").symlink_to(base / "again.yaml")
    (base / "again.yaml").symlink_to(base / "ruleset.yaml")
    assert problem(base) == (f"{base / 'ruleset.yaml'}: ruleset.yaml is a loop of symbolic links "
                             "(replace the link with the file)")
    for link in ("ruleset.yaml", "again.yaml"):
        (base / link).unlink()
    (tmp_path / "moved.yaml").rename(base / "ruleset.yaml")
    (base / "tables" / "scale.yaml").unlink()
    (base / "tables" / "scale.yaml").symlink_to("scale.yaml")
    assert "include[0]: included file 'tables/scale.yaml' is a loop of symbolic links" in problem(base)
