"""The decision map of a sweep: one self-contained HTML page (inline CSS and SVG, no script, no
network) showing the decision, and the coordination route, over the grid of one or two fields.

Cells are laid out by grid index (equal widths, values increasing rightwards and upwards). Band
edges come from the compiled rule set: every threshold a rule tests on a varied field. An edge is
drawn on the cell border it separates (``value >= edge`` falls on the far side), numbered, and
listed with the band change, basis and source; edges outside the swept range are listed, not drawn.
Geometry is computed here; the Jinja2 template only places it, with autoescaping on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import jinja2

from ..version import __version__
from ..vocabulary import CRITERIA, Decision, Route
from ..rules.ir import CompiledRuleset
from .sweep import SweepResult, Vary
from ..display import fmt
from ..engine.durable import durable_version

DECISIONS = {   # value: (label, fill, text colour, code); Okabe-Ito colours, safe for colour blindness
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
PLOT_W, PLOT_H, STRIP_H = 880, 520, 72
TOP, RIGHT = 34, 44
MAX_TICKS = 14
TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class Edge:
    number: int
    field: str
    value: Any
    border: Optional[int]      # cell border index it is drawn on; None when outside the range
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
            if rule.kind == "band":
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
        if rule.kind != "band" or not rule.id.startswith(tuple(f"{c}/{vary.field}/" for c in CRITERIA)):
            continue
        for test in rule.patterns[0].tests:
            if test.field == "value" and test.op in ("eq", "in"):
                values = test.value if isinstance(test.value, tuple) else (test.value,)
                for v in values:
                    out.setdefault(str(v), []).append(f"{rule.id.split('/')[0]} {rule.id.rsplit('/', 1)[-1]}")
    return {k: ", ".join(v) for k, v in out.items()}


def _label(vary: Vary, value: Any) -> str:
    return fmt(value) if not isinstance(value, bool) else str(value).lower()


def _ticks(vary: Vary, levels: dict[str, str], place: Callable[[int], float]) -> list[Tick]:
    """At most about :data:`MAX_TICKS` labels, always the first and the last value."""
    n = len(vary.values)
    step = max(1, -(-n // MAX_TICKS))
    return [Tick(place(i), _label(vary, v), levels.get(str(v), "")) for i, v in enumerate(vary.values)
            if (i % step == 0 and n - 1 - i >= step / 2) or i == n - 1]


def _palette(key: str, row: dict[str, Any]) -> tuple[str, str, str, str]:
    if row["status"] == "error":
        label, fill, ink, code = INVALID
        return label, fill.format(panel=key), ink, code
    if row["status"] == "crashed":
        return CRASHED
    table: dict[Any, tuple[str, str, str, str]] = DECISIONS if key == "decision" else ROUTES
    return table.get(row["decision" if key == "decision" else "route"], ("?", "#FFFFFF", "#000000", "?"))


def _panel(key: str, title: str, result: SweepResult, left: float, cell_w: float, cell_h: float, ny: int,
           x_ticks: list[Tick], y_ticks: list[Tick]) -> Panel:
    cells, counts = [], {}
    names = [v.field for v in result.varies]
    for point, index in zip(result.points, _indexes(result)):
        row = point.row
        label, fill, ink, code = _palette(key, row)
        counts[(label, fill, code)] = counts.get((label, fill, code), 0) + 1
        where = "; ".join(f"{n} = {_label(v, x)}" for n, v, x in zip(names, result.varies, point.values))
        if row["status"] == "ok":
            levels = " ".join(f"{c[:2]}{row.get(c) or '-'}" for c in CRITERIA)
            detail = f"{row['decision']}, route {row.get('route') or 'none'} ({levels})"
        else:
            detail = f"{row['status']}: {row.get('error')}"
        x = left + index[0] * cell_w
        y = TOP + (ny - 1 - index[1]) * cell_h
        show = cell_w >= 22 and cell_h >= 18
        cells.append(Cell(x, y, cell_w, cell_h, fill, ink, code if show else "", f"{where} → {detail}"))
    legend = [(label, fill, code, n) for (label, fill, code), n in counts.items()]
    order = [d[0] for d in DECISIONS.values()] + [r[0] for r in ROUTES.values()] + [INVALID[0], CRASHED[0]]
    legend.sort(key=lambda item: order.index(item[0]) if item[0] in order else len(order))
    longest = max((len(t.label) + len(t.sub) + 3 * bool(t.sub) for t in x_ticks), default=0)
    height = TOP + ny * cell_h + min(260, 48 + longest * 5)   # rotated labels need room
    return Panel(key, title, cells, legend, left + len(result.varies[0].values) * cell_w + RIGHT, height, x_ticks, y_ticks)


def _indexes(result: SweepResult) -> list[tuple[int, int]]:
    """(column, row) of each point: the first field along x, the second along y."""
    positions = [{v: i for i, v in enumerate(vary.values)} for vary in result.varies]
    return [(positions[0][p.values[0]], positions[1][p.values[1]] if len(p.values) > 1 else 0) for p in result.points]


def view(result: SweepResult) -> dict[str, Any]:
    """Everything the template needs, computed."""
    xs = result.varies[0]
    ys = result.varies[1] if len(result.varies) > 1 else None
    nx, ny = len(xs.values), len(ys.values) if ys else 1
    cell_w = PLOT_W / nx
    cell_h = (PLOT_H / ny) if ys else STRIP_H
    y_ticks = _ticks(ys, _category_levels(ys, result.ruleset), lambda i: TOP + (ny - 1 - i + 0.5) * cell_h) if ys else []
    left = max(110, 44 + 7.5 * max((len(t.label) + len(t.sub) + 3 * bool(t.sub) for t in y_ticks), default=0))
    x_ticks = _ticks(xs, _category_levels(xs, result.ruleset), lambda i: left + (i + 0.5) * cell_w)
    edges: list[Edge] = []
    for axis, vary in enumerate(result.varies):
        if not vary.numeric:
            continue
        for value, strict, what, basis, source in _band_edges(vary, result.ruleset):
            border = _border(vary.values, value, strict)
            edge = Edge(len(edges) + 1, vary.field, value, border, what, basis, source)
            if border is not None:
                edge.pos = left + border * cell_w if axis == 0 else TOP + (ny - border) * cell_h
            edges.append(edge)
    panels = [_panel("decision", "Scale-Up decision", result, left, cell_w, cell_h, ny, x_ticks, y_ticks),
              _panel("route", "Coordination route", result, left, cell_w, cell_h, ny, x_ticks, y_ticks)]
    base = result.base_values()
    marker = None
    spots = [_locate(v, b) for v, b in zip(result.varies, base)]
    if all(spot is not None for spot in spots):
        ix, iy = spots[0], (spots[1] if ys else 0.0)
        marker = (left + (ix + 0.5) * cell_w, TOP + (ny - 1 - iy + 0.5) * cell_h, min(cell_w, cell_h) * 0.32 + 3)  # type: ignore[operator]
    s, rs = result.base.scenario, result.ruleset
    counts: dict[str, int] = {}
    for p in result.points:
        key = p.row["decision"] if p.row["status"] == "ok" else p.row["status"]
        counts[key] = counts.get(key, 0) + 1
    return {
        "scenario": s, "file": result.base.name, "xs": xs, "ys": ys, "panels": panels,
        "x_title": _axis_title(xs), "y_title": _axis_title(ys) if ys else "",
        "plot": {"left": left, "top": TOP, "width": nx * cell_w, "height": ny * cell_h},
        "edges": edges, "x_edges": [e for e in edges if e.field == xs.field and e.border is not None],
        "y_edges": [e for e in edges if ys is not None and e.field == ys.field and e.border is not None],
        "marker": marker, "base": [(v.field, "absent" if b is None else _label(v, b)) for v, b in zip(result.varies, base)],
        "transitions": [(fmt(a), fmt(b), DECISIONS.get(f, (f,))[0], DECISIONS.get(t, (t,))[0])
                        for a, b, f, t in result.transitions()] if not ys else [],
        "counts": sorted(counts.items(), key=lambda kv: -kv[1]), "points": len(result.points),
        "invalid": sum(1 for p in result.points if p.row["status"] != "ok"),
        "invalid_reasons": _reasons(result),
        "ruleset": rs, "overrides": "; ".join(f"{k}={v}" for k, v in rs.overrides),
        "caveats": [c.text for c in rs.caveats], "scaleup_version": __version__,
        "durable_version": durable_version(), "scenario_sha": result.base.document.sha256,
    }


def _locate(vary: Vary, value: Any) -> Optional[float]:
    """Fractional cell index of a value: exact for grid values, interpolated between numeric ones."""
    if value in vary.values:
        return float(vary.values.index(value))
    if not vary.numeric or value is None or isinstance(value, bool):
        return None
    for i, (a, b) in enumerate(zip(vary.values, vary.values[1:])):
        if a < value < b:
            return i + (value - a) / (b - a)
    return None


def _reasons(result: SweepResult, limit: int = 10) -> list[tuple[str, int]]:
    """Distinct reasons of invalid points (field and message, without the file prefix)."""
    counts: dict[str, int] = {}
    for p in result.points:
        if p.row["status"] != "ok":
            for part in str(p.row.get("error") or "").split("; "):
                reason = part.split(": ", 1)[1] if part.startswith(result.base.name + ":") and ": " in part else part
                counts[reason] = counts.get(reason, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def _axis_title(vary: Vary) -> str:
    unit = f" ({vary.info.unit})" if vary.info.unit and vary.info.unit != "one of" else ""
    return f"{vary.field}{unit}"


def render(result: SweepResult) -> str:
    """The decision map of a sweep as one HTML document."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = lambda v: f"{v:.1f}"
    return env.get_template("decision_map.html.j2").render(**view(result))
