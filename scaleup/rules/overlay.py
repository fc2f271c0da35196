"""Rule set overlays (``extends:``) and band-edge overrides (``--set``).

An overlay is a rule set folder whose ``ruleset.yaml`` says ``extends: <base>`` (a shipped rule
set name, or a folder path relative to the overlay) and includes only what it changes:

- ``sources`` and ``parameters`` merge over the base's (same key: the overlay's entry wins);
  ``caveats`` are added to the base's;
- a scoring table indicator replaces the base's indicator of the same criterion and field (all
  its bands), or is added; a table for a criterion the base does not score is added whole;
- a rule replaces the base's rule of the same id (in the base's place, so firing order is
  kept), or is added after the base's rules.

Both layers are compiled against the merged sources and parameters, each file with its own
line numbers, and merged as compiled rules, so every message and every audit entry still points
at the file that defines the rule.

A band edge is overridden for one run with ``CRITERION/FIELD.edges[INDEX]=VALUE`` (``INDEX``
counts from 0, as in error messages): ``--set scale/populations.iasc_caseload.edges[1]=300000``.
The overridden edge becomes ``basis: project`` (the number is no longer the source's).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

from ..errors import Problem
from ..facts import Scalar
from ..scenario.fields import CATALOGUE
from ..scenario.yamlio import Document
from .compile import did_you_mean
from .ir import CompiledRule, RuleKind
from .model import Caveat, Edge, Parameter, RuleFile, RulesetFile, Source

MAX_DEPTH = 8
EDGE_SET = re.compile(r"^(?P<criterion>[a-z]+)/(?P<field>[A-Za-z0-9_.]+)\.edges\[(?P<index>\d+)\]$")
EDGE_HINT = "write CRITERION/FIELD.edges[INDEX]=VALUE, e.g. scale/populations.iasc_caseload.edges[1]=300000"


@dataclass
class Layer:
    """One rule set folder of an ``extends:`` chain, read and validated but not compiled."""

    root: Path
    display: str
    head_doc: Document
    head: RulesetFile
    files: list[tuple[str, Document, RuleFile]] = field(default_factory=list)
    digests: list[tuple[str, str]] = field(default_factory=list)


def merge_heads(chain: Sequence[Layer]) -> tuple[dict[str, Source], dict[str, Parameter], tuple[Caveat, ...]]:
    """Sources, parameters and caveats of a chain (base first): later layers win per key."""
    sources: dict[str, Source] = {}
    parameters: dict[str, Parameter] = {}
    caveats: list[Caveat] = []
    for layer in chain:
        sources.update(layer.head.sources)
        parameters.update(layer.head.parameters)
        caveats.extend(c for c in layer.head.caveats if c not in caveats)
    return sources, parameters, tuple(caveats)


def split_overrides(overrides: Mapping[str, Scalar]) -> tuple[dict[str, Scalar], dict[str, Scalar]]:
    """``--set`` values: (parameters, band edges). Parameter names never contain ``/``."""
    params = {k: v for k, v in overrides.items() if "/" not in k}
    edges = {k: v for k, v in overrides.items() if "/" in k}
    return params, edges


# --- what a --set value may be ------------------------------------------------------------------

MAX_COUNT = 10_000_000_000        # as scenario counts (docs/limits.md)
MAX_NUMBER = 1e15                 # engine_value refuses larger fractions


@dataclass(frozen=True)
class UnitRange:
    """The values a parameter of one unit may take.

    Attributes:
        whole: whole numbers only.
        low, high: the range, ``high`` included.
        open_low: ``low`` itself excluded (a duration of 0 is no duration).
        words: the range as an error message says it.
    """

    whole: bool
    low: float
    high: float
    open_low: bool
    words: str

    def admits(self, value: float) -> bool:
        """Whether ``value`` (a finite number) is in the range."""
        if self.whole and not float(value).is_integer():
            return False
        return self.low < value <= self.high if self.open_low else self.low <= value <= self.high


# unit (its first word, before any "/") -> its range
UNIT_RANGES: dict[str, UnitRange] = {
    "level": UnitRange(True, 1, 5, False, "a whole number from 1 to 5"),
    "people": UnitRange(True, 0, MAX_COUNT, False, f"a whole number from 0 to {MAX_COUNT:,}"),
    "houses": UnitRange(True, 0, MAX_COUNT, False, f"a whole number from 0 to {MAX_COUNT:,}"),
    "extensions": UnitRange(True, 0, 100, False, "a whole number from 0 to 100"),
    "percent": UnitRange(False, 0, 100, False, "a number from 0 to 100"),
    "months": UnitRange(False, 0, 1200, True, "a number above 0 and at most 1,200"),
    "weeks": UnitRange(False, 0, 5200, True, "a number above 0 and at most 5,200"),
    "days": UnitRange(False, 0, 36500, True, "a number above 0 and at most 36,500"),
    "deaths": UnitRange(False, 0, MAX_NUMBER, False, "a number from 0 up"),
}


def kind_problem(value: Any) -> Optional[str]:
    """Why ``value`` is not a finite number the engine can take, or None."""
    if value is None:
        return "expected a number, got null"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        got = {list: "a list", dict: "a mapping", str: f"the text {value!r}", bool: f"{str(value).lower()}"}
        return f"expected a number, got {got.get(type(value), type(value).__name__)}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"expected a finite number, got {value!r} (NaN, Infinity and numbers beyond 1e308 are not numbers here)"
    if abs(value) >= MAX_NUMBER:
        return f"expected a number below {MAX_NUMBER:.0e}, got {value!r}"
    return None


def check_value(value: Any, unit: Optional[str], whole: bool = False,
                bounds: tuple[Optional[float], Optional[float]] = (None, None)) -> Optional[str]:
    """Why ``value`` cannot be a parameter of ``unit`` (or an edge within ``bounds``), or None.

    The range of a parameter follows from its unit in ``ruleset.yaml`` (``UNIT_RANGES``; a unit
    such as ``deaths/10,000/day`` is read by its first word; a unit holding a scale such as
    ``ACAPS 0-5`` gives that range); any other unit only requires a finite number (a whole one
    when ``whole``: the parameter's own value is whole).
    """
    problem = kind_problem(value)
    if problem:
        return problem
    key = (unit or "").split("/")[0].strip().lower()
    allowed = UNIT_RANGES.get(key)
    if allowed is not None:
        if not allowed.admits(value):
            return f"a value in {unit} must be {allowed.words}, got {value!r}"
    elif (scale := re.search(r"\b(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)\b", unit or "")) is not None:
        low_s, high_s = float(scale[1]), float(scale[2])       # a scale in the unit: "ACAPS 0-5"
        if not low_s <= value <= high_s or (whole and not float(value).is_integer()):
            return f"a value on the scale {unit} must be {'a whole number' if whole else 'a number'} from {scale[1]} to {scale[2]}, got {value!r}"
    elif whole and not float(value).is_integer():
        return f"expected a whole number, got {value!r}"
    low, high = bounds
    if (low is not None and value < low) or (high is not None and value > high):
        return f"must be within the field's range {_fmt(low)} to {_fmt(high)}, got {value!r}"
    return None


def _fmt(x: Optional[float]) -> str:
    return "..." if x is None else f"{int(x):,}" if float(x).is_integer() else repr(x)


def set_edges(chain: Sequence[Layer], overrides: Mapping[str, Any]) -> list[Problem]:
    """Apply band-edge overrides to the chain's rule files, in place.

    The indicator changed is the one that takes effect: the last layer's that defines it.

    Returns:
        A problem for each override naming no indicator or edge, or breaking the edges' order
        (that override is not applied).
    """
    problems: list[Problem] = []
    for key, value in overrides.items():
        match = EDGE_SET.match(key)
        if match is None:
            problems.append(Problem("--set", None, key, "not a parameter name or a band edge", EDGE_HINT))
            continue
        criterion, name, index = match["criterion"], match["field"], int(match["index"])
        info = CATALOGUE.get(name)
        wrong = check_value(value, None, bool(info and info.kind == "int"),
                            (info.ge, info.le) if info else (None, None))
        if wrong:
            problems.append(Problem("--set", None, key, f"a band edge of {name}: {wrong}",
                                    "give a number in the field's range (docs/scenario.md), e.g. "
                                    "scale/populations.in_need.edges[1]=300000"))
            continue
        found = _find_indicator(chain, criterion, name)
        if found is None:
            known = sorted({f"{t.criterion}/{i.field}" for layer in chain for _, _, rf in layer.files
                            for t in rf.tables for i in t.indicators if i.edges})
            problems.append(Problem("--set", None, key, f"no scoring table indicator {criterion}/{name} with edges",
                                    did_you_mean(f"{criterion}/{name}", known)))
            continue
        layer, f, t, i = found
        include, doc, rule_file = layer.files[f]
        indicator = rule_file.tables[t].indicators[i]
        edges = list(indicator.edges or [])
        if index >= len(edges):
            problems.append(Problem("--set", None, key, f"{criterion}/{name} has {len(edges)} edges",
                                    f"use edges[0] to edges[{len(edges) - 1}]"))
            continue
        old = edges[index].value
        edges[index] = Edge(value=value, basis="project", note=f"set for this run with --set (was {old})")
        values = [e.value for e in edges]
        descending = indicator.direction == "descending"
        if not all((a > b) if descending else (a < b) for a, b in zip(values, values[1:])):
            problems.append(Problem("--set", None, key, f"makes the edges {values}, which are not strictly "
                                    f"{'decreasing' if descending else 'increasing'}",
                                    f"choose a value between its neighbours ({', '.join(map(str, _neighbours(values, index)))})"))
            continue
        indicators = list(rule_file.tables[t].indicators)
        indicators[i] = indicator.model_copy(update={"edges": edges})
        tables = list(rule_file.tables)
        tables[t] = tables[t].model_copy(update={"indicators": indicators})
        layer.files[f] = (include, doc, rule_file.model_copy(update={"tables": tables}))
    return problems


def _neighbours(values: list[Any], index: int) -> list[Any]:
    return [values[j] for j in (index - 1, index + 1) if 0 <= j < len(values)]


def _find_indicator(chain: Sequence[Layer], criterion: str, name: str) -> Optional[tuple[Layer, int, int, int]]:
    found = None
    for layer in chain:
        for f, (_, _, rule_file) in enumerate(layer.files):
            for t, table in enumerate(rule_file.tables):
                for i, ind in enumerate(table.indicators):
                    if table.criterion == criterion and ind.field == name and ind.edges:
                        found = (layer, f, t, i)
    return found


def band_key(rule: CompiledRule) -> Optional[tuple[str, str]]:
    """(criterion, field) of a band rule, the criterion marked ``/presumed`` for a presumption
    table's band; None for any other rule."""
    if rule.kind != RuleKind.BAND:
        return None
    fields = dict(rule.emits[0].fields)
    presumed = "/presumed" if fields.get("presumed") == "true" else ""
    return str(fields["criterion"]) + presumed, str(fields["field"])


def merge_rules(layers: Sequence[list[CompiledRule]]) -> list[CompiledRule]:
    """Merge compiled layers (base first) by the overlay rules in the module doc."""
    merged = list(layers[0])
    for overlay in layers[1:]:
        bands: dict[tuple[str, str], list[CompiledRule]] = {}
        rules: dict[str, list[CompiledRule]] = {}
        generated = {r.id for r in merged if r.kind in (RuleKind.COMBINE, RuleKind.INSUFFICIENT)}
        for r in overlay:
            key = band_key(r)
            if r.kind in (RuleKind.COMBINE, RuleKind.INSUFFICIENT) and r.id in generated:
                continue        # how a criterion combines (its ceilings included) is the base table's
            if key is not None:
                bands.setdefault(key, []).append(r)
            else:
                rules.setdefault(r.id, []).append(r)
        out: list[CompiledRule] = []
        placed: set[object] = set()
        for r in merged:
            key = band_key(r)
            group: object = key if key is not None else r.id
            replacement = bands.get(key) if key is not None else rules.get(r.id)
            if replacement is None:
                out.append(r)
            elif group not in placed:
                out.extend(replacement)
                placed.add(group)
        for key, group_rules in bands.items():
            if key not in placed:
                out.extend(group_rules)
        for rule_id, group_rules in rules.items():
            if rule_id not in placed:
                out.extend(group_rules)
        merged = out
    return merged
