"""Random scenario documents built by walking the :class:`~scaleup.scenario.model.Scenario` model.

New fields are fuzzed without touching this file. Most documents are valid: :func:`_repair` makes
the common cross-field rules hold (one in twenty is left unrepaired).
"""

from __future__ import annotations

import datetime as dt
import random
import types
import typing
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from scaleup.scenario.model import Scenario

def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """Strip Optional and Annotated; return the bare type and the constraint metadata."""
    meta: list[Any] = []
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation, *extra = get_args(annotation)
            for m in extra:
                meta.extend(m.metadata if isinstance(m, FieldInfo) else [m])
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        else:
            return annotation, meta


def _bound(meta: list[Any], name: str) -> Any:
    return next((getattr(m, name) for m in meta if getattr(m, name, None) is not None), None)


class _Builder:
    """Builds a random, mostly valid scenario dict by walking the pydantic model."""

    def __init__(self, rnd: random.Random):
        self.r = rnd

    def model(self, cls: type[BaseModel], path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, info in cls.model_fields.items():
            if path + name == "expect" or (not info.is_required() and self.r.random() < 0.35):
                continue
            ann, meta = _unwrap(info.annotation)
            out[name] = self.value(ann, list(info.metadata) + meta, path + name)
        return out

    def value(self, ann: Any, meta: list[Any], path: str) -> Any:
        r, origin = self.r, get_origin(ann)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            return self.model(ann, path + ".")
        if origin is Literal:
            return r.choice(get_args(ann))
        if origin is list:
            item, item_meta = _unwrap(get_args(ann)[0])
            n = r.randint(_bound(meta, "min_length") or 0, min(_bound(meta, "max_length") or 3, 3))
            if get_origin(item) is Literal:
                return r.sample(get_args(item), min(n, len(get_args(item))))
            return [self.value(item, item_meta, path) for _ in range(n)]
        if origin is dict:
            return {}
        if ann is bool:
            return r.random() < 0.5
        if ann is dt.date:
            return dt.date(2000, 1, 1) + dt.timedelta(days=r.randint(0, 11_000))
        if ann in (int, float):
            ge, gt = _bound(meta, "ge"), _bound(meta, "gt")
            lo = ge if ge is not None else gt + 1 if gt is not None else 0
            hi = _bound(meta, "le") or 10**6
            x = lo + (hi - lo) * r.random() ** r.choice((1, 3, 8))
            return int(x) if ann is int or r.random() < 0.3 else round(max(x, lo + 0.01), r.randint(0, 4))
        if ann is str:
            if path == "id":
                return r.choice(("flood", "cyclone-x", "a", "scenario-2026-03")) + str(r.randint(0, 99))
            if path.endswith("iso3"):
                return "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(3))
            text = r.choice(("Mozambara", "Flooding in the delta", "Acme Relief", "WFP", "cholera"))
            return text[: _bound(meta, "max_length") or 200]
        raise TypeError(f"no generator for {ann!r} at {path}")   # a new kind of field: teach me


def _get(data: Any, path: str) -> Any:
    for part in path.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        data = data.get(part)  # type: ignore[assignment]
        if not isinstance(data, dict):
            return
    data[last] = value


# (field, the field it may not exceed): the cross-field rules, so most cases are valid
_NOT_ABOVE = (("populations.affected", "country.population"), ("populations.in_need", "country.population"),
              ("populations.targeted", "country.population"), ("populations.idps", "country.population"),
              ("food_security.ipc_phase3plus_population", "country.population"),
              ("populations.in_need", "populations.affected"),
              ("populations.idps", "populations.affected"), ("populations.refugees", "populations.affected"),
              ("populations.idps_new_30d", "populations.idps"),
              ("populations.refugees_new_30d", "populations.refugees"),
              ("populations.non_displaced_affected", "populations.affected"),
              ("impact.deaths", "country.population"), ("impact.deaths_30d", "impact.deaths"),
              ("food_security.ipc_phase4plus_pct", "food_security.ipc_phase3plus_pct"),
              ("food_security.ipc_phase5_population", "country.population"),
              ("health_nutrition.sam_pct", "health_nutrition.gam_pct"),
              ("capacity.people_reached", "populations.affected"),
              ("impact.deaths", "populations.affected"), ("impact.houses_destroyed", "populations.affected"),
              ("impact.houses_destroyed", "country.population"))


def _repair(d: dict[str, Any]) -> None:
    """Make the common cross-field rules hold (the model checks them; we want mostly-valid input)."""
    for field, limit in _NOT_ABOVE:
        value, bound = _get(d, field), _get(d, limit)
        if isinstance(value, (int, float)) and isinstance(bound, (int, float)) and value > bound:
            _put(d, field, type(value)(bound * 0.5))
    if _get(d, "context.countries_affected") == 0:
        _put(d, "context.countries_affected", 1)
    if isinstance(_get(d, "health_nutrition.cmr_baseline"), (int, float)):
        _put(d, "health_nutrition.cmr_baseline", max(_get(d, "health_nutrition.cmr_baseline"), 0.1))
    as_of = d["as_of"]
    for field in ("hazard.started", "activation.date"):
        if isinstance(_get(d, field), dt.date) and _get(d, field) > as_of:
            _put(d, field, as_of)
    activation = d.get("activation")
    if isinstance(activation, dict):
        for ext in activation.get("extensions", []):
            ext["date"] = activation["date"]
    types_ = d["hazard"]["types"]
    if "epidemic" in types_ and "outbreak" not in d:
        types_.remove("epidemic") if len(types_) > 1 else types_.__setitem__(0, "flood")
    if "outbreak" in d and "epidemic" not in types_:
        types_.append("epidemic") if len(types_) < 8 else d.pop("outbreak")


def random_scenario(rnd: random.Random) -> dict[str, Any]:
    """A random scenario dict; after :func:`_repair` most are valid."""
    data = _Builder(rnd).model(Scenario, "")
    data.pop("kind", None) if rnd.random() < 0.5 else None
    if rnd.random() < 0.95:
        _repair(data)
    return data
