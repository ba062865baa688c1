"""The tool's own exceptions and the exit codes the CLI maps them to.

Exit codes (also listed in the README):

====  ==========================================================
0     success
1     internal error (a bug: please report it with the command), or a worker
      process died (killed, out of memory); the message says which
2     usage error (bad option, bad --set / --vary syntax, unknown field)
3     invalid input (scenario or claims file missing, unreadable or invalid)
4     output error (an output file, or stdout, could not be written)
130   interrupted (Ctrl-C); the results so far were printed
141   stdout was closed early (``nato-sim run ... | head``); nothing more is printed
====  ==========================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_INVALID = 3
EXIT_OUTPUT = 4
EXIT_INTERRUPTED = 130
EXIT_CLOSED = 141  # 128 + SIGPIPE: what a shell reports for a tool a closed pipe stopped


def format_path(path: tuple[str | int, ...]) -> str:
    """Render a key path as `objections[2].lift`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "(top level)"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located as precisely as is known."""

    file: str
    message: str
    line: int | None = None
    column: int | None = None
    path: tuple[str | int, ...] = ()
    hint: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: "
        if self.path:
            text += f"{format_path(self.path)}: "
        text += self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class NatoSimError(Exception):
    """Base of every error the tool reports to a user instead of a traceback."""

    exit_code = EXIT_INTERNAL


class UsageError(NatoSimError):
    """A command or API call was given arguments that cannot work."""

    exit_code = EXIT_USAGE


class OutputError(NatoSimError):
    """An output file could not be written."""

    exit_code = EXIT_OUTPUT


class WorkerError(NatoSimError):
    """A worker process died before its blocks were done (killed, out of memory).

    Not a mistake in nato-sim's code, yet the run is incomplete: `results`, when set,
    holds the blocks finished before, marked partial (``results.partial``).

    Args:
        reason: which worker died and how.
        results: the partial results, when there are any to keep.
    """

    exit_code = EXIT_INTERNAL

    def __init__(self, reason: str, results: Any = None) -> None:
        self.reason = reason
        self.results = results
        text = reason
        if results is not None:
            text += (
                f"; the {results.trials:,} {'trial' if results.trials == 1 else 'trials'} "
                "finished before are in this error's "
                "`results`, marked partial"
            )
        super().__init__(text)


@dataclass
class ScenarioError(NatoSimError):
    """An input file is missing or invalid; carries every problem found in it."""

    problems: list[Problem] = field(default_factory=list)
    exit_code = EXIT_INVALID

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} found"
        return head + ":\n" + "\n".join(f"  {p}" for p in self.problems)
