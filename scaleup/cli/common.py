"""What every command shares: exit codes, the settings object, the error translation, options.

Commands follow click's conventions: they end with ``ctx.exit(ExitCode.X)`` once their problems
are printed, and let library errors propagate; :class:`Group` (the root group's class) turns a
:class:`~scaleup.errors.ScaleupError` or an unlocated :class:`OSError` into located ``error:``
lines and exit code 1, unless ``--debug`` asks for the traceback.
"""

from __future__ import annotations

import errno
import json
import os
import sys
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any, NoReturn, Optional, Sequence

import click

from ..errors import EngineError, ScaleupError
from ..paths import display_name
from ..safetext import terminal
from ..writeout import write_atomic
from ..rules.load import DEFAULT_RULESET


class ExitCode(IntEnum):
    """The process exit codes, in one place (documented in docs/cli.md)."""

    OK = 0
    INVALID = 1      # a file was invalid, missing or unwritable; or nothing was evaluated
    USAGE = 2        # click's own: a bad option or argument
    EXPECT = 3       # --check: a result disagreed with its expect: block


@dataclass
class Settings:
    """The root group's options, handed to every command (``ctx.obj``)."""

    debug: bool = False
    verbose: int = 0


pass_settings = click.make_pass_decorator(Settings, ensure=True)


def report(error: ScaleupError) -> None:
    """Print every problem of an error to stderr, one per line."""
    label = "internal error" if isinstance(error, EngineError) else "error"
    for problem in error.problems:
        click.echo(f"{label}: {problem}", err=True)


def fail(ctx: click.Context, code: ExitCode = ExitCode.INVALID) -> NoReturn:
    """End the command with ``code``; its problems were printed already."""
    ctx.exit(int(code))
    raise AssertionError("unreachable")  # pragma: no cover  (ctx.exit raises)


def emit(text: str, output: Optional[Path], *, announce: bool = False) -> None:
    """Write ``text`` to ``output`` (atomically) or to stdout; ``announce`` says "wrote FILE" on stderr."""
    if output:
        write_atomic(output, text)
        if announce:
            click.echo(terminal(f"wrote {output}"), err=True)
    else:
        click.echo(text, nl=False)


def parse_sets(values: Sequence[str]) -> dict[str, Any]:
    """``NAME=VALUE`` pairs; values are read as JSON when they parse (numbers, true/false)."""
    out: dict[str, Any] = {}
    for item in values:
        name, sep, raw = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--set")
        try:
            out[name] = json.loads(raw)
        except ValueError:
            out[name] = raw
    return out


def os_error(exc: OSError) -> ScaleupError:
    """An OS failure the library did not locate. Output files and inputs are located by the
    library, so one without a file name is a write to stdout (``evaluate > /dev/full``)."""
    reason = exc.strerror or str(exc)
    if exc.filename is None:
        _silence_stdout()
        return ScaleupError.at("<stdout>", None, "", f"cannot write the output: {reason}",
                               "free some space where stdout goes, or write to a file with -o FILE")
    return ScaleupError.at(display_name(exc.filename), None, "", reason, "check the path and its permissions")


def _silence_stdout() -> None:
    """If stdout still holds text it cannot take, point it at /dev/null, so that Python's final
    flush at exit does not fail a second time with a traceback."""
    try:
        sys.stdout.flush()
        return
    except OSError:
        pass
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):   # not a real file (a test runner's buffer)
        pass


class Group(click.Group):
    """The root group: runs a command and translates what the library raises."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ScaleupError, OSError) as exc:
            settings = ctx.find_object(Settings)
            if (settings and settings.debug) or (isinstance(exc, OSError) and exc.errno == errno.EPIPE):
                raise   # --debug shows the traceback; click ends a broken pipe (`| head`) quietly
            report(exc if isinstance(exc, ScaleupError) else os_error(exc))
            ctx.exit(int(ExitCode.INVALID))


ruleset_option = click.option("-r", "--ruleset", default=DEFAULT_RULESET, show_default=True,
                              help="A shipped rule set name or a rule set folder.")
row_option = click.option("--row", type=click.IntRange(min=1), default=None, metavar="N",
                          help="Only the scenario on line N of a .jsonl file, or row N of a .csv or .xlsx file "
                               "(the number messages show).")
set_option = click.option("--set", "sets", multiple=True, metavar="NAME=VALUE",
                          help="Override a rule set parameter, or a band edge as CRITERION/FIELD.edges[I]=VALUE, "
                               "for this run (recorded in the stamp; see docs/assurance.md).")
