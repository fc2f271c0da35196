"""Data frames in and out (the optional extra ``scaleup[pandas]``).

:func:`evaluate_frame` evaluates one scenario per row of a frame whose columns are the dotted
field names of the scenario format (``populations.in_need``); :func:`to_frame` turns results of
:func:`scaleup.evaluate_many` into a frame. The result columns are those of ``scaleup batch``
(:data:`RESULT_COLUMNS`), filled by the batch's own functions: the values of a recommendation
(:func:`scaleup.batch.worker.result_values`) with mappings and lists packed as in the batch CSV
(:func:`scaleup.batch.output.csv_cell`, ``role=actor; role=actor``). A row whose scenario is
invalid keeps empty results and says why in ``errors``.

pandas is imported only inside these functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional

from .api import DEFAULT_RULESET, Overrides, Result, RulesetInput, evaluate_many
from .batch.output import LEVELS, csv_cell
from .errors import EngineError, Problem, ScaleupError, ScenarioError
from .recommendation.model import Recommendation
from .batch.worker import result_values

if TYPE_CHECKING:
    import pandas

RESULT_COLUMNS = ("id", "decision", "route", "variant", *LEVELS, "leads", "cluster_leads", "flags",
                  "unhcr_level", "errors")
_WHOLE = {*LEVELS, "unhcr_level"}   # nullable whole numbers (pandas "Int64"); the rest is text ("string")


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as exc:
        raise ImportError("data frames need pandas: pip install scaleup[pandas]") from exc
    return pandas


def _missing(pd: Any, value: Any) -> bool:
    """An empty cell (None, NaN, NaT, pd.NA); a list or mapping in a cell is a value."""
    if isinstance(value, (list, tuple, dict)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def nest(cells: Mapping[str, Any], name: str) -> dict[str, Any]:
    """``{"populations.in_need": 5}`` -> ``{"populations": {"in_need": 5}}``.

    Raises:
        ScenarioError: a column names both a value and a section (``country``, ``country.name``).
    """
    out: dict[str, Any] = {}
    for column, value in cells.items():
        parts = str(column).split(".")
        node = out
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ScenarioError.at(name, None, "/" + "/".join(parts), f"the column {column!r} is inside "
                                       f"{part!r}, which another column gives a value", "keep one of the two columns")
            node = child
        if isinstance(node.get(parts[-1]), dict):
            raise ScenarioError.at(name, None, "/" + "/".join(parts), f"the column {column!r} gives a value to a "
                                   "section other columns fill", "keep one of the two columns")
        node[parts[-1]] = value
    return out


def result_row(result: Result) -> dict[str, Any]:
    """The result columns of one result (a recommendation or an error)."""
    row: dict[str, Any] = dict.fromkeys(RESULT_COLUMNS)
    if isinstance(result, Recommendation):
        for column, value in result_values(result).items():
            if column in row:
                row[column] = csv_cell(value) if isinstance(value, (Mapping, list, tuple)) else value
    else:
        label = "internal error: " if isinstance(result, EngineError) else ""
        row["errors"] = "; ".join(f"{label}{p}" for p in result.problems)
    return row


def _frame(pd: Any, rows: list[dict[str, Any]], index: Any = None) -> "pandas.DataFrame":
    frame = pd.DataFrame(rows, columns=list(rows[0]) if rows else list(RESULT_COLUMNS), index=index)
    for column in frame.columns:
        frame[column] = frame[column].astype("Int64" if column in _WHOLE else "string")
    return frame


def evaluate_frame(frame: "pandas.DataFrame", ruleset: RulesetInput = DEFAULT_RULESET, set: Overrides = None,
                   jobs: int = 1) -> "pandas.DataFrame":
    """Evaluate one scenario per row; return the input columns and the results, same index.

    Args:
        frame: columns are dotted field names (``populations.in_need``); an empty cell (None,
            NaN) leaves the field out; a list field (``hazard.types``) holds a list.
        ruleset, set, jobs: as for :func:`scaleup.evaluate_many`.

    Returns:
        The frame with :data:`RESULT_COLUMNS` added (an ``id`` column of the input is kept as
        it is); a row whose scenario is invalid has ``errors`` set, located as
        ``<row 3>: /populations/in_need: ...``.

    Raises:
        ImportError: pandas is not installed (``pip install scaleup[pandas]``).
        RulesetError: the rule set or an override is invalid.
    """
    pd = _pandas()
    names = [f"<row {label}>" for label in frame.index]
    items: list[Any] = []
    for name, cells in zip(names, frame.to_dict("records")):
        try:
            items.append(nest({c: v for c, v in cells.items() if not _missing(pd, v)}, name))
        except ScenarioError as exc:
            items.append(exc)
    results = iter(evaluate_many([x for x in items if not isinstance(x, ScenarioError)], jobs, ruleset, set,
                                 names=[n for n, x in zip(names, items) if not isinstance(x, ScenarioError)]))
    rows = [result_row(x if isinstance(x, ScenarioError) else next(results)) for x in items]
    out = _frame(pd, rows, index=frame.index)
    keep = [c for c in out.columns if c not in frame.columns]
    return pd.concat([frame, out[keep]], axis=1)


def to_frame(results: Iterable[Result]) -> "pandas.DataFrame":
    """Results of :func:`scaleup.evaluate_many` (or recommendations) as a frame: ``file``, then
    :data:`RESULT_COLUMNS`, one row per result, in order.

    Raises:
        ImportError: pandas is not installed (``pip install scaleup[pandas]``).
        TypeError: an item is neither a Recommendation nor a ScaleupError.
    """
    pd = _pandas()
    rows = []
    for result in results:
        if not isinstance(result, (Recommendation, ScaleupError)):
            raise TypeError(f"expected recommendations or errors, not {type(result).__name__}")
        rows.append({"file": _file_of(result), **result_row(result)})
    if not rows:
        return pd.DataFrame(columns=["file", *RESULT_COLUMNS])
    return _frame(pd, rows)


def _file_of(result: Result) -> Optional[str]:
    if isinstance(result, Recommendation):
        return result.scenario.file
    first: Optional[Problem] = next(iter(result.problems), None)
    return first.file if first else None
