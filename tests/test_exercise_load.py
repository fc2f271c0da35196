"""Exercise files: validation with located errors, the timeline of patched scenarios, and answer
keys computed by the engine (never read from the file)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from scaleup.cli.main import main
from scaleup.errors import ScaleupError
from scaleup.exercise.load import load_exercise
from scaleup.exercise.model import KINDS
from scaleup.schemas import json_schema
from scaleup.scenario.yamlio import load_document

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures" / "exercises"
SHIPPED = sorted((ROOT / "scenarios" / "exercises").glob("*.yaml"))


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


# --- the shipped exercises -------------------------------------------------------------------

def test_at_least_three_exercises_are_shipped():
    assert {p.stem for p in SHIPPED} >= {"cyclone-idp-surge", "refugee-influx-mixed", "outbreak-preventive"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_each_shipped_exercise_validates_with_4_to_6_injects_and_10_questions(path):
    ex = load_exercise(path)     # raises on any problem, including a pinned answer the engine no longer gives
    assert 4 <= len(ex.steps) <= 6
    assert sum(q.scored for q in ex.questions) >= 10
    assert all(q.key in [c.value for c in q.options] for q in ex.questions if q.scored)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_each_shipped_exercise_matches_the_published_schema(path):
    as_json = json.loads(json.dumps(load_document(path).data, default=str))   # dates as JSON text
    jsonschema.validate(as_json, json_schema("exercise"))


def test_the_cyclone_crosses_into_a_scale_up_as_the_displaced_caseload_grows():
    ex = load_exercise(ROOT / "scenarios" / "exercises" / "cyclone-idp-surge.yaml")
    decisions = [ex.question(q).key for q in ("d0-decision", "d3-decision", "d7-decision")]
    assert decisions[-1] == "recommend" and "recommend" not in decisions[:-1]
    assert ex.question("d200-extension").key == "yes"


def test_the_refugee_influx_turns_from_the_rcm_to_a_mixed_situation():
    ex = load_exercise(ROOT / "scenarios" / "exercises" / "refugee-influx-mixed.yaml")
    assert ex.question("d0-route").key == "refugee_rcm"
    assert ex.question("d10-shelter").key == "no"
    assert ex.question("d21-route").key == "mixed_joint_note"


def test_the_outbreak_is_recommended_only_once_the_who_director_general_recommends():
    ex = load_exercise(ROOT / "scenarios" / "exercises" / "outbreak-preventive.yaml")
    assert ex.question("d0-variant").key == "infectious_disease_2019"
    assert ex.question("d9-decision").key != "recommend"
    assert ex.question("d14-decision").key == "recommend"


# --- keys, options and the timeline ------------------------------------------------------------

def test_the_drill_keys_every_question_kind_from_the_engine(drill):
    keys = {q.id: q.key for q in drill.questions}
    assert keys == {"q1": "consider", "q2": "2", "q3": "national_led", "q4": "recommend", "q5": "IFRC",
                    "q6": "yes", "q7": "2", "q8": None, "q9": "2026-09-23", "q10": "no",
                    "q11": "protocol_1_2018"}
    assert {q.question.kind for q in drill.questions} == set(KINDS) - {"lead"}


def test_the_answer_key_is_never_read_from_the_file(tmp_path):
    text = (FIX / "drill.yaml").read_text()
    moved = tmp_path / "drill.yaml"
    moved.write_text(text.replace("expect: consider}", "}").replace("inform_lcc: 4.0", "inform_lcc: 1.0")
                     .replace("ruleset: rules", f"ruleset: {FIX / 'rules'}"))
    assert load_exercise(moved, allow_outside_paths=True).question("q1").key == "not_recommended"


def test_options_left_out_are_generated_from_the_rule_set(drill):
    assert [c.value for c in drill.question("q3").options] == ["iasc_clusters", "refugee_rcm", "mixed_joint_note",
                                                                "national_led"]
    assert [c.value for c in drill.question("q9").options] == ["2026-03-19", "2026-08-23", "2026-09-23", "none"]
    assert [c.value for c in drill.question("q6").options] == ["yes", "no"]


def test_as_of_advances_with_the_day_and_patches_merge_into_the_scenario_so_far(drill):
    day0, day4, day10 = (s.loaded.scenario for s in drill.steps)
    assert (day0.as_of.isoformat(), day4.as_of.isoformat(), day10.as_of.isoformat()) == \
        ("2026-03-15", "2026-03-19", "2026-03-25")
    assert day4.populations.idps == 420000 and day4.populations.refugees == 0   # merged, not replaced
    assert day10.activation is not None and day10.capacity.inform_lcc == 5.6


def test_input_facts_point_at_the_patch_line_that_set_them(drill):
    facts = {f.fields["field"]: f.origin for f in drill.steps[1].loaded.facts() if f.type == "indicator"}
    lines = (FIX / "drill.yaml").read_text().splitlines()
    where = facts["populations.idps"].rsplit(":", 1)
    assert where[0].endswith("drill.yaml") and "idps: 420000" in lines[int(where[1]) - 1]
    base = facts["hazard.onset"].rsplit(":", 1)
    assert "onset: sudden" in lines[int(base[1]) - 1]


# --- broken exercises: one fixture per failure mode -------------------------------------------

BAD = [
    ("patch-unknown-field", "patch-unknown-field.yaml", 13, "injects[1].patch.populations.afected", "unknown field",
     "did you mean 'affected'?"),
    ("patch-inconsistent", "patch-inconsistent.yaml", 14, "injects[1].patch.populations.idps",
     "450,000 is more than populations.affected", "check both figures"),
    ("expect-mismatch", "expect-mismatch.yaml", 13, "injects[0].questions[0].expect",
     "pinned answer 'recommend' but the engine answers 'consider'", "update or remove expect"),
    ("key-not-in-options", "key-not-in-options.yaml", 13, "injects[0].questions[0].options",
     "the engine's answer 'consider' is not among the options", "add it to the options"),
    ("option-misspelt", "option-misspelt.yaml", 13, "injects[0].questions[0].options[0]",
     "'iasc_cluster' cannot be an answer to a route question", "did you mean 'iasc_clusters'?"),
    ("duplicate-question-id", "duplicate-question-id.yaml", 12, "injects[0].questions[1].id",
     "question id 'q1' is used twice (first on line 11)", "unique"),
    ("missing-subject", "missing-subject.yaml", 11, "injects[0].questions[0]", "needs 'cluster:'",
     "known in exercise-fixture: CCCM, Shelter"),
    ("unknown-cluster", "unknown-cluster.yaml", 11, "injects[0].questions[0].cluster",
     "derives a cluster named 'Sheltre'", "did you mean 'Shelter'?"),
    ("reflection-with-options", "reflection-with-options.yaml", 11, "injects[0].questions[0].options",
     "a reflection is not scored", "remove it"),
    ("injects-out-of-order", "injects-out-of-order.yaml", 10, "injects[1].day", "day 2 comes before", "time order"),
    ("patch-changes-id", "patch-changes-id.yaml", 10, "injects[0].patch.id", "a patch cannot change 'id'", "remove it"),
    ("milestone-without-date", "milestone-without-date.yaml", 13, "injects[0].questions[0]",
     "flash_appeal milestone at injects[0] but without a date", "hazard.started"),
    ("baseline-missing", "baseline-missing.yaml", 6, "baseline", "does not exist", "relative to the exercise file"),
    ("baseline-invalid", "invalid-base.yaml", 7, "populations.in_neeed", "unknown field", "did you mean 'in_need'?"),
    ("unknown-ruleset", "unknown-ruleset.yaml", 5, "ruleset", "no rule set named 'iasc-2018x'",
     "did you mean 'iasc-2018'?"),
    ("unknown-field", "unknown-field.yaml", 9, "injects[0].narative", "unknown field", "did you mean 'narrative'?"),
]


@pytest.mark.parametrize("name,file,line,field,message,hint", BAD, ids=[b[0] for b in BAD])
def test_a_broken_exercise_is_reported_at_its_file_line_and_field(name, file, line, field, message, hint):
    with pytest.raises(ScaleupError) as info:
        # the broken exercises share the drill's base.yaml and rule set, one folder up
        load_exercise(FIX / "bad" / f"{name}.yaml", allow_outside_paths=True)
    found = [p for p in info.value.problems if p.field == field]
    assert found, [str(p) for p in info.value.problems]
    problem = found[0]
    assert Path(problem.file).name == file
    assert problem.line == line
    assert message in problem.message
    assert hint in problem.hint


def test_scaleup_validate_checks_exercise_files_and_evaluate_skips_them():
    runner = CliRunner()
    ok = runner.invoke(main, ["validate", rel(FIX / "drill.yaml"), rel(FIX / "bad" / "expect-mismatch.yaml")])
    assert ok.exit_code == 1
    assert f"ok: {rel(FIX / 'drill.yaml')}" in ok.output
    # scaleup validate keeps an exercise's files inside its folder (no --allow-outside-paths there)
    assert "expect-mismatch.yaml:5: ruleset: rule set folder '../rules' is outside the exercise's folder" in ok.output
    allowed = runner.invoke(main, ["exercise", "validate", "--allow-outside-paths", rel(FIX / "bad" / "expect-mismatch.yaml")])
    assert "expect-mismatch.yaml:13: injects[0].questions[0].expect" in allowed.output
    skipped = runner.invoke(main, ["evaluate", rel(SHIPPED[0])])
    assert skipped.exit_code == 1 and "kind 'exercise' is not a scenario" in skipped.output   # nothing evaluated


def test_exercise_validate_prints_the_answer_key_for_trainers():
    result = CliRunner().invoke(main, ["exercise", "validate", rel(FIX / "drill.yaml"), "--key"])
    assert result.exit_code == 0, result.output
    assert "11 questions, 10 scored" in result.output
    assert "Q4 q4 day 4 scale_up: Recommend a System-Wide Scale-Up to the ERC [recommend]" in result.output
    bad = CliRunner().invoke(main, ["exercise", "validate", "--allow-outside-paths", rel(FIX / "bad" / "option-misspelt.yaml")])
    assert bad.exit_code == 1 and "did you mean 'iasc_clusters'?" in bad.output


def test_the_exercise_schema_is_published_with_the_scenario_as_baseline():
    result = CliRunner().invoke(main, ["schema", "exercise"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["properties"]["baseline"]["anyOf"][1] == {"$ref": "#/$defs/Scenario"}
    assert set(schema["$defs"]["Question"]["properties"]["kind"]["enum"]) == set(KINDS)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"kind": "exercise", "id": "x", "title": "t", "audience": "a", "baseline": {},
                             "injects": [{"day": 0, "narrative": "n", "questions": [{"id": "q1", "kind": "guess"}]}]},
                            schema)
