"""`nato-sim timeline`: a race's snapshot scenarios run in as-of order, forecasts side by side."""

from __future__ import annotations

import io
import json
import shlex
from types import SimpleNamespace
from typing import Annotated

import typer
from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from nato_sim.analysis.timeline import (
    CSV_COLUMNS,
    DEFAULT_TRIALS,
    Timeline,
    date_text,
    load_snapshots,
    run_snapshots,
)
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
from nato_sim.cli.render import interval, pct
from nato_sim.cli.run import ProgressReporter
from nato_sim.errors import EXIT_INTERRUPTED, WorkerError
from nato_sim.output.files import rows_to_csv
from nato_sim.output.tables import counted


def replay_commands(result: Timeline, overrides: list[str]) -> tuple[str, str]:
    """The command that runs the whole timeline again, and the one for a single snapshot."""
    prov = result.provenance
    tail = ["--trials", str(prov["trials"]), "--seed", str(prov["seed"])]
    for override in overrides:
        tail += ["--set", override]
    whole = shlex.join(["nato-sim", "timeline", result.case, *tail])
    one = shlex.join(["nato-sim", "run", f"{result.case}/FILE", *tail])
    return whole, one


def header(result: Timeline, overrides: list[str]) -> Group:
    """What was run and how to run it again."""
    p = result.provenance
    n = p["snapshots"]
    text = (
        f"nato-sim {p['version']} · timeline {result.case} · {n} snapshot{'s' if n != 1 else ''}"
        f" · {counted(p['trials'], 'trial')} each · seed {p['seed']} · {p['bit_generator']} · "
        f"numpy {p['numpy']}"
    )
    whole, one = replay_commands(result, overrides)
    # A wrapped replay line would paste into a shell as two commands: keep each on one line.
    lines: list[RenderableType] = [
        Text(text, style="bold"),
        Text(f"replay: {whole}", style="dim", no_wrap=True, overflow="ignore"),
        Text(f"one snapshot: {one}", style="dim", no_wrap=True, overflow="ignore"),
    ]
    if result.partial:
        why = {
            "interrupted": "interrupted",
            "worker-died": "a worker process died",
        }.get(p["stopped_by"], p["stopped_by"])
        last = result.points[-1] if result.points else None
        cut = (
            f"; the snapshot of {date_text(last.as_of)} covers only the trials finished"
            if last is not None and last.partial
            else ""
        )
        lines.append(
            Text(
                f"PARTIAL: {why}; {p['snapshots_finished']} of {n} snapshots finished{cut}",
                style="bold red",
            )
        )
    return Group(*lines)


def outcome_table(result: Timeline) -> Table:
    """P(outcome) with its 95% interval, snapshot by snapshot; the actual outcome marked."""
    actual = result.actual
    table = Table(
        title="P(outcome) by as-of date",
        title_justify="left",
        caption=(
            "95% Wilson intervals"
            + (f"; ✔ what happened, on {date_text(actual.date)}" if actual is not None else "")
        ),
        caption_justify="left",
    )
    table.add_column("as of", no_wrap=True)
    table.add_column("outcome", overflow="fold")
    table.add_column("P", justify="right", no_wrap=True)
    table.add_column("95% interval", justify="right", no_wrap=True)
    for point in result.points:
        rows = [point.outcome_row(o) for o in result.outcomes]
        rows = [r for r in rows if r is not None]
        for i, row in enumerate(rows):
            is_actual = actual is not None and row.outcome == actual.outcome
            name = Text(("✔ " if is_actual else "") + row.name)
            if is_actual:
                name.stylize("bold")
            as_of = date_text(point.as_of) + ("*" if point.partial else "") if i == 0 else ""
            table.add_row(
                as_of,
                name,
                pct(row.probability),
                interval(row.low, row.high),
                end_section=i == len(rows) - 1,
            )
    return table


def timing_table(result: Timeline) -> Table:
    """P(appointment) and the mean and median appointment date of each snapshot."""
    actual = result.actual
    caption = "dates: of the appointments, among the trials that end in one"
    if actual is not None:
        caption += (
            f"; actual decision: {date_text(actual.date)} ({escape(result.name(actual.outcome))})"
        )
    table = Table(
        title="Appointment date by as-of date",
        title_justify="left",
        caption=caption,
        caption_justify="left",
    )
    table.add_column("as of", no_wrap=True)
    for name in ("P(appointed)", "mean date", "median date"):
        table.add_column(name, justify="right", no_wrap=True)
    for point in result.points:
        mean = (
            date_text(point.mean_date)
            if point.mean_date is not None
            else _round_text(point.mean_round, "{:.2f}")
        )
        median = (
            date_text(point.median_date)
            if point.median_date is not None
            else _round_text(point.median_round, "{:g}")
        )
        table.add_row(
            date_text(point.as_of) + ("*" if point.partial else ""),
            pct(point.p_appointed),
            mean,
            median,
        )
    return table


def _round_text(value: float | None, form: str) -> str:
    return "–" if value is None else "round " + form.format(value)


def snapshot_table(result: Timeline) -> Table:
    """Which file each as-of date is, and its content hash (as `run` reports it)."""
    table = Table(title="Snapshots", title_justify="left")
    table.add_column("as of", no_wrap=True)
    table.add_column("file", overflow="fold")
    table.add_column("scenario hash", no_wrap=True)
    for point in result.points:
        table.add_row(
            date_text(point.as_of), escape(point.file), point.results.provenance["scenario_hash"]
        )
    for snap in result.not_run:
        table.add_row(date_text(snap.as_of), escape(snap.file), "not run")
    return table


def timeline_view(result: Timeline, overrides: list[str]) -> Group:
    """Every table of a timeline, header first."""
    parts: list[RenderableType] = [
        header(result, overrides),
        outcome_table(result),
        timing_table(result),
        snapshot_table(result),
    ]
    if any(p.partial for p in result.points):
        parts.append(Text("* partial: the run of this snapshot was cut short", style="dim"))
    return Group(*parts)


@app.command("timeline")
@handle_errors
def timeline_command(
    case: Annotated[
        str,
        typer.Argument(
            help="A folder of snapshot scenarios of one race (every *.yaml in it, each with "
            "its as_of), or a bundled one such as history/nato-2024."
        ),
    ],
    trials: Annotated[
        int, typer.Option("--trials", "-n", min=1, help="Trials per snapshot.")
    ] = DEFAULT_TRIALS,
    seed: SeedOption = None,
    set_: SetOption = None,
    workers: WorkersOption = None,
    format: FormatOption = Format.table,
    output: OutputOption = None,
    plot: Annotated[
        str | None,
        typer.Option(
            "--plot",
            help="Also draw P(each outcome) and the expected appointment date against the "
            "as-of date to FILE.png or FILE.svg (needs the 'plot' extra).",
        ),
    ] = None,
) -> None:
    """Run a race's snapshots in as-of order: how the forecast moved with the news.

    Every snapshot runs with the same seed and trials, as `nato-sim run FILE` would run it.
    The table gives, for each as-of date, P(each outcome) with its 95% interval and the
    mean and median appointment date; the actual outcome (from `outcome:`) is marked.
    """
    check_plot(plot)
    overrides = set_ or []
    # Every snapshot is read and checked before a seed is drawn or anything runs.
    label, snapshots, actual = load_snapshots(case, overrides)
    seed = seed_or_fresh(seed)
    reporter = ProgressReporter(0, enabled=stderr_console().is_terminal and format != Format.json)

    def progress(done: int, total: int) -> None:
        reporter.total = total
        reporter(None, SimpleNamespace(trials=done))

    lost: WorkerError | None = None
    try:
        result = run_snapshots(
            label,
            snapshots,
            actual,
            trials=trials,
            rng=seed,
            workers=workers,
            overrides=overrides,
            on_progress=progress,
        )
    except WorkerError as error:
        if not isinstance(error.results, Timeline) or not error.results.points:
            raise WorkerError(error.reason) from None
        result, lost = error.results, error
    finally:
        reporter.close()
    if not result.points:
        typer.echo("interrupted before any trial finished", err=True)
        raise typer.Exit(EXIT_INTERRUPTED)
    if plot is not None:
        from nato_sim.output.figures import save_figure

        save_figure(result.plot(), plot)
        typer.echo(f"wrote {plot}", err=True)
    if format == Format.json:
        emit(json.dumps(result.to_dict(), indent=2, default=str) + "\n", output)
    elif format == Format.csv:
        emit(rows_to_csv(result.records(), CSV_COLUMNS), output)
    elif output is None:
        stdout_console().print(timeline_view(result, overrides), crop=False)
    else:
        recorder = Console(record=True, width=120, file=io.StringIO())
        recorder.print(timeline_view(result, overrides), crop=False)
        emit(recorder.export_text(), output)
    p = result.provenance
    exit_if_partial(
        lost,
        result.partial,
        f"what was run before ({p['snapshots_finished']} of {p['snapshots']} snapshots "
        "finished) is printed",
        f"interrupted with {p['snapshots_finished']} of {p['snapshots']} snapshots "
        "finished; the results are partial (marked as such)",
    )
