"""scaleup: evaluate humanitarian crises against the IASC System-Wide Scale-Up protocol and the
refugee/IDP mandate split, with declarative rules on durable_rules and a complete audit trail.

Library entry points (the library never prints or exits)::

    from scaleup import load_scenario, load_ruleset, evaluate
    rec = evaluate(load_scenario("scenarios/cyclone.yaml"), load_ruleset("iasc-2018"))
"""

from __future__ import annotations

from .version import __version__  # noqa: E402

from .errors import EngineError, Problem, RulesetError, ScaleupError, ScenarioError  # noqa: E402
from .recommendation.evaluate import evaluate, evaluate_traced  # noqa: E402
from .rules.load import load_ruleset  # noqa: E402
from .scenario.load import load_scenario, parse_scenario  # noqa: E402

__all__ = ["__version__", "evaluate", "evaluate_traced", "load_ruleset", "load_scenario", "parse_scenario",
           "ScaleupError", "ScenarioError", "RulesetError", "EngineError", "Problem"]
