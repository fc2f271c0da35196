"""Command groups kept out of ``cli.py``, one module each; :data:`COMMANDS` registers them."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
