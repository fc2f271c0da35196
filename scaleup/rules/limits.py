"""Limits on rule sets, checked on the compiled rules before anything reaches durable_rules.

Rule files are untrusted input too: they are data only (no tags, no code), may only include files
inside their own folder, and must not make durable_rules hang, refuse the rule set, or fail in the
middle of an evaluation. durable_rules compiles every pattern into a shared tree of "alpha nodes",
one node per test, where patterns that start with the same tests share nodes. Its C core has fixed
limits on that tree, measured on durable_rules 2.0.28 (``fuzz/durable_limits.py`` re-runs the
experiments, each in a child process with a timeout; see ``docs/limits.md``):

- one node holds its different next tests in a hash set of 512 slots: with 512 of them every
  evaluation that reaches the node loops forever, with 513 ``create_ruleset`` loops forever;
- at most 256 patterns may end on the same node (257 identical conditions: error 108);
- at most 128 ``in:`` groups may pass through the same value test (129: error 107);
- a pattern may hold at most 31 "terms" (its ``$and``, each ``in:``/``not_in:`` group: 2 each;
  each ``$alias.field`` reference: 1) (32: error 113);
- while one fact is matched, at most 64 nodes may wait on the engine's stack (65: error 303,
  raised during an evaluation, so a rule set that registers fine fails on some scenarios only);
- property names are identified by a 32-bit FNV-1a hash: two names with the same hash are the
  same property, and a name whose hash equals an operator's (``$and``...) is read as that operator.

:func:`check_rules` rebuilds the node tree exactly as durable_rules builds it from
:func:`scaleup.rules.translate.translate`'s output and reports every limit crossed, naming the rules
involved with their ``file:line``. Our own limits, far below durable's, keep the compiler and the
engine fast and bound the joins a rule can ask for.

Longer than 300 lines because each of durable_rules' limits is counted over the same alpha network
(docs/engine.md), with its own message.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Sequence

from ..errors import Problem
from ..facts import FACT_TYPES
from ..paths import real_path
from .slots import slot_of
from .ir import CompiledRule, Pattern
from .translate import SINK, translate


@dataclass(frozen=True)
class RuleLimits:
    """Bounds on a compiled rule set.

    Attributes:
        max_rules: compiled rules (rule branches, bands, combine rules) in one rule set.
        max_patterns: conditions of one compiled rule (after ``any:`` expansion and merging).
        max_combinations: combinations of facts one rule may have to try: the product, over its
            positive conditions, of how many facts each may match (1 when pinned to one fact,
            :data:`LIST_FACTS` for one scenario list, :data:`MANY_FACTS` otherwise).
        max_node_tests: different tests after one node (durable_rules hangs at 512).
        max_identical: patterns ending on the same node (durable_rules: 256).
        max_in_groups: ``in:`` groups through one value test (durable_rules: 128).
        max_terms: terms of one pattern (durable_rules: 31).
        max_pending: nodes waiting while one fact is matched (durable_rules: 64).
    """

    max_rules: int = 5_000
    max_patterns: int = 40
    max_combinations: int = 10_000
    max_node_tests: int = 500
    max_identical: int = 256
    max_in_groups: int = 128
    max_terms: int = 31
    max_pending: int = 64


DEFAULT_RULE_LIMITS = RuleLimits()
LIST_FACTS = 10    # facts one list field of a scenario gives (hazard.types holds at most 8)
MANY_FACTS = 100   # facts of one type a condition may match when nothing pins it

# Names durable_rules reads as operators or settings (rete.c), and the names our translation
# itself uses in facts and patterns: no property name may share a hash with any of them.
DURABLE_WORDS = ("$lt", "$lte", "$gt", "$gte", "$eq", "$neq", "$mt", "$imt", "$iall", "$iany", "$ex",
                 "$nex", "$or", "$and", "$s", "$m", "$add", "$sub", "$mul", "$div", "$l", "$r",
                 "$forward", "$i", "all", "any", "pri", "count", "cap", "run", "name", "id", "sid")
ENGINE_PROPERTIES = ("t", "sid", "id", "fid", "n", "__never__")   # type, session, identity, our fact id, phase, sink


def fnv1a_32(name: str) -> int:
    """durable_rules' property-name hash (32-bit FNV-1a over the UTF-8 bytes)."""
    value = 2166136261
    for byte in name.encode("utf-8"):
        value = ((value ^ byte) * 16777619) & 0xFFFFFFFF
    return value


def hash_collisions(names: Iterable[str], words: Iterable[str] = DURABLE_WORDS) -> list[tuple[str, str]]:
    """Pairs of different ``names`` (or a name and a durable word) with the same 32-bit hash."""
    seen: dict[int, str] = {fnv1a_32(w): w for w in words}
    clashes = []
    for name in sorted(set(names)):
        other = seen.setdefault(fnv1a_32(name), name)
        if other != name:
            clashes.append((other, name))
    return clashes


def outside_folder(root: Path, include: str) -> Optional[str]:
    """Why ``include`` (relative to rule set folder ``root``) may not be read, or None.

    The file must resolve (symbolic links followed) inside ``root``: an absolute path, ``..``
    or a link pointing elsewhere would let a rule set read any file the user can read. A loop of
    links resolves nowhere and is refused too.
    """
    base, target = real_path(root), real_path(root / include)
    if Path(include).is_absolute() or base is None or (target is not None and not target.is_relative_to(base)):
        return f"included file {include!r} is outside the rule set folder"
    if target is None:
        return f"included file {include!r} is a loop of symbolic links"
    return None


# --- durable_rules' alpha network, rebuilt ----------------------------------------------------

@dataclass(eq=False)
class _Node:
    """One alpha node: the test that leads to it and what hangs off it."""

    path: tuple[str, ...] = ()                                  # the tests from the root, for messages
    tests: dict[tuple, "_Node"] = field(default_factory=dict)   # durable's next hash set
    forward: list["_Node"] = field(default_factory=list)        # durable's next list (`in:` groups)
    ends: list[CompiledRule] = field(default_factory=list)      # durable's beta list
    rules: dict[str, CompiledRule] = field(default_factory=dict)
    inert: bool = False                                         # never passes (the sink's marker)

    def child(self, key: tuple, label: str, rule: Optional[CompiledRule]) -> "_Node":
        node = self.tests.get(key)
        if node is None:
            node = self.tests[key] = _Node(self.path + (label,), inert=key[0] == "__never__")
        if rule is not None:
            node.rules.setdefault(rule.key, rule)
        return node


_refs = itertools.count()


def _label(name: str, op: str, value: Any) -> str:
    return f"{name} {op.lstrip('$') if op != '$eq' else '=='} {value!r}"


def _walk(node: _Node, expr: dict[str, Any], rule: Optional[CompiledRule]) -> _Node:
    """Add one durable expression below ``node`` as rete.c's createAlpha does; return its end."""
    ((key, value),) = expr.items()
    if key == "$and":
        for item in value:
            node = _walk(node, item, rule)
        return node
    if key == "$or":   # each alternative ends in a fresh "forward" node in its next list
        forward = _Node(node.path + ("in:",))
        for item in value:
            _walk(node, item, rule).forward.append(forward)
        return forward
    op, (name, rhs) = (key, next(iter(value.items()))) if key.startswith("$") else ("$eq", (key, value))
    if isinstance(rhs, dict):   # a reference: durable never shares these nodes
        return node.child((name, op, "ref", next(_refs)), _label(name, op, rhs), rule)
    return node.child((name, op, type(rhs).__name__, rhs), _label(name, op, rhs), rule)


def _terms(expr: dict[str, Any]) -> int:
    ((key, value),) = expr.items()
    if key in ("$and", "$or"):
        return 2 + sum(_terms(item) for item in value)
    rhs = next(iter(value.values())) if key.startswith("$") else value
    return 1 if isinstance(rhs, dict) else 0


def _network(rules: Sequence[CompiledRule]) -> tuple[_Node, dict[str, list[tuple[str, int]]]]:
    """The alpha network of ``rules`` plus the engine's own rules, and each rule's patterns' term counts."""
    root = _Node()
    last = max((r.stratum for r in rules), default=0) + 1   # the engine's always-firing final phase
    internal = [next(iter(p.values())) for p in SINK["all"]] + [{"$and": [{"t": "phase"}, {"n": last}]}]
    for expr in internal:
        _walk(root, expr, None).ends.append(None)  # type: ignore[arg-type]  # None stands for the engine's own internal rules, which are no CompiledRule
    terms: dict[str, list[tuple[str, int]]] = {}
    for rule in rules:
        for pattern in translate(rule)["all"]:
            ((alias, expr),) = pattern.items()
            _walk(root, expr, rule).ends.append(rule)
            terms.setdefault(rule.key, []).append((alias, _terms(expr)))
    return root, terms


def _nodes(root: _Node) -> Iterator[_Node]:
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.tests.values())
        stack.extend(node.forward)


def _canonical(value: Any) -> Any:
    """Equality tests durable may consider equal for one fact value (1, 1.0 and "1")."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def _passing(node: _Node) -> int:
    """How many nodes one fact can push when ``node`` is popped (an upper bound)."""
    equal: dict[str, dict[Any, int]] = {}
    others = len(node.forward)
    for (name, op, kind, value), child in node.tests.items():
        if child.inert:
            continue
        if op == "$eq" and kind != "ref":
            group = equal.setdefault(name, {})
            group[_canonical(value)] = group.get(_canonical(value), 0) + 1
        else:
            others += 1
    return others + sum(max(group.values()) for group in equal.values())


def _pending(root: _Node) -> tuple[int, _Node]:
    """An upper bound of durable's match stack, and the node that pushes most onto it.

    durable matches a fact depth first with an explicit stack: popping a node pushes every child
    the fact passes, so siblings wait while a child's subtree is searched.
    """
    peak: dict[int, int] = {}
    order = list(_nodes(root))
    for node in reversed(order):   # children before parents
        kids = [c for c in list(node.tests.values()) + node.forward if not c.inert]
        pushed = _passing(node)
        peak[id(node)] = 0 if pushed == 0 else pushed - 1 + max([1] + [peak[id(c)] for c in kids])
    return peak[id(root)], max(order, key=_passing)


# --- the checks -------------------------------------------------------------------------------

def _where(rules: Iterable[CompiledRule], limit: int = 3) -> str:
    """``rule-a (file:line, 64 branches), rule-b (file:line) and 3 more rules``."""
    counts: dict[tuple[str, int, str], set[str]] = {}
    for r in rules:
        if r is not None:
            counts.setdefault((r.file, r.line or 0, r.id), set()).add(r.key)
    ids = sorted(counts)
    shown = ", ".join(f"{i} ({f}:{n}" + (f", {len(counts[(f, n, i)])} branches)" if len(counts[(f, n, i)]) > 1 else ")")
                      for f, n, i in ids[:limit])
    return shown + (f" and {len(ids) - limit} more rules" if len(ids) > limit else "")


def _at(rules: Iterable[CompiledRule], message: str, hint: str) -> Problem:
    first = min((r for r in rules if r is not None), key=lambda r: (r.file, r.line or 0, r.key))
    return Problem(first.file, first.line, first.id, message, hint)


def _fanout(p: Pattern) -> int:
    """How many facts a positive pattern may match at once (it multiplies a rule's combinations)."""
    if p.negated or slot_of(p) is not None:
        return 1
    bound = {t.field for t in p.tests if t.op == "eq"}   # a literal or another fact's value
    needed = {name for name, spec in FACT_TYPES[p.type].fields.items() if spec.required}
    if needed <= bound:
        return 1   # identical facts are one fact: every field fixed means one fact
    return LIST_FACTS if p.type == "indicator" and "field" in bound else MANY_FACTS


def _rule_problems(rule: CompiledRule, terms: list[tuple[str, int]], limits: RuleLimits) -> Iterator[Problem]:
    where = (rule.file, rule.line, rule.id)
    if len(rule.patterns) > limits.max_patterns:
        yield Problem(*where, f"rule {rule.key} has {len(rule.patterns)} conditions (at most "
                      f"{limits.max_patterns})", "split the rule, or derive an intermediate finding")
    fanouts = [_fanout(p) for p in rule.patterns]
    combinations = 1
    for n in fanouts:
        combinations *= n
    if combinations > limits.max_combinations:
        wide = ", ".join(f"{p.type} (up to {n})" for p, n in zip(rule.patterns, fanouts) if n > 1)
        yield Problem(*where, f"rule {rule.key} joins conditions that can each match many facts ({wide}): "
                      f"up to {combinations:,} combinations to try (at most {limits.max_combinations:,})",
                      "pin conditions to one fact (e.g. name: ..., criterion: ...), or derive an "
                      "intermediate finding")
    for _alias, count in terms:
        if count > limits.max_terms:
            yield Problem(*where, f"rule {rule.key} has a condition too complex for durable_rules "
                          f"({count} terms; at most {limits.max_terms}: each in:/not_in: counts 2, each "
                          "$alias.field 1)", "split the condition over two rules")


def estimate_rules(data: Any, cap: int) -> int:
    """How many compiled rules a rule file's raw data (before validation) will give, counted
    without compiling: each rule's ``any:`` combinations, each indicator's bands (edges + 1, or
    its levels) and each table's two generated rules. Used to refuse an oversized rule set before
    the expensive steps; every count stops a little past ``cap``.
    """
    if not isinstance(data, dict):
        return 0
    total = 0
    for rule in data.get("rules") or () if isinstance(data.get("rules"), list) else ():
        when = rule.get("when") if isinstance(rule, dict) else None
        total += _alternatives(when, cap) if isinstance(when, list) else 1
        if total > cap:
            return total
    for table in data.get("tables") or () if isinstance(data.get("tables"), list) else ():
        total += 2
        for ind in (table.get("indicators") or []) if isinstance(table, dict) and isinstance(table.get("indicators"), list) else ():
            if isinstance(ind, dict):
                edges, levels = ind.get("edges"), ind.get("levels")
                total += len(edges) + 1 if isinstance(edges, list) else len(levels) if isinstance(levels, dict) else 1
        if total > cap:
            return total
    return total


def _alternatives(conditions: list[Any], cap: int) -> int:
    """Engine rules a list of conditions expands to (``any:`` multiplies, nested lists add up)."""
    n = 1
    for item in conditions:
        if isinstance(item, dict) and isinstance(item.get("any"), list):
            n *= max(1, sum(_alternatives(alt, cap) if isinstance(alt, list) else 1 for alt in item["any"]))
            n = min(n, cap + 1)
    return n


def check_rules(rules: Sequence[CompiledRule], ruleset_file: str,
                limits: RuleLimits = DEFAULT_RULE_LIMITS) -> list[Problem]:
    """Every limit the compiled ``rules`` cross, as located problems (empty when all is well).

    Args:
        rules: the compiled, stratified rules, in registration order.
        ruleset_file: where problems about the rule set as a whole are reported.
        limits: the bounds to apply.
    """
    if len(rules) > limits.max_rules:
        return [Problem(ruleset_file, None, "", f"the rule set compiles to {len(rules)} rules (bands and "
                        f"any: branches included); at most {limits.max_rules}",
                        "split it, or use fewer any: alternatives")]
    root, terms = _network(rules)
    problems = [p for r in rules for p in _rule_problems(r, terms.get(r.key, []), limits)]
    for node in _nodes(root):
        after = " > ".join(node.path) or "the start"
        if len(node.tests) > limits.max_node_tests:
            involved = [r for child in node.tests.values() for r in child.rules.values()]
            problems.append(_at(involved, f"{len(node.tests)} different tests follow `{after}` (at most "
                                f"{limits.max_node_tests}; durable_rules hangs at 512): {_where(involved)}",
                                "test a field with one in: list instead of many rules, or put a shared "
                                "test first"))
        if len([r for r in node.ends if r is not None]) > limits.max_identical:
            ends = [r for r in node.ends if r is not None]
            problems.append(_at(ends, f"{len(ends)} conditions are the identical `{after}` "
                                f"(at most {limits.max_identical}): {_where(ends)}",
                                "merge the rules, or make their conditions differ"))
        if len(node.forward) > limits.max_in_groups:
            involved = list(node.rules.values())
            problems.append(_at(involved, f"{len(node.forward)} in: lists include `{after}` (at most "
                                f"{limits.max_in_groups}): {_where(involved)}", "merge the in: lists"))
    pending, busiest = _pending(root)
    if pending > limits.max_pending:
        involved = list(busiest.rules.values()) + [r for c in busiest.tests.values() for r in c.rules.values()]
        message = (f"one fact could pass {pending} tests at once (at most {limits.max_pending}: durable_rules "
                   f"fails mid-evaluation, error 303); most follow `{' > '.join(busiest.path) or 'the start'}`")
        hint = "use fewer different ne/gt/gte/lt/lte tests on the same field"
        problems.append(_at(involved, f"{message}: {_where(involved)}", hint) if involved
                        else Problem(ruleset_file, None, "", message, hint))
    names = {key[0] for node in _nodes(root) for key in node.tests}
    names |= {n for spec in FACT_TYPES.values() for n in spec.fields} | set(ENGINE_PROPERTIES)
    names |= {name for r in rules for e in r.emits for name, _ in e.fields}
    aliases = {a for r in rules for a, _ in terms.get(r.key, [])} | {"m", "never"}
    for a, b in hash_collisions(names | {a.removesuffix("$not") for a in aliases}):
        problems.append(Problem(ruleset_file, None, "", f"the names {a!r} and {b!r} have the same "
                                "32-bit hash, so durable_rules cannot tell them apart",
                                "rename one of them"))
    return problems


__all__ = ["DEFAULT_RULE_LIMITS", "RuleLimits", "check_rules", "fnv1a_32", "hash_collisions",
           "outside_folder"]
