"""What happened to one fuzz case: a valid recommendation, a located error, or a defect.

A case is run through the whole user path in this process: :func:`scaleup.scenario.load.parse_scenario`
(bytes in, as read from a file), :func:`scaleup.recommendation.evaluate.evaluate` with the rule set, and every
renderer. The outcome is one of:

- ``valid``: a Recommendation, rendered by every renderer;
- ``located``: a :class:`~scaleup.errors.ScenarioError` whose every problem names the file and
  either a line and a field, or is a document-level problem (see :func:`why_unlocated`);
- ``unlocated``: a ScenarioError with a problem a user could not find in the file;
- ``control``: a renderer meant for a terminal or a Markdown viewer wrote user text with raw
  control characters (see :func:`raw_controls`), or a problem's one-line form holds one;
- ``exception``: anything else (a defect: a crash of the library, or an engine failure on valid input).

Two more outcomes are only visible from outside: ``crash``, the process died (a segfault in the C
core), and ``hang``, a case ran past its time limit. ``python -m fuzz.outcome CASES.json`` runs
cases in a child process for the crash check; :mod:`fuzz.run` does both.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sys
import traceback
from functools import lru_cache
from typing import Iterable, Optional

from scaleup.errors import Problem, ScenarioError
from scaleup.recommendation.evaluate import evaluate
from scaleup.render import RENDERERS
from scaleup.rules.ir import CompiledRuleset
from scaleup.scenario.load import parse_scenario

from .cases import Case

VALID, LOCATED, UNLOCATED, EXCEPTION, CRASH = "valid", "located", "unlocated", "exception", "crash"
CONTROL, HANG = "control", "hang"
OUTCOMES = (VALID, LOCATED, UNLOCATED, CONTROL, EXCEPTION, CRASH, HANG)
GOOD = (VALID, LOCATED)

# C0 controls but newline and tab, DEL, C1 controls: what a terminal acts on (ESC, CSI, OSC, BEL...)
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# What scaleup.safetext.terminal also escapes on the terminal: line/paragraph separators, bidi
# formatting characters, U+FEFF (they reorder or break a line; a Markdown viewer shows them as is)
TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                             "\u202a-\u202e\u2066-\u2069\ufeff]")
CHECKED_RENDERERS = {"text": TERMINAL_UNSAFE, "markdown": RAW_CONTROL}


def raw_controls(output: str, unsafe: re.Pattern = RAW_CONTROL) -> Optional[str]:
    """The first raw control character in ``output`` and what surrounds it, or None."""
    found = unsafe.search(output)
    if found is None:
        return None
    return f"U+{ord(found.group()):04X} at offset {found.start()}: {output[max(found.start() - 60, 0):found.end() + 20]!r}"

# Problems about the file as a whole: no line, no field.
WHOLE_FILE = re.compile(r"the file is \d+ bytes|the file is empty|this looks like a binary file|"
                        r"the document is nested too deeply|cannot read the file")
# Problems about the document's syntax or shape (a key too long for YAML to read is a syntax
# error), or about its root node (an anchor or a tag on the whole document) or a top-level key
# itself, which have no field path: a line, no field.
DOCUMENT = re.compile(r"invalid YAML|invalid JSON|the top level is|the file is not valid UTF-8|"
                      r"the key is \d+ characters long; YAML allows at most|"
                      r"the file contains the character|the file holds more than one YAML document|"
                      r"a list or mapping is used as a key|merge keys \(<<\) are not supported|"
                      r"anchors and aliases|the tag \S+ is refused")


def why_unlocated(problem: Problem, name: str) -> Optional[str]:
    """Why a user could not find ``problem`` in file ``name``, or None when it is located."""
    if problem.file != name:
        return f"names file {problem.file!r}, not {name!r}"
    if problem.field:
        return None if problem.line is not None else "has a field but no line"
    if WHOLE_FILE.match(problem.message):
        return None
    if DOCUMENT.match(problem.message):
        return None if problem.line is not None else "a document-level problem without a line"
    return "has no field and is not a whole-file or document-level problem"


def classify(case: Case, ruleset: CompiledRuleset) -> tuple[str, str]:
    """Run one case; return (outcome, detail) where detail explains anything but ``valid``."""
    try:
        loaded = parse_scenario(case.raw, case.name, case.fmt)
    except ScenarioError as exc:
        if not exc.problems:
            return UNLOCATED, "a ScenarioError without problems"
        for problem in exc.problems:
            why = why_unlocated(problem, case.name)
            if why:
                return UNLOCATED, f"{why}: {problem}"
            if raw := raw_controls(str(problem), TERMINAL_UNSAFE):   # what `error:` lines show
                return CONTROL, f"problem {problem.to_dict()!r}: {raw}"
        return LOCATED, ""
    except Exception:   # noqa: BLE001 - the point is to catch what should never happen
        return EXCEPTION, traceback.format_exc(limit=6)
    try:
        rec = evaluate(loaded, ruleset)
        outputs = {name: render([rec]) for name, render in RENDERERS.items()}
        json.loads(outputs["json"])
    except Exception:   # noqa: BLE001
        return EXCEPTION, traceback.format_exc(limit=6)
    for name, unsafe in CHECKED_RENDERERS.items():
        if raw := raw_controls(outputs[name], unsafe):
            return CONTROL, f"{name} renderer: {raw}"
    return VALID, ""


def default_ruleset() -> str:
    """The rule set cases run against: ``$SCALEUP_FUZZ_RULESET`` or the shipped one."""
    return os.environ.get("SCALEUP_FUZZ_RULESET", "iasc-2018")


@lru_cache(maxsize=1)
def cached_ruleset() -> CompiledRuleset:
    """:func:`default_ruleset`, loaded once per process."""
    from scaleup.rules.load import load_ruleset
    return load_ruleset(default_ruleset())


def encode_cases(cases: Iterable[Case]) -> str:
    return json.dumps([{"name": c.name, "fmt": c.fmt, "how": c.how,
                        "raw": base64.b64encode(c.raw).decode()} for c in cases])


def decode_cases(text: str) -> list[Case]:
    return [Case(c["name"], c["fmt"], base64.b64decode(c["raw"]), c["how"]) for c in json.loads(text)]


def main(argv: list[str]) -> int:
    """``python -m fuzz.outcome CASES.json [RULESET]``: print one outcome per line as JSON."""
    from scaleup.rules.load import load_ruleset
    ruleset = load_ruleset(argv[2]) if len(argv) > 2 else cached_ruleset()
    with open(argv[1], encoding="utf-8") as handle:
        cases = decode_cases(handle.read())
    for case in cases:
        outcome, detail = classify(case, ruleset)
        print(json.dumps({"how": case.how, "outcome": outcome, "detail": detail[-300:]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))


__all__ = ["GOOD", "OUTCOMES", "cached_ruleset", "classify", "decode_cases", "default_ruleset", "encode_cases",
           "raw_controls", "why_unlocated"]
