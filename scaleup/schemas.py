"""Published schemas and the scenario template."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from .exercise.model import Exercise
from .recommendation.model import Recommendation
from .scenario.model import Scenario

SCHEMAS = {"scenario": Scenario, "recommendation": Recommendation, "exercise": Exercise}


def json_schema(what: str) -> dict[str, Any]:
    """The JSON Schema of ``scenario`` files or ``recommendation`` output."""
    schema = SCHEMAS[what].model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def scenario_template() -> str:
    """A commented starter scenario that validates as it is."""
    return files("scaleup").joinpath("templates/scenario.yaml").read_text(encoding="utf-8")
