"""The Typer application, its shared options and the one place errors become exit codes."""

from __future__ import annotations

import functools
import os
import secrets
import sys
import traceback
from enum import Enum
from typing import Annotated

import typer
from rich.console import Console

from nato_sim.cli.stdout import (
    StdoutClosed,
    close_stdout,
    finish_stdout,
    stdout,
    stdout_identity,
)
from nato_sim.errors import (
    EXIT_CLOSED,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OUTPUT,
    NatoSimError,
    ScenarioError,
)

app = typer.Typer(
    name="nato-sim",
    help="Simulate who will lead NATO next: consensus, vetoes lifted for a price, "
    "rivals withdrawing, terms extended.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class Format(str, Enum):
    """Output formats of the data commands."""

    table = "table"
    json = "json"
    csv = "csv"


SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="PATH=VALUE",
        help="Override a field before validation, e.g. objections.tur-rutte.lift=0.6 (repeatable).",
    ),
]
TrialsOption = Annotated[int, typer.Option("--trials", "-n", min=1, help="Number of trials.")]
SeedOption = Annotated[
    int | None,
    typer.Option("--seed", "-s", min=0, help="Random seed; drawn and printed when absent."),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        "-w",
        min=1,
        help="Processes to run blocks in (default: all cores; never more than cores or blocks). "
        "Results do not depend on it.",
    ),
]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
OutputOption = Annotated[
    str | None,
    typer.Option(
        "--output", "-o", help="Write the data to this file (atomically) instead of stdout."
    ),
]


def stdout_console() -> Console:
    """The console for data; width and colour follow the terminal (or COLUMNS/NO_COLOR)."""
    return Console(file=stdout(), soft_wrap=False)


def stderr_console() -> Console:
    """The console for progress and messages."""
    return Console(stderr=True)


def handle_errors(command):
    """Turn the tool's errors into a message on stderr and their exit code.

    A mistake in the input is never shown as a traceback; a bug is, only when
    NATO_SIM_DEBUG is set, and otherwise as one line asking for a report.
    """

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (StdoutClosed, BrokenPipeError):
            # The reader has seen all it wanted (`| head`): stop as quietly as a pipe
            # stops any other tool.
            close_stdout()
            raise typer.Exit(EXIT_CLOSED) from None
        except ScenarioError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(error.exit_code) from None
        except NatoSimError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(error.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception as error:  # noqa: BLE001 - the last line of defence
            if os.environ.get("NATO_SIM_DEBUG"):
                traceback.print_exc()
            typer.echo(
                f"internal error: {type(error).__name__}: {error}\n"
                "This is a bug in nato-sim. Set NATO_SIM_DEBUG=1 to see the traceback.",
                err=True,
            )
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper


def seed_or_fresh(seed: int | None) -> int:
    """The given seed, or a fresh one printed on stderr so the command can be replayed."""
    if seed is None:
        seed = secrets.randbits(63)
        typer.echo(f"seed {seed} (pass --seed {seed} to replay)", err=True)
    return seed


def check_plot(plot: str | None) -> None:
    """Refuse a bad --plot file (extension, missing matplotlib) before any work is done."""
    if plot is not None:
        from nato_sim.output.figures import check_plot_path

        check_plot_path(plot)


def main() -> None:
    """Console-script entry point."""
    started_on = stdout_identity()
    try:
        app(prog_name="nato-sim")
    except KeyboardInterrupt:
        # Between the commands' own handling and the exit: still no traceback. Leave at once:
        # an interrupt raised on from here can make the interpreter end by the signal rather
        # than with the tool's status.
        typer.echo("interrupted", err=True)
        try:
            finish_stdout(started_on)
        finally:
            sys.stderr.flush()
            os._exit(EXIT_INTERRUPTED)
    except OSError as error:
        # Outside the commands, only --help and --version write: to stdout.
        close_stdout()
        if isinstance(error, BrokenPipeError):
            raise SystemExit(EXIT_CLOSED) from None
        typer.echo(f"error: cannot write to stdout: {error.strerror}", err=True)
        raise SystemExit(EXIT_OUTPUT) from None
    finally:
        # Data still buffered would otherwise meet a closed pipe or a full disk while the
        # interpreter exits, which reports it as an ignored exception.
        finish_stdout(started_on)


def emit(text: str, output: str | None) -> None:
    """Data to stdout, or atomically to a file."""
    if output is None:
        out = stdout()
        out.write(text)
        out.flush()
    else:
        from nato_sim.output.files import write_atomic

        write_atomic(output, text)
        typer.echo(f"wrote {output}", err=True)
