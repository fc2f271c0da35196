"""scaleup: evaluate humanitarian crises against the IASC System-Wide Scale-Up protocol and the
refugee/IDP mandate split, with declarative rules on durable_rules and a complete audit trail.

The Python API (``docs/api.md``; the library never prints or exits)::

    import scaleup
    rec = scaleup.evaluate("scenarios/cyclone-coastal.yaml")      # a path, a dict or a loaded scenario
    exp = scaleup.explain("scenarios/cyclone-coastal.yaml", why_not=["consider"])
    for result in scaleup.evaluate_many(paths, jobs=2): ...       # a Recommendation or a ScaleupError each
    frame = scaleup.evaluate_frame(df)                             # with the extra scaleup[pandas]

The engine-level entry point, for a loaded scenario and a compiled rule set, is
``scaleup.recommendation.evaluate.evaluate``.
"""

from __future__ import annotations

from .version import __version__  # noqa: E402

# The package scaleup/explain/ shares its name with the API function bound below: it is imported
# first, so that importing it later cannot rebind ``scaleup.explain`` to the package.
from . import explain as _explain_package  # noqa: E402,F401
from .api import evaluate, evaluate_many, explain, get_ruleset  # noqa: E402
from .errors import EngineError, Problem, RulesetError, ScaleupError, ScenarioError  # noqa: E402
from .frames import evaluate_frame, to_frame  # noqa: E402
from .recommendation.evaluate import evaluate_traced  # noqa: E402
from .recommendation.model import Recommendation  # noqa: E402
from .rules.load import load_ruleset  # noqa: E402
from .scenario.load import LoadedScenario, load_scenario, parse_scenario  # noqa: E402

__all__ = ["__version__", "evaluate", "explain", "evaluate_many", "evaluate_frame", "to_frame", "get_ruleset",
           "evaluate_traced", "load_ruleset", "load_scenario", "parse_scenario", "LoadedScenario", "Recommendation",
           "ScaleupError", "ScenarioError", "RulesetError", "EngineError", "Problem"]
