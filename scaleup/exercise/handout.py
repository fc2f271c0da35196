"""``scaleup exercise handout``: the paper version of an exercise.

A printable participant booklet (every inject's day, title, narrative and figures, every
question with numbered options) followed by a blank answer sheet with a tick box per option and
lines for reflections. The answer key is never printed. What participants tick is typed into an
answer sheet (``kind: answer_sheet``) as they wrote it: an option's number, value or label, or a
date in a common format (:mod:`scaleup.exercise.match`), and scored with ``exercise score``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from .load import Asked, LoadedExercise
from .play import figures
from .timeline import Step
from ..render.markdown import esc

BOX = "☐"
_WORDS = re.compile(r"[a-z]+(?:_[a-z0-9]+)+")      # an enumerated value such as several_districts


@dataclass(frozen=True)
class Page:
    """One inject as printed: its step, its figures as (field, value) rows, its questions."""

    step: Step
    figures: tuple[tuple[str, str], ...]
    questions: tuple[Asked, ...]
    updates: bool


def figure_rows(data: Any) -> tuple[tuple[str, str], ...]:
    """``figures`` of a (partial) scenario as (field, value) pairs phrased for people
    (``populations.in_need`` reads ``populations · in need``)."""
    rows = (line.split(": ", 1) for line in figures(data))
    return tuple((field.replace("_", " ").replace(".", " · "), value.replace("_", " ") if _WORDS.fullmatch(value) else value)
                 for field, value in rows)


def pages(ex: LoadedExercise) -> list[Page]:
    """Every inject: the whole situation at the first, what changed at later ones."""
    out = []
    for step in ex.steps:
        data = step.loaded.document.data if step.index == 0 else step.inject.patch
        out.append(Page(step, figure_rows(data), tuple(q for q in ex.questions if q.step == step.index), step.index > 0))
    return out


def render_markdown(ex: LoadedExercise) -> str:
    """The booklet and the blank sheet as Markdown (every text escaped)."""
    e = ex.exercise
    out = [f"# {esc(e.title)}", "", f"For: {esc(e.audience)}", ""]
    if e.description:
        out += [esc(" ".join(e.description.split())), ""]
    out += ["Read each inject, then tick one option per question on the answer sheet at the end "
            "(or write the option's number).", ""]
    for page in pages(ex):
        inject = page.step.inject
        out += [f"## Day {inject.day}" + (f": {esc(inject.title)}" if inject.title else ""), "",
                esc(" ".join(inject.narrative.split())), ""]
        if page.figures:
            out += ["**Figures" + (" (updates)" if page.updates else "") + "**", "", "| figure | value |", "|---|---|"]
            out += [f"| {esc(k)} | {esc(v)} |" for k, v in page.figures] + [""]
        for q in page.questions:
            out += [f"**Q{q.number}.** {esc(q.prompt)}", ""]
            if q.scored:
                out += [f"{n}. {esc(c.label)}" for n, c in enumerate(q.options, 1)] + [""]
            else:
                out += ["*(a reflection: write a few lines)*", ""]
    out += ["## Answer sheet", "", f"Exercise: {esc(e.id)}", "", "Name: ______________________________", "",
            "| question | tick one |", "|---|---|"]
    for q in ex.questions:
        cells = "  ".join(f"{BOX} {n}" for n in range(1, len(q.options) + 1)) if q.scored else "_" * 40
        out.append(f"| Q{q.number} ({esc(q.id)}) | {cells} |")
    return "\n".join(out) + "\n"


def render_html(ex: LoadedExercise) -> str:
    """The booklet and the blank sheet as one self-contained printable page (no script)."""
    from jinja2 import Environment, select_autoescape
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(files("scaleup.render").joinpath("templates/handout.html.j2").read_text(encoding="utf-8"))
    return template.render(ex=ex, e=ex.exercise, pages=pages(ex), box=BOX)


FORMATS = {"markdown": render_markdown, "html": render_html}
