"""Seeded random scenarios with realistic correlations, for benchmarks and load tests.

Each scenario is drawn from one of a few crisis archetypes (sudden natural disaster, conflict,
refugee influx, mixed displacement, epidemic, drought, protracted crisis) so the rule base sees
every route and decision. Figures are correlated the way real ones are: people in need are a share
of people affected, who are a share of the population; displacement and deaths scale with the
caseload; new displacement never exceeds displacement; malnutrition tracks food insecurity; about
one field in eight is missing, as in real assessments. Every scenario passes validation.

Usage:
    python benchmarks/generate.py 1000 --seed 7 > scenarios.jsonl
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from typing import Any, Iterator

ARCHETYPES = {   # name: (weight, hazards, onsets, conflict intensities)
    "disaster": (30, ["cyclone", "flood", "earthquake", "storm", "tsunami", "landslide"], ["sudden"], ["none", "none", "localized"]),
    "conflict": (20, ["conflict", "violence"], ["rapid_deterioration", "sudden", "stalled_response"], ["widespread", "active_hostilities", "localized"]),
    "refugee": (12, ["conflict"], ["sudden", "rapid_deterioration"], ["none"]),
    "mixed": (12, ["conflict", "violence"], ["rapid_deterioration", "sudden"], ["localized", "widespread"]),
    "epidemic": (8, ["epidemic"], ["sudden", "rapid_deterioration"], ["none", "localized"]),
    "drought": (10, ["drought"], ["gradual", "rapid_deterioration"], ["none", "localized"]),
    "protracted": (8, ["conflict", "drought", "economic"], ["protracted", "stalled_response"], ["localized", "widespread"]),
}
AS_OF = dt.date(2026, 3, 20)
SPREAD = ["one_district", "several_districts", "several_provinces", "nationwide", "multi_country"]


def _drop(rng: random.Random, section: dict[str, Any], keep: tuple[str, ...] = (), p: float = 0.12) -> dict[str, Any]:
    """Leave out fields at random (missing data), never those in ``keep``."""
    return {k: v for k, v in section.items() if k in keep or rng.random() > p}


def scenario(rng: random.Random, number: int) -> dict[str, Any]:
    """One random scenario document (plain data, ready for JSON)."""
    names = list(ARCHETYPES)
    kind = rng.choices(names, weights=[ARCHETYPES[n][0] for n in names])[0]
    _, hazards, onsets, intensities = ARCHETYPES[kind]
    population = int(10 ** rng.uniform(5.7, 8.3))
    affected = max(100, int(population * 10 ** rng.uniform(-3.3, -0.6)))
    in_need = int(affected * rng.uniform(0.3, 0.95))
    refugees = idps = 0
    if kind == "refugee":
        refugees = affected
    elif kind == "mixed":
        refugees, idps = int(affected * rng.uniform(0.05, 0.4)), int(affected * rng.uniform(0.05, 0.4))
    elif kind in ("conflict", "protracted"):
        idps = int(affected * rng.uniform(0.1, 0.6))
    elif kind == "disaster":
        idps = int(affected * rng.uniform(0.0, 0.3))
    types = [rng.choice(hazards)]
    if kind in ("disaster", "protracted") and rng.random() < 0.2:
        extra = rng.choice(["flood", "epidemic", "landslide"] if kind == "disaster" else ["flood", "economic"])
        if extra not in types and extra != "epidemic":
            types.append(extra)
    share = affected / population
    spread = SPREAD[min(4, int(share * 12) + rng.choice([0, 1]))] if rng.random() > 0.05 else "multi_country"
    gam = round(rng.uniform(2, 12) + (10 if kind in ("drought", "conflict") and rng.random() < 0.4 else 0), 1)
    ipc3 = round(rng.uniform(3, 35) + (20 if kind in ("drought", "protracted") else 0), 1)
    deaths = int(affected * 10 ** rng.uniform(-5, -2.2))
    doc: dict[str, Any] = {
        "id": f"gen-{number:06d}",
        "title": f"Generated {kind} scenario {number}",
        "as_of": AS_OF.isoformat(),
        "country": {"name": f"Country {number % 97}", "population": population},
        "hazard": {"types": types, "onset": rng.choice(onsets),
                   "started": (AS_OF - dt.timedelta(days=rng.randint(3, 400))).isoformat()},
        "populations": _drop(rng, {
            "affected": affected, "in_need": in_need, "idps": idps,
            "idps_new_30d": int(idps * rng.uniform(0, 0.6)), "refugees": refugees,
            "refugees_new_30d": int(refugees * rng.uniform(0, 0.7)),
            "non_displaced_affected": 0 if kind == "refugee" else affected - idps - refugees,
        }, keep=("refugees",) if kind in ("refugee", "mixed") else ()),
        "impact": _drop(rng, {"deaths": deaths, "deaths_30d": int(deaths * rng.uniform(0.1, 1)), "geographic_spread": spread}),
        "health_nutrition": _drop(rng, {"cmr": round(10 ** rng.uniform(-0.8, 0.6), 2), "cmr_baseline": round(rng.uniform(0.2, 0.5), 2),
                                        "gam_pct": gam, "sam_pct": round(gam * rng.uniform(0.1, 0.3), 1)}, p=0.3),
        "food_security": _drop(rng, {"ipc_phase3plus_pct": ipc3, "ipc_phase4plus_pct": round(ipc3 * rng.uniform(0, 0.4), 1),
                                     "famine_classified": rng.random() < 0.01}, p=0.3),
        "context": _drop(rng, {"conflict_intensity": rng.choice(intensities), "access_constraints": rng.randint(0, 5),
                               "countries_affected": 1 if rng.random() < 0.85 else rng.randint(2, 4),
                               "violence_against_aid": rng.randint(0, 3)}),
        "capacity": _drop(rng, {"inform_lcc": round(rng.uniform(2, 9), 1),
                                "government_request": rng.choice(["requested", "requested", "not_requested"]),
                                "rc_present": rng.random() < 0.9, "hc_designated": rng.random() < 0.4,
                                "unhcr_present": rng.random() < 0.7, "funding_coverage_pct": round(rng.uniform(5, 80), 1),
                                "people_reached": int(in_need * rng.uniform(0.05, 0.9))}),
        "risk": _drop(rng, {"aid_worker_incidents_90d": rng.randint(0, 30) if kind in ("conflict", "mixed") else 0,
                            "pipeline_break_weeks": round(rng.uniform(0, 8), 1)}, p=0.5),
    }
    if kind == "epidemic":
        doc["outbreak"] = {"disease": rng.choice(["cholera", "Ebola virus disease", "measles"]), 
                           "pheic": rng.random() < 0.2, "who_dg_recommends": rng.random() < 0.3}
    return doc


def scenarios(n: int, seed: int = 2026) -> Iterator[dict[str, Any]]:
    """``n`` scenarios from one seed (the same seed always gives the same scenarios)."""
    rng = random.Random(seed)
    for number in range(n):
        yield scenario(rng, number)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    for doc in scenarios(args.n, args.seed):
        sys.stdout.write(json.dumps(doc, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
