"""Progress on stderr for long runs, and the stop flag that Ctrl-C and SIGTERM set.

On a terminal (or with ``--progress``) the progress is one line redrawn in place: bar, count,
rate, ETA. Elsewhere it is a plain line every ``interval`` seconds, which reads well in CI logs
and keeps CI from killing a long, silent job; a run shorter than that prints none.
"""

from __future__ import annotations

import signal
import time
from typing import IO, TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:   # imported lazily: the CLI starts faster without the batch machinery
    from ..batch.run import BatchSummary

BAR_WIDTH = 24


def clock(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class ProgressDisplay:
    """Called with the running summary after each row; draws at most every ``redraw`` seconds.

    Args:
        stream: stderr.
        mode: ``bar`` (a terminal), ``lines`` (plain periodic lines) or ``off``.
        interval: seconds between plain lines.
        label: the command, at the start of plain lines.
    """

    def __init__(self, stream: IO[str], mode: str, interval: float = 10.0, redraw: float = 0.1, label: str = "batch"):
        self.stream, self.mode, self.interval, self.redraw, self.label = stream, mode, interval, redraw, label
        self.started = time.monotonic()
        self._last = self.started if mode == "lines" else 0.0
        self._drawn = False

    def __call__(self, summary: "BatchSummary") -> None:
        if self.mode == "off":
            return
        now = time.monotonic()
        # the last state is always drawn on a bar, and in plain lines only after earlier lines
        finished = summary.done + summary.resumed >= summary.total and (self.mode == "bar" or self._drawn)
        if now - self._last < (self.redraw if self.mode == "bar" else self.interval) and not finished:
            return
        self._last = now
        text = self.describe(summary, now - self.started)
        self.stream.write("\r" + text + "\x1b[K" if self.mode == "bar" else text + "\n")
        self.stream.flush()
        self._drawn = True

    def describe(self, summary: "BatchSummary", elapsed: float) -> str:
        done, total = summary.done + summary.resumed, max(summary.total, 1)
        share = min(done / total, 1.0)
        rate = (done - summary.resumed) / elapsed if elapsed > 0 else 0.0
        left = total - done       # negative when the inputs grew after they were counted
        eta = clock(left / rate) if rate > 0 and left >= 0 else "?"
        bad = summary.status["error"] + summary.status["crashed"]
        tail = f"  {bad} failed" if bad else ""
        if self.mode == "bar":
            filled = int(share * BAR_WIDTH)
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            return f"{share:4.0%} [{bar}] {done}/{summary.total}  {rate:,.0f}/s  ETA {eta}{tail}"
        return f"{self.label}: {done}/{summary.total} ({share:.0%}), {rate:,.0f}/s, ETA {eta}{tail}"

    def close(self) -> None:
        """Erase the bar so the summary starts on a clean line."""
        if self.mode == "bar" and self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def progress_mode(flag: Optional[bool], stream: Any) -> str:
    """``--no-progress``: none; ``--progress``: the bar even off a terminal; neither: the bar on
    a terminal, plain lines every few seconds elsewhere (CI logs, files)."""
    if flag is False:
        return "off"
    tty = bool(getattr(stream, "isatty", lambda: False)())
    return "bar" if tty or flag else "lines"


class StopFlag:
    """Set by the first Ctrl-C or SIGTERM so the run stops cleanly; a second Ctrl-C stops at once."""

    def __init__(self) -> None:
        self.signum: Optional[int] = None
        self._previous: dict[int, Any] = {}

    def __call__(self) -> bool:
        return self.signum is not None

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signum is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.signum = signum

    def __enter__(self) -> "StopFlag":
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or signal.SIGINT)
