"""The translation of compiled rules into durable_rules' rule definitions (plain JSON-able dicts).

This is the only place that knows durable's rule syntax; it does not import durable_rules, so the
limit checks (:mod:`scaleup.rules.limits`) can read the definitions without loading the engine.
Why each construct looks the way it does is in docs/engine.md.
"""

from __future__ import annotations

from typing import Any, cast

from .ir import CompiledRule, CompiledRuleset, Pattern, Ref, Test

SINK = {"all": [{"m": {"$ex": {"t": 1}}}, {"never": {"$ex": {"__never__": 1}}}]}
_OPS = {"ne": "$neq", "gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte"}


def aliases_of(rule: CompiledRule) -> dict[str, str]:
    """Rule alias -> durable alias (``a<i>``); durable's own names never come from files."""
    return {p.alias: f"a{i}" for i, p in enumerate(rule.patterns)}


def _test(test: Test, aliases: dict[str, str]) -> dict[str, Any]:
    def value(v: Any) -> Any:
        return {aliases[v.alias]: v.field} if isinstance(v, Ref) else v
    if test.op == "eq":
        return {test.field: value(test.value)}
    listed = cast("tuple[Any, ...]", test.value)   # what an in or not_in test holds
    if test.op == "in":
        return {"$or": [{test.field: v} for v in listed]} if len(listed) > 1 else {test.field: listed[0]}
    if test.op == "not_in":
        return {"$and": [{"$neq": {test.field: v}} for v in listed]}
    return {_OPS[test.op]: {test.field: value(test.value)}}


def _pattern(p: Pattern, aliases: dict[str, str]) -> dict[str, Any]:
    # Always $and: with several keys in one dict durable checks only the first (docs/engine.md).
    return {"$and": [{"t": p.type}] + [_test(t, aliases) for t in p.tests]}


def translate(rule: CompiledRule) -> dict[str, Any]:
    """The durable_rules definition of one compiled rule (without its action)."""
    aliases = aliases_of(rule)
    patterns: list[dict[str, Any]] = []
    if rule.stratum > 0:
        patterns.append({"ph": {"$and": [{"t": "phase"}, {"n": rule.stratum}]}})
    for p in rule.patterns:
        key = aliases[p.alias] + ("$not" if p.negated else "")
        patterns.append({key: _pattern(p, aliases)})
    return {"all": patterns}


def definitions(ruleset: CompiledRuleset) -> dict[str, Any]:
    """The durable_rules definitions of a compiled rule set, without actions: one per compiled
    rule, the internal rule of the final phase (``__done__``) and the never-firing sink."""
    out: dict[str, Any] = {rule.key: translate(rule) for rule in ruleset.rules}
    out["__done__"] = {"all": [{"ph": {"$and": [{"t": "phase"}, {"n": ruleset.strata + 1}]}}]}
    out["__sink__"] = dict(SINK)
    return out
