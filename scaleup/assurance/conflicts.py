"""Contradictions: two rules that can fire in one evaluation and assert different values of a
one-value slot (two decisions, two routes, two leads for one role...).

Every pair of rules asserting into the same slot with different content is examined. Most pairs
are shown exclusive by :class:`~.conditions.Reasoner`. For the rest a *witness* is sought, an
input on which both really fire, and only a witnessed pair is an error:

1. the completeness enumeration's combinations (decision and route);
2. a constructed input: each rule's conditions are traced back through the rules deriving what
   they need to scenario fields and criterion levels, values are picked inside the tests, and
   the input is evaluated (criteria injected, as in the enumeration, unless a rule derives
   signals or criteria itself).

A pair neither shown exclusive nor witnessed is a warning. Two firings of one rule with
different copied values (``$alias.field``) are not examined.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, replace
from typing import Optional

from ..engine.audit import Evaluation
from ..facts import FACT_TYPES, Fact
from ..vocabulary import CRITERIA
from ..scenario.fields import CATALOGUE
from ..rules.ir import CompiledRule, CompiledRuleset, Emit, Pattern, Ref, RuleKind
from .completeness import Completeness, Evaluate
from .conditions import Reasoner, match, positives
from .reduction import INJECTED, describe_cube
from .situations import criterion_fact

MAX_ALTERNATIVES = 16
PROFILES: tuple[Optional[int], ...] = (None, 3, 5, 1)   # levels for criteria a witness leaves open


@dataclass(frozen=True)
class Pair:
    """Two rule branches asserting different facts into one slot."""

    slot: str
    a: CompiledRule
    b: CompiledRule
    a_emit: Emit
    b_emit: Emit

    def value(self, emit: Emit) -> str:
        fields = dict(emit.fields)
        return str(fields.get(FACT_TYPES[emit.type].value_field, dict(emit.fields)))


@dataclass(frozen=True)
class Verdict:
    pair: Pair
    status: str        # exclusive | witnessed | unknown
    reason: str


def slot_pairs(ruleset: CompiledRuleset) -> list[Pair]:
    emits: dict[str, list[tuple[CompiledRule, Emit]]] = {}
    for r in ruleset.rules:
        for e in r.emits:
            if FACT_TYPES[e.type].value_field:
                emits.setdefault(e.type, []).append((r, e))
    out = []
    for type_, found in emits.items():
        single = FACT_TYPES[type_].single
        for i, (a, ea) in enumerate(found):
            for b, eb in found[i + 1:]:
                fa, fb = dict(ea.fields), dict(eb.fields)
                if a.key == b.key or any(not isinstance(fa.get(k), Ref) and not isinstance(fb.get(k), Ref)
                                         and fa.get(k) != fb.get(k) for k in single):
                    continue
                if fa == fb and not any(isinstance(v, Ref) for v in fa.values()):
                    continue
                slot = " ".join([type_] + [str(fa[k]) for k in single if not isinstance(fa.get(k), Ref)])
                out.append(Pair(slot, a, b, ea, eb))
    return out


def _input_alternatives(rule: CompiledRule, reasoner: Reasoner, injected: bool, depth: int = 3) -> list[list[Pattern]]:
    """Ways to meet the rule's positive conditions, as lists of input-level conditions."""
    ways: list[list[Pattern]] = [[]]
    for p in positives(rule):
        if p.type == "indicator" or (injected and p.type == "criterion"):
            options = [[p]]
        else:
            options = []
            if depth > 0:
                for maker in reasoner.domains.producers(p):
                    if injected and maker.writes & INJECTED:
                        continue
                    options.extend(_input_alternatives(maker, reasoner, injected, depth - 1))
        ways = [w + o for w, o in itertools.product(ways, options[:MAX_ALTERNATIVES])][:MAX_ALTERNATIVES]
    return ways


def _build(patterns: list[Pattern], reasoner: Reasoner, default: Optional[int], injected: bool) -> Optional[list[Fact]]:
    """Input facts passing every pattern (one value per one-value slot), or None."""
    groups: dict[tuple, list[Pattern]] = {}
    for n, p in enumerate(patterns):
        eq = {t.field: t.value for t in p.tests if t.op == "eq" and not isinstance(t.value, Ref)}
        if p.type == "indicator" and CATALOGUE.get(str(eq.get("field"))) is not None and CATALOGUE[str(eq["field"])].multi:
            groups[("multi", n)] = [p]
        else:
            groups.setdefault((p.type, eq.get("field", eq.get("name"))), []).append(p)
    facts: dict[tuple, Fact] = {}
    named: set[str] = set()
    for group in groups.values():
        tests = tuple(t for p in group for t in p.tests)
        fields = next((f for t in reasoner.domains.templates(group[0]) if (f := match(tests, t)) is not None), None)
        if fields is None:
            return None
        values = {k: v.sample() for k, v in fields.items()}
        if any(v is None for v in values.values()):
            return None
        fact = Fact(f"w{len(facts) + 1}", group[0].type, values, "witness")
        facts.setdefault(fact.key, fact)
        if fact.type == "criterion":
            named.add(str(values["name"]))
    out = list(facts.values())
    if injected:
        out += [criterion_fact(c, default, 90 + i) for i, c in enumerate(CRITERIA) if c not in named]
    return out


def _fired_conflict(ev: Evaluation, pair: Pair) -> bool:
    asserted: dict[str, set[tuple]] = {pair.a.key: set(), pair.b.key: set()}
    for firing in ev.firings:
        if firing.key in asserted:
            for fid in firing.asserted + firing.reasserted:
                fact = ev.fact(fid)
                if fact.type == pair.a_emit.type:
                    asserted[firing.key].add(fact.key)
    a, b = asserted[pair.a.key], asserted[pair.b.key]
    return bool(a and b and len(a | b) > 1)


def construct_witness(pair: Pair, ruleset: CompiledRuleset, reasoner: Reasoner, evaluate: Evaluate,
                      budget: int = 120) -> Optional[str]:
    """An input on which both rules fire and disagree, described in words; or None."""
    injected = not ((pair.a.writes | pair.b.writes) & INJECTED)
    target = ruleset
    if injected:
        tag = hashlib.sha256(f"{ruleset.sha256}:injected".encode()).hexdigest()
        target = replace(ruleset, rules=tuple(r for r in ruleset.rules if not (r.writes & INJECTED)), sha256=tag)
    tried = 0
    for left in _input_alternatives(pair.a, reasoner, injected):
        for right in _input_alternatives(pair.b, reasoner, injected):
            for default in (PROFILES if injected else (None,)):
                if tried >= budget:
                    return None
                facts = _build(left + right, reasoner, default, injected)
                if facts is None:
                    break
                tried += 1
                if _fired_conflict(evaluate(target, facts), pair):
                    words = [_words(f) for f in facts if f.origin == "witness"]
                    if injected and len(words) < len(facts):
                        some = any(f.type == "criterion" for f in facts if f.origin == "witness")
                        level = "insufficient" if default is None else f"at level {default}"
                        words.append(f"{'other' if some else 'all'} criteria {level}")
                    return "; ".join(words)
    return None


def _words(fact: Fact) -> str:
    f = fact.fields
    if fact.type == "indicator":
        return f"{f['field']}={f['value']}"
    if fact.type == "criterion":
        return f"{f['name']}={f.get('level', 'insufficient')}"
    return f"{fact.type} {dict(f)}"


def enumerated_witness(pair: Pair, completeness: Optional[Completeness]) -> Optional[str]:
    if completeness is None:
        return None
    for d in completeness.defects:
        if d.target == pair.a_emit.type and d.kind == "several" and {pair.a.id, pair.b.id} <= set(d.rules):
            return f"{d.case}: {describe_cube(d.cubes[0])} (and {d.count - 1:,} more combinations)" if d.count > 1 \
                else f"{d.case}: {describe_cube(d.cubes[0])}"
    return None


def _generated_pair(a: CompiledRule, b: CompiledRule) -> Optional[str]:
    """``<c>/combine`` and ``<c>/ceiling`` are generated to exclude each other: for the one top
    signal, the first fires when no ceiling lies below it, the second when one does."""
    if {a.kind, b.kind} == {RuleKind.COMBINE} and a.id.split("/")[0] == b.id.split("/")[0] \
            and {a.id.split("/")[-1], b.id.split("/")[-1]} == {"combine", "ceiling"}:
        return f"{a.key} and {b.key} are generated to exclude each other (no ceiling below the top signal, or one)"
    return None


def judge(ruleset: CompiledRuleset, reasoner: Reasoner, evaluate: Evaluate,
          completeness: Optional[Completeness] = None) -> list[Verdict]:
    """A verdict for every pair of rules asserting into one slot."""
    out = []
    for pair in slot_pairs(ruleset):
        reason = _generated_pair(pair.a, pair.b) or reasoner.exclusive(pair.a, pair.b)
        if reason is not None:
            out.append(Verdict(pair, "exclusive", reason))
            continue
        witness = enumerated_witness(pair, completeness) or construct_witness(pair, ruleset, reasoner, evaluate)
        out.append(Verdict(pair, "witnessed", witness) if witness else Verdict(pair, "unknown", ""))
    return out
