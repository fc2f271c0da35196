"""The recommendation: the output contract (the JSON schema's models).

:mod:`scaleup.recommendation.assemble` builds one from an evaluation's derived facts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SkipValidation

from ..engine.audit import Evaluation, Firing
from ..facts import Fact
from .. import vocabulary
from ..vocabulary import DECISIONS, LIFECYCLE
from ..display import fmt

SCHEMA_VERSION = "2.0.0"
# Literal types built from the vocabulary (pydantic reads them; mypy cannot check a computed Literal)
Decision = Literal[DECISIONS]  # type: ignore[valid-type]  # Literal built from the vocabulary's tuple


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScenarioRef(Out):
    id: str
    title: str
    file: str
    as_of: dt.date
    country: str


class Signal(Out):
    field: str
    value: Any
    level: int
    rule: str
    origin: str
    presumed: bool = Field(default=False, description="the level is inferred from other evidence, not measured")


class Ceiling(Out):
    field: str
    value: Any
    level: int
    rule: str
    origin: str


class Criterion(Out):
    name: str
    level: Optional[int] = Field(description="1-5, or null when evidence is insufficient")
    label: str
    presumed: bool = Field(default=False, description="the level comes from a presumption (no direct indicator)")
    signals: list[Signal]
    ceilings: list[Ceiling] = Field(default_factory=list, description="evidence holding the level lower "
                                    "(e.g. coping capacity); the lowest ceiling below the signals applies")

    def presumption(self) -> Optional[str]:
        """``capacity gap presumed 4: 4,000,000 in need (populations.need_estimate), ...; no capacity
        measure given`` when the level is presumed, else None."""
        if not self.presumed or self.level is None:
            return None
        top = [s for s in self.signals if s.presumed and s.level == max(x.level for x in self.signals)]
        why = "; ".join(f"{s.field} = {fmt(s.value)}" for s in top)
        return (f"{vocabulary.Criterion(self.name).phrase} presumed {self.level}: {why}; no capacity measure given "
                "(INFORM LCC, the tier at which capacity copes, partners or reach would replace the presumption)")


class Lead(Out):
    role: str
    actor: str
    rule: str


class Cluster(Out):
    cluster: str
    lead: str
    rule: str


class Plan(Out):
    name: str
    timing: Optional[str]
    rule: str


class Milestone(Out):
    name: str
    anchor: str
    months: Optional[float]
    days: Optional[float]
    date: Optional[dt.date] = Field(description="Set when the scenario gives the anchor date")
    rule: str


class Flag(Out):
    name: str
    text: Optional[str]
    rule: str


class Note(Out):
    text: str
    rule: str


class Caveat(Out):
    text: str
    source: Optional[str]
    basis: str


class Scope(Out):
    value: str
    reason: Optional[str]
    rule: str


class Lifecycle(Out):
    """For a Scale-Up already active (the scenario gives ``activation``): what to do with it."""

    value: Literal[LIFECYCLE]  # type: ignore[valid-type]  # Literal built from the vocabulary's tuple
    reason: Optional[str]
    activated: dt.date
    months_elapsed: float
    rule: str


class Audit(Out):
    """Every fact with its origin and every firing with what it matched and derived.

    The entries are the engine's own :class:`~scaleup.facts.Fact` and
    :class:`~scaleup.engine.audit.Firing` objects, held as they are: they are made by our engine, never
    read from input, so validating them again would only copy them (it was half the cost of
    assembling a recommendation). Their dataclass fields define the JSON and the schema.
    """

    facts: SkipValidation[tuple[Fact, ...]]
    firings: SkipValidation[tuple[Firing, ...]]


class Stamp(Out):
    scaleup_version: str
    ruleset_id: str
    ruleset_version: str
    ruleset_sha256: str
    overrides: dict[str, Any]
    scenario_sha256: str
    durable_rules_version: str


class Recommendation(Out):
    """A recommendation to the ERC (never an activation), with its complete audit trail.

    An assembled recommendation also carries the :class:`~scaleup.engine.audit.Evaluation` it was
    made from (:attr:`evaluation`: the compiled rule set, facts and firings), so reports can cite
    sources and draw the derivation tree without looking for the rule set again. It is not part of
    the JSON, nor of equality: one read back from JSON equals the one that was written.
    """

    _evaluation: Optional[Evaluation] = PrivateAttr(default=None)

    schema_version: str
    scenario: ScenarioRef
    scale_up: Decision
    variant: Optional[str]
    scope: Optional[Scope]
    lifecycle: Optional[Lifecycle] = Field(default=None, description="for an active Scale-Up: continue, "
                                           "extend, deactivate or transition, instead of a fresh recommendation")
    criteria: list[Criterion]
    route: Optional[str]
    leadership: list[Lead]
    clusters: list[Cluster]
    plans: list[Plan]
    unhcr_emergency_level: Optional[int]
    milestones: list[Milestone]
    flags: list[Flag]
    notes: list[Note]
    caveats: list[Caveat]
    audit: Audit
    stamp: Stamp

    @property
    def evaluation(self) -> Optional[Evaluation]:
        """The evaluation this recommendation was assembled from; None when read from JSON."""
        return self._evaluation

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Recommendation):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def lead(self, role: str) -> Optional[str]:
        return next((x.actor for x in self.leadership if x.role == role), None)

    def cluster_lead(self, cluster: str) -> Optional[str]:
        return next((x.lead for x in self.clusters if x.cluster == cluster), None)

    def _repr_html_(self) -> str:
        """The HTML summary card a notebook shows (:func:`scaleup.render.card.card`)."""
        from ..render.card import card   # the one upward import (tests/test_architecture.py: UPWARD_ALLOWED)
        return card(self)
