"""Where a batch writes its rows, so that a failed or interrupted run never harms the output.

``batch -o FILE`` with FILE a regular file (or nothing yet) never writes FILE while it runs:

- rows go, one write and one flush each, to ``.FILE.partial`` beside FILE (beside the file a
  symbolic link names). When the run completes, the partial file replaces FILE in one rename
  (keeping FILE's mode; a file with several hard links is copied in place, as
  :mod:`scaleup.writeout` does). A full disk, a dead process or Ctrl-C leaves FILE as it was,
  and the partial file holds every row finished so far, for ``--resume``.
- ``--resume`` reads FILE and ``.FILE.partial`` row by row (never whole), keeps an index of the
  rows it may reuse (``ok`` and ``error`` rows of the same rule set, the last row of a scenario
  winning) and writes the new output in input order to ``.FILE.resume``: reused rows copied
  from where they are, the others evaluated. Every evaluated row is also appended to the
  partial file, so a resumed run that dies loses nothing either. On success ``.FILE.resume``
  replaces FILE and the partial file is removed; otherwise FILE and the partial file stay.

A character device (``-o /dev/null``), a FIFO, or ``/dev/stdout`` is written directly, as rows
finish (nothing to replace; ``--resume`` refuses them). See ``docs/batch.md``.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from typing import IO, Any, Optional

from .output import RowScan, RowWriter, parse_row, row_key
from ..errors import ScaleupError
from ..paths import display_name, kind_of_mode
from ..writeout import open_output, output_error

Key = tuple[str, Optional[int], str]
Ref = tuple[int, int, int]   # (source index, start, end) of a reusable row
KEEP_ON_RESUME = ("ok", "error")
COPY_CHUNK = 1 << 20


def _target(output: Path) -> Path:
    """The file the output path names (symbolic links followed)."""
    return Path(os.path.realpath(output))


def partial_path(output: Path) -> Path:
    """Where the rows of a run in progress go: ``.NAME.partial`` beside the target."""
    target = _target(output)
    return target.with_name(f".{target.name}.partial")


def _resume_path(output: Path) -> Path:
    target = _target(output)
    return target.with_name(f".{target.name}.resume")


def is_direct(output: Path) -> bool:
    """True for outputs written as they go: devices, FIFOs, ``/dev/stdout`` and the like."""
    try:
        info = os.stat(output)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise output_error(output, exc) from None
    return not stat.S_ISREG(info.st_mode) or _target(output).parts[:2] == ("/", "proc")


def check_resumable(output: Path) -> None:
    """``--resume`` reads the output back: only a regular file can be read back."""
    try:
        mode = output.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise output_error(output, exc, "read") from None
    if not stat.S_ISREG(mode) or is_direct(output):
        what = kind_of_mode(mode) if not stat.S_ISREG(mode) else "not a file on disk"
        raise ScaleupError.at(display_name(output), None, "", f"--resume reads the output back, and it is {what}",
                              "resume into a regular file, or run without --resume")


def replace_with(done: Path, output: Path) -> None:
    """Make ``done`` (a finished file beside the target) the output: one rename that keeps the
    old file's mode, or, for a file with several hard links, a copy in place.

    Raises:
        ScaleupError: the output cannot be replaced (``done`` is left where it is).
    """
    target = _target(output)
    try:
        try:
            info: Optional[os.stat_result] = os.stat(target)
        except FileNotFoundError:
            info = None
        if info is not None and info.st_nlink > 1:
            with open(done, "rb") as source, open(target, "r+b") as sink:
                shutil.copyfileobj(source, sink, COPY_CHUNK)
                sink.truncate()
                sink.flush()
                os.fsync(sink.fileno())
            os.unlink(done)
            return
        if info is not None:   # the new file keeps the old one's mode (and owner, when allowed)
            os.chmod(done, stat.S_IMODE(info.st_mode))
            if (info.st_uid, info.st_gid) != (os.geteuid(), os.getegid()):
                try:
                    os.chown(done, info.st_uid, info.st_gid)
                except OSError:
                    pass
        os.replace(done, target)
    except OSError as exc:
        raise output_error(output, exc) from None


class BatchOutput:
    """The rows of one batch run: where they are written, what ``--resume`` may reuse, and the
    final replace (see the module docstring).

    Args:
        output: the ``-o`` path, or None to write to ``stream``.
        stream: where rows go without ``output`` (stdout).
        fmt: ``jsonl``, ``csv`` or ``table``.
        resume: reuse the rows of FILE and of its partial file.
        stamp: ``(ruleset_id, ruleset_version, ruleset_sha256)`` rows must carry to be reused.

    Raises:
        ScaleupError: an output that cannot be written or read back, or whose rows were made
            by another rule set.
    """

    def __init__(self, output: Optional[Path], stream: Optional[IO[str]], fmt: str, resume: bool,
                 stamp: tuple[str, str, str]):
        self.output, self.fmt, self.stamp = output, fmt, stamp
        self.reuse: dict[Key, Ref] = {}
        self.sources: list[Path] = []
        self._readers: list[Any] = []
        self.log: Optional[IO[str]] = None       # the partial file a resumed run appends to
        self.path: Optional[Path] = None         # the file being written, renamed on success
        self.handle: Optional[IO[str]] = None
        self.written = 0
        if output is None:
            if stream is None:
                raise ValueError("a batch needs an output file or a stream")
            self.writer = RowWriter(stream, fmt)
            return
        if resume:
            check_resumable(output)
        if is_direct(output):
            self.handle = open_output(output)
            self.writer = RowWriter(self.handle, fmt)
            return
        partial = partial_path(output)
        if not resume:
            self.path = partial
            self.handle = self._open(partial, "w")
            self.writer = RowWriter(self.handle, fmt)
            return
        try:
            self._index(output, partial)
        except BaseException:
            self._close()
            raise
        self.path = _resume_path(output)
        self.handle = self._open(self.path, "w")
        self.writer = RowWriter(self.handle, fmt)
        self.log = self._open(partial, "a")
        self.logger = RowWriter(self.log, fmt, header=self.log.tell() == 0)

    def _open(self, path: Path, mode: str) -> IO[str]:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return open(path, mode, encoding="utf-8", newline="")
        except OSError as exc:
            raise output_error(path, exc) from None

    def _index(self, output: Path, partial: Path) -> None:
        """Scan FILE, then its partial file: the last row of each scenario wins."""
        sources = [p for p in (output, partial) if p.exists()]
        for path in sources:
            index = len(self.sources)
            try:
                reader = open(path, "rb")   # noqa: SIM115  (kept open for the whole resume; closed with the others at the end)
            except OSError as exc:
                raise output_error(path, exc, "read") from None
            self._readers.append(reader)
            scan = RowScan(reader, self.fmt, display_name(path))
            rows = iter(scan)
            first = next(rows, None)
            if first is not None and self._stamp(first[0]) != self.stamp and path == output and partial.exists():
                self._readers.pop().close()   # an older output of another rule set: replaced when this run completes
                continue
            self.sources.append(path)
            first_line = 2 if self.fmt == "csv" else 1
            for values, start, end in ([first] if first is not None else []):
                self._note(values, path, first_line, (index, start, end))
            for number, (values, start, end) in enumerate(rows, first_line + 1):
                self._note(values, path, number, (index, start, end))
            if path == partial and scan.valid < path.stat().st_size:
                try:   # cut the torn last row before appending
                    os.truncate(path, scan.valid)
                except OSError as exc:
                    raise output_error(path, exc) from None

    def _stamp(self, values: dict[str, Any]) -> tuple[Any, Any, Any]:
        return (values.get("ruleset_id"), values.get("ruleset_version"), values.get("ruleset_sha256"))

    def _note(self, values: dict[str, Any], path: Path, number: int, ref: Ref) -> None:
        if self._stamp(values) != self.stamp:
            v = values
            raise ScaleupError.at(display_name(path), None, "", f"row {number} was evaluated with rule set {v.get('ruleset_id')} "
                                  f"{v.get('ruleset_version')} (sha256 {str(v.get('ruleset_sha256'))[:12]}), this run uses "
                                  f"{self.stamp[0]} {self.stamp[1]} (sha256 {self.stamp[2][:12]})",
                                  "results of two rule sets cannot be mixed: run without --resume to start afresh")
        key = row_key(values)
        if values.get("status") in KEEP_ON_RESUME and key[2]:
            self.reuse[key] = ref
        else:
            self.reuse.pop(key, None)

    def take(self, key: Key) -> Optional[Ref]:
        """The reusable row of a scenario, if any (each row is reused once)."""
        return self.reuse.pop(key, None) if self.reuse else None

    def copy(self, ref: Ref) -> dict[str, Any]:
        """Copy a reused row to the output; return its values (for the summary)."""
        source, start, end = ref
        reader = self._readers[source]
        reader.seek(start)
        text = reader.read(end - start).decode("utf-8")
        self.writer._put(text)
        return parse_row(text, self.fmt, display_name(self.sources[source]))

    def write(self, row: dict[str, Any]) -> None:
        """Write an evaluated row (a resumed run also appends it to the partial file)."""
        text = self.writer.render(row)
        self.writer._put(text)
        self.written += 1
        if self.log is not None:
            self.logger._put(text)

    def _close(self) -> None:
        for handle in [self.handle, self.log, *self._readers]:
            if handle is not None:
                try:
                    handle.close()
                except OSError:   # the write error being reported is the one that matters
                    pass

    def finish(self) -> None:
        """The run completed: the new file replaces the output (the partial file goes)."""
        try:
            if self.handle is not None and self.path is not None:
                self.handle.flush()
                os.fsync(self.handle.fileno())
            for handle in [self.handle, self.log]:
                if handle is not None:
                    handle.close()
        except OSError as exc:
            self._close()
            raise output_error(self.output or "<stdout>", exc) from None
        self._close()
        if self.path is None or self.output is None:
            return
        replace_with(self.path, self.output)
        if self.log is not None:
            try:
                os.unlink(partial_path(self.output))
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise output_error(partial_path(self.output), exc, "remove") from None

    def abandon(self) -> None:
        """The run stopped or failed: the output stays as it was; the partial file keeps the
        rows finished so far; a resumed run's in-order file is removed."""
        self._close()
        if self.path is not None and (self.log is not None or not self.written):
            try:   # a resumed run's in-order file, or a partial file that holds no row
                os.unlink(self.path)
            except OSError:
                pass
