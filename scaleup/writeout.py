"""Writing output files so that a reader (or an interrupted run) never sees half a file, and so
that what the path names is respected.

What happens depends on what the path is (``docs/limits.md``, *Output*):

- a regular file, or nothing yet: the text goes to a temporary file in the same folder, which is
  then renamed over the target, so the old file stays whole until the new one is complete. A new
  file gets the permissions the umask allows (``0666 & ~umask``, like any program's output); a
  replaced file keeps its permission bits (and its owner, where the OS allows).
- a symbolic link: followed; its final target is replaced as above and the link stays a link.
- a regular file with more than one hard link: written in place, so that every link sees the new
  text (a rename would cut the links). This write is not atomic.
- a character device (``/dev/null``) or a FIFO, and ``/dev/stdout``-style links into ``/proc``:
  written directly, never replaced.
- anything else (a folder, a socket, a block device): refused.

Every OS failure becomes a :class:`~scaleup.errors.ScaleupError` naming the path and the reason
(``out.json: cannot write the file: No space left on device (...)``).
"""

from __future__ import annotations

import errno
import io
import os
import secrets
import stat
from pathlib import Path
from typing import Optional

from .errors import ScaleupError
from .paths import PathLike, display_name, kind_of_mode

_HINTS = {
    errno.ENOSPC: "free some disk space, or write to another disk",
    errno.EDQUOT: "free some space within your disk quota, or write to another disk",
    errno.EACCES: "check the permissions of the file and its folder, or write somewhere else",
    errno.EPERM: "check the permissions of the file and its folder, or write somewhere else",
    errno.EROFS: "the file system is read-only: write somewhere else",
    errno.ENOTDIR: "a part of the path is a file, not a folder: check the path",
    errno.EISDIR: "give the path of a file, not of a folder",
    errno.ELOOP: "the path is a loop of symbolic links: check the links",
    errno.ENAMETOOLONG: "shorten the path",
}


def output_error(path: PathLike, exc: OSError, doing: str = "write") -> ScaleupError:
    """An OS failure on an output file as a located problem: the path, the reason, a fix."""
    reason = exc.strerror or str(exc)
    hint = _HINTS.get(exc.errno or 0, "check the path, or write somewhere else")
    return ScaleupError.at(display_name(path), None, "", f"cannot {doing} the file: {reason}", hint)


def not_writable(path: PathLike, mode: int) -> ScaleupError:
    return ScaleupError.at(display_name(path), None, "", f"cannot write the file: it is {kind_of_mode(mode)}",
                           "give the path of a regular file, /dev/null, a character device or a FIFO")


def write_atomic(path: PathLike, text: str) -> None:
    """Write ``text`` as UTF-8 to ``path``, atomically when ``path`` is (or will be) a regular file.

    Raises:
        UnicodeEncodeError: ``text`` is not encodable (a defect of the caller; nothing is touched).
        ScaleupError: the path cannot be written (the old file, if any, is left as it was).
    """
    data = text.encode("utf-8")   # before anything is opened: an encoding error touches nothing
    path = Path(path)
    try:
        info: Optional[os.stat_result] = os.stat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise output_error(path, exc) from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        if not (stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
            raise not_writable(path, info.st_mode)
        _write_through(path, data, os.O_WRONLY)
        return
    target = Path(os.path.realpath(path))
    if info is not None and target.parts[:2] == ("/", "proc"):
        _write_through(path, data, os.O_WRONLY | os.O_APPEND)   # /dev/stdout redirected to a file
    elif info is not None and info.st_nlink > 1:
        _write_through(path, data, os.O_WRONLY, truncate=True)
    else:
        _replace(path, target, data, info)


def _write_through(path: Path, data: bytes, flags: int, truncate: bool = False) -> None:
    """Write to the file the path names, in place (devices, FIFOs, hard-linked files)."""
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if truncate:
                os.ftruncate(fd, len(data))
                os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise output_error(path, exc) from None


def _replace(path: Path, target: Path, data: bytes, info: Optional[os.stat_result]) -> None:
    """Write a temporary file next to ``target`` and rename it over ``target``."""
    tmp: Optional[Path] = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _create_temporary(target)
        try:
            if info is not None:   # a replaced file keeps its mode (and owner, when allowed)
                os.fchmod(fd, stat.S_IMODE(info.st_mode))
                if (info.st_uid, info.st_gid) != (os.geteuid(), os.getegid()):
                    try:
                        os.fchown(fd, info.st_uid, info.st_gid)
                    except OSError:
                        pass
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise output_error(path, exc) from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _create_temporary(target: Path) -> tuple[int, Path]:
    """A new file next to ``target``, created with mode 0666 so that the umask applies."""
    for _ in range(100):
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "could not create a temporary file", str(target.parent))


def open_output(path: PathLike, append: bool = False) -> "io.TextIOWrapper":
    """Open an output that is written as it goes (batch rows): UTF-8 text, created with the umask.

    Symbolic links are followed and hard links written in place (the file is truncated unless
    ``append``); devices and FIFOs are opened for writing; anything else is refused.

    Raises:
        ScaleupError: the path cannot be opened for writing.
    """
    path = Path(path)
    try:
        info = os.stat(path)
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
            raise not_writable(path, info.st_mode)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise output_error(path, exc) from None
    try:
        Path(os.path.realpath(path)).parent.mkdir(parents=True, exist_ok=True)
        return open(path, "a" if append else "w", encoding="utf-8", newline="")
    except OSError as exc:
        raise output_error(path, exc) from None
