"""Dependent fields follow the one that was set (scaleup.scenario.dependent, shared by flips, sampling, sweeps)."""

from __future__ import annotations

import copy

from scaleup.scenario.dependent import get, make_consistent, put
from scaleup.scenario.load import load_scenario

BASE = load_scenario("scenarios/cyclone-coastal.yaml").document.data


def _with(**values: object) -> dict:
    data = copy.deepcopy(BASE)
    for path, value in values.items():
        put(data, path.replace("__", "."), value)
    return data


def test_raising_people_in_need_above_affected_raises_affected_with_it():
    data = _with(populations__in_need=get(BASE, "populations.affected") + 1000)
    result = make_consistent(data, {"populations.in_need"})
    assert result.scenario is not None and result.problem is None
    assert [(a.field, a.new) for a in result.adjusted] == [("populations.affected", get(data, "populations.in_need"))]
    assert result.scenario.populations.affected == result.scenario.populations.in_need


def test_lowering_affected_below_people_in_need_lowers_people_in_need():
    low = get(BASE, "populations.in_need") - 1000
    result = make_consistent(_with(populations__affected=low), {"populations.affected"})
    assert result.scenario is not None
    assert ("populations.in_need", low) in [(a.field, a.new) for a in result.adjusted]


def test_two_set_fields_that_contradict_each_other_are_refused_with_the_reason():
    data = _with(populations__affected=1000, populations__in_need=2000)
    result = make_consistent(data, {"populations.affected", "populations.in_need"})
    assert result.scenario is None and result.adjusted == []
    assert result.problem.startswith("populations.in_need ") and "populations.affected" in result.problem


def test_an_invalid_value_is_refused_as_invalid():
    result = make_consistent(_with(populations__in_need=-5), {"populations.in_need"})
    assert result.scenario is None and result.problem.startswith("invalid (")


def test_a_consistent_change_moves_nothing_else():
    result = make_consistent(_with(populations__in_need=10), {"populations.in_need"})
    assert result.scenario is not None and result.adjusted == []
