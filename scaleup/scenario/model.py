"""Scenario files: the pydantic models of a crisis scenario, and its conversion to facts.

Every model is frozen and forbids unknown keys. Numbers are strict: a string where a number
belongs is an error, never a silent lexicographic comparison in the engine. Every numeric
indicator is optional; a criterion with no data is "insufficient evidence", never level 1.

Field metadata (``unit``) feeds the field catalogue in ``docs/scenario.md`` and the scenario
template. Loading, located errors and the YAML rules live in :mod:`scaleup.scenario.load`.

Longer than 300 lines because it is the scenario schema: one model per section, and the cross-field
checks that read several of them.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Callable, Iterator, Literal, Optional, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictStr
from pydantic_core import PydanticUseDefault

from ..vocabulary import CRITERIA, DECISIONS, ROUTES, VARIANTS


def _number(value: Any) -> Any:
    """Accept int/float only (not bool, not numeric strings); reject NaN and infinities."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {_describe(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("expected a finite number, got an infinite or NaN value")
    return value


def _whole(value: Any) -> Any:
    """Accept whole numbers; an integral float such as ``1e6`` is taken as the int it means."""
    value = _number(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"expected a whole number, got {value}")
        value = int(value)
    return value


def _optional(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Before-validator of an optional constrained number: null (or an empty value) means "not
    given". Without it pydantic applies ge/le to None and raises TypeError, not a located error."""
    def validate(value: Any) -> Any:
        if value is None:
            raise PydanticUseDefault()
        return check(value)
    return validate


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if value is None:
        return "nothing (null)"
    return f"a {type(value).__name__}"


def Count(doc: str, unit: str = "people", le: int = 10_000_000_000) -> Any:
    return Annotated[Optional[int], BeforeValidator(_optional(_whole)),
                     Field(default=None, ge=0, le=le, description=doc,
                           json_schema_extra={"unit": unit})]


def Number(doc: str, unit: str, ge: float = 0, le: float = 1e9) -> Any:
    return Annotated[Optional[float], BeforeValidator(_optional(_number)),
                     Field(default=None, ge=ge, le=le, description=doc,
                           json_schema_extra={"unit": unit})]


def Share(doc: str) -> Any:
    return Number(doc, "percent", 0, 100)


def Flag(doc: str) -> Any:
    return Annotated[Optional[StrictBool], Field(default=None, description=doc,
                                                 json_schema_extra={"unit": "true/false"})]


def Choice(doc: str, *values: str) -> Any:
    return Annotated[Optional[Literal[values]], Field(default=None, description=doc,
                                                      json_schema_extra={"unit": "one of"})]


Text = Annotated[StrictStr, Field(min_length=1, max_length=200)]
Slug = Annotated[StrictStr, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")]

RISK_LEVELS = ("low", "moderate", "high", "very_high")
HAZARDS = ("cyclone", "flood", "earthquake", "tsunami", "drought", "storm", "landslide",
           "volcano", "wildfire", "extreme_temperature", "conflict", "violence", "epidemic",
           "technological", "economic", "other")


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Country(Model):
    name: Text = Field(description="Country name (fictional names welcome)")
    iso3: Optional[Annotated[StrictStr, Field(pattern=r"^[A-Z]{3}$")]] = Field(
        default=None, description="ISO 3166 alpha-3 code (quote it: iso3: \"NOR\")")
    population: Annotated[Optional[int], BeforeValidator(_optional(_whole)), Field(ge=1, le=2_000_000_000)] = Field(
        default=None, description="National population (shares of the population need it; without it "
        "only absolute numbers are scored)", json_schema_extra={"unit": "people"})
    area: Optional[Text] = Field(default=None, description="The sub-national area the analysis covers "
                                 "(Protocol 1 allows a sub-national Scale-Up); leave out for the whole country")
    area_population: Annotated[Optional[int], BeforeValidator(_optional(_whole)), Field(ge=1, le=2_000_000_000)] = Field(
        default=None, description="Population of the affected area (the area's own share of people in need "
        "is computed against it)", json_schema_extra={"unit": "people"})


class Hazard(Model):
    types: Annotated[list[Literal[HAZARDS]], Field(min_length=1, max_length=8)] = Field(
        description="Hazards driving the crisis, most important first")
    onset: Literal["sudden", "rapid_deterioration", "gradual", "protracted", "stalled_response"] = Field(
        description="How the crisis arrived: sudden onset, rapid deterioration of an existing "
                    "crisis, gradual, steady protracted, or a protracted crisis whose response stalled")
    trend: Choice("Direction over the last 30 days", "improving", "stable", "deteriorating",
                  "sharply_deteriorating", "collapse")
    started: Optional[dt.date] = Field(default=None, description="Date the crisis began or sharply deteriorated")
    displacement_expected: Flag("Large new displacement is expected soon (an emergency is likely but has not yet occurred)")


class Populations(Model):
    affected: Count("People affected, including the displaced")
    in_need: Count("People in need of humanitarian assistance in the country (refugees' needs belong to the "
                   "refugee response plan and are left out where a source separates them)")
    targeted: Count("People the response plans to reach (people targeted)")
    idps: Count("Internally displaced people")
    idps_new_30d: Count("People newly internally displaced in the last 30 days")
    refugees: Count("Refugees and asylum-seekers hosted in the country")
    refugees_new_30d: Count("Refugees and asylum-seekers who arrived in the last 30 days")
    refugees_abroad: Count("Refugees and asylum-seekers from this country hosted in other countries "
                           "(they are in the refugee response, not in this country's caseload)")
    returnees: Count("Returnees")
    non_displaced_affected: Count("Affected people who are neither displaced nor refugees, "
                                  "excluding communities hosting refugees")
    refugee_idp_colocated: Flag("Refugees and IDPs live in the same areas (Joint Note same-area arrangement)")


class Impact(Model):
    deaths: Count("Deaths attributed to the crisis so far", unit="deaths")
    deaths_30d: Count("Deaths attributed to the crisis in the last 30 days", unit="deaths")
    geographic_spread: Choice("How far the crisis extends", "one_district", "several_districts",
                              "several_provinces", "nationwide", "multi_country")
    houses_destroyed: Count("Houses destroyed or damaged beyond repair", unit="houses")
    health_facilities_damaged: Count("Health facilities damaged or destroyed", unit="facilities", le=1_000_000)
    telecoms_disrupted: Flag("Telecommunication networks are down or disrupted in the affected areas")
    schools_disrupted: Flag("Schooling is disrupted for many children (schools damaged, closed or used as shelters)")


class HealthNutrition(Model):
    cmr: Number("Crude mortality rate", "deaths/10,000/day", 0, 1000)
    cmr_baseline: Number("Pre-crisis crude mortality rate", "deaths/10,000/day", 0, 1000)
    u5mr: Number("Under-five mortality rate", "deaths/10,000 children/day", 0, 1000)
    gam_pct: Share("Global acute malnutrition, children 6-59 months")
    sam_pct: Share("Severe acute malnutrition, children 6-59 months")


class FoodSecurity(Model):
    ipc_phase3plus_pct: Share("Population in IPC Phase 3 or worse")
    ipc_phase4plus_pct: Share("Population in IPC Phase 4 or worse")
    ipc_phase5_population: Count("People in IPC Phase 5 (catastrophe)")
    ipc_phase3plus_population: Count("People in IPC Phase 3 or worse")
    famine_classified: Flag("Famine (IPC Phase 5 area classification) classified")
    famine_projected: Flag("Famine projected by the IPC")


class Context(Model):
    conflict_intensity: Choice("Armed conflict in the affected areas", "none", "localized",
                               "widespread", "active_hostilities")
    access_constraints: Annotated[Optional[int], BeforeValidator(_optional(_whole)),
                                  Field(default=None, ge=0, le=5, json_schema_extra={"unit": "ACAPS 0-5"},
                                        description="Humanitarian access constraints, ACAPS scale 0 (none) to 5 (extreme)")]
    armed_actors: Count("Armed groups active in the affected areas", unit="groups", le=1000)
    authority_context: Choice("The authorities in the affected areas", "recognised", "contested",
                              "de_facto", "party_to_conflict")
    countries_affected: Count("Countries affected by the same crisis (with IDPs or other affected people; "
                              "countries that only host refugees are counted in host_countries)", unit="countries", le=200)
    host_countries: Count("Other countries hosting refugees from this crisis", unit="countries", le=200)
    violence_against_aid: Annotated[Optional[int], BeforeValidator(_optional(_whole)),
                                    Field(default=None, ge=0, le=3, json_schema_extra={"unit": "ACAPS 0-3"},
                                          description="ACAPS violence against personnel and assets, 0-3")]


class Capacity(Model):
    inform_lcc: Number("INFORM Lack of Coping Capacity", "index 0-10", 0, 10)
    capacity_tier: Choice("Level at which national capacity copes", "district", "province",
                          "national", "national_needs_international", "overwhelmed")
    government_request: Choice("Government request for international assistance: requested; "
                               "not_requested (not yet asked, no evidence either way); declined (the "
                               "government says it copes without international help); refused (it "
                               "denies consent or access)", "requested", "not_requested", "declined", "refused")
    government_leads_sectors: Flag("National authorities lead the response sectors themselves (a sign of coping capacity)")
    rc_present: Flag("A UN Resident Coordinator is in the country")
    hc_designated: Flag("A Humanitarian Coordinator is already designated")
    hct_present: Flag("A Humanitarian Country Team exists")
    clusters_active: Flag("Clusters are already activated")
    unhcr_present: Flag("UNHCR is present in the country")
    unhcr_protection_lead_requested: Flag("The government asked UNHCR to lead protection")
    protection_lead_agreed: Flag("Agencies agreed that UNHCR leads protection")
    lead_deliverer: Optional[Text] = Field(default=None, description="The agency or NGO that delivers most of the aid, if one does")
    lead_deliverer_share_pct: Share("Share of the aid delivered by that agency or NGO")
    operational_partners: Count("Operational partners present", unit="organisations", le=100_000)
    people_reached: Count("People reached by the response so far")
    funding_coverage_pct: Share("Appeal funding coverage")
    appeal_usd: Count("Appeal requirement", unit="USD", le=1_000_000_000_000)
    flash_appeal_date: Optional[dt.date] = Field(default=None, description="Date a Flash Appeal was issued, if one was")


class Risk(Model):
    aid_worker_deaths_12m: Count("Aid workers killed in the last 12 months", unit="deaths", le=100_000)
    aid_worker_incidents_90d: Count("Aid workers killed, injured or kidnapped in the last 90 days", unit="incidents", le=100_000)
    pipeline_break_weeks: Number("Longest expected break in a core supply pipeline", "weeks", 0, 520)
    movement_restrictions: Annotated[Optional[int], BeforeValidator(_optional(_whole)),
                                     Field(default=None, ge=0, le=3, json_schema_extra={"unit": "ACAPS 0-3"},
                                           description="ACAPS restrictions on movement of people and goods, 0-3")]
    capacity_gap_growing: Flag("People in need grow faster than people reached")
    leadership_gap: Flag("No empowered leadership or coordination capacity in place")


class Who(Model):
    """WHO's own assessments, for any hazard (inputs; never triggers by themselves)."""

    grade: Annotated[Optional[int], BeforeValidator(_optional(_whole)),
                     Field(default=None, ge=1, le=3, json_schema_extra={"unit": "grade 1-3"},
                           description="WHO emergency grade (WHO's internal activation)")]
    corporate_emergency: Flag("WHO declared an internal corporate emergency")
    risk_national: Choice("WHO risk assessment at national level", *RISK_LEVELS)
    risk_regional: Choice("WHO risk assessment at regional level", *RISK_LEVELS)
    risk_global: Choice("WHO risk assessment at global level", *RISK_LEVELS)


class Outbreak(Model):
    disease: Text = Field(description="Disease")
    cases: Count("Cases reported so far (suspected, probable and confirmed)", unit="cases")
    pheic: Flag("A Public Health Emergency of International Concern is declared (an input, never a trigger)")
    who_dg_recommends: Flag("The WHO Director-General recommends an IASC Scale-Up")
    population_at_risk_pct: Number("Share of the population at risk", "percent", 0, 100)
    cfr_pct: Share("Case fatality ratio")


class Extension(Model):
    date: dt.date = Field(description="Date the extension was decided")
    months: Annotated[float, BeforeValidator(_number), Field(gt=0, le=60)] = Field(
        description="Length of the extension", json_schema_extra={"unit": "months"})


class TransitionPlan(Model):
    leadership_after: Flag("The plan says how leadership changes at the end")
    coordination_continuity: Flag("The plan says how core coordination continues, with national/local systems")
    reporting_lines: Flag("The plan says who reports to whom afterwards")


class Activation(Model):
    date: dt.date = Field(description="Date the ERC activated the Scale-Up")
    extensions: Annotated[list[Extension], Field(max_length=10)] = Field(default_factory=list)
    transition_plan: Optional[TransitionPlan] = None
    opr_done: Flag("The Operational Peer Review has taken place")


# Literal types built from the vocabulary (pydantic reads them; mypy cannot check a computed Literal)
DecisionValue = Literal[DECISIONS]
RouteValue = Literal[ROUTES]


class Expect(Model):
    """Expectations that make a scenario file a test case.

    ``scale_up`` and ``route`` take one value or a list of acceptable values (a historical
    record that says only "not activated" accepts both ``consider`` and ``not_recommended``).
    ``disagreement`` documents a known disagreement with ``scale_up``/``route`` (the rule base's
    view against the record): the check then requires that they *do* disagree, so a note that
    no longer holds fails.
    """

    scale_up: Optional[Union[DecisionValue, Annotated[list[DecisionValue], Field(min_length=1, max_length=5)]]] = None
    route: Optional[Union[RouteValue, Annotated[list[RouteValue], Field(min_length=1, max_length=4)]]] = None
    disagreement: Optional[Annotated[StrictStr, Field(min_length=1, max_length=2000)]] = None
    variant: Optional[Literal[VARIANTS + ("none",)]] = None
    criteria: Optional[dict[Literal[CRITERIA],
                            Optional[Annotated[int, Field(ge=1, le=5)]]]] = None
    leads: Optional[dict[Annotated[StrictStr, Field(max_length=60)], Text]] = None
    clusters: Optional[dict[Annotated[StrictStr, Field(max_length=60)], Text]] = None
    no_clusters: Optional[StrictBool] = None
    unhcr_level: Optional[Annotated[int, Field(ge=0, le=3)]] = None
    flags: Optional[list[Annotated[StrictStr, Field(max_length=80)]]] = None
    plans: Optional[list[Annotated[StrictStr, Field(max_length=80)]]] = None
    fired: Optional[list[Annotated[StrictStr, Field(max_length=120)]]] = None


class Scenario(Model):
    """A crisis scenario. ``source`` is filled in by the loader, never by the file."""

    id: Slug = Field(description="Identifier: lowercase letters, digits and dashes; unique in a batch")
    kind: Literal["scenario"] = "scenario"
    title: Text = Field(description="One line describing the crisis")
    description: Optional[Annotated[StrictStr, Field(max_length=4000)]] = None
    as_of: dt.date = Field(description="The date the analysis is made")
    country: Country
    hazard: Hazard
    populations: Populations = Populations()
    impact: Impact = Impact()
    health_nutrition: HealthNutrition = HealthNutrition()
    food_security: FoodSecurity = FoodSecurity()
    context: Context = Context()
    capacity: Capacity = Capacity()
    risk: Risk = Risk()
    outbreak: Optional[Outbreak] = None
    who: Who = Who()
    activation: Optional[Activation] = None
    sources: Optional[Annotated[dict[Annotated[StrictStr, Field(max_length=120)],
                                     Union[Annotated[StrictStr, Field(max_length=500)],
                                           Annotated[list[Annotated[StrictStr, Field(max_length=500)]], Field(max_length=10)]]],
                                Field(max_length=200)]] = Field(
        default=None, description="Where each figure comes from: a dotted field path (or expect.scale_up, "
        "expect.route) -> a source URL or a list of them")
    expect: Optional[Expect] = None


# Dates a scenario may hold: far enough on either side of any real analysis, and far enough from
# year 9999 that milestone arithmetic (up to 100 years of months and days) cannot overflow.
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)


def date_problems(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Yield ``(field path, message)`` for every date of ``value`` (a model, a list, a date)
    outside ``DATE_MIN`` .. ``DATE_MAX``."""
    if isinstance(value, dt.date):
        if not DATE_MIN <= value <= DATE_MAX:
            yield path, (f"{value.isoformat()} is outside the dates scaleup accepts "
                         f"({DATE_MIN.isoformat()} to {DATE_MAX.isoformat()})")
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from date_problems(getattr(value, name), f"{path}.{name}" if path else name)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from date_problems(item, f"{path}[{i}]")


CROSS_FIELD_HINT = "check both figures; they must be consistent"
DATE_HINT = f"give a date from {DATE_MIN.isoformat()} to {DATE_MAX.isoformat()}"


def cross_field_hint(message: str) -> str:
    """The hint for a message of :func:`cross_field_problems`: a date out of range is not a
    pair of figures to reconcile."""
    return DATE_HINT if message.endswith(f"({DATE_MIN.isoformat()} to {DATE_MAX.isoformat()})") else CROSS_FIELD_HINT


def plausibility_problems(s: Scenario) -> Iterator[tuple[str, str]]:
    """Figures that cannot describe the same crisis, though each is within its own range: more
    destroyed houses than affected people (a house shelters at least one person), more deaths
    than affected people, and counts of people in the country larger than its population
    (``country.population`` is optional; without it these are not checked)."""
    p, impact, pop = s.populations, s.impact, s.country.population
    if impact.houses_destroyed is not None:
        if p.affected is not None and impact.houses_destroyed > p.affected:
            yield "impact.houses_destroyed", (f"{impact.houses_destroyed:,} destroyed houses is more than one per "
                                              f"affected person (populations.affected: {p.affected:,})")
        elif pop is not None and impact.houses_destroyed > pop:
            yield "impact.houses_destroyed", (f"{impact.houses_destroyed:,} destroyed houses is more than one per "
                                              f"inhabitant (country.population: {pop:,})")
    if impact.deaths is not None and p.affected is not None and impact.deaths > p.affected:
        yield "impact.deaths", f"{impact.deaths:,} deaths is more than populations.affected ({p.affected:,})"
    if pop is not None:
        for path, value in (("populations.in_need", p.in_need), ("populations.targeted", p.targeted),
                            ("populations.idps", p.idps),
                            ("food_security.ipc_phase3plus_population", s.food_security.ipc_phase3plus_population)):
            if value is not None and value > pop:
                yield path, f"{value:,} is more than the country's population ({pop:,})"


def cross_field_problems(s: Scenario) -> Iterator[tuple[str, str]]:
    """Yield ``(field path, message)`` for every cross-field inconsistency (and implausible date)."""
    yield from date_problems(s)
    p, pop = s.populations, s.country.population

    def over(path: str, value: Optional[float], limit: Optional[float], what: str) -> Iterator[tuple[str, str]]:
        if value is not None and limit is not None and value > limit:
            yield path, f"{value:,} is more than {what} ({limit:,})"

    yield from over("populations.affected", p.affected, pop, "the country's population")
    yield from over("populations.in_need", p.in_need, p.affected, "populations.affected")
    yield from over("populations.idps", p.idps, p.affected, "populations.affected")
    yield from over("populations.refugees", p.refugees, p.affected, "populations.affected")
    yield from over("populations.idps_new_30d", p.idps_new_30d, p.idps, "populations.idps")
    yield from over("populations.refugees_new_30d", p.refugees_new_30d, p.refugees, "populations.refugees")
    yield from over("populations.non_displaced_affected", p.non_displaced_affected, p.affected, "populations.affected")
    yield from over("impact.deaths_30d", s.impact.deaths_30d, s.impact.deaths, "impact.deaths")
    yield from over("impact.deaths", s.impact.deaths, pop, "the country's population")
    yield from over("food_security.ipc_phase4plus_pct", s.food_security.ipc_phase4plus_pct,
                    s.food_security.ipc_phase3plus_pct, "food_security.ipc_phase3plus_pct")
    yield from over("food_security.ipc_phase5_population", s.food_security.ipc_phase5_population, pop,
                    "the country's population")
    yield from over("health_nutrition.sam_pct", s.health_nutrition.sam_pct, s.health_nutrition.gam_pct,
                    "health_nutrition.gam_pct")
    yield from over("capacity.people_reached", s.capacity.people_reached, p.affected, "populations.affected")
    baseline = s.health_nutrition.cmr_baseline
    if baseline is not None and 0 < baseline < 0.0001:
        # cmr / cmr_baseline is an engine fact: a vanishing baseline makes it astronomically large
        yield "health_nutrition.cmr_baseline", (f"{baseline} is below 0.0001 deaths/10,000/day, too small "
                                                "to compare mortality with (leave it out if it is unknown)")
    yield from plausibility_problems(s)
    if len(set(s.hazard.types)) != len(s.hazard.types):
        yield "hazard.types", "lists the same hazard twice"
    if s.context.countries_affected == 0:
        yield "context.countries_affected", "must be at least 1 (the country itself)"
    if s.hazard.started and s.hazard.started > s.as_of:
        yield "hazard.started", f"{s.hazard.started} is after as_of ({s.as_of})"
    if s.activation:
        a = s.activation
        if a.date > s.as_of:
            yield "activation.date", f"{a.date} is after as_of ({s.as_of})"
        for i, ext in enumerate(a.extensions):
            if ext.date < a.date:
                yield f"activation.extensions[{i}].date", f"{ext.date} is before the activation ({a.date})"
            if ext.date > s.as_of:
                yield f"activation.extensions[{i}].date", f"{ext.date} is after as_of ({s.as_of})"
    if "epidemic" in s.hazard.types and s.outbreak is None:
        yield "outbreak", "hazard.types includes epidemic, so an outbreak section is required"
    if s.outbreak is not None and "epidemic" not in s.hazard.types:
        yield "hazard.types", "an outbreak section is given, so hazard.types must include epidemic"
