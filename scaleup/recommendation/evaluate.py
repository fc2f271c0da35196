"""One evaluation: scenario facts through the engine, assembled into a recommendation."""

from __future__ import annotations

from ..engine.audit import Evaluation
from ..engine.durable import engine_for
from .assemble import assemble
from .model import Recommendation
from ..rules.ir import CompiledRuleset
from ..scenario.load import LoadedScenario


def evaluate_traced(loaded: LoadedScenario, ruleset: CompiledRuleset) -> tuple[Recommendation, Evaluation]:
    """Evaluate and return both the recommendation and the raw evaluation (facts and firings)."""
    evaluation = engine_for(ruleset).evaluate(loaded.facts(), loaded.name)
    return assemble(evaluation, loaded), evaluation


def evaluate(loaded: LoadedScenario, ruleset: CompiledRuleset) -> Recommendation:
    """Evaluate one valid scenario with a compiled rule set.

    Raises:
        EngineError: the engine failed (a defect, never bad input).
        RulesetError: the rule set broke a one-value slot or reached no decision.
    """
    return evaluate_traced(loaded, ruleset)[0]
