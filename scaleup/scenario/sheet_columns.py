"""The columns a scenario spreadsheet may have: every flat field of the scenario schema by its
dotted name (``populations.in_need``), and the HXL hashtags that name one field unambiguously.

One column is one field. Fields that are not flat (``activation.extensions``, ``sources``,
``expect.leads``, ``expect.clusters``) have no column: scenarios that need them are written in
YAML. ``docs/spreadsheets.md`` lists the hashtags and how each kind of cell is read.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal, Optional, Union, get_args, get_origin

from pydantic import BaseModel

from .model import Scenario
from .validation import unwrap

KINDS = ("text", "int", "num", "bool", "date", "enum", "enum_list", "text_list")
SKIPPED = {"kind", "sources", "activation.extensions", "expect.leads", "expect.clusters"}


@dataclass(frozen=True)
class SheetColumn:
    """One field a spreadsheet column can hold.

    Attributes:
        path: the dotted field name, also the column header.
        kind: how a cell is read: one of :data:`KINDS`.
        unit: the unit (``people``, ``percent``...) or ``""``.
        doc: what the field means.
        values: allowed values of an ``enum`` or ``enum_list``.
        required: the scenario (or, for ``outbreak.*`` and ``activation.*``, its section) needs it.
        one_or_list: an ``enum_list`` that takes one value or a list (``expect.scale_up``).
    """

    path: str
    kind: str
    unit: str = ""
    doc: str = ""
    values: tuple[str, ...] = ()
    required: bool = False
    one_or_list: bool = False

    @property
    def percent(self) -> bool:
        return self.unit == "percent"

    def describe(self) -> str:
        """The cell's expected content in a few words (the template's units row)."""
        if self.kind == "enum":
            return "one of: " + " | ".join(self.values)
        if self.kind == "enum_list":
            return "one or more of (separated by ;): " + " | ".join(self.values)
        words = {"text": "text", "int": "whole number", "num": "number", "bool": "true or false",
                 "date": "date YYYY-MM-DD", "text_list": "texts separated by ;"}[self.kind]
        unit = f", {self.unit}" if self.unit and self.unit not in ("true/false", "one of") else ""
        return words + unit + (", required" if self.required else "")


def _union_members(annotation: Any) -> list[Any]:
    while get_origin(annotation) is typing.Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        return [a for a in get_args(annotation) if a is not type(None)]
    return [annotation]


def _leaf(path: str, annotation: Any, info: Any) -> Optional[SheetColumn]:
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    unit, doc, required = str(extra.get("unit", "")), info.description or "", info.is_required()
    members = [unwrap(m) for m in _union_members(annotation)]
    lists = [m for m in members if get_origin(m) is list]
    if len(members) == 2 and lists and get_origin(members[0]) is Literal:   # one value or a list of them
        return SheetColumn(path, "enum_list", unit, doc, tuple(get_args(members[0])), required, one_or_list=True)
    ann = unwrap(annotation)
    if get_origin(ann) is list:
        item = unwrap(get_args(ann)[0])
        if get_origin(item) is Literal:
            return SheetColumn(path, "enum_list", unit, doc, tuple(get_args(item)), required)
        return SheetColumn(path, "text_list", unit, doc, (), required) if item is str else None
    if get_origin(ann) is Literal:
        return SheetColumn(path, "enum", unit, doc, tuple(get_args(ann)), required)
    kind = {bool: "bool", int: "int", float: "num", dt.date: "date", str: "text"}.get(ann)
    return SheetColumn(path, kind, unit, doc, (), required) if kind else None


def _walk(model: type[BaseModel], prefix: str = "") -> list[SheetColumn]:
    out: list[SheetColumn] = []
    for name, info in model.model_fields.items():
        path = prefix + name
        if path in SKIPPED:
            continue
        ann = unwrap(info.annotation)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out.extend(_walk(ann, path + "."))
        elif get_origin(ann) is dict:   # expect.criteria: one column per criterion
            keys = get_args(unwrap(get_args(ann)[0]))
            out.extend(SheetColumn(f"{path}.{key}", "int", "level 1-5", f"Expected {key} level") for key in keys)
        else:
            column = _leaf(path, info.annotation, info)
            if column is not None:
                out.append(column)
    return out


@functools.lru_cache(maxsize=1)
def sheet_columns() -> dict[str, SheetColumn]:
    """Every spreadsheet column, by dotted name, in the order of the scenario schema."""
    return {c.path: c for c in _walk(Scenario)}


# HXL hashtag (lowercase, attributes sorted) -> field. Only tags that can mean nothing else.
HXL: dict[str, str] = {
    "#affected": "populations.affected",
    "#inneed": "populations.in_need",
    "#targeted": "populations.targeted",
    "#reached": "capacity.people_reached",
    "#affected+idps": "populations.idps",
    "#affected+refugees": "populations.refugees",
    "#affected+returnees": "populations.returnees",
    "#affected+killed": "impact.deaths",
    "#country": "country.name",
    "#country+name": "country.name",
    "#country+code": "country.iso3",
    "#country+code+v_iso3": "country.iso3",
    "#crisis+name": "title",
    "#date": "as_of",
    "#date+reported": "as_of",
    "#date+start": "hazard.started",
    "#value+funding+pct": "capacity.funding_coverage_pct",
    "#value+funding+required+usd": "capacity.appeal_usd",
}
# Attributes that only restate what the mapped field already is (a total count of people).
NEUTRAL = {"num", "ind", "total"}
_TAG = re.compile(r"#[a-z][a-z0-9_]*(?:\s*\+\s*[a-z][a-z0-9_]*)*", re.IGNORECASE)


def is_hashtag(text: str) -> bool:
    """A well-formed HXL hashtag with its attributes (``#affected +idps``)."""
    return bool(_TAG.fullmatch(text.strip()))


def normal_tag(text: str) -> str:
    """``#Affected +IDPs +num`` -> ``#affected+idps``: lowercase, neutral attributes dropped,
    attributes sorted (HXL attributes have no order)."""
    head, *attrs = [p.strip().lower() for p in text.strip().split("+")]
    kept = sorted({a for a in attrs if a and a not in NEUTRAL})
    return "+".join([head, *kept])


@dataclass(frozen=True)
class Resolved:
    """What a column header or tag names: a field, nothing to read (``ignore``), or a problem."""

    field: Optional[str] = None
    ignore: bool = False
    message: str = ""
    hint: str = ""


def _suggest(word: str, options: list[str]) -> str:
    tail = [o for o in options if o.rsplit(".", 1)[-1] == word]
    if len(tail) == 1:
        return f"did you mean {tail[0]!r}?"
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


def resolve_tag(tag: str) -> Resolved:
    """The field an HXL hashtag names. A tag that looks like a misspelt mapped one (``#inned``,
    ``#affected+idp``) is a problem; any other tag is not read (HDX sheets carry admin names,
    sources and breakdowns such as ``#affected+f`` that are no scenario field)."""
    key = normal_tag(tag)
    if key in HXL:
        return Resolved(HXL[key])
    head, *attrs = key.split("+")
    heads = {t.split("+")[0]: t for t in sorted(HXL, key=len)}
    if head not in heads:
        close = difflib.get_close_matches(head, list(heads), n=1, cutoff=0.8)
        if close:
            return Resolved(message=f"unknown hashtag {tag.strip()!r}", hint=f"did you mean {heads[close[0]]!r}?")
        return Resolved(ignore=True)
    known = {a for t in HXL if t.split("+")[0] == head for a in t.split("+")[1:]}
    for attr in attrs:
        close = difflib.get_close_matches(attr, sorted(known - {attr}), n=1, cutoff=0.8)
        if close and attr not in known:
            fixed = "+".join([head, *sorted(close[0] if a == attr else a for a in attrs)])
            return Resolved(message=f"unknown hashtag {tag.strip()!r}", hint=f"did you mean {fixed!r}?")
    return Resolved(ignore=True)


def resolve_header(header: str, tagged: bool) -> Resolved:
    """The field a header names: a dotted field name (any case) or a hashtag. In a sheet with
    an HXL tag row (``tagged``) a header that names no field is only a label, not read."""
    text = header.strip()
    if not text:
        return Resolved(ignore=True)
    if text.startswith("#"):
        return resolve_tag(text) if is_hashtag(text) else Resolved(message=f"{text!r} is not a valid hashtag",
                                                                   hint="write #name+attribute, e.g. #affected+idps")
    columns = sheet_columns()
    name = re.sub(r"\s*\.\s*", ".", text.lower())
    if name in columns:
        return Resolved(name)
    if tagged:
        return Resolved(ignore=True)
    hint = _suggest(name, list(columns)) or "name a field of docs/scenario.md, or delete the column"
    if name in SKIPPED or any(name.startswith(s + ".") for s in SKIPPED):
        hint = "this field is not flat; write the scenario in YAML to give it"
    return Resolved(message=f"unknown column {text!r}", hint=hint)
