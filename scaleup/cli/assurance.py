"""``scaleup rules check | coverage | diff``: rule-base assurance, added to the ``rules`` group.

Each command parses its options, calls one function of :mod:`scaleup.assurance` and prints its
report (data to stdout, problems with scenario files to stderr).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from ..safetext import terminal
from .rules import rules
from .common import emit, fail, parse_sets

FORMATS = click.Choice(["text", "json"])


output_option = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                              help="Write to this file instead of stdout.")
set_option = click.option("--set", "sets", multiple=True, metavar="NAME=VALUE",
                          help="Override a parameter or a band edge first (e.g. scale/populations.iasc_caseload.edges[1]=300000).")


@rules.command("check")
@click.argument("ruleset")
@click.option("-f", "--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.option("--sample", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Combinations cross-checked on durable_rules (0: no cross-check).")
@click.option("--seed", type=int, default=2018, show_default=True, help="Seed of the cross-check sample.")
@set_option
@output_option
@click.pass_context
def check(ctx: click.Context, ruleset: str, fmt: str, sample: int, seed: int, sets: tuple[str, ...],
          output: Optional[Path]) -> None:
    """Check RULESET: loader checks, bands, unreachable rules, sources, parameters, contradictions
    between rules, every criterion combination in every situation class (one decision, one route,
    one scope), and the consistency invariants INV01-INV05 on the same combinations (exit 1 on
    errors).

    RULESET is a shipped rule set name or a rule set folder.

    \b
    Examples:
      scaleup rules check iasc-2018
      scaleup rules check rulesets/examples/stricter-gap -f json
      scaleup rules check iasc-2018 --set recommend_gap_level=5
    """
    from ..assurance.check import check_ruleset
    from ..assurance.report import CHECK

    report = check_ruleset(ruleset, sample=sample, seed=seed, overrides=parse_sets(sets))
    emit(CHECK[fmt](report), output)
    if not report.ok:
        fail(ctx)


@rules.command("coverage")
@click.argument("ruleset")
@click.argument("paths", nargs=-1, required=True)
@click.option("-f", "--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.option("--fail-under", type=click.FloatRange(0, 100), default=None,
              help="Exit 1 when fewer than this percentage of the rules fired.")
@set_option
@output_option
@click.pass_context
def coverage(ctx: click.Context, ruleset: str, paths: tuple[str, ...], fmt: str, fail_under: Optional[float],
             sets: tuple[str, ...], output: Optional[Path]) -> None:
    """Which rules and bands of RULESET the scenarios under PATHS fire, which never do, and
    whether each condition was seen both true and false.

    \b
    Examples:
      scaleup rules coverage iasc-2018 scenarios/
      scaleup rules coverage iasc-2018 scenarios/ -f json --fail-under 100
    """
    from ..assurance.coverage import coverage as run
    from ..assurance.report import COVERAGE
    from ..rules.load import load_ruleset

    result = run(load_ruleset(ruleset, parse_sets(sets)), paths)
    emit(COVERAGE[fmt](result), output)
    for problem in result.problems:
        click.echo(f"error: {problem}", err=True)
    for item in result.skipped:
        click.echo(terminal(f"skipped: {item}"), err=True)
    if result.problems:
        fail(ctx)
    if fail_under is not None and float(result.summary()["rules_percent"]) < fail_under:  # type: ignore[arg-type]  # summary() values are typed object; rules_percent is a number
        click.echo(f"error: {result.summary()['rules_percent']}% of the rules fired, under {fail_under}%", err=True)
        fail(ctx)


@rules.command("diff")
@click.argument("old")
@click.argument("new")
@click.argument("paths", nargs=-1)
@click.option("-s", "--scenarios", "scenarios", multiple=True, metavar="PATH",
              help="Scenario files, folders or globs to compare the outcomes on (repeatable).")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE",
              help="Override a parameter or a band edge of NEW (e.g. scale/populations.iasc_caseload.edges[1]=300000).")
@click.option("-f", "--format", "fmt", type=FORMATS, default="text", show_default=True)
@output_option
@click.pass_context
def diff(ctx: click.Context, old: str, new: str, paths: tuple[str, ...], scenarios: tuple[str, ...],
         sets: tuple[str, ...], fmt: str, output: Optional[Path]) -> None:
    """What changed from rule set OLD to NEW, and which scenarios' recommendations it changes
    (every output field: decision, route, leads, criteria, clusters, UNHCR level, plans...), each
    with the rule to blame.

    \b
    Examples:
      scaleup rules diff iasc-2018 rulesets/examples/stricter-gap --scenarios scenarios/
      scaleup rules diff iasc-2018 iasc-2018 --set 'scale/populations.iasc_caseload.edges[1]=300000' -s scenarios/
    """
    from ..assurance.diff import diff_rulesets
    from ..assurance.report import DIFF
    from ..rules.load import load_ruleset

    result = diff_rulesets(load_ruleset(old), load_ruleset(new, parse_sets(sets)), list(scenarios) + list(paths))
    emit(DIFF[fmt](result), output)
    for problem in result.problems:
        click.echo(f"error: {problem}", err=True)
    if result.problems:
        fail(ctx)
