"""Evaluating a corpus of scenario files with a rule set, keeping the raw evaluations.

Shared by ``rules coverage`` and ``rules diff``: they need the audit trail (which rules fired, on
which facts), not recommendations, and a scenario that cannot be evaluated is reported rather
than stopping the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

from ..audit import Evaluation
from ..engine import engine_for
from ..errors import Problem, ScaleupError
from ..facts import FACT_TYPES
from ..inputs import Skipped, expand_paths, read_scenario
from ..paths import display_name
from ..rules.ir import CompiledRuleset
from ..scenario_load import LoadedScenario


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
    """What a diff compares: the decision, the route and the lead of each role."""
    value = {t: FACT_TYPES[t].value_field for t in ("decision", "route")}
    leads: dict[str, list[str]] = {}
    for f in ev.of_type("lead"):
        leads.setdefault(str(f.fields["role"]), []).append(str(f.fields["actor"]))
    return {"decision": sorted(str(f.fields[value["decision"]]) for f in ev.of_type("decision")),
            "route": sorted(str(f.fields[value["route"]]) for f in ev.of_type("route")),
            "leads": {role: sorted(actors) for role, actors in sorted(leads.items())}}
