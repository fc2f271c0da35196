"""``scaleup exercise play``: one participant plays an exercise in a terminal.

The session reads lines from an input stream and writes to an output stream, so that tests can
drive it with strings and the command line with the terminal. It shows each inject (day,
narrative, the figures that changed), asks each question with numbered options, re-asks on
invalid input, goes back with ``b`` and saves and quits with ``q`` (end of input counts as ``q``).
After every answer the sheet is written atomically, so an interrupted session loses nothing and
can be resumed by playing again with the same ``--sheet`` or name (a sheet records its participant's
exact name and is never written for another participant). At the end it shows the score and, per
question, the engine's answer explained by the rules, and why not the participant's answer.
Timestamps (ISO 8601, UTC) are the one place wall-clock time enters scaleup.

Longer than 300 lines because the terminal dialogue is one loop whose prompts, answers and saved
sheet share state.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, TextIO

import click

from ..errors import Problem, ScaleupError
from .load import Asked, LoadedExercise
from ..display import fmt
from .explain import Explanation
from .keys import explain_key, explain_wrong
from .score import read_sheet, sheet_text
from ..safetext import terminal, terminal_lines
from ..writeout import write_atomic

WIDTH = 78
_OPTION_NUMBER = re.compile(r"[0-9]{1,6}", re.ASCII)
HIDDEN = {"id", "title", "description", "kind", "expect"}


def utc_now() -> str:
    """The current time, ISO 8601 in UTC to the second."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Outcome:
    """How a session ended: ``finished`` or ``quit``, the score so far and where the sheet is."""

    status: str
    score: int
    total: int
    sheet: Path


def slug(participant: str) -> str:
    """The participant's name as it appears in a default sheet's file name."""
    return "".join(c if c.isalnum() else "-" for c in participant.lower()).strip("-") or "participant"


def default_sheet(ex: LoadedExercise, participant: str, n: int = 1) -> Path:
    """``answers-EXERCISE-PARTICIPANT.yaml``; ``n`` > 1 adds ``-n`` (another name with the same slug)."""
    return Path(f"answers-{ex.exercise.id}-{slug(participant)}{f'-{n}' if n > 1 else ''}.yaml")


def sheet_owner(path: Path, ex: LoadedExercise) -> Optional[str]:
    """The exact participant name an existing sheet records, or None when it records none."""
    return read_sheet(path, ex, partial=True).participant or None


def figures(data: Any, at: str = "") -> list[str]:
    """``field: value`` lines for the leaves of a (partial) scenario."""
    if isinstance(data, dict):
        return [line for k, v in data.items() if not (not at and k in HIDDEN)
                for line in figures(v, f"{at}.{k}" if at else str(k))]
    if isinstance(data, list):
        return [f"{at}: {fmt(data) if data else 'none'}"]
    return [f"{at}: {'(removed)' if data is None else fmt(data)}"]


def explanation_lines(e: Explanation, indent: int = 4) -> list[str]:
    out = []
    for line in e.lines:
        pad = " " * (indent + 2 * line.depth)
        text = line.text + (f"  ({line.cited.citation})" if line.cited else "")
        out.extend(textwrap.wrap(text, WIDTH, initial_indent=pad, subsequent_indent=pad + "  ",
                                 break_on_hyphens=False, break_long_words=False) or [pad])
    return out


def review_lines(ex: LoadedExercise, asked: Asked, answer: Optional[str]) -> list[str]:
    """The engine's answer to a question, why, and why not the participant's answer."""
    step = ex.step_of(asked)
    key = str(asked.key)
    mark = "not answered" if answer is None else ("correct" if answer == key else "not the engine's answer")
    out = [f"Q{asked.number} ({asked.id}, day {step.inject.day}): {asked.prompt}",
           f"  your answer: {asked.label(answer) if answer else '-'}  [{mark}]",
           f"  engine's answer: {asked.label(key)}", "  why:"]
    out += explanation_lines(explain_key(asked.question, key, step))
    if answer is not None and answer != key:
        out.append(f"  why not {asked.label(answer)}:")
        out += explanation_lines(explain_wrong(asked.question, answer, key, step, ex.ruleset))
    return out


class Session:
    """One participant's run through an exercise."""

    def __init__(self, ex: LoadedExercise, inp: TextIO, out: TextIO, *, sheet: Optional[Path] = None,
                 name: Optional[str] = None, reveal: str = "end", clock: Callable[[], str] = utc_now):
        self.ex, self.inp, self.out, self.reveal, self.clock = ex, inp, out, reveal, clock
        self.sheet, self.name = sheet, (name or "").strip() or None   # a sheet records the name stripped
        self.answers: dict[str, tuple[str, str]] = {}
        self.started = ""
        self.fresh = False

    def say(self, text: str = "") -> None:
        """Print one line; control characters from the exercise or the sheet are escaped."""
        click.echo(terminal(text), file=self.out)

    def say_wrapped(self, text: str) -> None:
        """Print ``text`` wrapped at :data:`WIDTH` (wrapping turns its own newlines into spaces)."""
        click.echo(terminal_lines(textwrap.fill(text, WIDTH)), file=self.out)

    def ask(self, prompt: str) -> Optional[str]:
        click.echo(prompt, file=self.out, nl=False)
        self.out.flush()
        line = self.inp.readline()
        if not line:
            self.say()
            return None
        return line.rstrip("\r\n").strip()

    def save(self, finished: bool = False) -> None:
        assert self.sheet is not None
        write_atomic(self.sheet, sheet_text(self.ex, self.name or "", self.answers, self.started,
                                            self.clock() if finished else None))

    def resume(self) -> None:
        if self.sheet is None or not self.sheet.is_file():
            return
        old = read_sheet(self.sheet, self.ex, partial=True)
        if old.problems:
            raise ScaleupError(old.problems)
        if self.name and old.participant != self.name:
            # a sheet records one participant's exact name; never answer on someone else's
            raise ScaleupError(Problem(str(self.sheet), None, "participant",
                                       f"this sheet holds the answers of {old.participant!r}, not of {self.name!r}",
                                       "give another --sheet, or leave --sheet out to get a sheet of your own"))
        for w in old.warnings:
            self.say(f"warning: {w}")
        self.name = self.name or old.participant
        self.started = old.started or ""
        values = {**old.answers, **old.reflections}
        self.answers = {qid: (v, old.times.get(qid, "")) for qid, v in values.items()}
        self.say(f"Resuming {self.sheet}: {len(self.answers)} answers so far.")

    def intro(self) -> bool:
        e = self.ex.exercise
        self.say(e.title)
        self.say("=" * min(WIDTH, len(e.title)))
        self.say(f"For: {e.audience}")
        if e.description:
            self.say()
            self.say_wrapped(e.description)
        self.say()
        self.say("Answer each question with the number of an option. Type b to go back to the previous")
        self.say("question, q to save and stop (play again with the same --sheet to resume).")
        self.say()
        while not self.name:
            name = self.ask("Your name: ")
            if name is None:
                return False
            self.name = name or None
        return True

    def show_inject(self, index: int) -> None:
        step = self.ex.steps[index]
        inject = step.inject
        self.say()
        self.say(f"--- Day {inject.day}" + (f": {inject.title}" if inject.title else "") + " " + "-" * 20)
        self.say_wrapped(" ".join(inject.narrative.split()))
        # the first inject shows the whole situation, later ones what changed
        rows = figures(step.loaded.document.data if index == 0 else inject.patch)
        if rows:
            self.say("Figures" + (" (updates)" if index else "") + ":")
            for row in rows:
                self.say(f"  {row}")

    def own_sheet(self) -> Path:
        """The default sheet of this participant: the first of ``answers-EX-SLUG.yaml``,
        ``answers-EX-SLUG-2.yaml``... that is free or records exactly this name. A free one is
        claimed at once (created exclusively), so that two participants whose names slug alike
        never share a sheet, even when they start together."""
        name = str(self.name)
        self.started = self.started or self.clock()
        for n in range(1, 1000):
            path = default_sheet(self.ex, name, n)
            if not path.exists():
                try:
                    with open(path, "x", encoding="utf-8") as claim:
                        claim.write(sheet_text(self.ex, name, {}, self.started, None))
                except FileExistsError:
                    pass            # someone claimed it meanwhile: look at whose it is
                else:
                    self.fresh = True
                    return path
            if path.is_file() and sheet_owner(path, self.ex) == name:
                return path
            self.say(f"{path} holds another participant's answers; yours go to {default_sheet(self.ex, name, n + 1)}.")
        raise ScaleupError(Problem(str(default_sheet(self.ex, name)), None, "",
                                   "999 answer sheets of other participants have names like this one",
                                   "give a sheet with --sheet"))

    def run(self) -> Outcome:
        self.resume()                        # an explicit --sheet (its name, if --name is not given)
        if not self.intro():
            return self.stop()
        if self.sheet is None:               # found and resumed before the first answer is written
            self.sheet = self.own_sheet()
            if not self.fresh:
                self.resume()
        self.started = self.started or self.clock()
        questions = self.ex.questions
        idx = next((i for i, q in enumerate(questions) if q.id not in self.answers), len(questions))
        shown: Optional[int] = None
        while idx < len(questions):
            asked = questions[idx]
            if asked.step != shown:
                self.show_inject(asked.step)
                shown = asked.step
            reply = self.question(asked)
            if reply == "q":
                return self.stop()
            if reply == "b":
                if idx == 0:
                    self.say("This is the first question.")
                elif self.reveal == "each" and questions[idx - 1].scored:
                    self.say("The answer to the previous question was revealed, so it cannot be changed.")
                else:
                    idx -= 1
                continue
            self.answers[asked.id] = (reply, self.clock())
            self.save()
            if self.reveal == "each" and asked.scored:
                self.say()
                for line in review_lines(self.ex, asked, reply):
                    self.say(line)
            idx += 1
        self.save(finished=True)
        return self.finish()

    def question(self, asked: Asked) -> str:
        """The reply: an option value, a reflection's text, ``b`` or ``q``."""
        self.say()
        self.say_wrapped(f"Q{asked.number}. {asked.prompt}")
        if not asked.scored:
            reply = self.ask("Your reflection (one line; Enter to skip): ")
            return "q" if reply is None else reply
        for n, choice in enumerate(asked.options, 1):
            self.say(f"  {n}) {choice.label}")
        previous = self.answers.get(asked.id)
        if previous:
            self.say(f"  (your earlier answer: {asked.label(previous[0])})")
        last = len(asked.options)
        while True:
            reply = self.ask(f"Your answer [1-{last}, b, q]: ")
            if reply is None:
                return "q"
            if reply.lower() in ("b", "q"):
                return reply.lower()
            # ASCII digits only: str.isdigit() also accepts '²' (which int() refuses) and reads
            # '١' (Arabic-Indic one) as 1, an option the participant may not have meant
            if _OPTION_NUMBER.fullmatch(reply) and 1 <= int(reply) <= last:
                return asked.options[int(reply) - 1].value
            self.say(f"Please type a number from 1 to {last}, b to go back or q to save and stop.")

    def stop(self) -> Outcome:
        if self.sheet is not None and self.name:
            self.save()
            self.say(f"Saved {len(self.answers)} answers to {self.sheet}. To resume:")
            self.say(f"  scaleup exercise play {self.ex.name} --sheet {self.sheet}")
        return Outcome("quit", *self.score(), self.sheet or Path())

    def score(self) -> tuple[int, int]:
        scored = [q for q in self.ex.questions if q.scored]
        return sum(1 for q in scored if self.answers.get(q.id, ("",))[0] == q.key), len(scored)

    def finish(self) -> Outcome:
        right, total = self.score()
        self.say()
        self.say("=" * WIDTH)
        self.say(f"{self.name}: {right} of {total} answers match the engine ({round(100 * right / max(total, 1))}%).")
        self.say(f"Answers saved to {self.sheet}.")
        self.say()
        for asked in self.ex.questions:
            if not asked.scored:
                continue
            answer = self.answers.get(asked.id, (None,))[0]
            if self.reveal == "each":
                self.say(f"Q{asked.number} ({asked.id}): {'correct' if answer == asked.key else 'engine: ' + asked.label(str(asked.key))}")
                continue
            for line in review_lines(self.ex, asked, answer):
                self.say(line)
            self.say()
        return Outcome("finished", right, total, self.sheet or Path())


def play(ex: LoadedExercise, inp: TextIO, out: TextIO, **options: Any) -> Outcome:
    """Run an interactive session; see :class:`Session` for the options."""
    return Session(ex, inp, out, **options).run()
