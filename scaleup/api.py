"""The Python API: evaluate and explain scenarios given as paths, mappings or loaded scenarios.

``scaleup.evaluate``, ``scaleup.explain`` and ``scaleup.evaluate_many`` are documented with
runnable examples in ``docs/api.md``. They take the rule set by name, folder or compiled form,
with parameter overrides as on the command line (``--set NAME=VALUE``); a rule set named with
the same overrides is compiled once per process. Like the rest of the library they never print
or exit: bad input raises :class:`~scaleup.errors.ScaleupError` (``evaluate``, ``explain``) or
comes back as one (``evaluate_many``).

The engine-level function, for a scenario already loaded and a rule set already compiled, is
:func:`scaleup.recommendation.evaluate.evaluate`, which this module calls; ``scaleup.evaluate(loaded,
compiled)`` calls it with the same arguments.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from dataclasses import replace
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence, Union

from .errors import EngineError, Problem, ScaleupError, ScenarioError
from .recommendation.evaluate import evaluate as evaluate_loaded
from .recommendation.model import Recommendation
from .rules.ir import CompiledRuleset
from .rules.load import DEFAULT_RULESET, load_ruleset, resolve_ruleset
from .scenario.load import LoadedScenario, load_scenario, parse_scenario
from .scenario.mapping import DEFAULT_NAME, MAPPING_FMT, mapping_bytes, pointed
from .explain.derivation import Explanation
from .explain.derivation import explain as build
from .batch.input import Task, is_jsonl, iter_tasks
from .batch.pool import make_pool
from .batch.worker import Outcome

ScenarioInput = Union[str, "os.PathLike[str]", Mapping[str, Any], LoadedScenario]
RulesetInput = Union[str, "os.PathLike[str]", CompiledRuleset]
Overrides = Union[Mapping[str, Any], Iterable[str], None]
Result = Union[Recommendation, ScaleupError]

_RULESETS: dict[tuple[str, str], CompiledRuleset] = {}


def parse_overrides(values: Overrides) -> dict[str, Any]:
    """Overrides as a mapping: a mapping as it is, or ``NAME=VALUE`` texts as on the command line
    (a value is read as JSON when it parses: numbers, ``true``/``false``; else it is text).

    Raises:
        ValueError: a text is not ``NAME=VALUE``.
    """
    if values is None:
        return {}
    if isinstance(values, Mapping):
        return dict(values)
    if isinstance(values, str):
        values = [values]
    out: dict[str, Any] = {}
    for item in values:
        name, sep, raw = str(item).partition("=")
        if not sep or not name:
            raise ValueError(f"{item!r} is not NAME=VALUE")
        try:
            out[name] = json.loads(raw)
        except ValueError:
            out[name] = raw
    return out


def get_ruleset(ruleset: RulesetInput = DEFAULT_RULESET, set: Overrides = None) -> CompiledRuleset:
    """A compiled rule set: ``ruleset`` as it is when compiled, else loaded by name or folder with
    the overrides ``set`` and kept for the rest of the process (by its folder, however named, and
    the overrides; call :func:`scaleup.load_ruleset` to read a folder you have edited since).

    Raises:
        RulesetError: the rule set cannot be loaded or an override is invalid, located.
        ValueError: overrides given with a compiled rule set, or not ``NAME=VALUE``.
    """
    overrides = parse_overrides(set)
    if isinstance(ruleset, CompiledRuleset):
        if overrides:
            raise ValueError("set= needs a rule set name or folder: a compiled rule set already has its parameters")
        return ruleset
    name = os.fspath(ruleset)
    key = (str(resolve_ruleset(name).resolve()), json.dumps(sorted(overrides.items()), default=str))
    found = _RULESETS.get(key)
    if found is None:
        found = _RULESETS[key] = load_ruleset(name, overrides)
    return found


def load_input(x: ScenarioInput, name: Optional[str] = None) -> LoadedScenario:
    """A scenario from a path, a mapping (located by JSON pointer) or a loaded scenario.

    Raises:
        ScenarioError: every problem, located.
        TypeError: ``x`` is none of these.
    """
    if isinstance(x, LoadedScenario):
        return x
    if isinstance(x, Mapping):
        return parse_scenario(x, name or DEFAULT_NAME)
    if isinstance(x, (str, os.PathLike)):
        return load_scenario(x, name=name)
    raise TypeError(f"expected a path, a mapping or a loaded scenario, not {type(x).__name__}")


def evaluate(x: ScenarioInput, ruleset: RulesetInput = DEFAULT_RULESET, set: Overrides = None) -> Recommendation:
    """Evaluate one scenario and return its recommendation.

    Args:
        x: a scenario file (``str`` or ``Path``), a mapping with the fields of a scenario file,
            or a :class:`~scaleup.scenario.load.LoadedScenario`.
        ruleset: a shipped rule set name, a rule set folder, or a compiled rule set.
        set: parameter overrides, ``{"recommend_gap_level": 5}`` or ``["recommend_gap_level=5"]``.

    Raises:
        ScenarioError: the scenario is invalid (every problem; a mapping's by JSON pointer).
        RulesetError: the rule set or an override is invalid.
        EngineError: the engine failed (a defect, never bad input).
    """
    return evaluate_loaded(load_input(x), get_ruleset(ruleset, set))


def explain(x: ScenarioInput, ruleset: RulesetInput = DEFAULT_RULESET, set: Overrides = None, *,
            depth: Optional[int] = None, why_not: Sequence[str] = (), flips: bool = False,
            flip_budget: int = 2000) -> "Explanation":
    """Evaluate one scenario and explain it, as ``scaleup explain`` does.

    Args:
        x, ruleset, set: as for :func:`evaluate`.
        depth: levels of rules in the derivation tree (None: all).
        why_not: targets as for ``--why-not`` (default: every other decision).
        flips: search for the smallest changes that flip the decision or the route.
        flip_budget: at most this many evaluations in that search.

    Returns:
        The :class:`~scaleup.explain.Explanation` (``to_dict()`` is its JSON form).

    Raises:
        ValueError: a ``why_not`` target is unknown.
        ScaleupError: as for :func:`evaluate`.
    """
    rules = get_ruleset(ruleset, set)
    return build(load_input(x), rules, depth=depth, targets=tuple(why_not), flips=flips, flip_budget=flip_budget)


def evaluate_many(items: Iterable[ScenarioInput], jobs: int = 1, ruleset: RulesetInput = DEFAULT_RULESET,
                  set: Overrides = None, *, names: Optional[Sequence[str]] = None) -> Iterator[Result]:
    """Evaluate many scenarios; yield one result per input, in input order.

    A result is the :class:`~scaleup.recommend.Recommendation`, or the
    :class:`~scaleup.errors.ScaleupError` that input raised (never raised here), so one bad
    scenario never stops the rest. A mapping is named ``<item N>`` (its 0-based position) in
    its problems and its recommendation, unless ``names`` names it.

    Args:
        items: as for :func:`evaluate`, any mix.
        jobs: worker processes (the batch pool: a worker that dies costs only its scenario,
            which comes back as an :class:`~scaleup.errors.EngineError`). Paths and mappings go
            to the workers; loaded scenarios are evaluated in this process.
        ruleset, set: as for :func:`evaluate`; errors in these are raised before anything runs.
        names: the name of each mapping, by position (``<row 7>``); paths keep their own.

    Raises:
        RulesetError: the rule set or an override is invalid.
    """
    rules = get_ruleset(ruleset, set)
    label = (lambda i: names[i]) if names is not None else (lambda i: f"<item {i}>")
    if jobs <= 1:
        return (_one(item, rules, label(i)) for i, item in enumerate(items))
    return _pooled(list(items), rules, jobs, label)


def _one(item: ScenarioInput, rules: CompiledRuleset, name: str) -> Result:
    """Evaluate one input in this process; any failure is returned, as the batch does."""
    try:
        return evaluate_loaded(load_input(item, name if isinstance(item, Mapping) else None), rules)
    except ScaleupError as exc:
        return exc
    except TypeError as exc:
        return ScenarioError.at(name, None, "", str(exc), "give paths, mappings or loaded scenarios")
    except Exception as exc:  # a defect; like the batch, report it and go on
        return EngineError.at(name, None, "", f"{type(exc).__name__}: {exc}", "please report this scenario")


def _task(item: ScenarioInput, name: str) -> "Optional[Task]":
    """The batch task of an input a worker can evaluate (a mapping, or a file that is not JSON
    Lines), or None for one evaluated in this process."""

    if isinstance(item, Mapping):
        try:
            raw = mapping_bytes(item, name)
        except ScaleupError:
            return None   # this process reports it
        return Task(name, None, MAPPING_FMT, raw, hashlib.sha256(raw).hexdigest(), keep=True)
    if isinstance(item, (str, os.PathLike)) and not is_jsonl(Path(item)):
        task = next(iter(iter_tasks([Path(item)])))
        return replace(task, file=os.fspath(item), keep=True)
    return None


def _from_outcome(outcome: "Outcome", item: ScenarioInput, rules: CompiledRuleset, name: str) -> Result:
    values = outcome.values
    if outcome.status == "ok":
        return values["recommendation"]
    if "raised" in values:
        kind, problems = values["raised"]
        if isinstance(item, Mapping):
            problems = pointed(problems)
        return kind(list(problems))
    if outcome.status == "crashed":
        where = os.fspath(item) if isinstance(item, (str, os.PathLike)) else name
        return EngineError([Problem(where, None, "", values.get("error", "the worker process died"),
                                    "this is a defect in scaleup or durable_rules; please report the scenario")])
    return _one(item, rules, name)   # unreadable or not a scenario: this process says why, as with jobs=1


def _pooled(items: list[ScenarioInput], rules: CompiledRuleset, jobs: int, label: Callable[[int], str]) -> Iterator[Result]:
    tasks: list["Task"] = []
    origin: list[int] = []   # input position of each task
    for position, item in enumerate(items):
        task = _task(item, label(position))
        if task is not None:
            tasks.append(task)
            origin.append(position)
    local = set(range(len(items))) - set(origin)
    done: dict[int, Result] = {}
    following = 0

    def ready() -> Iterator[Result]:
        nonlocal following
        while following < len(items):
            if following in local:
                yield _one(items[following], rules, label(following))
            elif following in done:
                yield done.pop(following)
            else:
                return
            following += 1

    results = make_pool(rules, jobs, tasks=len(tasks)).results(tasks)
    try:
        yield from ready()
        for pos, _, outcome in results:
            position = origin[pos]
            done[position] = _from_outcome(outcome, items[position], rules, label(position))
            yield from ready()
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()
    yield from ready()
