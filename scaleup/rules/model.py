"""The rule set file formats, as pydantic models. Data only: nothing here can run code.

A rule set is a folder with ``ruleset.yaml`` (identity, sources, parameters, caveats, the files it
includes) and rule files holding scoring ``tables`` and ``rules``. Conditions (``when``) and
actions (``then``) are kept as plain mappings here and checked in depth by the compiler, which
knows the fact catalogue and reports each problem at its line.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

Id = Annotated[StrictStr, Field(pattern=r"^[a-z0-9][a-z0-9_.\-/]{0,119}$")]
SourceId = Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,59}$")]
Text = Annotated[StrictStr, Field(min_length=1, max_length=500)]
LongText = Annotated[StrictStr, Field(max_length=4000)]
Basis = Literal["source", "project"]
Number = Union[StrictInt, StrictFloat]
# A parameter value as ruleset.yaml may write it (read strictly: "4" stays text); engine_value turns it
# into the engine's scaleup.facts.Scalar.
ParameterValue = Union[StrictBool, StrictInt, StrictFloat, Annotated[StrictStr, Field(max_length=500)]]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(Model):
    """A document the rules cite."""

    title: Text
    publisher: Optional[Text] = None
    year: Optional[Annotated[StrictInt, Field(ge=1900, le=2100)]] = None
    url: Optional[Annotated[StrictStr, Field(pattern=r"^https?://\S{1,400}$")]] = None
    section: Optional[Text] = None
    note: Optional[LongText] = None


class Parameter(Model):
    """A named value rules refer to as ``$param.<name>``."""

    value: ParameterValue
    unit: Optional[Text] = None
    basis: Basis
    source: Optional[SourceId] = None
    section: Optional[Text] = None
    verified: StrictBool = True
    description: Text


class Caveat(Model):
    text: Text
    source: Optional[SourceId] = None
    basis: Basis


class RulesetFile(Model):
    """``ruleset.yaml``."""

    id: Annotated[StrictStr, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,59}$")]
    version: Annotated[StrictStr, Field(pattern=r"^\d+\.\d+\.\d+$")]
    title: Text
    description: Optional[LongText] = None
    effective_from: dt.date
    extends: Optional[StrictStr] = None
    sources: dict[SourceId, Source] = Field(default_factory=dict)
    parameters: dict[Annotated[StrictStr, Field(pattern=r"^[a-z][a-z0-9_]{0,59}$")], Parameter] = Field(default_factory=dict)
    caveats: list[Caveat] = Field(default_factory=list)
    include: Annotated[list[Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9_\-/]+\.ya?ml$")]],
                       Field(max_length=200)] = Field(default_factory=list)


class Edge(Model):
    """A band edge with its own basis (a bare number inherits the indicator's)."""

    value: Number
    basis: Optional[Basis] = None
    source: Optional[SourceId] = None
    note: Optional[Text] = None


def _edge(value: Any) -> Any:
    """A bare number is shorthand for an edge that inherits the indicator's basis and source."""
    return {"value": value} if isinstance(value, (int, float)) and not isinstance(value, bool) else value


class Indicator(Model):
    """How one scenario field maps to levels of the table's criterion.

    Numeric fields use ``edges`` (ascending values; with ``direction: descending`` lower values
    are worse) and optionally ``band_levels`` (one level per band, default 1, 2, ...).
    Categorical and true/false fields use ``levels`` (value -> level); unlisted values give no
    signal.
    """

    field: Annotated[StrictStr, Field(max_length=120)]
    title: Optional[Text] = None
    edges: Optional[Annotated[list[Annotated[Edge, BeforeValidator(_edge)]], Field(min_length=1, max_length=9)]] = None
    band_levels: Optional[list[Annotated[StrictInt, Field(ge=1, le=5)]]] = None
    direction: Literal["ascending", "descending"] = "ascending"
    levels: Optional[dict[Annotated[StrictStr, Field(max_length=60)], Annotated[StrictInt, Field(ge=1, le=5)]]] = None
    basis: Optional[Basis] = None
    source: Optional[SourceId] = None
    section: Optional[Text] = None
    verified: StrictBool = True
    note: Optional[Text] = None


class Table(Model):
    """A scoring table: the indicators of one criterion.

    ``ceilings: true`` lets rules cap the criterion (``ceiling`` facts: evidence such as coping
    that holds the level at most at a value). ``presumed: true`` makes a *presumption* table:
    its bands apply only when none of the ``unless`` fields is given, their signals are marked
    presumed, and the criterion's own (non-presumed) table combines them with its other signals.
    """

    criterion: Literal["scale", "urgency", "complexity", "capacity", "risk"]
    title: Text
    combine: Literal["max"] = "max"
    ceilings: StrictBool = False
    presumed: StrictBool = False
    unless: Annotated[list[Annotated[StrictStr, Field(max_length=120)]], Field(max_length=20)] = Field(default_factory=list)
    basis: Basis
    source: SourceId
    section: Optional[Text] = None
    indicators: Annotated[list[Indicator], Field(min_length=1, max_length=100)]


class Rule(Model):
    """A when/then rule. ``when`` and ``then`` are checked by the compiler."""

    id: Id
    title: Text
    description: Optional[LongText] = None
    source: SourceId
    section: Optional[Text] = None
    basis: Basis
    verified: StrictBool = True
    when: Annotated[list[Any], Field(min_length=1, max_length=40)]
    then: Annotated[list[Any], Field(min_length=1, max_length=20)]


class RuleFile(Model):
    """A file included by ``ruleset.yaml``."""

    title: Optional[Text] = None
    description: Optional[LongText] = None
    tables: Annotated[list[Table], Field(max_length=20)] = Field(default_factory=list)
    rules: Annotated[list[Rule], Field(max_length=500)] = Field(default_factory=list)
