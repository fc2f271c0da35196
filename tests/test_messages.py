"""Messages that said the wrong thing (hardening item 25): each names the real problem."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from scaleup.batch.run import BatchSummary
from scaleup.batch.input import with_line
from scaleup.cli.progress import ProgressDisplay
from scaleup.errors import Problem, ScenarioError
from scaleup.scenario.load import parse_scenario

BASE = """id: m
title: t
as_of: 2026-03-20
country: {name: M, population: 1000}
hazard: {types: [flood], onset: sudden}
"""
DOC = {"id": "m", "title": "t", "as_of": "2026-03-20", "country": {"name": "M", "population": 1000},
       "hazard": {"types": ["flood"], "onset": "sudden"}}


def problems(text: str, name: str = "m.yaml", fmt: str = "yaml") -> list[tuple[int | None, str, str, str]]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, name, fmt)
    return [(p.line, p.field, p.message, p.hint) for p in caught.value.problems]


def test_a_key_over_1024_characters_is_called_too_long() -> None:
    [(line, field, message, hint)] = problems(BASE + "k" * 1100 + ": 1\n")
    assert (line, message) == (6, "the key is 1100 characters long; YAML allows at most 1024 characters in a key")
    assert "shorten the key" in hint


@pytest.mark.parametrize("text", ["  \n\t\n  \n", "\t", "\n\n", " \t \n"])
def test_a_file_of_blanks_and_tabs_is_empty(text: str) -> None:
    [(line, field, message, hint)] = problems(text)
    assert message == "the file is empty; expected a mapping of fields"


def test_a_colon_in_a_plain_value_gets_a_hint_to_quote_it() -> None:
    [(line, field, message, hint)] = problems(BASE.replace("title: t", "title: Lorava: sudden fighting"))
    assert line == 2 and "the value of 'title' contains ': '" in message
    assert hint == 'put the value in quotes: title: "Lorava: sudden fighting"'


@pytest.mark.parametrize("date, message", [
    ("2026-02-30", "'2026-02-30' is not a date: February 2026 has 28 days"),
    ("2024-02-30", "'2024-02-30' is not a date: February 2024 has 29 days"),
    ("2026-13-01", "'2026-13-01' is not a date: there is no month 13"),
])
def test_a_json_date_that_does_not_exist_says_so(date: str, message: str) -> None:
    text = json.dumps({**DOC, "as_of": date}, indent=1)
    [(line, field, got, hint)] = problems(text, "m.json", "json")
    assert (line, field, got) == (4, "as_of", message) and hint == "write a real calendar date as YYYY-MM-DD"


def test_a_quoted_date_is_a_date_and_a_quoted_number_is_not() -> None:
    assert parse_scenario(BASE.replace("as_of: 2026-03-20", 'as_of: "2026-03-20"'), "m.yaml").scenario.as_of.day == 20
    assert problems(BASE + 'populations: {affected: "500"}\n')[0][2] == "expected a number, got the text '500'"


def test_lines_inside_json_lines_messages_are_the_files_lines(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from scaleup.cli.main import main
    rows = [json.dumps({**DOC, "id": f"m{i}"}) for i in range(9)]
    rows += ['{"id": "m9", "title": , "x": 1}', '{"id": "m10", "title": "a", "title": "b"}']
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["batch", str(path), "-j", "1", "-f", "jsonl", "--no-progress"])
    errors = [json.loads(line)["error"] for line in result.stdout.splitlines() if '"status":"error"' in line]
    assert errors == [
        f"{path}:10: invalid JSON: Expecting value (line 10, column 23) (check for missing or trailing commas "
        "and that keys and text use double quotes)",
        f"{path}:11: title: duplicate key 'title' (first defined on line 11) (remove one of the two entries or "
        "rename one)"]
    assert with_line([Problem("x", 1, "a", "got the text 'line 1'", "h")], "f", 7)[0].message == "got the text 'line 1'"


def test_structural_and_cross_field_problems_are_reported_in_one_round() -> None:
    got = problems(BASE + "populations: {affected: 500, in_need: 900, idps: abc}\n")
    assert [(f, m.split(",")[0]) for _, f, m, _ in got] == [
        ("populations.idps", "expected a number"),
        ("populations.in_need", "900 is more than populations.affected (500)")]


def test_a_cross_field_check_on_an_invalid_field_is_not_made() -> None:
    got = problems(BASE + "populations: {affected: abc, in_need: 900}\n")
    assert [f for _, f, _, _ in got] == ["populations.affected"]


def test_progress_never_shows_a_negative_eta_when_the_inputs_grew() -> None:
    summary = BatchSummary(total=10, evaluated=15, processed=15)
    text = ProgressDisplay(io.StringIO(), "lines").describe(summary, 10.0)
    assert text.endswith("ETA ?") and "-" not in text
