"""The decision map of a sweep: one self-contained HTML page (inline CSS and SVG, no script, no
network) showing the decision, and the coordination route, over the plane of one or two of the
varied fields (:mod:`scaleup.batch.sweep_map`).

Cells are laid out by grid index or by equal bins (equal widths, values increasing rightwards
and upwards). With more fields varied than shown, or a binned axis, a cell holds many points: it
takes the colour of its most frequent outcome, paler the fewer of its points share it (the
marginal over the other fields; hover for the shares). Band edges come from the compiled rule
set: every threshold a rule tests on a shown field. An edge is drawn where it crosses the axis (on
the cell border it separates, ``value >= edge`` on the far side, for exact cells), numbered, and
listed with the band change, basis and source; edges outside the swept range are listed, not
drawn. Geometry is computed here; the Jinja2 template only places it, with autoescaping on.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import jinja2

from ..version import __version__
from ..vocabulary import CRITERIA, Decision, Route
from ..engine.durable import durable_version
from ..rules.ir import CompiledRuleset, RuleKind
from .sweep import SweepResult, Vary
from .sweep_map import MapAxis
from ..display import fmt

DECISIONS: dict[str, tuple[str, str, str, str]] = {   # value: (label, fill, text colour, code); Okabe-Ito colours, safe for colour blindness
    Decision.RECOMMEND: (Decision.RECOMMEND.label, "#D55E00", "#FFFFFF", "R"),
    Decision.CONSIDER: (Decision.CONSIDER.label, "#E69F00", "#000000", "C"),
    Decision.NOT_RECOMMENDED: (Decision.NOT_RECOMMENDED.label, "#0072B2", "#FFFFFF", "N"),
    Decision.NOT_APPLICABLE: (Decision.NOT_APPLICABLE.label, "#999999", "#000000", "–"),
    Decision.INSUFFICIENT_EVIDENCE: (Decision.INSUFFICIENT_EVIDENCE.label, "#CC79A7", "#000000", "?"),
}
ROUTES = {
    Route.IASC_CLUSTERS: (Route.IASC_CLUSTERS.label, "#0072B2", "#FFFFFF", "IC"),
    Route.REFUGEE_RCM: (Route.REFUGEE_RCM.label, "#009E73", "#FFFFFF", "RC"),
    Route.MIXED_JOINT_NOTE: (Route.MIXED_JOINT_NOTE.label, "#CC79A7", "#000000", "MX"),
    Route.NATIONAL_LED: (Route.NATIONAL_LED.label, "#F0E442", "#000000", "NL"),
    None: ("No route", "#DDDDDD", "#000000", "–"),
}
INVALID = ("Invalid point", "url(#hatch-{panel})", "#000000", "×")
CRASHED = ("Crashed", "#000000", "#FFFFFF", "!")
OPS = {"gte": "≥", "gt": ">", "lt": "<", "lte": "≤", "eq": "=", "ne": "≠"}
PLOT_W, PLOT_H, STRIP_H = 720, 330, 72   # one panel fits a 1024 x 768 projector
TOP, RIGHT = 34, 44
MAX_TICKS = 14
TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class Edge:
    number: int
    field: str
    value: Any
    border: Optional[float]    # where it crosses the axis, in cells; None when outside the range
    what: str
    basis: str
    source: str
    pos: float = 0.0

    @property
    def label(self) -> str:
        return fmt(self.value)


@dataclass
class Tick:
    pos: float
    label: str
    sub: str = ""


@dataclass
class Cell:
    x: float
    y: float
    w: float
    h: float
    fill: str
    ink: str
    code: str
    title: str
    opacity: float = 1.0      # below 1: the colour's outcome holds in only part of the cell's points


@dataclass
class Panel:
    key: str
    title: str
    cells: list[Cell]
    legend: list[tuple[str, str, str, int]]
    width: float
    height: float
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)


def _border(values: Sequence[Any], value: float, strict: bool) -> Optional[int]:
    """Index of the first cell on the far side of a threshold; None when no border separates."""
    index = next((i for i, v in enumerate(values) if (v > value if strict else v >= value)), len(values))
    return index if 0 < index < len(values) else None


def _band_edges(vary: Vary, ruleset: CompiledRuleset) -> list[tuple[Any, bool, str, str, str]]:
    """(value, strict, meaning, basis, source) of every numeric threshold rules test on the field."""
    bands: dict[tuple[float, bool], dict[str, dict[str, str]]] = {}
    meta: dict[tuple[float, bool], tuple[str, str]] = {}
    others: list[tuple[Any, bool, str, str, str]] = []
    for rule in ruleset.rules:
        for th in rule.thresholds:
            if th.field != vary.field or isinstance(th.value, bool) or not isinstance(th.value, (int, float)) \
                    or th.op not in ("gte", "gt", "lt", "lte"):
                continue
            strict = th.op in ("gt", "lte")
            key = (float(th.value), strict)
            if rule.kind == RuleKind.BAND:
                criterion, level = rule.id.split("/")[0], rule.id.rsplit("/", 1)[-1]
                side = "above" if th.op in ("gte", "gt") else "below"
                bands.setdefault(key, {}).setdefault(criterion, {})[side] = level
                meta.setdefault(key, (th.basis, th.source or ""))
            else:
                others.append((th.value, strict, f"rule {rule.id}: {OPS[th.op]} {fmt(th.value)}", th.basis, th.source or ""))
    out = []
    for key, by_criterion in bands.items():
        what = "; ".join(f"{c} {s.get('below', '?')} → {s.get('above', '?')}" for c, s in sorted(by_criterion.items()))
        value = int(key[0]) if key[0].is_integer() else key[0]
        out.append((value, key[1], what, *meta[key]))
    out += list(dict.fromkeys(others))   # a rule's any: branches repeat its thresholds
    return sorted(out, key=lambda e: (e[0], e[2]))


def _category_levels(vary: Vary, ruleset: CompiledRuleset) -> dict[str, str]:
    """For a categorical field: value -> the band levels it gives (``scale L3``)."""
    out: dict[str, list[str]] = {}
    if vary.numeric:
        return {}
    for rule in ruleset.rules:
        if rule.kind != RuleKind.BAND or not rule.id.startswith(tuple(f"{c}/{vary.field}/" for c in CRITERIA)):
            continue
        for test in rule.patterns[0].tests:
            if test.field == "value" and test.op in ("eq", "in"):
                values = test.value if isinstance(test.value, tuple) else (test.value,)
                for v in values:
                    out.setdefault(str(v), []).append(f"{rule.id.split('/')[0]} {rule.id.rsplit('/', 1)[-1]}")
    return {k: ", ".join(v) for k, v in out.items()}


def _label(vary: Vary, value: Any) -> str:
    return fmt(value) if not isinstance(value, bool) else str(value).lower()


def _round(value: float, kind: str) -> Any:
    if kind == "int":
        return int(round(value))
    rounded = float(f"{value:.4g}")
    return int(rounded) if rounded.is_integer() else rounded


def _ticks(axis: MapAxis, levels: dict[str, str], place: Callable[[float], float]) -> list[Tick]:
    """At most about :data:`MAX_TICKS` labels: cell centres of exact cells (always the first and
    the last), bin edges of a binned axis."""
    vary = axis.vary
    if axis.binned:
        step = -(-axis.bins // 8)
        return [Tick(place(i), _label(vary, _round(axis.bin_edges(i)[0], vary.info.kind)))
                for i in range(0, axis.bins + 1, step)]
    n = len(axis.values)
    step = max(1, -(-n // MAX_TICKS))
    return [Tick(place(i + 0.5), _label(vary, v), levels.get(str(v), "")) for i, v in enumerate(axis.values)
            if (i % step == 0 and n - 1 - i >= step / 2) or i == n - 1]


def _palette(key: str, outcome: str) -> tuple[str, str, str, str]:
    if outcome == "error":
        label, fill, ink, code = INVALID
        return label, fill.format(panel=key), ink, code
    if outcome == "crashed":
        return CRASHED
    table: dict[Any, tuple[str, str, str, str]] = DECISIONS if key == "decision" else ROUTES
    return table.get(None if key == "route" and outcome == "none" else outcome, (outcome, "#FFFFFF", "#000000", "?"))


def _where(axis: MapAxis, index: int) -> str:
    if axis.binned:
        low, high = axis.bin_edges(index)
        kind = axis.vary.info.kind
        return f"{axis.vary.field} {_label(axis.vary, _round(low, kind))} to {_label(axis.vary, _round(high, kind))}"
    return f"{axis.vary.field} = {_label(axis.vary, axis.values[index])}"


def _panel(key: str, title: str, result: SweepResult, left: float, cell_w: float, cell_h: float, ny: int,
           x_ticks: list[Tick], y_ticks: list[Tick]) -> Panel:
    tally = result.tally
    order = list(DECISIONS) + ["error", "crashed"] if key == "decision" else \
        [r or "none" for r in ROUTES] + ["error", "crashed"]
    rank = {name: i for i, name in enumerate(order)}
    cells: list[Cell] = []
    totals: Counter[str] = Counter()
    for (ix, iy), cell in sorted(tally.cells.items()):
        counter = cell.decisions if key == "decision" else cell.routes
        totals.update(counter)
        top, n = max(counter.items(), key=lambda kv: (kv[1], -rank.get(kv[0], len(rank)), kv[0]))
        label, fill, ink, code = _palette(key, top)
        where = "; ".join([_where(tally.x, ix)] + ([_where(tally.y, iy)] if tally.y else []))
        if cell.points == 1:
            detail = cell.first
        else:
            shares = ", ".join(f"{_palette(key, k)[0].lower()} {v / cell.points:.0%}"
                               for k, v in sorted(counter.items(), key=lambda kv: (-kv[1], rank.get(kv[0], 99))))
            detail = f"{cell.points:,} points: {shares}"
        x = left + ix * cell_w
        y = TOP + (ny - 1 - iy) * cell_h
        show = cell_w >= 22 and cell_h >= 18
        share = n / cell.points
        cells.append(Cell(x, y, cell_w, cell_h, fill, ink, code if show else "", f"{where} → {detail}",
                          1.0 if share == 1 else round(0.25 + 0.75 * share, 2)))
    legend = [(*_palette(key, k)[:2], _palette(key, k)[3], v) for k, v in
              sorted(totals.items(), key=lambda kv: rank.get(kv[0], len(rank)))]
    longest = max((len(t.label) + len(t.sub) + 3 * bool(t.sub) for t in x_ticks), default=0)
    height = TOP + ny * cell_h + min(200, 48 + longest * 5)   # rotated labels need room
    return Panel(key, title, cells, legend, left + tally.x.cells * cell_w + RIGHT, height, x_ticks, y_ticks)


def _edge_pos(axis: MapAxis, value: float, strict: bool) -> Optional[float]:
    """Where a band edge lies along an axis, in cells; None when the axis does not cross it."""
    if axis.binned:
        return (value - axis.low) / (axis.high - axis.low) * axis.bins if axis.low < value < axis.high else None
    border = _border(axis.values, value, strict)
    return None if border is None else float(border)


def view(result: SweepResult) -> dict[str, Any]:
    """Everything the template needs, computed."""
    tally = result.tally
    xa, ya = tally.x, tally.y
    xs, ys = xa.vary, (ya.vary if ya else None)
    nx, ny = xa.cells, (ya.cells if ya else 1)
    cell_w = PLOT_W / nx
    cell_h = (PLOT_H / ny) if ya else STRIP_H
    y_ticks = _ticks(ya, _category_levels(ya.vary, result.ruleset), lambda i: TOP + (ny - i) * cell_h) if ya else []
    left = max(110, 44 + 7.5 * max((len(t.label) + len(t.sub) + 3 * bool(t.sub) for t in y_ticks), default=0))
    x_ticks = _ticks(xa, _category_levels(xs, result.ruleset), lambda i: left + i * cell_w)
    edges: list[Edge] = []
    for axis_no, axis in enumerate([xa] + ([ya] if ya else [])):
        if not axis.vary.numeric:
            continue
        for value, strict, what, basis, source in _band_edges(axis.vary, result.ruleset):
            at = _edge_pos(axis, value, strict)
            edge = Edge(len(edges) + 1, axis.vary.field, value, None if at is None else round(at, 6), what, basis, source)
            if at is not None:
                edge.pos = left + at * cell_w if axis_no == 0 else TOP + (ny - at) * cell_h
            edges.append(edge)
    panels = [_panel("decision", "Scale-Up decision", result, left, cell_w, cell_h, ny, x_ticks, y_ticks),
              _panel("route", "Coordination route", result, left, cell_w, cell_h, ny, x_ticks, y_ticks)]
    written = dict(zip((v.field for v in result.varies), result.base_values()))
    spots = [xa.position(written[xs.field]), ya.position(written[ys.field]) if ya and ys else 0.5]
    marker = None
    x_spot, y_spot = spots
    if x_spot is not None and y_spot is not None:
        marker = (left + x_spot * cell_w, TOP + (ny - y_spot) * cell_h, min(cell_w, cell_h) * 0.32 + 3)
    mapped = {xs.field} | ({ys.field} if ys else set())
    s, rs = result.base.scenario, result.ruleset
    return {
        "scenario": s, "file": result.base.name, "xs": xs, "ys": ys, "panels": panels,
        "x_title": _axis_title(xs), "y_title": _axis_title(ys) if ys else "",
        "plot": {"left": left, "top": TOP, "width": nx * cell_w, "height": ny * cell_h},
        "edges": edges, "x_edges": [e for e in edges if e.field == xs.field and e.border is not None],
        "y_edges": [e for e in edges if ys is not None and e.field == ys.field and e.border is not None],
        "marker": marker, "base": [(name, "absent" if b is None else _label(v, b))
                                   for v, (name, b) in zip(result.varies, written.items())],
        "others": [v.field for v in result.varies if v.field not in mapped],
        "design": result.design.describe(), "sampled": not result.design.is_grid,
        "binned": xa.binned or bool(ya and ya.binned),
        "transitions": [(fmt(a), fmt(b), DECISIONS.get(f, (f,))[0], DECISIONS.get(t, (t,))[0])
                        for a, b, f, t in result.transitions()] if not ys else [],
        "counts": sorted(result.counts.items(), key=lambda kv: (-kv[1], kv[0])), "points": result.points,
        "invalid": result.invalid, "adjusted": result.adjusted,
        "invalid_reasons": sorted(result.reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:10],
        "ruleset": rs, "overrides": "; ".join(f"{k}={v}" for k, v in rs.overrides),
        "caveats": [c.text for c in rs.caveats], "scaleup_version": __version__,
        "durable_version": durable_version(), "scenario_sha": result.base.document.sha256,
    }


def _axis_title(vary: Vary) -> str:
    unit = f" ({vary.info.unit})" if vary.info.unit and vary.info.unit != "one of" else ""
    return f"{vary.field}{unit}"


def render(result: SweepResult) -> str:
    """The decision map of a sweep as one HTML document."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = lambda v: f"{v:.1f}"
    return env.get_template("decision_map.html.j2").render(**view(result))
