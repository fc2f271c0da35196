"""Free text never reaches the rule engine: the words it may see, and stand-ins for the rest.

durable_rules identifies a fact by a 32-bit hash of its content, so a crafted text (a
``capacity.lead_deliverer`` of ``WFP eyjIB``) can make two facts of one evaluation collide and
one of them be dropped (issue 17, item 12). Rules never need the text itself: they test whether
a text field is given, copy it into a derived fact (``lead {role: lead_deliverer, actor:
$who.value}``), or compare it with a word the rule set writes. So the engine sees a string only
when it is one of the rule set's *words* (the literals of its rules, the catalogue's field paths
and categories, ``true``/``false``); any other string becomes a stand-in, ``~1``, ``~2``... (one
per distinct text of an evaluation, numbered in the texts' sorted order, so equal texts stay
equal and ordered texts stay ordered), and :class:`~scaleup.engine.durable.Engine` puts the text back in
every fact it records. Nothing an author of a scenario writes is hashed by the engine except
numbers and the rule set's own words.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from ..facts import FACT_TYPES, Fact, Scalar
from ..rules.ir import CompiledRuleset, Ref
from ..scenario.fields import CATALOGUE


def ruleset_words(ruleset: CompiledRuleset) -> frozenset[str]:
    """Every string the engine may see as itself: rule literals, field paths and categories."""
    words: set[str] = {"true", "false"}
    for path, info in CATALOGUE.items():
        words.add(path)
        words.update(info.values)
    for fact_type in FACT_TYPES.values():
        for spec in fact_type.fields.values():
            words.update(spec.values)
    for rule in ruleset.rules:
        for pattern in rule.patterns:
            for test in pattern.tests:
                values = test.value if isinstance(test.value, tuple) else (test.value,)
                words.update(v for v in values if isinstance(v, str))
        for emit in rule.emits:
            words.update(v for _, v in emit.fields if isinstance(v, str) and not isinstance(v, Ref))
    return frozenset(words)


def _prefix(words: Iterable[str]) -> str:
    """``~``, or as many ``~`` as it takes for no word to start with the stand-ins' prefix."""
    prefix = "~"
    while any(w.startswith(prefix) for w in words):
        prefix += "~"
    return prefix


ORDERING = ("lt", "lte", "gt", "gte")


def orders_text(ruleset: CompiledRuleset) -> bool:
    """Whether a rule compares a value with a text by order (``value < "b"``). Stand-ins keep
    texts ordered among themselves, not against the rule set's words, so such a rule set must
    see its texts as they are (the shipped one has no such test)."""
    return any(test.op in ORDERING and isinstance(test.value, str)
               for rule in ruleset.rules for pattern in rule.patterns for test in pattern.tests)


class Words:
    """The words of one compiled rule set, and the stand-ins of an evaluation's other texts."""

    def __init__(self, ruleset: CompiledRuleset):
        self.words = ruleset_words(ruleset)
        self.prefix = _prefix(self.words)
        self.enabled = not orders_text(ruleset)

    def stand_ins(self, facts: Sequence[Fact]) -> dict[str, str]:
        """Text -> stand-in for every string value of ``facts`` that is not a word (usually none)."""
        if not self.enabled:
            return {}
        words = self.words
        texts = {v for f in facts for v in f.fields.values() if type(v) is str and v not in words}
        if not texts:
            return {}
        width = len(str(len(texts)))
        return {text: f"{self.prefix}{n:0{width}d}" for n, text in enumerate(sorted(texts), 1)}


def restore(fields: Mapping[str, Scalar], texts: Mapping[str, str]) -> dict[str, Scalar]:
    """``fields`` as the engine holds them with every stand-in replaced by its text."""
    return {k: texts.get(v, v) if type(v) is str else v for k, v in fields.items()}
