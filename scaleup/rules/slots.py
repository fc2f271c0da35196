"""One fact per condition: durable_rules never binds one fact to two patterns of a rule.

So the compiler must know which patterns can only match the same fact (a one-value *slot*: one
criterion, one scenario field, the decision...), merge them, and refuse references to fields the
bound fact may lack. The assurance checks and the rule limits use the same :func:`slot_of`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Optional

from ..facts import FACT_TYPES
from ..scenario.fields import CATALOGUE
from .ir import Emit, Pattern, Ref


def slot_of(p: Pattern) -> Optional[tuple]:
    """The slot a positive pattern necessarily binds, if its type allows only one fact there."""
    if p.negated:
        return None
    eq = {t.field: t.value for t in p.tests if t.op == "eq" and not isinstance(t.value, Ref)}
    if p.type == "indicator":
        info = CATALOGUE.get(str(eq.get("field")))
        return ("indicator", eq["field"]) if info is not None and not info.multi else None
    spec = FACT_TYPES[p.type]
    if not spec.value_field or not all(k in eq for k in spec.single):
        return None
    return (p.type,) + tuple(eq[k] for k in spec.single)


def shadowed_negation(patterns: list[Pattern]) -> Optional[Pattern]:
    """A ``not:`` on a one-value slot that a positive condition of the same rule already binds.

    durable_rules checks a negated condition only against facts the rule has not bound, so
    ``scale scored`` with ``not: scale level >= 4`` fires whatever the scale level: the one scale
    fact is bound, and the negation never sees it (pyeval models the same semantics).
    """
    bound = {slot_of(p) for p in patterns if not p.negated} - {None}
    return next((p for p in patterns if p.negated and slot_of(replace(p, negated=False)) in bound), None)


def unguarded_refs(patterns: list[Pattern]) -> Optional[tuple[str, str]]:
    """A ``$alias.field`` compared in a condition where that fact may lack the field.

    durable_rules fails (error 311, then a crash when the state is deleted) when a join reads a
    field the bound fact does not have, so such a reference needs a test on the field in the
    condition that binds it (a test on a missing field is false, which guarantees presence).
    """
    by_alias = {p.alias: p for p in patterns}
    for p in patterns:
        for t in p.tests:
            if not isinstance(t.value, Ref):
                continue
            target = by_alias.get(t.value.alias)
            spec = FACT_TYPES[target.type].fields.get(t.value.field) if target else None
            if target is not None and spec is not None and not spec.required and all(x.field != t.value.field for x in target.tests):
                return t.value.alias, t.value.field
    return None


def merge_same_fact(patterns: list[Pattern], emits: list[Emit]) -> tuple[list[Pattern], list[Emit]]:
    """Merge positive patterns that can only match the same fact.

    durable_rules never binds one fact to two patterns of a rule, so ``scale >= 3`` and
    ``scale >= 4`` written as two conditions would never fire together. Two conditions on the
    same one-value slot (one criterion, one scenario field, the decision...) necessarily mean
    one fact, so they become one pattern with both tests.
    """
    merged: list[Pattern] = []
    first: dict[tuple, int] = {}
    rename: dict[str, str] = {}
    for p in patterns:
        slot = slot_of(p)
        if slot is None or slot not in first:
            if slot is not None:
                first[slot] = len(merged)
            merged.append(p)
            continue
        target = merged[first[slot]]
        rename[p.alias] = target.alias
        tests = target.tests + tuple(t for t in p.tests if t not in target.tests)
        merged[first[slot]] = replace(target, tests=tests)
    if not rename:
        return patterns, emits

    def fix(v: Any) -> Any:
        return Ref(rename.get(v.alias, v.alias), v.field) if isinstance(v, Ref) else v
    merged = [replace(p, tests=tuple(replace(t, value=fix(t.value)) for t in p.tests)) for p in merged]
    emits = [replace(e, fields=tuple((k, fix(v)) for k, v in e.fields)) for e in emits]
    return merged, emits
