"""The historical validation set, scenarios/history/: real crises decided before 2019.

Each file states the facts as known at the decision date, a source URL for every figure, and
what was actually decided (``expect.scale_up`` and ``expect.route``). The agreement test runs
every case through the rule base and requires that it either agrees with the record or carries
a documented ``expect.disagreement`` (docs/history.md explains how agreement is counted).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Iterator

import pytest

from scaleup.recommendation.evaluate import evaluate
from scaleup.recommendation.expect import check_expectations
from scaleup.rules.load import load_ruleset
from scaleup.scenario.load import LoadedScenario, load_scenario

ROOT = Path(__file__).resolve().parent.parent
HISTORY = ROOT / "scenarios" / "history"
FILES = sorted(HISTORY.glob("*.yaml"))
CUTOFF = dt.date(2019, 1, 1)   # crises from 2019 on are kept for an independent check
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
NOT_INDICATORS = {"id", "kind", "title", "description", "as_of", "sources", "expect"}
PINNED = {"scale_up", "route", "disagreement", "variant"}   # what a history case may expect


def ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def load(path: Path) -> LoadedScenario:
    return load_scenario(path, name=str(path.relative_to(ROOT)))


def numeric_fields(value: Any, prefix: str = "") -> Iterator[str]:
    """Dotted paths of every number given in a scenario (true/false is not a number)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from numeric_fields(item, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list):
        for item in value:
            yield from numeric_fields(item, prefix)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield prefix


def given_figures(loaded: LoadedScenario) -> list[str]:
    data = loaded.scenario.model_dump(exclude_none=True)
    return sorted({path for key, value in data.items() if key not in NOT_INDICATORS
                   for path in numeric_fields(value, key)})


def urls(sources: dict[str, Any], path: str) -> list[str]:
    value = sources.get(path)
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def test_the_validation_set_has_at_least_fifteen_cases() -> None:
    assert len(FILES) >= 15, [p.name for p in FILES]


@pytest.mark.parametrize("path", FILES, ids=ids(FILES))
def test_each_history_file_loads_and_validates(path: Path) -> None:
    loaded = load(path)
    assert loaded.scenario.id == f"history-{path.stem}"
    assert loaded.scenario.description, "say what happened, what was decided and when"


@pytest.mark.parametrize("path", FILES, ids=ids(FILES))
def test_each_case_was_decided_before_2019(path: Path) -> None:
    assert load(path).scenario.as_of < CUTOFF


@pytest.mark.parametrize("path", FILES, ids=ids(FILES))
def test_each_figure_names_its_source_by_url(path: Path) -> None:
    loaded = load(path)
    sources = loaded.scenario.sources or {}
    figures = given_figures(loaded)
    assert figures, "a history case gives at least one figure"
    missing = [f for f in figures if not urls(sources, f)]
    assert not missing, f"figures without a source: {missing}"
    bad = {k: u for k in sources for u in urls(sources, k) if not URL.match(u)}
    assert not bad, f"sources that are not http(s) URLs: {bad}"


@pytest.mark.parametrize("path", FILES, ids=ids(FILES))
def test_each_expected_decision_and_route_names_its_source(path: Path) -> None:
    scenario = load(path).scenario
    assert scenario.expect is not None and scenario.expect.scale_up and scenario.expect.route
    for what in ("expect.scale_up", "expect.route"):
        assert urls(scenario.sources or {}, what), f"{what} has no source"


@pytest.mark.parametrize("path", FILES, ids=ids(FILES))
def test_each_case_pins_only_the_decision_and_the_route(path: Path) -> None:
    expect = load(path).scenario.expect
    pinned = {k for k, v in expect.model_dump(exclude_none=True).items() if v not in ([], {})}
    assert pinned <= PINNED, f"history cases record what was decided, not criteria or levels: {pinned - PINNED}"


def agreement(path: Path, ruleset) -> dict[str, Any]:
    """One case against the rule base: the record, the rule base's answer and the verdict."""
    loaded = load(path)
    expect = loaded.scenario.expect
    rec = evaluate(loaded, ruleset)
    problems = check_expectations(rec, expect)
    if problems:
        verdict = "MISMATCH"
    elif expect.disagreement:
        verdict = "documented disagreement"
    else:
        verdict = "agrees"
    return {"case": path.stem, "expected": (expect.scale_up, expect.route),
            "got": (rec.scale_up, rec.route), "verdict": verdict, "problems": problems}


def test_each_case_agrees_with_the_record_or_documents_its_disagreement(capsys) -> None:
    ruleset = load_ruleset()
    rows = [agreement(path, ruleset) for path in FILES]
    agree = sum(r["verdict"] == "agrees" for r in rows)
    documented = sum(r["verdict"] == "documented disagreement" for r in rows)
    lines = [f"{r['case']:<48} {r['verdict']:<24} expected {r['expected']} got {r['got']}" for r in rows]
    summary = (f"history agreement: {agree} of {len(rows)} cases agree with the record on decision and route; "
               f"{documented} documented disagreements; {len(rows) - agree - documented} unexplained")
    with capsys.disabled():
        print("\n" + "\n".join(lines) + "\n" + summary)
    unexplained = [f"{r['case']}: {p}" for r in rows for p in r["problems"]]
    assert not unexplained, summary + "\n" + "\n".join(unexplained)
