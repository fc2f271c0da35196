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
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz.cases import PWNED, ROOT, case_for, mutation_case, scenario_case, shipped_scenarios
from fuzz.outcome import (CRASH, LOCATED, VALID, cached_ruleset as ruleset, classify, decode_cases, default_ruleset,
                          encode_cases, why_unlocated)
from scaleup.errors import Problem

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
    for op in ("delete", "unknown_key", "retype", "extreme", "unicode", "huge", "nest", "long_list"):
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
               Problem("f.yaml", 1, "", "the tag !!binary is refused: YAML tags that construct objects are refused")]
    unlocated = [Problem("other.yaml", 3, "title", "x"), Problem("f.yaml", None, "title", "x"),
                 Problem("f.yaml", 1, "", "unknown field"), Problem("f.yaml", None, "", "invalid JSON: x")]
    assert [why_unlocated(p, "f.yaml") for p in located] == [None] * len(located)
    assert all(why_unlocated(p, "f.yaml") for p in unlocated)
