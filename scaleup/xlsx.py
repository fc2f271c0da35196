"""Saving XLSX workbooks reproducibly: fixed workbook times and zip entry times, so the same
content gives byte-identical files, written atomically."""

from __future__ import annotations

import datetime as dt
import errno
import io
import os
import re
import stat
import tempfile
import zipfile
from pathlib import Path
from typing import IO, Any

from .writeout import output_error

FIXED_TIME = dt.datetime(2000, 1, 1)          # workbook created/modified: no wall-clock time in output
ZIP_TIME = (1980, 1, 1, 0, 0, 0)              # the earliest time a zip entry can carry


def save_workbook(book: Any, target: str | os.PathLike[str] | IO[bytes]) -> None:
    """Save an openpyxl workbook with fixed times to a path (atomically) or a binary stream.

    Raises:
        ScaleupError: the path cannot be written.
    """
    book.properties.creator = "scaleup"
    buffer = io.BytesIO()
    book.save(buffer)
    data = repack(buffer.getvalue())
    if hasattr(target, "write"):
        target.write(data)
    else:
        write_bytes(Path(target), data)


def write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (a temporary file beside it, then a rename,
    keeping the old file's permissions); a device or FIFO (``/dev/null``) is written through,
    never replaced."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        try:
            info: os.stat_result | None = os.stat(path)
        except FileNotFoundError:
            info = None
        if info is not None and not stat.S_ISREG(info.st_mode):
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(errno.EISDIR, "it is a folder", str(path))
            with open(path, "wb") as handle:
                handle.write(data)
            return
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask())
                handle.write(data)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as exc:
        raise output_error(path, exc) from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def repack(data: bytes) -> bytes:
    """An XLSX (a zip) with every entry dated :data:`ZIP_TIME` and the workbook's created and
    modified times set to :data:`FIXED_TIME`: the same content gives the same bytes."""
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _fixed_times(content.decode("utf-8"), stamp).encode("utf-8")
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, content)
    return out.getvalue()


def _fixed_times(xml: str, stamp: str) -> str:
    return re.sub(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)", rf"\g<1>{stamp}\g<2>", xml)


