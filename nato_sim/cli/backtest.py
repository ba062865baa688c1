"""`nato-sim backtest`: score the model on past selections beside baselines.

The table is built of narrow tables (cases are numbered once, then referred to by number)
so that it reads at 60 columns as at 120; numbers never wrap.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from enum import Enum
from typing import Annotated

import typer
from rich import box
from rich.console import Console, Group, JustifyMethod, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from nato_sim.analysis.backtest import (
    BASELINES,
    DEFAULT_SEED,
    DEFAULT_TRIALS,
    OUTCOME_METRICS,
    Backtest,
    CaseResult,
    run_backtest,
)
from nato_sim.analysis.backtest_csv import CSV_COLUMNS
from nato_sim.analysis.skill import Skill
from nato_sim.cli.app import (
    OutputOption,
    SetOption,
    WorkersOption,
    app,
    check_plot,
    emit,
    handle_errors,
    stdout_console,
)
from nato_sim.cli.render import interval, pct
from nato_sim.cli.scheduler import SchedulerOption
from nato_sim.output.tables import counted
from nato_sim.running.executor import using_scheduler
from nato_sim.scenario.dates import date_text

SCORER_NAMES = {
    "model": "model",
    "uniform": "uniform over candidates",
    "best_backed": "best-backed wins, vetoes ignored",
    "favourite": "favourite at its base rate",
    "base_rates": "base rates of outcomes",
}
TIMING_NAMES = {
    "model": "model",
    "uniform": "uniform over rounds and none",
    "base_rates": "base rate of no appointment",
}
METRIC_NAMES = {
    "brier": "Brier",
    "log_loss": "log loss",
    "timing_rps": "RPS (when)",
    "timing_log_loss": "log loss (when)",
    "crps_days": "CRPS (when, days)",
}
TIMING_SKILLS = ("timing_rps", "timing_log_loss", "crps_days")
SHORT_BASELINES = {
    "uniform": "uniform",
    "best_backed": "best-backed",
    "favourite": "favourite",
    "base_rates": "base rates",
}


class BacktestFormat(str, Enum):
    """Output formats of `backtest`."""

    table = "table"
    json = "json"
    csv = "csv"


def _table(title: str, caption: str | None = None) -> Table:
    """A table without side borders or edge padding: it fits narrow terminals."""
    return Table(
        title=title,
        title_justify="left",
        caption=caption,
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
    )


def _columns(table: Table, columns: Iterable[tuple[str, JustifyMethod]]) -> None:
    """Text columns wrap (long names fold); number columns never wrap."""
    for name, justify in columns:
        if justify == "right":
            table.add_column(name, justify="right", no_wrap=True)
        else:
            table.add_column(name, justify=justify, overflow="fold")


def _fixed(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _signed(value: float | None) -> str:
    return "–" if value is None else f"{value:+.2f}"


def _interval(s: Skill) -> str:
    return interval(s.low, s.high, unit="", scale=1.0, digits=2, signed=True)


def _actual(case: CaseResult) -> str:
    # The name only: ids are in the JSON.
    return escape(case.names.get(case.outcome, case.outcome))


def _header(report: Backtest) -> Group:
    p = report.provenance
    n = len(report.cases)
    races = len(report.races)
    head = Text(
        f"nato-sim {p['version']} · backtest of {n} case{'s' if n != 1 else ''} "
        f"({counted(races, 'race')}) · {counted(p['trials'], 'trial')} each · "
        f"seed {p['seed']} · {p['bit_generator']} · numpy {p['numpy']}",
        style="bold",
    )
    lines: list[RenderableType] = [head]
    if p.get("strict"):
        lines.append(
            Text(
                f"--strict: {len(report.excluded)} case"
                f"{'s' if len(report.excluded) != 1 else ''} with parameters resting on "
                "claims dated after their as_of left out",
                style="bold",
            )
        )
    lines.append(
        Text(
            f"replay a case: nato-sim run FILE --trials {p['trials']} --seed {p['seed']}",
            style="dim",
        )
    )
    return Group(*lines)


def _cases_table(report: Backtest) -> Table:
    table = _table(
        "Cases",
        "hindsight: parameters resting on claims dated after as_of "
        "(`nato-sim validate FILE` lists them)",
    )
    _columns(table, (("#", "right"), ("case", "left"), ("hindsight", "right")))
    for i, case in enumerate(report.cases, start=1):
        table.add_row(
            str(i), f"{escape(case.file)}\nas of {date_text(case.as_of)}", str(len(case.hindsight))
        )
    for excluded in report.excluded:
        table.add_row(
            "–",
            f"{escape(excluded.file)}\nas of {date_text(excluded.as_of)}",
            f"{len(excluded.hindsight)}\nleft out",
        )
    return table


def _who_table(report: Backtest) -> Table:
    table = _table(
        "Who: the probability given to what happened",
        "rank: place of what happened among all outcomes, 1 = given the most (ties share)",
    )
    _columns(
        table,
        (("#", "right"), ("what happened", "left"), ("model", "right"), ("rank", "right")),
    )
    for i, case in enumerate(report.cases, start=1):
        table.add_row(str(i), _actual(case), pct(case.model.p_actual), str(case.model.rank))
    return table


def _baselines_table(report: Backtest) -> Table:
    table = _table(
        "Who: the probability each baseline gave it",
        "favourite and base rates learn from the other races only (leave one out)",
    )
    _columns(table, (("#", "right"), *((SHORT_BASELINES[b], "right") for b in BASELINES)))
    for i, case in enumerate(report.cases, start=1):
        table.add_row(str(i), *(pct(case.baselines[b].p_actual) for b in BASELINES))
    return table


def _round_text(date: str | None, category: int, rounds: int) -> str:
    if category > rounds:
        return "none by\ndeadline"
    return f"{date}\nround {category}" if date else f"round {category}"


def _when_table(report: Backtest) -> Table:
    table = _table(
        "When: the decision's round",
        "in it: model's P(decided in the actual round, or within the actual month); "
        "by it: P(appointed by that round); RPS over rounds, 0 best; "
        "CRPS over days, 0 best",
    )
    _columns(
        table,
        (
            ("#", "right"),
            ("actual", "left"),
            ("median", "left"),
            ("in it", "right"),
            ("by it", "right"),
            ("RPS", "right"),
            ("CRPS", "right"),
        ),
    )
    for i, case in enumerate(report.cases, start=1):
        t = case.timing
        by_it = (
            "n/a" if case.p_decided_by_actual_round is None else pct(case.p_decided_by_actual_round)
        )
        if t is None:
            table.add_row(str(i), date_text(case.date), "n/a", "n/a", by_it, "n/a", "n/a")
            continue
        if t.lo > t.rounds:
            actual = "none by\ndeadline"
        elif t.lo == t.hi:
            actual = _round_text(date_text(case.date), t.lo, t.rounds)
        else:
            actual = f"{date_text(case.date)}\nrounds {t.lo}-{min(t.hi, t.rounds)}"
            if t.hi > t.rounds:
                actual += "\nor none"
        median = (
            _round_text(None, t.rounds + 1, t.rounds)
            if t.median_round is None
            else _round_text(
                None if t.median_date is None else t.median_date.isoformat(),
                t.median_round,
                t.rounds,
            )
        )
        table.add_row(
            str(i),
            actual,
            median,
            pct(t.model.p_actual),
            by_it,
            _fixed(t.model.rps),
            _fixed(t.model.crps_days, 2),
        )
    return table


def _summary_table(report: Backtest) -> Table:
    n = len(report.cases)
    table = _table(
        f"Who, over {n} case{'s' if n != 1 else ''} (lower Brier and log loss better)",
        "mean P: the mean probability given to what happened",
    )
    _columns(
        table,
        (("scorer", "left"), ("Brier", "right"), ("log loss", "right"), ("mean P", "right")),
    )
    for key, values in report.summary().items():
        table.add_row(
            SCORER_NAMES[key],
            _fixed(values["brier"]),
            _fixed(values["log_loss"]),
            pct(values["mean_p_actual"]),
        )
    return table


def _timing_summary_table(report: Backtest) -> Table | None:
    summary = report.timing_summary()
    if not summary:
        return None
    n = summary["model"]["cases"]
    table = _table(
        f"When, over the {n} case{'s' if n != 1 else ''} whose round is known (lower better)",
        f"CRPS over the {summary['model']['cases_with_calendar']} with a calendar",
    )
    _columns(
        table,
        (
            ("scorer", "left"),
            ("RPS", "right"),
            ("log loss", "right"),
            ("mean P", "right"),
            ("CRPS", "right"),
        ),
    )
    for key, values in summary.items():
        table.add_row(
            TIMING_NAMES[key],
            _fixed(values["rps"]),
            _fixed(values["log_loss"]),
            pct(values["mean_p_actual"]),
            _fixed(values["crps_days"], 2),
        )
    return table


def _skill_table(report: Backtest) -> Table:
    boot = report.provenance["bootstrap"]
    races = len(report.races)
    table = _table(
        "Skill: 1 − model/baseline (1 perfect, 0 no better, < 0 worse)",
        f"interval: {int(boot['level'] * 100)}% from {boot['resamples']:,} bootstrap "
        f"resamples of the {races} race{'s' if races != 1 else ''} (seed {boot['seed']})",
    )
    _columns(
        table,
        (("baseline", "left"), ("score", "left"), ("skill", "right"), ("interval", "right")),
    )
    skills = report.skill()
    # Who against every baseline, then when against the timing baselines; each name once.
    for names, wanted in ((SCORER_NAMES, OUTCOME_METRICS), (TIMING_NAMES, TIMING_SKILLS)):
        for name, metrics in skills.items():
            label = names.get(name, "")
            for metric in wanted:
                if metric in metrics:
                    s = metrics[metric]
                    table.add_row(label, METRIC_NAMES[metric], _signed(s.value), _interval(s))
                    label = ""
    return table


def _calibration_table(report: Backtest) -> Table:
    table = _table(
        "Calibration: every outcome of every case",
        "a calibrated model's outcomes happen about as often as forecast",
    )
    _columns(
        table,
        (("forecast", "left"), ("outcomes", "right"), ("mean", "right"), ("happened", "right")),
    )
    for b in report.calibration():
        table.add_row(
            f"{b.low:.1f}–{b.high:.1f}",
            str(b.count),
            pct(b.mean_forecast),
            "–" if b.observed is None else f"{pct(b.observed)} ({b.happened})",
        )
    return table


def backtest_view(report: Backtest) -> Group:
    """The header, the per-case tables, the summaries, skill and calibration."""
    tables: list[RenderableType] = [_cases_table(report)]
    if report.cases:
        tables += [
            _who_table(report),
            _baselines_table(report),
            _when_table(report),
            _summary_table(report),
        ]
        timing = _timing_summary_table(report)
        if timing is not None:
            tables.append(timing)
        tables += [_skill_table(report), _calibration_table(report)]
    else:
        tables.append(Text("no case left to score", style="bold"))
    parts: list[RenderableType] = [_header(report)]
    for table in tables:
        parts += [Text(""), table]
    return Group(*parts)


@app.command()
@handle_errors
def backtest(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Historical scenario files or folders (all *.yaml inside) "
            "[default: the bundled history/ scenarios]."
        ),
    ] = None,
    trials: Annotated[
        int, typer.Option("--trials", "-n", min=1, help="Trials per case.")
    ] = DEFAULT_TRIALS,
    seed: Annotated[
        int, typer.Option("--seed", "-s", min=0, help="Seed of every case's run and the bootstrap.")
    ] = DEFAULT_SEED,
    set_: SetOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Leave out cases with parameters resting on claims dated after their as_of.",
        ),
    ] = False,
    format: Annotated[
        BacktestFormat, typer.Option("--format", "-f", help="Output format.")
    ] = BacktestFormat.table,
    output: OutputOption = None,
    plot: Annotated[
        str | None,
        typer.Option(
            "--plot",
            help="Also draw the calibration (reliability) diagram to FILE.png or FILE.svg "
            "(needs the 'plot' extra).",
        ),
    ] = None,
) -> None:
    """Run past selections and score the model against baselines."""
    check_plot(plot)
    with using_scheduler(scheduler):
        report = run_backtest(
            paths, trials=trials, seed=seed, workers=workers, strict=strict, overrides=set_ or []
        )
    if plot is not None:
        from nato_sim.output.figures import save_figure

        save_figure(report.plot(), plot)
        typer.echo(f"wrote {plot}", err=True)
    if format == BacktestFormat.json:
        emit(json.dumps(report.to_dict(), indent=2) + "\n", output)
    elif format == BacktestFormat.csv:
        from nato_sim.output.files import rows_to_csv

        emit(rows_to_csv(report.tidy_rows(), CSV_COLUMNS), output)
    elif output is None:
        stdout_console().print(backtest_view(report))
    else:
        recorder = Console(record=True, width=120, file=io.StringIO())
        recorder.print(backtest_view(report))
        emit(recorder.export_text(), output)
