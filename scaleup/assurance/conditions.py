"""Static reasoning over rule conditions: which facts can exist, which conditions can hold, and
which rules exclude each other.

What can exist: an input ``indicator`` fact for each catalogue field, with the field's values
(enums, true/false, numeric ranges); a derived fact only as some rule asserts it (its literal
fields, and for copied ``$alias.field`` values the whole domain of the field). A condition that
no possible fact passes can never hold.

Two rule branches are *exclusive* (never both fire in one evaluation) when, conservatively:

- both need the same one-value slot (one scenario field, one criterion, the scope...) with
  values no single fact has; or
- one needs a fact that the other's ``not:`` forbids (every fact passing the first condition
  passes the second); or
- one needs a derived fact and every rule that can derive it is exclusive with the other rule
  (chaining, to a small depth).

Anything else is *not shown* exclusive, which does not mean they overlap: the caller looks for a
witness before calling it an error. The one-value slots are assumed to hold while reasoning
(whether they do is what the conflict check asks of every pair, with this same reasoning).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

from ..facts import FACT_TYPES
from ..scenario.fields import CATALOGUE
from ..rules.slots import slot_of
from ..rules.ir import CompiledRule, Emit, Pattern, Ref, Test
from .values import Values

# Ranges the catalogue cannot state because they follow from a cross-field check.
DERIVED_BOUNDS = {"populations.affected_pct": (0.0, 100.0), "populations.iasc_caseload_pct": (0.0, 100.0)}   # affected <= country population


@dataclass(frozen=True)
class Template:
    """A fact that may exist: its type and the values each present field may take."""

    type: str
    fields: Mapping[str, Values]
    rule: Optional[CompiledRule] = None   # the rule asserting it (None for input facts)


def field_domain(path: str) -> Values:
    """The values of a scenario field, as an indicator fact carries them."""
    info = CATALOGUE[path]
    ge, le = DERIVED_BOUNDS.get(path, (info.ge, info.le))
    return Values.of(info.kind, info.values, ge, le)


def describe(p: Pattern) -> str:
    """A condition in words close to the rule file's: ``criterion name=scale, level gte 4``."""
    parts = []
    for t in p.tests:
        value = list(t.value) if isinstance(t.value, tuple) else t.value
        parts.append(f"{t.field}={value}" if t.op == "eq" and not isinstance(t.value, Ref) else f"{t.field} {t.op} {value}")
    text = f"{p.type} {', '.join(parts)}".strip()
    return f"not ({text})" if p.negated else text


def emit_template(rule: CompiledRule, emit: Emit) -> Template:
    spec = FACT_TYPES[emit.type]
    fields: dict[str, Values] = {}
    for name, value in emit.fields:
        if isinstance(value, Ref):
            f = spec.fields[name]
            fields[name] = Values.of(f.kind, f.values)
        else:
            kind = "str" if isinstance(value, str) else ("num" if isinstance(value, float) else "int")
            fields[name] = Values(kind, frozenset([value]))
    return Template(emit.type, fields, rule)


class Domains:
    """Every fact that may exist under a rule set, and the rules that may assert each."""

    def __init__(self, rules: Sequence[CompiledRule], inputs: Sequence[str] = ("indicator",)):
        self.inputs = set(inputs)
        self.derived: dict[str, list[Template]] = {}
        for r in rules:
            for e in r.emits:
                self.derived.setdefault(e.type, []).append(emit_template(r, e))
        self._indicators = {path: Template("indicator", {"field": Values("str", frozenset([path])),
                                                         "value": field_domain(path)})
                            for path in CATALOGUE}

    def templates(self, p: Pattern) -> list[Template]:
        if p.type == "indicator":
            field = next((t.value for t in p.tests if t.field == "field" and t.op == "eq"), None)
            if isinstance(field, str):
                return [self._indicators[field]] if field in self._indicators else []
            return list(self._indicators.values())
        return self.derived.get(p.type, [])

    def producers(self, p: Pattern) -> list[CompiledRule]:
        """Rule branches asserting a fact that could pass ``p``'s tests."""
        seen: dict[str, CompiledRule] = {}
        for t in self.derived.get(p.type, []):
            if t.rule is not None and match(p.tests, t) is not None:
                seen.setdefault(t.rule.key, t.rule)
        return list(seen.values())


def match(tests: Sequence[Test], template: Template) -> Optional[dict[str, Values]]:
    """The template's field values narrowed by ``tests``; None when no fact of it passes them."""
    fields = dict(template.fields)
    for t in tests:
        if t.field not in fields:
            return None           # a test on a missing field is false
        narrowed = fields[t.field].restrict(t)
        if narrowed.is_empty():
            return None
        fields[t.field] = narrowed
    return fields


def satisfiable(p: Pattern, domains: Domains) -> bool:
    return any(match(p.tests, t) is not None for t in domains.templates(p))


def compatible(p: Pattern, q: Pattern, domains: Domains) -> bool:
    """Whether one fact could pass both patterns' tests."""
    return any(match(p.tests + q.tests, t) is not None for t in domains.templates(p))


def implies(p: Pattern, n: Pattern, domains: Domains) -> bool:
    """Whether every fact passing positive ``p`` also passes the tests of ``n``."""
    if p.type != n.type or any(isinstance(t.value, Ref) for t in n.tests):
        return False
    for template in domains.templates(p):
        fields = match(p.tests, template)
        if fields is None:
            continue
        if not all(t.field in fields and fields[t.field].within(t) for t in n.tests):
            return False
    return True


def positives(rule: CompiledRule) -> list[Pattern]:
    return [p for p in rule.patterns if not p.negated]


def negatives(rule: CompiledRule) -> list[Pattern]:
    return [p for p in rule.patterns if p.negated]


class Reasoner:
    """Decides (conservatively) whether rule branches can fire, and fire together."""

    def __init__(self, rules: Sequence[CompiledRule], depth: int = 3):
        self.rules = list(rules)
        self.domains = Domains(rules)
        self.depth = depth
        self._memo: dict[tuple[str, str, int], Optional[str]] = {}

    def direct(self, a: CompiledRule, b: CompiledRule) -> Optional[str]:
        """A reason from the two rules' own conditions, or None."""
        for x, y in ((a, b), (b, a)):
            for p in positives(x):
                slot = slot_of(p)
                for q in positives(y):
                    if slot is not None and slot == slot_of(q) and not compatible(p, q, self.domains):
                        return f"{x.key} needs {describe(p)} and {y.key} needs {describe(q)}: one fact cannot be both"
                for n in negatives(y):
                    if implies(p, n, self.domains):
                        return f"{x.key} needs {describe(p)}, which {y.key} forbids ({describe(n)})"
        return None

    def exclusive(self, a: CompiledRule, b: CompiledRule, depth: Optional[int] = None) -> Optional[str]:
        """Why ``a`` and ``b`` never fire in the same evaluation, or None if that cannot be shown."""
        depth = self.depth if depth is None else depth
        memo = (a.key, b.key, depth)
        if memo in self._memo:
            return self._memo[memo]
        self._memo[memo] = None   # a cycle through producers proves nothing
        reason = self.direct(a, b)
        if reason is None and depth > 0:
            reason = self._through_producers(a, b, depth) or self._through_producers(b, a, depth)
        self._memo[memo] = reason
        return reason

    def _through_producers(self, x: CompiledRule, y: CompiledRule, depth: int) -> Optional[str]:
        for p in positives(x):
            if p.type in self.domains.inputs:
                continue
            makers = self.domains.producers(p)
            if all(self.exclusive(m, y, depth - 1) for m in makers):
                names = ", ".join(sorted({m.id for m in makers})) or "no rule"
                return f"{x.key} needs {describe(p)}, derived only by {names}, which cannot fire together with {y.key}"
        return None

    def dead(self) -> dict[str, str]:
        """Rule branches that can never fire (key -> reason), chaining through producers."""
        out: dict[str, str] = {}
        changed = True
        while changed:
            changed = False
            for r in self.rules:
                if r.key in out:
                    continue
                reason = self._never(r, out)
                if reason is not None:
                    out[r.key] = reason
                    changed = True
        return out

    def _never(self, r: CompiledRule, dead: Mapping[str, str]) -> Optional[str]:
        pos = positives(r)
        for p in pos:
            if not satisfiable(p, self.domains):
                if p.type == "indicator":
                    return f"no value of the scenario field passes {describe(p)}"
                return f"no rule asserts a fact passing {describe(p)}"
            if p.type not in self.domains.inputs:
                makers = self.domains.producers(p)
                if makers and all(m.key in dead for m in makers):
                    return f"{describe(p)} is derived only by rules that can never fire ({', '.join(sorted({m.key for m in makers}))})"
        for i, p in enumerate(pos):
            for q in pos[i + 1:]:
                slot = slot_of(p)
                if slot is not None and slot == slot_of(q) and not compatible(p, q, self.domains):
                    return f"it needs both {describe(p)} and {describe(q)} of one fact"
        return None
