"""Order compiled rules into strata, so that ``not:`` is correct on durable_rules.

Strata: a fact type's stratum is at least that of every type its producers read, and strictly
greater than that of every type they negate. A rule runs in the stratum its conditions need, so
it only fires after every rule producing what it reads (or negates) has finished. A cycle through
``not:`` has no such order and is an error.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from ..facts import FACT_TYPES
from .ir import CompiledRule


def stratify(rules: list[CompiledRule], out: Callable[[CompiledRule, str, str], None]) -> list[CompiledRule]:
    """Assign strata (see the module docstring). Reports a cycle through ``not:`` via ``out``."""
    stratum = dict.fromkeys(FACT_TYPES, 0)

    def need(r: CompiledRule) -> int:
        return max([stratum[t] for t in r.reads] + [stratum[t] + 1 for t in r.negates] + [0])

    limit = len(FACT_TYPES) + 1
    for _ in range(limit * 2):
        changed = False
        for r in rules:
            least = need(r)
            for t in r.writes:
                if stratum[t] < least:
                    stratum[t] = least
                    changed = True
        if not changed:
            break
        if max(stratum.values()) > limit:
            cyclic = sorted({t for t, s in stratum.items() if s > limit - 1}) or sorted(stratum)
            culprits = [r for r in rules if r.writes & set(cyclic) and r.negates & set(cyclic)] or rules[:1]
            for r in culprits:
                out(r, f"cycle through not: rule {r.id} negates {sorted(r.negates & set(cyclic))} "
                       f"and asserts {sorted(r.writes & set(cyclic))}, which other rules in the cycle need",
                    "a rule may not (indirectly) depend on the absence of what it derives; "
                    "derive an intermediate 'finding' fact instead")
            return rules
    return [replace(r, stratum=need(r)) for r in rules]
