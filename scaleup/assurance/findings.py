"""What a check reports: located findings with a severity, and where rule set items are defined."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..errors import Problem, ScaleupError
from ..rules.ir import CompiledRule, CompiledRuleset
from ..rules.load import read_chain, resolve_ruleset
from ..rules.overlay import Layer

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass(frozen=True)
class Finding:
    """One result of a check: ``severity`` is error, warning or info; ``check`` names the check."""

    severity: str
    check: str
    problem: Problem

    def __str__(self) -> str:
        return f"{self.severity}: {self.problem}"

    def to_dict(self) -> dict[str, object]:
        return {"severity": self.severity, "check": self.check, **self.problem.to_dict()}


def at_rule(severity: str, check: str, rule: CompiledRule, message: str, hint: str = "") -> Finding:
    return Finding(severity, check, Problem(rule.file, rule.line, rule.id, message, hint))


class Locator:
    """Lines of the items of a loaded rule set, read again from its files (base layers included)."""

    def __init__(self, ruleset: CompiledRuleset):
        self.ruleset = ruleset
        try:
            self.chain: list[Layer] = read_chain(resolve_ruleset(ruleset.path), ruleset.path, [])
        except ScaleupError:     # the files changed since loading: locate at the rule set only
            self.chain = []

    def head(self, section: str, key: str) -> tuple[str, Optional[int]]:
        """File and line of a source or parameter (the last layer defining it)."""
        for layer in reversed(self.chain):
            if key in getattr(layer.head, section):
                return layer.head_doc.name, layer.head_doc.line((section, key))
        return str(Path(self.ruleset.path) / "ruleset.yaml"), None

    def edge(self, criterion: str, field: str, value: object) -> Optional[tuple[str, Optional[int]]]:
        """File and line of the band edge with this value, if the indicator has one."""
        found = None
        for layer in self.chain:
            for _, doc, rule_file in layer.files:
                for t, table in enumerate(rule_file.tables):
                    for i, ind in enumerate(table.indicators):
                        if table.criterion != criterion or ind.field != field:
                            continue
                        for e, edge in enumerate(ind.edges or []):
                            if edge.value == value:
                                found = (doc.name, doc.line(("tables", t, "indicators", i, "edges", e)))
        return found
