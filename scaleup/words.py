"""How explanations name things: rules with their citations, facts, fields, values and tests.

One place for these words so the text, JSON, Markdown and HTML forms of an explanation say the
same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .display import fmt
from .facts import Fact
from .scenario.fields import CATALOGUE
from .rules.ir import CompiledRule, CompiledRuleset, Pattern, Ref, RuleKind, Test
from .vocabulary import Criterion, Level

OP_WORDS = {"eq": "", "ne": "not ", "gt": "more than ", "gte": "", "lt": "less than ",
            "lte": "at most ", "in": "one of ", "not_in": "none of "}
OP_SIGNS = {"eq": "=", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "in": "in", "not_in": "not in"}


@dataclass(frozen=True)
class Citation:
    """Where a rule comes from: its source (title and URL from the rule set) and its basis."""

    source: str
    title: str
    url: Optional[str]
    section: Optional[str]
    basis: str
    verified: bool

    def __str__(self) -> str:
        where = f", {self.section}" if self.section else ""
        flag = "" if self.verified else "; not verified"
        return f"{self.source} \"{self.title}\"{where}; basis {self.basis}{flag}"

    @property
    def short(self) -> str:
        """The in-line form, without the source's title: ``<source>, <section>; basis <basis>``."""
        where = f", {self.section}" if self.section else ""
        return f"{self.source}{where}; basis {self.basis}{'' if self.verified else ', not verified'}"


def citation(ruleset: CompiledRuleset, rule: CompiledRule) -> Citation:
    source = ruleset.sources.get(rule.source)
    return Citation(rule.source, getattr(source, "title", None) or rule.source, getattr(source, "url", None),
                    rule.section, rule.basis, rule.verified)


_TITLES: dict[str, dict[str, str]] = {}


def _titles(ruleset: CompiledRuleset) -> dict[str, str]:
    """Indicator titles, read back from the band rules' titles (``<title>: <band> -> ...``)."""
    out = _TITLES.get(ruleset.fingerprint)
    if out is None:
        out = _TITLES[ruleset.fingerprint] = {}
        for r in ruleset.rules:
            if r.kind == RuleKind.BAND:
                out.setdefault(r.key.split("/")[1], r.title.split(": ", 1)[0])
    return out


def field_label(ruleset: CompiledRuleset, field: str) -> str:
    """``populations.in_need`` -> ``people in need``."""
    title = _titles(ruleset).get(field)
    if title is None or title == field:
        info = CATALOGUE.get(field)
        title = info.doc.split(",")[0] if info and info.doc else field
    return title if title[1:2].isupper() else title[:1].lower() + title[1:]


def fact_text(fact: Fact) -> str:
    """``criterion scale = 4``, ``indicator populations.affected = 1,850,000``, ``finding consider_threshold``."""
    f = dict(fact.fields)
    if fact.type == "indicator":
        return f"{f.get('field')} = {fmt(f.get('value'))}"
    if fact.type == "criterion":
        level = f"level {f['level']}" if "level" in f else "insufficient evidence"
        return f"criterion {f.get('name')}: {level}"
    if fact.type == "signal":
        return f"signal: {f.get('field')} puts {f.get('criterion')} at level {f.get('level')}"
    if fact.type in ("finding", "plan", "flag", "milestone") and "name" in f:
        return f"{fact.type} {f.pop('name')}" + "".join(f"; {k} {fmt(v)}" for k, v in sorted(f.items()))
    if fact.type == "lead" and {"role", "actor"} <= set(f):
        return f"lead {str(f['role']).replace('_', ' ')}: {f['actor']}"
    if fact.type == "cluster" and {"name", "lead"} <= set(f):
        return f"cluster {f['name']}: {f['lead']}"
    if fact.type == "situation" and {"aspect", "value"} <= set(f):
        return f"situation {f['aspect']} = {f['value']}"
    if set(f) <= {"value", "reason"} and "value" in f:
        return f"{fact.type} = {fmt(f['value'])}"
    return f"{fact.type} " + ", ".join(f"{k}={fmt(v)}" for k, v in sorted(f.items()))


def brief_fact_text(fact: Fact) -> str:
    """A fact as trainees read it (exercise explanations): ``scale is 4 - high``,
    ``populations.affected = 1,850,000 (drill.yaml:12)``, ``cluster shelter, led by IFRC``."""
    f = fact.fields
    if fact.type == "indicator":
        return f"{f['field']} = {fmt(f['value'])} ({fact.origin.split('@', 1)[-1]})"
    if fact.type == "criterion":
        level = f.get("level")
        return f"{Criterion(f['name']).phrase} is " + (Level(int(level)).numbered if level else "insufficient evidence")  # type: ignore[arg-type]  # a criterion fact's level is an int when present (facts.py)
    if fact.type in ("finding", "flag", "milestone", "plan"):
        return f"{fact.type} {f['name']}" + "".join(f", {k} {fmt(v)}" for k, v in f.items() if k != "name")
    if fact.type == "situation":
        return f"situation: {f['aspect']} is {f['value']}"
    if fact.type == "cluster":
        return f"cluster {f['name']}, led by {f['lead']}"
    if fact.type == "lead":
        return f"{str(f['role']).replace('_', ' ')}: {f['actor']}"
    if "value" in f and len(f) <= 2:
        return f"{fact.type} {fmt(f['value'])}" + (f" ({f['reason']})" if f.get("reason") else "")
    return f"{fact.type} " + ", ".join(f"{k} {fmt(v)}" for k, v in f.items())


def origin_line(fact: Fact) -> Optional[str]:
    """``file:line`` of an input fact (None for derived facts)."""
    if fact.origin.startswith(("input:", "derived:")):
        return fact.origin.split("@", 1)[-1]
    return None


def needs_text(op: str, value: object) -> str:
    """``at least 1,500,000``, ``one of a, b``: what a comparison needs, in words."""
    return f"{'at least ' if op == 'gte' else OP_WORDS[op]}{fmt(list(value) if isinstance(value, tuple) else value)}"


def band_text(tests: list[Test]) -> str:
    """``at least 1,500,000 and less than 5,000,000`` for a band's tests on one value."""
    return " and ".join(needs_text(t.op, t.value) for t in tests)


def test_text(test: Test) -> str:
    value = test.value
    shown = str(value) if isinstance(value, Ref) else fmt(list(value) if isinstance(value, tuple) else value)
    param = f" (${'param'}.{test.param})" if test.param else ""
    return f"{test.field} {OP_SIGNS[test.op]} {shown}{param}"


def subject(p: Pattern, name: str) -> str:
    """What a test on ``name`` of a pattern is about: ``populations.in_need``, ``scale level``."""
    key = {t.field: t.value for t in p.tests if t.op == "eq" and not isinstance(t.value, Ref)}
    if p.type == "indicator" and name == "value" and "field" in key:
        return str(key["field"])
    if p.type == "criterion" and "name" in key:
        return f"{key['name']} {name}"
    return f"{p.type} {name}"


def pattern_text(p: Pattern) -> str:
    """``indicator populations.in_need: value >= 1,500,000`` or ``no finding name = x``."""
    tests = list(p.tests)
    head = p.type
    if p.type == "indicator":
        field = next((t for t in tests if t.field == "field" and t.op == "eq"), None)
        if field is not None:
            tests.remove(field)
            head = f"indicator {field.value}"
    body = ", ".join(test_text(t) for t in tests)
    return ("no " if p.negated else "") + head + (f" with {body}" if body else "")


def threshold_basis(ruleset: CompiledRuleset, rule: CompiledRule, test: Test) -> str:
    """The basis of the number a test compares with: its parameter's, its band edge's, or the rule's."""
    if test.param and test.param in ruleset.parameters:
        return ruleset.parameters[test.param].basis
    for t in rule.thresholds:
        if t.op == test.op and t.value == test.value:
            return t.basis
    return rule.basis
