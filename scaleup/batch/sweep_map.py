"""What the decision map of a sweep needs, gathered while the points stream past: for two of the
varied fields, the count of each outcome in each cell of their plane.

The map shows any two varied fields of a sweep of any number of fields as *marginal* shares: a
cell counts every point whose two values fall in it, whatever the other fields are, so its
colour is the most frequent outcome over them and its share says how often. A grid of one or two
fields has one point per cell (shares of 1: the exact map). A field with at most
:data:`MAX_CELLS` grid values gets one cell per value; a sampled span or a longer grid is cut into
:data:`BINS` equal bins (fewer for a small sample). Memory is bounded by cells x outcomes, never by the number of points.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Optional

from .sweep_design import Vary

MAX_CELLS = 60
BINS = 40
PER_CELL = 10   # a sample is binned coarser, so that a cell holds about this many points


def bins_for(points: int, axes: int) -> int:
    """Bins per binned axis: :data:`BINS`, fewer for a small sample (at least 4)."""
    return max(4, min(BINS, int((points / PER_CELL) ** (1 / max(1, axes)))))


@dataclass
class MapAxis:
    """One axis of the map: exact cells (one per grid value) or equal bins of a numeric range."""

    vary: Vary
    values: tuple[Any, ...]             # exact cells; empty when binned
    low: float = 0.0
    high: float = 0.0
    bins: int = BINS

    @classmethod
    def of(cls, vary: Vary, bins: int = BINS) -> "MapAxis":
        if vary.span is None and (len(vary.values) <= MAX_CELLS or not vary.numeric):
            return cls(vary, vary.values)
        if vary.span is not None and vary.info.kind == "int" and vary.span[1] - vary.span[0] < MAX_CELLS:
            return cls(vary, tuple(range(vary.span[0], vary.span[1] + 1)))
        low, high = vary.bounds   # type: ignore[misc]  # here the field has a span or many numeric values, so bounds is set (Vary.bounds)
        return cls(vary, (), float(low), float(high), bins)

    @property
    def binned(self) -> bool:
        return not self.values

    @property
    def cells(self) -> int:
        return self.bins if self.binned else len(self.values)

    def index(self, value: Any) -> int:
        if not self.binned:
            return self._exact[value]
        return min(self.bins - 1, max(0, int((value - self.low) / (self.high - self.low) * self.bins)))

    def bin_edges(self, i: int) -> tuple[float, float]:
        width = (self.high - self.low) / self.bins
        return self.low + i * width, self.low + (i + 1) * width

    def position(self, value: Any) -> Optional[float]:
        """Where a value lies along the axis, in cells (cell i spans i to i + 1); None off the axis."""
        if value is None or isinstance(value, bool) and self.vary.numeric:
            return None
        if not self.binned:
            if value in self._exact:
                return self._exact[value] + 0.5
            if not self.vary.numeric:
                return None
            for i, (a, b) in enumerate(zip(self.values, self.values[1:])):
                if a < value < b:
                    return i + 0.5 + (value - a) / (b - a)
            return None
        if not self.low <= value <= self.high:
            return None
        return (value - self.low) / (self.high - self.low) * self.bins

    @property
    def _exact(self) -> dict[Any, int]:
        cache = self.__dict__.get("_index")
        if cache is None:
            cache = self.__dict__["_index"] = {v: i for i, v in enumerate(self.values)}
        return cache


def outcome_keys(row: dict[str, Any]) -> tuple[str, str]:
    """The decision and the route of a row, or its status when it was not evaluated."""
    if row["status"] != "ok":
        return row["status"], row["status"]
    return row.get("decision") or "none", row.get("route") or "none"


@dataclass
class MapCell:
    decisions: Counter[str] = field(default_factory=Counter)
    routes: Counter[str] = field(default_factory=Counter)
    first: str = ""      # the detail of its first point (shown when it holds only one)

    @property
    def points(self) -> int:
        return sum(self.decisions.values())


@dataclass
class MapTally:
    """Outcome counts per cell of the plane of two varied fields (``y`` None: a strip)."""

    x: MapAxis
    y: Optional[MapAxis]
    cells: dict[tuple[int, int], MapCell] = field(default_factory=dict)

    def add(self, values: dict[str, Any], row: dict[str, Any]) -> None:
        key = (self.x.index(values[self.x.vary.field]), self.y.index(values[self.y.vary.field]) if self.y else 0)
        cell = self.cells.get(key)
        if cell is None:
            cell = self.cells[key] = MapCell(first=_detail(row))
        decision, route = outcome_keys(row)
        cell.decisions[decision] += 1
        cell.routes[route] += 1


def _detail(row: dict[str, Any]) -> str:
    if row["status"] == "ok":
        levels = " ".join(f"{c[:2]}{row.get(c) or '-'}" for c in ("scale", "urgency", "complexity", "capacity", "risk"))
        return f"{row['decision']}, route {row.get('route') or 'none'} ({levels})"
    return f"{row['status']}: {row.get('error')}"
