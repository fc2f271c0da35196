"""Tests of scaleup.scenario.yamlio: safe, located loading of YAML and JSON documents."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import string
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from scaleup.scenario import jsonread
from scaleup.errors import Problem, ScaleupError, ScenarioError
from scaleup.scenario.yamlio import DEFAULT_LIMITS, Document, Limits, load_document, parse_document


def problems_of(raw: bytes | str, fmt: str = "yaml", name: str = "s.yaml",
                **kw: object) -> list[Problem]:
    with pytest.raises(ScaleupError) as caught:
        parse_document(raw, name, fmt=fmt, **kw)  # type: ignore[arg-type]
    assert caught.value.problems
    return caught.value.problems


def only_problem(raw: bytes | str, fmt: str = "yaml", name: str = "s.yaml",
                 **kw: object) -> Problem:
    found = problems_of(raw, fmt, name, **kw)
    assert len(found) == 1, found
    assert found[0].file == name
    assert found[0].hint
    return found[0]


def data_of(text: str) -> dict:
    return parse_document(text, "s.yaml").data


# --- scalars: YAML 1.2 core schema, not YAML 1.1 ------------------------------------------------

def test_yaml_1_1_booleans_stay_strings() -> None:
    doc = data_of("iso3: NO\na: yes\nb: No\nc: on\nd: OFF\ne: y\nf: n\n")
    assert doc == {"iso3": "NO", "a": "yes", "b": "No", "c": "on", "d": "OFF", "e": "y", "f": "n"}


def test_core_booleans_and_nulls_are_resolved() -> None:
    doc = data_of("a: true\nb: False\nc: TRUE\nd: null\ne: ~\nf:\ng: NULL\nh: Null\n")
    assert doc == {"a": True, "b": False, "c": True, "d": None, "e": None, "f": None,
                   "g": None, "h": None}


def test_integers_are_decimal_octal_hex_or_underscored() -> None:
    doc = data_of("a: 010\nb: 1_000\nc: 1_000_000\nd: 0o17\ne: 0x1F\nf: -42\ng: +7\nh: 1__0\n")
    assert doc == {"a": 10, "b": 1000, "c": 1_000_000, "d": 15, "e": 31, "f": -42, "g": 7,
                   "h": "1__0"}
    assert type(doc["a"]) is int


def test_floats_include_exponents_without_a_dot() -> None:
    doc = data_of("a: 1e6\nb: 2.5\nc: .5\nd: -1.5E-3\ne: 3.\n")
    assert doc == {"a": 1_000_000.0, "b": 2.5, "c": 0.5, "d": -0.0015, "e": 3.0}
    assert type(doc["a"]) is float


def test_sexagesimal_and_timestamps_stay_strings() -> None:
    doc = data_of("a: 1:30\nb: 2026-01-02T10:00:00\nc: 2026-01-02 10:00\nd: 0b101\n")
    assert doc == {"a": "1:30", "b": "2026-01-02T10:00:00", "c": "2026-01-02 10:00", "d": "0b101"}


def test_a_plain_iso_date_becomes_a_date() -> None:
    assert data_of("when: 2026-03-01\n") == {"when": datetime.date(2026, 3, 1)}


def test_quoted_and_block_scalars_are_always_strings() -> None:
    doc = data_of("a: '12'\nb: \"true\"\nc: '2026-01-01'\nd: |\n  10\ne: ''\n")
    assert doc == {"a": "12", "b": "true", "c": "2026-01-01", "d": "10\n", "e": ""}


def test_an_impossible_date_is_a_located_problem() -> None:
    problem = only_problem("a: 1\nwhen: 2026-02-30\n")
    assert (problem.line, problem.field) == (2, "when")
    assert "2026-02-30" in problem.message


@pytest.mark.parametrize("value", [".inf", "-.Inf", "+.INF", ".nan", ".NaN", "1e999"])
def test_infinite_and_nan_values_are_refused(value: str) -> None:
    problem = only_problem(f"impact:\n  deaths: {value}\n")
    assert (problem.line, problem.field) == (2, "impact.deaths")
    assert "infinite and NaN values are not allowed" in problem.message
    assert "finite" in problem.hint


def test_an_integer_with_too_many_digits_is_a_problem() -> None:
    problem = only_problem("n: " + "9" * 5000 + "\n")
    assert (problem.line, problem.field) == (1, "n")


def test_an_integer_tagged_float_beyond_the_float_range_is_refused_as_infinite() -> None:
    problem = only_problem("a: 1\nn: !!float 1" + "0" * 400 + "\n")
    assert (problem.line, problem.field) == (2, "n")
    assert problem.message.startswith("infinite and NaN values are not allowed (found 1000")
    assert data_of("n: !!float 1" + "0" * 300 + "\n") == {"n": 1e300}


# --- tags ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("tagged", ["!!python/object:os.system x", "!!python/name:os.system ''",
                                    "!foo x", "!!binary aGVsbG8=", "!!set {a}", "!<tag:x.com:y> 1",
                                    "!!timestamp 2026-01-01"])
def test_object_constructing_tags_are_refused(tagged: str) -> None:
    problem = only_problem(f"a: 1\nb: {tagged}\n")
    assert (problem.line, problem.field) == (2, "b")
    assert "YAML tags that construct objects are refused" in problem.message


def test_standard_core_tags_are_accepted() -> None:
    doc = data_of("a: !!str 12\nb: !!int '5'\nc: !!float 3\nd: !!bool true\ne: !!null ''\n"
                  "f: !!seq [1]\ng: !!map {x: 1}\nh: ! 12\n")
    assert doc == {"a": "12", "b": 5, "c": 3.0, "d": True, "e": None, "f": [1], "g": {"x": 1},
                   "h": "12"}


@pytest.mark.parametrize("tagged", ["!!int x", "!!bool 1", "!!int true", "!!null 0", "!!map [1]",
                                    "!!seq {a: 1}", "!!str [1]", "!!seq x"])
def test_a_core_tag_that_does_not_fit_its_value_is_a_problem(tagged: str) -> None:
    problem = only_problem(f"a: {tagged}\n")
    assert (problem.line, problem.field) == (1, "a")


# --- keys ---------------------------------------------------------------------------------------

def test_a_duplicate_key_names_both_lines() -> None:
    text = "populations:\n  affected: 10\n  displaced: 2\n  affected: 12\n"
    problem = only_problem(text)
    assert problem.message == "duplicate key 'affected' (first defined on line 2)"
    assert (problem.line, problem.field) == (4, "populations.affected")


@pytest.mark.parametrize("key", ["1", "true", "null", "2026-01-01", "1.5"])
def test_a_non_text_key_is_refused_with_a_quoting_hint(key: str) -> None:
    problem = only_problem(f"a: 1\n{key}: x\n")
    assert (problem.line, problem.field) == (2, key)
    assert "keys must be text" in problem.message
    assert f'"{key}"' in problem.hint


def test_a_quoted_number_key_is_text() -> None:
    assert data_of("'1': x\n") == {"1": "x"}


def test_a_collection_used_as_a_key_is_refused() -> None:
    problem = only_problem("a:\n  ? [x]\n  : y\n")
    assert (problem.line, problem.field) == (2, "a")


def test_a_merge_key_is_refused() -> None:
    problem = only_problem("base: {x: 1}\nother:\n  <<: {x: 1}\n  y: 2\n")
    assert (problem.line, problem.field) == (3, "other")
    assert "merge" in problem.message


def test_all_key_problems_of_a_file_are_reported_together() -> None:
    found = problems_of("a: 1\na: 2\n1: x\nb: .nan\n")
    assert [p.line for p in found] == [2, 3, 4]


def test_an_invalid_key_value_is_reported_once() -> None:
    problem = only_problem("2026-02-30: x\n")
    assert problem.line == 1 and "date" in problem.message


# --- anchors, aliases, documents ----------------------------------------------------------------

def billion_laughs() -> str:
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        name, ref = chr(ord("a") + level), chr(ord("a") + level - 1)
        rows.append(f"{name}: &{name} [{', '.join(['*' + ref] * 9)}]")
    return "\n".join(rows) + "\n"


def test_billion_laughs_fails_fast() -> None:
    start = time.perf_counter()
    problem = only_problem(billion_laughs())
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, elapsed
    assert "anchors and aliases" in problem.message
    assert (problem.line, problem.field) == (1, "a")


def test_an_alias_is_refused_at_its_line() -> None:
    problem = only_problem("a: 1\nb: *x\n")
    assert (problem.line, problem.field) == (2, "b")
    assert "*x" in problem.message


def test_a_second_document_is_refused() -> None:
    problem = only_problem("a: 1\n---\nb: 2\n")
    assert (problem.line, problem.field) == (2, "")
    assert "more than one YAML document" in problem.message


def test_a_single_explicit_document_is_fine() -> None:
    assert data_of("---\na: 1\n...\n") == {"a": 1}


# --- top level and syntax -----------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "   \n", "# just a comment\n", "---\n", "null\n"])
def test_an_empty_file_is_a_whole_file_problem(text: str) -> None:
    problem = only_problem(text)
    assert problem.message == "the file is empty; expected a mapping of fields"
    assert (problem.line, problem.field) == (None, "")


@pytest.mark.parametrize(("text", "kind"), [("- a\n", "a list"), ("hello\n", "a single value")])
def test_the_top_level_must_be_a_mapping(text: str, kind: str) -> None:
    problem = only_problem(text)
    assert problem.message.startswith(f"the top level is {kind};")
    assert (problem.line, problem.field) == (1, "")


def test_a_syntax_error_has_its_line_and_a_hint() -> None:
    problem = only_problem("a: 1\nb: c: d\n")
    assert problem.line == 2 and problem.field == ""
    assert "invalid YAML" in problem.message
    assert problem.hint == 'put the value in quotes: b: "c: d"'   # a second ": " in a plain value (item 25)


def test_a_syntax_error_mentions_its_context() -> None:
    problem = only_problem("a: [1, 2\nb: 3\n")
    assert "while parsing" in problem.message


def test_a_tab_indent_gets_a_tab_hint() -> None:
    problem = only_problem("a:\n\tb: 1\n")
    assert (problem.line, problem.field) == (2, "") and "tabs" in problem.hint


def test_a_control_character_is_located() -> None:
    problem = only_problem("a: 1\nb: x\x07y\n")
    assert (problem.line, problem.field) == (2, "") and "U+0007" in problem.message


# --- bytes --------------------------------------------------------------------------------------

def test_non_utf8_bytes_name_the_offset_and_line() -> None:
    problem = only_problem(b"a: 1\nb: caf\xe9\n")
    assert (problem.line, problem.field) == (2, "")
    assert "byte offset 11" in problem.message and "UTF-8" in problem.message


def test_a_binary_file_is_refused() -> None:
    problem = only_problem(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert "this looks like a binary file" in problem.message
    assert (problem.line, problem.field) == (None, "")


def test_a_utf8_bom_is_stripped_but_hashed() -> None:
    raw = b"\xef\xbb\xbfa: 1\n"
    doc = parse_document(raw, "bom.yaml")
    assert doc.data == {"a": 1}
    assert doc.sha256 == hashlib.sha256(raw).hexdigest()


def test_a_json_file_with_a_bom_parses() -> None:
    assert parse_document(b'\xef\xbb\xbf{"a": 1}', "b.json", fmt="json").data == {"a": 1}


def test_str_input_is_hashed_as_utf8() -> None:
    doc = parse_document("a: é\n", "s.yaml")
    assert doc.sha256 == hashlib.sha256("a: é\n".encode()).hexdigest()


def test_the_size_limit_names_size_and_limit() -> None:
    problem = only_problem("a: " + "x" * 200 + "\n", limits=Limits(max_bytes=100))
    assert "204 bytes" in problem.message and "100 bytes" in problem.message
    assert (problem.line, problem.field) == (None, "")


# --- limits -------------------------------------------------------------------------------------

def test_nesting_deeper_than_the_limit_is_refused() -> None:
    problem = only_problem("a:\n  b:\n    c:\n      d: 1\n", limits=Limits(max_depth=3))
    assert (problem.line, problem.field) == (3, "a.b.c")


def test_very_deep_nesting_never_raises_recursion_error() -> None:
    problem = only_problem("a: " + "[" * 50_000 + "]" * 50_000 + "\n")
    assert (problem.line, problem.field[:6]) == (1, "a[0][0") and "nested" in problem.message


def test_absurd_depth_limits_still_give_a_problem_not_a_crash() -> None:
    text = "a: " + "[" * 20_000 + "]" * 20_000 + "\n"
    problem = only_problem(text, limits=Limits(max_depth=10**6, max_nodes=10**6))
    assert "nested too deeply" in problem.message


def test_too_many_nodes_are_refused() -> None:
    problem = only_problem("a: [1, 2, 3]\nb: [4, 5]\n", limits=Limits(max_nodes=8))
    assert (problem.line, problem.field) == (2, "b[0]")
    assert "more than 8 values" in problem.message


def test_an_over_long_string_is_refused() -> None:
    problem = only_problem("a: 1\nb: " + "x" * 11 + "\n", limits=Limits(max_string=10))
    assert (problem.line, problem.field) == (2, "b")


def test_over_long_lists_and_mappings_are_refused() -> None:
    found = problems_of("a: [1, 2, 3]\nb: {x: 1, y: 2, z: 3}\n", limits=Limits(max_list=2))
    assert [(p.line, p.field) for p in found] == [(1, "a"), (2, "b")]


def test_default_limits_are_the_documented_ones() -> None:
    assert Limits(1_000_000, 20_000, 32, 10_000, 5_000) == DEFAULT_LIMITS


# --- lines --------------------------------------------------------------------------------------

def test_lines_point_at_keys_and_items() -> None:
    doc = parse_document("# c\nhazard:\n  types:\n    - flood\n    -\n      x: 1\n", "s.yaml")
    assert doc.lines[()] == 1
    assert doc.lines[("hazard",)] == 2
    assert doc.lines[("hazard", "types")] == 3
    assert doc.lines[("hazard", "types", 0)] == 4
    assert doc.lines[("hazard", "types", 1)] == 6
    assert doc.lines[("hazard", "types", 1, "x")] == 6


def test_document_line_falls_back_to_the_deepest_ancestor() -> None:
    doc = parse_document("a: 1\nimpact:\n  deaths: 3\n", "s.yaml")
    assert doc.line(["impact", "deaths"]) == 3
    assert doc.line(("impact", "injured", "x")) == 2
    assert doc.line(["missing"]) == 1
    assert doc.line([]) == 1
    assert Document("n", {}, {}, "").line(["a"]) is None


# --- JSON ---------------------------------------------------------------------------------------

NESTED_JSON = """{
  "hazard": {
    "types": ["flood",
      "storm"],
    "when": "2026-01-01"
  },
  "list": [
    {"a": 1,
     "b": [true, null]},
    2.5
  ]
}"""


def test_json_gives_the_same_data_as_json_loads() -> None:
    doc = parse_document(NESTED_JSON, "n.json", fmt="json")
    assert doc.data == json.loads(NESTED_JSON)
    assert doc.data["hazard"]["when"] == "2026-01-01"


def test_json_line_numbers_of_nested_nodes() -> None:
    doc = parse_document(NESTED_JSON, "n.json", fmt="json")
    assert doc.lines[()] == 1
    assert doc.lines[("hazard",)] == 2
    assert doc.lines[("hazard", "types")] == 3
    assert doc.lines[("hazard", "types", 1)] == 4
    assert doc.lines[("hazard", "when")] == 5
    assert doc.lines[("list", 0)] == 8
    assert doc.lines[("list", 0, "b")] == 9
    assert doc.lines[("list", 0, "b", 1)] == 9
    assert doc.lines[("list", 1)] == 10


def test_json_strings_with_escapes_keep_lines() -> None:
    text = '{"a\\"b": "x\\\\",\n "c": "\\u00e9\\n"}'
    doc = parse_document(text, "e.json", fmt="json")
    assert doc.data == {'a"b': "x\\", "c": "é\n"}
    assert doc.lines[("c",)] == 2


def test_a_json_duplicate_key_is_reported_once_even_with_nested_values() -> None:
    problem = only_problem('{"a": {"x": 1},\n "a": {"x": 2}}', fmt="json", name="d.json")
    assert (problem.line, problem.field) == (2, "a")


def test_json_duplicate_keys_name_both_lines() -> None:
    problem = only_problem('{"p": {"affected": 1,\n\n  "affected": 2}}', fmt="json", name="d.json")
    assert problem.message == "duplicate key 'affected' (first defined on line 1)"
    assert (problem.line, problem.field) == (3, "p.affected")


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_and_infinity_are_refused(token: str) -> None:
    problem = only_problem(f'{{"a": [1,\n {token}]}}', fmt="json", name="n.json")
    assert (problem.line, problem.field) == (2, "a[1]")
    assert "infinite and NaN values are not allowed" in problem.message


def test_json_overflowing_numbers_are_refused() -> None:
    problem = only_problem('{"a":\n 1e999}', fmt="json", name="n.json")
    assert (problem.line, problem.field) == (1, "a")


def test_json_syntax_errors_have_a_line() -> None:
    problem = only_problem('{"a": 1,\n "b": 2,\n}', fmt="json", name="n.json")
    # Python 3.13's json locates a trailing comma on its own line (2); 3.11 and 3.12 the brace after it (3)
    line = 2 if sys.version_info >= (3, 13) else 3
    assert (problem.line, problem.field) == (line, "") and "invalid JSON" in problem.message


@pytest.mark.parametrize("text", ['{"a" 1}', '{"a": 1} x', '{"a": [1}', '{"a": "x', "{'a': 1}",
                                  '{"a": 1}}', '{"a":: 1}', '{"a\n": 1}', '{: 1}',
                                  '{"a": 1 2}', '[1 : 2]', '{"a": "\\'])
def test_malformed_json_is_a_syntax_problem(text: str) -> None:
    problem = only_problem(text, fmt="json", name="n.json")
    assert "invalid JSON" in problem.message


def test_json_big_integers_are_kept_exactly() -> None:
    text = '{"a": ' + "9" * 400 + ', "b": -' + "1" * 400 + "}"
    assert parse_document(text, "n.json", fmt="json").data == json.loads(text)


def test_an_unterminated_json_string_of_escapes_fails_fast() -> None:
    text = '{"a": ' + '"\\' * 300_000
    start = time.perf_counter()
    problem = only_problem(text, fmt="json", name="n.json")
    assert time.perf_counter() - start < 1.0
    assert "invalid JSON" in problem.message


def test_a_json_integer_with_too_many_digits_is_a_problem() -> None:
    problem = only_problem('{"a": ' + "9" * 5000 + "}", fmt="json", name="n.json")
    assert problem.file == "n.json"


@pytest.mark.parametrize(("text", "kind"), [("[1]", "a list"), ('"x"', "text"), ("null", "null")])
def test_json_top_level_must_be_an_object(text: str, kind: str) -> None:
    problem = only_problem(text, fmt="json", name="n.json")
    assert problem.message.startswith(f"the top level is {kind};")


def test_an_empty_json_file_is_a_whole_file_problem() -> None:
    assert only_problem(" \n", fmt="json").message.startswith("the file is empty")


def test_the_limits_apply_to_json_too() -> None:
    deep = '{"a": ' + "[" * 40 + "]" * 40 + "}"
    assert only_problem(deep, fmt="json").field.startswith("a[0]")
    many = '{"a": [1, 2, 3],\n "b": {"x": 1, "y": 2, "z": 3}}'
    assert only_problem(many, fmt="json", limits=Limits(max_list=2)).field == "a"
    assert only_problem('{"b": {"x": 1, "y": 2, "z": 3}}', fmt="json",
                        limits=Limits(max_list=2)).field == "b"
    assert only_problem(many, fmt="json", limits=Limits(max_nodes=8)).line == 2
    assert only_problem('{"a":\n "' + "x" * 11 + '"}', fmt="json",
                        limits=Limits(max_string=10)).line == 1
    assert only_problem('{"' + "k" * 11 + '": 1}', fmt="json",
                        limits=Limits(max_string=10)).field == "k" * 11


# One-line JSON (a JSON Lines entry) is read by the C parser alone; it must agree with the scanner.

_LEAF = (st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False, allow_infinity=False)
         | st.text(max_size=14))
_JSON_VALUES = st.recursive(_LEAF, lambda inner: st.lists(inner, max_size=4)
                            | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=25)
_HOSTILE = st.sampled_from(['{"a": NaN}', '{"a": 1e999}', '{"a": 1, "a": 2}', '{"": 1}', '{"a": "\\ud800"}',
                            '{"a": [' + "[" * 12 + "]" * 12 + "]}", '{"a": ' + "9" * 5000 + "}", '{"a": 1,}',
                            '[1]', '{"a": "' + "x" * 30 + '"}', '{"k' + "y" * 30 + '": 1}', '{"a": [1, 2, 3, 4, 5, 6]}'])
_SMALL = Limits(max_nodes=40, max_depth=8, max_string=20, max_list=5)


def _read(text: str, limits: Limits) -> tuple[object, object]:
    """(data and the line of each node path, or the problems) as parse_document reports them."""
    try:
        doc = parse_document(text, "l.jsonl", fmt="json", limits=limits)
    except ScaleupError as exc:
        return None, [(p.line, p.field, p.message) for p in exc.problems]
    return doc.data, dict(doc.lines)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.dictionaries(st.text(max_size=12), _JSON_VALUES, max_size=6).map(json.dumps), _HOSTILE),
       st.sampled_from([DEFAULT_LIMITS, _SMALL]))
def test_one_line_json_reads_as_the_scanner_reads_it(text: str, limits: Limits) -> None:
    fast = _read(text, limits)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(jsonread, "_one_line_json", lambda text, limits: None)
        slow = _read(text, limits)
    assert fast == slow


def test_one_line_json_takes_the_fast_path_and_puts_every_node_on_line_1(monkeypatch) -> None:
    doc = parse_document('{"a": {"b": [1, 2]}, "c": "x"}', "l.jsonl", fmt="json")
    assert set(doc.lines.values()) == {1} and len(doc.lines) == 6
    monkeypatch.setattr(jsonread, "_track_json", None)     # the scanner is not needed at all
    assert parse_document('{"a": 1}', "l.jsonl", fmt="json").data == {"a": 1}


def test_an_unknown_format_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        parse_document("a: 1", "x", fmt="toml")


# --- files --------------------------------------------------------------------------------------

def test_load_document_picks_the_format_from_the_suffix(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"d": "2026-01-01"}')
    (tmp_path / "a.yml").write_text("d: 2026-01-01\n")
    (tmp_path / "a.txt").write_text("d: 2026-01-01\n")
    assert load_document(tmp_path / "a.json").data == {"d": "2026-01-01"}
    assert load_document(tmp_path / "a.yml").data == {"d": datetime.date(2026, 1, 1)}
    doc = load_document(str(tmp_path / "a.txt"))
    assert doc.data == {"d": datetime.date(2026, 1, 1)} and doc.name == str(tmp_path / "a.txt")
    assert load_document(tmp_path / "a.yml", name="shown.yml").name == "shown.yml"


def test_load_document_checks_the_size_before_reading(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: 1\n" * 100)
    monkeypatch.setattr("builtins.open", lambda *a, **k: pytest.fail("read before size check"))
    with pytest.raises(ScenarioError) as caught:
        load_document(path, limits=Limits(max_bytes=100), error=ScenarioError, name="big.yaml")
    (problem,) = caught.value.problems
    assert problem.file == "big.yaml" and "500 bytes" in problem.message


def test_load_document_rereads_the_size_of_a_growing_file(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "grow.yaml"
    path.write_bytes(b"a: 1\n" * 100)
    stale = SimpleNamespace(st_mode=os.stat(path).st_mode, st_size=5)
    monkeypatch.setattr(os, "stat", lambda p: stale)
    with pytest.raises(ScaleupError) as caught:
        load_document(path, limits=Limits(max_bytes=100))
    assert "101 bytes" in caught.value.problems[0].message


def test_a_missing_file_or_directory_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(ScaleupError) as caught:
        load_document(tmp_path / "nope.yaml")
    assert caught.value.problems[0].hint and caught.value.problems[0].line is None
    with pytest.raises(ScaleupError) as caught:
        load_document(tmp_path)
    assert "directory" in caught.value.problems[0].message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a fifo")
def test_a_special_file_is_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.yaml")
    with pytest.raises(ScaleupError) as caught:
        load_document(tmp_path / "fifo.yaml")
    assert "not a regular file" in caught.value.problems[0].message


def test_the_error_type_is_the_one_asked_for() -> None:
    with pytest.raises(ScenarioError):
        parse_document("a: [", "s.yaml", error=ScenarioError)


# --- properties ---------------------------------------------------------------------------------

KEYS = st.from_regex(r"[a-z_]{1,8}", fullmatch=True)
JSON_SCALARS = (st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                | st.text(max_size=12) | st.booleans() | st.none())
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(KEYS, inner, max_size=4), max_leaves=20)


def node_paths(value: object, path: tuple = ()) -> list[tuple]:
    items = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else ())
    return [path] + [p for key, item in items for p in node_paths(item, path + (key,))]


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(KEYS, JSON_VALUES, max_size=6),
       st.sampled_from([{"indent": 2}, {}, {"indent": "\t"}, {"separators": (",", ":")},
                        {"indent": 1, "ensure_ascii": False}]))
def test_any_json_dict_round_trips_with_a_line_for_every_node(data: dict, style: dict) -> None:
    doc = parse_document(json.dumps(data, **style), "x.json", fmt="json")
    assert doc.data == data
    assert set(doc.lines) == set(node_paths(data))


WORDS = st.text(string.ascii_lowercase, min_size=1, max_size=8)
YAML_SCALARS = (st.integers() | st.booleans() | st.none() | WORDS
                | st.floats(allow_nan=False, allow_infinity=False)
                | st.dates(min_value=datetime.date(1, 1, 1)))
YAML_VALUES = st.recursive(YAML_SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(KEYS, inner, max_size=4), max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(KEYS, YAML_VALUES, max_size=6))
def test_safe_dumped_yaml_round_trips_under_yaml_1_2_rules(data: dict) -> None:
    for flow in (False, True, None):
        text = yaml.safe_dump(data, default_flow_style=flow)
        doc = parse_document(text, "x.yaml")
        assert doc.data == data, text
        assert set(doc.lines) == set(node_paths(data))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_arbitrary_text_never_escapes_as_another_exception(text: str) -> None:
    for fmt in ("yaml", "json"):
        try:
            parse_document(text, "x", fmt=fmt)
        except ScaleupError as err:
            assert all(p.file == "x" for p in err.problems)


def test_an_escape_beyond_unicode_is_a_located_problem() -> None:
    """PyYAML's scanner raised ValueError (chr() out of range) past every check for "\\U0011FFFF"."""
    with pytest.raises(ScaleupError) as caught:
        parse_document('id: x\ntitle: "\\U0011FFFF"\n', "u.yaml")
    (problem,) = caught.value.problems
    assert problem.line == 2 and "escape names no character" in problem.message and "U0010FFFF" in problem.hint
