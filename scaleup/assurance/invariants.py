"""Consistency invariants: what any recommendation must satisfy, whatever the rules say.

The invariants relate the outputs of one evaluation to each other and to its inputs: the
decision, the route, the clusters with their leads, the leadership roles, and the scenario's
indicator facts. They are data: the implications (INV01-INV03) in :data:`IMPLICATIONS`, the
need of each cluster (INV04) in :data:`NEEDS`; INV05 is the one-lead-per-cluster slot.
:func:`check_evaluation` checks one evaluation against all of them and returns a
:class:`Breach` for each violation, naming the facts involved and the rules that asserted them.
``scaleup rules check`` runs it over its enumeration (:mod:`.consistency`); a property test
runs it on generated scenarios. See docs/assurance.md, "Consistency invariants".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

from ..engine.audit import Evaluation
from ..facts import Fact, Scalar
from ..engine.pyeval import compare

# Roles that belong to the IASC system (a Humanitarian Coordinator, designated or empowered).
HC_ROLES = frozenset({"humanitarian_coordinator", "empowered_leadership"})
CLUSTER_ROUTES = frozenset({"iasc_clusters", "mixed_joint_note"})
# Where clusters are warranted but no need in the scenario names one, the rule base says the
# RC/HC proposes them from a needs assessment (lead role cluster_proposal): cluster coordination
# still comes with the recommendation, INV01 holds.
PROPOSAL_ROLE = "cluster_proposal"


@dataclass(frozen=True)
class Implication:
    """When an output has a value, what else must (or must not) be in the evaluation.

    Attributes:
        code: the stable code of the invariant (``INV01``...).
        when: (fact type, value): ``("decision", "recommend")`` or ``("route", "national_led")``.
        decisions: the decisions allowed (None: any).
        routes: the routes allowed (None: any).
        clusters: ``"some"`` (at least one activated cluster, each with its lead, or the RC/HC's
            cluster proposal when no need names a cluster), ``"none"`` (no cluster), or None.
        forbidden_roles: lead roles that must not be asserted.
        meaning: the invariant in words; ``basis``: where it comes from.
    """

    code: str
    when: tuple[str, str]
    decisions: Optional[frozenset[str]]
    routes: Optional[frozenset[str]]
    clusters: Optional[str]
    forbidden_roles: frozenset[str]
    meaning: str
    basis: str


IMPLICATIONS: tuple[Implication, ...] = (
    Implication("INV01", ("decision", "recommend"), None, CLUSTER_ROUTES, "some", frozenset(),
                "a recommended Scale-Up is coordinated through clusters (route iasc_clusters or "
                "mixed_joint_note) with at least one activated cluster, each with its lead agency (or, when "
                "the scenario names no need, the RC/HC's cluster proposal)",
                "a Scale-Up deploys cluster coordination (UNHCR Emergency Handbook, IASC Scale-Up)"),
    Implication("INV02", ("route", "national_led"), None, None, "none", frozenset({"empowered_leadership"}),
                "government-led coordination has no activated cluster and no empowered Humanitarian Coordinator",
                "national_led means the cluster activation test is not met and no clusters are active"),
    Implication("INV03", ("route", "refugee_rcm"), frozenset({"not_applicable"}), None, "none", HC_ROLES,
                "a refugee-only situation under the Refugee Coordination Model is out of scope of the Scale-Up "
                "(decision not_applicable), with no cluster and no Humanitarian Coordinator",
                "the Refugee Coordination Model (UNHCR): no clusters, no HC; the ERC cannot declare a refugee "
                "emergency"),
)


_OPS = {">": "gt", ">=": "gte", "=": "eq", "in": "in"}


@dataclass(frozen=True)
class Test:
    """One input test: some indicator fact of ``field`` has ``value <op> operand``."""

    field: str
    op: str
    operand: object

    def holds(self, indicators: dict[str, list[Scalar]]) -> bool:
        return any(compare(self.op, v, self.operand) for v in indicators.get(self.field, ()))


@dataclass(frozen=True)
class Need:
    """What shows a need for one cluster: alternatives written ``field op value [and ...]``.

    ``op`` is ``>``, ``>=``, ``=`` or ``in`` (a comma-separated list); a value is a number or a
    word (booleans are ``true``/``false``, as the engine holds them). The need is met when all
    the tests of at least one alternative hold on the evaluation's indicator facts.
    """

    alternatives: tuple[str, ...]
    reason: str
    tests: tuple[tuple[Test, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tests", tuple(tuple(_parse(part) for part in alt.split(" and "))
                                                for alt in self.alternatives))

    def met(self, indicators: dict[str, list[Scalar]]) -> bool:
        return any(all(t.holds(indicators) for t in alt) for alt in self.tests)


def _value(text: str) -> Scalar:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def _parse(text: str) -> Test:
    field, op, rest = text.split(" ", 2)
    operand: object = tuple(_value(v.strip()) for v in rest.split(",")) if op == "in" else _value(rest)
    return Test(field, _OPS[op], operand)


_DISPLACED = ("populations.idps > 0", "populations.returnees > 0")
_MIXED = ("populations.refugees > 0 and populations.non_displaced_affected > 0",)
_CONFLICT = ("hazard.types in conflict, violence", "context.conflict_intensity in widespread, active_hostilities")
_HOUSES = ("impact.houses_destroyed > 0",)
_EPIDEMIC = ("hazard.types = epidemic", "outbreak.cases > 0", "outbreak.pheic = true")

# INV04: for each cluster, the inputs that show a need for it. These are floors, looser than the
# rules' triggers (whose thresholds are parameters): they catch a cluster for a caseload with no
# need at all, not a debatable threshold. A mixed caseload (refugees with IDPs, returnees or
# other affected people) is covered by the displaced alternatives and by refugees with other
# affected people. The numeric floors are the project's, from the thresholds named in each reason.
NEEDS: dict[str, Need] = {
    "Protection": Need(_DISPLACED + _MIXED + _CONFLICT + _HOUSES,
                       "people displaced or returning, a mixed refugee caseload, conflict, or homes destroyed"),
    "Shelter": Need(_DISPLACED + _HOUSES, "people displaced or returning, or homes destroyed"),
    "CCCM": Need(("populations.idps > 0",), "internally displaced people (camps and sites)"),
    "Health": Need(("health_nutrition.cmr >= 1", "health_nutrition.u5mr >= 2", "health_nutrition.cmr_ratio >= 2",
                    "impact.health_facilities_damaged > 0") + _EPIDEMIC,
                   "a health trigger: crude mortality >= 1 or under-5 mortality >= 2 per 10,000 a day (CDC/MSF "
                   "emergency thresholds), mortality at least double its baseline (Sphere), health facilities "
                   "damaged, or an epidemic (the hazard, cases or a PHEIC)"),
    "Nutrition": Need(("health_nutrition.gam_pct >= 5", "health_nutrition.sam_pct > 0"),
                      "acute malnutrition: GAM of 5% or more (WHO's 'medium' and above) or any SAM"),
    "WASH": Need(_DISPLACED + _HOUSES + _EPIDEMIC, "people displaced or returning, homes destroyed, or an epidemic"),
    "Food Security": Need(("food_security.ipc_phase3plus_pct > 0", "food_security.ipc_phase3plus_population > 0",
                           "food_security.ipc_phase4plus_pct > 0", "food_security.ipc_phase5_population > 0",
                           "food_security.famine_projected = true", "food_security.famine_classified = true"),
                          "people in IPC Phase 3 or worse, or famine projected or classified"),
    "Logistics": Need(("context.access_constraints >= 3", "risk.pipeline_break_weeks > 0"),
                      "access highly constrained (3 or more on the 0-5 scale) or a supply pipeline break expected"),
    "Emergency Telecommunications": Need(("impact.telecoms_disrupted = true",), "telecommunications disrupted"),
    "Education": Need(("impact.schools_disrupted = true",), "schooling disrupted"),
    "Early Recovery": Need(_HOUSES, "homes (and livelihoods) destroyed"),
}


def need_fields() -> set[str]:
    """The scenario fields the needs table reads."""
    return {t.field for need in NEEDS.values() for alt in need.tests for t in alt}


HINTS: dict[str, str] = {
    "INV01": "a recommendation must come with cluster coordination: make the decision rules require the "
             "cluster activation test, or the route and cluster rules follow a recommendation",
    "INV02": "a government-led route must not come with clusters or an empowered HC: align the route rule with "
             "the rules asserting them",
    "INV03": "a refugee-only situation must stay out of scope, without clusters or an HC: add a not: on the "
             "refugee-only situation to the rules asserting them",
    "INV04": "make the cluster rule require its need, or add the need to NEEDS in scaleup/assurance/invariants.py "
             "if it is a real one",
    "INV05": "make the rules asserting the cluster's lead exclusive (e.g. a not: on what the other rule needs)",
}

CODES: dict[str, str] = {
    **{i.code: i.meaning for i in IMPLICATIONS},
    "INV04": "no cluster is activated for a caseload with no need for it (the cluster needs table)",
    "INV05": "exactly one lead per activated cluster (one cluster fact per cluster name)",
}


@dataclass(frozen=True)
class Breach:
    """One violation of an invariant in one evaluation.

    Attributes:
        code: the invariant (``INV01``...).
        subject: what it is about, for grouping (``route national_led``, ``cluster Protection``).
        message: the violation, naming the decision, route or cluster and the rules involved.
        rules: ids of the rules that asserted the offending facts, in firing order.
    """

    code: str
    subject: str
    message: str
    rules: tuple[str, ...]


def asserting_rules(ev: Evaluation, facts: Sequence[Fact]) -> tuple[str, ...]:
    """The rules that asserted the facts: from the firings, else from a copied fact's origin."""
    out: list[str] = []
    for f in facts:
        firings = ev.derived_by(f.id)
        found = [x.rule for x in firings] or ([f.origin.removeprefix("rule:")] if f.origin.startswith("rule:") else [])
        out += [r for r in found if r not in out]
    return tuple(out)


def _indicators(ev: Evaluation) -> dict[str, list[Scalar]]:
    values: dict[str, list[Scalar]] = {}
    for f in ev.of_type("indicator"):
        values.setdefault(str(f.fields.get("field")), []).append(f.fields.get("value"))  # type: ignore[arg-type]  # an indicator fact always carries its value
    return values


def _rules(ev: Evaluation, facts: Sequence[Fact]) -> str:
    rules = asserting_rules(ev, facts)
    return f" (rule{'s' if len(rules) > 1 else ''} {', '.join(rules)})" if rules else ""


def _implication(ev: Evaluation, inv: Implication, trigger: Fact) -> list[Breach]:
    out: list[Breach] = []
    what = f"{inv.when[0]} {inv.when[1]}"
    clusters = ev.of_type("cluster")

    def breach(subject: str, text: str, facts: list[Fact]) -> None:
        out.append(Breach(inv.code, subject, f"{what} {text}{_rules(ev, [trigger, *facts])}",
                          asserting_rules(ev, [trigger, *facts])))

    for type_, allowed in (("decision", inv.decisions), ("route", inv.routes)):
        if allowed is None:
            continue
        found = ev.of_type(type_)
        wrong = [f for f in found if f.fields.get("value") not in allowed]
        if wrong or not found:
            shown = ", ".join(str(f.fields.get("value")) for f in wrong) if wrong else "none"
            breach(f"{type_} {shown}", f"with {type_} {shown}, not {' or '.join(sorted(allowed))}", wrong)
    if inv.clusters == "some":
        proposal = [f for f in ev.of_type("lead") if f.fields.get("role") == PROPOSAL_ROLE]
        if not clusters and not proposal:
            breach("no cluster", "with no cluster activated and no cluster proposal", [])
        for c in clusters:
            if not str(c.fields.get("lead") or "").strip():
                breach(f"cluster {c.fields.get('name')} without lead", f"with cluster {c.fields.get('name')} "
                       "and no lead agency", [c])
    if inv.clusters == "none":
        for c in clusters:
            breach(f"cluster {c.fields.get('name')}", f"with cluster {c.fields.get('name')} "
                   f"(lead {c.fields.get('lead')})", [c])
    for lead in ev.of_type("lead"):
        if lead.fields.get("role") in inv.forbidden_roles:
            breach(f"lead {lead.fields.get('role')}", f"with lead {lead.fields.get('role')} = "
                   f"{lead.fields.get('actor')}", [lead])
    return out


def check_evaluation(ev: Evaluation) -> list[Breach]:
    """Every violation of the invariants in one evaluation (empty when all hold).

    Reads the evaluation's facts of types decision, route, cluster, lead and indicator; facts
    copied in from another evaluation are attributed to the rule named in their origin.
    """
    out: list[Breach] = []
    for inv in IMPLICATIONS:
        type_, value = inv.when
        for trigger in ev.of_type(type_):
            if trigger.fields.get("value") == value:
                out += _implication(ev, inv, trigger)
    indicators = _indicators(ev)
    by_name: dict[str, list[Fact]] = {}
    for c in ev.of_type("cluster"):
        by_name.setdefault(str(c.fields.get("name")), []).append(c)
    for name, facts in sorted(by_name.items()):
        need = NEEDS.get(name)
        if need is None:
            out.append(Breach("INV04", f"cluster {name}", f"cluster {name}{_rules(ev, facts)} has no need defined "
                              "in the invariants' cluster needs table", asserting_rules(ev, facts)))
        elif not need.met(indicators):
            out.append(Breach("INV04", f"cluster {name}", f"cluster {name}{_rules(ev, facts)} with no need for it: "
                              f"no {need.reason} (none of: {'; '.join(need.alternatives)})", asserting_rules(ev, facts)))
        if len(facts) > 1:
            leads = ", ".join(sorted(str(f.fields.get("lead")) for f in facts))
            out.append(Breach("INV05", f"cluster {name}", f"cluster {name} has {len(facts)} leads ({leads})"
                              f"{_rules(ev, facts)}", asserting_rules(ev, facts)))
    return out
