"""Crises side by side: one table with a column per scenario (``scaleup compare``).

Rows: the decision, the route, the five criterion levels with the indicator behind each, one row
per lead role, and the flags. A row where the crises differ is marked. Each cell carries the
derivation of what it shows (the explanation model of :mod:`scaleup.explain.derivation`: the rule, its
citation and thresholds, the facts it matched down to the scenario lines), which the HTML form
opens on demand. A scenario that could not be evaluated keeps its column, which shows the error.

The columns can be sorted by the five levels, for ranking hypothetical crises; the table then
carries the rule set's caveat that the levels are not a severity ranking (Protocol 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Sequence, Union

from .engine.audit import Evaluation
from .errors import EngineError, ScaleupError
from .explain.derivation import TreeNode, derivation
from .recommendation.evaluate import evaluate_traced
from .recommendation.model import Recommendation
from .rules.ir import CompiledRuleset
from .safetext import terminal
from .scenario.load import LoadedScenario
from .vocabulary import CRITERIA, Criterion
from .display import fmt
from .render.html import environment

WHY_DEPTH = 2   # levels of rules a cell's explanation shows (a criterion: its band rules and indicators)
# When the rule set carries no caveat about ranking (a custom one), this one is shown; it is the
# shipped rule set's caveat, cited to Protocol 1 (IASC, 2018), section I.
FALLBACK_CAVEAT = "The criterion levels are not a severity ranking of crises."
FALLBACK_SOURCE = "IASC Protocol 1 (2018)"


@dataclass
class Cell:
    """One value of one crisis: ``text`` to show, ``key`` to compare, ``why`` its derivation."""

    text: str
    key: Any
    why: list[TreeNode] = field(default_factory=list)


@dataclass
class Column:
    """One crisis: its file, and its recommendation or the error that stopped it."""

    file: str
    rec: Optional[Recommendation] = None
    error: Optional[ScaleupError] = None

    @property
    def levels(self) -> tuple[int, ...]:
        found = {c.name: c.level or 0 for c in self.rec.criteria} if self.rec else {}
        return tuple(found.get(name, 0) for name in CRITERIA)


@dataclass
class Row:
    key: str
    label: str
    cells: list[Optional[Cell]]   # None in the column of a scenario that failed

    @property
    def differs(self) -> bool:
        return len({c.key for c in self.cells if c is not None}) > 1


@dataclass
class Caveat:
    text: str
    source: str
    title: Optional[str] = None
    url: Optional[str] = None


@dataclass
class Comparison:
    columns: list[Column]
    rows: list[Row]
    ruleset: CompiledRuleset
    sorted_by: Optional[str] = None
    caveat: Optional[Caveat] = None

    @property
    def failed(self) -> bool:
        return any(c.error is not None for c in self.columns)


Item = Union[LoadedScenario, ScaleupError]


def ranking_caveat(ruleset: CompiledRuleset) -> Caveat:
    """The rule set's caveat that the levels are no severity ranking, with its source."""
    for caveat in ruleset.caveats:
        if "severity ranking" in caveat.text and caveat.source:
            source = ruleset.sources.get(caveat.source)
            return Caveat(caveat.text, caveat.source, getattr(source, "title", None), getattr(source, "url", None))
    return Caveat(FALLBACK_CAVEAT, FALLBACK_SOURCE)


def compare(items: Sequence[tuple[str, Item]], ruleset: CompiledRuleset, sort: Optional[str] = None) -> Comparison:
    """Evaluate each scenario and lay the results side by side.

    Args:
        items: ``(file, loaded scenario or the error loading it)``, in column order.
        ruleset: the compiled rule set.
        sort: ``"levels"``: columns by the five levels (scale first, then urgency, ...),
            highest first, ties in the given order, failed scenarios last.

    Returns:
        The comparison; a scenario the engine fails on keeps its column with the error.

    Raises:
        ValueError: ``sort`` is not None or ``"levels"``.
    """
    if sort not in (None, "levels"):
        raise ValueError(f"sort must be 'levels' or None, not {sort!r}")
    columns: list[Column] = []
    evaluations: list[Optional[Evaluation]] = []
    for file, item in items:
        column, ev = Column(file), None
        if isinstance(item, ScaleupError):
            column.error = item
        else:
            try:
                column.rec, ev = evaluate_traced(item, ruleset)
            except ScaleupError as exc:
                column.error = exc
        columns.append(column)
        evaluations.append(ev)
    order = list(range(len(columns)))
    if sort == "levels":
        order.sort(key=lambda i: (columns[i].error is not None, tuple(-x for x in columns[i].levels)))
    columns, evaluations = [columns[i] for i in order], [evaluations[i] for i in order]
    rows = _rows(columns, evaluations)
    return Comparison(columns, rows, ruleset, sort, ranking_caveat(ruleset) if sort else None)


def _why(ev: Evaluation, facts: list[Any]) -> list[TreeNode]:
    shown: set[str] = set()
    return [derivation(ev, f.id, WHY_DEPTH, shown) for f in facts]


def _facts(ev: Evaluation, type_: str, **fields: Any) -> list[Any]:
    return [f for f in ev.of_type(type_) if all(f.fields.get(k) == v for k, v in fields.items())]


def _rows(columns: list[Column], evaluations: list[Optional[Evaluation]]) -> list[Row]:
    pairs = list(zip(columns, evaluations))

    def row(key: str, label: str, make: Any) -> Row:
        return Row(key, label, [make(c.rec, ev) if c.rec is not None and ev is not None else None for c, ev in pairs])

    def value_cell(type_: str) -> Any:
        def make(rec: Recommendation, ev: Evaluation) -> Cell:
            facts = ev.of_type(type_)
            value = facts[0].fields.get("value") if facts else None
            return Cell(str(value).replace("_", " ") if value else "none derived", value, _why(ev, facts))
        return make

    def level_cell(name: str) -> Any:
        def make(rec: Recommendation, ev: Evaluation) -> Cell:
            c = next((x for x in rec.criteria if x.name == name), None)
            if c is None or c.level is None:
                return Cell("- insufficient evidence", None, _why(ev, _facts(ev, "criterion", name=name)))
            behind = [f"{s.field} = {fmt(s.value)}" + (" (presumed)" if s.presumed else "")
                      for s in c.signals if s.level == c.level]
            held = [f"held by {k.field} = {fmt(k.value)}" for k in c.ceilings if k.level == c.level][:1]
            text = f"{c.level} {c.label}" + (": " + "; ".join(behind + held) if behind or held else "")
            return Cell(text, c.level, _why(ev, _facts(ev, "criterion", name=name)))
        return make

    def lead_cell(role: str) -> Any:
        def make(rec: Recommendation, ev: Evaluation) -> Cell:
            actor = rec.lead(role)
            return Cell(actor or "-", actor, _why(ev, _facts(ev, "lead", role=role)))
        return make

    def flags_cell(rec: Recommendation, ev: Evaluation) -> Cell:
        names = sorted(f.name for f in rec.flags)
        return Cell(", ".join(n.replace("_", " ") for n in names) or "none", tuple(names), _why(ev, ev.of_type("flag")))

    rows = [row("decision", "decision", value_cell("decision")), row("route", "route", value_cell("route"))]
    rows += [row(name, Criterion(name).phrase, level_cell(name)) for name in CRITERIA]
    roles: list[str] = []
    for column in columns:
        for lead in column.rec.leadership if column.rec else ():
            if lead.role not in roles:
                roles.append(lead.role)
    rows += [row(f"lead:{role}", role.replace("_", " "), lead_cell(role)) for role in roles]
    rows.append(row("flags", "flags", flags_cell))
    return rows


def error_lines(column: Column) -> list[str]:
    """The problems of a failed column, one per line, without the file the column names."""
    if column.error is None:
        return []
    label = "internal error: " if isinstance(column.error, EngineError) else ""
    out = []
    for p in column.error.problems:
        text = str(p)
        if p.file == column.file:
            text = text.removeprefix(p.file).removeprefix(":").lstrip()
            text = f"line {text}" if p.line is not None else text
        out.append(label + text)
    return out


# --- text ----------------------------------------------------------------------------------------

WIDTH = 34   # characters of a crisis column before its text wraps
LABEL = 26


def _wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` characters; each paragraph (``\n``) starts a line."""
    import textwrap
    return [line for part in text.split("\n")
            for line in textwrap.wrap(part, width, break_long_words=True, break_on_hyphens=False) or [""]]


def to_text(comp: Comparison) -> str:
    """The table for a terminal: a marker column (``*`` where the crises differ), the row label,
    then one wrapped column per crisis; the caveat above a sorted table."""
    out: list[str] = []
    rs = comp.ruleset
    out.append(f"Comparison of {len(comp.columns)} scenario{'s' if len(comp.columns) != 1 else ''} "
               f"(rule set {rs.id} {rs.version})")
    if comp.sorted_by:
        out.append("Sorted by the five criterion levels (" + ", ".join(Criterion(c).phrase for c in CRITERIA)
                   + "), highest first.")
        out.append(f"Caveat: {comp.caveat.text} [{_cite(comp.caveat)}]" if comp.caveat else "")
    out.append("")

    def line(mark: str, label: str, cells: list[str]) -> list[str]:
        """One table row; a cell's lines are ``\n``-separated, user text in them already escaped."""
        wrapped = [_wrap(label, LABEL)] + [_wrap(c, WIDTH) for c in cells]
        height = max(len(w) for w in wrapped)
        lines = []
        for i in range(height):
            parts = [(w[i] if i < len(w) else "") for w in wrapped]
            head = f"{mark if i == 0 else ' '} {parts[0]:<{LABEL}}"
            lines.append((head + "".join(f" | {p:<{WIDTH}}" for p in parts[1:])).rstrip())
        return lines

    out += line(" ", "scenario", [terminal(c.rec.scenario.id) if c.rec else "(not evaluated)" for c in comp.columns])
    out += line(" ", "title", [terminal(f"{c.rec.scenario.title} ({c.rec.scenario.country}, {c.rec.scenario.as_of})")
                               if c.rec else "" for c in comp.columns])
    out += line(" ", "file", [terminal(c.file) for c in comp.columns])
    out.append("-" * (2 + LABEL + (WIDTH + 3) * len(comp.columns)))
    if comp.failed:
        out += line("!", "error", ["\n".join(map(terminal, error_lines(c))) for c in comp.columns])
    for row in comp.rows:
        out += line("*" if row.differs else " ", row.label, [terminal(c.text) if c else "-" for c in row.cells])
    out += ["", "* the crises differ on this row" + ("; ! a scenario could not be evaluated" if comp.failed else "")]
    return "\n".join(map(terminal, out)) + "\n"   # (again: the header lines hold rule set text)


def _cite(caveat: Caveat) -> str:
    return caveat.source + (f": {caveat.title}" if caveat.title else "") + (f", {caveat.url}" if caveat.url else "")


# --- html ----------------------------------------------------------------------------------------

def to_html(comp: Comparison) -> str:
    """One self-contained page: the table, differing rows highlighted, each cell's derivation in
    a ``<details>`` (no script; printing opens them)."""
    title = "Scale-Up comparison: " + ", ".join(c.rec.scenario.id if c.rec else c.file for c in comp.columns)
    return environment().get_template("compare.html.j2").render(comp=comp, title=title, error_lines=error_lines,
                                                                 criteria=CRITERIA)
