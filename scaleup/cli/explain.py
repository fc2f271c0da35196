"""``scaleup explain``: why a scenario's recommendation is what it is, and why not the others."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import click

from .common import emit, fail, parse_sets, report, row_option, ruleset_option, set_option
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
@row_option
@click.pass_context
def explain(ctx: click.Context, scenario: str, ruleset: str, depth: Optional[int], fmt: str, output: Optional[Path],
            targets: tuple[str, ...], flips: bool, flip_budget: int, flip_seconds: Optional[float],
            sets: tuple[str, ...], row: Optional[int]) -> None:
    """Explain the recommendation for SCENARIO: the derivation tree down to scenario lines, why
    each other decision is not the answer, and (with --flips) what would change it.

    A *.jsonl, *.csv or *.xlsx SCENARIO holds one scenario per line or row: each is explained
    (text, markdown; JSON gives an array), or only --row N (an HTML report explains one).

    \b
    Examples:
      scaleup explain scenarios/cyclone-coastal.yaml --depth 3
      scaleup explain scenarios/cyclone-coastal.yaml --why-not consider --why-not refugee_rcm
      scaleup explain scenarios/cyclone-coastal.yaml --flips -f html -o cyclone.html
      scaleup explain crises.csv --row 4
    """

    from ..batch.scenario_files import holds_rows, read_all
    from ..errors import ScaleupError
    from ..explain.derivation import explain as build, to_text
    from ..rules.load import load_ruleset
    from ..scenario.load import LoadedScenario, load_scenario
    from ..explain.whynot import parse_target
    rules = load_ruleset(ruleset, parse_sets(sets))
    for target in targets:
        try:
            parse_target(rules, target)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--why-not") from exc
    if not holds_rows(scenario):
        if row is not None:
            raise click.UsageError("--row picks a line of a .jsonl file or a row of a .csv or .xlsx file")
        loaded = [load_scenario(scenario)]
        failed = False
    else:
        items = list(read_all([Path(scenario)], row))
        loaded = [item for _, item in items if isinstance(item, LoadedScenario)]
        failed = len(loaded) < len(items)
        for _, item in items:
            if isinstance(item, ScaleupError):
                report(item)
        if fmt == "html" and len(loaded) > 1:
            raise click.UsageError(f"an HTML report explains one scenario and {scenario} holds {len(loaded)}: "
                                   "give --row N")
    exps = [build(one, rules, depth=depth, targets=targets, flips=flips,
                  flip_budget=flip_budget, flip_seconds=flip_seconds) for one in loaded]
    many = holds_rows(scenario) and row is None
    if fmt == "json":
        data = [e.to_dict() for e in exps] if many else exps[0].to_dict() if exps else None
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n" if exps or many else ""
    elif fmt == "markdown":
        from ..render.markdown import render_explanation
        text = "\n".join(render_explanation(e) for e in exps)
    elif fmt == "html":
        from ..render.html import render_explanation as render_html
        text = "".join(render_html(e) for e in exps)
    else:
        text = "\n".join(to_text(e) for e in exps)
    if text or output:
        emit(text, output)
    if failed or not exps:
        fail(ctx)
