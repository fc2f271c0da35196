"""The situation classes the completeness check crosses with every combination of criterion
levels, each as the few input facts that make it what it is.

Which facts determine the class was read off the rule base's situation, scope and route rules:
the population mix (``populations.refugees``, ``populations.idps``,
``populations.non_displaced_affected``), what drives the crisis (``hazard.types``,
``context.conflict_intensity``), the outbreak fields of the infectious-disease variant, and the
onset, which decides the scope. Each class is a minimal scenario run through the ordinary
scenario loader, so derived indicators (``hazard.count``...) are there as in a real file. The
classes feed only the rules downstream of the criteria (the criteria themselves are injected),
so their numbers never move a criterion level.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from ..errors import Problem, ScenarioError
from ..facts import Fact, Scalar
from ..vocabulary import CRITERIA
from ..scenario.fields import CATALOGUE
from ..scenario.load import LoadedScenario, parse_scenario

LEVELS: tuple[Optional[int], ...] = (1, 2, 3, 4, 5, None)   # None: insufficient evidence
IN_SCOPE_ONSET = "sudden"
AS_OF = "2026-01-01"


@dataclass(frozen=True)
class Situation:
    """A route-determining class of situations.

    Attributes:
        name: short id used in reports.
        title: what it stands for.
        data: the scenario sections that make the class (merged into a minimal scenario, so the
            facts, derived indicators included, are exactly those a scenario file would give).
    """

    name: str
    title: str
    data: Mapping[str, Any]


SITUATIONS: tuple[Situation, ...] = (
    Situation("refugee-only", "Refugees arrive in a country at peace; no IDPs, no other affected people", {
        "hazard": {"types": ["conflict"]}, "context": {"conflict_intensity": "none"},
        "populations": {"affected": 150000, "refugees": 150000, "idps": 0, "non_displaced_affected": 0}}),
    Situation("idp-conflict", "Conflict displaces people inside the country; no refugees", {
        "hazard": {"types": ["conflict"]}, "context": {"conflict_intensity": "widespread"},
        "populations": {"affected": 1000000, "refugees": 0, "idps": 400000, "non_displaced_affected": 600000}}),
    Situation("idp-disaster", "A natural hazard displaces people inside the country; no refugees", {
        "hazard": {"types": ["cyclone"]}, "context": {"conflict_intensity": "none"},
        "populations": {"affected": 1000000, "refugees": 0, "idps": 400000, "non_displaced_affected": 600000}}),
    Situation("mixed", "Refugees and IDPs in the same crisis", {
        "hazard": {"types": ["conflict"]}, "context": {"conflict_intensity": "widespread"},
        "populations": {"affected": 850000, "refugees": 150000, "idps": 400000, "non_displaced_affected": 300000}}),
    Situation("infectious-disease", "An epidemic, graded and declared by WHO, whose Director-General recommends a Scale-Up", {
        "hazard": {"types": ["epidemic"]}, "context": {"conflict_intensity": "none"},
        "populations": {"affected": 2000000, "refugees": 0, "idps": 0, "non_displaced_affected": 2000000},
        "outbreak": {"disease": "a novel fever", "pheic": True, "who_dg_recommends": True}}),
    Situation("none", "No population figures and no conflict: nothing but the hazard and its onset", {
        "hazard": {"types": ["other"]}}),
)

# Classes that matter to the consistency invariants only (the cluster needs of INV04): with and
# without displacement, homes destroyed, conflict, and sectoral needs. ``rules check`` crosses the
# invariants with SITUATIONS + NEED_SITUATIONS; completeness with SITUATIONS alone.
NEED_SITUATIONS: tuple[Situation, ...] = (
    Situation("disaster-in-place", "A flood affects people in their homes: no displacement, no homes destroyed, no conflict", {
        "hazard": {"types": ["flood"]}, "context": {"conflict_intensity": "none"},
        "populations": {"affected": 800000, "refugees": 0, "idps": 0, "non_displaced_affected": 800000},
        "impact": {"houses_destroyed": 0}}),
    Situation("houses-destroyed", "An earthquake destroys homes but nobody is counted as displaced; no conflict", {
        "hazard": {"types": ["earthquake"]}, "context": {"conflict_intensity": "none"},
        "populations": {"affected": 800000, "refugees": 0, "idps": 0, "non_displaced_affected": 800000},
        "impact": {"houses_destroyed": 60000}}),
    Situation("conflict-in-place", "Widespread conflict with no displacement and no homes destroyed", {
        "hazard": {"types": ["conflict"]}, "context": {"conflict_intensity": "widespread"},
        "populations": {"affected": 800000, "refugees": 0, "idps": 0, "non_displaced_affected": 800000}}),
    Situation("idp-disaster-sector-needs", "A cyclone displaces people, with every sectoral need (mortality, "
              "malnutrition, IPC 3+, access, telecoms, schools, homes destroyed)", {
        "hazard": {"types": ["cyclone"]}, "context": {"conflict_intensity": "none", "access_constraints": 4},
        "populations": {"affected": 1000000, "refugees": 0, "idps": 400000, "non_displaced_affected": 600000},
        "impact": {"houses_destroyed": 60000, "telecoms_disrupted": True, "schools_disrupted": True},
        "health_nutrition": {"cmr": 2.5, "cmr_baseline": 0.5, "u5mr": 4, "gam_pct": 18},
        "food_security": {"ipc_phase3plus_pct": 35}}),
)
INVARIANT_SITUATIONS = SITUATIONS + NEED_SITUATIONS


def onsets() -> tuple[str, ...]:
    """Every value of ``hazard.onset`` (the scope sweep crosses the classes with each)."""
    return CATALOGUE["hazard.onset"].values


def scenario_of(situation: Situation, onset: str = IN_SCOPE_ONSET) -> LoadedScenario:
    """The minimal valid scenario of a class with an onset.

    Raises:
        ScenarioError: if the class no longer fits the scenario schema.
    """
    data: dict[str, Any] = {"id": f"class-{situation.name}", "title": situation.title, "as_of": AS_OF,
                            "country": {"name": "Assurance", "population": 20000000}}
    for section, fields in situation.data.items():
        data[section] = dict(fields)
    data["hazard"] = {**data.get("hazard", {}), "onset": onset}
    return parse_scenario(json.dumps(data), f"situation:{situation.name}", fmt="json")


_FACTS: dict[tuple[str, str, str], tuple[Fact, ...]] = {}


def situation_facts(situation: Situation, onset: str = IN_SCOPE_ONSET) -> list[Fact]:
    """The input facts of a class with an onset, as a scenario file would give them."""
    key = (situation.name, json.dumps(situation.data, sort_keys=True), onset)
    if key not in _FACTS:
        _FACTS[key] = tuple(scenario_of(situation, onset).facts())
    return list(_FACTS[key])


def criterion_fact(name: str, level: Optional[int], n: int) -> Fact:
    fields: dict[str, Scalar] = ({"name": name, "evidence": "insufficient"} if level is None
                                 else {"name": name, "evidence": "scored", "level": level})
    return Fact(f"c{n}", "criterion", fields, f"combination:{name}")


def criteria_facts(levels: tuple[Optional[int], ...]) -> list[Fact]:
    return [criterion_fact(name, level, n) for n, (name, level) in enumerate(zip(CRITERIA, levels), start=1)]


def level_label(level: Optional[int]) -> str:
    return "insufficient" if level is None else str(level)


def situation_problems() -> list[Problem]:
    """Classes that no longer fit the scenario schema (so the check says so rather than crash)."""
    out: list[Problem] = []
    for situation in INVARIANT_SITUATIONS:
        try:
            scenario_of(situation)
        except ScenarioError as exc:
            out.extend(Problem(__name__, None, situation.name, f"situation class: {p.message}",
                               "update the class in scaleup/assurance/situations.py to the scenario schema")
                       for p in exc.problems)
    return out
