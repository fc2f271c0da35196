"""Command groups kept out of ``cli.py``, one module each; :data:`COMMANDS` registers them."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []

from .batch import batch, sweep  # noqa: E402

COMMANDS += [batch, sweep]

from .explain import explain  # noqa: E402

COMMANDS += [explain]

from .exercise import exercise  # noqa: E402

COMMANDS += [exercise]

from .rules import rules  # noqa: E402

COMMANDS += [rules]

from . import assurance  # noqa: E402,F401  (adds check, coverage and diff to the rules group)
