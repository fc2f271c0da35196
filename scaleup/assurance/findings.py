"""What a check reports: located findings, each of a coded kind with a severity (:data:`CODES`,
listed in docs/assurance.md), and where rule set items are defined."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Optional

from ..errors import Problem, ScaleupError
from ..rules.ir import CompiledRule, CompiledRuleset
from ..rules.load import read_chain, resolve_ruleset
from ..rules.overlay import Layer
from .invariants import CODES as INVARIANTS


class Severity(StrEnum):
    """How much a finding matters: an error fails ``rules check``; a warning or an info does not."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """The order reports list findings in: errors first."""
        return _RANKS[self]


_RANKS = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class Code:
    """A kind of finding, with a stable code (as sqlfluff's ``AL01``) that tools and docs can cite.

    Attributes:
        id: the code: two letters for the checker (``LD`` load, ``ST`` static, ``CP`` completeness,
            ``CF`` conflicts) and two digits, or ``INV`` and the invariant's number.
        severity: the severity of every finding of this kind.
        check: the check that reports it (the ``check`` field of the JSON report).
        meaning: one line for docs/assurance.md.
    """

    id: str
    severity: Severity
    check: str
    meaning: str

    def __str__(self) -> str:
        return self.id


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO
CODES: dict[str, Code] = {c.id: c for c in [
    Code("LD01", _E, "load", "the rule set does not load: anything the loader refuses"),
    Code("LD02", _I, "load", "the other checks did not run, because the rule set does not load"),
    Code("ST01", _E, "bands", "a band no value of its field can reach"),
    Code("ST02", _I, "bands", "a criterion level no band or rule gives"),
    Code("ST03", _E, "reach", "a rule that can never fire"),
    Code("ST04", _E, "basis", "a rule with basis: source that cites the project's own conventions"),
    Code("ST05", _E, "basis", "a band edge or threshold with basis: source that cites no source or the "
                              "project's own conventions"),
    Code("ST06", _E, "basis", "a parameter with basis: source that cites no source or the project's own conventions"),
    Code("ST07", _W, "parameters", "a parameter no rule uses"),
    Code("ST08", _E, "sources", "a source cited but not defined"),
    Code("ST09", _W, "sources", "a source defined but cited by no rule, edge, parameter or caveat"),
    Code("ST10", _I, "verified", "how many rules, indicators and parameters are marked verified: false"),
    Code("CP00", _I, "completeness", "how many combinations were enumerated and cross-checked"),
    Code("CP01", _E, "completeness", "a situation class of scaleup/assurance/situations.py no longer fits the "
                                     "scenario schema"),
    Code("CP02", _E, "completeness", "combinations with no decision, or onsets with no scope"),
    Code("CP03", _W, "completeness", "combinations with no route"),
    Code("CP04", _E, "completeness", "combinations with two or more decisions, routes or scopes"),
    Code("CP05", _E, "crosscheck", "a sampled combination on which the Python evaluator and durable_rules disagree"),
    Code("CF01", _E, "conflicts", "two rules assert different values of a one-value slot, and an input makes "
                                  "both fire"),
    Code("CF02", _W, "conflicts", "two rules assert different values of a one-value slot, and could neither be "
                                  "shown exclusive nor made to fire together"),
    Code("INV00", _I, "invariants", "how many combinations break each invariant"),
    *(Code(code, _E, "invariants", f"broken invariant: {meaning}") for code, meaning in sorted(INVARIANTS.items())),
]}


@dataclass(frozen=True)
class Finding:
    """One result of a check: a located problem of a coded kind."""

    code: Code
    problem: Problem

    @property
    def severity(self) -> Severity:
        return self.code.severity

    @property
    def check(self) -> str:
        return self.code.check

    def __str__(self) -> str:
        return f"{self.severity} {self.code}: {self.problem}"

    def to_dict(self) -> dict[str, object]:
        return {"severity": str(self.severity), "code": self.code.id, "check": self.check, **self.problem.to_dict()}


def finding(code: str, problem: Problem) -> Finding:
    """A finding of the kind ``code`` (a key of :data:`CODES`)."""
    return Finding(CODES[code], problem)


def at_rule(code: str, rule: CompiledRule, message: str, hint: str = "") -> Finding:
    """A finding located at a rule's definition."""
    return finding(code, Problem(rule.file, rule.line, rule.id, message, hint))


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
