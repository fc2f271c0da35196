"""The facilitator's debrief: what a group answered, what the engine answers, and why.

Per question: the distribution of answers, the engine's answer with its derivation (rules,
titles, citations), and why not the most common wrong answer. Across questions: each
participant's score and the criteria the group misjudged most, counting wrong answers to
criterion-level questions and wrong Scale-Up decisions attributed to the criteria the decision
rules turned on (those the why-not of the wrong answer names, else those the engine's
derivation rests on). Rendered as Markdown or as one self-contained, printable HTML page.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Optional

from ..errors import Problem
from .load import Asked, Choice, LoadedExercise
from .explain import Cited, Explanation, sources
from .keys import explain_key, explain_wrong
from .score import Sheet
from ..vocabulary import CRITERIA
from ..render.markdown import code, esc


@dataclass(frozen=True)
class Tally:
    choice: Choice
    count: int
    share: float
    key: bool


@dataclass(frozen=True)
class QuestionReport:
    asked: Asked
    day: int
    inject_title: str
    tallies: tuple[Tally, ...]
    answered: int
    correct: int
    why: Optional[Explanation]
    wrong: Optional[Tally]
    why_not: Optional[Explanation]
    reflections: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Misjudged:
    criterion: str
    level_questions: int
    decisions: int

    @property
    def total(self) -> int:
        return self.level_questions + self.decisions


@dataclass
class Debrief:
    ex: LoadedExercise
    sheets: list[Sheet]
    questions: list[QuestionReport] = field(default_factory=list)
    misjudged: list[Misjudged] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    references: list[tuple[str, str, Optional[str]]] = field(default_factory=list)

    @property
    def rules(self) -> list[Cited]:
        seen: dict[str, Cited] = {}
        for q in self.questions:
            for e in (q.why, q.why_not):
                for c in e.rules if e else []:
                    seen.setdefault(c.rule, c)
        return list(seen.values())


def build(ex: LoadedExercise, sheets: list[Sheet]) -> Debrief:
    """The debrief of valid, scored sheets (invalid ones are reported by the caller)."""
    report = Debrief(ex, sheets, warnings=[w for s in sheets for w in s.warnings])
    wrong_expl = functools.lru_cache(maxsize=None)(
        lambda qid, answer: explain_wrong(ex.question(qid).question, answer, str(ex.question(qid).key),
                                          ex.step_of(ex.question(qid)), ex.ruleset))
    levels: Counter[str] = Counter()
    decisions: Counter[str] = Counter()
    for asked in ex.questions:
        step = ex.step_of(asked)
        if not asked.scored:
            notes = tuple((s.participant, s.reflections[asked.id]) for s in sheets if s.reflections.get(asked.id))
            report.questions.append(QuestionReport(asked, step.inject.day, step.inject.title or "", (), len(notes),
                                                   0, None, None, None, notes))
            continue
        given = [s.answers[asked.id] for s in sheets if asked.id in s.answers]
        counts = Counter(given)
        n = len(given)
        tallies = tuple(Tally(c, counts[c.value], counts[c.value] / n if n else 0.0, c.value == asked.key)
                        for c in asked.options)
        wrong = max((t for t in tallies if not t.key and t.count), key=lambda t: t.count, default=None)
        key = str(asked.key)
        why = explain_key(asked.question, key, step)
        report.questions.append(QuestionReport(
            asked, step.inject.day, step.inject.title or "", tallies, n, counts[key], why, wrong,
            wrong_expl(asked.id, wrong.choice.value) if wrong else None))
        for answer in given:
            if answer == key:
                continue
            if asked.question.kind == "criterion":
                levels[str(asked.question.criterion)] += 1
            elif asked.question.kind == "scale_up":
                for name in wrong_expl(asked.id, answer).criteria or why.criteria:
                    decisions[name] += 1
    report.misjudged = sorted((Misjudged(c, levels[c], decisions[c]) for c in CRITERIA if levels[c] or decisions[c]),
                              key=lambda m: (-m.total, m.criterion))
    report.references = sources(ex.ruleset, report.rules)
    return report


# --- rendering ---------------------------------------------------------------------------------

def _md_lines(e: Explanation) -> list[str]:
    return [f"{'  ' * line.depth}- {esc(line.text)}" + (f" *({esc(line.cited.citation)})*" if line.cited else "")
            for line in e.lines]


def render_markdown(d: Debrief) -> str:
    """The debrief as Markdown. Every text from the exercise, the sheets (names, reflections) and
    the rule set goes through :func:`scaleup.render.markdown.esc`."""
    ex = d.ex.exercise
    out = [f"# Debrief: {esc(ex.title)}", "",
           f"Exercise {code(ex.id)} ({esc(d.ex.name)}, sha256 `{d.ex.sha256[:12]}`), rule set "
           f"{esc(d.ex.ruleset.id)} {esc(d.ex.ruleset.version)}; {len(d.sheets)} answer sheets. Every answer below "
           "is computed by the rule engine from the scenario as it stood at that inject.", ""]
    out += [f"> warning: {esc(str(w))}" for w in d.warnings]
    out += ["## Participants", "", "| participant | score |", "|---|---|"]
    out += [f"| {esc(s.participant)} | {s.score}/{s.total} |" for s in sorted(d.sheets, key=lambda s: (-s.score, s.participant))]
    out += ["", "## Criteria misjudged most", ""]
    if d.misjudged:
        out += ["| criterion | wrong level answers | wrong decisions turning on it | total |", "|---|---|---|---|"]
        out += [f"| {m.criterion} | {m.level_questions} | {m.decisions} | {m.total} |" for m in d.misjudged]
    else:
        out.append("No criterion was misjudged.")
    for q in d.questions:
        a = q.asked
        out += ["", f"## Q{a.number} ({esc(a.id)}), day {q.day}" + (f": {esc(q.inject_title)}" if q.inject_title else ""), "",
                f"**{esc(a.prompt)}**", ""]
        if not a.scored:
            out += [f"- *{esc(who)}*: {esc(text)}" for who, text in q.reflections] or ["No reflections were recorded."]
            continue
        out += ["| answer | participants | |", "|---|---|---|"]
        out += [f"| {esc(t.choice.label)} ({code(t.choice.value)}) | {t.count} ({t.share:.0%}) | {'engine' if t.key else ''} |"
                for t in q.tallies]
        out += ["", f"Engine's answer: **{esc(a.label(str(a.key)))}**; {q.correct} of {q.answered} answered it.", "", "Why:", ""]
        out += _md_lines(q.why) if q.why else []
        if q.wrong and q.why_not:
            out += ["", f"Why not **{esc(q.wrong.choice.label)}** (the most common other answer, {q.wrong.count}):", ""]
            out += _md_lines(q.why_not)
        if a.question.debrief:
            out += ["", f"Facilitator's note: {esc(a.question.debrief)}"]
    out += ["", "## Sources", ""]
    out += [f"- **{esc(sid)}**: {esc(ref)}" + (f" <{esc(url)}>" if url else "") for sid, ref, url in d.references]
    out += ["", "This debrief explains recommendations to the ERC, not decisions; criterion levels are not a "
                "severity ranking. Numbers marked basis project are this tool's assumptions."]
    return "\n".join(out) + "\n"


def render_html(d: Debrief) -> str:
    from jinja2 import Environment, select_autoescape
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(files("scaleup.render").joinpath("templates/debrief.html.j2").read_text(encoding="utf-8"))
    return template.render(d=d, ex=d.ex.exercise, criteria=CRITERIA)


FORMATS = {"markdown": render_markdown, "html": render_html}
