"""Files written atomically, and rows as CSV."""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import tempfile
from pathlib import Path

from nato_sim.errors import OutputError
from nato_sim.output.tables import plain_rows


def rows_to_csv(rows: list[dict], columns: tuple[str, ...] | None = None) -> str:
    """CSV text of dict rows, header first; numbers without the noise of arithmetic
    (`plain_number`: `0.0224`, not `0.022400000000000003`)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns or rows[0].keys()), lineterminator="\n")
    writer.writeheader()
    writer.writerows(plain_rows(rows))
    return buffer.getvalue()


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write a file so that readers see the old content or the new, never half of it.

    A symbolic link is written through: its target is replaced, the link stays. A named
    pipe, a character device (``/dev/null``, a terminal, ``>(gzip > x.gz)``) or an open
    descriptor (``/dev/stdout``, ``/dev/fd/3``) is a stream with nothing to replace, so it is
    written to directly, appending to a file that descriptor was opened on; other special
    files (block devices, sockets) are refused.

    Raises:
        OutputError: the file cannot be written, with the reason.
    """
    shown = str(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:  # a symbolic link loop, a folder that cannot be searched
        raise OutputError(f"cannot write {shown}: {error.strerror}") from None
    if _names_descriptor(path) or (
        mode is not None and (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode))
    ):
        _write_stream(path, payload, shown)
    elif mode is not None and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        kind = "a block device" if stat.S_ISBLK(mode) else "a socket"
        raise OutputError(f"cannot write {shown}: it is {kind}, not a file")
    else:
        # Through any symbolic links, so that the link is kept and its target replaced.
        _replace(Path(os.path.realpath(path)), payload, shown)


_DESCRIPTOR_PATH = re.compile(r"/dev/(stdout|stderr|fd/\d+)|/proc/(self|\d+)/fd/\d+")


def _names_descriptor(path: str | Path) -> bool:
    """Whether `path` names a descriptor the tool was started with, such as /dev/stdout."""
    return _DESCRIPTOR_PATH.fullmatch(os.path.abspath(path)) is not None


def _write_stream(path: str | Path, payload: bytes, shown: str) -> None:
    """Write to a pipe or device as it is: no temporary file, nothing replaced."""
    try:
        # O_APPEND: `-o /dev/stdout >> log` adds to the log, as the shell's `>>` asked.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
    except BrokenPipeError:
        raise  # the reader has gone (`-o /dev/stdout | head`): the caller stops quietly
    except OSError as error:
        raise OutputError(f"cannot write {shown}: {error.strerror}") from None


def _replace(target: Path, payload: bytes, shown: str) -> None:
    """Write a temporary file beside `target`, then rename it over `target`."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise OutputError(f"cannot write {shown}: {error.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            # A full disk may only show when the data reaches it; before the rename, so
            # the old file is kept whole.
            os.fsync(handle.fileno())
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        os.chmod(tmp, _new_file_mode(target))
        os.replace(tmp, target)
    except OSError as error:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {shown}: {error.strerror}") from None


def _new_file_mode(path: Path) -> int:
    """The existing file's permissions, else those the umask gives a new file."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
