"""`nato-sim run`: simulate a scenario and report outcomes, timing and blockers."""

from __future__ import annotations

import io
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from nato_sim.cli.app import (
    Format,
    FormatOption,
    OutputOption,
    SeedOption,
    SetOption,
    WorkersOption,
    app,
    check_plot,
    emit,
    exit_if_partial,
    handle_errors,
    seed_or_fresh,
    stderr_console,
    stdout_console,
)
from nato_sim.cli.render import print_results
from nato_sim.cli.scheduler import SchedulerOption
from nato_sim.errors import EXIT_INTERRUPTED, WorkerError
from nato_sim.output.tables import counted
from nato_sim.results.export import to_csv, to_json
from nato_sim.running.executor import using_scheduler
from nato_sim.running.runner import simulate
from nato_sim.scenario.loader import load

DEFAULT_TRIALS = 100_000
DEFAULT_PRECISION_CAP = 10_000_000


class ProgressReporter:
    """A progress bar on stderr that appears only once a run has taken a second."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled
        self.started = time.monotonic()
        self.progress: Progress | None = None
        self.task: TaskID | None = None

    def __call__(self, block, counts) -> None:
        if not self.enabled:
            return
        if self.progress is None and time.monotonic() - self.started > 1.0:
            self.progress = Progress(
                TextColumn("simulating"),
                BarColumn(),
                TextColumn("{task.completed:,}/{task.total:,} trials"),
                TimeRemainingColumn(),
                console=stderr_console(),
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task("run", total=self.total)
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, completed=counts.trials)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


@app.command()
@handle_errors
def run(
    scenario: Annotated[str, typer.Argument(help="Scenario file or bundled name (nato-2024).")],
    trials: Annotated[
        int | None,
        typer.Option(
            "--trials",
            "-n",
            min=1,
            help="Number of trials [default: 100000; with --precision, the most "
            "that may run, default 10000000].",
        ),
    ] = None,
    seed: SeedOption = None,
    set_: SetOption = None,
    precision: Annotated[
        float | None,
        typer.Option(
            "--precision",
            "-p",
            min=0.0001,
            max=0.25,
            help="Run blocks until every probability's 95% interval half-width is at "
            "most this; --trials is then the most that may run.",
        ),
    ] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    format: FormatOption = Format.table,
    output: OutputOption = None,
    plot: Annotated[
        str | None,
        typer.Option(
            "--plot",
            help="Also draw outcomes and timing to FILE.png or FILE.svg (needs the 'plot' extra).",
        ),
    ] = None,
) -> None:
    """Simulate a scenario: outcome probabilities, timing, blockers and lifted objections."""
    check_plot(plot)
    loaded = load(scenario, set_ or [])
    seed = seed_or_fresh(seed)
    if trials is None:
        trials = DEFAULT_TRIALS if precision is None else DEFAULT_PRECISION_CAP
    console = stderr_console()
    reporter = ProgressReporter(trials, enabled=console.is_terminal and format != Format.json)
    lost: WorkerError | None = None
    try:
        with using_scheduler(scheduler):
            results = simulate(
                loaded, trials, seed, workers=workers, precision=precision, on_block=reporter
            )
    except WorkerError as error:
        if error.results is None:
            raise
        results, lost = error.results, error
    finally:
        reporter.close()
    if results.trials == 0:
        # Stopped while starting up: there are no figures to show, partial or not.
        if lost is not None:
            raise WorkerError(lost.reason)
        typer.echo("interrupted before any trial finished", err=True)
        raise typer.Exit(EXIT_INTERRUPTED)
    if plot is not None:
        from nato_sim.results.figures import save_run_plot

        save_run_plot(results, plot)
        typer.echo(f"wrote {plot}", err=True)
    if format == Format.table and output is None:
        print_results(results, stdout_console())
    elif format == Format.csv:
        emit(to_csv(results), output)
    elif format == Format.json:
        emit(to_json(results), output)
    else:
        recorder = Console(record=True, width=120, file=io.StringIO())
        print_results(results, recorder)
        emit(recorder.export_text(), output)
    exit_if_partial(
        lost,
        results.partial,
        f"the results of the {counted(results.trials, 'trial')} finished before are printed",
        f"interrupted after {counted(results.trials, 'trial')}; the results are partial "
        "(marked as such)",
    )
