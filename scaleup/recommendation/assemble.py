"""Assembling a recommendation from an evaluation's derived facts.

The assembler only reads the catalogue's fact types; it decides nothing. It checks the rule
set's one-value slots (one decision, one route, one scope, one variant, one UNHCR level, one lead
per role, one lead per cluster, one level per criterion) and reports a rule set that breaks them.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any, Optional

from ..version import __version__
from ..engine.audit import Evaluation
from ..engine.durable import durable_version
from ..errors import Problem, RulesetError
from ..facts import FACT_TYPES, Fact
from ..vocabulary import CRITERIA, level_label
from ..scenario.load import LoadedScenario
from ..display import fmt
from .model import SCHEMA_VERSION, Recommendation


def add_months(day: dt.date, months: float) -> dt.date:
    """Calendar months (day clamped to the month's end); a fractional part counts 30.44 days."""
    whole = int(months)
    index = day.month - 1 + whole
    year, month = day.year + index // 12, index % 12 + 1
    result = day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))
    return result + dt.timedelta(days=round((months - whole) * 30.44))


class _Assembler:
    def __init__(self, ev: Evaluation, loaded: LoadedScenario):
        self.ev, self.loaded = ev, loaded
        self.problems: list[Problem] = []

    def rule_of(self, fact: Fact) -> str:
        return fact.origin.removeprefix("rule:")

    def one(self, type_: str, facts: list[Fact]) -> Optional[Fact]:
        if len(facts) > 1:
            rules = sorted({self.rule_of(f) for f in facts})
            values = [dict(f.fields) for f in facts]
            self.problems.append(Problem(self.ev.ruleset.path, None, type_,
                                         f"the rule set derived {len(facts)} conflicting {type_} facts {values} "
                                         f"(rules {', '.join(rules)}) for {self.loaded.name}",
                                         "make the rules' conditions mutually exclusive; `scaleup rules check` finds overlaps"))
        return facts[0] if facts else None

    def slots(self, type_: str) -> dict[tuple, Fact]:
        spec = FACT_TYPES[type_]
        groups: dict[tuple, list[Fact]] = {}
        for f in self.ev.of_type(type_):
            groups.setdefault(tuple(f.fields.get(k) for k in spec.single), []).append(f)
        return {k: self.one(type_, v) for k, v in sorted(groups.items(), key=lambda kv: str(kv[0]))}  # type: ignore[misc]  # every group holds a fact, so one() returns one

    def criteria(self) -> list[dict[str, Any]]:
        by_name = {k[0]: f for k, f in self.slots("criterion").items()}
        found: dict[str, dict[str, list[dict[str, Any]]]] = {"signal": {n: [] for n in CRITERIA},
                                                             "ceiling": {n: [] for n in CRITERIA}}
        for type_, by_criterion in found.items():
            for s in self.ev.of_type(type_):
                firing = self.ev.derived_by(s.id)[0]
                indicator = self.ev.fact(firing.matched[0])
                entry = {"field": s.fields["field"], "value": indicator.fields.get("value"), "level": s.fields["level"],
                         "rule": firing.key, "origin": indicator.origin}
                if type_ == "signal":
                    entry["presumed"] = s.fields.get("presumed") == "true"
                by_criterion[str(s.fields["criterion"])].append(entry)
        out = []
        for name in CRITERIA:
            fact = by_name.get(name)
            level = fact.fields.get("level") if fact else None
            signals = sorted(found["signal"][name], key=lambda x: (-x["level"], x["field"], str(x["value"])))
            top = [x for x in signals if x["level"] == signals[0]["level"]] if signals else []
            ceilings = sorted(found["ceiling"][name], key=lambda x: (x["level"], x["field"]))
            out.append({"name": name, "level": level, "label": level_label(level),  # type: ignore[arg-type]  # level_label takes the fact's level, an int or None
                        "presumed": bool(top) and all(x["presumed"] for x in top),
                        "signals": signals, "ceilings": ceilings})
        return out

    def milestones(self) -> list[dict[str, Any]]:
        s = self.loaded.scenario
        anchors = {"activation": s.activation.date if s.activation else None, "onset": s.hazard.started}
        out = []
        for f in self.ev.of_type("milestone"):
            anchor = str(f.fields.get("anchor", "activation"))
            months, days = f.fields.get("months"), f.fields.get("days")
            base = anchors.get(anchor)
            date = None
            if base is not None:
                date = add_months(base, float(months or 0)) + dt.timedelta(days=float(days or 0))
            out.append({"name": f.fields["name"], "anchor": anchor, "months": months, "days": days,
                        "date": date, "rule": self.rule_of(f)})
        return sorted(out, key=lambda m: (m["anchor"], m["months"] or 0, m["days"] or 0, m["name"]))

    def listed(self, type_: str, *fields: str, key: str = "") -> list[dict[str, Any]]:
        """Facts of a type as dicts of the named fields (missing optional ones as None) + rule."""
        rows = [{**{name: f.fields.get(name) for name in fields}, "rule": self.rule_of(f)}
                for f in self.ev.of_type(type_)]
        return sorted(rows, key=lambda r: r[key]) if key else rows

    def build(self) -> Recommendation:
        ev, s = self.ev, self.loaded.scenario
        decision = self.one("decision", ev.of_type("decision"))
        if decision is None:
            self.problems.append(Problem(ev.ruleset.path, None, "decision",
                                         f"the rule set reached no decision for {self.loaded.name}",
                                         "add a default decision rule; `scaleup rules check` finds gaps"))
        route = self.one("route", ev.of_type("route"))
        variant = self.one("variant", ev.of_type("variant"))
        scope = self.one("scope", ev.of_type("scope"))
        unhcr = self.one("unhcr_level", ev.of_type("unhcr_level"))
        lifecycle = self.one("lifecycle", ev.of_type("lifecycle"))
        leads = [{"role": f.fields["role"], "actor": f.fields["actor"], "rule": self.rule_of(f)}
                 for f in self.slots("lead").values()]
        clusters = [{"cluster": f.fields["name"], "lead": f.fields["lead"], "rule": self.rule_of(f)}
                    for f in self.slots("cluster").values()]
        criteria = self.criteria()
        if self.problems:
            raise RulesetError(self.problems)
        assert decision is not None
        # Plain data validated in one call: pydantic's core checks a nested structure far faster
        # than one model object per fact or firing.
        rec = Recommendation.model_validate({
            "schema_version": SCHEMA_VERSION,
            "scenario": {"id": s.id, "title": s.title, "file": self.loaded.name, "as_of": s.as_of,
                         "country": s.country.name},
            "scale_up": decision.fields["value"],
            "variant": variant.fields["value"] if variant else None,
            "scope": {"value": scope.fields["value"], "reason": scope.fields.get("reason"),
                      "rule": self.rule_of(scope)} if scope else None,
            "lifecycle": {"value": lifecycle.fields["value"], "reason": lifecycle.fields.get("reason"),
                          "activated": s.activation.date, "months_elapsed": _months_elapsed(ev),
                          "rule": self.rule_of(lifecycle)} if lifecycle and s.activation else None,
            "criteria": criteria,
            "route": route.fields["value"] if route else None,
            "leadership": leads,
            "clusters": clusters,
            "plans": self.listed("plan", "name", "timing", key="name"),
            "unhcr_emergency_level": unhcr.fields["value"] if unhcr else None,
            "milestones": self.milestones(),
            "flags": self.listed("flag", "name", "text", key="name"),
            "notes": self.listed("note", "text"),
            "caveats": point_estimate_caveat(self.loaded) + [{"text": c.text, "source": c.source, "basis": c.basis}
                                           for c in ev.ruleset.caveats],
            "audit": {"facts": ev.facts, "firings": ev.firings},
            "stamp": {"scaleup_version": __version__, "ruleset_id": ev.ruleset.id,
                      "ruleset_version": ev.ruleset.version, "ruleset_sha256": ev.ruleset.sha256,
                      "overrides": dict(ev.ruleset.overrides), "scenario_sha256": self.loaded.document.sha256,
                      "durable_rules_version": durable_version()},
        })
        rec._evaluation = ev
        return rec


def point_estimate_caveat(loaded: LoadedScenario) -> list[dict[str, Any]]:
    """For a scenario with ranges: the caveat that this recommendation is for their point estimates."""
    if not loaded.ranges:
        return []
    figures = "; ".join(f"{r.field} {fmt(r.point)} ({r.describe()})" for r in loaded.ranges)
    return [{"text": f"Uncertain figures, evaluated at their point estimates: {figures}. For the probability "
                     f"of each decision run `scaleup evaluate {loaded.name} --samples 2000` (docs/uncertainty.md).",
             "source": None, "basis": "input"}]


def _months_elapsed(ev: Evaluation) -> float:
    fact = next(f for f in ev.of_type("indicator") if f.fields["field"] == "activation.months_elapsed")
    return float(fact.fields["value"])


def assemble(evaluation: Evaluation, loaded: LoadedScenario) -> Recommendation:
    """Build the recommendation of one evaluation.

    Raises:
        RulesetError: when the rule set broke a one-value slot or reached no decision.
    """
    return _Assembler(evaluation, loaded).build()
