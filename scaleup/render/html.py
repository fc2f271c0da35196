"""Self-contained HTML reports (Jinja2, autoescape on): ``render(recommendations)`` for
``evaluate -f html`` and :func:`render_explanation` for ``explain -f html``.

One file, nothing fetched: CSS and the SVG chart are inline, there is no script, and a Content
Security Policy forbids loading anything. Collapsible parts are ``<details>``; printing opens them.
Every string from a scenario or a rule file goes through Jinja2's autoescaping.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Sequence

import jinja2

from ..vocabulary import CRITERIA, Criterion, Variant
from ..recommendation.model import Recommendation
from ..display import fmt
from ..explain.shown import Shown, shown
from .markdown import offset

if TYPE_CHECKING:
    from ..explain.derivation import Explanation

TEMPLATES = Path(__file__).resolve().parent / "templates"
LEVEL_COLOURS = {1: "#d9ead3", 2: "#b6d7a8", 3: "#f6c26b", 4: "#e8833a", 5: "#c0392b"}
LEVEL_NAMES = {1: "very low", 2: "low", 3: "medium", 4: "high", 5: "very high"}
# Chart geometry (SVG user units): one row per criterion; level 0-5 left to right; the
# thresholds each row is compared with are drawn across it and named in the right column.
WIDTH, PLOT_LEFT, PLOT_RIGHT, TOP, ROW = 820, 110, 540, 34, 50


@dataclass
class Bar:
    name: str
    level: Optional[int]
    label: str
    y: float                  # top of the row
    row: float                # height of the row (taller when many thresholds are named)
    width: float
    colour: str
    markers: list[dict[str, Any]]
    lines: list[str]          # the right column: one parameter per line


def _x(level: float) -> float:
    return PLOT_LEFT + level * (PLOT_RIGHT - PLOT_LEFT) / 5


def chart(rep: Shown) -> dict[str, Any]:
    """Bars of the five criterion levels, and the decision thresholds rules compare them with."""
    bars = []
    levels = {c.name: c for c in rep.rec.criteria}
    y = TOP
    for name in CRITERIA:
        c = levels.get(name)
        level = c.level if c else None
        markers = [{"x": _x(m.level), "level": fmt(m.level), "labels": m.labels,
                    "text": f"{', '.join(m.labels)} {fmt(m.level)}"} for m in rep.markers.get(name, [])]
        lines = [f"{label} {fmt(m.level)}" for m in rep.markers.get(name, []) for label in m.labels]
        row = max(ROW, 13 * len(lines) + 12)
        bars.append(Bar(Criterion(name).phrase, level, c.label if c else "not scored", y, row, _x(level or 0) - PLOT_LEFT,
                        LEVEL_COLOURS.get(level or 0, "#eeeeee"), markers, lines))
        y += row
    grid = [{"level": lv, "x": _x(lv), "name": LEVEL_NAMES.get(lv, "")} for lv in range(6)]
    return {"bars": bars, "grid": grid, "width": WIDTH, "height": y + 8, "left": PLOT_LEFT,
            "right": PLOT_RIGHT, "top": TOP, "bottom": y, "has_markers": any(b.markers for b in bars)}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["fmt"] = fmt
    env.filters["line"] = lambda origin: str(origin).split("@", 1)[-1]
    env.filters["words"] = lambda value: str(value).replace("_", " ")
    env.filters["offset"] = offset
    env.filters["criterion"] = lambda name: Criterion(name).phrase
    env.filters["protocol"] = lambda variant: Variant(variant).phrase
    return env


_ENV: list[jinja2.Environment] = []


def environment() -> jinja2.Environment:
    """The templates' environment, built once per process."""
    if not _ENV:
        _ENV.append(_environment())
    return _ENV[0]


def _render(items: list[dict[str, Any]], title: str) -> str:
    return environment().get_template("report.html.j2").render(items=items, title=title)


def _item(rep: Shown, exp: Optional["Explanation"] = None) -> dict[str, Any]:
    item: dict[str, Any] = {"rep": rep, "rec": rep.rec, "chart": chart(rep), "exp": exp,
                            "tree": exp.tree if exp else rep.tree, "sources": rep.sources}
    if exp is not None:
        extra = {check.citation.source for w in exp.why_not for check in w.rules}
        item["sources"] = rep.cited(extra)
    return item


def render(recs: Sequence[Recommendation]) -> str:
    """One HTML page for one or more recommendations."""
    items = [_item(shown(r)) for r in recs]
    title = recs[0].scenario.title if len(recs) == 1 else f"{len(recs)} scenarios"
    return _render(items, f"Scale-Up recommendation: {title}")


def render_explanation(exp: "Explanation") -> str:
    """One HTML page explaining one recommendation, with why-not answers and flips."""
    rep = shown(exp.recommendation, tree=False)
    return _render([_item(rep, exp)], f"Scale-Up explanation: {exp.recommendation.scenario.title}")
