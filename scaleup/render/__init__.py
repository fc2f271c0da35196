"""Renderers: one module per output format, each ``render(recommendations) -> str``.

:data:`RENDERERS` is the table the CLI's ``-f/--format`` option is built from.
"""

from __future__ import annotations

from typing import Callable, Sequence

from ..recommendation.model import Recommendation
from . import json as json_format
from . import text as text_format

Renderer = Callable[[Sequence[Recommendation]], str]


def _markdown(recs: Sequence[Recommendation]) -> str:
    from . import markdown   # imported on use: keeps the CLI quick to start
    return markdown.render(recs)


def _html(recs: Sequence[Recommendation]) -> str:
    from . import html   # imported on use (Jinja2)
    return html.render(recs)


RENDERERS: dict[str, Renderer] = {
    "text": text_format.render,
    "json": json_format.render,
    "markdown": _markdown,
    "html": _html,
}
