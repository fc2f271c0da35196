"""The audit trail: every fact with its origin, every firing with what it matched and derived,
and the derivation tree that links a conclusion back to scenario lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Optional

from ..facts import Fact
from ..rules.ir import CompiledRule, CompiledRuleset


@dataclass(frozen=True)
class Firing:
    """One rule firing; its fields, in this order, are the audit trail's firing entries.

    Attributes:
        seq: 1-based position in firing order.
        rule: rule id; ``key`` adds the ``any:`` branch (``id#2``) when there are several.
        title, source, basis: the rule's, so that a firing reads on its own.
        stratum: the phase it fired in.
        matched: ids of the facts its conditions matched, in condition order.
        asserted: ids of facts it derived that were new.
        reasserted: ids of facts it derived that another firing had already derived.
    """

    seq: int
    rule: str
    key: str
    title: str
    source: str
    basis: str
    stratum: int
    matched: tuple[str, ...]
    asserted: tuple[str, ...]
    reasserted: tuple[str, ...]

    @classmethod
    def of(cls, rule: CompiledRule, seq: int, matched: tuple[str, ...], asserted: tuple[str, ...] = (),
           reasserted: tuple[str, ...] = ()) -> "Firing":
        return cls(seq, rule.id, rule.key, rule.title, rule.source, rule.basis, rule.stratum,
                   matched, asserted, reasserted)

    def to_dict(self) -> dict[str, object]:
        return {"seq": self.seq, "rule": self.rule, "key": self.key, "title": self.title, "source": self.source,
                "basis": self.basis, "stratum": self.stratum, "matched": list(self.matched),
                "asserted": list(self.asserted), "reasserted": list(self.reasserted)}


@dataclass(frozen=True)
class Node:
    """A node of the derivation tree: a fact, and the firings that derived it."""

    fact: Fact
    because: tuple[tuple[Firing, tuple["Node", ...]], ...] = ()


@dataclass(frozen=True)
class Evaluation:
    """What one evaluation produced: all facts (inputs first) and all firings, in order."""

    ruleset: CompiledRuleset
    facts: tuple[Fact, ...]
    firings: tuple[Firing, ...]
    _by_id: dict[str, Fact] = field(default_factory=dict, compare=False, repr=False)
    _derivers: dict[str, list[Firing]] = field(default_factory=dict, compare=False, repr=False)
    _by_type: dict[str, list[Fact]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id.update({f.id: f for f in self.facts})
        for fact in self.facts:
            self._by_type.setdefault(fact.type, []).append(fact)
        for firing in self.firings:
            for fact_id in firing.asserted + firing.reasserted:
                self._derivers.setdefault(fact_id, []).append(firing)

    def fact(self, fact_id: str) -> Fact:
        return self._by_id[fact_id]

    def of_type(self, type_: str) -> list[Fact]:
        return list(self._by_type.get(type_, ()))

    def rule(self, key: str) -> CompiledRule:
        return next(r for r in self.ruleset.rules if r.key == key)

    def fired_rules(self) -> list[str]:
        return sorted({f.rule for f in self.firings})

    def derived_by(self, fact_id: str) -> list[Firing]:
        """Firings that asserted (or re-asserted) the fact, in firing order."""
        return list(self._derivers.get(fact_id, ()))

    def tree(self, fact_id: str, depth: Optional[int] = None) -> Node:
        """The derivation tree of a fact, down to input facts (or ``depth`` levels of firings)."""
        return self._node(fact_id, depth, frozenset())

    def _node(self, fact_id: str, depth: Optional[int], seen: frozenset[str]) -> Node:
        fact = self.fact(fact_id)
        if depth == 0 or fact_id in seen:
            return Node(fact)
        next_depth = None if depth is None else depth - 1
        because = tuple(
            (firing, tuple(self._node(m, next_depth, seen | {fact_id}) for m in firing.matched))
            for firing in self.derived_by(fact_id))
        return Node(fact, because)


def walk(node: Node, level: int = 0) -> Iterator[tuple[int, Node, Optional[Firing]]]:
    """Depth-first (level, node, firing-that-led-here) triples for rendering."""
    yield level, node, None
    for firing, children in node.because:
        yield level + 1, node, firing
        for child in children:
            yield from walk(child, level + 2)
