"""Evaluating a corpus of scenario files with a rule set, keeping the raw evaluations.

Shared by ``rules coverage`` and ``rules diff``: they need the audit trail (which rules fired, on
which facts), not recommendations, and a scenario that cannot be evaluated is reported rather
than stopping the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence

from ..engine.audit import Evaluation
from ..engine.durable import engine_for
from ..errors import Problem, ScaleupError
from ..facts import FACT_TYPES, Fact
from ..vocabulary import CRITERIA
from ..scenario.inputs import Skipped, expand_paths, read_scenario
from ..paths import display_name
from ..rules.ir import CompiledRuleset
from ..scenario.load import LoadedScenario


@dataclass
class Corpus:
    """Valid scenarios of the paths given, and what could not be used."""

    scenarios: list[LoadedScenario] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def read_corpus(paths: Sequence[str]) -> Corpus:
    """Scenario files named by ``paths`` (files, folders, globs); other kinds are skipped."""
    found, missing = expand_paths(paths)
    corpus = Corpus(problems=list(missing))
    for path in found:
        item = read_scenario(Path(path))
        if isinstance(item, Skipped):
            corpus.skipped.append(f"{display_name(path)} (kind {item.kind!r} is not a scenario)")
        elif isinstance(item, ScaleupError):
            corpus.problems.extend(item.problems)
        else:
            corpus.scenarios.append(item)
    return corpus


def evaluations(ruleset: CompiledRuleset, corpus: Corpus) -> Iterator[tuple[LoadedScenario, Evaluation | ScaleupError]]:
    """Each scenario with its evaluation on durable_rules, or the error that stopped it."""
    engine = engine_for(ruleset)
    for loaded in corpus.scenarios:
        try:
            yield loaded, engine.evaluate(loaded.facts(), loaded.name)
        except ScaleupError as exc:
            yield loaded, exc


def outcome(ev: Evaluation) -> dict[str, object]:
    """What a diff compares: every output field of the recommendation, read from the facts.

    One-value fields (decision, route, variant, scope, UNHCR level) are sorted lists of values
    (empty when not derived; two values when a rule set broke the slot); criteria, leads and
    clusters map their name to a sorted list of values; plans, milestones, flags and notes are
    sorted lists of their text. Milestones are compared as offsets from their anchor (the anchor
    dates come from the scenario, the same on both sides).
    """
    def values(type_: str, show: Optional[Callable[[Fact], str]] = None) -> list[str]:
        field_ = FACT_TYPES[type_].value_field
        return sorted(show(f) if show else str(f.fields[field_]) for f in ev.of_type(type_))

    def keyed(type_: str, key: str, show: Callable[[Fact], str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for f in ev.of_type(type_):
            out.setdefault(str(f.fields[key]), []).append(show(f))
        return {k: sorted(v) for k, v in sorted(out.items())}

    def offset(f: Fact) -> str:
        parts = [f"{f.fields[u]} {u}" for u in ("months", "days") if f.fields.get(u) is not None]
        return f"{f.fields['name']}: {' '.join(parts) or '0 days'} after {f.fields.get('anchor', 'activation')}"

    criteria = keyed("criterion", "name", lambda f: str(f.fields.get("level") or "insufficient"))
    return {"decision": values("decision"),
            "route": values("route"),
            "leads": keyed("lead", "role", lambda f: str(f.fields["actor"])),
            "variant": values("variant"),
            "scope": values("scope", lambda f: str(f.fields["value"]) + (f" ({f.fields['reason']})"
                                                                         if f.fields.get("reason") else "")),
            "criteria": {c: criteria.get(c, []) for c in CRITERIA},
            "clusters": keyed("cluster", "name", lambda f: str(f.fields["lead"])),
            "unhcr_level": values("unhcr_level"),
            "plans": values("plan", lambda f: str(f.fields["name"]) + (f" ({f.fields['timing']})"
                                                                      if f.fields.get("timing") else "")),
            "milestones": values("milestone", offset),
            "flags": values("flag", lambda f: str(f.fields["name"]) + (f": {f.fields['text']}"
                                                                      if f.fields.get("text") else "")),
            "notes": values("note", lambda f: str(f.fields["text"]))}
