"""The only module that imports durable_rules.

:class:`Engine` owns a durable_rules host with no background threads (ENGINE.md: the default
host's timer threads corrupt evaluations), registers one compiled rule set once per process, and
evaluates each scenario in a clean state:

1. all input facts are asserted in one batch; rules of stratum 0 fire;
2. for each stratum k >= 1 a marker fact ``{t: phase, n: k}`` is asserted in a separate call;
   rules of stratum k join on it, so they start only after every lower stratum has finished and
   their ``not:`` conditions see complete information (durable checks negation only once);
3. the state is deleted in ``finally``, whatever happened.

Each rule's action is a closure that knows its rule: it records the firing (matched facts by
content, since durable identifies facts by content), asserts the rule's declared facts, and never
lets an exception be swallowed by the engine: errors are collected and raised as EngineError.
A never-firing sink rule consumes every fact so none raises ``MessageNotHandledException``.

Two crashes of durable_rules' C core shape the rest (both reproduced): ``delete_state``
segfaults on a state in which no action ever ran, so a final marker ``{t: phase, n: last}``
always fires one internal rule; and after a failed run the state may be corrupt, so it is never
deleted: the engine registers its rules afresh under a new name instead (the old C rule set is
leaked, which only happens after a defect).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import warnings
from typing import Any, Callable, Optional, Sequence

from .audit import Evaluation, Firing
from .errors import EngineError
from .facts import Fact, engine_value
from .rules.ir import CompiledRule, CompiledRuleset, Pattern, Ref, Test

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import durable_rules_engine
    from durable import engine as _durable

SID = "1"
SINK = {"all": [{"m": {"$ex": {"t": 1}}}, {"never": {"$ex": {"__never__": 1}}}]}
LOG = logging.getLogger("scaleup.rules")   # every firing at DEBUG; silent unless configured (cli -vv)
_OPS = {"ne": "$neq", "gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte"}


@functools.lru_cache(maxsize=1)
def durable_version() -> str:
    """The installed durable_rules version (read once: package metadata is slow to parse)."""
    from importlib.metadata import version
    return version("durable_rules")


class _QuietHost(_durable.Host):
    """A host without the timer threads that race with the caller."""

    def _run(self) -> None:  # noqa: D401 - overrides the thread starter
        pass


def _aliases(rule: CompiledRule) -> dict[str, str]:
    """Rule alias -> durable alias (``a<i>``); durable's own names never come from files."""
    return {p.alias: f"a{i}" for i, p in enumerate(rule.patterns)}


def _test(test: Test, aliases: dict[str, str]) -> dict[str, Any]:
    def value(v: Any) -> Any:
        return {aliases[v.alias]: v.field} if isinstance(v, Ref) else v
    if test.op == "eq":
        return {test.field: value(test.value)}
    if test.op == "in":
        return {"$or": [{test.field: v} for v in test.value]} if len(test.value) > 1 else {test.field: test.value[0]}
    if test.op == "not_in":
        return {"$and": [{"$neq": {test.field: v}} for v in test.value]}
    return {_OPS[test.op]: {test.field: value(test.value)}}


def _pattern(p: Pattern, aliases: dict[str, str]) -> dict[str, Any]:
    # Always $and: with several keys in one dict durable checks only the first (ENGINE.md).
    return {"$and": [{"t": p.type}] + [_test(t, aliases) for t in p.tests]}


def translate(rule: CompiledRule) -> dict[str, Any]:
    """The durable_rules definition of one compiled rule (without its action)."""
    aliases = _aliases(rule)
    patterns: list[dict[str, Any]] = []
    if rule.stratum > 0:
        patterns.append({"ph": {"$and": [{"t": "phase"}, {"n": rule.stratum}]}})
    for p in rule.patterns:
        key = aliases[p.alias] + ("$not" if p.negated else "")
        patterns.append({key: _pattern(p, aliases)})
    return {"all": patterns}


class _Run:
    """The bookkeeping of one evaluation."""

    def __init__(self, facts: Sequence[Fact]):
        self.facts: list[Fact] = list(facts)
        self.known: dict[tuple, Fact] = {f.key: f for f in facts}
        self.firings: list[Firing] = []
        self.errors: list[tuple[str, str]] = []
        self.derived = 0


class Engine:
    """One compiled rule set registered on its own durable_rules host."""

    def __init__(self, ruleset: CompiledRuleset):
        self.ruleset = ruleset
        self._last = ruleset.strata + 1            # the final phase: only the internal __done__ rule
        self._run: Optional[_Run] = None
        self._lock = threading.Lock()
        self._generation = 0
        self._register()

    def _register(self) -> None:
        """Register the rules on a new host under a new name (also after a failed run)."""
        self._generation += 1
        digest = hashlib.sha256(self.ruleset.fingerprint.encode()).hexdigest()[:16]
        self._name = f"rs-{digest}-{self._generation}"
        definitions: dict[str, Any] = {}
        for rule in self.ruleset.rules:
            definition = translate(rule)
            definition["run"] = self._action(rule)
            definitions[rule.key] = definition
        definitions["__done__"] = {"all": [{"ph": {"$and": [{"t": "phase"}, {"n": self._last}]}}],
                                   "run": lambda c: None}
        definitions["__sink__"] = {**SINK, "run": lambda c: None}
        self._host = _QuietHost()
        try:
            self._host.register_rulesets({self._name: definitions})
        except Exception as exc:  # durable's own error type carries only a code
            raise EngineError.at(self.ruleset.path, None, "", f"durable_rules rejected the compiled rule set: {exc}",
                                 "run `scaleup rules check` on it") from exc

    def _action(self, rule: CompiledRule) -> Callable[[Any], None]:
        aliases = _aliases(rule)
        positive = [aliases[p.alias] for p in rule.patterns if not p.negated]
        # Per emitted fact: its type and, in field-name order (so the content key needs no
        # sort), each field's literal value or the (alias, field) it is copied from.
        plans = [(emit.type, [(name, (aliases[v.alias], v.field) if isinstance(v, Ref) else None, v)
                              for name, v in emit.fields]) for emit in rule.emits]
        origin = f"rule:{rule.id}"

        def run(c: Any) -> None:
            state = self._run
            if state is None:   # pragma: no cover - only if durable fired outside evaluate()
                return
            try:
                matched = c._m
                ids = tuple(matched[a]["fid"] for a in positive)
                new: list[str] = []
                again: list[str] = []
                for type_, plan in plans:
                    fields = {name: engine_value(matched[ref[0]][ref[1]]) if ref else value
                              for name, ref, value in plan}
                    key = (type_,) + tuple(fields.items())     # == content_key(type_, fields)
                    fact = state.known.get(key)
                    if fact is not None:
                        again.append(fact.id)
                        continue
                    state.derived += 1
                    fact = Fact(f"d{state.derived}", type_, fields, origin)
                    state.known[key] = fact
                    state.facts.append(fact)
                    new.append(fact.id)
                    c.assert_fact({"t": type_, "fid": fact.id, **fields})
                state.firings.append(Firing(len(state.firings) + 1, rule.id, rule.key, rule.stratum,
                                            ids, tuple(new), tuple(again)))
            except Exception as exc:  # durable would swallow it into the session state
                state.errors.append((rule.key, f"{type(exc).__name__}: {exc}"))
        return run

    def evaluate(self, facts: Sequence[Fact], label: str = "<scenario>") -> Evaluation:
        """Run the rule set on input facts.

        Args:
            facts: validated input facts (engine representation, unique content).
            label: the scenario name used in error messages.

        Raises:
            EngineError: if the engine or a rule action failed, or a fact was lost.
        """
        with self._lock:
            state = self._run = _Run(facts)
            try:
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message=".*utcfromtimestamp.*", category=DeprecationWarning)
                    self._host.assert_facts(self._name, [f.engine_dict(SID) for f in facts])
                    for k in range(1, self._last + 1):
                        self._host.assert_fact(self._name, {"sid": SID, "t": "phase", "n": k})
                    stored = len(self._host.get_facts(self._name, SID))
                self._host.delete_state(self._name, SID)
            except Exception as exc:
                self._register()   # never delete_state a state a failure may have corrupted
                raise EngineError.at(label, None, "", f"the rule engine failed: {type(exc).__name__}: {exc}",
                                     "this is a defect in scaleup; please report it with the scenario") from exc
            finally:
                self._run = None
        if state.errors:
            raise EngineError.at(label, None, state.errors[0][0], f"rule action failed: {state.errors[0][1]}",
                                 "this is a defect in scaleup or the rule set; please report it")
        if stored != len(state.facts) + self._last:
            raise EngineError.at(label, None, "", f"the engine holds {stored} facts but {len(state.facts)} were "
                                 "asserted: a fact was lost (durable_rules hash collision)",
                                 "please report this scenario")
        if LOG.isEnabledFor(logging.DEBUG):
            for f in state.firings:
                LOG.debug("%s: #%d %s (stratum %d) matched %s -> %s", label, f.seq, f.key, f.stratum,
                          ",".join(f.matched), ",".join(f.asserted + f.reasserted))
        return Evaluation(self.ruleset, tuple(state.facts), tuple(state.firings))

    def close(self) -> None:
        """Free the C-side rule set (durable has no unregister API)."""
        rs = self._host._ruleset_directory.pop(self._name, None)
        if rs is not None:
            self._host._ruleset_list.remove(rs)
            durable_rules_engine.delete_ruleset(rs._handle)


_ENGINES: dict[str, Engine] = {}


def engine_for(ruleset: CompiledRuleset) -> Engine:
    """The process-wide engine of a compiled rule set (compiled once per process)."""
    found = _ENGINES.get(ruleset.fingerprint)
    if found is None:
        found = _ENGINES[ruleset.fingerprint] = Engine(ruleset)
    return found


def compiled_rulesets() -> list[CompiledRuleset]:
    """The rule sets this process has built engines for (reports use them to find citations)."""
    return [e.ruleset for e in _ENGINES.values()]
