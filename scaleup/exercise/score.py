"""Answer sheets: reading, checking and scoring them against an exercise's answer key, and
writing them (for ``scaleup exercise play``).

A sheet is YAML (``kind: answer_sheet``) naming the exercise, the SHA-256 of the exercise
version it was answered against, the participant, and ``answers`` by question id: either a plain
value (``q3: consider``, for sheets typed from paper) or ``{answer: VALUE, at: TIMESTAMP}``.
Values are option values or labels in any case, or what people write on paper (``IFRC`` for
"IFRC (convener)", ``Level 3``, ``19/08/2026``), read by :mod:`scaleup.exercise.match` with a
located warning for every guess.

A sheet for another exercise id, with an unknown question, a list or mapping as an answer, or a
bad timestamp is invalid: every problem is reported, located (``sheet.yaml:12: answers.q3:
...``), and the sheet is not scored. An answer that is not an option, or a scored question left
unanswered, costs that question only: a located warning, and the question counts as not the
engine's answer. A sheet answered
against another version of the same exercise (its ``exercise_sha256`` differs) is scored against
the current version with a warning, because the questions are usually unchanged and a facilitator
must still be able to debrief; the warning says the key may have moved.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from typing import Any, Optional

from ..errors import Problem, ScenarioError
from .load import Asked, LoadedExercise
from .match import read_answer
from .model import canon
from ..rules.compile import did_you_mean
from ..scenario.validation import dotted
from ..scenario.yamlio import Document, load_document


@dataclass(frozen=True)
class Result:
    """One scored answer."""

    asked: Asked
    answer: str
    correct: bool


@dataclass
class Sheet:
    """A checked answer sheet. ``problems`` empty means it is valid and scored."""

    file: str
    participant: str = ""
    answers: dict[str, str] = field(default_factory=dict)
    times: dict[str, str] = field(default_factory=dict)
    reflections: dict[str, str] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)
    results: list[Result] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    started: Optional[str] = None
    finished: Optional[str] = None

    @property
    def score(self) -> int:
        return sum(r.correct for r in self.results)

    @property
    def total(self) -> int:
        return len(self.results)


def parse_time(value: Any) -> Optional[str]:
    """An ISO 8601 timestamp with a time zone, as text; None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return value if parsed.tzinfo is not None else None


def match_option(asked: Asked, value: Any) -> Optional[str]:
    """The option value an answer names, read leniently (see :mod:`scaleup.exercise.match`), or None."""
    return read_answer([(c.value, c.label) for c in asked.options], value).value


def read_sheet(path: str | os.PathLike[str], ex: LoadedExercise, partial: bool = False) -> Sheet:
    """Read and check one sheet against ``ex``; never raises for a bad sheet (see ``problems``).

    Args:
        partial: accept unanswered questions (a sheet being resumed by ``play``).
    """
    try:
        doc = load_document(path, error=ScenarioError, keep_going=True)
    except ScenarioError as exc:
        return Sheet(str(path), problems=list(exc.problems))
    return check_sheet(doc, ex, partial)


def check_sheet(doc: Document, ex: LoadedExercise, partial: bool = False) -> Sheet:
    """Check a parsed sheet and score it when it is valid."""
    sheet = Sheet(doc.name, problems=list(doc.recoverable))
    data = doc.data

    def bad(path: tuple[Any, ...], message: str, hint: str = "") -> None:
        sheet.problems.append(Problem(doc.name, doc.line(path), dotted(path), message, hint))

    if not isinstance(data, dict) or data.get("kind") != "answer_sheet":
        bad(("kind",), "this is not an answer sheet", "answer sheets start with 'kind: answer_sheet'")
        return sheet
    known = {"kind", "exercise", "exercise_sha256", "participant", "ruleset", "started", "finished", "answers"}
    for key in data:
        if key not in known:
            bad((key,), "unknown field", did_you_mean(str(key), sorted(known)))
    if data.get("exercise") != ex.exercise.id:
        bad(("exercise",), f"this sheet is for exercise {data.get('exercise')!r}, not {ex.exercise.id!r}",
            "score it with its own exercise file")
        return sheet
    sha = data.get("exercise_sha256")
    if sha is not None and str(sha) != ex.sha256:
        sheet.warnings.append(Problem(doc.name, doc.line(("exercise_sha256",)), "exercise_sha256",
                                      f"answered against another version of {ex.name} (sha256 {str(sha)[:12]}, now "
                                      f"{ex.sha256[:12]}); scored against the current version",
                                      "if questions or injects changed, the key may differ from what participants saw"))
    participant = data.get("participant")
    if not isinstance(participant, str) or not participant.strip():
        bad(("participant",), "expected the participant's name", "add 'participant: NAME'")
    else:
        sheet.participant = participant.strip()
    for name in ("started", "finished"):
        if data.get(name) is not None and parse_time(data[name]) is None:
            bad((name,), f"expected an ISO 8601 time with a time zone, got {data[name]!r}", "e.g. 2026-03-20T09:15:00Z")
    sheet.started, sheet.finished = parse_time(data.get("started")), parse_time(data.get("finished"))
    answers = data.get("answers") or {}
    if not isinstance(answers, dict):
        bad(("answers",), "expected a mapping of question ids to answers", "e.g. 'q1: recommend'")
        return sheet
    by_id = {q.id: q for q in ex.questions}
    for qid, raw in answers.items():
        path = ("answers", qid)
        if qid not in by_id:
            bad(path, f"{ex.exercise.id} has no question {qid!r}", did_you_mean(str(qid), list(by_id)))
            continue
        value, at = raw, None
        if isinstance(raw, dict):
            extra = sorted(set(raw) - {"answer", "at"})
            if extra:
                bad(path + (extra[0],), "unknown field", "an answer has 'answer:' and optionally 'at:'")
                continue
            value, at = raw.get("answer"), raw.get("at")
            if at is not None and parse_time(at) is None:
                bad(path + ("at",), f"expected an ISO 8601 time with a time zone, got {at!r}", "e.g. 2026-03-20T09:15:00Z")
        if isinstance(value, (dict, list)):
            bad(path, f"expected one answer, got a {'list' if isinstance(value, list) else 'mapping'}",
                "write one option value, e.g. 'q1: recommend'")
            continue
        if at is not None:
            sheet.times[qid] = str(at)
        asked = by_id[qid]
        if not asked.scored:
            if value is not None:
                sheet.reflections[qid] = str(value)
            continue
        if value is None:
            continue            # reported below as unanswered
        reading = read_answer([(c.value, c.label) for c in asked.options], value)
        shown = path if not isinstance(raw, dict) else path + ("answer",)
        at_line = doc.line(shown)
        if reading.value is None:
            # an unreadable answer costs this question, not the sheet
            options = [c.value for c in asked.options]
            hint = (f"it could be {', '.join(repr(c) for c in reading.candidates)}: write more of it"
                    if reading.candidates else did_you_mean(canon(value), options))
            sheet.warnings.append(Problem(doc.name, at_line, dotted(shown),
                                          f"{canon(value)!r} is not an option of {qid} (options: {', '.join(options)}); "
                                          "counted as not the engine's answer", hint))
            sheet.unreadable[qid] = canon(value)
            continue
        if reading.guess:
            sheet.warnings.append(Problem(doc.name, at_line, dotted(shown),
                                          f"read {canon(value)!r} {reading.by}: {asked.label(reading.value)!r} "
                                          f"({reading.value})", "write the option's value to silence this warning"))
        sheet.answers[qid] = reading.value
    if not partial:
        for asked in ex.questions:
            if asked.scored and asked.id not in sheet.answers and asked.id not in sheet.unreadable \
                    and not _reported(sheet, asked.id):
                # an unanswered question costs that question, not the sheet
                sheet.warnings.append(Problem(
                    doc.name, doc.line(("answers", asked.id)),
                    f"answers.{asked.id}", f"question {asked.id} is not answered; counted as not the engine's answer",
                    f"add '{asked.id}: ANSWER' (one of: {', '.join(c.value for c in asked.options)})"))
    if not sheet.problems:
        sheet.results = [Result(q, sheet.answers.get(q.id, sheet.unreadable.get(q.id, "")),
                                sheet.answers.get(q.id) == q.key)
                         for q in ex.questions if q.scored and (not partial or q.id in sheet.answers)]
    return sheet


def _reported(sheet: Sheet, qid: str) -> bool:
    return any(p.field.startswith(f"answers.{qid}") for p in sheet.problems)


def sheet_text(ex: LoadedExercise, participant: str, answers: dict[str, tuple[str, str]],
               started: str, finished: Optional[str]) -> str:
    """The YAML of an answer sheet, answers in question order (written by ``play``)."""
    q = json.dumps
    out = ["# Answer sheet written by `scaleup exercise play`; score it with",
           f"# scaleup exercise score {ex.name} THIS-FILE",
           "kind: answer_sheet",
           f"exercise: {ex.exercise.id}",
           f"exercise_sha256: {q(ex.sha256)}",
           f"participant: {q(participant, ensure_ascii=False)}",
           f"ruleset: {q(f'{ex.ruleset.id} {ex.ruleset.version}')}",
           f"started: {q(started)}"]
    if finished:
        out.append(f"finished: {q(finished)}")
    out.append("answers:" if answers else "answers: {}")
    for asked in ex.questions:
        if asked.id in answers:
            value, at = answers[asked.id]
            out.append(f"  {asked.id}: {{answer: {q(value, ensure_ascii=False)}, at: {q(at)}}}")
    return "\n".join(out) + "\n"
