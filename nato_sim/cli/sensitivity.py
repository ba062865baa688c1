"""`nato-sim sensitivity`: which of a scenario's assumptions drives the answer.

Each output (an outcome's probability, the expected decision round or date) gets a table of
its inputs, the largest total index (Sobol) or mu* (Morris) first; every table is a Grid,
so it fits 60, 80 or 120 columns with numbers and paths whole.
"""

from __future__ import annotations

import io
import json
import shlex
import time
from enum import Enum
from typing import Annotated

import typer
from rich.console import Console, Group, RenderableType
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.text import Text

from nato_sim.analysis.sensitivity import (
    DEFAULT_LEVELS,
    DEFAULT_SAMPLES,
    DEFAULT_TRIALS,
    MAX_TOTAL_TRIALS,
    MIN_GROUPS,
    NOISE_WARNING,
    MorrisEffect,
    OutputSummary,
    Sensitivity,
    SobolIndex,
    sensitivity,
)
from nato_sim.analysis.sensitivity_design import RESAMPLES
from nato_sim.analysis.sensitivity_inputs import Input
from nato_sim.cli.app import (
    Format,
    FormatOption,
    OutputOption,
    SeedOption,
    SetOption,
    app,
    check_plot,
    emit,
    exit_if_partial,
    handle_errors,
    seed_or_fresh,
    stderr_console,
    stdout_console,
)
from nato_sim.cli.layout import Col, Fields, Grid, Paragraph, one_line
from nato_sim.cli.scheduler import SchedulerOption
from nato_sim.errors import EXIT_INTERRUPTED, WorkerError
from nato_sim.output.files import rows_to_csv
from nato_sim.output.tables import counted
from nato_sim.results.formats import long_date, pct

SOBOL_COLUMNS = ("first", "first_conf", "total", "total_conf")
MORRIS_COLUMNS = ("mu_star", "mu_star_conf", "mu", "sigma")
CSV_HEAD = ("method", "output", "output_name", "input", "distribution")
CSV_TAIL = (
    "output_mean",
    "output_variance",
    "noise_share",
    "evaluations",
    "stopped_by",
    "seed",
    "trials",
    "scenario",
    "scenario_hash",
    "overrides",
    "version",
)


class Method(str, Enum):
    """The designs and estimators."""

    sobol = "sobol"
    morris = "morris"


class EvaluationProgress:
    """Evaluations finished, as a bar on stderr once the analysis has taken a second."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.monotonic()
        self.progress: Progress | None = None
        self.task: TaskID | None = None

    def __call__(self, done: int, planned: int) -> None:
        if not self.enabled:
            return
        if self.progress is None and time.monotonic() - self.started > 1.0:
            self.progress = Progress(
                TextColumn("evaluating"),
                BarColumn(),
                TextColumn("{task.completed:,}/{task.total:,} evaluations"),
                TimeRemainingColumn(),
                console=stderr_console(),
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task("sensitivity", total=planned)
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, completed=done)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def replay_command(result: Sensitivity) -> str:
    """The command that runs the same analysis again, quoted for a POSIX shell."""
    p = result.provenance
    words = ["nato-sim", "sensitivity", p["scenario"], "--method", p["method"]]
    words += ["--samples", str(p["samples"]), "--trials", str(p["trials"])]
    if p["method"] == "morris":
        words += ["--levels", str(p["levels"])]
    words += ["--seed", str(p["seed"])]
    for text in p["vary"]:
        words += ["--vary", text]
    for override in p["overrides"]:
        words += ["--set", override]
    return shlex.join(words)


def design_text(result: Sensitivity) -> list[str]:
    """`Sobol: 512 base samples × (11 inputs + 2)`, `6,656 evaluations of 4,000 trials`."""
    p = result.provenance
    if p["method"] == "sobol":
        what, extra = "base samples", 2
    else:
        what, extra = f"trajectories on {p['levels']} levels", 1
    return [
        f"{p['method'].capitalize()}: {p['samples']:,} {what} × ({p['inputs']} inputs + {extra})",
        f"{counted(p['evaluations'], 'evaluation')} of {counted(p['trials'], 'trial')}",
    ]


def header(result: Sensitivity) -> list[RenderableType]:
    """What was run and how to run it again; whether it was cut short."""
    p = result.provenance
    lines: list[RenderableType] = [
        Text(f"Sensitivity of {p['scenario']}: which input drives each output", style="bold"),
        Fields(
            [
                f"nato-sim {p['version']}",
                f"{p['scenario']} (hash {p['scenario_hash']})",
                *design_text(result),
                f"seed {p['seed']}",
                p["bit_generator"],
                f"numpy {p['numpy']}",
                f"SALib {p['salib']}",
            ],
            style="dim",
        ),
        one_line(f"replay: {replay_command(result)}"),
    ]
    if result.partial:
        why = "interrupted" if p["stopped_by"] == "interrupted" else "a worker process died"
        groups = "base samples" if p["method"] == "sobol" else "trajectories"
        finished = p["evaluations_finished"] // (p["inputs"] + (2 if p["method"] == "sobol" else 1))
        lines.append(
            Paragraph(
                f"PARTIAL: {why} after {p['evaluations_finished']:,} of {p['evaluations']:,} "
                f"evaluations; the figures rest on the {finished:,} {groups} finished",
                style="bold red",
            )
        )
    return lines


def values_text(item: Input) -> str:
    """The values an input takes, in one piece: `uniform 0.08–0.25`, `beta(2,5)`,
    `whole 2–5`, with `(--vary)` for a range given on the command line."""
    if item.beta is not None:
        text = f"beta({item.beta[0]:g},{item.beta[1]:g})"
    else:
        low, high = f"{item.low:g}", f"{item.high:g}"
        joint = "–" if item.low >= 0 else "\N{NO-BREAK SPACE}to\N{NO-BREAK SPACE}"
        text = f"{'whole' if item.integer else 'uniform'}\N{NO-BREAK SPACE}{low}{joint}{high}"
    return text + ("\N{NO-BREAK SPACE}(--vary)" if item.origin == "--vary" else "")


def inputs_grid(result: Sensitivity) -> Grid:
    """Each input and the values it takes."""
    grid = Grid(
        [Col("input"), Col("values")],
        title=f"Inputs ({len(result.inputs)}): held fixed within an evaluation, varied across",
    )
    for item in result.inputs:
        grid.add_row(item.path, values_text(item))
    return grid


def _value(summary: OutputSummary, value: float) -> str:
    if summary.kind == "probability":
        return pct(value)
    if summary.kind == "date" and summary.mean_date is not None:
        return long_date(summary.mean_date)
    return f"{value:.2f}"


def _spread(summary: OutputSummary) -> str:
    sd = summary.variance**0.5
    if summary.kind == "probability":
        return f"{100 * sd:.1f} pp"
    if summary.kind == "date":
        return f"{sd:.1f} days"
    return f"{sd:.2f} rounds"


def output_title(summary: OutputSummary) -> str:
    """The output, its mean and spread across evaluations, and the noise in it."""
    share = summary.noise_share or 0.0
    text = (
        f"{summary.name}: mean {_value(summary, summary.mean)}, sd {_spread(summary)} across "
        f"evaluations; Monte Carlo noise {100 * share:.1f}% of its variance"
    )
    return text + (" (high: use more --trials)" if summary.noisy else "")


def _index(value: float, conf: float) -> str:
    """An index with the half-width of its interval, `0.62 ±0.05`; never `-0.00`."""
    shown = f"{value:.2f}"
    if float(shown) == 0:
        shown = "0.00"
    return f"{shown} ±{conf:.2f}"


def _morris_number(summary: OutputSummary, value: float, sign: bool = False) -> str:
    digits = 2 if summary.kind == "round" else 1
    scale = 100 if summary.kind == "probability" else 1
    if round(scale * value, digits) == 0:
        value, sign = 0.0, False  # no `+0.0` nor `-0.0`
    form = "+" if sign else ""
    if summary.kind == "probability":
        return f"{100 * value:{form}.1f} pp"
    if summary.kind == "date":
        return f"{value:{form}.1f} d"
    return f"{value:{form}.2f}"


def effects_grid(result: Sensitivity, summary: OutputSummary) -> Grid:
    """The inputs' effects on one output, the largest first."""
    ranked = result.ranked(summary.key)
    if result.method == "sobol":
        grid = Grid(
            [Col("input"), Col("S1", "right"), Col("ST", "right"), Col("", bar=True)],
            title=output_title(summary),
        )
        for e in ranked:
            assert isinstance(e, SobolIndex)
            grid.add_row(
                e.input,
                _index(e.first, e.first_conf),
                _index(e.total, e.total_conf),
                max(0.0, min(1.0, e.total)),
            )
        return grid
    grid = Grid(
        [
            Col("input"),
            Col("mu*", "right"),
            Col("mu", "right"),
            Col("sigma", "right"),
            Col("", bar=True),
        ],
        title=output_title(summary),
    )
    top = max((e.rank_key for e in ranked), default=0.0) or 1.0
    for e in ranked:
        assert isinstance(e, MorrisEffect)
        conf = _morris_number(summary, e.mu_star_conf).split(" ")[0]
        grid.add_row(
            e.input,
            f"{_morris_number(summary, e.mu_star)} ±{conf}",
            _morris_number(summary, e.mu, sign=True),
            _morris_number(summary, e.sigma),
            e.mu_star / top,
        )
    return grid


def notes(result: Sensitivity) -> list[str]:
    """How to read the tables, the noise, the outputs without indices."""
    p = result.provenance
    found = []
    if result.method == "sobol":
        found.append(
            "S1: the share of the output's variance the input explains alone; ST: with all "
            "its interactions. ± half-width of a 95% bootstrap interval "
            f"({RESAMPLES:,} resamples of the base samples). Rows: largest ST first."
        )
    else:
        found.append(
            "mu*: the mean absolute change in the output as the input moves over its whole "
            "range (elementary effects), ± half-width of a 95% bootstrap interval; mu: the "
            "mean signed change; sigma: their spread (interactions or a curved effect). "
            "Rows: largest mu* first; a screen, not a share of variance."
        )
    found.append(
        f"Every evaluation ran {counted(p['trials'], 'trial')} with seed {p['seed']} "
        "(common random "
        "numbers), so evaluations differ by their inputs, not by fresh noise; the noise "
        "share is the mean binomial (within-evaluation) variance over the variance across "
        "evaluations, an upper bound of what noise adds to a total index."
    )
    constant = [o for o in result.outputs if o.constant]
    if constant:
        found.append(
            "The same in every evaluation, so without indices: "
            + "; ".join(f"{o.name} {_value(o, o.mean)}" for o in constant)
        )
    return found


def sensitivity_view(result: Sensitivity) -> Group:
    """The header, the inputs, one table per output, and how to read them."""
    parts: list[RenderableType] = [*header(result), inputs_grid(result)]
    for summary in result.outputs:
        if not summary.constant:
            parts.append(effects_grid(result, summary))
    parts += [Paragraph(note, style="dim") for note in notes(result)]
    return Group(*parts)


def csv_columns(method: str) -> tuple[str, ...]:
    """The CSV's columns for a method."""
    return CSV_HEAD + (SOBOL_COLUMNS if method == "sobol" else MORRIS_COLUMNS) + CSV_TAIL


@app.command("sensitivity")
@handle_errors
def sensitivity_command(
    scenario: Annotated[str, typer.Argument(help="Scenario file or bundled name (nato-2024).")],
    vary: Annotated[
        list[str] | None,
        typer.Option(
            "--vary",
            metavar="PATH=LO:HI",
            help="Also vary a fixed value uniformly over [LO, HI], or replace an uncertain "
            "value's distribution by that range, e.g. objections.tur-rutte.lift=0:0.5 "
            "(repeatable).",
        ),
    ] = None,
    set_: SetOption = None,
    method: Annotated[
        Method,
        typer.Option(
            "--method",
            help="sobol: first-order and total indices; morris: elementary effects, a "
            "cheaper screen of many inputs.",
        ),
    ] = Method.sobol,
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples",
            min=2,
            help=f"Sobol base samples, a power of 2 [default: {DEFAULT_SAMPLES['sobol']}]; "
            f"Morris trajectories [default: {DEFAULT_SAMPLES['morris']}]. Sobol runs "
            "samples × (inputs + 2) evaluations, Morris samples × (inputs + 1).",
        ),
    ] = None,
    trials: Annotated[
        int,
        typer.Option("--trials", "-n", min=1, help="Trials per evaluation, all with one seed."),
    ] = DEFAULT_TRIALS,
    levels: Annotated[
        int, typer.Option("--levels", min=2, help="Morris grid levels (even).")
    ] = DEFAULT_LEVELS,
    seed: SeedOption = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            "-w",
            min=1,
            help="Processes to run evaluations in (default: all cores). Results do not "
            "depend on it.",
        ),
    ] = None,
    scheduler: SchedulerOption = None,
    max_total_trials: Annotated[
        int,
        typer.Option(
            "--max-total-trials",
            min=1,
            help="Refuse designs that would run more trials than this in all.",
        ),
    ] = MAX_TOTAL_TRIALS,
    format: FormatOption = Format.table,
    output: OutputOption = None,
    plot: Annotated[
        str | None,
        typer.Option(
            "--plot",
            help="Also draw each output's indices as bars with their intervals to FILE.png "
            "or FILE.svg (needs the 'plot' extra).",
        ),
    ] = None,
) -> None:
    """Which assumption drives the answer: global sensitivity analysis (SALib).

    The inputs are every uncertain value of the scenario ({uniform} or {beta}), named by
    its --set path, and the ranges of --vary. Each evaluation holds every input at a value
    of the design and runs the scenario with the same seed (common random numbers); the
    outputs are each outcome's probability and the expected decision round and date. For
    each output, a table of the inputs, the largest total effect first. Needs the
    'sensitivity' extra; docs/sensitivity.md.
    """
    check_plot(plot)
    seed = seed_or_fresh(seed)
    console = stderr_console()
    reporter = EvaluationProgress(enabled=console.is_terminal and format != Format.json)
    lost: WorkerError | None = None
    try:
        result = sensitivity(
            scenario,
            set_ or [],
            vary=vary or [],
            method=method.value,
            samples=samples,
            trials=trials,
            rng=seed,
            workers=workers,
            levels=levels,
            max_total_trials=max_total_trials,
            on_progress=reporter,
            scheduler=scheduler,
        )
    except WorkerError as error:
        if not isinstance(error.results, Sensitivity):
            raise
        result, lost = error.results, error
    finally:
        reporter.close()
    p = result.provenance
    if not result.effects and result.partial:
        groups = "base samples" if p["method"] == "sobol" else "trajectories"
        message = (
            f"{p['evaluations_finished']:,} of {p['evaluations']:,} evaluations finished, too "
            f"few for indices (at least {MIN_GROUPS} whole {groups} are needed)"
        )
        if lost is not None:
            raise WorkerError(f"{lost.reason}; {message}")
        typer.echo(f"interrupted: {message}", err=True)
        raise typer.Exit(EXIT_INTERRUPTED)
    for summary in result.outputs:
        if summary.noisy:
            typer.echo(
                f"warning: Monte Carlo noise is {100 * (summary.noise_share or 0):.1f}% of the "
                f"variance of {summary.name} across evaluations (more than "
                f"{100 * NOISE_WARNING:.0f}%); more --trials would sharpen its indices",
                err=True,
            )
    if plot is not None:
        from nato_sim.output.figures import save_figure

        save_figure(result.plot(), plot)
        typer.echo(f"wrote {plot}", err=True)
    if format == Format.json:
        emit(json.dumps(result.to_dict(), indent=2, default=str) + "\n", output)
    elif format == Format.csv:
        rows = result.records()
        emit(rows_to_csv(rows, None if rows else csv_columns(result.method)), output)
    elif output is None:
        stdout_console().print(sensitivity_view(result), crop=False)
    else:
        recorder = Console(record=True, width=120, file=io.StringIO())
        recorder.print(sensitivity_view(result), crop=False)
        emit(recorder.export_text(), output)
    exit_if_partial(
        lost,
        result.partial,
        f"the indices of the {counted(p['evaluations_finished'], 'evaluation')} finished "
        "before are printed",
        f"interrupted after {p['evaluations_finished']:,} of {p['evaluations']:,} "
        "evaluations; the indices are partial (marked as such)",
    )
