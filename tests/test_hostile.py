"""Hostile and broken scenario files: every limit refuses its fixture with a located message,
before anything is parsed further or evaluated (issue 8).

One fixture per limit lives in ``tests/fixtures/bad/hostile/``; :data:`EXPECTED` says what the
user sees for each: the line, the field and the message. The limits themselves are listed in
``docs/limits.md``.
"""

from __future__ import annotations

import html.parser
import json
import os
import re
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from fuzz.outcome import cached_ruleset, why_unlocated
from scaleup.errors import ScaleupError, ScenarioError
from scaleup.recommendation.evaluate import evaluate
from scaleup.render import RENDERERS
from scaleup.scenario.load import LoadedScenario, load_scenario, parse_scenario
from scaleup.writeout import write_atomic
from scaleup.scenario.yamlio import DEFAULT_LIMITS, load_document

HOSTILE = Path(__file__).parent / "fixtures" / "bad" / "hostile"

# fixture -> (line, field, a fragment of the message); line None: the whole file
EXPECTED: dict[str, tuple[int | None, str, str]] = {
    # what the reader bounds (scaleup.scenario.yamlio.Limits)
    "too-large.yaml": (None, "", "larger than the limit of 1000000 bytes"),
    "too-many-nodes.yaml": (12, "noise.list4[1968]", "more than 20000 values"),
    "too-deep.yaml": (7, "deep" + "[0]" * 31, "nested more than 32 levels deep"),
    "billion-laughs.yaml": (4, "a", "anchors and aliases (&name / *name) are not supported (found &a)"),
    "string-too-long.yaml": (7, "description", "10001 characters long; the limit is 10000"),
    "list-too-long.yaml": (7, "noise", "more than 5000 entries"),
    # what the scenario model bounds (scaleup.scenario.model)
    "title-too-long.yaml": (2, "title", "at most 200 characters"),
    "description-too-long.yaml": (7, "description", "at most 4000 characters"),
    "lead-deliverer-too-long.yaml": (8, "capacity.lead_deliverer", "at most 200 characters"),
    "hazard-types-too-many.yaml": (5, "hazard.types", "at most 8 items"),
    "extensions-too-many.yaml": (9, "activation.extensions", "at most 10 items"),
    # keys: only the model's fields exist; engine-significant names are just unknown fields
    "dotted-key.yaml": (7, "populations.affected", "unknown field"),
    "uppercase-key.yaml": (7, "populations.Affected", "unknown field"),
    "non-ascii-key.yaml": (7, "populations.afféctéd", "unknown field"),
    "id-in-section.yaml": (8, "populations.id", "unknown field"),
    "sid-at-top.yaml": (6, "sid", "unknown field"),
    "t-in-section.yaml": (7, "impact.t", "unknown field"),
    "empty-key.json": (15, '""', "the key is empty"),
    # numbers
    "count-beyond-2-53.yaml": (7, "populations.affected", "must be at most 10000000000, got 9007199254740993"),
    "count-2-63.json": (7, "country.population", "must be at most 2000000000, got 9223372036854775808"),
    "integer-5000-digits.yaml": (7, "populations.affected", "the number has 5000 digits"),
    "integer-5000-digits.json": (16, "populations.affected", "the number has 5000 digits"),
    "float-1e308.yaml": (7, "health_nutrition.cmr", "must be at most 1000, got 1e+308"),
    "float-overflow.json": (16, "health_nutrition.cmr", "infinite and NaN values are not allowed (found 1e400)"),
    "nan-in-json.json": (16, "health_nutrition.cmr", "infinite and NaN values are not allowed (found NaN)"),
    "inf.yaml": (7, "health_nutrition.gam_pct", "infinite and NaN values are not allowed (found -.inf)"),
    "cmr-baseline-vanishing.yaml": (7, "health_nutrition.cmr_baseline", "below 0.0001 deaths/10,000/day"),
    "boolean-for-count.yaml": (7, "populations.affected", "expected a number, got the boolean true"),
    "numeric-string-for-count.yaml": (7, "populations.affected", "expected a number, got the text '50'"),
    # encodings, binary files, characters
    "latin-1.yaml": (6, "", "not valid UTF-8 text: byte 0xf4"),
    "binary.yaml": (None, "", "looks like a binary file"),
    "utf-16.yaml": (None, "", "looks like a binary file"),
    "lone-surrogate.json": (3, "title", "U+D800, half of a UTF-16 surrogate pair"),
    "lone-surrogate.yaml": (2, "title", "U+D800, half of a UTF-16 surrogate pair"),
    "lone-surrogate-key.json": (15, "\\udfff", "U+DFFF, half of a UTF-16 surrogate pair"),
    # duplicates and object-constructing tags
    "duplicate-keys.json": (4, "title", "duplicate key 'title' (first defined on line 3)"),
    "python-object-tag.yaml": (2, "title", "the tag !!python/object/apply:os.system is refused"),
    "python-name-tag.yaml": (6, "capacity", "the tag !!python/name:os.system is refused"),
    "python-object-mapping-tag.yaml": (6, "risk", "the tag !!python/object:subprocess.Popen is refused"),
}
READER = {"too-large.yaml", "too-many-nodes.yaml", "too-deep.yaml", "billion-laughs.yaml",
          "string-too-long.yaml", "list-too-long.yaml", "empty-key.json", "integer-5000-digits.yaml",
          "integer-5000-digits.json", "float-overflow.json", "nan-in-json.json", "inf.yaml", "latin-1.yaml",
          "binary.yaml", "utf-16.yaml", "lone-surrogate.json", "lone-surrogate.yaml", "lone-surrogate-key.json",
          "duplicate-keys.json", "python-object-tag.yaml", "python-name-tag.yaml", "python-object-mapping-tag.yaml"}
# fixtures that are not refused, or that document a known defect (tested separately below)
OTHER = {"empty-value-for-number.yaml", "key-with-bracket.yaml"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_hostile_fixture_is_refused_with_a_located_message(name: str) -> None:
    line, field, fragment = EXPECTED[name]
    with pytest.raises(ScenarioError) as caught:
        load_scenario(HOSTILE / name, name=name)
    problems = caught.value.problems
    assert [why_unlocated(p, name) for p in problems] == [None] * len(problems), problems
    matching = [p for p in problems if p.line == line and p.field == field and fragment in p.message]
    assert matching, f"expected {name}:{line}: {field}: ...{fragment}...; got {[str(p) for p in problems]}"
    if name in READER:
        assert all(p.hint for p in matching), "the reader's refusals say how to fix the file"


def test_every_hostile_fixture_has_an_expectation() -> None:
    # rulesets/ holds the hostile rule sets (tests/test_rule_limits.py)
    assert {p.name for p in HOSTILE.iterdir() if p.is_file()} == set(EXPECTED) | OTHER


def test_a_billion_laughs_file_fails_at_its_first_anchor_in_bounded_time_and_memory() -> None:
    # A generous bound on work, not a speed test: expanding the aliases would need ~10**9 strings.
    raw = (HOSTILE / "billion-laughs.yaml").read_bytes()
    tracemalloc.start()
    cpu = time.process_time()
    with pytest.raises(ScenarioError) as caught:
        load_scenario(HOSTILE / "billion-laughs.yaml")
    cpu = time.process_time() - cpu
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert caught.value.problems[0].line == 4
    assert cpu < 1.0, f"{cpu:.3f} s of CPU"
    assert peak < 2_000_000 + 50 * len(raw), f"peak {peak} bytes"


def test_a_billion_laughs_file_does_not_grow_the_process(tmp_path: Path) -> None:
    # Peak RSS of a fresh process that loads the bomb, against one that loads a small valid file.
    code = ("import resource, sys\nfrom scaleup.scenario.load import load_scenario\n"
            "try:\n    load_scenario(sys.argv[1])\nexcept Exception:\n    pass\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")

    def peak_kib(path: Path) -> int:
        done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                              timeout=60, cwd=Path(__file__).parent.parent)
        assert done.returncode == 0, done.stderr
        return int(done.stdout.strip())

    baseline = peak_kib(Path(__file__).parent.parent / "scenarios" / "cyclone-coastal.yaml")
    bomb = peak_kib(HOSTILE / "billion-laughs.yaml")
    assert bomb < baseline + 10_000, f"{bomb} KiB against {baseline} KiB"


def test_a_huge_sparse_file_is_refused_from_its_size_without_being_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as handle:
        handle.truncate(10**9)   # sparse: no disk used, and reading it would take 1 GB
    tracemalloc.start()
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, name="huge.yaml")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert str(caught.value) == ("huge.yaml: the file is 1000000000 bytes, larger than the limit of "
                                 f"{DEFAULT_LIMITS.max_bytes} bytes (split it into smaller files)")
    assert peak < 1_000_000


@pytest.mark.parametrize("path, kind", [("/dev/zero", "not a regular file"), ("/", "a directory")])
def test_devices_and_folders_are_refused_without_reading(path: str, kind: str) -> None:
    with pytest.raises(ScenarioError, match=f"cannot read the file: it is {kind}"):
        load_document(path, error=ScenarioError)


@pytest.mark.parametrize("name", ["python-object-tag.yaml", "python-name-tag.yaml", "python-object-mapping-tag.yaml"])
def test_object_tags_construct_nothing_and_run_nothing(name: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(os, "system", lambda *a: calls.append(a))
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: calls.append(a))
    with pytest.raises(ScenarioError, match="YAML tags that construct objects are refused"):
        load_scenario(HOSTILE / name)
    assert calls == [] and list(tmp_path.iterdir()) == []


def test_an_object_tag_in_a_child_process_writes_no_file(tmp_path: Path) -> None:
    # Without any patching: the payload would `touch PWNED-BY-SCENARIO` in the working folder.
    code = ("import sys\nfrom scaleup.scenario.load import load_scenario\n"
            "try:\n    load_scenario(sys.argv[1])\nexcept Exception as exc:\n    print(type(exc).__name__)")
    done = subprocess.run([sys.executable, "-c", code, str(HOSTILE / "python-object-tag.yaml")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})
    assert done.stdout.strip() == "ScenarioError", done.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_empty_value_for_a_number_means_not_given() -> None:
    # `deaths:` with nothing after it is null; pydantic used to apply ge/le to None (TypeError).
    loaded = load_scenario(HOSTILE / "empty-value-for-number.yaml")
    assert loaded.scenario.impact.deaths is None and loaded.scenario.impact.deaths_30d is None
    assert not [f for f in loaded.facts() if f.fields["field"].startswith("impact.deaths")]


def test_a_key_with_a_bracket_is_an_unknown_field() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(HOSTILE / "key-with-bracket.yaml", name="k.yaml")
    assert [(p.line, p.field, p.message) for p in caught.value.problems] == [(6, "ti[tle", "unknown field")]


def test_the_reader_limits_are_the_documented_ones() -> None:
    # docs/limits.md quotes these numbers; change both together.
    assert (DEFAULT_LIMITS.max_bytes, DEFAULT_LIMITS.max_nodes, DEFAULT_LIMITS.max_depth,
            DEFAULT_LIMITS.max_string, DEFAULT_LIMITS.max_list) == (1_000_000, 20_000, 32, 10_000, 5_000)
    text = (Path(__file__).parent.parent / "docs" / "limits.md").read_text(encoding="utf-8")
    for figure in ("1,000,000 bytes", "20,000 values", "32 levels", "10,000 characters", "5,000 entries"):
        assert figure in text, figure


# --- output safety ------------------------------------------------------------------------------

INJECTIONS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)> & <a href=\"javascript:alert(1)\">x</a>",
    "\"double\" 'single' `tick` &amp; &lt;",
    "| pipe | *star* _under_ __bold__ [link](javascript:alert(1)) ![img](http://x) <http://x>",
    "line one\n# Heading injection\n- list item\n| a | b |",
    "]]><!-- --> {{ 7*7 }} {% raw %}",
]


def hostile_scenario(text: str) -> LoadedScenario:
    """A valid scenario with ``text`` in every free-text field a report may show."""
    data = {"id": "hostile", "title": text[:200], "description": text, "as_of": "2026-03-20",
            "country": {"name": text[:200], "population": 31000000},
            "hazard": {"types": ["cyclone"], "onset": "sudden"},
            "populations": {"affected": 1850000, "in_need": 1300000},
            "capacity": {"lead_deliverer": text[:200], "lead_deliverer_share_pct": 60}}
    return parse_scenario(json.dumps(data), f"{text[:40]}.json", "json")


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(k, v or "") for k, v in attrs]

    def handle_data(self, data: str) -> None:
        self.text += data


@pytest.mark.parametrize("text", INJECTIONS)
def test_user_text_in_html_reports_is_shown_as_text_and_runs_nothing(text: str) -> None:
    page = RENDERERS["html"]([evaluate(hostile_scenario(text), cached_ruleset())])
    parsed = _Tags()
    parsed.feed(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert not [k for k, _ in parsed.attrs if k.startswith("on")]
    assert not [v for _, v in parsed.attrs if v.strip().lower().startswith("javascript:")]
    assert " ".join(text[:200].split()) in " ".join(parsed.text.split())   # the title, as written


def _unescaped(md: str, chars: str) -> dict[str, int]:
    return {c: len(re.findall(r"(?<!\\)" + re.escape(c), md)) for c in chars}


@pytest.mark.parametrize("text", INJECTIONS)
def test_user_text_in_markdown_reports_cannot_inject_html_or_structure(text: str) -> None:
    md = RENDERERS["markdown"]([evaluate(hostile_scenario(text), cached_ruleset())])
    plain = RENDERERS["markdown"]([evaluate(hostile_scenario("plain words"), cached_ruleset())])
    assert "<script" not in md and "<img" not in md and "<a " not in md and "<!--" not in md
    # Markdown syntax comes from the template only: the same unescaped characters as a plain title
    # ("!" and "#" only matter before "[" and at the start of a line: checked by the other lines)
    assert _unescaped(md, "*`[]|<>") == _unescaped(plain, "*`[]|<>")
    assert not [line for line in md.splitlines() if line.startswith(("# Heading injection", "- list item", "| a | b |"))]
    for block in md.split("\n\n"):   # every row of a table has the header's columns
        rows = [line for line in block.splitlines() if line.startswith("|")]
        assert len({len(re.findall(r"(?<!\\)\|", row)) for row in rows}) <= 1, rows


def test_underscore_runs_in_user_text_cannot_make_emphasis() -> None:
    md = RENDERERS["markdown"]([evaluate(hostile_scenario("__bold__ and _em_"), cached_ruleset())])
    plain = RENDERERS["markdown"]([evaluate(hostile_scenario("bold and em xx"), cached_ruleset())])
    assert _unescaped(md, "_") == _unescaped(plain, "_")


def test_user_text_in_the_terminal_report_holds_no_control_characters() -> None:
    text = "red \x1b[31mRED\x1b[0m\nScale-Up: RECOMMEND (fake line)"
    out = RENDERERS["text"]([evaluate(hostile_scenario(text), cached_ruleset())])
    assert "\x1b" not in out and "\nScale-Up: RECOMMEND (fake line)" not in out


@pytest.mark.parametrize("bad", ["../etc", "a/b", "..", ".hidden", "a\\b", "", "A", "x" * 81, "a b", "é"])
def test_scenario_ids_cannot_name_a_path_outside_an_output_folder(bad: str) -> None:
    data = {"id": bad, "title": "t", "as_of": "2026-03-20", "country": {"name": "M", "population": 10},
            "hazard": {"types": ["flood"], "onset": "sudden"}}
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(json.dumps(data), "ids.json", "json")
    assert [p.field for p in caught.value.problems] == ["id"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.json"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):   # fails while writing: half the text is in the temp file
        write_atomic(target, "x" * 100_000 + "\ud800")
    assert target.read_text(encoding="utf-8") == "old\n" and os.listdir(tmp_path) == ["out.json"]

    def no_room(*args: object) -> None:
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "fsync", no_room)
    with pytest.raises(ScaleupError, match="out.json: cannot write the file: No space left"):
        write_atomic(target, "new\n")
    monkeypatch.undo()

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt
    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "new\n")
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == "old\n" and os.listdir(tmp_path) == ["out.json"]
    write_atomic(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n" and os.listdir(tmp_path) == ["out.json"]
