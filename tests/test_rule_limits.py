"""Rule files are untrusted input too (issue 8): they cannot run code, read files outside their
folder, or make the compiler or durable_rules hang, refuse the rule set, or fail mid-evaluation.

Fixtures: ``tests/fixtures/bad/hostile/rulesets/<limit>/``. durable_rules' real limits are
measured in child processes (``fuzz/durable_limits.py``): past some of them it loops forever.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fuzz import durable_limits
from scaleup.errors import RulesetError
from scaleup.facts import FACT_TYPES
from scaleup.rules import ir
from scaleup.rules.limits import (DEFAULT_RULE_LIMITS, DURABLE_WORDS, ENGINE_PROPERTIES, RuleLimits, check_rules,
                                  fnv1a_32, hash_collisions, outside_folder)
from scaleup.rules.load import load_ruleset

ROOT = Path(__file__).parent.parent
RULESETS = Path(__file__).parent / "fixtures" / "bad" / "hostile" / "rulesets"

# fixture folder -> (file, line, field, a fragment of the message)
EXPECTED = {
    "include-absolute": ("ruleset.yaml", 9, "include[0]", "'/etc/scaleup-outside.yaml' is outside the rule set folder"),
    "include-parent": ("ruleset.yaml", 9, "include[0]", "got '../outside.yaml'"),
    "python-tag": ("ruleset.yaml", 4, "title", "the tag !!python/object/apply:os.system is refused"),
    "too-many-files": ("ruleset.yaml", 8, "include", "at most 200 items"),
    "too-many-rules-in-a-file": ("rules.yaml", 1, "rules", "at most 500 items"),
    "too-many-conditions": ("rules.yaml", 6, "rules[0].when", "at most 40 items"),
    "too-many-branches": ("rules.yaml", 6, "rules[0].when", "any: expands to 128 alternatives (at most 64)"),
    "too-many-tests-after-one-node": ("rules.yaml", 2, "many-tests-0",
                                      "512 different tests follow `t == 'flag'` (at most 500; durable_rules hangs at 512)"),
    "too-many-identical-conditions": ("rules.yaml", 2, "identical-0",
                                      "320 conditions are the identical `t == 'flag' > name == 'x'` (at most 256)"),
    "too-many-tests-passing-at-once": ("rules.yaml", 2, "pending-0", "one fact could pass 67 tests at once (at most 64"),
    "condition-too-complex": ("rules.yaml", 2, "complex", "38 terms; at most 31"),
    "too-many-combinations": ("rules.yaml", 2, "join", "up to 1,000,000 combinations to try (at most 10,000)"),
}

MODEL_LIMITS = {"include-parent", "too-many-files", "too-many-rules-in-a-file", "too-many-conditions"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_hostile_rule_set_is_refused_with_a_located_message(name: str, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    file, line, field, fragment = EXPECTED[name]
    folder = RULESETS / name
    monkeypatch.chdir(tmp_path)   # an object tag that ran would leave a file here
    with pytest.raises(RulesetError) as caught:
        load_ruleset(folder)
    found = [p for p in caught.value.problems
             if p.file == os.path.join(str(folder), file) and p.line == line and p.field == field and fragment in p.message]
    assert found, [str(p) for p in caught.value.problems]
    if name not in MODEL_LIMITS:   # pydantic's own messages carry no hint yet
        assert all(p.hint for p in found)
    assert list(tmp_path.iterdir()) == []


def test_every_hostile_rule_set_has_an_expectation() -> None:
    assert {p.name for p in RULESETS.iterdir()} == set(EXPECTED)


def test_the_messages_name_every_rule_involved_with_its_file_and_line() -> None:
    with pytest.raises(RulesetError) as caught:
        load_ruleset(RULESETS / "too-many-identical-conditions")
    message = caught.value.problems[0].message
    rules = os.path.join(str(RULESETS / "too-many-identical-conditions"), "rules.yaml")
    assert f"identical-0 ({rules}:2, 64 branches), identical-1 ({rules}:11, 64 branches)" in message
    assert message.endswith("and 2 more rules")


def test_an_include_through_a_symbolic_link_cannot_leave_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "ruleset.yaml").write_text((RULESETS / "include-absolute" / "ruleset.yaml").read_text()
                                         .replace("/etc/scaleup-outside.yaml", "linked.yaml"))
    (tmp_path / "secret.yaml").write_text("rules: []\n")
    (folder / "linked.yaml").symlink_to(tmp_path / "secret.yaml")
    with pytest.raises(RulesetError, match="included file 'linked.yaml' is outside the rule set folder"):
        load_ruleset(folder)
    assert outside_folder(folder, "sub/ok.yaml") is None
    assert outside_folder(folder, "/etc/passwd.yaml") and outside_folder(folder, "a/../../x.yaml")


def test_a_rule_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "ruleset.yaml").write_text((RULESETS / "python-tag" / "ruleset.yaml").read_text()
                                         .replace('!!python/object/apply:os.system ["touch PWNED-BY-RULESET"]', "Big"))
    with open(folder / "rules.yaml", "wb") as handle:
        handle.truncate(10**9)
    with pytest.raises(RulesetError) as caught:
        load_ruleset(folder)
    assert [(p.line, p.message) for p in caught.value.problems] == [
        (None, "the file is 1000000000 bytes, larger than the limit of 1000000 bytes")]


# --- the checks on compiled rules, one limit at a time --------------------------------------

def _rules(kind: str, n: int) -> list[ir.CompiledRule]:
    return list(durable_limits.ruleset(kind, n).rules)


@pytest.mark.parametrize("kind, accepted, refused", [
    ("tests", 500, 501), ("identical", 256, 257), ("terms", 14, 15), ("pending", 63, 64), ("in_groups", 63, 64)])
def test_each_durable_limit_accepts_its_bound_and_refuses_one_more(kind: str, accepted: int, refused: int) -> None:
    assert check_rules(_rules(kind, accepted), "rs.yaml") == []
    problems = check_rules(_rules(kind, refused), "rs.yaml")
    assert len(problems) == 1 and problems[0].file == "experiment.yaml" and problems[0].line == 1, problems


def test_too_many_compiled_rules_are_refused_at_the_rule_set() -> None:
    rules = _rules("tests", 4) * 1001
    assert [(p.file, p.line, p.message) for p in check_rules(rules, "rs/ruleset.yaml")] == [
        ("rs/ruleset.yaml", None, "the rule set compiles to 5005 rules (bands and any: branches included); at most 5000")]
    assert not [p for p in check_rules(rules, "rs/ruleset.yaml", RuleLimits(max_rules=10_000)) if "compiles to" in p.message]


def test_a_rule_with_too_many_conditions_after_expansion_is_refused() -> None:
    rule = _rules("tests", 1)[1]
    long = ir.CompiledRule(**{**rule.__dict__, "patterns": tuple(
        ir.Pattern(f"p{i}", "finding", (ir.Test("name", "eq", f"f{i}"),)) for i in range(41))})
    assert [p.message for p in check_rules([long], "rs.yaml")] == [
        "rule r0 has 41 conditions (at most 40)"]


def test_conditions_pinned_to_one_fact_do_not_count_as_combinations() -> None:
    rule = _rules("tests", 1)[1]
    pinned = ir.CompiledRule(**{**rule.__dict__, "patterns": tuple(
        ir.Pattern(f"p{i}", "finding", (ir.Test("name", "eq", f"f{i}"),)) for i in range(6))})
    lists = ir.CompiledRule(**{**rule.__dict__, "patterns": tuple(
        ir.Pattern(f"p{i}", "indicator", (ir.Test("field", "eq", "hazard.types"), ir.Test("value", "ne", f"v{i}")))
        for i in range(4))})
    assert check_rules([pinned, lists], "rs.yaml") == []   # 1 and 10**4 combinations


def test_the_shipped_rule_set_is_within_every_limit_with_room_to_grow() -> None:
    rules = load_ruleset().rules   # load_ruleset runs check_rules: it would raise otherwise
    half = RuleLimits(max_rules=2_500, max_node_tests=250, max_identical=128, max_in_groups=64, max_terms=15,
                      max_pending=32, max_patterns=20, max_combinations=10_000)
    assert check_rules(rules, "ruleset.yaml", half) == [], "within half of every limit"


# --- durable_rules itself, in child processes ------------------------------------------------

def test_durable_takes_every_rule_set_at_our_limits() -> None:
    at_limits = [("tests", 500), ("identical", 256), ("terms", 14), ("pending", 63), ("in_groups", 63)]
    results = durable_limits.run_many(at_limits)
    assert [r.split(" (")[0] for r in results] == ["ok"] * len(at_limits), results


@pytest.mark.parametrize("kind, n, outcomes", [
    # 108, or a write past the end of durable's list: registered, and one rule never fires
    ("identical", 257, ("refused at registration: 108", "ok (256 firings)")),
    ("terms", 15, ("refused at registration: 113",)),
    # error 303 mid-evaluation; delete_state afterwards sometimes frees a bad pointer (SIGSEGV, SIGABRT)
    ("pending", 65, ("failed during evaluation: 303", "crashed (return code")),
])
def test_durable_fails_just_past_its_limits(kind: str, n: int, outcomes: tuple[str, ...]) -> None:
    # What check_rules prevents: if these start to pass, durable_rules changed and so may the limits.
    assert durable_limits.run_child(kind, n, timeout=60).startswith(outcomes)


def test_durable_hangs_with_512_tests_after_one_node() -> None:
    # 511 is the real maximum; check_rules stops at 500.
    assert durable_limits.run_child("tests", 512, timeout=4) == "hangs during evaluation"


# --- no code, no hash collisions ---------------------------------------------------------------

FORBIDDEN = re.compile(r"(?<![\w.])(eval|exec)\(|\bpickle\b|\bmarshal\b|\bshelve\b|yaml\.load\(|"
                       r"yaml\.unsafe_load|yaml\.full_load|UnsafeLoader|FullLoader|yaml\.Loader\b|"
                       r"\bos\.system\(|__import__\(|importlib\.import_module\(")


def test_nothing_in_scaleup_can_turn_data_into_code() -> None:
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
             for path in sorted((ROOT / "scaleup").rglob("*.py"))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if FORBIDDEN.search(line)]
    assert found == []


def test_the_forbidden_pattern_catches_what_it_should() -> None:
    for bad in ("eval(text)", "x = exec(code)", "import pickle", "yaml.load(f)", "yaml.unsafe_load(f)",
                "Loader=yaml.Loader", "yaml.FullLoader", "os.system('x')", "__import__(name)"):
        assert FORBIDDEN.search(bad), bad
    for fine in ("evaluate(loaded)", "self.evaluate(x)", "engine.evaluate_traced(x)", "yaml.SafeLoader",
                 "load_document(path)", "executor(x)"):
        assert not FORBIDDEN.search(fine), fine


def test_fnv1a_matches_durable_rules() -> None:
    # rete.c: HASH_AND 3746487396 ($and), HASH_ALL 321211332 (all); a known collision between two of its own words.
    assert fnv1a_32("$and") == 3746487396 and fnv1a_32("all") == 321211332
    assert fnv1a_32("nakmvxxv") == fnv1a_32("tbdxatiq")
    assert hash_collisions(["nakmvxxv", "tbdxatiq", "level"]) == [("nakmvxxv", "tbdxatiq")]


def test_no_field_name_collides_with_another_or_with_a_durable_word() -> None:
    names = {n for spec in FACT_TYPES.values() for n in spec.fields} | set(ENGINE_PROPERTIES)
    names |= {f"a{i}" for i in range(DEFAULT_RULE_LIMITS.max_patterns)} | {"ph", "m", "never"}
    assert hash_collisions(names) == []
    assert hash_collisions(["x", "$and"], words=list(DURABLE_WORDS)) == []
    assert hash_collisions(["$and"], words=["$and"]) == []   # a word is not its own collision


def test_a_hash_collision_in_the_rules_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    from scaleup.rules import limits
    monkeypatch.setattr(limits, "ENGINE_PROPERTIES", (*ENGINE_PROPERTIES, "nakmvxxv", "tbdxatiq"))
    problems = check_rules(_rules("tests", 1), "rs/ruleset.yaml")
    assert [(p.file, p.message) for p in problems] == [
        ("rs/ruleset.yaml", "the names 'nakmvxxv' and 'tbdxatiq' have the same 32-bit hash, so durable_rules "
                            "cannot tell them apart")]


def test_rule_limits_are_documented() -> None:
    text = (ROOT / "docs" / "limits.md").read_text(encoding="utf-8")
    for figure in ("5,000 compiled rules", "40 conditions", "10,000 combinations", "500 different tests",
                   "256 identical conditions", "31 terms", "64 tests", "200 files", "500 rules", "64 alternatives"):
        assert figure in text, figure


def test_a_rule_set_under_which_no_rule_fires_does_not_crash_the_process(tmp_path: Path) -> None:
    # durable_rules aborts in delete_state when no action ever ran; the engine's final phase fires one.
    folder = tmp_path / "nofire"
    folder.mkdir()
    (folder / "ruleset.yaml").write_text((RULESETS / "python-tag" / "ruleset.yaml").read_text()
                                         .replace('!!python/object/apply:os.system ["touch PWNED-BY-RULESET"]', "No fire"))
    (folder / "rules.yaml").write_text(
        "rules:\n  - {id: never, title: Never fires, source: TEST-SOURCE, basis: project,\n"
        "     when: [{fact: finding, name: never}], then: [{assert: {fact: note, text: never}}]}\n")
    done = subprocess.run([sys.executable, "-m", "scaleup", "evaluate", "scenarios/cyclone-coastal.yaml", "-r",
                           str(folder)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1), f"return code {done.returncode}: {done.stderr[-300:]}"
