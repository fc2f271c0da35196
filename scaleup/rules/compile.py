"""Compile rule files into the IR: check every name, expand ``any:``, generate band rules from
scoring tables (merging conditions on one-value slots, :mod:`scaleup.rules.slots`); rules are
ordered into strata afterwards, over all files (:mod:`scaleup.rules.strata`).

Checks (each reported at its file and line, all at once): fact types and fields against
:data:`scaleup.facts.FACT_TYPES`; indicator fields and their values against the scenario field
catalogue; source ids; parameter names; aliases; duplicate ids; band edges; and cycles through
``not:``.

Longer than 300 lines because the compiler is one pass over a rule file: tables, presumptions,
ceilings and any: branches expand into the same compiled rules and share one problem list. It is the
first candidate for a split (tables into their own module).
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from typing import Any, Callable, Iterator, Optional, Sequence

from ..errors import Problem
from ..facts import FACT_TYPES, FieldKind, engine_value
from ..scenario.fields import CATALOGUE
from .ir import OPS, CompiledRule, Emit, Pattern, Ref, RuleKind, Test, Threshold
from .model import Indicator, Parameter, Rule, RuleFile, Table
from .slots import merge_same_fact, shadowed_negation, unguarded_refs
from ..scenario.validation import dotted

MAX_BRANCHES = 64
Locate = Callable[[Sequence[Any]], Optional[int]]


class Collector:
    """Gathers located problems for one file."""

    def __init__(self, file: str, locate: Locate, problems: list[Problem]):
        self.file, self.locate, self.problems = file, locate, problems

    def add(self, path: Sequence[Any], message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.file, self.locate(path), dotted(path), message, hint))


def did_you_mean(word: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else f"expected one of: {', '.join(sorted(options))}"


class RuleCompiler:
    """Compiles the rules and tables of one file against the rule set's sources and parameters."""

    _guard: tuple[Pattern, ...] = ()

    def __init__(self, sources: Sequence[str], parameters: dict[str, Parameter],
                 out: Collector):
        self.sources, self.parameters, self.out = set(sources), parameters, out

    # -- shared checks ----------------------------------------------------------------------
    def check_source(self, source: Optional[str], path: Sequence[Any]) -> None:
        if source is not None and source not in self.sources:
            self.out.add(path, f"source {source!r} is not defined in ruleset.yaml",
                         did_you_mean(source, sorted(self.sources)) if self.sources else "add it under sources:")

    # -- rules ------------------------------------------------------------------------------
    def rule(self, rule: Rule, at: tuple) -> Iterator[CompiledRule]:
        self.check_source(rule.source, at + ("source",))
        branches = list(self._expand([(at + ("when", j), x) for j, x in enumerate(rule.when)]))
        if len(branches) > MAX_BRANCHES:
            self.out.add(at + ("when",), f"any: expands to {len(branches)} alternatives (at most {MAX_BRANCHES})",
                         "split the rule")
            return
        for b, items in enumerate(branches):
            patterns, thresholds, types = self._patterns(items, rule)
            if not patterns:
                continue
            emits = self._emits(rule.then, at + ("then",), types)
            if emits is None:
                continue
            patterns, emits = merge_same_fact(patterns, emits)
            shadowed = shadowed_negation(patterns)
            if shadowed is not None:
                tests = ", ".join(t.describe() for t in shadowed.tests)
                self.out.add(at + ("when",), f"not: {shadowed.type} ({tests}) is never checked: another condition of "
                             "the rule already matches that one fact, and durable_rules ignores facts the rule has "
                             "bound when it checks a not:", "write the opposite test on that condition instead "
                             "(e.g. level: {lt: 4} rather than not: level >= 4)")
                return
            unguarded = unguarded_refs(patterns)
            if unguarded:
                alias, field = unguarded
                self.out.add(at + ("when",), f"a condition compares with ${alias}.{field}, which {alias!r} facts "
                             "may not have", f"add a test on {field} to the condition named {alias!r} "
                             f"(e.g. {field}: {{gte: 1}}), so only facts that have it are matched")
                continue
            key = rule.id if len(branches) == 1 else f"{rule.id}#{b + 1}"
            yield CompiledRule(rule.id, key, b + 1, RuleKind.RULE, rule.title, rule.source, rule.basis,
                               rule.section, rule.verified, rule.description, tuple(patterns),
                               tuple(emits), tuple(thresholds), self.out.file, self.out.locate(at))

    def _expand(self, items: list[tuple[tuple, Any]]) -> Iterator[list[tuple[tuple, Any]]]:
        """Expand ``any:`` into alternative lists of (path, condition): disjunctive normal form."""
        if not items:
            yield []
            return
        (path, head), tails = items[0], list(self._expand(items[1:]))
        if not (isinstance(head, dict) and set(head) == {"any"}):
            for tail in tails:
                yield [(path, head)] + tail
            return
        alternatives = head["any"]
        if not isinstance(alternatives, list) or len(alternatives) < 2:
            self.out.add(path + ("any",), "any: needs a list of at least two alternatives",
                         "each alternative is a condition or a list of conditions")
            return
        for i, alt in enumerate(alternatives):
            alt_items = ([(path + ("any", i, j), x) for j, x in enumerate(alt)] if isinstance(alt, list)
                         else [(path + ("any", i), alt)])
            for branch in self._expand(alt_items):
                for tail in tails:
                    yield branch + tail

    def _patterns(self, items: list[tuple[tuple, Any]], rule: Rule
                  ) -> tuple[Optional[list[Pattern]], list[Threshold], dict[str, str]]:
        patterns: list[Pattern] = []
        thresholds: list[Threshold] = []
        aliases: dict[str, str] = {}   # user alias -> fact type
        ok = True
        for n, (path, item) in enumerate(items):
            negated = isinstance(item, dict) and set(item) == {"not"}
            body = item["not"] if negated else item
            bpath = path + ("not",) if negated else path
            if not isinstance(body, dict) or "fact" not in body:
                self.out.add(bpath, "a condition is a mapping with 'fact: <type>' and field tests"
                             + (", or 'not:' / 'any:'" if not negated else ""),
                             "e.g. {fact: criterion, name: scale, level: {gte: 3}}")
                ok = False
                continue
            pattern = self._pattern(body, bpath, f"a{n}", negated, aliases, rule, thresholds)
            if pattern is None:
                ok = False
                continue
            alias = body.get("as")
            if alias is not None:
                if negated:
                    self.out.add(bpath + ("as",), "a negated condition cannot be referred to", "remove 'as:'")
                    ok = False
                elif not isinstance(alias, str) or alias in aliases:
                    self.out.add(bpath + ("as",), f"alias {alias!r} is not a new name", "use a unique name")
                    ok = False
                else:
                    aliases[alias] = pattern.type
                    pattern = replace(pattern, alias=alias)
            patterns.append(pattern)
        return (patterns if ok else None), thresholds, aliases

    def _pattern(self, body: dict, at: tuple, alias: str, negated: bool, aliases: dict[str, str],
                 rule: Rule, thresholds: list[Threshold]) -> Optional[Pattern]:
        type_ = body["fact"]
        if type_ not in FACT_TYPES:
            self.out.add(at + ("fact",), f"unknown fact type {type_!r}", did_you_mean(str(type_), list(FACT_TYPES)))
            return None
        spec = FACT_TYPES[type_]
        tests: list[Test] = []
        ok = True
        indicator_field = body.get("field") if type_ == "indicator" else None
        if type_ == "indicator" and (not isinstance(indicator_field, str) or indicator_field not in CATALOGUE):
            self.out.add(at + ("field",), f"unknown scenario field {indicator_field!r}",
                         did_you_mean(str(indicator_field), list(CATALOGUE)))
            return None
        for name, raw in body.items():
            if name in ("fact", "as"):
                continue
            if name not in spec.fields:
                self.out.add(at + (name,), f"fact type {type_!r} has no field {name!r}",
                             did_you_mean(name, list(spec.fields)))
                ok = False
                continue
            ops = raw if isinstance(raw, dict) else {"eq": raw}
            for op, value in ops.items():
                if op not in OPS:
                    self.out.add(at + (name, op), f"unknown comparison {op!r}", did_you_mean(str(op), OPS))
                    ok = False
                    continue
                test = self._test(name, op, value, at + (name,) + ((op,) if isinstance(raw, dict) else ()),
                                  type_, indicator_field, aliases)
                if test is None:
                    ok = False
                    continue
                tests.append(test)
                if not isinstance(test.value, Ref) and (op not in ("eq", "in") or name in ("value", "level")):
                    param = self.parameters.get(test.param) if test.param else None
                    label = f"{indicator_field}" if indicator_field else f"{type_}.{name}"
                    thresholds.append(Threshold(
                        label, op, list(test.value) if isinstance(test.value, tuple) else test.value,
                        param.basis if param else rule.basis,
                        (param.source if param else rule.source), test.param,
                        param.verified if param else rule.verified))
        return Pattern(alias, type_, tuple(tests), negated) if ok else None

    def _resolve(self, value: Any, at: tuple, aliases: dict[str, str]) -> tuple[Any, Optional[str]]:
        """Literal, ``$param.x`` or ``$alias.field`` -> (engine value or Ref, param name)."""
        if isinstance(value, str) and value.startswith("$"):
            head, _, tail = value[1:].partition(".")
            if head == "param":
                if tail not in self.parameters:
                    self.out.add(at, f"parameter {tail!r} is not defined in ruleset.yaml",
                                 did_you_mean(tail, list(self.parameters)) if self.parameters else "add it under parameters:")
                    return None, None
                return engine_value(self.parameters[tail].value), tail
            if head in aliases:
                if tail not in FACT_TYPES[aliases[head]].fields:
                    self.out.add(at, f"{aliases[head]!r} facts have no field {tail!r}",
                                 did_you_mean(tail, list(FACT_TYPES[aliases[head]].fields)))
                    return None, None
                return Ref(head, tail), None
            self.out.add(at, f"{value!r} refers to no parameter or earlier alias",
                         "use $param.<name> or $<alias>.<field> with an alias set by 'as:' in an earlier condition")
            return None, None
        if isinstance(value, (dict, list)) or value is None:
            return None, None
        try:
            return engine_value(value), None
        except ValueError as exc:
            self.out.add(at, str(exc), "use a value the engine can hold exactly: a short text, or a number "
                         "below 10**15 in magnitude (rescale the unit if needed)")
            return None, None

    def _test(self, name: str, op: str, value: Any, at: tuple, type_: str,
              indicator_field: Optional[str], aliases: dict[str, str]) -> Optional[Test]:
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value or len(value) > 50:
                self.out.add(at, f"{op}: needs a list of 1 to 50 values", "e.g. {in: [sudden, rapid_deterioration]}")
                return None
            resolved = [self._resolve(v, at, aliases) for v in value]
            if any(r[0] is None or isinstance(r[0], Ref) for r in resolved):
                if all(r[0] is not None for r in resolved):
                    self.out.add(at, f"{op}: takes literal values or parameters",
                                 "compare with a value copied from another condition using eq, ne, gt, gte, lt or lte")
                return None
            values: Any = tuple(r[0] for r in resolved)
            param = None
        else:
            if isinstance(value, (dict, list)) or value is None:
                self.out.add(at, f"expected a value for {op}, got {type(value).__name__ if value is not None else 'nothing'}",
                             "write a number, a word, $param.<name> or $<alias>.<field>")
                return None
            values, param = self._resolve(value, at, aliases)
            if values is None:
                return None
        if not self._value_fits(name, op, values, at, type_, indicator_field):
            return None
        return Test(name, op, values, param)

    def _value_fits(self, name: str, op: str, value: Any, at: tuple, type_: str,
                    indicator_field: Optional[str]) -> bool:
        """Check literals against the field's kind and closed value set."""
        if isinstance(value, Ref):
            return True
        items = value if isinstance(value, tuple) else (value,)
        numeric_op = op in ("gt", "gte", "lt", "lte")
        if type_ == "indicator" and name == "value":
            info = CATALOGUE[indicator_field]  # type: ignore[index]  # indicator_field was checked to be a catalogue field above
            kind, allowed = info.kind, info.values
        elif type_ == "indicator":
            kind, allowed = "str", tuple(CATALOGUE)
        else:
            spec = FACT_TYPES[type_].fields[name]
            kind = {FieldKind.LEVEL: "int", FieldKind.NUM: "num",
                    FieldKind.STR: "enum" if spec.values else "text"}.get(spec.kind, spec.kind)
            allowed = spec.values
        if kind in ("int", "num"):
            bad = [v for v in items if isinstance(v, str)]
            if bad:
                self.out.add(at, f"{name} is a number here, but {bad[0]!r} is text", "write a number")
                return False
            return True
        if numeric_op:
            self.out.add(at, f"{op} compares numbers, but {name} is {'a category' if kind != 'bool' else 'true/false'}",
                         "use eq, ne, in or not_in")
            return False
        if allowed:
            for v in items:
                if v not in allowed:
                    self.out.add(at, f"{v!r} is not a possible value of {indicator_field or name}",
                                 did_you_mean(str(v), allowed))
                    return False
        return True

    def _emits(self, items: list[Any], at: tuple, aliases: dict[str, str]) -> Optional[list[Emit]]:
        emits: list[Emit] = []
        ok = True
        for i, item in enumerate(items):
            here = at + (i,)
            if not isinstance(item, dict) or set(item) != {"assert"} or not isinstance(item["assert"], dict):
                self.out.add(here, "an action is 'assert: {fact: <type>, <field>: <value>, ...}'",
                             "e.g. assert: {fact: route, value: refugee_rcm}")
                ok = False
                continue
            body = item["assert"]
            here = here + ("assert",)
            type_ = body.get("fact")
            if type_ not in FACT_TYPES or not FACT_TYPES[type_].derived:
                self.out.add(here + ("fact",), f"cannot assert fact type {type_!r}",
                             did_you_mean(str(type_), [t for t, s in FACT_TYPES.items() if s.derived]))
                ok = False
                continue
            spec = FACT_TYPES[type_]
            fields: list[tuple[str, Any]] = []
            params: list[tuple[str, str]] = []
            for name, raw in body.items():
                if name == "fact":
                    continue
                if name not in spec.fields:
                    self.out.add(here + (name,), f"fact type {type_!r} has no field {name!r}",
                                 did_you_mean(name, list(spec.fields)))
                    ok = False
                    continue
                value, param = self._resolve(raw, here + (name,), aliases)
                if value is None:
                    if not isinstance(raw, str) or not raw.startswith("$"):
                        self.out.add(here + (name,), "expected a literal value, $param.<name> or $<alias>.<field>",
                                     "an asserted field holds one value, not a list or a mapping")
                    ok = False
                    continue
                if not self._emit_value_fits(type_, name, value, here + (name,)):
                    ok = False
                    continue
                fields.append((name, value))
                if param:
                    params.append((name, param))
            missing = [n for n, f in spec.fields.items() if f.required and n not in dict(fields)]
            if missing and ok:
                self.out.add(here, f"{type_!r} facts need {', '.join(missing)}", f"add {missing[0]}: <value>")
                ok = False
                continue
            emits.append(Emit(type_, tuple(sorted(fields)), tuple(sorted(params))))
        return emits if ok else None

    def _emit_value_fits(self, type_: str, name: str, value: Any, at: tuple) -> bool:
        if isinstance(value, Ref):
            return True
        spec = FACT_TYPES[type_].fields[name]
        if spec.kind == FieldKind.LEVEL and not (isinstance(value, int) and 1 <= value <= 5):
            self.out.add(at, f"{name} must be a whole number from 1 to 5, got {value!r}", "levels run 1 (very low) to 5 (very high)")
            return False
        if spec.kind == FieldKind.NUM and not isinstance(value, (int, float)):
            self.out.add(at, f"{name} must be a number, got {value!r}", "write a number without quotes or units")
            return False
        if spec.kind == FieldKind.STR and (not isinstance(value, str) or (spec.values and value not in spec.values)):
            self.out.add(at, f"{value!r} is not a possible {type_}.{name}",
                         did_you_mean(str(value), spec.values) if spec.values else "write text")
            return False
        return True

    # -- scoring tables ---------------------------------------------------------------------
    def table(self, table: Table, at: tuple) -> Iterator[CompiledRule]:
        self.check_source(table.source, at + ("source",))
        for j, name in enumerate(table.unless):
            if name not in CATALOGUE:
                self.out.add(at + ("unless", j), f"unknown scenario field {name!r}", did_you_mean(name, list(CATALOGUE)))
        if table.unless and not table.presumed:
            self.out.add(at + ("unless",), "unless: applies to a presumption table", "add presumed: true, or remove unless")
        if table.presumed and table.ceilings:
            self.out.add(at + ("ceilings",), "ceilings belong to the criterion's own table, not to a presumption table",
                         "move ceilings: true to the table without presumed: true")
        self._guard = tuple(Pattern(f"u{j}", "indicator", (Test("field", "eq", name),), True)
                            for j, name in enumerate(table.unless)) if table.presumed else ()
        for i, ind in enumerate(table.indicators):
            yield from self._indicator(table, ind, at + ("indicators", i))
        self._guard = ()
        if table.presumed:
            return
        c = table.criterion
        line = self.out.locate(at)
        top = (Pattern("s", "signal", (Test("criterion", "eq", c),)),
               Pattern("a1", "signal", (Test("criterion", "eq", c), Test("level", "gt", Ref("s", "level"))), True),
               Pattern("a2", "signal", (Test("criterion", "eq", c), Test("level", "eq", Ref("s", "level")),
                                        Test("field", "lt", Ref("s", "field"))), True))
        below = (Pattern("k0", "ceiling", (Test("criterion", "eq", c), Test("level", "lt", Ref("s", "level"))), True),)
        yield CompiledRule(
            f"{c}/combine", f"{c}/combine", 1, RuleKind.COMBINE,
            f"The {c} level is the highest level any of its indicators reaches"
            + (", unless a ceiling holds it lower" if table.ceilings else ""), table.source,
            "project", table.section, True,
            "When several indicators reach the top level, the first by field name stands for them "
            "(one firing per criterion); the recommendation lists every signal behind the level.",
            top + (below if table.ceilings else ()),
            (Emit("criterion", (("evidence", "scored"), ("level", Ref("s", "level")), ("name", c))),),
            (), self.out.file, line)
        if table.ceilings:
            yield CompiledRule(
                f"{c}/ceiling", f"{c}/ceiling", 1, RuleKind.COMBINE,
                f"Evidence of coping holds {c} at the lowest ceiling below its highest indicator level",
                table.source, "project", table.section, True,
                "A ceiling (asserted by a rule on evidence such as coping) caps the level the indicators "
                "give; the lowest ceiling stands, the first by field name among equals.",
                top + (Pattern("k", "ceiling", (Test("criterion", "eq", c), Test("level", "lt", Ref("s", "level")))),
                       Pattern("k1", "ceiling", (Test("criterion", "eq", c), Test("level", "lt", Ref("k", "level"))), True),
                       Pattern("k2", "ceiling", (Test("criterion", "eq", c), Test("level", "eq", Ref("k", "level")),
                                                 Test("field", "lt", Ref("k", "field"))), True)),
                (Emit("criterion", (("evidence", "scored"), ("level", Ref("k", "level")), ("name", c))),),
                (), self.out.file, line)
        yield CompiledRule(
            f"{c}/insufficient", f"{c}/insufficient", 1, RuleKind.INSUFFICIENT,
            f"With no usable indicator, {c} is insufficient evidence (never level 1)", table.source,
            "project", table.section, True, None,
            (Pattern("a0", "signal", (Test("criterion", "eq", c),), True),),
            (Emit("criterion", (("evidence", "insufficient"), ("name", c))),),
            (), self.out.file, line)

    def _indicator(self, table: Table, ind: Indicator, at: tuple) -> Iterator[CompiledRule]:
        info = CATALOGUE.get(ind.field)
        if info is None:
            self.out.add(at + ("field",), f"unknown scenario field {ind.field!r}", did_you_mean(ind.field, list(CATALOGUE)))
            return
        basis, source = ind.basis or table.basis, ind.source or table.source
        self.check_source(source, at + ("source",))
        if (ind.edges is None) == (ind.levels is None):
            self.out.add(at, "give either edges (numeric field) or levels (categorical field)",
                         "e.g. edges: [10, 100, 1000, 10000] or levels: {sudden: 5, gradual: 2}")
            return
        base: dict[str, Any] = {"criterion": table.criterion, "ind": ind, "basis": basis, "source": source, "at": at}
        if ind.edges is not None:
            yield from self._bands(info.kind, **base)
        else:
            yield from self._categories(info.kind, info.values, **base)

    def _band_rule(self, criterion: str, ind: Indicator, level: int, tests: list[Test],
                   thresholds: list[Threshold], basis: str, source: str, at: tuple, label: str) -> CompiledRule:
        presumed = bool(self._guard)
        rule_id = f"{criterion}/{'presumed/' if presumed else ''}{ind.field}/L{level}"
        fields: tuple[tuple[str, Any], ...] = (("criterion", criterion), ("field", ind.field), ("level", level))
        return CompiledRule(
            rule_id, rule_id, 1, RuleKind.BAND,
            f"{ind.title or ind.field}: {label} -> {criterion} level {level}{' (presumed)' if presumed else ''}",
            source, basis, ind.section, ind.verified, ind.note,
            (Pattern("a0", "indicator", (Test("field", "eq", ind.field),) + tuple(tests)),) + self._guard,
            (Emit("signal", fields + ((("presumed", "true"),) if presumed else ())),),
            tuple(thresholds), self.out.file, self.out.locate(at))

    def _bands(self, kind: str, criterion: str, ind: Indicator, basis: str, source: str, at: tuple) -> Iterator[CompiledRule]:
        if kind not in ("int", "num"):
            self.out.add(at + ("edges",), f"{ind.field} is not numeric; edges need a number field",
                         "use levels: {value: level} for categories")
            return
        edges = ind.edges or []
        values = [e.value for e in edges]
        meta = [(e.basis or basis, e.source or source) for e in edges]
        for e, edge in enumerate(edges):
            if edge.source is not None:
                self.check_source(edge.source, at + ("edges", e, "source"))
        descending = ind.direction == "descending"
        ordered = all((a > b) if descending else (a < b) for a, b in zip(values, values[1:]))
        if not ordered:
            self.out.add(at + ("edges",), f"edges must be strictly {'decreasing' if descending else 'increasing'}: {values}",
                         "sort them, and remove repeated values")
            return
        n = len(values) + 1
        levels = ind.band_levels or list(range(1, n + 1))
        if len(levels) != n or any(b <= a for a, b in zip(levels, levels[1:])):
            self.out.add(at + ("band_levels",), f"{len(values)} edges make {n} bands, so band_levels needs {n} increasing levels, got {levels}",
                         "give one level per band, lowest band first, each higher than the one before")
            return
        if n > 5 and not ind.band_levels:
            self.out.add(at + ("edges",), f"{len(values)} edges make {n} bands, but levels run 1-5", "use at most 4 edges, or band_levels")
            return
        for b, level in enumerate(levels):
            tests, thresholds = [], []
            lo_i, hi_i = (b, b - 1) if descending else (b - 1, b)   # indices of the lower and upper edge
            if 0 <= lo_i < len(values):
                tests.append(Test("value", "gte", engine_value(values[lo_i])))
                thresholds.append(Threshold(ind.field, "gte", values[lo_i], *meta[lo_i], None, ind.verified))
            if 0 <= hi_i < len(values):
                tests.append(Test("value", "lt", engine_value(values[hi_i])))
                thresholds.append(Threshold(ind.field, "lt", values[hi_i], *meta[hi_i], None, ind.verified))
            label = " and ".join(f"{'>=' if t.op == 'gte' else '<'} {t.value:,}" for t in tests)
            yield self._band_rule(criterion, ind, level, tests, thresholds, basis, source, at, label)

    def _categories(self, kind: str, allowed: Sequence[str], criterion: str, ind: Indicator,
                    basis: str, source: str, at: tuple) -> Iterator[CompiledRule]:
        if kind in ("int", "num"):
            self.out.add(at + ("levels",), f"{ind.field} is numeric; use edges", "e.g. edges: [10, 20, 50, 100]")
            return
        by_level: dict[int, list[str]] = {}
        for value, level in (ind.levels or {}).items():
            if allowed and value not in allowed:
                self.out.add(at + ("levels", value), f"{value!r} is not a possible value of {ind.field}",
                             did_you_mean(value, allowed))
                return
            by_level.setdefault(level, []).append(value)
        for level in sorted(by_level):
            values = tuple(by_level[level])
            test = Test("value", "eq", values[0]) if len(values) == 1 else Test("value", "in", values)
            yield self._band_rule(criterion, ind, level, [test],
                                  [Threshold(ind.field, test.op, list(values) if len(values) > 1 else values[0], basis, source, None, ind.verified)],
                                  basis, source, at, " or ".join(values))


def compile_file(rule_file: RuleFile, sources: Sequence[str], parameters: dict[str, Parameter],
                 out: Collector) -> list[CompiledRule]:
    """Compile the tables and rules of one file (strata are assigned later, over all files)."""
    compiler = RuleCompiler(sources, parameters, out)
    rules: list[CompiledRule] = []
    for i, table in enumerate(rule_file.tables):
        rules.extend(compiler.table(table, ("tables", i)))
    for i, rule in enumerate(rule_file.rules):
        rules.extend(compiler.rule(rule, ("rules", i)))
    return rules

