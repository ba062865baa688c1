"""Output paths checked before any work is done, as `write_atomic` will need them."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from nato_sim.errors import OutputError
from nato_sim.output.files import _names_descriptor


def check_output_path(path: str | Path) -> None:
    """Refuse a path `write_atomic` could not write, with the reason it would give.

    A regular file or a new one needs a folder that exists and can be written (the new
    content is renamed into place there); a folder is refused, a block device or a socket
    too. A named pipe, a character device (`/dev/null`) or a descriptor the tool was
    started with (`/dev/stdout`) is written to as it is and is not checked here.

    Raises:
        OutputError: `cannot write PATH: REASON`, as from `write_atomic`.
    """
    shown = str(path)

    def refuse(reason: str) -> OutputError:
        return OutputError(f"cannot write {shown}: {reason}")

    if _names_descriptor(path):
        return
    try:
        mode: int | None = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:  # a symbolic link loop, a folder that cannot be searched
        raise refuse(error.strerror or str(error)) from None
    if mode is not None:
        if stat.S_ISDIR(mode):
            raise refuse(os.strerror(errno.EISDIR))
        if stat.S_ISBLK(mode):
            raise refuse("it is a block device, not a file")
        if stat.S_ISSOCK(mode):
            raise refuse("it is a socket, not a file")
        if not stat.S_ISREG(mode):
            return  # a named pipe or a character device: written to as it is
    # Through symbolic links, as write_atomic replaces the target of a link.
    folder = Path(os.path.realpath(path)).parent
    if not folder.exists():
        raise refuse(os.strerror(errno.ENOENT))
    if not folder.is_dir():
        raise refuse(os.strerror(errno.ENOTDIR))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise refuse(os.strerror(errno.EACCES))
