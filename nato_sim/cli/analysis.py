"""`nato-sim compare`, `explain` and `sweep`: what-if analysis from the command line."""

from __future__ import annotations

import io
import json
from typing import Annotated

import typer
from rich.console import Console, Group, RenderableType
from rich.style import Style
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
from nato_sim.cli.layout import Col, Grid, one_line
from nato_sim.cli.scheduler import SchedulerOption
from nato_sim.output.files import rows_to_csv
from nato_sim.output.tables import counted
from nato_sim.results.formats import interval, pct, pp, pp_interval, rounds_interval, signed
from nato_sim.running.executor import using_scheduler
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
        # crop=False: the replay line is one shell command, never cut.
        stdout_console().print(view, crop=False)
    else:
        recorder = Console(record=True, width=120, file=io.StringIO())
        recorder.print(view, crop=False)
        emit(recorder.export_text(), output)


def _star(row: DiffRow) -> str:
    return "*" if row.marked else ""


def _difference(row: DiffRow) -> str:
    """A difference with its star: `+2.3 pp*` (probabilities) or `-1.67*` (rounds)."""
    text = signed(row.difference) if row.section == "timing" else pp(row.difference)
    return text + _star(row)


def _interval(row: DiffRow) -> str:
    if row.section == "timing":
        return rounds_interval(row.low, row.high)
    return pp_interval(row.low, row.high)


def _value(section: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f}" if section == "timing" else pct(value)


STAR_NOTE = (
    "* distinguishable from noise: the interval of the difference excludes 0 (a difference "
    "shown as 0.0 is not starred)"
)
ROUND_NOTE = (
    "expected decision round: the mean round of the decision, a trial with no appointment "
    "counted at R + 1 (run's mean appointment round counts only trials with one)"
)


def comparison_view(comparison: Comparison, replay: str) -> Group:
    """The side-by-side table, the method and the replay line."""
    prov = comparison.provenance
    variant = " ".join(prov["variant"]["overrides"]) or prov["variant"]["scenario"]
    grid = Grid(
        [
            Col("", wrap=True),
            Col("baseline", "right"),
            Col("variant", "right"),
            Col("difference", "right"),
            Col("95% interval", "right"),
        ],
        title=f"{prov['baseline']['scenario']} vs {variant}",
    )
    for section in ("outcome", "milestone", "timing"):
        for row in comparison.rows:
            if row.section == section:
                grid.add_row(
                    row.name,
                    _value(section, row.baseline),
                    _value(section, row.variant),
                    _difference(row),
                    _interval(row),
                )
        for u in comparison.unmatched:
            if u.section == section:
                grid.add_row(
                    u.name, _value(section, u.baseline), _value(section, u.variant), "n/a", ""
                )
    notes = [STAR_NOTE]
    if comparison.unmatched:
        notes.append(
            "n/a: not compared, the figure is on one side only (a candidate or milestone the "
            "other scenario lacks, or a milestone before its first round), or the two sides "
            "count rounds on different calendars"
        )
    notes += [
        ROUND_NOTE,
        f"intervals: {comparison.method}; both sides share seed {prov['seed']} "
        f"and {counted(prov['trials'], 'trial')}",
    ]
    grid.notes = notes
    return Group(grid, one_line(f"replay: {replay}"))


def _names(explanation: Explanation):
    base = explanation.baseline
    return base.member_name, base.candidate_name


def explanation_view(explanation: Explanation, replay: str) -> Group:
    """The veto impact on each rule's candidate and on the outcome, the pivotal members, the
    notes and the replay line."""
    member, candidate = _names(explanation)
    winner = candidate(explanation.winner)
    on_candidate = Grid(
        [
            Col("rule"),
            Col("objection", wrap=True),
            Col("P(candidate) with → without", "right"),
            Col("change", "right"),
        ],
        title="Veto impact on the candidate: each objection rule taken away",
        empty="(the scenario has no objection rules)",
    )
    on_outcome = Grid(
        [
            Col("rule"),
            Col(f"change in P({winner})", "right"),
            Col("change in expected decision round", "right"),
            Col("sole blocker, share of all trials", "right"),
            Col("impact", "right"),
        ],
        title=f"Veto impact on the outcome (the most likely: {winner})",
    )
    for r in explanation.rules:
        cand, win, rnd = r.candidate_change, r.winner_change, r.round_change
        parties = (
            f"{', '.join(member(m) for m in r.members)} → "
            f"{', '.join(candidate(c) for c in r.candidates) or '–'}"
        )
        on_candidate.add_row(
            r.rule,
            parties,
            f"{pct(cand.baseline)} → {pct(cand.variant)}",
            _difference(cand),
        )
        on_outcome.add_row(
            r.rule, _difference(win), _difference(rnd), pct(r.sole_blocker), pct(r.impact)
        )
    pivotal = Grid(
        [
            Col("member", wrap=True),
            Col("candidate", wrap=True),
            Col("still objecting, share of losses", "right"),
            Col("sole blocker, share of losses", "right"),
            Col("sole blocker, share of all trials", "right"),
        ],
        [
            (
                member(p.member),
                candidate(p.candidate),
                pct(p.still_objecting),
                pct(p.sole_blocker),
                pct(p.sole_blocker_trials),
            )
            for p in explanation.pivotal
        ],
        title="Pivotal members: the last one blocking a candidate who lost",
    )
    prov = explanation.provenance
    notes = [
        STAR_NOTE,
        "a rule is taken away by setting its chance to 0 (never raised)",
        ROUND_NOTE,
        "impact: share of trials whose outcome changes (total variation distance)",
        "share of losses: of the trials in which the candidate lost; share of all trials: "
        "of every trial",
        "still objecting: the member's objection still stood when the candidate lost; sole "
        "blocker: it was the only one still standing (for a rule: one of its members was)",
        f"intervals: {explanation.method}; every run shares seed {prov['seed']} and "
        f"{counted(prov['trials'], 'trial')}",
    ]
    parts: list[RenderableType] = [on_candidate]
    if explanation.rules:
        parts.append(on_outcome)
    parts += [pivotal, *(Text(n, style="dim") for n in notes), one_line(f"replay: {replay}")]
    return Group(*parts)


def _heat(value: float) -> Style:
    """A background from dark blue (0) to light yellow (1)."""
    from rich.color import Color

    low, high = (30, 40, 110), (250, 230, 120)
    rgb = [round(a + (b - a) * value) for a, b in zip(low, high, strict=True)]
    return Style(bgcolor=Color.from_rgb(*rgb), color="black" if value > 0.55 else "white")


def _short(path: str, other: str = "") -> str:
    """The end of a --vary path for a column's header (the title gives it whole): its last
    part, or its last two when `other` ends the same way."""
    parts = path.split(".")
    if other and other.split(".")[-1] == parts[-1]:
        return ".".join(parts[-2:])
    return parts[-1]


def sweep_view(result: Sweep, outcome: str, replay: str) -> Group:
    """One axis: a table of outcome probabilities with a bar; two: a heat grid."""
    names = {o.outcome: o.name for o in result.baseline.outcomes}
    if len(result.axes) == 1:
        axis = result.axes[0]
        shown = [o for o in result.outcomes if result.grid(o)[0].max() > 0 or o == outcome]
        grids = {label: result.grid(label) for label in shown}
        grid = Grid(
            [
                Col(_short(axis.path), "right"),
                *(Col(names[label], "right") for label in shown),
                Col(f"P({names[outcome]})", bar=True),
            ],
            [
                (
                    f"{value:g}",
                    *(
                        f"{pct(grids[o][0][i])}\n{interval(grids[o][1][i], grids[o][2][i])}"
                        for o in shown
                    ),
                    float(grids[outcome][0][i]),
                )
                for i, value in enumerate(axis.values)
            ],
            title=f"Sweep of {axis.path}: P(outcome) and its 95% interval",
            label_heading=True,
        )
    else:
        first, second = result.axes
        p = result.grid(outcome)[0]
        grid = Grid(
            [
                Col("", "right"),  # the title says which parameter runs down, which across
                *(Col(f"{value:g}", "right") for value in second.values),
            ],
            [
                (
                    f"{value:g}",
                    *(
                        Text(f"{100 * p[i, j]:.1f}", style=_heat(p[i, j]))
                        for j in range(len(second.values))
                    ),
                )
                for i, value in enumerate(first.values)
            ],
            title=f"P({names[outcome]}) in %: rows {first.path}, columns {second.path}",
            stacked_names=(_short(first.path, second.path), _short(second.path, first.path)),
            boxed=False,  # the cells' colours set them apart
        )
    prov = result.provenance
    grid.notes = [
        f"{counted(prov['points'], 'point')} × {counted(prov['trials'], 'trial')}, every point "
        f"with seed {prov['seed']}"
    ]
    return Group(grid, one_line(f"replay: {replay}"))


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
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
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
    scheduler: SchedulerOption = None,
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
    with using_scheduler(scheduler):
        result = sweep(
            loaded,
            vary,
            trials=trials,
            rng=seed,
            workers=workers,
            max_total_trials=max_total_trials,
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
