"""The command line, driven through click's CliRunner: output, files and exit codes
(0 ok, 1 invalid input or rules, 2 usage, 3 expectations not met)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import jsonschema
import pytest
from click.testing import CliRunner, Result

from scaleup.engine import durable as engine_module
from scaleup.cli.main import COMMANDS, main

from scaleup.scenario.fields import CATALOGUE, DERIVED
from scaleup.rules.load import load_ruleset
from scaleup.scenario.load import parse_scenario

ROOT = Path(__file__).resolve().parent.parent
CYCLONE = "scenarios/cyclone-coastal.yaml"
BAD = "tests/fixtures/bad"
FIXTURES = "tests/fixtures/rulesets"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def with_expect(tmp_path: Path, expect: str) -> Path:
    text = (ROOT / CYCLONE).read_text(encoding="utf-8").split("\nexpect:")[0]
    path = tmp_path / "cyclone-expect.yaml"
    path.write_text(text.rstrip("\n") + "\nexpect:\n" + expect, encoding="utf-8")
    return path


# --- evaluate ----------------------------------------------------------------------------------

def test_evaluate_prints_a_readable_recommendation_and_exits_0() -> None:
    result = run("evaluate", CYCLONE)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("cyclone-coastal: ")
    assert "Scale-Up: " in result.stdout and "Criteria (1 very low .. 5 very high" in result.stdout
    assert re.search(rf" {re.escape(CYCLONE)}:\d+", result.stdout)     # each signal names its line
    assert result.stderr == ""


def test_evaluate_json_is_the_recommendation_with_its_audit() -> None:
    result = run("evaluate", CYCLONE, "-f", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["scenario"]["file"] == CYCLONE and data["audit"]["firings"]


def test_output_option_writes_the_file_and_nothing_to_stdout(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "rec.json"
    result = run("evaluate", CYCLONE, "-f", "json", "-o", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["scenario"]["id"] == "cyclone-coastal"
    assert [p.name for p in out.parent.iterdir()] == ["rec.json"]      # no temporary file left


def test_a_bad_file_among_good_ones_is_reported_and_the_good_one_still_printed() -> None:
    result = run("evaluate", CYCLONE, f"{BAD}/scenarios/negative-count.yaml")
    assert result.exit_code == 1
    assert result.stdout.startswith("cyclone-coastal: ")
    assert result.stderr == (f"error: {BAD}/scenarios/negative-count.yaml:9: populations.idps: must be at least 0, "
                             "got -400 (counts and rates cannot be negative)\n")


def test_four_problems_are_reported_together_exit_1_and_nothing_reaches_the_engine(monkeypatch) -> None:
    def must_not_run(*args, **kwargs):
        pytest.fail("the engine was called for an invalid scenario")
    monkeypatch.setattr(engine_module.Engine, "evaluate", must_not_run)
    result = run("evaluate", f"{BAD}/scenarios/four-problems.yaml")
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert [re.match(r"error: \S+:(\d+): (\S+):", line).groups() for line in lines] == [
        ("8", "populations.afected"), ("9", "populations.in_need"), ("10", "populations.idps"),
        ("12", "populations.refugees")]


def test_check_exits_3_when_a_scenario_misses_its_expectations(tmp_path: Path) -> None:
    path = with_expect(tmp_path, "  scale_up: not_applicable\n  route: refugee_rcm\n")
    result = run("evaluate", str(path), "--check")
    assert result.exit_code == 3
    assert f"mismatch: {path}: scale_up: expected 'not_applicable', got " in result.stderr
    assert f"mismatch: {path}: route: expected 'refugee_rcm', got " in result.stderr
    assert result.stdout.startswith("cyclone-coastal: ")          # the recommendation is still printed


def test_check_exits_0_when_expectations_hold_and_ignores_them_without_check(tmp_path: Path) -> None:
    rec = json.loads(run("evaluate", CYCLONE, "-f", "json").stdout)
    good = with_expect(tmp_path, f"  scale_up: {rec['scale_up']}\n  route: {rec['route']}\n")
    assert run("evaluate", str(good), "--check").exit_code == 0
    wrong = with_expect(tmp_path, "  scale_up: not_applicable\n")
    assert run("evaluate", str(wrong)).exit_code == 0


def test_an_invalid_file_wins_over_a_mismatch_exit_1(tmp_path: Path) -> None:
    wrong = with_expect(tmp_path, "  scale_up: not_applicable\n")
    assert run("evaluate", str(wrong), f"{BAD}/scenarios/nan.yaml", "--check").exit_code == 1


@pytest.mark.parametrize("args", [
    ("evaluate",), ("evaluate", CYCLONE, "-f", "pdf"), ("evaluate", CYCLONE, "--bogus"),
    ("evaluate", CYCLONE, "--set", "no-equals-sign"), ("schema", "rules"), ("validate",), ("no-such-command",),
])
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert "Usage:" in result.stderr or "Error:" in result.stderr


def test_folders_and_globs_are_expanded_and_a_missing_path_is_reported(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.yaml").write_text((ROOT / CYCLONE).read_text(), encoding="utf-8")
    (tmp_path / "drill.yaml").write_text("kind: exercise\ntitle: A drill\n", encoding="utf-8")
    result = run("evaluate", str(tmp_path), f"{tmp_path}/sub/*.yaml", "missing.yaml", f"{tmp_path}/none-*.yaml")
    assert result.exit_code == 1
    assert result.stdout.count("cyclone-coastal: ") == 1          # the same file named twice runs once
    assert f"skipped: {tmp_path}/drill.yaml (kind 'exercise' is not a scenario)" in result.stderr
    assert "error: missing.yaml: no such file or folder (check the path)" in result.stderr
    assert f"error: {tmp_path}/none-*.yaml: the pattern matches no file" in result.stderr


def test_another_rule_set_and_parameter_overrides_can_be_given() -> None:
    result = run("evaluate", CYCLONE, "-r", f"{FIXTURES}/outputs", "-f", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["stamp"]["ruleset_id"] == "test-outputs"
    parameters = load_ruleset().parameters
    name = sorted(parameters)[0]
    value = parameters[name].value
    result = run("evaluate", CYCLONE, "-f", "json", "--set", f"{name}={json.dumps(value)}")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["stamp"]["overrides"] == {name: value}
    assert json.loads(run("evaluate", CYCLONE, "-f", "json").stdout)["stamp"]["overrides"] == {}


def test_an_unknown_parameter_or_a_broken_rule_set_exits_1_with_a_located_message() -> None:
    result = run("evaluate", CYCLONE, "--set", "no_such_parameter=3")
    assert result.exit_code == 1 and result.stderr.startswith("error: --set: no_such_parameter: no such parameter")
    result = run("evaluate", CYCLONE, "-r", f"{BAD}/rulesets/unknown-source")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {BAD}/rulesets/unknown-source/rules.yaml:4: rules[0].source: ")


def test_a_set_value_of_the_wrong_kind_exits_1() -> None:
    parameters = load_ruleset().parameters
    name = next(n for n in sorted(parameters) if isinstance(parameters[n].value, (int, float)))
    result = run("evaluate", CYCLONE, "--set", f"{name}=high")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: --set: {name}: expected a number, got the text 'high'")


def test_an_output_file_that_cannot_be_written_leaves_no_temporary_file(tmp_path: Path, monkeypatch) -> None:
    import os

    def fail(*args):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", fail)
    result = run("evaluate", CYCLONE, "-o", str(tmp_path / "out.txt"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr == (f"error: {tmp_path}/out.txt: cannot write the file: No space left on device "
                             "(free some disk space, or write to another disk)\n")
    assert list(tmp_path.iterdir()) == []


def test_a_rule_set_that_breaks_a_slot_is_reported_per_scenario_with_exit_1() -> None:
    result = run("evaluate", CYCLONE, "-r", f"{FIXTURES}/conflict")
    assert result.exit_code == 1 and result.stdout == ""
    assert "2 conflicting decision facts" in result.stderr


def test_debug_shows_the_exception_instead_of_a_message() -> None:
    result = CliRunner().invoke(main, ["--debug", "evaluate", CYCLONE, "-r", f"{BAD}/rulesets/unknown-source"])
    assert result.exit_code != 0 and result.exception is not None
    assert "unknown-source/rules.yaml:4" in str(result.exception)


def test_verbose_logging_goes_to_stderr_and_keeps_stdout_clean() -> None:
    result = run("-vv", "evaluate", CYCLONE, "-f", "json")
    assert result.exit_code == 0
    json.loads(result.stdout)


def test_version() -> None:
    # scaleup, then each shipped rule set, durable_rules and Python (tests/test_packaging.py has the lines)
    result = run("--version")
    assert result.exit_code == 0 and re.match(r"scaleup \d+\.\d+\.\d+ \(distribution scaleup-iasc\)\nrule set iasc-2018 ",
                                              result.stdout)


# --- validate ----------------------------------------------------------------------------------

def test_validate_lists_good_files_on_stdout_and_every_problem_on_stderr() -> None:
    result = run("validate", CYCLONE, f"{BAD}/scenarios/four-problems.yaml", f"{FIXTURES}/small")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [f"ok: {FIXTURES}/small (rule set test-small 1.2.3, 18 rules)", f"ok: {CYCLONE}"]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 4
    assert result.stderr.splitlines()[-1] == "1 of 3 files invalid"


def test_validate_exits_0_when_everything_is_valid() -> None:
    result = run("validate", CYCLONE, "tests/fixtures/golden", f"{FIXTURES}/traps")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 4 and result.stderr == ""


def test_validate_reports_a_broken_rule_set_and_a_missing_path() -> None:
    result = run("validate", f"{BAD}/rulesets/negation-cycle", "nowhere.yaml")
    assert result.exit_code == 1
    assert f"error: {BAD}/rulesets/negation-cycle/rules.yaml:2: flag.quiet: cycle through not:" in result.stderr
    assert "error: nowhere.yaml: no such file or folder" in result.stderr
    assert result.stderr.splitlines()[-1] == "2 of 2 files invalid"


def test_validate_skips_rule_files_and_reports_unknown_kinds(tmp_path: Path) -> None:
    (tmp_path / "report.yaml").write_text("title: Not for us\nkind: report\n", encoding="utf-8")
    result = run("validate", f"{FIXTURES}/small/rules.yaml", str(tmp_path / "report.yaml"))
    assert result.exit_code == 1
    assert f"skipped: {FIXTURES}/small/rules.yaml (part of a rule set: validate its folder)" in result.stderr
    assert (f"error: {tmp_path}/report.yaml:2: kind: unknown kind 'report'; expected one of scenario, exercise, "
            "answer_sheet (write one of scenario, exercise, answer_sheet, or leave kind: out for a scenario)") in result.stderr


# --- schema and template ---------------------------------------------------------------------------

@pytest.mark.parametrize("what", ["scenario", "recommendation"])
def test_schema_prints_a_valid_json_schema(what: str) -> None:
    result = run("schema", what)
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_scenario_schema_accepts_the_template_and_refuses_an_unknown_key() -> None:
    import yaml
    validator = jsonschema.Draft202012Validator(json.loads(run("schema", "scenario").stdout))
    data = json.loads(json.dumps(yaml.safe_load(run("scenario", "template").stdout), default=str))
    validator.validate(data)
    data["populations"]["afected"] = 1
    assert not validator.is_valid(data)


def _template_blocks(text: str) -> dict[str, str]:
    """Top-level sections of the template, commented-out ones included."""
    blocks: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        top = re.match(r"^(?:# )?([a-z_0-9]+):", line)
        if top:
            current = top.group(1)
        blocks.setdefault(current, []).append(line)
    return {k: "\n".join(v) for k, v in blocks.items()}


def test_the_template_validates_and_mentions_every_field_of_the_catalogue() -> None:
    result = run("scenario", "template")
    assert result.exit_code == 0
    parse_scenario(result.stdout, "template.yaml")        # valid as printed
    blocks = _template_blocks(result.stdout)
    missing = [path for path in CATALOGUE if path not in DERIVED
               and not re.search(rf"\b{path.rsplit('.', 1)[-1]}:", blocks.get(path.split(".")[0], ""))]
    assert missing == []


# --- docs/cli.md ------------------------------------------------------------------------------------

def _commands(group: click.Group, prefix: str = "scaleup") -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        found[f"{prefix} {name}"] = command
        if isinstance(command, click.Group):
            found.update(_commands(command, f"{prefix} {name}"))
    return found


def test_docs_cli_md_documents_every_command_and_every_option_of_the_core_commands() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    extensions = {c.name for c in COMMANDS}
    for name, command in {"scaleup": main, **_commands(main)}.items():
        words = name.split(" ")
        if len(words) > 2 and words[1] in extensions:
            continue        # documented with their feature, in their own docs
        assert f"`{name}" in text, f"docs/cli.md does not mention {name}"
        if len(words) > 1 and words[1] in extensions:
            continue
        for param in command.params:
            for opt in param.opts if isinstance(param, click.Option) else []:
                assert f"`{opt}" in text, f"docs/cli.md does not document {name} {opt}"
    for code in ("0", "1", "2", "3"):
        assert f"| {code} |" in text
