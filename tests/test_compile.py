"""The rule compiler: every name checked and located, any: expanded, scoring tables turned into
band rules, patterns on one slot merged, rules ordered into strata."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scaleup.engine.durable import Engine
from scaleup.errors import RulesetError
from scaleup.rules.ir import Ref, Threshold
from scaleup.rules.ir import Test as Check
from scaleup.rules.load import load_ruleset
from scaleup.scenario.load import parse_scenario

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "fixtures" / "bad" / "rulesets"
SMALL = ROOT / "tests" / "fixtures" / "rulesets" / "small"


def rejected(folder: Path | str):
    with pytest.raises(RulesetError) as caught:
        load_ruleset(folder)
    return caught.value.problems


# --- one broken rule set per failure mode -------------------------------------------------------

# folder -> (file, line, field, part of the message, part of the hint)
BROKEN = {
    "unknown-fact-type": ("rules.yaml", 8, "rules[0].when[1].fact", "unknown fact type 'situaton'",
                          "did you mean 'situation'?"),
    "unknown-fact-field": ("rules.yaml", 7, "rules[0].when[0].nmae", "fact type 'criterion' has no field 'nmae'",
                           "did you mean 'name'?"),
    "unknown-scenario-field": ("rules.yaml", 7, "rules[0].when[0].field", "unknown scenario field 'populations.afected'",
                               "did you mean 'populations.affected'?"),
    "unknown-source": ("rules.yaml", 4, "rules[0].source", "source 'TEST-SOURSE' is not defined in ruleset.yaml",
                       "did you mean 'TEST-SOURCE'?"),
    "unknown-parameter": ("rules.yaml", 7, "rules[0].when[0].level.gte",
                          "parameter 'big_levl' is not defined in ruleset.yaml", "did you mean 'big_level'?"),
    "parameter-unknown-source": ("ruleset.yaml", 12, "parameters.big_level.source", "source 'TEST-SORCE' is not defined",
                                 "did you mean 'TEST-SOURCE'?"),
    "alias-undefined": ("rules.yaml", 9, "rules[0].then[0].assert.level",
                        "'$s.level' refers to no parameter or earlier alias", "an alias set by 'as:'"),
    "alias-on-negation": ("rules.yaml", 8, "rules[0].when[1].not.as", "a negated condition cannot be referred to",
                          "remove 'as:'"),
    "alias-unknown-field": ("rules.yaml", 8, "rules[0].when[1].level.gte", "'criterion' facts have no field 'levle'",
                            "did you mean 'level'?"),
    "join-on-optional-field": ("rules.yaml", 6, "rules[0].when", "compares with $s.level, which 's' facts may not have",
                               "add a test on level to the condition named 's'"),
    "value-not-in-enum": ("rules.yaml", 7, "rules[0].when[0].value", "'suden' is not a possible value of hazard.onset",
                          "did you mean 'sudden'?"),
    "numeric-op-on-category": ("rules.yaml", 7, "rules[0].when[0].value.gt",
                               "gt compares numbers, but value is a category", "use eq, ne, in or not_in"),
    "text-for-number": ("rules.yaml", 7, "rules[0].when[0].value.gte", "value is a number here, but '1000000' is text",
                        "write a number"),
    "unknown-operator": ("rules.yaml", 7, "rules[0].when[0].value.gtee", "unknown comparison 'gtee'",
                         "did you mean 'gte'?"),
    "edges-not-increasing": ("rules.yaml", 8, "tables[0].indicators[0].edges",
                             "edges must be strictly increasing: [30000, 250000, 100000, 3000000]", "sort them"),
    "edges-on-category": ("rules.yaml", 8, "tables[0].indicators[0].edges",
                          "impact.geographic_spread is not numeric; edges need a number field", "use levels"),
    "negation-cycle": ("rules.yaml", 2, "flag.quiet",
                       "cycle through not: rule flag.quiet negates ['finding'] and asserts ['flag']",
                       "may not (indirectly) depend on the absence of what it derives"),
    "duplicate-rule-id": ("rules.yaml", 10, "finding.big", "rule id 'finding.big' is used twice (first at ",
                          "give each rule a unique id"),
    "assert-input-fact": ("rules.yaml", 9, "rules[0].then[0].assert.fact", "cannot assert fact type 'indicator'",
                          "expected one of: ceiling, cluster, coordination, criterion, decision"),
    "emit-missing-field": ("rules.yaml", 9, "rules[0].then[0].assert", "'lead' facts need actor", "add actor: <value>"),
    "shadowed-negation": ("rules.yaml", 6, "rules[0].when", "not: criterion (name eq scale, level gte 4) is never checked",
                          "write the opposite test on that condition instead"),
    "any-single-alternative": ("rules.yaml", 7, "rules[0].when[0].any", "any: needs a list of at least two alternatives",
                               "each alternative is a condition or a list of conditions"),
    "any-too-many-branches": ("rules.yaml", 6, "rules[0].when", "any: expands to 125 alternatives (at most 64)",
                              "split the rule"),
    "condition-not-a-mapping": ("rules.yaml", 7, "rules[0].when[0]", "a condition is a mapping with 'fact: <type>'",
                                "e.g. {fact: criterion, name: scale, level: {gte: 3}}"),
    "alias-reused": ("rules.yaml", 8, "rules[0].when[1].as", "alias 'c' is not a new name", "use a unique name"),
    "in-needs-a-list": ("rules.yaml", 7, "rules[0].when[0].value.in", "in: needs a list of 1 to 50 values",
                        "e.g. {in: [sudden, rapid_deterioration]}"),
    "in-with-alias": ("rules.yaml", 8, "rules[0].when[1].level.in", "in: takes literal values or parameters",
                      "using eq, ne, gt, gte, lt or lte"),
    "comparison-with-a-list": ("rules.yaml", 7, "rules[0].when[0].value.gte", "expected a value for gte, got list",
                               "write a number, a word, $param.<name> or $<alias>.<field>"),
    "literal-needs-exponent": ("rules.yaml", 7, "rules[0].when[0].value.gt",
                               "integer 10000000000000000 is outside +/-2**53", "rescale the unit"),
    "action-not-assert": ("rules.yaml", 9, "rules[0].then[0]", "an action is 'assert: {fact: <type>",
                          "e.g. assert: {fact: route, value: refugee_rcm}"),
    "emit-unknown-field": ("rules.yaml", 9, "rules[0].then[0].assert.nmae", "fact type 'finding' has no field 'nmae'",
                           "did you mean 'name'?"),
    "emit-list-value": ("rules.yaml", 9, "rules[0].then[0].assert.name", "expected a literal value",
                        "one value, not a list or a mapping"),
    "emit-level-out-of-range": ("rules.yaml", 9, "rules[0].then[0].assert.level",
                                "level must be a whole number from 1 to 5, got 7", "levels run 1 (very low) to 5"),
    "emit-text-for-number": ("rules.yaml", 9, "rules[0].then[0].assert.months", "months must be a number, got 'six'",
                             "write a number without quotes or units"),
    "emit-value-not-in-enum": ("rules.yaml", 9, "rules[0].then[0].assert.value", "'clusters' is not a possible route.value",
                               "did you mean 'iasc_clusters'?"),
    "table-unknown-field": ("rules.yaml", 7, "tables[0].indicators[0].field", "unknown scenario field 'populations.afected'",
                            "did you mean 'populations.affected'?"),
    "indicator-without-edges-or-levels": ("rules.yaml", 7, "tables[0].indicators[0]",
                                          "give either edges (numeric field) or levels (categorical field)",
                                          "e.g. edges: [10, 100, 1000, 10000]"),
    "band-levels-wrong-count": ("rules.yaml", 9, "tables[0].indicators[0].band_levels",
                                "2 edges make 3 bands, so band_levels needs 3 increasing levels, got [1, 3]",
                                "one level per band"),
    "too-many-bands": ("rules.yaml", 8, "tables[0].indicators[0].edges", "5 edges make 6 bands, but levels run 1-5",
                       "use at most 4 edges, or band_levels"),
    "levels-on-a-number": ("rules.yaml", 8, "tables[0].indicators[0].levels", "populations.affected is numeric; use edges",
                           "e.g. edges: [10, 20, 50, 100]"),
    "levels-unknown-value": ("rules.yaml", 8, "tables[0].indicators[0].levels.suddenly",
                             "'suddenly' is not a possible value of hazard.onset", "did you mean 'sudden'?"),
    "rule-file-unknown-key": ("rules.yaml", 1, "rule", "unknown field", "did you mean 'rules'?"),
    "caveat-unknown-source": ("ruleset.yaml", 10, "caveats[0].source", "source 'TEST-SORUCE' is not defined",
                              "did you mean 'TEST-SOURCE'?"),
    "include-outside-folder": ("ruleset.yaml", 9, "include[0]", "got '../unknown-source/rules.yaml'", "check the format"),
    "duplicate-key-in-ruleset-yaml": ("ruleset.yaml", 5, "version", "duplicate key 'version' (first defined on line 3)",
                                      "remove one of the two entries"),
    "missing-include": ("ruleset.yaml", 9, "include[0]", "included file 'rules/scope.yaml' does not exist",
                        "relative to ruleset.yaml"),
    "bad-version": ("ruleset.yaml", 3, "version", "got '1.0'", "check the format"),
    "python-tag": ("rules.yaml", 3, "rules[0].title", "the tag !!python/object/apply:os.system is refused",
                   "remove the tag"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_each_broken_rule_set_is_rejected_at_its_file_line_and_field_with_a_hint(name: str) -> None:
    file, line, field, message, hint = BROKEN[name]
    found = rejected(BAD / name)
    assert len(found) == 1, [str(p) for p in found]
    problem = found[0]
    assert (problem.file, problem.line, problem.field) == (str(BAD / name / file), line, field)
    assert message in problem.message
    assert hint in problem.hint


def test_every_broken_rule_set_fixture_has_a_test() -> None:
    assert {p.name for p in BAD.iterdir()} == set(BROKEN)


def test_problems_in_several_files_are_reported_together(tmp_path: Path) -> None:
    folder = tmp_path / "two"
    shutil.copytree(BAD / "unknown-source", folder)
    (folder / "more.yaml").write_text((BAD / "value-not-in-enum" / "rules.yaml").read_text().replace(
        "finding.sudden", "finding.sudden2"), encoding="utf-8")
    text = (folder / "ruleset.yaml").read_text().replace("  - rules.yaml", "  - rules.yaml\n  - more.yaml")
    (folder / "ruleset.yaml").write_text(text, encoding="utf-8")
    found = rejected(folder)
    assert [(Path(p.file).name, p.line, p.field) for p in found] == [
        ("rules.yaml", 4, "rules[0].source"), ("more.yaml", 7, "rules[0].when[0].value")]


def test_an_unknown_rule_set_name_suggests_a_shipped_one() -> None:
    problem = rejected("iasc-2108")[0]
    assert (problem.file, problem.message, problem.hint) == ("iasc-2108", "no such rule set folder",
                                                              "did you mean 'iasc-2018'?")


# --- strata ------------------------------------------------------------------------------------

def test_strata_follow_fact_dependencies_and_negation_as_documented() -> None:
    rs = load_ruleset(SMALL)
    strata = {r.key: r.stratum for r in rs.rules}
    # bands and rules that read only indicators: 0; signal is written in 0
    assert strata["scale/populations.affected/L4"] == 0
    assert strata["note.onset"] == 0
    assert strata["finding.spread-or-big#2"] == 0
    # combine and insufficient negate signal: one above it; criterion is therefore written in 1
    assert strata["scale/combine"] == strata["scale/insufficient"] == 1
    # reading criterion puts a rule in criterion's stratum, and its finding there too
    assert strata["finding.large"] == 1
    # negating finding (written in 1) needs 2
    assert strata["flag.not-large"] == 2
    assert rs.strata == 2
    assert [r.stratum for r in rs.rules] == sorted(r.stratum for r in rs.rules)


def test_the_shipped_rule_set_compiles_and_every_rule_cites_a_defined_source() -> None:
    rs = load_ruleset("iasc-2018")
    assert rs.rules and rs.strata >= 1
    for rule in rs.rules:
        assert rule.source in rs.sources, rule.key
        assert rule.basis in ("source", "project"), rule.key
        assert rule.title and rule.file and rule.line, rule.key


# --- any: expansion, merge, bands ----------------------------------------------------------------

def test_any_expands_into_one_branch_per_alternative_sharing_the_rule_id() -> None:
    rs = load_ruleset(SMALL)
    branches = rs.branches("finding.spread-or-big")
    assert [b.key for b in branches] == ["finding.spread-or-big#1", "finding.spread-or-big#2", "finding.spread-or-big#3"]
    assert {(b.id, b.title, b.line) for b in branches} == {("finding.spread-or-big", branches[0].title, 16)}
    tests = [[[t.describe() for t in p.tests] for p in b.patterns] for b in branches]
    assert tests[0] == [["field eq hazard.onset"],
                        ["field eq impact.geographic_spread", "value in ['nationwide', 'multi_country']"]]
    # the nested AND alternative: its onset condition merges with the rule's own onset condition
    assert tests[1] == [["field eq hazard.onset", "value eq sudden"],
                        ["field eq populations.affected", "value gte 1000000"]]
    # hazard.types is a list (several facts), so its condition stays a separate pattern
    assert tests[2] == [["field eq hazard.onset"], ["field eq hazard.types", "value eq epidemic"]]
    assert rs.rule_ids.count("finding.spread-or-big") == 1


def test_two_conditions_on_one_criterion_merge_into_one_pattern_with_both_tests() -> None:
    rule = load_ruleset(SMALL).branches("finding.large")[0]
    assert len(rule.patterns) == 1
    assert rule.patterns[0].tests == (Check("name", "eq", "scale"), Check("level", "gte", 3, "medium_level"),
                                      Check("level", "gte", 4, "high_level"))
    # each threshold keeps its parameter's basis, source and verification
    assert rule.thresholds == (
        Threshold("criterion.level", "gte", 3, "source", "OTHER-SOURCE", "medium_level", False),
        Threshold("criterion.level", "gte", 4, "project", "TEST-SOURCE", "high_level", True))


SCENARIO = """\
id: merge
title: Scale from people affected
as_of: 2026-03-20
country: {{name: Mozambara, population: 31000000}}
hazard: {{types: [cyclone], onset: sudden}}
populations: {{affected: {affected}}}
"""


@pytest.mark.parametrize(("affected", "fires"), [(1_850_000, True), (500_000, False)])
def test_a_rule_testing_scale_at_least_3_and_at_least_4_fires_exactly_when_scale_is_4(affected: int, fires: bool) -> None:
    rs = load_ruleset(SMALL)
    ev = Engine(rs).evaluate(parse_scenario(SCENARIO.format(affected=affected), "m.yaml").facts())
    assert ("finding.large" in ev.fired_rules()) is fires
    assert ("flag.not-large" in ev.fired_rules()) is not fires


@pytest.mark.parametrize(("extra", "fires"), [
    ("populations: {affected: 500000}\nimpact: {geographic_spread: nationwide}", True),     # spread L4 > affected L3
    ("populations: {affected: 1850000}\nimpact: {geographic_spread: several_provinces}", False),   # L3 < L4
])
def test_a_condition_may_compare_with_a_value_from_another_matched_fact(extra: str, fires: bool) -> None:
    rs = load_ruleset(SMALL)
    rule = rs.branches("finding.spread-is-top")[0]
    assert rule.patterns[1].tests[-1] == Check("level", "gte", Ref("c", "level"))
    assert str(Ref("c", "level")) == "$c.level"
    text = SCENARIO.format(affected=1).replace("populations: {affected: 1}\n", extra + "\n")
    ev = Engine(rs).evaluate(parse_scenario(text, "join.yaml").facts())
    assert ("finding.spread-is-top" in ev.fired_rules()) is fires


def test_edges_become_one_band_rule_per_level_with_the_basis_of_each_edge() -> None:
    rs = load_ruleset(SMALL)
    bands = {r.key: r for r in rs.rules if r.kind == "band" and "populations.affected" in r.key}
    assert sorted(bands) == [f"scale/populations.affected/L{n}" for n in range(1, 6)]
    l2 = bands["scale/populations.affected/L2"]
    assert [t.describe() for t in l2.patterns[0].tests] == [
        "field eq populations.affected", "value gte 10000", "value lt 100000"]
    assert l2.thresholds[0] == Threshold("populations.affected", "gte", 10000, "source", "OTHER-SOURCE", None, True)
    assert l2.thresholds[1] == Threshold("populations.affected", "lt", 100000, "project", "TEST-SOURCE", None, True)
    assert l2.title == "populations.affected: >= 10,000 and < 100,000 -> scale level 2"
    assert dict(l2.emits[0].fields) == {"criterion": "scale", "field": "populations.affected", "level": 2}


def test_descending_edges_with_band_levels_put_the_lowest_values_at_the_highest_level() -> None:
    rs = load_ruleset(SMALL)
    bands = {r.key.rsplit("/", 1)[1]: [t.describe() for t in r.patterns[0].tests][1:]
             for r in rs.rules if r.key.startswith("scale/capacity.funding_coverage_pct/")}
    assert bands == {"L1": ["value gte 50"], "L3": ["value gte 20", "value lt 50"], "L5": ["value lt 20"]}


def test_categorical_levels_group_the_values_of_one_level() -> None:
    rs = load_ruleset(SMALL)
    l4 = next(r for r in rs.rules if r.key == "scale/impact.geographic_spread/L4")
    assert l4.patterns[0].tests[1] == Check("value", "in", ("nationwide", "multi_country"))


def test_each_table_adds_a_combine_and_an_insufficient_evidence_rule() -> None:
    rs = load_ruleset(SMALL)
    combine, insufficient = rs.branches("scale/combine")[0], rs.branches("scale/insufficient")[0]
    assert (combine.kind, insufficient.kind) == ("combine", "insufficient")
    assert combine.patterns[1].negated and combine.patterns[1].tests[1] == Check("level", "gt", Ref("s", "level"))
    assert dict(insufficient.emits[0].fields) == {"evidence": "insufficient", "name": "scale"}


def test_an_action_may_copy_a_value_from_an_aliased_condition() -> None:
    rule = load_ruleset(SMALL).branches("note.onset")[0]
    assert rule.emits[0].fields == (("text", Ref("onset", "value")),)


# --- parameters, overrides, identity -------------------------------------------------------------

def test_a_parameter_override_changes_the_compiled_threshold_and_the_fingerprint() -> None:
    plain, raised = load_ruleset(SMALL), load_ruleset(SMALL, {"high_level": 5})
    assert raised.branches("finding.large")[0].patterns[0].tests[2] == Check("level", "gte", 5, "high_level")
    assert raised.overrides == (("high_level", 5),)
    assert raised.fingerprint == plain.fingerprint + "+high_level=5"


def test_an_override_of_an_unknown_parameter_or_of_the_wrong_kind_is_rejected() -> None:
    with pytest.raises(RulesetError) as caught:
        load_ruleset(SMALL, {"hihg_level": 5, "medium_level": "three"})
    assert [(p.file, p.field, p.hint) for p in caught.value.problems] == [
        ("--set", "hihg_level", "did you mean 'high_level'?"),
        ("--set", "medium_level", "give a value of the same kind as in ruleset.yaml")]


def test_the_rule_set_hash_covers_every_file_it_includes(tmp_path: Path) -> None:
    copy = tmp_path / "small"
    shutil.copytree(SMALL, copy)
    before = load_ruleset(copy)
    assert before.sha256 == load_ruleset(SMALL).sha256
    assert before.files == ("ruleset.yaml", "scale.yaml", "rules.yaml")
    (copy / "rules.yaml").write_text((copy / "rules.yaml").read_text() + "\n# a comment\n", encoding="utf-8")
    assert load_ruleset(copy).sha256 != before.sha256
