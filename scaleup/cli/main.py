"""The command line: each command parses its options and calls one library function.

Data goes to stdout, progress and problems to stderr. Exit codes: 0 ok, 1 invalid input or
rules, 2 usage, 3 expectations not met.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Optional

import click

from ..scenario.search import has_magic
from ..paths import display_name
from ..render import RENDERERS
from ..render.json import render as render_json
from ..rules.load import load_ruleset
from ..safetext import terminal
from ..writeout import write_atomic
from .common import ExitCode, Group, Settings, emit, fail, parse_sets, row_option, ruleset_option, set_option
from .assurance import rules  # the rules group with check, coverage and diff added
from .batch import batch, sweep
from .compare import compare
from .exercise import exercise
from .explain import explain

def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        from .versions import version_text
        click.echo(version_text())
        ctx.exit()


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the versions of scaleup, the shipped rule sets and durable_rules, and exit.")
@click.option("-v", "--verbose", count=True, help="More log detail on stderr (-vv: every rule firing).")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
@click.pass_context
def main(ctx: click.Context, verbose: int, debug: bool) -> None:
    """Evaluate humanitarian crises against the IASC System-Wide Scale-Up protocol.

    \b
    Example:
      scaleup evaluate scenarios/cyclone-coastal.yaml
    """
    ctx.obj = Settings(debug=debug, verbose=verbose)
    if verbose:
        logging.basicConfig(level=logging.DEBUG if verbose > 1 else logging.INFO, stream=sys.stderr,
                            format="%(name)s: %(message)s")


@main.command()
@click.argument("scenarios", nargs=-1, required=True)
@ruleset_option
@click.option("-f", "--format", "fmt", type=click.Choice(sorted(RENDERERS)), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout.")
@set_option
@click.option("--check", is_flag=True, help="Compare each scenario's expect: block; exit 3 on a mismatch.")
@click.option("--samples", type=click.IntRange(min=1), default=None,
              help="For a scenario with ranges: evaluate this many draws and report probabilities (docs/uncertainty.md).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the draws (same seed, same output).")
@click.option("--exact", is_flag=True, help="For one or two ranges: exact probabilities from the band edges, no draws.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes for --samples [default: all cores].")
@row_option
@click.pass_context
def evaluate(ctx: click.Context, scenarios: tuple[str, ...], ruleset: str, fmt: str, output: Optional[Path],
             sets: tuple[str, ...], check: bool, samples: Optional[int], seed: int, exact: bool,
             jobs: Optional[int], row: Optional[int]) -> None:
    """Evaluate scenario files and print the recommendation for each.

    SCENARIOS are files, folders or glob patterns. A *.jsonl, *.csv or *.xlsx file holds one
    scenario per line or row; every one is evaluated (or only --row N). Invalid scenarios are
    reported on stderr with their line, row or cell; the others are still evaluated (exit code 1
    if any was invalid).

    \b
    Examples:
      scaleup evaluate scenarios/cyclone-coastal.yaml
      scaleup evaluate scenarios/ -f json -o results.json
      scaleup evaluate crises.xlsx --row 7
      scaleup evaluate scenarios/cyclone-coastal.yaml --set recommend_gap_level=5
      scaleup evaluate scenarios/uncertain/conflict-idp-uncertain-capacity.yaml --samples 2000 --seed 1
    """
    if samples is not None or exact:
        _evaluate_uncertain(ctx, scenarios, ruleset, fmt, output, sets, samples or 0, seed, exact, jobs)
        return
    from ..batch.evaluate import NoFileOfRows, evaluate_paths
    rules = load_ruleset(ruleset, parse_sets(sets))
    try:
        run = evaluate_paths(scenarios, rules, output=output, row=row, check=check)
    except NoFileOfRows as exc:
        raise click.UsageError(str(exc)) from None
    for message in run.messages:
        click.echo(terminal(str(message)), err=True)
    recs, many, failed = run.recommendations, run.many, run.failed
    text = render_json(recs, many=many) if fmt == "json" else RENDERERS[fmt](recs)
    if output:
        write_atomic(output, text)   # even empty: yesterday's report must not look like today's
    elif recs or (fmt == "json" and many):
        click.echo(text, nl=False)
    if not recs and (output or not failed):   # (with failures, their messages said it)
        click.echo("error: no scenario was evaluated" + (f"; {display_name(output)} now holds an empty report"
                                                          if output else ""), err=True)
    if failed or not recs:
        fail(ctx)
    if run.mismatched:
        fail(ctx, ExitCode.EXPECT)


def _evaluate_uncertain(ctx: click.Context, scenarios: tuple[str, ...], ruleset: str, fmt: str,
                        output: Optional[Path], sets: tuple[str, ...], samples: int, seed: int, exact: bool,
                        jobs: Optional[int]) -> None:
    """``evaluate --samples/--exact``: one scenario with ranges (:func:`scaleup.uncertainty.sampling.run_uncertain`)."""
    from .batch import default_jobs
    from ..uncertainty.report import RENDER
    from ..uncertainty.sampling import run_uncertain
    if len(scenarios) != 1 or Path(scenarios[0]).is_dir() or has_magic(scenarios[0]):
        raise click.UsageError("--samples and --exact take one scenario file")
    if fmt not in RENDER:
        raise click.UsageError(f"--samples and --exact write {', '.join(sorted(RENDER))}, not {fmt}")
    from .progress import StopFlag
    rules = load_ruleset(ruleset, parse_sets(sets))
    with StopFlag() as stop:
        result = run_uncertain(scenarios[0], rules, samples=samples, seed=seed, exact=exact,
                               workers=jobs or default_jobs(), should_stop=stop)
    if result.interrupted:
        click.echo("interrupted: nothing written (probabilities of part of the draws would mislead)", err=True)
        ctx.exit(stop.exit_code)
    text = RENDER[fmt](result)
    emit(text, output)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.pass_context
def validate(ctx: click.Context, paths: tuple[str, ...]) -> None:
    """Check scenario files and rule set folders; list every problem with its line.

    \b
    Examples:
      scaleup validate scenarios/
      scaleup validate rulesets/iasc-2018
    """
    from .validate import validate_paths
    result = validate_paths(paths)
    for line in result.ok:
        click.echo(terminal(f"ok: {line}"))
    for line in result.skipped:
        click.echo(terminal(f"skipped: {line}"), err=True)
    for problem in result.problems:
        click.echo(f"error: {problem}", err=True)
    if result.problems:
        click.echo(f"{result.failed} of {result.checked} files invalid", err=True)
        fail(ctx)


@main.command()
@click.argument("what", type=click.Choice(["scenario", "recommendation", "exercise"]))
def schema(what: str) -> None:
    """Print the JSON Schema of scenario files or of the recommendation output.

    \b
    Example:
      scaleup schema recommendation > recommendation.schema.json
    """
    from ..schemas import json_schema
    click.echo(json.dumps(json_schema(what), indent=2))


@main.group()
def scenario() -> None:
    """Scenario files."""


@scenario.command()
@click.option("-f", "--format", "fmt", type=click.Choice(["yaml", "csv", "xlsx"]), default="yaml", show_default=True,
              help="yaml: a commented starter scenario; csv/xlsx: an empty sheet, one scenario per row.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout.")
@click.pass_context
def template(ctx: click.Context, fmt: str, output: Optional[Path]) -> None:
    """Print a commented starter scenario, or write an empty scenario spreadsheet.

    The CSV and XLSX sheets have a header of dotted field names and a row (skipped when read)
    giving each column's unit or allowed values; the XLSX sheet also has a drop-down list on
    every choice column and a comment on every header. See docs/spreadsheets.md.

    \b
    Examples:
      scaleup scenario template > scenarios/my-crisis.yaml
      scaleup scenario template -f xlsx -o crises.xlsx
      scaleup scenario template -f csv -o crises.csv
    """
    if fmt == "xlsx":
        from ..scenario.sheet_template import write_template_xlsx
        if output is None:
            if sys.stdout.isatty():
                raise click.UsageError("-f xlsx writes a binary workbook: give -o FILE.xlsx")
            write_template_xlsx(sys.stdout.buffer)
        else:
            write_template_xlsx(output)
        return
    if fmt == "csv":
        from ..scenario.sheet_template import template_csv
        text = template_csv()
    else:
        from ..schemas import scenario_template
        text = scenario_template()
    if output:
        write_atomic(output, text)
    else:
        click.echo(text, nl=False)


@scenario.command()
def examples() -> None:
    """List the example scenarios and exercises shipped with scaleup, by name.

    Any command that takes a scenario or exercise file also takes one of these names.

    \b
    Examples:
      scaleup evaluate cyclone-coastal
      scaleup exercise play cyclone-idp-surge
    """
    from ..scenario.shipped import examples as shipped, shipped_scenarios_dir
    click.echo(f"# in {display_name(shipped_scenarios_dir())}")
    order = {"scenario": 0, "exercise": 1, "history": 2}
    for example in sorted(shipped(), key=lambda e: (order[e.kind], e.name)):
        click.echo(f"{example.kind:<9} {example.short}")


# the commands that live in modules of their own (their subcommands are documented with their feature)
COMMANDS: tuple[click.Command, ...] = (batch, sweep, explain, compare, exercise, rules)
for command in COMMANDS:
    main.add_command(command)

if __name__ == "__main__":  # pragma: no cover
    main()
