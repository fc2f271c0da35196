"""Rendering an uncertain evaluation (:class:`scaleup.uncertainty.sampling.UncertaintyResult`): text for a
terminal, JSON (deterministic: sorted keys, rounded figures, no timings), and HTML with a
probability bar per decision and route and a tornado chart of sensitivities (inline SVG)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2

from ..version import __version__
from .sampling import METHOD, UncertaintyResult
from ..display import fmt

TEMPLATES = Path(__file__).parent / "templates"
DIGITS = 6


def _p(x: float) -> float:
    return round(x, DIGITS)


def to_dict(result: UncertaintyResult) -> dict[str, Any]:
    """Everything the run found, as plain data (the JSON output)."""
    def shares(what: str) -> list[dict[str, Any]]:
        return [{"value": v, "count": k, "probability": _p(p), "ci95": [_p(lo), _p(hi)]}
                for v, k, p, (lo, hi) in result.shares(what)]
    ex = result.exact
    rs = result.ruleset
    return {
        "scenario": {"id": result.base.scenario.id, "title": result.base.scenario.title,
                     "file": result.base.name, "sha256": result.base.document.sha256},
        "ruleset": {"id": rs.id, "version": rs.version, "sha256": rs.sha256, "overrides": dict(rs.overrides)},
        "scaleup_version": __version__,
        "ranges": [r.to_dict() for r in result.ranges],
        "point_estimate": {"decision": result.point.decision, "route": result.point.route},
        "samples": result.samples, "seed": result.seed,
        "consistent": len(result.valid),
        "inconsistent": [{"reason": r, "count": k} for r, k in result.inconsistent()],
        "decisions": shares("decision"),
        "routes": shares("route"),
        "criteria": {name: [{"level": lv, "probability": _p(p)} for lv, p in levels]
                     for name, levels in result.levels().items()},
        "sensitivity": {"method": METHOD, "fields": [
            {"field": s.field, "decision_flips": _p(s.decision_flips), "route_flips": _p(s.route_flips),
             "decision_at_low": s.at_low, "decision_at_high": s.at_high} for s in result.sensitivity]},
        "exact": ({"decisions": {k: _p(v) for k, v in sorted(ex.decisions.items())},
                   "routes": {k: _p(v) for k, v in sorted((ex.routes or {}).items())},
                   "inconsistent": _p(ex.inconsistent), "cells": ex.cells}
                  if ex.decisions is not None else {"unavailable": ex.reason}),
    }


def render_json(result: UncertaintyResult) -> str:
    return json.dumps(to_dict(result), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _pct(x: float) -> str:
    return f"{x * 100:5.1f}%"


def render_text(result: UncertaintyResult) -> str:
    s = result.base.scenario
    out = [f"{s.id}: {s.title}", f"({result.base.name}; rule set {result.ruleset.id} {result.ruleset.version})", "",
           "Uncertain figures:"]
    out += [f"  {r.field:40} {r.describe()}; point estimate {fmt(r.point)}" for r in result.ranges]
    out += ["", f"At the point estimates: {result.point.decision}, route {result.point.route or 'none'}"]
    if result.samples:
        n = len(result.valid)
        out += ["", f"{result.samples:,} draws (seed {result.seed}), {n:,} consistent"]
        out += [f"  left out: {k:,} draws where {r}" for r, k in result.inconsistent()]
        for title, what in (("Decision", "decision"), ("Route", "route")):
            out += ["", f"{title} (probability, 95% Wilson interval):"]
            out += [f"  {v:28} {_pct(p)}  [{_pct(lo)} .. {_pct(hi)}]  ({k:,} draws)"
                    for v, k, p, (lo, hi) in result.shares(what)]
        out += ["", "Criterion levels (probability of each level; '-' no data):"]
        for name, levels in result.levels().items():
            out.append(f"  {name:12} " + "  ".join(f"L{lv if lv is not None else '-'} {_pct(p).strip()}" for lv, p in levels))
    ex = result.exact
    out += [""]
    if ex.decisions is not None:
        out += [f"Exact, from the band edges ({ex.cells} regions):"]
        out += [f"  {v:28} {_pct(p)}" for v, p in sorted(ex.decisions.items(), key=lambda vp: (-vp[1], vp[0]))]
        out += [f"  route {v:22} {_pct(p)}" for v, p in sorted((ex.routes or {}).items(), key=lambda vp: (-vp[1], vp[0]))]
        if ex.inconsistent:
            out.append(f"  (inconsistent combinations: {_pct(ex.inconsistent).strip()} of the probability, left out)")
    else:
        out.append(f"Exact probabilities: not computed ({ex.reason})")
    out += ["", "Sensitivity: share of decision flips each range causes", f"  ({METHOD})"]
    out += [f"  {x.field:40} {_pct(x.decision_flips)} decision  {_pct(x.route_flips)} route  "
            f"(at low: {x.at_low or 'inconsistent'}; at high: {x.at_high or 'inconsistent'})" for x in result.sensitivity]
    return "\n".join(out) + "\n"


COLOURS = {"recommend": "#b2182b", "consider": "#ef8a62", "not_recommended": "#67a9cf",
           "not_applicable": "#999999", "insufficient_evidence": "#d9d9d9"}


def render_html(result: UncertaintyResult) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    data = to_dict(result)
    top = max([s["decision_flips"] for s in data["sensitivity"]["fields"]] + [0.0]) or 1.0
    return env.get_template("uncertainty.html.j2").render(d=data, colours=COLOURS, top=top, fmt=fmt)


RENDER = {"text": render_text, "json": render_json, "html": render_html}
