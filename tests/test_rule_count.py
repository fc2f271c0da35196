"""An oversized rule set is refused before it is validated and compiled (hardening item 13).

A 23 MB rule set within every per-file limit (200 files of 500 rules) took 168 s and 758 MB before
the 5,000-rule cap refused it after compiling; the rules are now counted from the files' data as
they are read, ``any:`` combinations and bands included.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scaleup.errors import RulesetError
from scaleup.rules import load
from scaleup.rules.limits import estimate_rules
from scaleup.rules.load import load_ruleset

HEAD = """id: big
version: 0.1.0
title: Too many rules
effective_from: 2018-11-01
sources:
  S: {title: A source, year: 2018}
include:
"""


def rule(i: int, any_of: int = 0) -> str:
    when = "[{fact: indicator, field: populations.affected, value: {gt: %d}}" % i
    if any_of:
        alts = ", ".join("{fact: indicator, field: populations.idps, value: {gt: %d}}" % j for j in range(any_of))
        when += f", {{any: [{alts}]}}"
    return (f"  - {{id: r{i}, title: Rule {i}, source: S, basis: project, when: {when}],\n"
            f"     then: [{{assert: {{fact: finding, name: f{i}}}}}]}}\n")


def write(root: Path, files: int, per_file: int, any_of: int = 0) -> Path:
    root.mkdir()
    names = [f"rules{k:03d}.yaml" for k in range(files)]
    (root / "ruleset.yaml").write_text(HEAD + "".join(f"  - {n}\n" for n in names), encoding="utf-8")
    for k, name in enumerate(names):
        (root / name).write_text("rules:\n" + "".join(rule(k * per_file + i, any_of) for i in range(per_file)),
                                 encoding="utf-8")
    return root


def test_a_rule_set_over_the_rule_cap_is_refused_before_compiling(tmp_path: Path, monkeypatch) -> None:
    def never(*args, **kwargs):
        raise AssertionError("compiled although the rule count was known to be over the cap")
    monkeypatch.setattr(load, "compile_file", never)
    root = write(tmp_path / "big", files=40, per_file=500)
    with pytest.raises(RulesetError) as caught:      # compile_file would raise: refused before compiling
        load_ruleset(root)
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.field) == (f"{root}/ruleset.yaml", 18, "include[10]")
    assert problem.message.startswith("with 'rules010.yaml' the rule set has more than 5,000 rules")
    assert "any: alternatives" in problem.hint


def test_any_expansions_count_toward_the_rule_cap(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(load, "compile_file", lambda *a, **k: pytest.fail("compiled"))
    root = write(tmp_path / "branches", files=4, per_file=25, any_of=60)     # 100 rules, 6,000 branches
    with pytest.raises(RulesetError) as caught:
        load_ruleset(root)
    assert [p.field for p in caught.value.problems] == ["include[3]"]


def test_the_count_before_compiling_matches_the_compiled_rule_set() -> None:
    from scaleup.scenario.yamlio import load_document
    root = Path(__file__).parent.parent / "rulesets" / "iasc-2018"
    files = load_document(root / "ruleset.yaml").data["include"]
    estimate = sum(estimate_rules(load_document(root / f).data, 5000) for f in files)
    assert len(load_ruleset("iasc-2018").rules) <= estimate <= len(load_ruleset("iasc-2018").rules) + 5
