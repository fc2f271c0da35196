"""Loading scenario files: YAML and JSON in, a validated Scenario with input facts or every
problem of the file, located and hinted, out."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest

from scaleup import docs_gen
from scaleup.errors import ScenarioError
from scaleup.scenario.fields import CATALOGUE, DERIVED
from scaleup.scenario.inputs import Skipped, read_scenario
from scaleup.scenario.load import load_scenario, parse_scenario
from scaleup.schemas import scenario_template
from scaleup.scenario.validation import NUMBER_HINT

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "fixtures" / "bad" / "scenarios"

MINIMAL = """\
id: minimal
title: The smallest valid scenario
as_of: 2026-03-20
country: {name: Mozambara, population: 31000000}
hazard: {types: [cyclone], onset: sudden}
"""


def problems(path: Path):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return caught.value.problems


# --- one broken fixture per failure mode ------------------------------------------------------

# file -> (line, field, part of the message, part of the hint)
BROKEN = {
    "unknown-key.yaml": (8, "populations.afected", "unknown field", "did you mean 'affected'?"),
    "text-for-number.yaml": (9, "populations.in_need", "expected a number, got the text '1,300,000'", NUMBER_HINT),
    "text-for-number.json": (9, "populations.idps", "expected a number, got the text '400000'", NUMBER_HINT),
    "negative-count.yaml": (9, "populations.idps", "must be at least 0, got -400", "counts and rates cannot be negative"),
    "duplicate-key.yaml": (10, "populations.idps", "duplicate key 'idps' (first defined on line 9)",
                           "remove one of the two entries"),
    "yes-for-boolean.yaml": (8, "food_security.famine_classified", "expected true or false, got the text 'yes'",
                             "yes/no/on/off are read as text"),
    "iso3-no.yaml": (9, "country.iso3", "got 'NO'", 'quote it: iso3: "NOR"'),
    "in-need-over-affected.yaml": (9, "populations.in_need", "1,300,000 is more than populations.affected (1,000,000)",
                                   "check both figures"),
    "affected-over-population.yaml": (8, "populations.affected",
                                      "41,000,000 is more than the country's population (31,000,000)",
                                      "check both figures"),
    "started-after-as-of.yaml": (9, "hazard.started", "2026-03-21 is after as_of (2026-03-20)", "check both figures"),
    "activation-after-as-of.yaml": (8, "activation.date", "2026-04-01 is after as_of (2026-03-20)", "check both figures"),
    "extension-before-activation.yaml": (10, "activation.extensions[0].date",
                                         "2026-01-05 is before the activation (2026-01-10)", "check both figures"),
    "epidemic-without-outbreak.yaml": (1, "outbreak", "hazard.types includes epidemic, so an outbreak section is required",
                                       "check both figures"),
    "choice-misspelt.yaml": (8, "hazard.onset", "got the text 'suden'", "did you mean 'sudden'?"),
    "missing-required.yaml": (1, "hazard", "required field is missing", "add 'hazard:'"),
    "share-over-100.yaml": (8, "health_nutrition.gam_pct", "must be at most 100, got 120", "check the unit and the figure"),
    "fractional-count.yaml": (8, "populations.affected", "expected a whole number, got 1850000.5", NUMBER_HINT),
    "not-a-date.yaml": (4, "as_of", "expected a date, got the text '20/03/2026'", "write dates as YYYY-MM-DD"),
    "bad-id.yaml": (2, "id", "got 'Cyclone Coastal'", "identifiers use lowercase letters, digits and dashes"),
    "nan.yaml": (8, "health_nutrition.cmr", "infinite and NaN values are not allowed", "give a finite number"),
    "section-not-a-mapping.yaml": (7, "populations", "expected a mapping of fields, got a list",
                                   "check the indentation of this block"),
    "top-level-list.yaml": (2, "", "the top level is a list", "field per line at the top level"),
    # Python 3.13's json module points at the trailing comma (line 6); 3.11 and 3.12 at the brace after it
    "invalid-json.json": (6 if sys.version_info >= (3, 13) else 7, "", "invalid JSON", "missing or trailing commas"),
    "unknown-key-in-list-item.yaml": (12, "activation.extensions[0].note", "unknown field",
                                      "known fields here: date, months"),
    "number-for-text.yaml": (3, "title", "expected text, got 2026", "put the value in quotes"),
    "null-for-required-text.yaml": (3, "title", "expected text, got nothing (null)", "write the text after the colon"),
    "expect-level-as-text.yaml": (8, "expect.unhcr_level", "expected a number, got the text 'two'", NUMBER_HINT),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_each_broken_scenario_is_reported_at_its_file_line_and_field_with_a_hint(name: str) -> None:
    line, field, message, hint = BROKEN[name]
    found = problems(BAD / name)
    assert len(found) == 1, [str(p) for p in found]
    problem = found[0]
    assert (problem.file, problem.line, problem.field) == (str(BAD / name), line, field)
    assert message in problem.message
    assert hint in problem.hint
    assert str(problem).startswith(f"{BAD / name}:{line}: ")


def test_every_broken_scenario_fixture_has_a_test() -> None:
    on_disk = {p.name for p in BAD.iterdir()}
    assert on_disk == set(BROKEN) | {"four-problems.yaml"}


def test_an_unknown_key_a_text_number_a_negative_count_and_a_duplicate_key_are_reported_together() -> None:
    path = BAD / "four-problems.yaml"
    found = problems(path)
    assert [(p.line, p.field) for p in found] == [
        (8, "populations.afected"), (9, "populations.in_need"), (10, "populations.idps"), (12, "populations.refugees")]
    assert [p.hint.split(" ")[0] for p in found] == ["did", "write", "counts", "remove"]
    assert all(p.file == str(path) for p in found)


def test_problems_in_several_sections_are_listed_in_line_order() -> None:
    text = MINIMAL.replace("hazard: {types: [cyclone], onset: sudden}",
                           "hazard: {types: [cyclone], onset: suden}\nimpact: {deaths: -1}\ncapacity: {rc_present: 1}")
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "mem.yaml")
    assert [(p.line, p.field) for p in caught.value.problems] == [
        (5, "hazard.onset"), (6, "impact.deaths"), (7, "capacity.rc_present")]


@pytest.mark.parametrize(("extra", "field", "message"), [
    ("populations: {affected: 100, idps: 200}", "populations.idps", "200 is more than populations.affected (100)"),
    ("populations: {affected: 100, refugees: 101}", "populations.refugees", "more than populations.affected"),
    ("populations: {idps: 10, idps_new_30d: 11}", "populations.idps_new_30d", "more than populations.idps"),
    ("populations: {refugees: 10, refugees_new_30d: 11}", "populations.refugees_new_30d", "more than populations.refugees"),
    ("populations: {affected: 10, non_displaced_affected: 11}", "populations.non_displaced_affected", "more than"),
    ("impact: {deaths: 10, deaths_30d: 11}", "impact.deaths_30d", "more than impact.deaths"),
    ("impact: {deaths: 40000000}", "impact.deaths", "more than the country's population"),
    ("food_security: {ipc_phase3plus_pct: 10, ipc_phase4plus_pct: 12}", "food_security.ipc_phase4plus_pct", "more than"),
    ("food_security: {ipc_phase5_population: 40000000}", "food_security.ipc_phase5_population", "population"),
    ("health_nutrition: {gam_pct: 5, sam_pct: 6}", "health_nutrition.sam_pct", "more than health_nutrition.gam_pct"),
    ("populations: {affected: 10}\ncapacity: {people_reached: 11}", "capacity.people_reached", "more than"),
    ("context: {countries_affected: 0}", "context.countries_affected", "must be at least 1"),
    ("activation: {date: 2026-01-01, extensions: [{date: 2026-04-01, months: 3}]}", "activation.extensions[0].date",
     "2026-04-01 is after as_of (2026-03-20)"),
    ("outbreak: {disease: cholera}", "hazard.types", "an outbreak section is given, so hazard.types must include epidemic"),
    ("health_nutrition: {cmr: 1, cmr_baseline: 0.00001}", "health_nutrition.cmr_baseline", "is below 0.0001"),
])
def test_each_consistency_check_names_the_field_that_breaks_it(extra: str, field: str, message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(MINIMAL + extra + "\n", "c.yaml")
    assert [(p.field, p.hint) for p in caught.value.problems] == [(field, "check both figures; they must be consistent")]
    assert message in caught.value.problems[0].message


def test_a_hazard_listed_twice_is_refused() -> None:
    with pytest.raises(ScenarioError, match="hazard.types: lists the same hazard twice"):
        parse_scenario(MINIMAL.replace("[cyclone]", "[cyclone, cyclone]"), "twice.yaml")


def test_a_problem_reads_as_file_line_field_message_and_hint() -> None:
    from scaleup.errors import Problem, ScaleupError
    full = Problem("s.yaml", 7, "populations.afected", "unknown field", "did you mean 'affected'?")
    assert str(full) == "s.yaml:7: populations.afected: unknown field (did you mean 'affected'?)"
    assert str(Problem("s.yaml", None, "", "the file is empty")) == "s.yaml: the file is empty"
    assert full.to_dict() == {"file": "s.yaml", "line": 7, "field": "populations.afected",
                              "message": "unknown field", "hint": "did you mean 'affected'?"}
    assert ScaleupError(full).problems == [full]
    assert str(ScaleupError("plain words")) == "<scaleup>: plain words"


# --- YAML 1.1 traps, resolved as yamlio documents ----------------------------------------------

def test_an_unquoted_no_is_text_not_false() -> None:
    loaded = parse_scenario(MINIMAL.replace("name: Mozambara", "name: NO"), "no.yaml")
    assert loaded.scenario.country.name == "NO"


def test_an_exponent_count_such_as_1e6_counts_as_one_million() -> None:
    loaded = parse_scenario(MINIMAL + "populations: {affected: 1e6, in_need: 2.5e5}\n", "e.yaml")
    assert loaded.scenario.populations.affected == 1_000_000
    assert type(loaded.scenario.populations.affected) is int
    assert loaded.scenario.populations.in_need == 250_000


def test_underscored_and_leading_zero_numbers_are_decimal() -> None:
    loaded = parse_scenario(MINIMAL + "populations: {affected: 1_000_000, idps: 010}\n", "u.yaml")
    assert (loaded.scenario.populations.affected, loaded.scenario.populations.idps) == (1_000_000, 10)


def test_a_boolean_where_a_number_belongs_is_an_error_not_one() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(MINIMAL + "populations: {affected: true}\n", "b.yaml")
    assert caught.value.problems[0].message == "expected a number, got the boolean true"


def test_a_list_where_a_number_belongs_is_an_error_that_names_what_it_got() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(MINIMAL + "populations: {affected: [1000]}\n", "l.yaml")
    assert caught.value.problems[0].message == "expected a number, got a list"


def test_a_number_where_true_or_false_belongs_is_an_error() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(MINIMAL + "capacity: {rc_present: 1}\n", "b.yaml")
    assert caught.value.problems[0].message == "expected true or false, got 1"


# --- YAML and JSON ---------------------------------------------------------------------------

TWIN_YAML = """\
id: twin
title: The same scenario in YAML and in JSON
as_of: 2026-03-20
country: {name: Mozambara, population: 31000000, iso3: XMB}
hazard: {types: [cyclone, flood], onset: sudden, started: 2026-03-14}
populations: {affected: 1850000, in_need: 1300000, idps: 400000, refugees: 0}
health_nutrition: {cmr: 0.8, gam_pct: 11}
capacity:
  rc_present: true
  hc_designated: false
  funding_coverage_pct: 18.5
"""

TWIN_JSON = """\
{
  "id": "twin",
  "title": "The same scenario in YAML and in JSON",
  "as_of": "2026-03-20",
  "country": {"name": "Mozambara", "population": 31000000, "iso3": "XMB"},
  "hazard": {"types": ["cyclone", "flood"], "onset": "sudden", "started": "2026-03-14"},
  "populations": {"affected": 1850000, "in_need": 1300000, "idps": 400000, "refugees": 0},
  "health_nutrition": {"cmr": 0.8, "gam_pct": 11},
  "capacity": {
    "rc_present": true,
    "hc_designated": false,
    "funding_coverage_pct": 18.5
  }
}
"""


def test_a_json_scenario_loads_to_the_same_scenario_and_facts_as_its_yaml_twin(tmp_path: Path) -> None:
    (tmp_path / "twin.json").write_text(TWIN_JSON, encoding="utf-8")
    (tmp_path / "twin.yaml").write_text(TWIN_YAML, encoding="utf-8")
    from_json, from_yaml = load_scenario(tmp_path / "twin.json"), load_scenario(tmp_path / "twin.yaml")
    assert from_json.scenario == from_yaml.scenario

    def content(loaded):
        return [(f.id, f.type, dict(f.fields)) for f in loaded.facts()]
    assert content(from_json) == content(from_yaml)
    origins = {f.fields["field"]: f.origin for f in from_json.facts()}
    assert origins["populations.affected"] == f"input:populations.affected@{tmp_path / 'twin.json'}:7"
    assert origins["capacity.hc_designated"] == f"input:capacity.hc_designated@{tmp_path / 'twin.json'}:11"
    assert {f.origin for f in from_json.facts() if f.fields["field"] == "hazard.types"} == {
        f"input:hazard.types[{i}]@{tmp_path / 'twin.json'}:6" for i in (0, 1)}


def test_json_text_is_parsed_when_the_format_says_so() -> None:
    loaded = parse_scenario(TWIN_JSON, "mem.json", fmt="json")
    assert loaded.scenario.hazard.started == dt.date(2026, 3, 14)
    assert loaded.name == "mem.json"


# --- facts -----------------------------------------------------------------------------------

def test_each_scenario_leaf_becomes_one_indicator_fact_and_booleans_become_text() -> None:
    loaded = parse_scenario(TWIN_YAML + "expect: {scale_up: recommend}\n", "twin.yaml")
    facts = {f.fields["field"]: f.fields["value"] for f in loaded.facts()}
    assert facts["populations.affected"] == 1850000
    assert facts["capacity.rc_present"] == "true"
    assert facts["capacity.hc_designated"] == "false"
    assert facts["capacity.funding_coverage_pct"] == 18.5
    assert "id" not in facts and "country.name" not in facts and "expect.scale_up" not in facts
    assert all(f.type == "indicator" for f in loaded.facts())


def test_a_list_field_gives_one_fact_per_item_each_at_its_own_line() -> None:
    text = MINIMAL.replace("hazard: {types: [cyclone], onset: sudden}",
                           "hazard:\n  types:\n    - flood\n    - cyclone\n  onset: sudden")
    loaded = parse_scenario(text, "list.yaml")
    types = [(f.fields["value"], f.origin) for f in loaded.facts() if f.fields["field"] == "hazard.types"]
    assert types == [("cyclone", "input:hazard.types[1]@list.yaml:8"), ("flood", "input:hazard.types[0]@list.yaml:7")]


def test_derived_indicators_name_the_lines_of_every_field_they_come_from() -> None:
    text = MINIMAL + ("populations: {affected: 3100000}\nactivation:\n  date: 2025-09-20\n"
                      "  extensions: [{date: 2026-03-01, months: 3}, {date: 2026-03-10, months: 4.5}]\n")
    derived = {f.fields["field"]: (f.fields["value"], f.origin) for f in parse_scenario(text, "d.yaml").facts()
               if f.origin.startswith("derived:")}
    assert derived["populations.iasc_caseload_pct"] == (10, "derived:populations.iasc_caseload_pct@d.yaml:4,6")
    assert derived["activation.months_elapsed"] == (5.9, "derived:activation.months_elapsed@d.yaml:3,8")
    assert derived["activation.extension_count"][0] == 2
    assert derived["activation.extension_months_max"][0] == 4.5
    assert derived["hazard.count"] == (1, "derived:hazard.count@d.yaml:5")
    assert "health_nutrition.cmr_ratio" not in derived   # no data, no indicator


def test_a_zero_divisor_gives_no_derived_indicator_rather_than_an_error() -> None:
    text = MINIMAL + "populations: {affected: 10, in_need: 0}\ncapacity: {people_reached: 0, operational_partners: 3}\n"
    fields = {f.fields["field"] for f in parse_scenario(text, "z.yaml").facts()}
    assert "capacity.reach_pct" not in fields and "capacity.partners_per_100k_pin" not in fields


def test_line_of_finds_nested_and_missing_fields() -> None:
    loaded = load_scenario(ROOT / "tests" / "fixtures" / "golden" / "mixed-conflict-outbreak.yaml")
    assert loaded.line_of("populations.in_need") == 21
    assert loaded.line_of("hazard.types[1]") == 14
    assert loaded.line_of("activation.extensions[1].months") == 85
    assert loaded.line_of("expect.scale_up") == 1   # absent: the root


def test_a_file_of_another_kind_is_refused_as_a_scenario_and_skipped_by_readers(tmp_path: Path) -> None:
    path = tmp_path / "exercise.yaml"
    path.write_text("kind: exercise\ntitle: A drill\n", encoding="utf-8")
    found = problems(path)
    assert (found[0].line, found[0].field) == (1, "kind")
    assert "'exercise' file, not a scenario" in found[0].message
    assert read_scenario(path) == Skipped(path, "exercise")


def test_reading_an_invalid_scenario_returns_its_error_instead_of_raising() -> None:
    item = read_scenario(BAD / "negative-count.yaml")
    assert isinstance(item, ScenarioError)


def test_the_expect_block_is_validated_like_the_rest() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(MINIMAL + "expect: {scale_up: recomend}\n", "x.yaml")
    problem = caught.value.problems[0]
    assert (problem.line, problem.field, problem.hint) == (6, "expect.scale_up", "did you mean 'recommend'?")


# --- the template and the generated catalogue ------------------------------------------------

def test_the_scenario_template_is_a_valid_scenario_that_feeds_every_criterion() -> None:
    loaded = parse_scenario(scenario_template(), "template.yaml")
    fields = {f.fields["field"] for f in loaded.facts()}
    feeds = docs_gen.criteria_by_field(__import__("scaleup").load_ruleset())
    assert {c for f in fields for c in feeds.get(f, [])} == {"scale", "urgency", "complexity", "capacity", "risk"}


def test_docs_scenario_md_is_in_sync_with_the_models_and_rules() -> None:
    current = (ROOT / "docs" / "scenario.md").read_text(encoding="utf-8")
    assert current == docs_gen.render(), "docs/scenario.md is out of date: run `python -m scaleup.docs_gen`"


def test_the_catalogue_in_the_docs_lists_every_field_with_its_criterion() -> None:
    text = docs_gen.render()
    for path in CATALOGUE:
        assert f"| `{path}` |" in text, path
    for path in DERIVED:
        assert f"`{DERIVED[path].formula}`" in text
    assert "| `populations.affected` | whole number | people | 0 to 10,000,000,000 |" in text
    assert "| `capacity.inform_lcc` | number | index 0-10 | 0 to 10 | INFORM Lack of Coping Capacity | capacity |" in text


def test_the_docs_generator_checks_and_rewrites_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "scenario.md"
    assert docs_gen.main(["--check", "-o", str(out)]) == 1
    assert "run: python -m scaleup.docs_gen" in capsys.readouterr().err
    assert docs_gen.main(["-o", str(out)]) == 0
    assert docs_gen.main(["--check", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == docs_gen.render()


def test_scenario_json_schema_matches_the_model() -> None:
    from scaleup.schemas import json_schema
    schema = json_schema("scenario")
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"id", "title", "as_of", "country", "hazard"}
    assert json.loads(json.dumps(schema)) == schema
