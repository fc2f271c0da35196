"""scaleup: evaluate humanitarian crises against the IASC System-Wide Scale-Up protocol and the
refugee/IDP mandate split, with declarative rules on durable_rules and a complete audit trail.

The Python API (``docs/api.md``; the library never prints or exits)::

    import scaleup
    rec = scaleup.evaluate("scenarios/cyclone-coastal.yaml")      # a path, a dict or a loaded scenario
    exp = scaleup.explain("scenarios/cyclone-coastal.yaml", why_not=["consider"])
    for result in scaleup.evaluate_many(paths, jobs=2): ...       # a Recommendation or a ScaleupError each
    frame = scaleup.evaluate_frame(df)                             # with the extra scaleup[pandas]

The engine-level entry point, for a loaded scenario and a compiled rule set, is
``scaleup.evaluate.evaluate`` (``from scaleup.evaluate import evaluate``).
"""

from __future__ import annotations

__version__ = "0.1.0"

# The modules scaleup/evaluate.py and scaleup/explain.py share their names with the API functions
# bound below: they are imported first, so that importing them later cannot rebind the names.
from . import evaluate as _evaluate_module, explain as _explain_module  # noqa: E402,F401
from .api import evaluate, evaluate_many, explain, get_ruleset  # noqa: E402
from .errors import EngineError, Problem, RulesetError, ScaleupError, ScenarioError  # noqa: E402
from .evaluate import evaluate_traced  # noqa: E402
from .frames import evaluate_frame, to_frame  # noqa: E402
from .rules.load import load_ruleset  # noqa: E402
from .recommend import Recommendation  # noqa: E402
from .scenario_load import LoadedScenario, load_scenario, parse_scenario  # noqa: E402

__all__ = ["__version__", "evaluate", "explain", "evaluate_many", "evaluate_frame", "to_frame", "get_ruleset",
           "evaluate_traced", "load_ruleset", "load_scenario", "parse_scenario", "LoadedScenario", "Recommendation",
           "ScaleupError", "ScenarioError", "RulesetError", "EngineError", "Problem"]
