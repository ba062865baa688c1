"""`nato-sim compare`, `explain` and `sweep`: what-if analysis from the command line."""

from __future__ import annotations

import io
import json
from typing import Annotated

import typer
from rich.console import Console, Group
from rich.style import Style
from rich.table import Table
from rich.text import Text

from nato_sim.analysis.compare import Comparison, DiffRow, compare
from nato_sim.analysis.explain import Explanation, explain
from nato_sim.analysis.sweep import (
    MAX_TOTAL_TRIALS,
    Sweep,
    check_outcome,
    outcome_labels,
    sweep,
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
    handle_errors,
    seed_or_fresh,
    stdout_console,
)
from nato_sim.cli.render import add_columns, bar, pct
from nato_sim.output.files import rows_to_csv
from nato_sim.scenario.loader import load

ScenarioArgument = Annotated[str, typer.Argument(help="Scenario file or bundled name.")]
PlotOption = Annotated[
    str | None,
    typer.Option(
        "--plot", help="Also draw a figure to FILE.png or FILE.svg (needs the 'plot' extra)."
    ),
]


TrialsOption = Annotated[int, typer.Option("--trials", "-n", min=1, help="Trials per run.")]


def _finish(result, view, format: Format, output: str | None, plot: str | None) -> None:
    """Draw the plot if asked, then print or write the result in the chosen format."""
    if plot is not None:
        from nato_sim.output.figures import save_figure

        save_figure(result.plot(), plot)
        typer.echo(f"wrote {plot}", err=True)
    if format == Format.json:
        emit(json.dumps(result.to_dict(), indent=2, default=str) + "\n", output)
    elif format == Format.csv:
        emit(rows_to_csv(result.records()), output)
    elif output is None:
        stdout_console().print(view)
    else:
        recorder = Console(record=True, width=120, file=io.StringIO())
        recorder.print(view)
        emit(recorder.export_text(), output)


def _diff_cells(row: DiffRow) -> list[str]:
    if row.section == "timing":
        return [
            f"{row.baseline:.2f}",
            f"{row.variant:.2f}",
            f"{row.difference:+.2f}",
            f"[{row.low:+.2f}, {row.high:+.2f}]",
        ]
    return [
        pct(row.baseline),
        pct(row.variant),
        f"{100 * row.difference:+.1f} pp",
        f"[{100 * row.low:+.1f}, {100 * row.high:+.1f}] pp",
    ]


def _mark(row: DiffRow) -> str:
    return "*" if row.distinguishable else ""


def comparison_view(comparison: Comparison, replay: str) -> Group:
    """The side-by-side table, the method and the replay line."""
    prov = comparison.provenance
    variant = " ".join(prov["variant"]["overrides"]) or prov["variant"]["scenario"]
    table = Table(title=f"{prov['baseline']['scenario']} vs {variant}", title_justify="left")
    add_columns(
        table,
        (
            ("", "left"),
            ("baseline", "right"),
            ("variant", "right"),
            ("difference", "right"),
            ("95% interval", "right"),
            ("", "left"),
        ),
    )
    for row in comparison.rows:
        table.add_row(row.name, *_diff_cells(row), _mark(row))
    notes = Text(
        f"* distinguishable from noise: the interval of the difference excludes 0\n"
        f"intervals: {comparison.method}; both sides share seed {prov['seed']} "
        f"and {prov['trials']:,} trials",
        style="dim",
    )
    return Group(table, notes, Text(f"replay: {replay}", style="dim"))


def explanation_view(explanation: Explanation, replay: str) -> Group:
    """The veto-impact table, the pivotal members and the replay line."""
    winner = explanation.winner
    table = Table(
        title=f"Veto impact: each objection rule taken away (most likely outcome: {winner})",
        title_justify="left",
    )
    add_columns(
        table,
        (
            ("rule", "left"),
            ("objection", "left"),
            ("P(candidate)", "right"),
            ("change", "right"),
            (f"change P({winner})", "right"),
            ("change exp. round", "right"),
            ("sole blocker", "right"),
            ("impact", "right"),
        ),
    )
    for r in explanation.rules:
        cand, win, rnd = r.candidate_change, r.winner_change, r.round_change
        table.add_row(
            r.rule,
            f"{' '.join(r.members)} → {r.candidate or '–'}",
            f"{pct(cand.baseline)} → {pct(cand.variant)}",
            f"{100 * cand.difference:+.1f} pp{_mark(cand)}",
            f"{100 * win.difference:+.1f} pp{_mark(win)}",
            f"{rnd.difference:+.2f}{_mark(rnd)}",
            pct(r.sole_blocker),
            pct(r.impact),
        )
    if not explanation.rules:
        table.add_row("(the scenario has no objection rules)", *[""] * 7)
    pivotal = Table(
        title="Pivotal members: the last one blocking a candidate who lost", title_justify="left"
    )
    for name in ("member", "candidate", "still objecting", "sole blocker", "share of trials"):
        pivotal.add_column(name, justify="left" if name in ("member", "candidate") else "right")
    for p in explanation.pivotal:
        pivotal.add_row(
            p.member,
            p.candidate,
            pct(p.still_objecting),
            pct(p.sole_blocker),
            pct(p.sole_blocker_trials),
        )
    prov = explanation.provenance
    notes = [
        "* distinguishable from noise (the interval of the change excludes 0)",
        "a rule is taken away by setting its chance to 0 (never raised)",
        "change exp. round: mean decision round, undecided trials counted at R + 1",
        "sole blocker: share of trials in which a member of the rule was the only one still "
        "objecting when its candidate lost",
        "impact: share of trials whose outcome changes (total variation distance)",
        "still objecting / sole blocker: share of the candidate's losses",
        f"intervals: {explanation.method}; every run shares seed {prov['seed']} and "
        f"{prov['trials']:,} trials",
    ]
    return Group(
        table, pivotal, Text("\n".join(notes), style="dim"), Text(f"replay: {replay}", style="dim")
    )


def _heat(value: float) -> Style:
    """A background from dark blue (0) to light yellow (1)."""
    from rich.color import Color

    low, high = (30, 40, 110), (250, 230, 120)
    rgb = [round(a + (b - a) * value) for a, b in zip(low, high, strict=True)]
    return Style(bgcolor=Color.from_rgb(*rgb), color="black" if value > 0.55 else "white")


def sweep_view(result: Sweep, outcome: str, replay: str) -> Group:
    """One axis: a table of outcome probabilities with a bar; two: a heat grid."""
    names = {o.outcome: o.name for o in result.baseline.outcomes}
    if len(result.axes) == 1:
        axis = result.axes[0]
        shown = [o for o in result.outcomes if result.grid(o)[0].max() > 0 or o == outcome]
        table = Table(
            title=f"Sweep of {axis.path}: P(outcome) and 95% interval", title_justify="left"
        )
        table.add_column(axis.path, justify="right")
        for label in shown:
            table.add_column(names[label], justify="right")
        table.add_column(f"P({outcome})", justify="left")
        grids = {label: result.grid(label) for label in shown}
        for i, value in enumerate(axis.values):
            cells = [
                f"{100 * grids[o][0][i]:.1f}% ({100 * grids[o][1][i]:.1f}–"
                f"{100 * grids[o][2][i]:.1f})"
                for o in shown
            ]
            table.add_row(f"{value:g}", *cells, bar(grids[outcome][0][i]))
    else:
        first, second = result.axes
        p = result.grid(outcome)[0]
        table = Table(
            title=f"P({names[outcome]}) in %: rows {first.path}, columns {second.path}",
            title_justify="left",
        )
        table.add_column(f"{first.path} \\ {second.path}", justify="right")
        for value in second.values:
            table.add_column(f"{value:g}", justify="right")
        for i, value in enumerate(first.values):
            table.add_row(
                f"{value:g}",
                *(
                    Text(f"{100 * p[i, j]:5.1f}", style=_heat(p[i, j]))
                    for j in range(len(second.values))
                ),
            )
    prov = result.provenance
    note = Text(
        f"{prov['points']} points × {prov['trials']:,} trials, every point with seed "
        f"{prov['seed']}",
        style="dim",
    )
    return Group(table, note, Text(f"replay: {replay}", style="dim"))


def _replay(
    command: str, scenario: str, sets: list[str], trials: int, seed: int, extra: str = ""
) -> str:
    overrides = "".join(f" --set {s}" for s in sets)
    return f"nato-sim {command} {scenario}{extra}{overrides} --trials {trials} --seed {seed}"


@app.command("compare")
@handle_errors
def compare_command(
    scenario: ScenarioArgument,
    set_: SetOption = None,
    against: Annotated[
        str | None,
        typer.Option(
            "--against",
            help="Compare with this scenario instead of with the "
            "overridden copy; --set then applies to it.",
        ),
    ] = None,
    trials: TrialsOption = 100_000,
    seed: SeedOption = None,
    workers: WorkersOption = None,
    format: FormatOption = Format.table,
    output: OutputOption = None,
    plot: PlotOption = None,
) -> None:
    """Compare a scenario with a variant (--set or --against), outcome by outcome.

    Both sides run with the same seed (common random numbers), so small differences show.
    The 95% interval of each difference comes from the spread of the paired difference
    over about 40 independent blocks of trials (batch means, t quantile), which accounts
    for the correlation between the sides. Rows marked * are distinguishable from noise:
    their interval excludes 0.
    """
    check_plot(plot)
    if not set_ and against is None:
        typer.echo("note: no --set or --against, so the scenario is compared with itself", err=True)
    seed = seed_or_fresh(seed)
    result = compare(
        scenario, set_ or [], against=against, trials=trials, rng=seed, workers=workers
    )
    extra = f" --against {against}" if against else ""
    view = comparison_view(result, _replay("compare", scenario, set_ or [], trials, seed, extra))
    _finish(result, view, format, output, plot)


@app.command("explain")
@handle_errors
def explain_command(
    scenario: ScenarioArgument,
    set_: SetOption = None,
    trials: TrialsOption = 50_000,
    seed: SeedOption = None,
    workers: WorkersOption = None,
    format: FormatOption = Format.table,
    output: OutputOption = None,
    plot: PlotOption = None,
) -> None:
    """Whose veto matters most: each objection rule taken away in turn.

    For each rule: the affected candidate's probability with and without it, the change
    for the most likely outcome and in the expected decision round (undecided trials
    counted at R + 1), sorted by impact; then the pivotal members of the baseline. Every
    run shares the seed; intervals as for `compare`. A rule is taken away by setting its
    chance to 0 (never raised), which keeps every other random number in place. The CSV
    has one row per rule; the JSON also holds the pivotal members.
    """
    check_plot(plot)
    seed = seed_or_fresh(seed)
    result = explain(scenario, set_ or [], trials=trials, rng=seed, workers=workers)
    view = explanation_view(result, _replay("explain", scenario, set_ or [], trials, seed))
    _finish(result, view, format, output, plot)


@app.command("sweep")
@handle_errors
def sweep_command(
    scenario: ScenarioArgument,
    vary: Annotated[
        list[str],
        typer.Option(
            "--vary",
            metavar="PATH=START:STOP:STEPS",
            help="A parameter and STEPS values from START to STOP inclusive, e.g. "
            "objections.tur-rutte.lift=0:1:11; give one or two.",
        ),
    ],
    set_: SetOption = None,
    outcome: Annotated[
        str | None,
        typer.Option(
            "--outcome",
            help="Outcome for the bar or grid (a candidate id, "
            "extension, no-decision) [default: the most likely "
            "without --vary].",
        ),
    ] = None,
    trials: TrialsOption = 20_000,
    seed: SeedOption = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            "-w",
            min=1,
            help="Processes to run grid points in (default: all cores). Results do "
            "not depend on it.",
        ),
    ] = None,
    max_total_trials: Annotated[
        int,
        typer.Option(
            "--max-total-trials", min=1, help="Refuse sweeps that would run more trials in total."
        ),
    ] = MAX_TOTAL_TRIALS,
    format: FormatOption = Format.table,
    output: OutputOption = None,
    plot: PlotOption = None,
) -> None:
    """Run a scenario over a grid of one or two parameters, every point with the same seed.

    One parameter: every outcome's probability with its interval per value. Two: a grid
    of one outcome (--outcome). Points run in parallel on --workers; the results do not
    depend on it. The CSV has one row per grid point and outcome.
    """
    check_plot(plot)
    loaded = load(scenario, set_ or [])
    if outcome is not None:
        check_outcome(outcome, outcome_labels(loaded))
    seed = seed_or_fresh(seed)
    result = sweep(
        loaded, vary, trials=trials, rng=seed, workers=workers, max_total_trials=max_total_trials
    )
    chosen = outcome or result.default_outcome
    extra = "".join(f" --vary {v}" for v in vary)
    view = sweep_view(result, chosen, _replay("sweep", scenario, set_ or [], trials, seed, extra))
    if plot is not None:
        from nato_sim.analysis.figures import sweep_figure
        from nato_sim.output.figures import save_figure

        save_figure(sweep_figure(result, outcome if len(vary) == 1 else chosen), plot)
        typer.echo(f"wrote {plot}", err=True)
    _finish(result, view, format, output, None)
