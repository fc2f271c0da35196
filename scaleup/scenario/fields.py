"""The field catalogue and the conversion of a scenario into input facts.

Every leaf field of :class:`~scaleup.scenario.model.Scenario` that describes the crisis becomes one
``indicator`` fact ``{field: <dotted path>, value: <value>}``; a list such as ``hazard.types``
becomes one fact per item. A few indicators are *derived* by plain arithmetic (a share, a ratio,
a count, months elapsed) so that rules can compare them with thresholds; each one is listed in
:data:`DERIVED` with its formula, and its origin points at the scenario lines it was computed
from. Arithmetic is all Python does here: every judgement on these values is made by rules.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Literal, Optional, get_args, get_origin

from pydantic import BaseModel

from ..facts import Fact, engine_value
from .model import Scenario
from .validation import unwrap

# Fields that identify or describe the scenario rather than the crisis: never facts.
NOT_INDICATORS = {"id", "kind", "title", "description", "as_of", "expect", "country.name",
                  "country.iso3", "activation.date", "activation.extensions", "hazard.started",
                  "outbreak.disease", "sources", "capacity.flash_appeal_date"}


@dataclass(frozen=True)
class FieldInfo:
    """One indicator a rule may test.

    Attributes:
        path: dotted path, e.g. ``populations.affected``.
        kind: ``int``, ``num``, ``bool``, ``enum`` or ``text``.
        unit: unit or scale.
        doc: meaning.
        values: allowed values for ``enum`` (and ``("true", "false")`` for ``bool``).
        ge, le: numeric range, where known.
        formula: for derived indicators, how they are computed.
        multi: True when the field may produce several facts (a list).
    """

    path: str
    kind: str
    unit: str
    doc: str
    values: tuple[str, ...] = ()
    ge: Optional[float] = None
    le: Optional[float] = None
    formula: str = ""
    multi: bool = False


def _bounds(info: Any) -> tuple[Optional[float], Optional[float]]:
    ge = le = None
    for m in getattr(info, "metadata", []):
        ge = getattr(m, "ge", ge) if getattr(m, "ge", None) is not None else ge
        ge = getattr(m, "gt", ge) if getattr(m, "gt", None) is not None else ge
        le = getattr(m, "le", le) if getattr(m, "le", None) is not None else le
    return ge, le


def _walk(model: type[BaseModel], prefix: str = "") -> Iterator[FieldInfo]:
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        if path in NOT_INDICATORS:
            continue
        ann = unwrap(info.annotation)
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        unit, doc = str(extra.get("unit", "")), info.description or ""
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            yield from _walk(ann, path + ".")
            continue
        multi = get_origin(ann) is list
        if multi:
            ann = unwrap(get_args(ann)[0])
        ge, le = _bounds(info)
        for meta in getattr(info, "metadata", []):   # Annotated metadata of the inner type
            ge = getattr(meta, "ge", None) if getattr(meta, "ge", None) is not None else ge
            le = getattr(meta, "le", None) if getattr(meta, "le", None) is not None else le
        if get_origin(ann) is Literal:
            yield FieldInfo(path, "enum", unit or "one of", doc, tuple(get_args(ann)), multi=multi)
        elif ann is bool:
            yield FieldInfo(path, "bool", unit, doc, ("true", "false"))
        elif ann is int:
            yield FieldInfo(path, "int", unit, doc, ge=ge, le=le)
        elif ann is float:
            yield FieldInfo(path, "num", unit, doc, ge=ge, le=le)
        else:
            yield FieldInfo(path, "text", unit, doc)


def _ratio(num: Optional[float], den: Optional[float], scale: float) -> Optional[float]:
    if num is None or not den:
        return None
    return num / den * scale


def _months_between(start: dt.date, end: dt.date) -> float:
    return round((end - start).days / (365.25 / 12), 1)


def _sum(*values: Optional[int]) -> Optional[int]:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _caseload(p: Any) -> Optional[int]:
    """People affected other than refugees hosted here. With the breakdown given
    (``non_displaced_affected``, which excludes refugee hosts) it is the sum of its parts;
    otherwise ``affected`` minus refugees; otherwise whatever displaced groups are given."""
    if p.non_displaced_affected is not None:
        return _sum(p.idps, p.returnees, p.non_displaced_affected)
    if p.affected is not None:
        return max(p.affected - (p.refugees or 0), 0)
    return _sum(p.idps, p.returnees)


# Fields a scenario records for the reader that no rule scores, each with the reason.
CONTEXT_ONLY: dict[str, str] = {
    "capacity.appeal_usd": "recorded, not scored: the size of an appeal adds nothing to people in need and "
                           "funding coverage, which the criteria read",
    "populations.targeted": "recorded, not scored: people targeted are a planning decision taken after the "
                            "analysis; people in need carry the demand",
    "populations.affected_pct": "available to rule sets, not scored by iasc-2018: it counts refugees hosted "
                                "here, whose needs belong to the refugee response; scale reads the IASC caseload share",
    "who.risk_national": "recorded, not scored: under the 2019 protocol WHO notifies the ERC on the regional "
                         "or global risk (or a corporate emergency)",
}


Derivation = Callable[[Scenario], Any]


@dataclass(frozen=True)
class DerivedField:
    """How one derived indicator is computed (``kind``, ``unit`` and ``doc`` as in :class:`FieldInfo`)."""

    kind: str
    unit: str
    doc: str
    formula: str                  # the arithmetic, as the docs print it
    inputs: tuple[str, ...]       # the scenario fields it reads (its origin lists their lines)
    compute: Derivation           # scenario -> value, or None when an input is missing


DERIVED: dict[str, DerivedField] = {
    "populations.affected_pct": DerivedField(
        "num", "percent", "Share of the national population affected (refugees hosted here included)",
        "populations.affected / country.population * 100", ("populations.affected", "country.population"),
        lambda s: _ratio(s.populations.affected, s.country.population, 100)),
    "populations.new_displacement_30d": DerivedField(
        "int", "people", "People newly displaced in the last 30 days, internally or across a border",
        "populations.idps_new_30d + populations.refugees_new_30d",
        ("populations.idps_new_30d", "populations.refugees_new_30d"),
        lambda s: _sum(s.populations.idps_new_30d, s.populations.refugees_new_30d)),
    "health_nutrition.cmr_ratio": DerivedField(
        "num", "ratio", "Crude mortality relative to the pre-crisis baseline",
        "health_nutrition.cmr / health_nutrition.cmr_baseline",
        ("health_nutrition.cmr", "health_nutrition.cmr_baseline"),
        lambda s: _ratio(s.health_nutrition.cmr, s.health_nutrition.cmr_baseline, 1)),
    "populations.need_estimate": DerivedField(
        "int", "people", "People in need, or where no such figure is given, people affected other than refugees "
        "hosted here (an upper estimate of need)",
        "populations.in_need, else populations.iasc_caseload",
        ("populations.in_need", "populations.affected", "populations.refugees", "populations.idps",
         "populations.returnees", "populations.non_displaced_affected"),
        lambda s: s.populations.in_need if s.populations.in_need is not None else _caseload(s.populations)),
    "populations.need_estimate_pct": DerivedField(
        "num", "percent", "populations.need_estimate as a share of the national population",
        "populations.need_estimate / country.population * 100",
        ("populations.in_need", "populations.affected", "populations.refugees", "populations.idps",
         "populations.returnees", "populations.non_displaced_affected", "country.population"),
        lambda s: _ratio(s.populations.in_need if s.populations.in_need is not None else _caseload(s.populations),
                         s.country.population, 100)),
    "populations.in_need_area_pct": DerivedField(
        "num", "percent", "Share of the affected area's population in need",
        "populations.in_need / country.area_population * 100", ("populations.in_need", "country.area_population"),
        lambda s: _ratio(s.populations.in_need, s.country.area_population, 100)),
    "populations.iasc_caseload": DerivedField(
        "int", "people", "People affected other than refugees hosted here and their hosts (the caseload of the "
        "IASC system)",
        "idps + returnees + non_displaced_affected when non_displaced_affected is given (it excludes refugee "
        "hosts), else populations.affected - populations.refugees, else idps + returnees",
        ("populations.affected", "populations.refugees", "populations.idps", "populations.returnees",
         "populations.non_displaced_affected"),
        lambda s: _caseload(s.populations)),
    "populations.iasc_caseload_pct": DerivedField(
        "num", "percent", "People affected other than refugees hosted here, as a share of the national population",
        "populations.iasc_caseload / country.population * 100",
        ("populations.affected", "populations.refugees", "populations.idps", "populations.returnees",
         "populations.non_displaced_affected", "country.population"),
        lambda s: _ratio(_caseload(s.populations), s.country.population, 100)),
    "hazard.days_since_onset": DerivedField(
        "int", "days", "Days from the start of the crisis (hazard.started) to as_of",
        "as_of - hazard.started", ("hazard.started", "as_of"),
        lambda s: (s.as_of - s.hazard.started).days if s.hazard.started else None),
    "capacity.flash_appeal_days": DerivedField(
        "int", "days", "Days from the start of the crisis to the Flash Appeal",
        "capacity.flash_appeal_date - hazard.started", ("capacity.flash_appeal_date", "hazard.started"),
        lambda s: (s.capacity.flash_appeal_date - s.hazard.started).days
        if s.capacity.flash_appeal_date and s.hazard.started else None),
    "hazard.count": DerivedField(
        "int", "hazards", "Number of concurrent hazards", "len(hazard.types)", ("hazard.types",),
        lambda s: len(s.hazard.types)),
    "capacity.reach_pct": DerivedField(
        "num", "percent", "People reached as a share of people in need",
        "capacity.people_reached / populations.in_need * 100",
        ("capacity.people_reached", "populations.in_need"),
        lambda s: _ratio(s.capacity.people_reached, s.populations.in_need, 100)),
    "capacity.partners_per_100k_pin": DerivedField(
        "num", "per 100,000 in need", "Operational partners per 100,000 people in need",
        "capacity.operational_partners / populations.in_need * 100000",
        ("capacity.operational_partners", "populations.in_need"),
        lambda s: _ratio(s.capacity.operational_partners, s.populations.in_need, 100_000)),
    "activation.months_elapsed": DerivedField(
        "num", "months", "Months from the activation date to as_of (30.44-day months, 1 decimal)",
        "(as_of - activation.date) in months", ("activation.date", "as_of"),
        lambda s: _months_between(s.activation.date, s.as_of) if s.activation else None),
    "activation.extension_count": DerivedField(
        "int", "extensions", "Number of extensions granted", "len(activation.extensions)",
        ("activation.extensions",),
        lambda s: len(s.activation.extensions) if s.activation else None),
    "activation.extension_months_max": DerivedField(
        "num", "months", "Longest single extension", "max(activation.extensions[].months)",
        ("activation.extensions",),
        lambda s: max((e.months for e in s.activation.extensions), default=0) if s.activation else None),
}


def _catalogue() -> dict[str, FieldInfo]:
    fields = {f.path: f for f in _walk(Scenario)}
    for path, derived in DERIVED.items():
        fields[path] = FieldInfo(path, derived.kind, derived.unit, derived.doc, formula=derived.formula, ge=0)
    return dict(sorted(fields.items()))


CATALOGUE: dict[str, FieldInfo] = _catalogue()


@functools.lru_cache(maxsize=None)
def _plan(model: type[BaseModel], prefix: str) -> dict[str, tuple[str, bool]]:
    """Per field of a model class that may hold indicators: its dotted path, and whether it is
    a nested model (read once per class: walking the annotations is slow)."""
    plan = {}
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        if path not in NOT_INDICATORS:
            ann = unwrap(info.annotation)
            plan[name] = (path, isinstance(ann, type) and issubclass(ann, BaseModel))
    return plan


def _leaves(model: BaseModel, prefix: str = "", loc: tuple[str, ...] = ()) -> Iterator[tuple[str, tuple[str, ...], Any]]:
    plan = _plan(type(model), prefix)
    for name, value in model.__dict__.items():     # a model's fields, in declaration order
        if value is None or name not in plan:
            continue
        path, nested = plan[name]
        if nested:
            yield from _leaves(value, path + ".", loc + (name,))
        else:
            yield path, loc + (name,), value


_DERIVED_INPUTS = {path: tuple(tuple(i.split(".")) for i in derived.inputs) for path, derived in DERIVED.items()}


def _at(file: str, line: Optional[int]) -> str:
    """``file:line``, or the file alone when the input has no lines (a mapping)."""
    return file if line is None else f"{file}:{line}"


def to_facts(scenario: Scenario, file: str, line_of: Callable[[tuple], Optional[int]]) -> list[Fact]:
    """Return the input facts of ``scenario``, sorted by field path then value.

    Args:
        scenario: a validated scenario.
        file: the file name used in origins.
        line_of: maps a field location (``("populations", "affected")``) to its line in the
            file, or ``None`` if unknown (e.g. :meth:`scaleup.scenario.yamlio.Document.line`).
    """
    rows: list[tuple[str, Any, str]] = []
    for path, loc, value in _leaves(scenario):
        if isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                rows.append((path, engine_value(item), f"input:{path}[{i}]@{_at(file, line_of(loc + (i,)))}"))
        else:
            rows.append((path, engine_value(value), f"input:{path}@{_at(file, line_of(loc))}"))
    for path, derived in DERIVED.items():
        value = derived.compute(scenario)
        if value is not None:
            lines = sorted({n for n in map(line_of, _DERIVED_INPUTS[path]) if n is not None})
            rows.append((path, engine_value(value), f"derived:{path}@{file}:{','.join(map(str, lines)) or '?'}"))
    rows.sort(key=lambda r: (r[0], str(r[1])))
    return [Fact(f"i{n}", "indicator", {"field": path, "value": value}, origin)
            for n, (path, value, origin) in enumerate(rows, 1)]
