"""Values reach the engine exactly and are compared exactly (hardening items 6, 7, 8, 15, 16).

A float is never rounded before it is compared: the engine receives plain decimal text with
every digit ``repr`` needs, and both engines (durable_rules and :mod:`scaleup.pyeval`) agree
with Python's own comparison one ulp either side of every band edge of the shipped rule set.
"""

from __future__ import annotations

import json
import math
import operator

import pytest

from fuzz.outcome import cached_ruleset
from scaleup import pyeval
from scaleup.engine import engine_for
from scaleup.evaluate import evaluate
from scaleup.facts import Fact, engine_text, engine_value, float_text
from scaleup.rules.ir import Ref
from scaleup.scenario_load import parse_scenario
from scaleup.wording import fmt

PY = {"eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "gte": operator.ge, "lt": operator.lt,
      "lte": operator.le}

BASE = """id: values
title: Values
as_of: 2026-03-20
country: {name: Mozambara, population: 20000000}
hazard: {types: [flood], onset: sudden}
"""


def band_edges() -> list[tuple[str, float | int]]:
    """(field, edge) for every numeric edge of every band of the shipped rule set."""
    edges: set[tuple[str, float | int]] = set()
    for rule in cached_ruleset().rules:
        if rule.kind != "band":
            continue
        for p in rule.patterns:
            for t in p.tests:
                if t.field == "value" and not isinstance(t.value, (Ref, str)) and t.op in PY:
                    edges.add((rule.key.split("/")[1], t.value))
    return sorted(edges)


def expected_bands(field: str, x: float | int) -> set[str]:
    out = set()
    for rule in cached_ruleset().rules:
        if rule.kind == "band" and rule.key.split("/")[1] == field:
            tests = [t for p in rule.patterns for t in p.tests if t.field == "value"]
            if all(PY[t.op](x, t.value) for t in tests):
                out.add(rule.key)
    return out


def fired_bands(evaluation, field: str) -> set[str]:
    return {f.key for f in evaluation.firings if f.key.split("/")[1:2] == [field] and f.key.count("/") == 2}


EDGES = band_edges()


def test_the_shipped_rule_set_has_numeric_band_edges() -> None:
    assert len(EDGES) > 40


@pytest.mark.parametrize("field, edge", EDGES, ids=[f"{f}@{e}" for f, e in EDGES])
def test_one_ulp_either_side_of_every_band_edge_both_engines_agree_with_python(field: str, edge: float) -> None:
    engine = engine_for(cached_ruleset())
    for x in (math.nextafter(edge, -math.inf), edge, math.nextafter(edge, math.inf)):
        value = engine_value(x)
        assert value == x                      # nothing rounded on the way
        facts = [Fact("i1", "indicator", {"field": field, "value": value}, "")]
        want = expected_bands(field, x)
        assert fired_bands(engine.evaluate(facts), field) == want, (field, x)
        assert fired_bands(pyeval.run(cached_ruleset(), facts), field) == want, (field, x)


def test_a_value_just_below_a_band_edge_scores_below_it_and_is_shown_as_written() -> None:
    # inform_lcc band [3.5, 5) is level 3; rounding 4.99996 to 4 decimals made it 5 (level 4)
    rec = evaluate(parse_scenario(BASE + "capacity: {inform_lcc: 4.99996}\n", "values.yaml"), cached_ruleset())
    signal = [s for c in rec.criteria for s in c.signals if s.field == "capacity.inform_lcc"][0]
    assert (signal.value, signal.level) == (4.99996, 3)
    assert fmt(4.99996) == "4.99996" and fmt(4.9999999) == "4.9999999" and fmt(5.967741935483871) == "5.9677"


@pytest.mark.parametrize("value, text", [
    (1e-05, "0.00001"), (-1.5e-07, "-0.00000015"), (4.99996, "4.99996"), (0.1, "0.1"),
    (4.999999999999999, "4.999999999999999"), (123456789012.5, "123456789012.5"), (5e-324, None),
])
def test_floats_are_written_in_plain_decimals_that_read_back_exactly(value: float, text: str | None) -> None:
    written = float_text(value)
    assert "e" not in written and float(written) == value and json.loads(engine_text(value)) == value
    assert text is None or written == text
