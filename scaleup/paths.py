"""What a path is, and how it is shown.

File names are bytes on POSIX: one that is not UTF-8 reaches Python with lone surrogates
(``surrogateescape``) and would make every UTF-8 report, CSV or JSON file that names it fail.
:func:`display_name` is the one way a path becomes text for people and reports.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Optional, Union

PathLike = Union[str, "os.PathLike[str]"]

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def display_name(path: PathLike) -> str:
    """The path as text; bytes that are not UTF-8 are shown as ``\\xNN`` so output stays UTF-8."""
    return os.fspath(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def kind_of_mode(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words: ``a folder``, ``a FIFO (named pipe)``..."""
    if stat.S_ISREG(mode):
        return "a regular file"
    return next((word for test, word in _KINDS if test(mode)), "not a regular file")


def real_path(path: PathLike) -> Optional[Path]:
    """Where ``path`` leads, every symbolic link followed (the file need not exist), or None when
    the links loop. ``Path.resolve()`` raises ``RuntimeError`` on a loop in Python 3.11, and a
    non-strict ``os.path.realpath()`` stops somewhere inside the loop, so a containment check
    built on either crashed or judged a loop by wherever resolution happened to stop."""
    try:
        return Path(os.path.realpath(path, strict=True))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None
        return Path(os.path.realpath(path))   # a missing file or folder: resolve what exists
