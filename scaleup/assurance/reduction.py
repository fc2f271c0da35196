"""The exact reductions that make the completeness enumeration fast (see :mod:`.completeness`).

- :func:`downstream`: only the rules a target depends on, without those deriving signals and
  criteria (the criteria are injected);
- :func:`split_by_criteria`: the rules that never depend on a criterion, to run once per case;
- :func:`level_classes`: per criterion, the levels no rule can tell apart;
- :func:`fields_read`: the scenario fields the rules read, so that cases differing elsewhere
  share their outcomes;
- cubes: sets of combinations as products of level sets, merged and described for reports.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Optional, Sequence

from ..vocabulary import CRITERIA
from ..engine.pyeval import compare
from ..rules.ir import CompiledRule, CompiledRuleset, Pattern, Ref
from .conditions import emit_template, match
from .situations import LEVELS, criteria_facts, level_label

INJECTED = {"signal", "criterion", "ceiling"}
Cube = tuple[frozenset, ...]                    # one set of levels per criterion


def downstream(ruleset: CompiledRuleset, targets: Sequence[str]) -> CompiledRuleset:
    """The rules the targets depend on, without those deriving signals and criteria.

    A rule is kept when it asserts a target, or a fact that could pass a condition (``not:``
    included) of a rule already kept. The result has its own fingerprint, so an engine built
    for it is not the full rule set's.
    """
    rules = [r for r in ruleset.rules if not (r.writes & INJECTED)]
    templates = {r.key: [emit_template(r, e) for e in r.emits] for r in rules}
    keep = {r.key for r in rules if r.writes & set(targets)}
    frontier = [r for r in rules if r.key in keep]
    while frontier:
        needing = frontier.pop()
        for r in rules:
            if r.key not in keep and any(t.type == p.type and match(p.tests, t) is not None
                                         for p in needing.patterns for t in templates[r.key]):
                keep.add(r.key)
                frontier.append(r)
    tag = hashlib.sha256(f"{ruleset.sha256}:{','.join(sorted(targets))}".encode()).hexdigest()
    return replace(ruleset, rules=tuple(r for r in rules if r.key in keep), sha256=tag)


def split_by_criteria(sub: CompiledRuleset) -> tuple[CompiledRuleset, CompiledRuleset]:
    """(rules that never depend on a criterion, rules that may), each its own rule set.

    A rule depends on the criteria when a condition of it (``not:`` included) could match a
    criterion or a fact a dependent rule asserts. The first part can run once per situation,
    and its facts be given to the second.
    """
    templates = {r.key: [emit_template(r, e) for e in r.emits] for r in sub.rules}
    dependent: set[str] = set()
    changed = True
    while changed:
        changed = False
        for r in sub.rules:
            if r.key not in dependent and any(
                    p.type == "criterion" or any(t.type == p.type and match(p.tests, t) is not None
                                                 for k in dependent for t in templates[k])
                    for p in r.patterns):
                dependent.add(r.key)
                changed = True

    def part(keys: set[str], tag: str) -> CompiledRuleset:
        digest = hashlib.sha256(f"{sub.sha256}:{tag}".encode()).hexdigest()
        return replace(sub, rules=tuple(r for r in sub.rules if r.key in keys), sha256=digest)
    return part({r.key for r in sub.rules} - dependent, "fixed"), part(dependent, "criteria")


def _applies(p: Pattern, name: str) -> bool:
    return all(compare(t.op, name, t.value) for t in p.tests if t.field == "name" and not isinstance(t.value, Ref))


def level_classes(rules: Sequence[CompiledRule]) -> list[list[list[Optional[int]]]]:
    """Per criterion, the levels grouped by which of the rules' tests they pass."""
    opaque: set[str] = set()      # criteria some rule compares with another fact or copies
    patterns: list[Pattern] = []
    for r in rules:
        aliases = {p.alias: p for p in r.patterns if p.type == "criterion"}
        refs = [t.value for p in r.patterns for t in p.tests if isinstance(t.value, Ref)]
        refs += [v for e in r.emits for _, v in e.fields if isinstance(v, Ref)]
        for p in aliases.values():
            if any(isinstance(t.value, Ref) for t in p.tests) or any(ref.alias == p.alias for ref in refs):
                opaque.update(c for c in CRITERIA if _applies(p, c))
            patterns.append(p)
    out = []
    for name in CRITERIA:
        if name in opaque:
            out.append([[level] for level in LEVELS])
            continue
        groups: dict[tuple, list[Optional[int]]] = {}
        for level in LEVELS:
            fact = criteria_facts(tuple(level if c == name else None for c in CRITERIA))[CRITERIA.index(name)]
            signature = tuple(all(t.field in fact.fields and compare(t.op, fact.fields[t.field], t.value)
                                  for t in p.tests if t.field != "name")
                              for p in patterns if _applies(p, name))
            groups.setdefault(signature, []).append(level)
        out.append(list(groups.values()))
    return out


def fields_read(rules: Sequence[CompiledRule]) -> Optional[set[str]]:
    """The scenario fields the rules' conditions name (None: some condition takes any field)."""
    read: set[str] = set()
    for r in rules:
        for p in r.patterns:
            if p.type != "indicator":
                continue
            named = [t.value for t in p.tests if t.field == "field" and t.op == "eq" and isinstance(t.value, str)]
            if not named:
                return None
            read.update(named)
    return read


def merge_cubes(cubes: Sequence[Cube]) -> list[Cube]:
    """Fewer, larger cubes covering the same combinations (merge two that differ in one place)."""
    todo = list(dict.fromkeys(cubes))
    merged = True
    while merged:
        merged = False
        for i, a in enumerate(todo):
            for j in range(i + 1, len(todo)):
                b = todo[j]
                diff = [k for k in range(len(a)) if a[k] != b[k]]
                if len(diff) == 1:
                    k = diff[0]
                    todo[i] = a[:k] + (a[k] | b[k],) + a[k + 1:]
                    del todo[j]
                    merged = True
                    break
            if merged:
                break
    return sorted(todo, key=lambda c: [sorted(level_label(x) for x in s) for s in c])


def describe_cube(cube: Cube) -> str:
    parts = []
    for name, levels in zip(CRITERIA, cube):
        if len(levels) == len(LEVELS):
            continue
        shown = sorted(levels, key=lambda x: 9 if x is None else x)
        parts.append(f"{name}={level_label(shown[0])}" if len(shown) == 1
                     else f"{name} in {{{', '.join(level_label(x) for x in shown)}}}")
    return ", ".join(parts) or "any levels"


def cube_size(cube: Cube) -> int:
    n = 1
    for s in cube:
        n *= len(s)
    return n
