"""Batch result rows: their columns, JSON Lines and CSV serialisation, and reading them back.

The flat form of a row (:func:`result_row`, columns :func:`flat_columns`) has one cell per lead
role and per cluster (``leads.humanitarian_coordinator``, ``cluster_leads.Protection``) instead
of packed ``role=actor; ...`` cells; it is what ``batch --excel`` writes (a CSV with a UTF-8 BOM,
so Excel reads it as UTF-8) and what the XLSX results sheet holds.

Longer than 300 lines: one row format written four ways (JSON Lines, CSV, Excel CSV, table) and
read back for ``--resume``; writer and reader must agree byte for byte, so they stay together.

One row per scenario, in a fixed column order. A row is written with one ``write`` and a flush,
so an interrupted run leaves every finished row on disk and at most one torn last line, which
:func:`read_rows` detects and drops. CSV follows RFC 4180 (header, ``\\r\\n``, minimal quoting),
joins list fields with ``"; "`` and defuses spreadsheet formulas: a text cell starting with
``= + - @``, a tab, a carriage return or an apostrophe gets a leading apostrophe (the apostrophe
case keeps the guard reversible, so :func:`read_rows` can undo it exactly).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import IO, Any, Iterator, Mapping, Optional, Sequence

from ..errors import Problem, ScaleupError
from ..safetext import terminal
from ..vocabulary import CRITERIA

LEVELS = CRITERIA   # one column per criterion, in the protocol's order
COLUMNS = ("file", "line", "id", "title", "country", "status", "decision", "route", "variant", *LEVELS, "leads",
           "cluster_leads", "flags", "unhcr_level", "expect", "mismatches", "ruleset_id",
           "ruleset_version", "ruleset_sha256", "scenario_sha256", "error")
STATUSES = ("ok", "error", "crashed")
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".xlsx": "xlsx"}
BOM = "\ufeff"
LIST_SEP = "; "
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")
_INT_COLUMNS = {"line", "unhcr_level", *LEVELS}
_MAP_COLUMNS = {"leads", "cluster_leads"}
_LIST_COLUMNS = {"flags", "mismatches"}

Row = dict[str, Any]
Scalar = Optional[str | int | float | bool]


def lead_names(ruleset: Any) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """The lead roles and clusters the rule set's rules can assert, sorted, and whether a rule
    copies one from another fact (then a row may hold a role or cluster not listed)."""
    roles: set[str] = set()
    clusters: set[str] = set()
    copied = False
    for rule in ruleset.rules:
        for emit in rule.emits:
            key = {"lead": "role", "cluster": "name"}.get(emit.type)
            if key is None:
                continue
            value = dict(emit.fields).get(key)
            if isinstance(value, str):
                (roles if emit.type == "lead" else clusters).add(value)
            else:
                copied = True
    return tuple(sorted(roles)), tuple(sorted(clusters)), copied


def flat_columns(ruleset: Any) -> tuple[str, ...]:
    """The columns of :func:`result_row` for a rule set: :data:`COLUMNS` with ``leads`` and
    ``cluster_leads`` spread into one dotted column per role and per cluster."""
    roles, clusters, copied = lead_names(ruleset)
    extra = ("leads.other", "cluster_leads.other") if copied else ()
    out: list[str] = []
    for column in COLUMNS:
        if column == "leads":
            out += [f"leads.{r}" for r in roles] + list(extra[:1])
        elif column == "cluster_leads":
            out += [f"cluster_leads.{c}" for c in clusters] + list(extra[1:])
        else:
            out.append(column)
    return tuple(out)


def result_row(row: Mapping[str, Any], columns: Sequence[str]) -> dict[str, Scalar]:
    """A batch row (as the JSON Lines output holds it) as flat scalars in ``columns`` (from
    :func:`flat_columns`): one cell per lead role and cluster, lists joined with ``"; "``, None
    for what the row does not have. A role or cluster without a column of its own goes to
    ``leads.other`` / ``cluster_leads.other`` as ``name=actor`` text."""
    out: dict[str, Scalar] = {}
    wanted = set(columns)
    for column in columns:
        head, _, name = column.partition(".")
        if name and head in _MAP_COLUMNS:
            mapping = row.get(head) or {}
            if name == "other":
                rest = {k: v for k, v in mapping.items() if f"{head}.{k}" not in wanted}
                out[column] = LIST_SEP.join(f"{k}={v}" for k, v in rest.items()) or None
            else:
                out[column] = mapping.get(name)
            continue
        value = row.get(column)
        if isinstance(value, (list, tuple)):
            value = LIST_SEP.join(str(v) for v in value) or None
        elif isinstance(value, Mapping):
            value = LIST_SEP.join(f"{k}={v}" for k, v in value.items()) or None
        out[column] = value
    return out


def output_columns(fmt: str, ruleset: Any) -> tuple[str, ...]:
    """The columns a batch writes in ``fmt``: flat for ``excel`` and ``xlsx``, else :data:`COLUMNS`."""
    return flat_columns(ruleset) if fmt in ("excel", "xlsx") else COLUMNS


def format_for(path: str, fmt: Optional[str]) -> str:
    """The output format: ``fmt`` when given, else from the file's suffix.

    Raises:
        ScaleupError: when the suffix says nothing and no format was given.
    """
    if fmt:
        return fmt
    for suffix, name in FORMATS.items():
        if path.lower().endswith(suffix):
            return name
    raise ScaleupError.at(path, None, "", "cannot tell the output format from the file name",
                          "name it *.jsonl, *.csv or *.xlsx, or pass -f jsonl|csv")


def guard(text: str) -> str:
    """Defuse a CSV cell a spreadsheet would run as a formula (reversible, see :func:`unguard`)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def unguard(text: str) -> str:
    return text[1:] if text.startswith("'") else text


def csv_cell(value: Any) -> str:
    """A value as CSV text: empty for None, lists and mappings joined, text guarded."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return guard(LIST_SEP.join(f"{k}={v}" for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return guard(LIST_SEP.join(str(v) for v in value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return guard(str(value))


def jsonl_line(row: Mapping[str, Any], columns: Sequence[str] = COLUMNS) -> str:
    """One JSON object on one line, keys in column order, UTF-8 text (not ``\\u`` escapes)."""
    return json.dumps({c: row.get(c) for c in columns}, ensure_ascii=False, separators=(",", ":")) + "\n"


def csv_line(cells: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()


def csv_row(row: Mapping[str, Any], columns: Sequence[str] = COLUMNS) -> str:
    return csv_line([csv_cell(row.get(c)) for c in columns])


class RowWriter:
    """Streams rows to an open text stream: one write and one flush per row.

    Args:
        stream: where rows go (a file opened for appending, or stdout).
        fmt: ``jsonl``, ``csv``, ``excel`` (flat CSV with a BOM, ``columns`` from
            :func:`flat_columns`) or ``table``.
        columns: the column order.
        header: write the CSV header first (False when appending to a file that has one).
    """

    def __init__(self, stream: IO[str], fmt: str, columns: Sequence[str] = COLUMNS, header: bool = True):
        self.stream, self.fmt, self.columns = stream, fmt, tuple(columns)
        if fmt == "csv" and header:
            self._put(csv_line(self.columns))
        elif fmt == "excel" and header:
            self._put(BOM + csv_line(self.columns))
        elif fmt == "table" and header:
            self._put(TABLE_HEADER)

    def _put(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def write(self, row: Mapping[str, Any]) -> None:
        self._put(self.render(row))

    def render(self, row: Mapping[str, Any]) -> str:
        if self.fmt == "table":
            return table_line(row)
        if self.fmt == "excel":
            return csv_line([csv_cell(v) for v in result_row(row, self.columns).values()])
        return csv_row(row, self.columns) if self.fmt == "csv" else jsonl_line(row, self.columns)


TABLE_HEADER = f"{'id':<32} {'status':<7} {'decision':<21} {'route':<16} S U X C R  input\n"


def table_line(row: Mapping[str, Any]) -> str:
    """A row for reading in a terminal: id, status, decision, route, the five levels, input."""
    levels = " ".join("-" if row.get(name) is None else str(row[name]) for name in LEVELS)
    where = row["file"] if row.get("line") is None else f"{row['file']}:{row['line']}"
    return terminal(f"{str(row.get('id') or '?'):<32.32} {row['status']:<7} {str(row.get('decision') or '-'):<21} "
                    f"{str(row.get('route') or '-'):<16} {levels}  {where}") + "\n"   # file names are user text


@dataclass(frozen=True)
class StoredRow:
    """A row read back from an output file: its values, its exact text, and where it ends."""

    values: Row
    text: str
    end: int

    @property
    def key(self) -> tuple[str, Optional[int], str]:
        return row_key(self.values)


def row_key(row: Mapping[str, Any]) -> tuple[str, Optional[int], str]:
    """What identifies a scenario across runs: input file, JSON Lines line, content hash."""
    return (str(row.get("file") or ""), row.get("line"), str(row.get("scenario_sha256") or ""))


def _damaged(name: str, line: int, why: str) -> ScaleupError:
    return ScaleupError([Problem(name, line, "", f"not a result row of this scaleup version: {why}",
                                 "the file is damaged or was written by something else; remove it to start afresh")])


def read_rows(text: str, fmt: str, name: str, columns: Sequence[str] = COLUMNS) -> tuple[list[StoredRow], int]:
    """Rows of an output file and the length of its valid part (a torn last row is left out).

    Raises:
        ScaleupError: when a complete row (not the last, torn one) is not a result row.
    """
    if fmt == "csv":
        return _read_csv(text, name, tuple(columns))
    rows: list[StoredRow] = []
    pos = 0
    for number, line in enumerate(_lines(text), 1):
        if not line.endswith("\n"):
            break   # torn: the run stopped while writing it
        try:
            data = json.loads(line)
        except ValueError:
            raise _damaged(name, number, "not JSON") from None
        if not isinstance(data, dict) or tuple(data) != tuple(columns):
            raise _damaged(name, number, f"expected the keys {', '.join(columns)}")
        pos += len(line)
        rows.append(StoredRow(data, line, pos))
    return rows, pos


def _lines(text: str) -> list[str]:
    """Physical lines ending in ``\n`` (``str.splitlines`` would also split at U+2028 and co.)."""
    parts = text.split("\n")
    out = [p + "\n" for p in parts[:-1]]
    return out + [parts[-1]] if parts[-1] else out


def _read_csv(text: str, name: str, columns: tuple[str, ...]) -> tuple[list[StoredRow], int]:
    if not text:
        return [], 0
    header = csv_line(columns)
    if not text.startswith(header):
        if header.startswith(text):
            return [], 0   # torn header
        raise _damaged(name, 1, f"the header is not {','.join(columns)}")
    rows: list[StoredRow] = []
    pos, number = len(header), 1
    records = _lines(text[pos:])
    i = 0
    while i < len(records):
        # A quoted cell may hold a line break: join physical lines until the quotes balance.
        chunk, i = records[i], i + 1
        while chunk.count('"') % 2 and i < len(records):
            chunk, i = chunk + records[i], i + 1
        number += 1
        if not chunk.endswith("\r\n") or chunk.count('"') % 2:
            break   # torn last record
        cells = next(csv.reader([chunk[:-2]]), [])
        if len(cells) != len(columns) or csv_line(cells) != chunk:
            if i >= len(records):
                break
            raise _damaged(name, number, f"expected {len(columns)} cells")
        values = _typed(dict(zip(columns, cells)))
        pos += len(chunk)
        rows.append(StoredRow(values, chunk, pos))
    return rows, pos


def _typed(cells: dict[str, str]) -> Row:
    """CSV cells back to the values a JSON Lines row holds."""
    out: Row = {}
    for column, cell in cells.items():
        text = unguard(cell)
        if column in _INT_COLUMNS:
            out[column] = int(text) if text.strip().isdigit() else None
        elif column in _MAP_COLUMNS:
            out[column] = dict(part.split("=", 1) for part in text.split(LIST_SEP) if "=" in part) if text else {}
        elif column in _LIST_COLUMNS:
            out[column] = text.split(LIST_SEP) if text else []
        else:
            out[column] = text or None
    return out


class RowScan:
    """Reads the rows of an output file one by one, without holding the file in memory (for
    ``--resume`` over millions of rows). Iterating yields ``(values, start, end)``: each complete
    row's values and its byte range; a torn last row is left out, and :attr:`valid` is then the
    length in bytes of the file's valid part (its header and complete rows).

    Raises (while iterating):
        ScaleupError: when the file is not UTF-8 or a complete row is not a result row.
    """

    def __init__(self, handle: IO[bytes], fmt: str, name: str, columns: Sequence[str] = COLUMNS):
        self.handle, self.fmt, self.name, self.columns = handle, fmt, name, tuple(columns)
        self.valid = 0

    def _lines(self) -> Iterator[str]:
        for number, raw in enumerate(self.handle, 1):
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                if not raw.endswith(b"\n"):
                    return   # a torn last line may end inside a character
                raise ScaleupError.at(self.name, number, "", f"not UTF-8 text ({exc.reason})",
                                      "the file is damaged or was written by something else; remove it to start afresh") from None

    def __iter__(self) -> Iterator[tuple[Row, int, int]]:
        lines = self._lines()
        if self.fmt != "csv":
            for line in lines:
                if not line.endswith("\n"):
                    return
                rows, _ = read_rows(line, "jsonl", self.name, self.columns)
                if not rows:   # pragma: no cover - a complete line is a row or an error
                    return
                start, self.valid = self.valid, self.valid + len(line.encode("utf-8"))
                yield rows[0].values, start, self.valid
            return
        header = csv_line(self.columns)
        first = next(lines, "")
        if first != header:
            if header.startswith(first) or not first:
                return   # empty, or a torn header
            raise _damaged(self.name, 1, f"the header is not {','.join(self.columns)}")
        self.valid = len(header.encode("utf-8"))
        chunk, number = "", 1
        for line in lines:
            number += not chunk
            chunk += line
            if chunk.count('"') % 2:
                continue   # a quoted cell holds a line break: read on
            if not chunk.endswith("\r\n"):
                return
            rows, valid = _read_csv(header + chunk, self.name, self.columns)
            if valid != len(header) + len(chunk):
                if self.handle.read(1):   # a damaged record before the end, not a torn last one
                    raise _damaged(self.name, number, f"expected {len(self.columns)} cells")
                return
            start, self.valid = self.valid, self.valid + len(chunk.encode("utf-8"))
            yield rows[0].values, start, self.valid
            chunk = ""


def parse_row(text: str, fmt: str, name: str, columns: Sequence[str] = COLUMNS) -> Row:
    """The values of one complete row, as written by :class:`RowWriter`."""
    rows, _ = read_rows((csv_line(columns) if fmt == "csv" else "") + text, fmt, name, columns)
    return rows[0].values
