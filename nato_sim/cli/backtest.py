"""`nato-sim backtest`: score the model on past selections beside two baselines."""

from __future__ import annotations

import io
import json
from enum import Enum
from typing import Annotated

import typer
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from nato_sim.analysis.backtest import DEFAULT_SEED, DEFAULT_TRIALS, Backtest, run_backtest
from nato_sim.cli.app import OutputOption, WorkersOption, app, emit, handle_errors, stdout_console
from nato_sim.cli.render import add_columns, pct

SCORER_NAMES = {
    "model": "model",
    "uniform": "uniform over candidates",
    "best_backed": "best-backed wins, vetoes ignored",
}


class BacktestFormat(str, Enum):
    """Output formats of `backtest`."""

    table = "table"
    json = "json"


def backtest_view(report: Backtest) -> Group:
    """The header, the per-case table and the summary table."""
    p = report.provenance
    head = Text(
        f"nato-sim {p['version']} · backtest of {len(report.cases)} case"
        f"{'s' if len(report.cases) != 1 else ''} · {p['trials']:,} trials each · "
        f"seed {p['seed']} · {p['bit_generator']} · numpy {p['numpy']}",
        style="bold",
    )
    head.append(
        f"\nreplay a case: nato-sim run FILE --trials {p['trials']} --seed {p['seed']}", style="dim"
    )

    cases = Table(
        title="Per case: probability given to what happened",
        title_justify="left",
        caption="rank among all outcomes, 1 = most likely, ties share the best rank; "
        "P(by its round): model's P(appointed by the round of the actual "
        "date)",
        caption_justify="left",
    )
    add_columns(
        cases,
        (
            ("case", "left"),
            ("actual", "left"),
            ("model", "right"),
            ("rank", "right"),
            ("P(by its round)", "right"),
            ("uniform", "right"),
            ("best-backed", "right"),
        ),
        overflow="fold",
    )
    for case in report.cases:
        uniform, best = case.baselines["uniform"], case.baselines["best_backed"]
        by_round = (
            "n/a"
            if case.p_decided_by_actual_round is None
            else f"{pct(case.p_decided_by_actual_round)} (round {case.round})"
        )
        cases.add_row(
            case.file,
            f"{case.outcome}\n{case.date}",
            pct(case.model.p_actual),
            str(case.model.rank),
            by_round,
            pct(uniform.p_actual),
            pct(best.p_actual),
        )

    summary = Table(
        title="Over all cases (lower Brier and log loss are better)", title_justify="left"
    )
    add_columns(
        summary,
        (
            ("scorer", "left"),
            ("Brier", "right"),
            ("log loss", "right"),
            ("mean P(actual)", "right"),
        ),
    )
    for key, values in report.summary().items():
        summary.add_row(
            SCORER_NAMES[key],
            f"{values['brier']:.3f}",
            f"{values['log_loss']:.3f}",
            pct(values["mean_p_actual"]),
        )
    return Group(head, cases, summary)


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
        int, typer.Option("--seed", "-s", min=0, help="Seed of every case's run.")
    ] = DEFAULT_SEED,
    workers: WorkersOption = None,
    format: Annotated[
        BacktestFormat, typer.Option("--format", "-f", help="Output format.")
    ] = BacktestFormat.table,
    output: OutputOption = None,
) -> None:
    """Run past selections and score the model against two baselines."""
    report = run_backtest(paths, trials=trials, seed=seed, workers=workers)
    if format == BacktestFormat.json:
        emit(json.dumps(report.to_dict(), indent=2) + "\n", output)
    elif output is None:
        stdout_console().print(backtest_view(report))
    else:
        recorder = Console(record=True, width=140, file=io.StringIO())
        recorder.print(backtest_view(report))
        emit(recorder.export_text(), output)
