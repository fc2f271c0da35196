"""The only module that imports durable_rules.

:class:`Engine` registers one compiled rule set in durable_rules' C core once per process and
evaluates each scenario in a clean state:

1. all input facts are asserted in one batch; rules of stratum 0 fire;
2. for each stratum k >= 1 a marker fact ``{t: phase, n: k}`` is asserted in a separate call;
   rules of stratum k join on it, so they start only after every lower stratum has finished and
   their ``not:`` conditions see complete information (durable checks negation only once);
3. the state is deleted after the run.

The engine drives the C core (``durable_rules_engine``) itself instead of through durable's
Python ``Host``: the same calls the host makes (``assert_facts``, ``start_action_for_state``,
``complete_and_start_action``, ``delete_state``), without what we never use: no timer threads
(docs/engine.md: they corrupt evaluations), no per-action closure objects, clocks or state
round-trips through JSON. That halves durable's own Python cost per firing (benchmarks/).

Each rule's action is a function that knows its rule: it records the firing (the facts it
matched, by the ``fid`` every engine fact carries), asserts the rule's declared facts, and never
lets an exception reach the C core: errors are collected and raised as EngineError after the run.
A never-firing sink rule consumes every fact so none is refused as unhandled. No two facts of an
evaluation share content (each has its own ``fid``), so durable answering "already observed" to
an assert can only mean a hash collision dropped the fact: the evaluation is then run again with
salted ``fid`` values (:meth:`Engine.evaluate`). Free text never reaches the C core, so nobody
can craft such a collision: a string that is not one of the rule set's words is sent as a
stand-in (``~1``) and the text is put back in every fact the engine records
(:mod:`scaleup.engine.stand_ins`).

Two crashes of durable_rules' C core shape the rest (both reproduced): ``delete_state``
segfaults on a state in which no action ever ran, so a final marker ``{t: phase, n: last}``
always fires one internal rule; and after a failed run the state may be corrupt, so it is never
deleted: the engine registers its rules afresh under a new name instead (the old C rule set is
leaked, which only happens after a defect).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

import durable_rules_engine

from .audit import Evaluation, Firing
from .stand_ins import Words, restore
from ..errors import EngineError
from ..facts import Fact, engine_text, engine_value
from ..rules.ir import CompiledRule, CompiledRuleset, Ref
from ..rules.translate import aliases_of, definitions

SID = "1"
COLLISION_RETRIES = 3   # salted re-runs after a hash collision (each one fails by chance about 1 in 10^5)
LOG = logging.getLogger("scaleup.rules")   # every firing at DEBUG; silent unless configured (cli -vv)


@functools.lru_cache(maxsize=1)
def durable_version() -> str:
    """The installed durable_rules version (read once: package metadata is slow to parse)."""
    from importlib.metadata import version
    return version("durable_rules")


# One field of an emitted fact: its name, the ``(alias, field)`` of the matched fact it is copied
# from or ``None``, and its literal value (used when there is no source). A plain tuple, not a
# NamedTuple: the action unpacks one per field per firing, and CPython 3.11 unpacks only exact
# tuples on its fast path (a NamedTuple costs about 30% more in that loop; benchmarks/).
FieldPlan = tuple[str, Optional[tuple[str, str]], Any]


@dataclass(frozen=True, slots=True)
class EmitPlan:
    """What a rule's action needs to assert one emitted fact, prepared once per rule (slotted:
    reading its attributes in the action costs what unpacking the tuple it replaced did).

    Attributes:
        type: the fact type.
        start: the JSON text of the fact up to its ``fid`` value.
        fields: the fields in name order (so the content key needs no sort).
        labels: per field, the JSON text before its value (``, "name": ``).
    """

    type: str
    start: str
    fields: tuple[FieldPlan, ...]
    labels: tuple[str, ...]


class _Run:
    """The bookkeeping of one evaluation; ``salt`` is appended to every ``fid`` the engine sees
    (empty on the first attempt; see :meth:`Engine.evaluate`)."""

    def __init__(self, facts: Sequence[Fact], salt: str = "", texts: Optional[dict[str, str]] = None):
        self.salt = salt
        self.texts = texts or {}                      # free text -> the stand-in the engine sees
        self.back = {v: k for k, v in self.texts.items()}   # and back
        self.facts: list[Fact] = list(facts)
        self.known: dict[tuple, Fact] = {}   # derived facts by content (rules never derive inputs)
        self.firings: list[Firing] = []
        self.errors: list[tuple[str, str]] = []
        self.lost: list[str] = []
        self.derived = 0


class Engine:
    """One compiled rule set registered in durable_rules' C core."""

    def __init__(self, ruleset: CompiledRuleset):
        self.ruleset = ruleset
        self._last = ruleset.strata + 1            # the final phase: only the internal __done__ rule
        self._lock = threading.Lock()
        self._words = Words(ruleset)               # strings the engine may see; other text is stood in for
        self._generation = 0
        self._handle: Optional[int] = None
        self._actions: dict[str, Callable[[_Run, dict[str, Any]], None]] = {
            rule.key: self._action(rule) for rule in ruleset.rules}
        self._actions["__done__"] = lambda run, matched: None
        self._register()

    def _register(self) -> None:
        """Create the C rule set under a new name (also after a failed run)."""
        self._generation += 1
        digest = hashlib.sha256(self.ruleset.fingerprint.encode()).hexdigest()[:16]
        self.name = f"rs-{digest}-{self._generation}"
        try:
            self._handle = durable_rules_engine.create_ruleset(self.name, engine_text(definitions(self.ruleset)))
        except Exception as exc:  # durable's own error type carries only a code
            raise EngineError.at(self.ruleset.path, None, "", f"durable_rules rejected the compiled rule set: {exc}",
                                 "run `scaleup rules check` on it") from exc

    def _action(self, rule: CompiledRule) -> Callable[[_Run, dict[str, Any]], None]:
        aliases = aliases_of(rule)
        positive = [aliases[p.alias] for p in rule.patterns if not p.negated]
        plans = [EmitPlan(emit.type, f'{{"sid": "{SID}", "t": {json.dumps(emit.type)}, "fid": "',
                          tuple((name, (aliases[v.alias], v.field) if isinstance(v, Ref) else None, v)
                                for name, v in emit.fields),
                          tuple(f", {json.dumps(name)}: " for name, _ in emit.fields)) for emit in rule.emits]
        head = (rule.id, rule.key, rule.title, rule.source, rule.basis, rule.stratum)
        origin = f"rule:{rule.id}"

        def run(state: _Run, matched: dict[str, Any]) -> None:
            try:
                cut = len(state.salt)
                ids = tuple(matched[a]["fid"][:-cut] if cut else matched[a]["fid"] for a in positive)
                new: list[str] = []
                again: list[str] = []
                for plan in plans:
                    type_ = plan.type
                    fields = {name: engine_value(matched[source[0]][source[1]]) if source else value
                              for name, source, value in plan.fields}
                    shown = restore(fields, state.back) if state.back else fields   # stand-ins -> text
                    key = (type_,) + tuple(shown.items())     # == content_key(type_, shown)
                    fact = state.known.get(key)
                    if fact is not None:
                        again.append(fact.id)
                        continue
                    state.derived += 1
                    fact = Fact(f"d{state.derived}", type_, shown, origin)
                    state.known[key] = fact
                    state.facts.append(fact)
                    new.append(fact.id)
                    values = "".join([label + engine_text(value) for label, value in zip(plan.labels, fields.values())])
                    self._assert(state, f'{plan.start}{fact.id}{state.salt}"{values}}}', fact.id)
                state.firings.append(Firing(len(state.firings) + 1, *head, ids, tuple(new), tuple(again)))
            except Exception as exc:  # recorded, raised after the run, never left in the C state
                state.errors.append((rule.key, f"{type(exc).__name__}: {exc}"))
        return run

    def _assert(self, state: _Run, fact: str, label: str) -> int:
        """Assert one fact (JSON text); return the state handle whose actions are due.

        Every fact of an evaluation has its own ``fid``, so durable reporting it as already
        observed (code 2) means a hash collision dropped it: recorded as a lost fact.
        """
        code, handle = durable_rules_engine.assert_fact(self._handle, fact)
        if code:
            state.lost.append(label)
        return handle

    def _fire(self, state: _Run, handle: int) -> None:
        """Run every action durable has queued for the state, one at a time, until none is left."""
        queued = durable_rules_engine.start_action_for_state(self._handle, handle)
        if not queued:
            return
        message = json.loads(queued[1])
        actions = self._actions
        while True:
            for key, matched in message.items():      # one rule and its matched facts
                actions[key](state, matched)
            following = durable_rules_engine.complete_and_start_action(self._handle, handle)
            if not following:
                return
            message = json.loads(following)

    def evaluate(self, facts: Sequence[Fact], label: str = "<scenario>") -> Evaluation:
        """Run the rule set on input facts.

        durable_rules identifies a fact by a 32-bit hash of its content, so two different facts
        can collide (about 1 evaluation in 380,000 by chance) and the second is dropped as
        "already observed". Free text cannot be crafted to collide: the engine sees stand-ins for
        it, never the text (:mod:`scaleup.engine.stand_ins`). Every fact carries our ``fid``,
        so changing it changes every hash: after a collision the evaluation is run again with a
        salted ``fid`` (``i3~1``, ...; phase markers get one too). Ids, firings and derived
        facts are our own, so the result is the same as an evaluation without the collision.

        Args:
            facts: validated input facts (engine representation, unique content).
            label: the scenario name used in error messages.

        Raises:
            EngineError: if the engine or a rule action failed, or facts were still lost after
                ``COLLISION_RETRIES`` salted runs.
        """
        texts = self._words.stand_ins(facts)
        for attempt in range(COLLISION_RETRIES + 1):
            state = self._run(facts, label, f"~{attempt}" if attempt else "", texts)
            if not state.lost or state.errors:
                break
            LOG.info("%s: durable_rules dropped %s as already observed (hash collision); evaluating again with "
                     "salt ~%d", label, state.lost[0], attempt + 1)
        if state.errors:
            raise EngineError.at(label, None, state.errors[0][0], f"rule action failed: {state.errors[0][1]}",
                                 "this is a defect in scaleup or the rule set; please report it")
        if state.lost:
            raise EngineError.at(label, None, "", f"durable_rules dropped {state.lost[0]} as already observed: a fact "
                                 f"was lost (durable_rules hash collision, {COLLISION_RETRIES + 1} attempts)",
                                 "please report this scenario")
        if LOG.isEnabledFor(logging.DEBUG):
            for f in state.firings:
                LOG.debug("%s: #%d %s (stratum %d) matched %s -> %s", label, f.seq, f.key, f.stratum,
                          ",".join(f.matched), ",".join(f.asserted + f.reasserted))
        return Evaluation(self.ruleset, tuple(state.facts), tuple(state.firings))

    def _run(self, facts: Sequence[Fact], label: str, salt: str, texts: Optional[dict[str, str]] = None) -> _Run:
        """One run of the engine on a clean state (``salt`` appended to every fid, free text
        replaced by its stand-in from ``texts``)."""
        with self._lock:
            state = _Run(facts, salt, texts)
            try:
                code, handle = durable_rules_engine.assert_facts(
                    self._handle, "[" + ", ".join([f.engine_json(SID, salt, texts) for f in facts]) + "]")
                if code:
                    state.lost.append("an input fact")
                self._fire(state, handle)
                marker = f', "fid": "p{salt}"' if salt else ""
                for k in range(1, self._last + 1):
                    self._fire(state, self._assert(state, f'{{"sid": "{SID}", "t": "phase"{marker}, "n": {k}}}',
                                                   f"phase {k}"))
                durable_rules_engine.delete_state(self._handle, SID)
            except Exception as exc:
                self._register()   # never delete_state a state a failure may have corrupted
                raise EngineError.at(label, None, "", f"the rule engine failed: {type(exc).__name__}: {exc}",
                                     "this is a defect in scaleup; please report it with the scenario") from exc
        return state

    def close(self) -> None:
        """Free the C-side rule set (durable has no unregister API)."""
        if self._handle is not None:
            durable_rules_engine.delete_ruleset(self._handle)
            self._handle = None


_ENGINES: dict[str, Engine] = {}


def engine_for(ruleset: CompiledRuleset) -> Engine:
    """The process-wide engine of a compiled rule set (compiled once per process)."""
    found = _ENGINES.get(ruleset.fingerprint)
    if found is None:
        found = _ENGINES[ruleset.fingerprint] = Engine(ruleset)
    return found
