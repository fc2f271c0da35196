"""``scaleup explain``: why a scenario's recommendation is what it is, and why not the others."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import click

from .common import emit, parse_sets, ruleset_option, set_option
from .names import FileOrExample

EXPLAIN_FORMATS = ("text", "json", "markdown", "html")


@click.command()
@click.argument("scenario", type=FileOrExample())
@ruleset_option
@click.option("--depth", type=click.IntRange(min=0), default=None,
              help="Levels of rules to show in the derivation tree (default: all).")
@click.option("-f", "--format", "fmt", type=click.Choice(EXPLAIN_FORMATS), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout.")
@click.option("--why-not", "targets", multiple=True, metavar="TARGET",
              help="A decision (recommend, consider...), a route, cluster:<name>=<lead>, lead:<role>=<actor> "
                   "or a rule id. Repeatable. Default: every other decision.")
@click.option("--flips", is_flag=True, help="Search for the smallest indicator changes that flip the decision or route.")
@click.option("--flip-budget", type=click.IntRange(min=1), default=2000, show_default=True,
              help="At most this many evaluations in the flip search.")
@click.option("--flip-seconds", type=click.FloatRange(min=0.1), default=None,
              help="Also stop the flip search after this many seconds (output then depends on the machine).")
@set_option
@click.pass_context
def explain(ctx: click.Context, scenario: str, ruleset: str, depth: Optional[int], fmt: str, output: Optional[Path],
            targets: tuple[str, ...], flips: bool, flip_budget: int, flip_seconds: Optional[float],
            sets: tuple[str, ...]) -> None:
    """Explain the recommendation for SCENARIO: the derivation tree down to scenario lines, why
    each other decision is not the answer, and (with --flips) what would change it.

    \b
    Examples:
      scaleup explain scenarios/cyclone-coastal.yaml --depth 3
      scaleup explain scenarios/cyclone-coastal.yaml --why-not consider --why-not refugee_rcm
      scaleup explain scenarios/cyclone-coastal.yaml --flips -f html -o cyclone.html
    """

    from ..explain.derivation import explain as build, to_text
    from ..rules.load import load_ruleset
    from ..scenario.load import load_scenario
    from ..explain.whynot import parse_target
    rules = load_ruleset(ruleset, parse_sets(sets))
    for target in targets:
        try:
            parse_target(rules, target)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--why-not") from exc
    loaded = load_scenario(scenario)
    exp = build(loaded, rules, depth=depth, targets=targets, flips=flips,
                flip_budget=flip_budget, flip_seconds=flip_seconds)
    if fmt == "json":
        text = json.dumps(exp.to_dict(), indent=2, ensure_ascii=False) + "\n"
    elif fmt == "markdown":
        from ..render.markdown import render_explanation
        text = render_explanation(exp)
    elif fmt == "html":
        from ..render.html import render_explanation as render_html
        text = render_html(exp)
    else:
        text = to_text(exp)
    emit(text, output)
