"""Golden JSON: the full recommendation (decision, criteria, audit trail, stamp) of three scenarios,
compared byte for byte. After an intended change, refresh with
``pytest tests/test_golden.py --update-golden`` and review the diff."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scaleup.recommendation.evaluate import evaluate
from scaleup.render.json import render
from scaleup.rules.load import load_ruleset
from scaleup.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
CASES = {
    "cyclone-coastal": "scenarios/cyclone-coastal.yaml",
    "refugee-influx": "tests/fixtures/golden/refugee-influx.yaml",
    "mixed-conflict-outbreak": "tests/fixtures/golden/mixed-conflict-outbreak.yaml",
}


def output(rel: str) -> str:
    # named relative to the repository, so the output does not depend on where it is checked out
    return render([evaluate(load_scenario(ROOT / rel, name=rel), load_ruleset())])


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_recommendation_matches_its_golden_json(name: str, request: pytest.FixtureRequest) -> None:
    text, golden = output(CASES[name]), GOLDEN / f"{name}.json"
    if request.config.getoption("--update-golden"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.is_file(), f"{golden} is missing: run pytest tests/test_golden.py --update-golden"
    expected = golden.read_text(encoding="utf-8")
    if text != expected:
        now, then = json.loads(text), json.loads(expected)
        changed = sorted(k for k in set(now) | set(then) if now.get(k) != then.get(k))
        pytest.fail(f"{CASES[name]}: output differs from {golden.relative_to(ROOT)} in {changed}; if the change "
                    "is intended, run pytest tests/test_golden.py --update-golden and review the diff")


def test_every_golden_file_belongs_to_a_case() -> None:
    assert {p.stem for p in GOLDEN.glob("*.json")} <= set(CASES)
    assert {p.name for p in GOLDEN.glob("batch*")} == set(BATCH_GOLDEN)


# Batch rows in every format, for the golden scenarios and a scenario sheet with a bad row.
BATCH_INPUTS = [*CASES.values(), "tests/fixtures/golden/crises.csv"]
BATCH_GOLDEN = {"batch.jsonl": "jsonl", "batch.csv": "csv", "batch-excel.csv": "excel"}


@pytest.mark.parametrize("name", sorted(BATCH_GOLDEN))
def test_batch_rows_match_their_golden_file(name: str, request: pytest.FixtureRequest,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from scaleup.batch.run import run_batch
    monkeypatch.chdir(ROOT)   # rows name inputs as given: relative to the repository
    from scaleup.batch.output import RowWriter, flat_columns
    stream, fmt, rules = io.StringIO(), BATCH_GOLDEN[name], load_ruleset()
    run_batch(BATCH_INPUTS, rules, fmt="jsonl" if fmt == "excel" else fmt, stream=stream)
    text, golden = stream.getvalue(), GOLDEN / name
    if fmt == "excel":   # batch --excel converts the spooled rows at the end
        excel = io.StringIO()
        writer = RowWriter(excel, "excel", flat_columns(rules))
        for line in text.splitlines():
            writer.write(json.loads(line))
        text = excel.getvalue()
    if request.config.getoption("--update-golden"):
        golden.write_bytes(text.encode("utf-8"))
    assert golden.is_file(), f"{golden} is missing: run pytest tests/test_golden.py --update-golden"
    assert text == golden.read_bytes().decode("utf-8"), (f"batch rows differ from {golden.relative_to(ROOT)}; if the "
                                                         "change is intended, run pytest tests/test_golden.py --update-golden")


def test_the_golden_scenarios_cover_three_different_routes() -> None:
    routes = {json.loads(output(rel))["route"] for rel in CASES.values()}
    assert len(routes) == 3
