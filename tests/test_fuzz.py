"""Property-based and mutation fuzzing of the whole user path (issue 8).

Every generated document, whether a random scenario or a mutation of a shipped one, must end as
either a valid Recommendation (evaluated and rendered by every renderer) or a ScenarioError whose
every problem the user can find: the file, and a line and a field unless the problem concerns the
whole document (see ``fuzz.outcome.why_unlocated``). Never another exception, never a crash.

The generators live in ``fuzz/cases.py`` and are shared with the long run (``fuzz/run.py``).
Hypothesis drives them through ``st.randoms``; ``derandomize=True`` makes CI reproducible. The
example counts keep this file under a minute on two shared cores.
"""

from __future__ import annotations

import collections
import copy
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz import mutations
from fuzz.cases import PWNED, ROOT, Case, case_for, dump, mutation_case, scenario_case, shipped_scenarios
from fuzz.mutations import CONTROLS, DATE_FIELDS, FAR_DATES, HEX_OCTAL, raw
from fuzz.outcome import (CONTROL, CRASH, GOOD, LOCATED, VALID, cached_ruleset as ruleset, classify, decode_cases,
                          default_ruleset, encode_cases, raw_controls, why_unlocated)
from fuzz.rulesets import check_symlinked_rulesets
from fuzz.scenarios import random_scenario
from scaleup.errors import Problem
from scaleup.scenario.yamlio import parse_document

SHIPPED = shipped_scenarios()
FUZZ = settings(derandomize=True, database=None, deadline=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
randoms = st.randoms(use_true_random=False, note_method_calls=False)


def check(case) -> str:
    outcome, detail = classify(case, ruleset())
    assert outcome in (VALID, LOCATED), f"{case.how}: {outcome}\n{detail}\n--- input ---\n{case.raw[:2000]!r}"
    return outcome


@settings(FUZZ, max_examples=300)
@given(rnd=randoms)
def test_random_scenario_documents_give_a_recommendation_or_a_located_error(rnd: random.Random) -> None:
    check(scenario_case(rnd))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
@settings(FUZZ, max_examples=max(15, 450 // max(len(SHIPPED), 1)))
@given(rnd=randoms)
def test_mutations_of_every_shipped_scenario_give_a_recommendation_or_a_located_error(
        path: Path, rnd: random.Random) -> None:
    check(mutation_case(rnd, path))


def test_the_generators_produce_valid_scenarios_and_every_kind_of_error() -> None:
    # A fuzzer whose cases are all rejected (or all accepted) proves nothing: check the mix.
    cases = [scenario_case(random.Random(f"mix:{i}")) for i in range(150)]
    outcomes = collections.Counter(check(c) for c in cases)
    hows = " ".join(c.how for c in cases)
    assert outcomes[VALID] >= 30 and outcomes[LOCATED] >= 30, outcomes
    for op in ("delete", "unknown_key", "retype", "extreme", "unicode", "huge", "nest", "long_list", "hex",
               "far_date", "control_key", "control_value"):
        assert op + "@" in hows, f"no {op} perturbation in the sample"
    assert {c.fmt for c in cases} == {"yaml", "json"}


def test_there_are_shipped_scenarios_to_mutate() -> None:
    assert SHIPPED, "scenarios/ holds no scenario files"


def test_a_sample_of_fuzz_cases_runs_in_a_child_process_without_crashing(tmp_path: Path) -> None:
    # The C core can only crash the process; run a sample where a crash shows as a return code.
    cases = [case_for(random.Random(f"child:{i}"), SHIPPED) for i in range(40)]
    cases_file = tmp_path / "cases.json"
    cases_file.write_text(encode_cases(cases), encoding="utf-8")
    assert decode_cases(cases_file.read_text(encoding="utf-8")) == cases
    done = subprocess.run([sys.executable, "-m", "fuzz.outcome", str(cases_file), default_ruleset()],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONHASHSEED": "0"})
    assert done.returncode == 0, f"{CRASH}: return code {done.returncode}\n{done.stderr[-3000:]}"
    lines = done.stdout.splitlines()
    assert len(lines) == len(cases)
    in_process = [classify(c, ruleset())[0] for c in cases]
    assert [json.loads(line)["outcome"] for line in lines] == in_process
    assert set(in_process) <= {VALID, LOCATED}
    assert not (ROOT / PWNED).exists() and not (tmp_path / PWNED).exists()


def test_the_outcome_classifier_tells_located_from_unlocated_problems() -> None:
    # The fuzz tests are only as good as this judgement.
    located = [Problem("f.yaml", 3, "populations.affected", "must be at least 0"),
               Problem("f.yaml", None, "", "the file is 1000001 bytes, larger than the limit of 1000000 bytes"),
               Problem("f.yaml", None, "", "this looks like a binary file (it contains NUL bytes)"),
               Problem("f.yaml", 7, "", "invalid YAML: mapping values are not allowed here"),
               Problem("f.yaml", 1, "", "the tag !!binary is refused: YAML tags that construct objects are refused"),
               Problem("f.yaml", 12, "", "the key is 9018 characters long; YAML allows at most 1024 characters in a key")]
    unlocated = [Problem("other.yaml", 3, "title", "x"), Problem("f.yaml", None, "title", "x"),
                 Problem("f.yaml", 1, "", "unknown field"), Problem("f.yaml", None, "", "invalid JSON: x")]
    assert [why_unlocated(p, "f.yaml") for p in located] == [None] * len(located)
    assert all(why_unlocated(p, "f.yaml") for p in unlocated)


# --- the hardening classes: hexadecimal and octal literals, far dates, control characters ---------

NEW_CLASSES = ("hex", "far_date", "control_key", "control_value")


@pytest.mark.parametrize("op", NEW_CLASSES)
@settings(FUZZ, max_examples=40)
@given(rnd=randoms)
def test_each_hardening_class_gives_a_recommendation_or_a_located_error(op: str, rnd: random.Random) -> None:
    data = random_scenario(rnd)
    how = mutations._targeted(rnd, data, op, [s for s in mutations._slots(data) if s[1] is not None])
    fmt, raw_bytes = dump(rnd, data)
    check(Case(f"random.{fmt}", fmt, raw_bytes, how))


def _yaml_case(data: dict, how: str) -> Case:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10**6)
    return Case("s.yaml", "yaml", mutations._unraw(random.Random(0), text, "yaml").encode(), how)


BASE = parse_document((ROOT / "scenarios" / "lifecycle-second-extension.yaml").read_bytes(), "b.yaml").data


@pytest.mark.parametrize("literal", [*HEX_OCTAL, "0x" + "f" * 3_571, "0x" + "f" * 3_572, "0x" + "f" * 9_000,
                                     "-0o" + "7" * 4_761, "0o" + "7" * 4_762, "0o" + "1_" * 4_000 + "1"],
                         ids=lambda t: t if len(t) < 20 else f"{t[:4]}..{len(t)}")
def test_hexadecimal_and_octal_counts_give_a_recommendation_or_a_located_error(literal: str) -> None:
    data = copy.deepcopy(BASE)
    data["populations"]["affected"] = raw(literal)
    check(_yaml_case(data, f"hex:{literal[:20]}"))


def test_far_dates_in_every_date_field_give_a_recommendation_or_a_located_error() -> None:
    outcomes = collections.Counter()
    for path in DATE_FIELDS:
        for date in FAR_DATES:
            data = copy.deepcopy(BASE)
            data.setdefault("capacity", {})
            where = mutations._set_path(data, path, raw(date))
            outcomes[check(_yaml_case(data, f"far_date:{'.'.join(map(str, where))}={date}"))] += 1
    assert outcomes[VALID] and outcomes[LOCATED], outcomes


@pytest.mark.parametrize("control", CONTROLS, ids=[repr(c)[1:-1][:24] for c in CONTROLS])
def test_control_characters_in_report_texts_never_reach_a_text_or_markdown_report_raw(control: str) -> None:
    # A valid scenario whose free texts carry the sequence: evaluated, rendered by every renderer,
    # and the text and Markdown reports checked for raw control characters (fuzz.outcome).
    data = copy.deepcopy(BASE)
    data["title"] = f"Flood{control}in Lusova"
    data["description"] = f"{control}x" * 3
    data["country"]["name"] = f"Lu{control}sova"
    data["capacity"]["lead_deliverer"] = f"WFP{control}"
    assert check(_yaml_case(data, f"control:{control!r}")) == VALID


@pytest.mark.parametrize("control", CONTROLS, ids=[repr(c)[1:-1][:24] for c in CONTROLS])
def test_control_characters_in_keys_give_a_located_error_shown_escaped(control: str) -> None:
    data = copy.deepcopy(BASE)
    data["populations"][f"aff{control}ected"] = data["populations"].pop("affected")
    data[f"{control}title"] = "x"
    assert check(_yaml_case(data, f"control_key:{control!r}")) == LOCATED


def test_the_control_check_catches_a_renderer_that_writes_raw_control_characters(monkeypatch) -> None:
    assert raw_controls("a\nb\tc \u00e9 \U0001f300") is None
    for bad in ("\x1b[2J", "\x07", "\x9b", "\x7f", "\r", "\x00"):
        assert raw_controls(f"ok {bad} ok"), repr(bad)
    from scaleup import render
    monkeypatch.setitem(render.RENDERERS, "markdown", lambda recs: "# title\x1b]52;c;aGk=\x07\n")
    outcome, detail = classify(_yaml_case(copy.deepcopy(BASE), "unperturbed"), ruleset())
    assert outcome == CONTROL and detail.startswith("markdown renderer: U+001B"), detail


def test_symlinked_rule_files_are_refused_with_a_located_error_unless_they_stay_inside() -> None:
    results = check_symlinked_rulesets()
    wrong = [r for r in results if r["ok"] != "yes"]
    assert not wrong, "\n".join(f"{r['case']}: expected {r['expected']}, got {r['outcome']}: {r['detail']}"
                                 for r in wrong)
    expected = collections.Counter(r["expected"] for r in results)
    assert expected["accepted"] >= 8 and expected["refused"] >= 30, expected
    assert set(GOOD) == {VALID, LOCATED}
