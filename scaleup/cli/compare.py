"""``scaleup compare``: crises side by side in one table, differences marked."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from .common import ExitCode, emit, fail, parse_sets, report, ruleset_option, set_option

COMPARE_FORMATS = ("text", "html")


@click.command()
@click.argument("scenarios", nargs=-1, required=True)
@ruleset_option
@click.option("-f", "--format", "fmt", type=click.Choice(COMPARE_FORMATS), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout.")
@click.option("--sort", type=click.Choice(["levels"]), default=None,
              help="Order the crises by the five criterion levels, highest first (printed with the caveat "
                   "that a Scale-Up is not a severity ranking).")
@set_option
@click.pass_context
def compare(ctx: click.Context, scenarios: tuple[str, ...], ruleset: str, fmt: str, output: Optional[Path],
            sort: Optional[str], sets: tuple[str, ...]) -> None:
    """Compare crises side by side: decision, route, the five criterion levels with the
    indicators behind them, leads and flags, one column per scenario, differences marked.

    SCENARIOS are files, folders or glob patterns. A scenario that cannot be evaluated keeps its
    column, which shows the error (exit code 1, as for evaluate). In HTML each cell opens to the
    rule, its source and the indicators behind it.

    \b
    Examples:
      scaleup compare scenarios/cyclone-coastal.yaml scenarios/conflict-idp-escalation.yaml
      scaleup compare 'scenarios/cyclone-*.yaml' --sort levels -f html -o cyclones.html
    """
    from ..compare import compare as build, to_html, to_text
    from ..paths import display_name
    from ..rules.load import load_ruleset
    from ..safetext import terminal
    from ..scenario.inputs import Skipped, find_inputs, read_scenarios
    rules = load_ruleset(ruleset, parse_sets(sets))
    found = find_inputs(scenarios, output=output)
    for problem in found.problems:
        click.echo(f"error: {problem}", err=True)
    items = []
    for path, item in read_scenarios(found.files):
        if isinstance(item, Skipped):
            click.echo(terminal(f"skipped: {display_name(path)} (kind {item.kind!r} is not a scenario)"), err=True)
        else:
            items.append((display_name(path), item))
            ranges = getattr(item, "ranges", ())
            if ranges:
                click.echo(terminal(f"note: {display_name(path)}: {len(ranges)} uncertain figure"
                                    f"{'s' if len(ranges) != 1 else ''} compared at their point estimates; "
                                    "scaleup evaluate --samples N gives the probability of each decision "
                                    "(docs/uncertainty.md)"), err=True)
    if not items:
        fail(ctx)
    comp = build(items, rules, sort=sort)
    for column in comp.columns:
        if column.error is not None:
            report(column.error)
    text = to_html(comp) if fmt == "html" else to_text(comp)
    emit(text, output)
    if found.problems or comp.failed:
        fail(ctx, ExitCode.INVALID)
