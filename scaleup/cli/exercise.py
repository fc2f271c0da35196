"""``scaleup exercise``: training exercises (play, score, debrief, validate)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import click

from ..errors import Problem
from ..safetext import terminal
from .common import emit, fail
from .names import FileOrExample

if TYPE_CHECKING:
    from ..exercise.load import LoadedExercise
    from ..exercise.score import Sheet

@click.group()
def exercise() -> None:
    """Table-top training exercises whose answer key comes from the rule engine.

    \b
    Example (a trainer's whole session):
      scaleup exercise play scenarios/exercises/cyclone-idp-surge.yaml --sheet amina.yaml
      scaleup exercise debrief scenarios/exercises/cyclone-idp-surge.yaml amina.yaml ben.yaml -f html -o debrief.html
    """


def _load(file: str, allow_outside: bool = False) -> LoadedExercise:
    from ..exercise.load import load_exercise
    return load_exercise(file, allow_outside_paths=allow_outside)


outside_option = click.option(
    "--allow-outside-paths", "allow_outside", is_flag=True,
    help="Let the exercise's baseline: and ruleset: name files outside its folder (absolute paths, "
         "'..', symbolic links out). Only for exercise files you trust.")


@exercise.command()
@click.argument("file", type=FileOrExample())
@click.option("--sheet", type=click.Path(dir_okay=False, path_type=Path),
              help="Answer sheet to write (and to resume, if it exists). Default: answers-EXERCISE-NAME.yaml")
@click.option("--name", help="The participant's name (asked for when not given).")
@click.option("--reveal-after", "reveal", type=click.Choice(["each", "end"]), default="end", show_default=True,
              help="Show the engine's answer after each question, or all at the end.")
@outside_option
@click.pass_context
def play(ctx: click.Context, file: str, sheet: Optional[Path], name: Optional[str], reveal: str,
         allow_outside: bool) -> None:
    """Play an exercise in the terminal: injects, questions, score and explanations.

    Type the number of an option; b goes back, q saves and stops (play again with the same
    --sheet to resume).

    \b
    Example:
      scaleup exercise play scenarios/exercises/cyclone-idp-surge.yaml --name Amina
    """
    from ..exercise.play import play as play_session
    ex = _load(file, allow_outside)
    play_session(ex, click.get_text_stream("stdin"), click.get_text_stream("stdout"), sheet=sheet, name=name, reveal=reveal)  # type: ignore[operator]  # click 8.5 deprecates get_text_stream and serves it from a module __getattr__ (typed object)


def _sheets(ex: LoadedExercise, paths: tuple[str, ...]) -> tuple[list[Sheet], bool]:
    """Read every sheet; report invalid ones and warnings on stderr; return the valid ones."""
    from ..exercise.score import read_sheet
    from ..scenario.inputs import expand_paths
    found, missing = expand_paths(paths)
    problems: list[Problem] = list(missing)
    valid: list[Sheet] = []
    for path in found:
        sheet = read_sheet(path, ex)
        for w in sheet.warnings:
            click.echo(f"warning: {w}", err=True)
        problems.extend(sheet.problems)
        if not sheet.problems:
            valid.append(sheet)
    for p in problems:
        click.echo(f"error: {p}", err=True)
    return valid, bool(problems)


@exercise.command()
@click.argument("file", type=FileOrExample())
@click.argument("sheets", nargs=-1, required=True)
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@outside_option
@click.pass_context
def score(ctx: click.Context, file: str, sheets: tuple[str, ...], fmt: str, allow_outside: bool) -> None:
    """Score answer sheets (from play, or typed from paper) against the engine's key.

    Invalid sheets are reported with their line numbers and not scored (exit 1). A sheet
    answered against another version of the exercise is scored with a warning.

    \b
    Example:
      scaleup exercise score scenarios/exercises/cyclone-idp-surge.yaml answers/*.yaml
    """
    ex = _load(file, allow_outside)
    valid, failed = _sheets(ex, sheets)
    if fmt == "json":
        rows = [{"file": s.file, "participant": s.participant, "score": s.score, "total": s.total,
                 "answers": {r.asked.id: {"answer": r.answer, "key": r.asked.key, "correct": r.correct}
                             for r in s.results}} for s in valid]
        click.echo(json.dumps({"exercise": ex.exercise.id, "sha256": ex.sha256, "sheets": rows}, indent=2))
    else:
        for s in valid:
            wrong = [r.asked.id for r in s.results if not r.correct]
            click.echo(terminal(f"{s.participant}: {s.score}/{s.total} ({s.file})" +
                                (f"; not the engine's answer: {', '.join(wrong)}" if wrong else "")))
    if failed:
        fail(ctx)


@exercise.command()
@click.argument("file", type=FileOrExample())
@click.argument("sheets", nargs=-1, required=True)
@click.option("-f", "--format", "fmt", type=click.Choice(["markdown", "html"]), default="markdown", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout.")
@outside_option
@click.pass_context
def debrief(ctx: click.Context, file: str, sheets: tuple[str, ...], fmt: str, output: Optional[Path],
            allow_outside: bool) -> None:
    """The facilitator's debrief: answers per question, the engine's answer and why.

    Invalid sheets are reported and left out (exit 1 after writing the debrief of the others).

    \b
    Example:
      scaleup exercise debrief scenarios/exercises/cyclone-idp-surge.yaml answers/ -f html -o debrief.html
    """
    from ..exercise.debrief import FORMATS, build
    ex = _load(file, allow_outside)
    valid, failed = _sheets(ex, sheets)
    text = FORMATS[fmt](build(ex, valid))
    emit(text, output, announce=True)
    if failed:
        fail(ctx)


@exercise.command("validate")
@click.argument("files", nargs=-1, required=True, type=FileOrExample())
@click.option("--key", is_flag=True, help="Also print the answer key (for trainers).")
@outside_option
@click.pass_context
def validate_(ctx: click.Context, files: tuple[str, ...], key: bool, allow_outside: bool) -> None:
    """Check exercise files: every inject's scenario, every question, pinned answers.

    \b
    Example:
      scaleup exercise validate scenarios/exercises/*.yaml --key
    """
    from ..errors import ScaleupError
    failed = False
    for file in files:
        try:
            ex = _load(file, allow_outside)
        except ScaleupError as exc:
            for p in exc.problems:
                click.echo(f"error: {p}", err=True)
            failed = True
            continue
        scored = sum(q.scored for q in ex.questions)
        click.echo(terminal(f"ok: {file} ({len(ex.steps)} injects, {len(ex.questions)} questions, {scored} scored; "
                            f"{ex.ruleset.id} {ex.ruleset.version})"))
        if key:
            for q in ex.questions:
                click.echo(terminal(f"  Q{q.number} {q.id} day {ex.step_of(q).inject.day} {q.question.kind}: "
                                    + (q.label(str(q.key)) + f" [{q.key}]" if q.scored else "(reflection)")))
    if failed:
        fail(ctx)


@exercise.command()
@click.argument("file", type=FileOrExample())
@click.option("-f", "--format", "fmt", type=click.Choice(["markdown", "html"]), default="html", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout.")
@outside_option
@click.pass_context
def handout(ctx: click.Context, file: str, fmt: str, output: Optional[Path], allow_outside: bool) -> None:
    """Print the paper version: a participant booklet and a blank answer sheet with tick boxes.

    Type what participants ticked into an answer sheet as they wrote it (an option's number,
    value or label, a date such as 19/08/2026) and score it with `scaleup exercise score`.

    \b
    Example:
      scaleup exercise handout scenarios/exercises/cyclone-idp-surge.yaml -f html -o handout.html
    """
    from ..exercise.handout import FORMATS
    text = FORMATS[fmt](_load(file, allow_outside))
    emit(text, output, announce=True)


@exercise.command()
@click.argument("file", type=FileOrExample())
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Phones on the room's network need --host 0.0.0.0.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the sessions (one subfolder of answer sheets each). Default: room-EXERCISE.")
@click.option("--anonymous", is_flag=True, help="Show participants as 'Participant 1'... in the debrief page.")
@outside_option
@click.pass_context
def serve(ctx: click.Context, file: str, host: str, port: int, folder: Optional[Path], anonymous: bool,
          allow_outside: bool) -> None:
    """Run the exercise for a room: a projector page for the facilitator, phones for participants.

    Prints the join URL with a QR code, and the facilitator's URL with its token. Answers are
    written to answer sheets in the session's folder as they come (score and debrief them as
    usual); a restarted server resumes its sessions from the folder.

    \b
    Example:
      scaleup exercise serve scenarios/exercises/cyclone-idp-surge.yaml --host 0.0.0.0
    """
    from ..room.serve import run
    ex = _load(file, allow_outside)
    run(ex, host=host, port=port, folder=folder or Path(f"room-{ex.exercise.id}"), anonymous=anonymous,
        out=sys.stdout)
