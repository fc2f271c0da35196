"""The fast YAML path (scaleup.scenario.yamlfast) reads every document exactly as the pure-Python reader does.

``parse_document`` first asks libyaml (through PyYAML's C bindings) and falls back to the
pure-Python reader on anything unusual. These tests read each input twice -- as users get it, and
with the fast path switched off -- and require the same data (types and key order included), the
same line for every node, and the same problems word for word: on every YAML file in the
repository, on the fuzz corpus (``fuzz/cases.py``), and on generated YAML text full of the
constructs where libyaml and PyYAML's scanner could part (tabs, flow collections, block scalars,
explicit keys, directives, escapes, odd line breaks), and also that the fast path does answer for
ordinary files.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz.cases import ROOT, case_for, shipped_scenarios
from scaleup.errors import ScaleupError
from scaleup.scenario import yamlfast, yamlio
from scaleup.scenario.reading import DEFAULT_LIMITS, Limits
from scaleup.scenario.yamlio import parse_document

FILES = sorted(p for p in ROOT.glob("**/*") if p.suffix in (".yaml", ".yml") and ".git" not in p.parts
               and p.is_file())
SHIPPED = [p for p in FILES if p.relative_to(ROOT).parts[0] in ("scenarios", "rulesets")]
SHIPPED_SCENARIOS = shipped_scenarios()
SMALL = Limits(max_nodes=60, max_depth=5, max_string=30, max_list=6)
FUZZ = settings(derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# Cases are drawn from a seeded random.Random: hypothesis picks the seeds (reproducibly, with
# derandomize=True) and shows the one that fails; drawing every choice through st.randoms would
# cost ten times as much, for shrinking that a text generator hardly uses.
seeds = st.integers(min_value=0, max_value=2**32)


def outcome(raw: bytes | str, limits: Limits = DEFAULT_LIMITS, keep_going: bool = False) -> tuple[Any, ...]:
    """What a user gets: data (by repr, so types and order count), lines, recoverable problems; or the problems."""
    try:
        doc = parse_document(raw, "x.yaml", limits=limits, keep_going=keep_going)
    except ScaleupError as err:
        return ("problems", [(p.file, p.line, p.field, p.message, p.hint) for p in err.problems])
    return ("document", repr(doc.data), sorted(doc.lines.items(), key=repr), doc.recoverable, doc.sha256)


def both(raw: bytes | str, limits: Limits = DEFAULT_LIMITS, keep_going: bool = False) -> tuple[Any, Any, bool]:
    """(fast outcome, pure outcome, whether the fast path answered)."""
    answered = []

    def spy(text: str, limits: Limits) -> Any:
        result = yamlfast.read_fast(text, limits)
        answered.append(result is not None)
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(yamlio, "read_fast", spy)
        fast = outcome(raw, limits, keep_going)
        patch.setattr(yamlio, "read_fast", lambda text, limits: None)
        pure = outcome(raw, limits, keep_going)
    return fast, pure, any(answered)


def test_libyaml_is_installed_here() -> None:
    # Without it every test below passes trivially (everything falls back): make that visible.
    assert yamlfast.available()


def test_every_yaml_file_in_the_repository_reads_the_same_and_shipped_ones_take_the_fast_path() -> None:
    assert len(SHIPPED) > 50, "scenarios/ and rulesets/ hold no YAML files"
    slow = []
    for path in FILES:
        fast, pure, answered = both(path.read_bytes())
        assert fast == pure, path
        if path in SHIPPED and not answered:
            slow.append(path.name)
    assert not slow, f"shipped files the fast path did not answer for: {slow}"


# --- what the fast path answers for, and what it leaves to the pure-Python reader -----------------

ORDINARY = """# a comment
id: x-1
title: 'Floods, again'
as_of: 2026-03-01
hazard:
  types: [flood, storm]
  note: "caf\\u00e9 \\"quoted\\""
populations: {affected: 1_000, in_need: 0x10}
list:
- 1.5
-
- nested:
    deep: ~
? explicit
: |
  block text
  over two lines
folded: >-
  one
  two
plain: several words
  over lines
empty:
"""


def test_an_ordinary_file_is_read_by_the_fast_path_with_a_line_for_every_node() -> None:
    fast = yamlfast.read_fast(ORDINARY, DEFAULT_LIMITS)
    assert fast is not None
    data, lines = fast
    assert data["populations"] == {"affected": 1000, "in_need": 16}
    assert data["hazard"]["note"] == 'café "quoted"' and data["explicit"] == "block text\nover two lines\n"
    assert data["list"] == [1.5, None, {"nested": {"deep": None}}] and data["plain"] == "several words over lines"
    assert (lines[("list",)], lines[("list", 1)], lines[("list", 2, "nested", "deep")], lines[("explicit",)]) == (9, 11, 13, 14)
    assert both(ORDINARY)[0] == both(ORDINARY)[1]
    crlf = ORDINARY.replace("\n", "\r\n")
    assert yamlfast.read_fast(crlf, DEFAULT_LIMITS) == fast


@pytest.mark.parametrize(("text", "why"), [
    ("a:\tb\n", "a tab (PyYAML refuses it where libyaml reads a space)"),
    ("a: 1\n\ufeffb: 2\n", "a BOM after the start (libyaml skips it at any line start)"),
    ("a: x\x85y\n", "NEL, a line break to YAML 1.1"),
    ("a: x\u2028y\n", "a line separator"),
    ("a: x\x07\n", "a control character"),
    ("a: |-#c\n  x\n", "a comment glued to a block scalar header"),
    ("%YAML 1.1\n---\na: 1\n", "a directive"),
    ("a: [b?c]\n", "a question mark in a plain scalar in a flow collection"),
    ("a: {b?: c}\n", "the same in a key"),
    ("# only a comment\n", "an empty stream"),
    ("- a\n", "a list at the top"),
    ("just text\n", "a value at the top"),
    ("&x a: 1\n", "an anchor on a key"),
    ("a: &x 1\nb: *x\n", "an anchor and an alias"),
    ("a: !foo 1\n", "a tag that constructs objects"),
    ("a: !!seq {b: 1}\n", "a tag that does not fit its collection"),
    ("? [a]\n: 1\n", "a collection as a key"),
    ("<<: {a: 1}\n", "a merge key"),
    ("1: a\n", "a key that is not text"),
    ("'': a\n", "an empty key"),
    ("a: 1\na: 2\n", "a duplicate key"),
    ("a: .inf\n", "a value that does not resolve"),
    ("a: 2026-02-30\n", "an impossible date"),
    ("a: 1\n---\nb: 2\n", "a second document"),
    ("a: [1, 2\n", "a syntax error"),
    ("a: \"\\ud800\"\n", "a lone surrogate escape"),
])
def test_the_fast_path_leaves_unusual_documents_to_the_pure_reader(text: str, why: str) -> None:
    assert yamlfast.read_fast(text, DEFAULT_LIMITS) is None, why
    fast, pure, answered = both(text, keep_going=True)
    assert fast == pure and not answered


@pytest.mark.parametrize(("text", "limits"), [
    ("a: [1, 2, 3]\n", Limits(max_list=2)),
    ("a: {b: 1, c: 2, d: 3}\n", Limits(max_list=2)),
    ("a: [1, 2, 3]\n", Limits(max_nodes=4)),
    ("a: {b: {c: 1}}\n", Limits(max_depth=2)),
    ("a: xxxxx\n", Limits(max_string=4)),
    ("a: 1\n", Limits(max_depth=0)),
    ("a: " + "[" * 70 + "]" * 70 + "\n", Limits(max_depth=1000, max_nodes=1000)),   # the pure reader's recursion decides
])
def test_the_fast_path_leaves_documents_beyond_a_limit_to_the_pure_reader(text: str, limits: Limits) -> None:
    assert yamlfast.read_fast(text, limits) is None
    assert yamlfast.read_fast(text, DEFAULT_LIMITS) is not None or "[" * 70 in text
    fast, pure, _ = both(text, limits)
    assert fast == pure and fast[0] == ("problems" if "[" * 70 not in text else "document")


def test_without_libyaml_every_document_is_read_by_the_pure_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = outcome(ORDINARY)
    monkeypatch.setattr(yamlfast, "CParser", None)
    assert not yamlfast.available()
    assert yamlfast.read_fast(ORDINARY, DEFAULT_LIMITS) is None
    assert outcome(ORDINARY) == expected


# --- generated YAML text --------------------------------------------------------------------------

WORDS = ["flood", "a b", "x-y", "1", "010", "0x1F", "0o17", "1_000", "-0", "1e6", ".5", "3.", "2026-03-01", "1:30", "true",
         "No", "null", "~", "", "é", "a#b", "a:b", "a?b", "-a", "a,b", "http://x", "9" * 40, "0b11", "+7", "1__0",
         "x" * 25, "a'b", 'a"b', "a[b]", "a{b}", "a!b", "a&b", "a*b", "a|b", "a>b", "a%b", "a@b", "a`b", "a - b"]
WRONG = ["a: b", "2026-02-30", ".inf", ".NaN", "1e999", "<<", "?", "]", "}", "@", "`x", "%x", "- a", ": a", "?x", "9" * 5000]
KEYS = ["a", "b", "title", "key with spaces", "é", "a-b", "a.b", "x" * 25, "a#b", "a b c"]
WRONG_KEYS = ["1", "true", "<<", "", "a:b", "-", "?x", "k#", "null", "'q'", "2026-01-01", "[a]", "{a: 1}", "k" * 1020,
              "k" * 1030, "é" * 600]
TAGS = ["!!str ", "!!int ", "!!float ", "!!bool ", "!!null ", "! ", "!<tag:yaml.org,2002:str> ", "!!seq ", "!!map "]
WRONG_TAGS = ["!foo ", "!!python/name:x ", "&a ", "*a ", "!!binary ", "!e!x "]
ESCAPES = ["", "", "\\n", "\\t", "\\\\", '\\"', "\\/", "\\x41", "\\u00e9", "\\U0001F600", "\\N", "\\_", "\\ ", "\\e",
           "\\\n  "]
WRONG_ESCAPES = ["\\ud800", "\\q", "\\x4"]
NOISE = ["\t", " ", "  ", "\n", "\r\n", "\r", ": ", ":", "- ", "-", "? ", "?", "#", " #c", ",", "[", "]", "{", "}", "'",
         '"', "|", ">", "!", "!!", "&x", "*x", "%YAML 1.1\n", "%YAML 1.2\n", "%TAG !e! tag:x,2000:\n", "---\n", "---",
         "...\n", "\ufeff", "\x85", "\u2028", "\x07", "\\", "@", "`", "<<: ", "é", "\x00"]


def _pick(rnd: random.Random, usual: list[str], wrong: list[str], p: float = 0.04) -> str:
    return rnd.choice(wrong if rnd.random() < p else usual)


def _tag(rnd: random.Random) -> str:
    return _pick(rnd, TAGS, WRONG_TAGS, 0.25) if rnd.random() < 0.08 else ""


def _word(rnd: random.Random) -> str:
    return _pick(rnd, WORDS, WRONG)


def _keys(rnd: random.Random, n: int) -> list[str]:
    """``n`` keys, distinct unless one of them is a wrong one."""
    return [_pick(rnd, [key], WRONG_KEYS) for key in rnd.sample(KEYS, n)]


def _scalar(rnd: random.Random, indent: int) -> str:
    word = _word(rnd)
    style = rnd.randrange(9)
    if style == 0:
        return "'" + word.replace("'", "''") + rnd.choice(["", "\n" + " " * indent + "more"]) + "'"
    if style == 1:
        return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + _pick(rnd, ESCAPES, WRONG_ESCAPES, 0.1) + '"'
    if style == 2:
        head = rnd.choice(["|", ">", "|-", ">+", "|2", ">-", "|+", "|1-", ">+2", "| #c", _pick(rnd, [">"], ["|0", "|10"], 0.3)])
        body = "".join(f"\n{' ' * (indent + 2 + rnd.choice((0, 0, 1)))}{_word(rnd)}" for _ in range(rnd.randint(0, 3)))
        return head + body + rnd.choice(["", "\n"])
    if style == 3:   # a plain scalar over two lines
        return f"{word} \n{' ' * (indent + 2)}{_word(rnd)}"
    return _tag(rnd) + word


def _node(rnd: random.Random, indent: int, depth: int, flow: bool) -> str:
    kind = rnd.randrange(6) if depth < 4 else 0
    if kind <= 2:
        return _scalar(rnd, indent) if not flow else _tag(rnd) + (_word(rnd) or "''")
    tag = _tag(rnd)
    items = [_node(rnd, indent + 2, depth + 1, True) for _ in range(rnd.randint(0, 3))]
    if flow or kind == 3:
        if rnd.random() < 0.5:
            return tag + "[" + ", ".join(items) + rnd.choice(["", ","] if items else [""]) + "]"
        keys = _keys(rnd, len(items))
        return tag + "{" + ", ".join(f"{k}: {v}" if rnd.random() < 0.8 else k for k, v in zip(keys, items)) + "}"
    pad = " " * (indent + rnd.choice((2, 2, 1, 3, 0 if kind == 4 else 2)))
    if kind == 4:
        return tag + "".join(f"\n{pad}- {_node(rnd, len(pad) + 2, depth + 1, False)}" for _ in range(rnd.randint(1, 3)))
    return tag + _mapping(rnd, len(pad), depth + 1)


def _mapping(rnd: random.Random, indent: int, depth: int) -> str:
    pad, out = " " * indent, ""
    for key in _keys(rnd, rnd.randint(1, 4)):
        key = rnd.choice([key, repr(key), f'"{key}"']) if rnd.random() < 0.3 else key
        value = _node(rnd, indent, depth, False)
        if rnd.random() < 0.1:
            out += f"\n{pad}? {key}\n{pad}: {value}"
        else:
            out += f"\n{pad}{key}:{'' if value.startswith(chr(10)) else ' '}{value}"
        if rnd.random() < 0.15:
            out += rnd.choice([" # note", "\n" + pad + "# note", "\n"])
    return out


def yaml_text(rnd: random.Random) -> str:
    """A YAML document in varied styles, often with a few characters of noise put in."""
    text = _mapping(rnd, 0, 0).lstrip("\n") + "\n"
    text = (rnd.choice(["", "", "---\n", "# c\n", _pick(rnd, ["%YAML 1.1\n---\n"], ["--- "], 0.5)]) + text
            + _pick(rnd, ["", "", "...\n"], ["---\nb: 1\n"]))
    for _ in range(rnd.choice((0, 0, 0, 0, 1, 1, 2))):
        at = rnd.randrange(len(text) + 1)
        if rnd.random() < 0.7:
            text = text[:at] + rnd.choice(NOISE) + text[at:]
        else:
            text = text[:at] + text[at + rnd.randint(1, 3):]
    if rnd.random() < 0.1:
        text = text.replace("\n", "\r\n")
    return text


@settings(FUZZ, max_examples=1500)
@given(seed=seeds, limits=st.sampled_from([DEFAULT_LIMITS, DEFAULT_LIMITS, SMALL]), keep_going=st.booleans())
def test_generated_yaml_text_reads_the_same_on_both_paths(seed: int, limits: Limits, keep_going: bool) -> None:
    text = yaml_text(random.Random(seed))
    fast, pure, _ = both(text, limits, keep_going)
    assert fast == pure, text


def test_the_generated_text_is_often_read_by_the_fast_path_and_often_refused() -> None:
    # A generator whose documents all fall back, or are all accepted, compares nothing useful.
    answered = [both(yaml_text(random.Random(f"mix:{i}")))[2] for i in range(300)]
    assert 60 <= sum(answered) <= 240, sum(answered)


@settings(FUZZ, max_examples=150)
@given(seed=seeds)
def test_the_fuzz_corpus_reads_the_same_on_both_paths(seed: int) -> None:
    case = case_for(random.Random(seed), SHIPPED_SCENARIOS)
    fast, pure, _ = both(case.raw)
    assert fast == pure, case.how
