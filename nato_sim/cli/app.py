"""The Typer application, its shared options and the one place errors become exit codes."""

from __future__ import annotations

import functools
import os
import secrets
import sys
import traceback
from enum import Enum
from typing import Annotated, Any

import typer
from rich.console import Console

from nato_sim._version import __version__
from nato_sim.cli.help import HelpCommand, HelpGroup
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
    OutputError,
    ScenarioError,
    WorkerError,
)
from nato_sim.output.paths import check_output_path

# Shown under the commands in `nato-sim --help`, each line as it is, so that it copies whole
# (tests/test_cli_surface.py runs them).
EXAMPLES = (
    "nato-sim scenarios",
    "nato-sim run nato-2024 --seed 1",
    "nato-sim show nato-2024 -o my-2024.yaml",
    "nato-sim run my-2024.yaml --set decision.rounds=20",
    "nato-sim compare nato-2024 --set objections.tur-rutte.lift=0.6",
    "nato-sim explain nato-2024",
    "nato-sim backtest --format csv -o backtest.csv",
)


class _Group(HelpGroup):
    examples = EXAMPLES


class _Typer(typer.Typer):
    """Typer whose commands write their help with HelpCommand unless told otherwise."""

    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", HelpCommand)
        return super().command(*args, **kwargs)


app = _Typer(
    name="nato-sim",
    help="Simulate who will lead NATO next: consensus, vetoes lifted for a price, "
    "rivals withdrawing, terms extended.",
    cls=_Group,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"nato-sim {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Options of the tool as a whole."""


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


def _checked_output(ctx: typer.Context, value: str | None) -> str | None:
    """Refuse an output file that cannot be written before any work is done (exit 4)."""
    if value is not None and not ctx.resilient_parsing:
        try:
            check_output_path(value)
        except OutputError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(error.exit_code) from None
    return value


OutputOption = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        callback=_checked_output,
        help="Write the data to this file (atomically) instead of stdout.",
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
    """Refuse a bad --plot file (extension, missing matplotlib, a folder that is not there or
    cannot be written) before any work is done."""
    if plot is not None:
        from nato_sim.output.figures import check_plot_path

        check_plot_path(plot)
        check_output_path(plot)


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


def exit_if_partial(
    lost: WorkerError | None, partial: bool, finished: str, interrupted: str
) -> None:
    """After partial results are printed: say why on stderr and exit with the code that
    says it (a worker died, or Ctrl-C). `finished` says what was printed ("the results of the
    1,000 trials finished before are printed"), `interrupted` is the whole Ctrl-C message."""
    if lost is not None:
        typer.echo(f"error: {lost.reason}; {finished}, marked partial", err=True)
        raise typer.Exit(lost.exit_code)
    if partial:
        typer.echo(interrupted, err=True)
        raise typer.Exit(EXIT_INTERRUPTED)


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
