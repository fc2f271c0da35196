"""The XLSX results workbook of a batch (``batch -o results.xlsx``).

The results workbook has three sheets: ``results`` (one row per scenario, readable column
names, header frozen, a filter on every column, the decision cell coloured), ``errors`` (every
scenario that could not be evaluated, with its located problems) and ``rule set`` (the stamps:
rule set id, version, SHA-256, scaleup and durable_rules versions). It is written with openpyxl's
write-only (streaming) workbook, then re-packed with fixed times (workbook properties and zip
entries), so the same rows give byte-identical files.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Mapping, Sequence

from ..engine.durable import durable_version
from ..errors import ScaleupError
from ..paths import display_name
from ..rules.ir import CompiledRuleset
from ..writeout import write_atomic
from ..version import __version__
from ..xlsx import save_workbook
from .input import expand_inputs
from .output import LEVELS, Row, RowWriter, flat_columns, result_row
from .run import BatchSummary, run_batch, version_label


DECISION_FILLS = {"recommend": "F4B6B6", "consider": "FBE3A6", "not_recommended": "CDE8C4",
                  "not_applicable": "D9D9D9", "insufficient_evidence": "C9DAF0"}
HEADER_FILL = "1F3B57"
HIDDEN_IN_RESULTS = {"ruleset_id", "ruleset_version", "ruleset_sha256", "error"}
LABELS = {"file": "File", "line": "Line / row", "id": "Id", "title": "Title", "country": "Country",
          "status": "Status", "decision": "Decision", "route": "Route", "variant": "Variant",
          "scale": "Scale", "urgency": "Urgency", "complexity": "Complexity",
          "capacity": "Capacity gap", "risk": "Risk of failure", "flags": "Flags",
          "unhcr_level": "UNHCR emergency level", "expect": "Expectations", "mismatches": "Mismatches",
          "scenario_sha256": "Scenario SHA-256", "error": "Problems"}
WIDTHS = {"file": 28, "title": 40, "country": 14, "status": 8, "decision": 20, "route": 17, "variant": 18,
          "flags": 40, "mismatches": 30, "scenario_sha256": 20, "error": 120, "id": 26}


def results_columns(flat: Sequence[str]) -> list[str]:
    """The results sheet's columns: what a reader looks at first (the scenario, the decision,
    the five levels), then leads and clusters, then where each row came from."""
    first = ("id", "title", "country", "status", "decision", "route", *LEVELS, "variant", "unhcr_level", "flags")
    last = ("expect", "mismatches", "file", "line", "scenario_sha256")
    middle = [c for c in flat if c not in first and c not in last and c not in HIDDEN_IN_RESULTS]
    return [*first, *middle, *last]


def label(column: str) -> str:
    """A readable name for a result column: ``leads.humanitarian_coordinator`` -> ``Lead: humanitarian coordinator``."""
    head, _, name = column.partition(".")
    if head == "leads":
        return f"Lead: {name.replace('_', ' ')}"
    if head == "cluster_leads":
        return f"{name} cluster lead" if name != "other" else "Other cluster leads"
    return LABELS.get(column, column.replace("_", " ").capitalize())


def _width(column: str) -> float:
    if column.startswith(("leads.", "cluster_leads.")):
        return 34
    return WIDTHS.get(column, 13 if column in LEVELS else 16)


def _clean(value: Any) -> Any:
    """A value openpyxl can store: text without the control characters XML refuses."""
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return value


def _cell(sheet: Any, value: Any, **style: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell
    cell = WriteOnlyCell(sheet, _clean(value))
    if isinstance(value, str) and cell.data_type == "f":   # text from files is never a formula
        cell.data_type = "s"
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def _header(book: Any, title: str, columns: Sequence[str], labels: Sequence[str], widths: Sequence[float]) -> Any:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    sheet = book.create_sheet(title)
    for i, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    font, fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor=HEADER_FILL)
    wrap = Alignment(wrap_text=True, vertical="top")
    sheet.append([_cell(sheet, text, font=font, fill=fill, alignment=wrap) for text in labels])
    return sheet


def write_results_xlsx(path: str | os.PathLike[str], rows: Iterable[Mapping[str, Any]], ruleset: CompiledRuleset,
                       version_label: str) -> None:
    """Write the results workbook of a batch.

    Args:
        path: the ``.xlsx`` file (replaced atomically).
        rows: batch rows in output order (as :func:`scaleup.batch.run.make_row` builds them).
        ruleset: the rule set the rows were evaluated with.
        version_label: its version as rows record it (with ``--set`` overrides).

    Raises:
        ScaleupError: the file cannot be written.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, PatternFill
    from openpyxl.utils import get_column_letter
    flat = flat_columns(ruleset)
    shown = results_columns(flat)
    book = Workbook(write_only=True)
    results = _header(book, "results", shown, [label(c) for c in shown], [_width(c) for c in shown])
    results.page_setup.orientation = "landscape"   # printed (or made a PDF): the header on every page
    results.page_setup.scale = 60
    results.print_title_rows = "1:1"
    error_columns = ("file", "line", "id", "title", "status", "error")
    errors = _header(book, "errors", error_columns, [label(c) for c in error_columns], [_width(c) for c in error_columns])
    fills: dict[object, Any] = {k: PatternFill("solid", fgColor=v) for k, v in DECISION_FILLS.items()}
    top, centre = Alignment(vertical="top", wrap_text=False), Alignment(horizontal="center")
    centred = {*LEVELS, "unhcr_level", "status"}
    count = failed = 0
    for row in rows:
        values = result_row(row, flat)
        count += 1
        results.append([_cell(results, values[c], fill=fills[values[c]]) if c == "decision" and values[c] in fills
                        else _cell(results, values[c], alignment=centre) if c in centred
                        else _cell(results, values[c]) for c in shown])
        if row.get("status") != "ok":
            failed += 1
            errors.append([_cell(errors, values[c], alignment=top) for c in error_columns])
    results.auto_filter.ref = f"A1:{get_column_letter(len(shown))}{count + 1}"
    errors.auto_filter.ref = f"A1:{get_column_letter(len(error_columns))}{failed + 1}"
    stamps = _header(book, "rule set", ("name", "value"), ("Stamp", "Value"), (28, 90))
    for name, value in stamp_rows(ruleset, version_label, count, failed):
        stamps.append([_cell(stamps, name), _cell(stamps, value)])
    save_workbook(book, path)


def stamp_rows(ruleset: CompiledRuleset, version_label: str, count: int, failed: int) -> list[tuple[str, Any]]:
    """What the ``rule set`` sheet says: the stamps every JSON recommendation carries."""
    return [("rule set", ruleset.id), ("rule set title", ruleset.title), ("rule set version", version_label),
            ("rule set sha256", ruleset.sha256), ("rule set effective from", ruleset.effective_from.isoformat()),
            ("parameter overrides (--set)", "; ".join(f"{k}={v}" for k, v in ruleset.overrides) or "none"),
            ("scaleup version", __version__), ("durable_rules version", durable_version()),
            ("scenarios", count), ("scenarios not evaluated", failed)]


def rows_of_jsonl(handle: IO[str]) -> Iterator[Row]:
    """Rows of a JSON Lines batch output, one at a time."""
    for line in handle:
        if line.strip():
            yield json.loads(line)


def write_excel_csv(path: str | os.PathLike[str], rows: Iterable[Mapping[str, Any]], ruleset: CompiledRuleset) -> None:
    """Write batch rows as CSV for Excel (a BOM, one column per lead role and cluster), atomically."""
    columns = flat_columns(ruleset)
    buffer = io.StringIO()
    writer = RowWriter(buffer, "excel", columns)
    for row in rows:
        writer.write(row)
    write_atomic(path, buffer.getvalue())


def run_batch_xlsx(paths: Sequence[str], ruleset: CompiledRuleset, output: Path, excel: bool = False,
                   **options: Any) -> BatchSummary:
    """:func:`scaleup.batch.run.run_batch` with the results written as a workbook (or, with
    ``excel``, as CSV for Excel) at the end.

    Rows are spooled as JSON Lines to a temporary file while the batch runs (memory stays flat),
    then streamed into the workbook. An interrupted run writes nothing (a partial workbook would
    mislead); ``options`` are those of ``run_batch`` except ``fmt``, ``output``, ``stream`` and ``resume``.
    """
    if output.exists():   # a workbook written earlier, matched again by a pattern, would be read as scenarios
        same = [f for f in expand_inputs(paths).files if f.exists() and os.path.samefile(f, output)]
        if same:
            raise ScaleupError.at(display_name(output), None, "", "this workbook is also an input (the paths name it): "
                                  "writing the results would replace it", "write the results to another file")
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as spool:
        summary = run_batch(paths, ruleset, fmt="jsonl", stream=spool, **options)
        if summary.interrupted or (not summary.evaluated and not summary.total):
            return summary
        spool.seek(0)
        if excel:
            write_excel_csv(output, rows_of_jsonl(spool), ruleset)
        else:
            write_results_xlsx(output, rows_of_jsonl(spool), ruleset, version_label(ruleset))
    return summary
