"""``scaleup batch`` and ``scaleup sweep``: many evaluations on worker processes.

Thin commands: options in, one library call (:func:`scaleup.batch.run.run_batch`,
:func:`scaleup.batch.sweep.run_sweep`), messages and exit codes out. Data goes to stdout or ``-o``;
progress, problems and the summary go to stderr.

Longer than 300 lines because the two commands share their options (workers, timeouts, progress,
a Dask cluster), their summary lines and their output checks; apart, each would repeat them.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Optional

import click

from ..rules.load import DEFAULT_RULESET
from .names import FileOrExample
from ..safetext import terminal
from .progress import ProgressDisplay, StopFlag, progress_mode
from .common import ExitCode, fail, parse_sets, ruleset_option, set_option

if TYPE_CHECKING:   # the library is imported inside the commands: other commands start faster
    from ..batch.run import BatchSummary
    from ..batch.sweep import SweepResult

SHOWN = 20   # problems printed on stderr before "and N more"


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:   # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def _echo_list(label: str, items: list[str], total: int, where: str) -> None:
    for item in items[:SHOWN]:
        click.echo(terminal(f"{label}: {item}"), err=True)
    if total > SHOWN:
        click.echo(f"... and {total - SHOWN} more {label} lines; every row is in {where}", err=True)


def summary_lines(s: "BatchSummary") -> list[str]:
    """The summary table printed after a batch: counts per status, decision and route."""
    sections = [("status", {k: s.status[k] for k in ("ok", "error", "crashed") if s.status[k] or k == "ok"}),
                ("decision", dict(s.decisions)), ("route", dict(s.routes))]
    width = max(len(k) for _, counts in sections for k in list(counts) + ["decision"]) + 2
    lines: list[str] = []
    for title, counts in sections:
        if counts:
            lines.append(f"{title:<{width}}  {'count':>7}")
            lines += [f"  {k:<{width - 2}}  {n:>7,}" for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    if s.skipped:
        lines.append("skipped: " + ", ".join(f"{n} {kind} file{'s' if n != 1 else ''}" for kind, n in sorted(s.skipped.items())))
    if s.resumed:
        lines.append(f"resumed: {s.resumed:,} scenarios were already in the output")
    if s.dropped:
        lines.append(f"dropped: {s.dropped:,} rows of the output whose inputs were not given this time")
    if s.unmet:
        lines.append(f"expectations unmet: {s.unmet:,} scenarios")
    lines.append(f"{s.done + s.resumed:,} of {s.total:,} scenarios; {s.evaluated:,} evaluated in {s.wall:.1f} s "
                 f"({s.rate:,.0f} evaluations/s, {s.workers} worker{'s' if s.workers != 1 else ''})")
    return lines


def _resume_hint(ctx: click.Context, output: Optional[Path]) -> str:
    if output is None:
        return "nothing was written to a file; give -o FILE to be able to resume"
    from ..paths import display_name
    args = ["scaleup", "batch", *map(display_name, ctx.params["paths"]), "-o", display_name(output)]
    for name, flag in (("ruleset", "-r"), ("jobs", "-j"), ("fmt", "-f")):
        value = ctx.params.get(name)
        if value and not (name == "ruleset" and value == DEFAULT_RULESET):
            args += [flag, str(value)]
    for item in ctx.params.get("sets") or ():
        args += ["--set", item]
    for name in ("cluster", "scheduler"):
        if ctx.params.get(name):
            args += [f"--{name}", str(ctx.params[name])]
    if ctx.params.get("check"):
        args.append("--check")
    return "resume with: " + " ".join(shlex.quote(a) for a in args + ["--resume"])


def cluster_options(command: Any) -> Any:
    """``--cluster`` and ``--scheduler``, shared by batch and sweep."""
    command = click.option("--scheduler", metavar="ADDRESS",
                           help="With --cluster dask: the scheduler to use (tcp://HOST:8786) [default: start a "
                                "local cluster of -j workers].")(command)
    return click.option("--cluster", type=click.Choice(["dask"]),
                        help="Evaluate shards of scenarios on a Dask cluster (pip install 'scaleup[dask]').")(command)


@contextlib.contextmanager
def cluster_pool(cluster: Optional[str], scheduler: Optional[str], jobs: Optional[int], rules: Any,
                 timeout: float) -> Iterator[Any]:
    """The Dask pool for ``--cluster dask`` (None without it), its cluster closed on exit."""
    if cluster is None:
        if scheduler:
            raise click.UsageError("--scheduler needs --cluster dask")
        yield None
        return
    from ..batch.cluster import DaskPool, dask_client
    with dask_client(scheduler, jobs or default_jobs()) as client:
        yield DaskPool(client, rules, timeout=timeout)


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write rows to this file (*.jsonl or *.csv row by row; *.xlsx, a workbook, at the end); "
                   "default: stdout.")
@click.option("-f", "--format", "fmt", type=click.Choice(["jsonl", "csv", "xlsx", "table"]),
              help="Row format; default: from the -o suffix, jsonl on stdout.")
@click.option("--excel", is_flag=True,
              help="CSV for spreadsheets: a UTF-8 BOM, and one column per lead role and per cluster "
                   "(leads.<role>, cluster_leads.<cluster>) instead of packed role=actor cells.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes [default: all cores]; 1 evaluates in this process.")
@click.option("--resume", is_flag=True, help="Keep the rows already in -o and evaluate only the rest.")
@click.option("--check", is_flag=True, help="Compare each scenario's expect: block; exit 3 on a mismatch.")
@ruleset_option
@set_option
@click.option("--progress/--no-progress", "show_progress", default=None,
              help="Progress bar on stderr even when it is not a terminal / none [default: a bar on a "
                   "terminal, a plain line every 10 s elsewhere].")
@click.option("--timeout", type=click.FloatRange(min=0), default=120, show_default=True,
              help="Seconds one evaluation may take before its worker is stopped (0: no limit).")
@cluster_options
@click.pass_context
def batch(ctx: click.Context, paths: tuple[str, ...], output: Optional[Path], fmt: Optional[str], excel: bool,
          jobs: Optional[int], resume: bool, check: bool, ruleset: str, sets: tuple[str, ...],
          show_progress: Optional[bool], timeout: float, cluster: Optional[str] = None,
          scheduler: Optional[str] = None) -> None:
    """Evaluate many scenarios on all cores; one result row per scenario, in input order.

    PATHS are scenario files, folders (searched for *.yaml, *.yml, *.json, *.jsonl) and glob
    patterns; a *.jsonl file holds one scenario (a JSON object) per line, a *.csv or *.xlsx file
    one scenario per row (docs/spreadsheets.md). Invalid scenarios become
    error rows and the batch goes on; a worker that crashes costs only the scenario it held
    (a "crashed" row). Rows are written as they finish, so an interrupted run keeps its results
    and --resume finishes it. A summary goes to stderr. Exit codes: 1 if any scenario was invalid
    or crashed, else 3 if --check found a mismatch, 130 if interrupted.

    \b
    Examples:
      scaleup batch scenarios/ -f table
      scaleup batch scenarios/ variants.jsonl -o results.csv
      scaleup batch crises.xlsx -o results.xlsx
      scaleup batch crises.csv -o results.csv --excel
      scaleup batch 'runs/**/*.yaml' -o results.jsonl -j 2 --resume
      scaleup batch scenarios/ --check -f table
      scaleup batch runs/ -o results.jsonl --cluster dask --scheduler tcp://10.0.0.5:8786
    """
    from ..batch.run import run_batch
    from ..batch.output import format_for
    from ..paths import display_name
    from ..rules.load import load_ruleset

    if resume and output is None:
        raise click.UsageError("--resume needs -o FILE (the output to continue)")
    chosen = format_for(str(output), fmt) if output is not None else (fmt or "jsonl")
    if output is not None and chosen == "table":
        raise click.UsageError("-f table is for the terminal; write files as jsonl, csv or xlsx")
    if chosen == "xlsx" and output is None:
        raise click.UsageError("-f xlsx writes a workbook: give -o FILE.xlsx")
    if excel:
        if chosen != "csv":
            raise click.UsageError("--excel shapes CSV output: write to *.csv or give -f csv")
        if output is None:
            raise click.UsageError("--excel writes a file for a spreadsheet: give -o FILE.csv")
        chosen = "excel"
    if resume and chosen in ("excel", "xlsx"):
        raise click.UsageError("--resume reads back .jsonl and plain .csv output; "
                               + ("a workbook is written once, at the end" if chosen == "xlsx" else "leave out --excel"))
    rules = load_ruleset(ruleset, parse_sets(sets))
    display = ProgressDisplay(sys.stderr, progress_mode(show_progress, sys.stderr))
    with StopFlag() as stop, cluster_pool(cluster, scheduler, jobs, rules, timeout) as pool:
        try:
            options = {"workers": pool.workers if pool else jobs or default_jobs(), "timeout": timeout,
                       "should_stop": stop, "progress": display, "pool": pool}
            if chosen in ("xlsx", "excel") and output is not None:
                from ..batch.workbook import run_batch_xlsx
                summary = run_batch_xlsx(paths, rules, output, excel=chosen == "excel", **options)
            else:
                summary = run_batch(paths, rules, fmt=chosen, output=output, stream=sys.stdout, resume=resume, **options)
        finally:
            display.close()
    where = display_name(output) if output else "the output"
    for problem in summary.missing:
        click.echo(f"error: {problem}", err=True)
    for note in summary.notes + ([summary.capped] if summary.capped and jobs else []):
        click.echo(f"note: {note}", err=True)
    _echo_list("error", summary.errors, summary.status["error"] + summary.status["crashed"], where)
    _echo_list("warning", summary.duplicate_ids, len(summary.duplicate_ids), where)
    if check:
        _echo_list("mismatch", summary.mismatches, len(summary.mismatches), where)
    for line in summary_lines(summary):
        click.echo(line, err=True)
    if summary.interrupted:
        kept = f" (their rows are in {summary.partial}; {where} is unchanged)" if summary.partial else ""
        if chosen in ("xlsx", "excel"):
            kept = " (nothing written: a partial workbook would mislead; write .jsonl or .csv to keep partial results)"
        click.echo(terminal(f"interrupted: {summary.done + summary.resumed} of {summary.total} scenarios done{kept}; "
                            f"{_resume_hint(ctx, output)}"), err=True)
        ctx.exit(stop.exit_code)
    if summary.missing or summary.status["error"] or summary.status["crashed"]:
        fail(ctx)
    if not summary.evaluated and not summary.resumed:
        click.echo("error: no scenario was evaluated (give scenario files, folders or patterns that "
                   "match them)", err=True)
        fail(ctx)
    if check and summary.unmet:
        fail(ctx, ExitCode.EXPECT)


def sweep_lines(result: "SweepResult") -> list[str]:
    """What a sweep found, for stderr: counts per outcome and, for a one-field grid, where it flips."""
    from ..display import fmt
    design = result.design
    lines = [f"sweep: {result.points:,} points ({design.describe()}) in {result.wall:.1f} s: "
             + ", ".join(f"{k} {n:,}" for k, n in sorted(result.counts.items(), key=lambda kv: (-kv[1], kv[0])))]
    for a, b, before, after in result.transitions():
        lines.append(f"  {result.varies[0].field}: {before} at {fmt(a)}, {after} at {fmt(b)}")
    if result.adjusted:
        lines.append(f"{result.adjusted:,} points moved a dependent field to stay consistent; the adjusted column says which")
    if result.invalid:
        lines.append(f"{result.invalid:,} points make the scenario invalid; the error column says why")
    return lines


@click.command()
@click.argument("scenario", type=FileOrExample())
@click.option("--vary", "varies", multiple=True, required=True, metavar="FIELD=START:STOP:STEP|FIELD=START:STOP|FIELD=V1,V2",
              help="A field and its values; repeat for more fields (START:STOP, without a step, for --sample only).")
@click.option("--sample", nargs=2, type=(click.Choice(["random", "lhs"]), click.IntRange(min=1)), default=None,
              metavar="random|lhs N", help="Evaluate N sampled points instead of the full grid (lhs: Latin hypercube).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --sample: the same seed gives the same points.")
@click.option("--map", "map_fields", metavar="FIELD[,FIELD]",
              help="The two varied fields the decision map shows [default: the first two].")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the grid here (*.csv or *.jsonl), row by row; default: CSV on stdout unless --html is given.")
@click.option("--html", "html", type=click.Path(dir_okay=False, path_type=Path), help="Write the decision map here.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Worker processes [default: all cores].")
@ruleset_option
@set_option
@click.option("--timeout", type=click.FloatRange(min=0), default=120, show_default=True,
              help="Seconds one evaluation may take before its worker is stopped (0: no limit).")
@click.option("--progress/--no-progress", "show_progress", default=None,
              help="Progress bar on stderr even when it is not a terminal / none [default: a bar on a "
                   "terminal, a plain line every 10 s elsewhere].")
@click.option("--row", type=click.IntRange(min=1), default=None, metavar="N",
              help="The scenario on line N of a .jsonl file, or row N of a .csv or .xlsx file.")
@cluster_options
@click.pass_context
def sweep(ctx: click.Context, scenario: str, varies: tuple[str, ...], sample: Optional[tuple[str, int]], seed: int,
          map_fields: Optional[str], output: Optional[Path], html: Optional[Path], jobs: Optional[int], ruleset: str,
          sets: tuple[str, ...], timeout: float, show_progress: Optional[bool], row: Optional[int],
          cluster: Optional[str], scheduler: Optional[str]) -> None:
    """Evaluate a scenario over a grid or a sample of any number of fields; write the rows and a
    decision map. SCENARIO may be a line of a .jsonl file or a row of a .csv or .xlsx file (--row).

    FIELD is a dotted scenario field (populations.in_need, health_nutrition.cmr, hazard.onset...).
    A range START:STOP:STEP includes STOP when a step lands on it; a list gives values, numbers
    or categories; START:STOP is a continuous range for --sample. Points are generated and written
    one by one, so a sweep of millions of points runs in bounded memory. Every point is validated
    again: a point that breaks a rule tying two fields has the other field follow (the adjusted
    column), and one that still breaks a check is reported as an error row, not skipped.

    \b
    Examples:
      scaleup sweep scenarios/cyclone-coastal.yaml --vary populations.in_need=0:1800000:100000
      scaleup sweep scenarios/cyclone-coastal.yaml --vary populations.in_need=100000:1800000:100000 \\
          --vary capacity.inform_lcc=1:9:0.5 -o grid.csv --html map.html
      scaleup sweep scenarios/cyclone-coastal.yaml --vary populations.affected=100000:4000000 \\
          --vary capacity.inform_lcc=0:10 --vary hazard.onset=sudden,gradual --sample lhs 10000 -o lhs.csv
      scaleup sweep crises.xlsx --row 3 --vary capacity.inform_lcc=0:10:1
    """
    from ..batch.output import RowWriter, format_for
    from ..batch.decision_map import render as render_map
    from ..rules.load import load_ruleset
    from ..batch.sweep import columns, make_design, parse_vary, run_sweep
    from ..batch.files import is_direct, partial_path, replace_with
    from ..writeout import open_output, output_error, write_atomic

    kind, count = sample or (None, 0)
    design = make_design([parse_vary(v) for v in varies], kind, count, seed=seed)
    chosen = format_for(str(output), None) if output is not None else "csv"
    rules = load_ruleset(ruleset, parse_sets(sets))
    display = ProgressDisplay(sys.stderr, progress_mode(show_progress, sys.stderr), label="sweep")
    wanted = [f.strip() for f in map_fields.split(",")] if map_fields else None
    # -o FILE: rows stream to .FILE.partial, which replaces FILE only when the sweep completes,
    # so a full disk or an interruption never harms FILE (devices and FIFOs are written directly)
    partial = None if output is None or is_direct(output) else partial_path(output)
    handle = open_output(partial or output) if output is not None else (sys.stdout if html is None else None)
    writer = RowWriter(handle, chosen, columns(design)) if handle is not None else None
    try:
        with StopFlag() as stop, cluster_pool(cluster, scheduler, jobs, rules, timeout) as pool:
            try:
                result = run_sweep(scenario, design, rules, workers=jobs or default_jobs(), timeout=timeout,
                                   should_stop=stop, progress=display, write=writer.write if writer else None,
                                   map_fields=wanted, pool=pool, row=row)
            finally:
                display.close()
        if output is not None and handle is not None:
            handle.close()
    except OSError as exc:
        if output is None:
            raise
        if handle is not None:
            try:
                handle.close()
            except OSError:
                pass   # the disk is full: what could not be flushed is lost with the partial file
        if partial is not None:
            partial.unlink(missing_ok=True)
        raise output_error(output, exc) from None
    if partial is not None and output is not None and not result.interrupted:
        replace_with(partial, output)
    if result.capped and jobs:
        click.echo(f"note: {result.capped}", err=True)
    for line in sweep_lines(result):
        click.echo(line, err=True)
    if result.interrupted:
        kept = (f"; the {result.points:,} rows written so far are in {partial or output}"
                + (f" ({output} is unchanged)" if partial else "") if output else "")
        click.echo(f"interrupted: {result.points:,} of {result.design.size:,} points done{kept}; "
                   "no decision map written", err=True)
        ctx.exit(stop.exit_code)
    if html is not None:
        write_atomic(html, render_map(result))
    for target in (output, html):
        if target is not None:
            click.echo(f"wrote {target}", err=True)
    if result.crashed:
        fail(ctx)
