"""``scaleup rules``: the rule set as a reader sees it (``list``, ``show``).

The group object :data:`rules` is importable so that other modules can add subcommands to it
(``from scaleup.cli.rules import rules`` then ``@rules.command()``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from .common import emit

from ..rules.load import DEFAULT_RULESET


@click.group()
def rules() -> None:
    """Inspect a rule set: its rules, sources, parameters and scoring bands.

    \b
    Examples:
      scaleup rules list
      scaleup rules show iasc-2018 -f markdown > docs/rulebase.md
    """


@rules.command("list")
@click.argument("ruleset", required=False, default=DEFAULT_RULESET)
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def list_rules(ctx: click.Context, ruleset: str, fmt: str) -> None:
    """List every rule of RULESET (default iasc-2018): id, basis, source, title, and counts by basis.

    RULESET is a shipped rule set name or a rule set folder.

    \b
    Examples:
      scaleup rules list
      scaleup rules list rulesets/iasc-2018 -f json
    """
    from ..rules.catalogue import LIST_RENDERERS
    from ..rules.load import load_ruleset

    click.echo(LIST_RENDERERS[fmt](load_ruleset(ruleset)), nl=False)


@rules.command("show")
@click.argument("ruleset")
@click.option("-f", "--format", "fmt", type=click.Choice(["markdown", "json", "text"]), default="text",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of stdout.")
@click.pass_context
def show(ctx: click.Context, ruleset: str, fmt: str, output: Optional[Path]) -> None:
    """Show RULESET in full: caveats, sources, parameters, scoring bands and rules.

    The markdown form is docs/rulebase.md.

    \b
    Examples:
      scaleup rules show iasc-2018
      scaleup rules show iasc-2018 -f markdown -o docs/rulebase.md
    """
    from ..render.rulebase import SHOW_RENDERERS
    from ..rules.load import load_ruleset

    text = SHOW_RENDERERS[fmt](load_ruleset(ruleset))
    emit(text, output)


