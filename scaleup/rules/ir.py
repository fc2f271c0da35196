"""The compiled, engine-neutral form of a rule set (the "IR").

Both the durable_rules translation (:mod:`scaleup.engine.durable`) and any pure-Python evaluator work
from these frozen records, so they cannot disagree about what a rule says.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Mapping, Optional, Union

from ..facts import Scalar
from .model import Caveat, Parameter, Source

OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in")


@dataclass(frozen=True)
class Ref:
    """A value read from another matched fact: ``$alias.field``."""

    alias: str
    field: str

    def __str__(self) -> str:
        return f"${self.alias}.{self.field}"


Value = Union[Scalar, Ref, tuple]


@dataclass(frozen=True)
class Test:
    """``<field> <op> <value>`` on one fact. ``param`` names the parameter the value came from."""

    field: str
    op: str
    value: Value
    param: Optional[str] = None

    def describe(self) -> str:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        src = f" (${'param'}.{self.param})" if self.param else ""
        return f"{self.field} {self.op} {value}{src}"


@dataclass(frozen=True)
class Pattern:
    """One condition: a fact of ``type`` passing every test (or, if ``negated``, no such fact)."""

    alias: str
    type: str
    tests: tuple[Test, ...]
    negated: bool = False


@dataclass(frozen=True)
class Emit:
    """A fact a rule asserts; field values are literals or :class:`Ref` s."""

    type: str
    fields: tuple[tuple[str, Union[Scalar, Ref]], ...]
    params: tuple[tuple[str, str], ...] = ()   # (field, parameter) for values from $param.NAME


@dataclass(frozen=True)
class Threshold:
    """A number or category a rule compares against, with where it comes from."""

    field: str
    op: str
    value: Any
    basis: str
    source: Optional[str]
    param: Optional[str] = None
    verified: bool = True


class RuleKind(StrEnum):
    """Where a compiled rule comes from."""

    RULE = "rule"                  # written in a rule file
    BAND = "band"                  # one band of a scoring table
    COMBINE = "combine"            # generated: a criterion's level from its signals (and ceilings)
    INSUFFICIENT = "insufficient"  # generated: a criterion with no usable indicator


@dataclass(frozen=True)
class CompiledRule:
    """One branch of one rule. ``key`` is unique (``id`` or ``id#branch``)."""

    id: str
    key: str
    branch: int
    kind: RuleKind
    title: str
    source: str
    basis: str
    section: Optional[str]
    verified: bool
    description: Optional[str]
    patterns: tuple[Pattern, ...]
    emits: tuple[Emit, ...]
    thresholds: tuple[Threshold, ...]
    file: str
    line: Optional[int]
    stratum: int = 0

    @property
    def reads(self) -> set[str]:
        return {p.type for p in self.patterns if not p.negated}

    @property
    def negates(self) -> set[str]:
        return {p.type for p in self.patterns if p.negated}

    @property
    def writes(self) -> set[str]:
        return {e.type for e in self.emits}


@dataclass(frozen=True)
class CompiledRuleset:
    """A loaded, checked and stratified rule set, ready for an engine."""

    id: str
    version: str
    title: str
    path: str
    sha256: str
    effective_from: dt.date
    sources: Mapping[str, Source]
    parameters: Mapping[str, Parameter]
    caveats: tuple[Caveat, ...]
    rules: tuple[CompiledRule, ...]
    strata: int
    overrides: tuple[tuple[str, Scalar], ...] = ()
    files: tuple[str, ...] = field(default=())

    @property
    def fingerprint(self) -> str:
        """Identity of the compiled form: files plus overrides."""
        extra = ";".join(f"{k}={v!r}" for k, v in self.overrides)
        return f"{self.id}@{self.version}#{self.sha256[:16]}" + (f"+{extra}" if extra else "")

    def branches(self, rule_id: str) -> list[CompiledRule]:
        return [r for r in self.rules if r.id == rule_id]

    @property
    def rule_ids(self) -> list[str]:
        seen: dict[str, None] = {}
        for r in self.rules:
            seen.setdefault(r.id)
        return list(seen)
