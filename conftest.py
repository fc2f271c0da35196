"""Scenario files with an ``expect:`` block are test cases (collected from scenarios/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaleup.recommendation.evaluate import evaluate
from scaleup.recommendation.expect import check_expectations
from scaleup.scenario.inputs import Skipped, read_scenario
from scaleup.rules.load import load_ruleset


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="Rewrite golden files from current output.")


def pytest_collect_file(parent: pytest.Collector, file_path: Path):
    # Only the shipped scenarios/ folder: tests/fixtures/bad/scenarios/ holds broken files on purpose.
    rel = file_path.relative_to(parent.config.rootpath).parts if file_path.is_relative_to(parent.config.rootpath) else ()
    if file_path.suffix in (".yaml", ".yml", ".json") and rel[:1] == ("scenarios",):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self):
        item = read_scenario(self.path, name=str(self.path.relative_to(self.config.rootpath)))
        if isinstance(item, Skipped):
            return
        title = getattr(getattr(item, "scenario", None), "title", self.path.stem)
        yield ScenarioCase.from_parent(self, name=title, loaded=item)


class ScenarioCase(pytest.Item):
    def __init__(self, *, loaded, **kwargs):
        super().__init__(**kwargs)
        self.loaded = loaded

    def runtest(self) -> None:
        if isinstance(self.loaded, Exception):
            raise self.loaded
        expect = self.loaded.scenario.expect
        if expect is None:
            raise ScenarioMismatch([f"{self.loaded.name} has no expect: block; shipped scenarios must pin their outcome"])
        rec = evaluate(self.loaded, _ruleset())
        problems = check_expectations(rec, expect)
        if problems:
            raise ScenarioMismatch(problems)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, ScenarioMismatch):
            return "\n".join(excinfo.value.problems)
        return str(excinfo.value)

    def reportinfo(self):
        return self.path, None, f"scenario: {self.name}"


class ScenarioMismatch(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


_RULESET = []


def _ruleset():
    if not _RULESET:
        _RULESET.append(load_ruleset("iasc-2018"))
    return _RULESET[0]
