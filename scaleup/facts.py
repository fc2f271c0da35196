"""Facts: the values rules match on, and the catalogue of fact types rule files may use.

A fact is a flat mapping of a type (``t`` in the engine) to scalar fields. Input facts are
``indicator`` facts, one per scenario field (``{field: "populations.affected", value: 1850000}``);
every other type is derived by rules. The catalogue below is the contract between rule files,
the compiler and the assembler: rule files may only test and assert the fields listed here.

Every value that reaches durable_rules' C core goes through :func:`engine_value`, which is the
single place where docs/engine.md's input traps are closed: booleans become the strings ``"true"`` /
``"false"`` (durable treats ``True`` as ``1``), integral floats become ints (durable treats
``4`` and ``4.0`` as different facts), other floats are kept exactly, and anything else that is
not a short string, a bounded int or a finite float below 1e15 is refused. :func:`engine_text`
writes a value as the JSON text durable_rules receives: floats in plain decimal notation (the C
parser refuses ``1e-05``) with every digit ``repr`` needs to round-trip, so the engine compares
exactly the number Python compares (``4.99996 < 5``; never rounded before comparing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from json.encoder import encode_basestring
from typing import Mapping, Optional, Union

from .vocabulary import CRITERIA, DECISIONS, LIFECYCLE, ROUTES, VARIANTS

Scalar = Union[int, float, str]

MAX_INT = 2**53
MAX_STRING = 500
MAX_FLOAT = 1e15


def engine_value(value: object) -> Scalar:
    """Return ``value`` in the one representation the engine may see.

    Raises:
        ValueError: for values durable_rules would mis-handle (None, NaN, infinities, huge
            ints, long strings, lone surrogates, containers).
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if abs(value) > MAX_INT:
            raise ValueError(f"integer {value} is outside +/-2**53")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} is not a finite number")
        if value.is_integer():
            return engine_value(int(value))
        if abs(value) >= MAX_FLOAT:
            raise ValueError(f"{value!r} is too large for a fraction (at most 1e15)")
        return value
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise ValueError(f"string of {len(value)} characters is longer than {MAX_STRING}")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError("string contains a lone surrogate") from exc
        return value
    raise ValueError(f"{type(value).__name__} values cannot be facts")


def float_text(value: float) -> str:
    """A finite float in plain decimal notation that reads back as the same float.

    ``repr`` is the shortest text that round-trips; when it uses an exponent (below 1e-4 or
    from 1e16) the same digits are written out in fixed point: ``1e-05`` -> ``0.00001``.
    """
    text = repr(value)
    if "e" not in text:
        return text
    text = format(Decimal(text), "f")
    return text if "." in text else text + ".0"


def engine_text(value: object) -> str:
    """The JSON text of an engine value, or of a list or mapping of them (rule definitions),
    with every float written by :func:`float_text`."""
    if isinstance(value, str):
        return encode_basestring(value)
    if isinstance(value, bool) or value is None:
        return "true" if value is True else "false" if value is False else "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{encode_basestring(str(k))}: {engine_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(engine_text(v) for v in value) + "]"
    raise ValueError(f"{type(value).__name__} values cannot be written for the engine")


def content_key(type_: str, fields: Mapping[str, Scalar]) -> tuple:
    """Identity of a fact by content, as durable_rules identifies it (minus ``sid``)."""
    return (type_,) + tuple(sorted(fields.items()))


@dataclass(frozen=True)
class Fact:
    """One fact of an evaluation.

    Attributes:
        id: ``i<n>`` for input facts, ``d<n>`` for derived ones; stable for a given scenario
            and rule set.
        type: the fact type (a catalogue key).
        fields: the fact's fields, already in engine representation.
        origin: ``input:<field>@<file>:<line>`` or ``rule:<rule id>``.
    """

    id: str
    type: str
    fields: Mapping[str, Scalar]
    origin: str

    def engine_dict(self, sid: str, salt: str = "", texts: Optional[Mapping[str, str]] = None) -> dict[str, Scalar]:
        """The fact as durable_rules holds it. ``fid`` carries our id so that an action finds the
        facts it matched without recomputing content keys; it cannot create duplicate facts,
        because no two facts of an evaluation ever have the same content. ``salt`` (appended to
        the id) changes durable's hash of the fact after a hash collision. ``texts`` maps free
        text to the stand-in the engine sees instead (:mod:`scaleup.engine.stand_ins`)."""
        fields = {k: texts.get(v, v) if type(v) is str else v for k, v in self.fields.items()} if texts else self.fields
        return {"sid": sid, "t": self.type, "fid": self.id + salt, **fields}

    def engine_json(self, sid: str, salt: str = "", texts: Optional[Mapping[str, str]] = None) -> str:
        """:meth:`engine_dict` as the JSON text durable_rules receives (:func:`engine_text`)."""
        return engine_text(self.engine_dict(sid, salt, texts))

    @property
    def key(self) -> tuple:
        return content_key(self.type, self.fields)

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "type": self.type, "fields": dict(self.fields), "origin": self.origin}


# --- the catalogue ---------------------------------------------------------------------------

class FieldKind(StrEnum):
    """What a fact field holds (its value is the word rule-file messages use)."""

    STR = "str"        # a string: free text, or one of a closed set
    NUM = "num"        # a number
    LEVEL = "level"    # a whole number 1-5
    ANY = "any"        # any engine value (an indicator's value)


@dataclass(frozen=True)
class FieldSpec:
    """A field of a fact type, of a :class:`FieldKind`."""

    kind: FieldKind
    required: bool = True
    values: tuple[str, ...] = ()      # closed set for kind ``str``; empty means free text
    doc: str = ""


@dataclass(frozen=True)
class FactType:
    name: str
    doc: str
    fields: Mapping[str, FieldSpec]
    derived: bool = True
    single: tuple[str, ...] = ()      # fields that identify a slot with one value per evaluation
    value_field: str = ""             # the field that holds that one value



FACT_TYPES: dict[str, FactType] = {t.name: t for t in [
    FactType("indicator", "One scenario field and its value (input).", {
        "field": FieldSpec(FieldKind.STR, doc="dotted scenario field path"),
        "value": FieldSpec(FieldKind.ANY, doc="the value; booleans are 'true'/'false'"),
    }, derived=False),
    FactType("signal", "A scoring band fired: an indicator puts a criterion at a level.", {
        "criterion": FieldSpec(FieldKind.STR, values=CRITERIA),
        "level": FieldSpec(FieldKind.LEVEL),
        "field": FieldSpec(FieldKind.STR, doc="the indicator behind the signal"),
        "presumed": FieldSpec(FieldKind.STR, required=False, values=("true",),
                              doc="'true' when the level is inferred from other evidence, not measured"),
    }),
    FactType("ceiling", "Evidence that holds a criterion at most at a level (e.g. coping capacity).", {
        "criterion": FieldSpec(FieldKind.STR, values=CRITERIA),
        "level": FieldSpec(FieldKind.LEVEL),
        "field": FieldSpec(FieldKind.STR, doc="the indicator behind the ceiling"),
    }),
    FactType("criterion", "The level of one of the five criteria, or no evidence for it.", {
        "name": FieldSpec(FieldKind.STR, values=CRITERIA),
        "level": FieldSpec(FieldKind.LEVEL, required=False, doc="absent when evidence is insufficient"),
        "evidence": FieldSpec(FieldKind.STR, values=("scored", "insufficient")),
    }, single=("name",), value_field="level"),
    FactType("situation", "A classification of the situation (population mix, hazard class...).", {
        "aspect": FieldSpec(FieldKind.STR),
        "value": FieldSpec(FieldKind.STR),
    }, single=("aspect",), value_field="value"),
    FactType("finding", "An intermediate conclusion other rules build on.", {
        "name": FieldSpec(FieldKind.STR),
    }),
    FactType("scope", "Whether the IASC Scale-Up analysis applies.", {
        "value": FieldSpec(FieldKind.STR, values=("in_scope", "out_of_scope")),
        "reason": FieldSpec(FieldKind.STR, required=False),
    }, single=(), value_field="value"),
    FactType("variant", "Which Scale-Up protocol applies.", {
        "value": FieldSpec(FieldKind.STR, values=VARIANTS),
    }, single=(), value_field="value"),
    FactType("route", "The coordination route.", {
        "value": FieldSpec(FieldKind.STR, values=ROUTES),
    }, single=(), value_field="value"),
    FactType("decision", "The Scale-Up recommendation to the ERC.", {
        "value": FieldSpec(FieldKind.STR, values=DECISIONS),
    }, single=(), value_field="value"),
    FactType("lead", "Who leads or coordinates what.", {
        "role": FieldSpec(FieldKind.STR),
        "actor": FieldSpec(FieldKind.STR),
    }, single=("role",), value_field="actor"),
    FactType("cluster", "An IASC cluster recommended for activation and its lead agency.", {
        "name": FieldSpec(FieldKind.STR),
        "lead": FieldSpec(FieldKind.STR),
    }, single=("name",), value_field="lead"),
    FactType("plan", "A response plan or appeal.", {
        "name": FieldSpec(FieldKind.STR),
        "timing": FieldSpec(FieldKind.STR, required=False),
    }),
    FactType("coordination", "Whether clusters are to be named now (the gate every cluster rule shares).", {
        "value": FieldSpec(FieldKind.STR, values=("clusters_warranted",)),
    }, single=(), value_field="value"),
    FactType("lifecycle", "For a Scale-Up already active: continue, extend, deactivate, or transition.", {
        "value": FieldSpec(FieldKind.STR, values=LIFECYCLE),
        "reason": FieldSpec(FieldKind.STR, required=False),
    }, single=(), value_field="value"),
    FactType("unhcr_level", "UNHCR's internal emergency level (1-3).", {
        "value": FieldSpec(FieldKind.LEVEL),
    }, single=(), value_field="value"),
    FactType("milestone", "A lifecycle milestone, as an offset from the activation date or the onset.", {
        "name": FieldSpec(FieldKind.STR),
        "anchor": FieldSpec(FieldKind.STR, values=("activation", "onset")),
        "months": FieldSpec(FieldKind.NUM, required=False),
        "days": FieldSpec(FieldKind.NUM, required=False),
    }),
    FactType("flag", "A departure from the protocol, or a warning.", {
        "name": FieldSpec(FieldKind.STR),
        "text": FieldSpec(FieldKind.STR, required=False),
    }),
    FactType("note", "A statement for the reader.", {
        "text": FieldSpec(FieldKind.STR),
    }),
]}
