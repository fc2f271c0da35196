"""Spreadsheet speed: reading scenario sheets (CSV, XLSX) into batch tasks and validating rows,
and writing the results workbook. Prints medians of --repeat passes (CPU time) and ratios.

    .venv/bin/python benchmarks/sheets.py            # 5,000 generated scenarios, 3 passes
    .venv/bin/python benchmarks/sheets.py -n 20000 --repeat 5
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import openpyxl  # noqa: E402
from generate import scenarios  # noqa: E402

from scaleup.batch.input import iter_tasks  # noqa: E402
from scaleup.batch.output import COLUMNS, flat_columns  # noqa: E402
from scaleup.batch.workbook import write_results_xlsx  # noqa: E402
from scaleup.rules.load import load_ruleset  # noqa: E402
from scaleup.scenario.sheet_columns import sheet_columns  # noqa: E402
from scaleup.scenario.sheets import load_row, read_sheet  # noqa: E402


def flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        elif isinstance(value, list):
            out[prefix + key] = "; ".join(map(str, value))
        else:
            out[prefix + key] = value
    return out


def write_inputs(n: int, folder: Path) -> tuple[Path, Path]:
    columns = list(sheet_columns())
    rows = [flat(s) for s in scenarios(n)]
    rows = [{k: v for k, v in r.items() if k in columns} for r in rows]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([["" if r.get(c) is None else str(r[c]).lower() if isinstance(r.get(c), bool) else r[c]
                       for c in columns] for r in rows])
    csv_path = folder / "in.csv"
    csv_path.write_text(text.getvalue(), encoding="utf-8")
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("scenarios")
    sheet.append(columns)
    for r in rows:
        sheet.append([r.get(c) for c in columns])
    xlsx_path = folder / "in.xlsx"
    book.save(xlsx_path)
    return csv_path, xlsx_path


def median_cpu(repeat: int, work: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ruleset = load_ruleset()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path, xlsx_path = write_inputs(args.n, folder)
        rows_read = {}
        for name, path in (("csv", csv_path), ("xlsx", xlsx_path)):
            seconds = median_cpu(args.repeat, lambda p=path: sum(1 for _ in iter_tasks([p])))
            rows_read[name] = args.n / seconds
        sheet_rows = list(read_sheet(str(csv_path), "in.csv"))
        failed = []

        def validate_all() -> None:
            failed.clear()
            for row in sheet_rows:
                try:
                    load_row(row)
                except Exception:
                    failed.append(row.row)
        validating = args.n / median_cpu(args.repeat, validate_all)
        batch_row = {c: None for c in COLUMNS}
        batch_row.update(file="in.csv", line=2, id="x", title="A title of some length", country="Mozambara",
                         status="ok", decision="recommend", route="iasc_clusters", scale=4, urgency=5, complexity=3,
                         capacity=4, risk=4, leads={"humanitarian_coordinator": "Resident Coordinator as RC/HC"},
                         cluster_leads={"Protection": "UNHCR", "Health": "WHO"}, flags=["a_flag"], mismatches=[],
                         scenario_sha256="0" * 64)
        out = folder / "out.xlsx"
        writing = args.n / median_cpu(args.repeat, lambda: write_results_xlsx(out, (batch_row for _ in range(args.n)),
                                                                              ruleset, ruleset.version))
        size = out.stat().st_size
    print(f"{args.n:,} generated scenarios, {len(sheet_columns())} columns, {len(flat_columns(ruleset))} result "
          f"columns; medians of {args.repeat} passes (CPU time)")
    print(f"  read CSV into batch tasks     {rows_read['csv']:>10,.0f} rows/s")
    print(f"  read XLSX into batch tasks    {rows_read['xlsx']:>10,.0f} rows/s   (CSV is {rows_read['csv'] / rows_read['xlsx']:.1f}x faster)")
    print(f"  validate rows (load_row)      {validating:>10,.0f} rows/s   ({len(failed)} invalid rows)")
    print(f"  write the results workbook    {writing:>10,.0f} rows/s   ({size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
