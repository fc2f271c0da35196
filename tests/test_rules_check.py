"""``scaleup rules check``: the shipped rule set passes; each way of breaking it is caught, located.

Broken rule sets are made by copying rulesets/iasc-2018 into a temporary folder and editing the
copy, each edit found by what the rules say (the rule asserting a decision, a lead...) rather
than by rule id, so the tests follow the rule base as it grows.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import pytest
import yaml
from click.testing import CliRunner

from scaleup.assurance.check import CheckReport, check_ruleset
from scaleup.assurance.findings import CODES, Finding, Severity, finding
from scaleup.cli.main import main
from scaleup.errors import Problem
from scaleup.scenario.fields import CATALOGUE
from scaleup.scenario.yamlio import load_document

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "rulesets" / "iasc-2018"


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:
        return True


class Copy:
    """An editable copy of the shipped rule set."""

    def __init__(self, folder: Path):
        shutil.copytree(SHIPPED, folder)
        self.folder = folder
        self.head = yaml.safe_load((folder / "ruleset.yaml").read_text())

    def files(self) -> list[Path]:
        return [self.folder / name for name in self.head["include"]]

    def load(self, path: Path) -> dict:
        return yaml.safe_load(path.read_text())

    def save(self, path: Path, data: dict) -> None:
        path.write_text(yaml.dump(data, Dumper=_NoAliases, sort_keys=False, allow_unicode=True))

    def rules(self) -> Iterator[tuple[Path, int, dict]]:
        for path in self.files():
            for i, rule in enumerate(self.load(path).get("rules", [])):
                yield path, i, rule

    def edit(self, path: Path, change: Callable[[dict], None]) -> None:
        data = self.load(path)
        change(data)
        self.save(path, data)

    def line(self, path: Path, *where: Any) -> Optional[int]:
        return load_document(path).line(where)


def asserts(rule: dict, fact: str, **fields: Any) -> bool:
    return any(a["assert"]["fact"] == fact and all(a["assert"].get(k) == v for k, v in fields.items())
               for a in rule["then"])


def errors(report: CheckReport, check: Optional[str] = None) -> list[Finding]:
    return [f for f in report.findings if f.severity == Severity.ERROR and (check is None or f.check == check)]


@pytest.fixture(scope="module")
def shipped_report() -> CheckReport:
    return check_ruleset("iasc-2018")


@pytest.fixture
def broken(tmp_path: Path) -> Copy:
    return Copy(tmp_path / "iasc-broken")


def test_the_shipped_rule_set_passes_with_zero_errors(shipped_report: CheckReport) -> None:
    assert errors(shipped_report) == [], "\n".join(map(str, errors(shipped_report)))
    assert shipped_report.completeness is not None and shipped_report.completeness.sample == 1000


def test_the_shipped_rule_set_keeps_every_consistency_invariant(shipped_report: CheckReport) -> None:
    assert shipped_report.invariants is not None and shipped_report.invariants.combinations == 77_760
    assert errors(shipped_report, "invariants") == [], "\n".join(map(str, errors(shipped_report, "invariants")))


def test_every_pair_of_shipped_rules_asserting_one_slot_is_shown_exclusive(shipped_report: CheckReport) -> None:
    assert shipped_report.verdicts
    assert [v for v in shipped_report.verdicts if v.status != "exclusive"] == []


def test_the_check_counts_what_is_still_unverified(shipped_report: CheckReport) -> None:
    counts = [f for f in shipped_report.findings if f.check == "verified"]
    assert len(counts) == 1 and "marked verified: false" in counts[0].problem.message


def test_a_gap_no_decision_for_some_combinations_is_an_error_at_the_decision_rules(broken: Copy) -> None:
    for path in broken.files():
        broken.edit(path, lambda data: data.__setitem__(
            "rules", [r for r in data.get("rules", []) if not asserts(r, "decision", value="not_recommended")]))
    report = check_ruleset(broken.folder, sample=0)
    [gap] = [f for f in errors(report, "completeness") if "no decision" in f.problem.message]
    decision_lines = {(str(p), broken.line(p, "rules", i)) for p, i, r in broken.rules() if asserts(r, "decision")}
    assert (gap.problem.file, gap.problem.line) in decision_lines
    assert gap.problem.field == "decision" and "of 46,656 combinations" in gap.problem.message


def test_an_overlap_two_decisions_for_some_combinations_is_an_error(broken: Copy) -> None:
    path, i, rule = next((p, i, r) for p, i, r in broken.rules() if asserts(r, "decision", value="recommend"))
    twin = copy.deepcopy(rule)
    twin["id"], twin["then"] = "decision.recommend-twin", [{"assert": {"fact": "decision", "value": "consider"}}]
    broken.edit(path, lambda data: data["rules"].append(twin))
    report = check_ruleset(broken.folder, sample=0)
    overlaps = [f for f in errors(report, "completeness") if "2 decisions (consider, recommend" in f.problem.message]
    assert overlaps and "decision.recommend-twin" in overlaps[0].problem.message
    [pair] = [f for f in errors(report, "conflicts") if "decision.recommend-twin" in str(f.problem)]
    assert pair.problem.line is not None and "both fire with" in pair.problem.message


def test_a_contradiction_two_leads_for_one_role_is_an_error_with_a_witness(broken: Copy) -> None:
    path, i, rule = next((p, i, r) for p, i, r in broken.rules()
                         if asserts(r, "route") and any(a["assert"]["fact"] == "lead" for a in r["then"]))
    role = next(a["assert"]["role"] for a in rule["then"] if a["assert"]["fact"] == "lead")
    rival = {**copy.deepcopy(rule), "id": "lead.rival", "title": "A rival lead",
             "then": [{"assert": {"fact": "lead", "role": role, "actor": "Someone else"}}]}
    broken.edit(path, lambda data: data["rules"].append(rival))
    report = check_ruleset(broken.folder, exhaustive=False)
    found = [f for f in errors(report, "conflicts") if "lead.rival" in str(f.problem)]
    assert found, "\n".join(map(str, report.findings))
    where = {(str(path), broken.line(path, "rules", n)) for n, r in enumerate(broken.load(path)["rules"])
             if r["id"] in (rule["id"], "lead.rival")}
    assert (found[0].problem.file, found[0].problem.line) in where
    assert f"lead {role}" in found[0].problem.message and "both fire with" in found[0].problem.message


def _bounded_indicator(broken: Copy) -> tuple[Path, int, int, dict]:
    for path in broken.files():
        for t, table in enumerate(broken.load(path).get("tables", [])):
            for i, ind in enumerate(table["indicators"]):
                info = CATALOGUE[ind["field"]]
                if ind.get("edges") and info.le is not None and ind.get("direction", "ascending") == "ascending":
                    return path, t, i, ind
    raise AssertionError("no ascending indicator of a bounded field to corrupt")


def test_an_unreachable_band_is_an_error_at_the_edge_beyond_the_range(broken: Copy) -> None:
    path, t, i, ind = _bounded_indicator(broken)
    last = len(ind["edges"]) - 1
    beyond = CATALOGUE[ind["field"]].le + 50

    def move(data: dict) -> None:
        data["tables"][t]["indicators"][i]["edges"][last] = beyond
    broken.edit(path, move)
    report = check_ruleset(broken.folder, exhaustive=False)
    [band] = errors(report, "bands")
    assert (band.problem.file, band.problem.line) == (str(path), broken.line(path, "tables", t, "indicators", i, "edges", last))
    assert band.problem.field.split("/")[1] == ind["field"]
    assert "can never be reached" in band.problem.message and f"gte {beyond}" in band.problem.message


def test_an_undefined_source_is_an_error_at_the_rule_citing_it(broken: Copy) -> None:
    path, i, _ = next(broken.rules())
    broken.edit(path, lambda data: data["rules"][i].__setitem__("source", "NO-SUCH-SOURCE"))
    report = check_ruleset(broken.folder)
    [load] = errors(report, "load")
    assert (load.problem.file, load.problem.line) == (str(path), broken.line(path, "rules", i, "source"))
    assert "'NO-SUCH-SOURCE' is not defined" in load.problem.message


def test_a_rule_that_can_never_fire_is_an_error(broken: Copy) -> None:
    path, _, _ = next(broken.rules())
    dead = {"id": "dead.rule", "title": "Asks for a level no criterion has", "source": "SCALEUP-PROJECT",
            "basis": "project", "when": [{"fact": "criterion", "name": "scale", "level": {"gte": 6}}],
            "then": [{"assert": {"fact": "note", "text": "never"}}]}
    broken.edit(path, lambda data: data["rules"].append(dead))
    report = check_ruleset(broken.folder, exhaustive=False)
    [reach] = errors(report, "reach")
    count = len(broken.load(path)["rules"])
    assert (reach.problem.file, reach.problem.line, reach.problem.field) == (str(path), broken.line(path, "rules", count - 1), "dead.rule")


def test_unused_sources_and_parameters_are_warnings_and_a_false_source_basis_an_error(broken: Copy) -> None:
    head = broken.folder / "ruleset.yaml"

    def add(data: dict) -> None:
        data["sources"]["UNUSED-SOURCE"] = {"title": "Nobody cites this"}
        data["parameters"]["unused_param"] = {"value": 1, "basis": "project", "source": "SCALEUP-PROJECT",
                                              "description": "Nobody uses this"}
        data["parameters"]["claims_a_source"] = {"value": 2, "basis": "source", "source": "SCALEUP-PROJECT",
                                                 "description": "Says source but cites the project"}
    broken.edit(head, add)
    report = check_ruleset(broken.folder, exhaustive=False)
    warned = {f.problem.field: f for f in report.findings if f.severity == Severity.WARNING}
    assert warned["sources.UNUSED-SOURCE"].code.id == "ST09" and warned["parameters.unused_param"].code.id == "ST07"
    assert warned["sources.UNUSED-SOURCE"].problem.line == broken.line(head, "sources", "UNUSED-SOURCE")
    assert warned["parameters.unused_param"].problem.line == broken.line(head, "parameters", "unused_param")
    [basis] = errors(report, "basis")
    assert basis.problem.field == "parameters.claims_a_source" and basis.code.id == "ST06"
    assert basis.problem.line == broken.line(head, "parameters", "claims_a_source")


def test_the_cli_exits_0_on_the_shipped_rule_set_and_1_on_a_broken_one(broken: Copy) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["rules", "check", "iasc-2018", "--sample", "50", "-f", "json"])
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.output)
    assert data["errors"] == 0 and data["completeness"]["crosscheck"]["sample"] == 50
    assert {f["code"] for f in data["findings"]} >= {"CP00", "INV00", "ST10"}
    assert all(CODES[f["code"]].severity == f["severity"] and CODES[f["code"]].check == f["check"]
               for f in data["findings"])
    path, i, _ = next(broken.rules())
    broken.edit(path, lambda d: d["rules"][i].__setitem__("source", "NO-SUCH-SOURCE"))
    bad = runner.invoke(main, ["rules", "check", str(broken.folder)])
    assert bad.exit_code == 1
    # the loader refuses an undefined source first: a load error, with its code
    assert f"error LD01: {path}:{broken.line(path, 'rules', i, 'source')}: " in bad.output


def test_a_band_edge_set_beyond_the_range_is_caught_before_it_is_used() -> None:
    from scaleup.rules.load import load_ruleset
    from scaleup.rules.overlay import band_key
    shipped = load_ruleset("iasc-2018")
    criterion, field, count = next(
        (k[0], k[1], len({t.value for r in shipped.rules if band_key(r) == k for t in r.patterns[0].tests if t.op == "lt"}))
        for k in dict.fromkeys(band_key(r) for r in shipped.rules if band_key(r))
        if k and CATALOGUE[k[1]].le is not None and any(t.op == "gte" for r in shipped.rules if band_key(r) == k
                                                        for t in r.patterns[0].tests)
        and _rises(shipped, k))
    beyond = CATALOGUE[field].le + 50
    key = f"{criterion}/{field}.edges[{count - 1}]"
    report = check_ruleset("iasc-2018", exhaustive=False, overrides={key: beyond})
    # since hardening item 16 the edge is refused when the rule set loads, against the field's range
    [load] = errors(report, "load")
    assert (load.problem.file, load.problem.field) == ("--set", key)
    assert "must be within the field's range" in load.problem.message


def _rises(ruleset: Any, key: tuple) -> bool:
    from scaleup.rules.overlay import band_key
    bands = sorted((min([t.value for t in r.patterns[0].tests if t.op == "gte"], default=float("-inf")),
                    dict(r.emits[0].fields)["level"]) for r in ruleset.rules if band_key(r) == key)
    return [lv for _, lv in bands] == sorted(lv for _, lv in bands)


def test_band_edges_out_of_order_are_a_located_error() -> None:
    fixture = ROOT / "tests" / "fixtures" / "bad" / "rulesets" / "edges-not-increasing"
    report = check_ruleset(fixture)
    [load] = errors(report, "load")
    rules_file = fixture / "rules.yaml"
    assert load.problem.file == str(rules_file)
    assert load.problem.line == load_document(rules_file).line(("tables", 0, "indicators", 0, "edges"))
    assert "strictly increasing" in load.problem.message


def test_a_rule_set_without_decision_or_route_rules_is_reported_not_crashed() -> None:
    report = check_ruleset(ROOT / "tests" / "fixtures" / "rulesets" / "small", sample=20)
    gaps = [f.problem.message for f in errors(report, "completeness")]
    assert any(m.startswith("no decision for 46,656 of 46,656") for m in gaps)
    assert report.completeness is not None and report.completeness.sample == 0


# --- the reasoning behind the checks -------------------------------------------------------------

def test_value_sets_follow_the_engine_typing_and_whole_numbers() -> None:
    from scaleup.assurance.values import Values
    from scaleup.rules.ir import Test as Cond
    level = Values.of("level")
    assert level.restrict(Cond("level", "gt", 4)).restrict(Cond("level", "lt", 5)).is_empty()
    assert not Values.of("num").restrict(Cond("v", "gt", 4)).restrict(Cond("v", "lt", 5)).is_empty()
    assert level.restrict(Cond("level", "not_in", (1, 2, 3, 4, 5))).is_empty()
    assert level.restrict(Cond("level", "eq", "high")).is_empty()           # a string never equals a number
    text = Values.of("text").restrict(Cond("name", "ne", "x"))
    assert not text.is_empty() and text.within(Cond("name", "ne", "x")) and not text.within(Cond("name", "eq", "y"))
    assert text.sample() not in ("x",) and isinstance(text.sample(), str)
    share = Values.of("num", ge=0, le=100)
    assert share.restrict(Cond("v", "gte", 150)).is_empty()
    inside = share.restrict(Cond("v", "gt", 10)).restrict(Cond("v", "lt", 11))
    assert 10 < inside.sample() < 11 and inside.within(Cond("v", "gte", 10)) and not inside.within(Cond("v", "gte", 10.5))
    assert Values.of("int", ge=0).restrict(Cond("v", "gt", 0)).sample() == 1
    assert not Values.of("num").within(Cond("v", "eq", "x")) and Values.of("str").restrict(Cond("v", "gt", 1)).is_empty()


def test_rules_needing_one_slot_with_disjoint_values_are_exclusive() -> None:
    from scaleup.assurance.conditions import Reasoner
    from scaleup.rules.ir import CompiledRule, Emit, Pattern
    from scaleup.rules.ir import Test as Cond

    def rule(key: str, *patterns: Pattern) -> CompiledRule:
        return CompiledRule(key, key, 1, "rule", key, "S", "project", None, True, None, patterns,
                            (Emit("route", (("value", "national_led"),)),), (), "f.yaml", 1)
    onset = lambda op, v, neg=False: Pattern("a", "indicator", (Cond("field", "eq", "hazard.onset"), Cond("value", op, v)), neg)  # noqa: E731
    a = rule("a", onset("in", ("sudden", "rapid_deterioration")))
    b = rule("b", onset("eq", "protracted"))
    c = rule("c", onset("eq", "sudden"))
    d = rule("d", onset("in", ("sudden", "gradual"), True))
    reasoner = Reasoner([a, b, c, d])
    assert reasoner.exclusive(a, b) and reasoner.exclusive(c, d)
    assert reasoner.exclusive(a, c) is None and reasoner.exclusive(a, d) is None


# --- finding codes ---------------------------------------------------------------------------------

def test_a_finding_shows_its_severity_and_code_and_the_json_carries_both() -> None:
    found = finding("ST03", Problem("r.yaml", 4, "a.rule", "this rule can never fire", "check it"))
    assert found.severity == Severity.ERROR and found.check == "reach"
    assert str(found) == "error ST03: r.yaml:4: a.rule: this rule can never fire (check it)"
    assert found.to_dict() == {"severity": "error", "code": "ST03", "check": "reach", "file": "r.yaml", "line": 4,
                               "field": "a.rule", "message": "this rule can never fire", "hint": "check it"}
    assert [f.code.id for f in sorted([finding("CP00", found.problem), finding("CF02", found.problem), found],
                                      key=lambda f: f.severity.rank)] == ["ST03", "CF02", "CP00"]


def test_every_finding_code_is_listed_in_docs_assurance_with_its_severity_and_check() -> None:
    text = (ROOT / "docs" / "assurance.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([A-Z]+\d\d)` \| (\w+) \| (\w+) \| \S", text, re.M)
    assert [code for code, _, _ in rows] == list(CODES)
    assert all(CODES[code].severity == severity and CODES[code].check == check for code, severity, check in rows)
    assert all(re.fullmatch(r"(LD|ST|CP|CF)\d\d|INV\d\d", code) and CODES[code].id == code for code in CODES)
