"""Published schemas and the scenario template."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from pydantic import BaseModel

from .exercise.model import Exercise
from .recommendation.model import Recommendation
from .scenario.model import Scenario
from .scenario.ranges import UNCERTAIN_FIELDS
from .scenario.validation import unwrap

SCHEMAS: dict[str, type[BaseModel]] = {"scenario": Scenario, "recommendation": Recommendation, "exercise": Exercise}


RANGE_SCHEMA: dict[str, Any] = {
    "title": "UncertainFigure",
    "description": "An uncertain figure (docs/uncertainty.md): uniform {low, high}, triangular {low, mode, high}, "
                   "or discrete {values, weights}; low < high, low <= mode <= high, one weight >= 0 per value",
    "oneOf": [
        {"type": "object", "properties": {"low": {"type": "number"}, "mode": {"type": "number"}, "high": {"type": "number"}},
         "required": ["low", "high"], "additionalProperties": False},
        {"type": "object", "properties": {"values": {"type": "array", "items": {"type": "number"}, "minItems": 1, "maxItems": 1000},
                                          "weights": {"type": "array", "items": {"type": "number", "minimum": 0}}},
         "required": ["values"], "additionalProperties": False},
    ],
}


def json_schema(what: str) -> dict[str, Any]:
    """The JSON Schema of ``scenario`` files or ``recommendation`` output. In scenarios, every
    numeric indicator also accepts an uncertain figure (a range or a distribution)."""
    schema = SCHEMAS[what].model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    if what == "scenario":
        _allow_ranges(schema)
    return schema


def _allow_ranges(schema: dict[str, Any]) -> None:
    schema["$defs"]["UncertainFigure"] = RANGE_SCHEMA
    for path in UNCERTAIN_FIELDS:
        section, name = path.split(".")
        model = unwrap(Scenario.model_fields[section].annotation)
        prop = schema["$defs"][model.__name__]["properties"][name]
        prop.setdefault("anyOf", []).append({"$ref": "#/$defs/UncertainFigure"})


def scenario_template() -> str:
    """A commented starter scenario that validates as it is."""
    return files("scaleup").joinpath("templates/scenario.yaml").read_text(encoding="utf-8")
