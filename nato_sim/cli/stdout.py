"""Standard output for data: a closed pipe and a failed write become the tool's own errors.

A reader that stops early (``nato-sim run ... | head -3``) closes the pipe; the next write
fails with BrokenPipeError. That is no error of the tool: like any command-line tool it
stops quietly, with exit code 141 (128 + SIGPIPE, what a shell shows for a tool the closed
pipe stopped). A write that fails otherwise (a full disk, ``> /dev/full``) is an output
error, exit 4.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO, cast

from nato_sim.errors import EXIT_CLOSED, EXIT_OUTPUT, OutputError

# Set once the tool has pointed stdout at the null device: its exit code is decided.
_closed = False


class StdoutClosed(Exception):
    """The reader of stdout has gone: nothing more needs to be written."""


class GuardedStdout:
    """`sys.stdout` as it is at each call, with its write errors made the tool's own.

    It looks `sys.stdout` up on every call, so it follows a test runner that swaps it.
    """

    def write(self, text: str) -> int:
        """Write to stdout."""
        try:
            return sys.stdout.write(text)
        except OSError as error:
            raise _failure(error) from None

    def flush(self) -> None:
        """Flush stdout."""
        try:
            sys.stdout.flush()
        except OSError as error:
            raise _failure(error) from None

    def __getattr__(self, name: str):
        return getattr(sys.stdout, name)


def _failure(error: OSError) -> Exception:
    """The tool's error for a failed write to stdout, which is closed for good."""
    # What is still buffered would fail again when the interpreter exits.
    close_stdout()
    if isinstance(error, BrokenPipeError):
        return StdoutClosed()
    return OutputError(f"cannot write to stdout: {error.strerror}")


def stdout() -> TextIO:
    """Where data goes: stdout, guarded."""
    # A file to whoever writes to it: all they call is write and flush.
    return cast(TextIO, GuardedStdout())


def close_stdout() -> None:
    """Point stdout's file descriptor at the null device.

    What is still buffered then goes nowhere when the interpreter exits, instead of failing
    again and being reported as an ignored exception.
    """
    global _closed
    _closed = True
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test runner's)
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)


def stdout_identity() -> tuple[int, int] | None:
    """What file descriptor 1 refers to (device and inode), or None if nothing."""
    try:
        info = os.fstat(1)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _null_identity() -> tuple[int, int] | None:
    try:
        info = os.stat(os.devnull)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def finish_stdout(started_on: tuple[int, int] | None = None) -> None:
    """Flush stdout before exiting; exit 141 if its reader has gone, 4 if it cannot be written.

    Args:
        started_on: `stdout_identity()` when the tool started. Click and Rich, printing
            --help, meet a closed pipe before the tool does: they point stdout at the null
            device and exit 1, which this turns into the tool's 141.

    Raises:
        SystemExit: with EXIT_CLOSED or EXIT_OUTPUT when stdout was found closed or the
            flush fails.
    """
    if _closed:
        return
    null = _null_identity()
    silenced = started_on not in (None, null) and stdout_identity() == null
    # Click's wrapper for a stdout it found closed (Typer carries its own copy of Click).
    pacified = type(sys.stdout).__name__ == "PacifyFlushWrapper"
    if silenced or pacified:
        raise SystemExit(EXIT_CLOSED)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        close_stdout()
        raise SystemExit(EXIT_CLOSED) from None
    except OSError as error:
        close_stdout()
        sys.stderr.write(f"error: cannot write to stdout: {error.strerror}\n")
        raise SystemExit(EXIT_OUTPUT) from None
    except (AttributeError, ValueError):  # no stdout at all, or already closed
        return
