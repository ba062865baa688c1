"""Files written atomically, and rows as CSV."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

from nato_sim.errors import OutputError


def rows_to_csv(rows: list[dict], columns: tuple[str, ...] | None = None) -> str:
    """CSV text of dict rows, header first."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns or rows[0].keys()), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write a file so that readers see the old content or the new, never half of it."""
    path = Path(path)
    mode = "wb" if isinstance(data, bytes) else "w"
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent if str(path.parent) else "."
        )
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror}") from None
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as handle:
            handle.write(data)
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        os.chmod(tmp, _new_file_mode(path))
        os.replace(tmp, path)
    except OSError as error:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {error.strerror}") from None


def _new_file_mode(path: Path) -> int:
    """The existing file's permissions, else those the umask gives a new file."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
