"""A command argument that takes a file or the name of a shipped example (:mod:`scaleup.scenario.shipped`)."""

from __future__ import annotations

from typing import Any, Optional

import click

from ..scenario.shipped import close_names, resolve


class FileOrExample(click.Path):
    """An existing file, or a shipped example's name (``cyclone-idp-surge``) when nothing exists
    at that path; otherwise click's usage error, with the closest shipped names."""

    def __init__(self) -> None:
        super().__init__(exists=True, dir_okay=False)

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> Any:
        try:
            return super().convert(resolve(value) if isinstance(value, str) else value, param, ctx)
        except click.BadParameter as exc:
            close = close_names(value) if isinstance(value, str) else []
            if close:
                exc.message += f" Did you mean the shipped example {close[0]!r}? (scaleup scenario examples lists them)"  # type: ignore[misc]  # click's stubs mark message Final; it is the text click prints
            raise
