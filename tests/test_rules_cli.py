"""``scaleup rules list`` and ``scaleup rules show``: the rule set as a reader sees it."""

from __future__ import annotations

import json
from pathlib import Path

import click
from click.testing import CliRunner

from scaleup.cli.main import main
from scaleup.cli.rules import rules
from scaleup.rules.catalogue import describe, describe_pattern, rule_rows
from scaleup.render.rulebase import render_markdown
from scaleup.rules import ir
from scaleup.rules.load import load_ruleset

ROOT = Path(__file__).resolve().parent.parent


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_rules_group_is_importable_and_registered_so_other_modules_can_extend_it() -> None:
    assert isinstance(rules, click.Group)
    assert main.commands["rules"] is rules
    assert {"list", "show"} <= set(rules.commands)


def test_rules_list_shows_every_rule_with_its_basis_and_source_and_the_counts_by_basis() -> None:
    code, out, _ = invoke("rules", "list")
    rs = load_ruleset("iasc-2018")
    lines = out.splitlines()
    assert code == 0 and len(lines) == len(rs.rule_ids) + 1
    assert any(line.startswith("route.refugee-only ") and " source " in line and "UNHCR-RCM" in line for line in lines)
    assert any(line.startswith("scaleup.procedure ") and "(unverified)" in line for line in lines)
    assert lines[-1].startswith(f"{len(rs.rule_ids)} rules in iasc-2018 {rs.version}: ")


def test_rules_list_json_counts_add_up_and_name_each_rule_once() -> None:
    code, out, _ = invoke("rules", "list", "rulesets/iasc-2018", "-f", "json")
    data = json.loads(out)
    ids = [r["id"] for r in data["rules"]]
    assert code == 0 and len(ids) == len(set(ids))
    assert data["counts"]["source"] + data["counts"]["project"] == len(ids)
    assert data["counts"]["written_source"] == sum(r["basis"] == "source" and r["kind"] == "rule" for r in data["rules"])
    band = next(r for r in data["rules"] if r["id"] == "scale/populations.iasc_caseload/L1")
    assert (band["kind"], band["basis"], band["file"]) == ("band", "project", "tables/scale.yaml")


def test_a_rule_with_alternatives_is_listed_once_with_its_number_of_alternatives() -> None:
    row = next(r for r in rule_rows(load_ruleset("iasc-2018")) if r.id == "finding.recommend-threshold")
    assert row.alternatives == 12 and row.file == "rules/decision.yaml"


def test_rules_show_markdown_is_the_document_in_docs_and_can_be_written_to_a_file(tmp_path: Path) -> None:
    code, out, _ = invoke("rules", "show", "iasc-2018", "-f", "markdown")
    assert code == 0 and out == render_markdown(load_ruleset("iasc-2018"))
    target = tmp_path / "rulebase.md"
    code, out, _ = invoke("rules", "show", "iasc-2018", "-f", "markdown", "-o", str(target))
    assert (code, out) == (0, "") and target.read_text(encoding="utf-8") == (ROOT / "docs" / "rulebase.md").read_text(encoding="utf-8")


def test_the_markdown_shows_each_band_with_the_source_of_its_edges_and_each_rule_with_its_conditions() -> None:
    text = render_markdown(load_ruleset("iasc-2018"))
    assert "| `populations.iasc_caseload`<br>People affected other than refugees hosted here | L1: &lt; 30,000<br>L2: 30,000 to &lt; 250,000" in text
    assert "30,000: source ACAPS-SEVERITY; 250,000: project" in text
    assert "#### `cluster.protection.disaster-agreed`" in text
    assert "  - situation aspect = population, value = refugee_only" in text
    assert "  - not indicator `capacity.hc_designated` = true" in text
    assert "| `recommend_gap_level` | 4 | level | project |" in text


def test_rules_show_json_describes_sources_parameters_tables_and_rules() -> None:
    code, out, _ = invoke("rules", "show", "iasc-2018", "-f", "json")
    data = json.loads(out)
    assert code == 0 and data["id"] == "iasc-2018"
    assert "UNHCR-EH-ICA-2024" in data["sources"] and data["parameters"]["scaleup_months"]["value"] == 6
    files = {f["file"]: f for f in data["files"]}
    scale = files["tables/scale.yaml"]["tables"][0]
    assert scale["criterion"] == "scale" and scale["indicators"][0]["field"] == "populations.iasc_caseload"
    rule = next(r for r in files["rules/lifecycle.yaml"]["rules"] if r["id"] == "flag.extension-over-3-months")
    assert rule["alternatives"][0]["when"] == ["indicator `activation.extension_months_max` > 3 (`extension_months`)"]


def test_rules_show_text_lists_bands_and_rules_for_the_terminal() -> None:
    code, out, _ = invoke("rules", "show", "iasc-2018")
    assert code == 0
    assert "scale <- populations.iasc_caseload (project, SCALEUP-PROJECT)\n    L1: < 30,000" in out
    assert "lead.hc.pool  (source, HC-FAQ)" in out


def test_an_unknown_rule_set_is_a_located_error_with_a_hint_and_exit_code_1() -> None:
    code, out, err = invoke("rules", "show", "iasc-2081")
    assert code == 1 and out == ""
    assert "no such rule set folder" in err and "did you mean 'iasc-2018'?" in err


def test_rules_show_needs_a_rule_set_argument() -> None:
    code, _, err = invoke("rules", "show")
    assert code == 2 and "RULESET" in err


def test_each_rules_command_help_carries_a_runnable_example() -> None:
    for args in (["rules", "--help"], ["rules", "list", "--help"], ["rules", "show", "--help"]):
        code, out, _ = invoke(*args)
        assert code == 0 and "scaleup rules " in out.split("Example", 1)[1]


def test_conditions_are_described_in_words_with_parameters_and_aliases() -> None:
    pattern = ir.Pattern("who", "indicator", (ir.Test("field", "eq", "capacity.lead_deliverer"),))
    assert describe_pattern(pattern) == "indicator `capacity.lead_deliverer` is given (as who)"
    negated = ir.Pattern("a1", "criterion", (ir.Test("name", "eq", "scale"), ir.Test("level", "gte", 4, "demand_level")), True)
    assert describe_pattern(negated) == "not criterion name = scale, level >= 4 (`demand_level`)"
    joined = ir.Pattern("a2", "signal", (ir.Test("level", "gt", ir.Ref("s", "level")),))
    assert describe_pattern(joined) == "signal level > $s.level"


def test_the_description_counts_band_edges_by_the_basis_of_the_number() -> None:
    counts = describe(load_ruleset("iasc-2018"))["counts"]
    assert counts["edges"] == counts["edges_source"] + counts["edges_project"]
    assert counts["edges_source"] > 0 and counts["rules"] == counts["bands"] + counts["generated"] + counts["written"]
