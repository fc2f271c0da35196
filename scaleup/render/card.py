"""The HTML summary card of one recommendation, as a notebook shows it (``Recommendation._repr_html_``).

The card is the summary of the HTML report (decision, route, leads, the five criteria and their
chart) as a self-contained fragment: no script, nothing fetched, every scenario string escaped,
and the report's stylesheet scoped to the card.
"""

from __future__ import annotations

from ..recommendation.model import Recommendation
from ..explain.shown import shown
from .html import _item, environment


def card(rec: Recommendation) -> str:
    """The card of one recommendation (an HTML fragment)."""
    return environment().get_template("card.html.j2").render(item=_item(shown(rec, tree=False)))
