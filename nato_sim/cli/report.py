"""`nato-sim report`: a run, and optionally a comparison and the veto impact, as one page."""

from __future__ import annotations

import shlex
from typing import Annotated

import typer

from nato_sim.analysis.compare import compare
from nato_sim.analysis.explain import explain
from nato_sim.analysis.report import report_page
from nato_sim.cli.app import (
    SeedOption,
    SetOption,
    WorkersOption,
    app,
    emit,
    handle_errors,
    seed_or_fresh,
)
from nato_sim.errors import OutputError
from nato_sim.running.runner import simulate
from nato_sim.scenario.loader import load


def _checked_page(ctx: typer.Context, value: str | None) -> str | None:
    """Refuse a page that cannot be written before anything runs (exit 4)."""
    if value is not None and not ctx.resilient_parsing:
        from nato_sim.output.paths import check_output_path

        try:
            check_output_path(value)
        except OutputError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(error.exit_code) from None
    return value


@app.command("report")
@handle_errors
def report_command(
    scenario: Annotated[str, typer.Argument(help="Scenario file or bundled name (nato-2024).")],
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            callback=_checked_page,
            help="Write the page to FILE, e.g. report.html (atomically); without it, to stdout.",
        ),
    ] = None,
    set_: SetOption = None,
    against: Annotated[
        str | None,
        typer.Option(
            "--against",
            metavar="SCENARIO",
            help="Add a comparison with this scenario (file or bundled name) as the variant.",
        ),
    ] = None,
    variant: Annotated[
        list[str] | None,
        typer.Option(
            "--variant",
            metavar="PATH=VALUE",
            help="Add a comparison with a variant that sets PATH=VALUE (repeatable); with "
            "--against, applied to that scenario.",
        ),
    ] = None,
    explain_: Annotated[
        bool,
        typer.Option(
            "--explain", help="Add the veto impact: each objection rule taken away in turn."
        ),
    ] = False,
    trials: Annotated[
        int, typer.Option("--trials", "-n", min=1, help="Trials of the run and of each analysis.")
    ] = 100_000,
    seed: SeedOption = None,
    workers: WorkersOption = None,
) -> None:
    """One self-contained HTML page to share: answer, assumptions, figures, tables, sources.

    The answer in one sentence, the assumptions that drive the model, the figure, every
    table, and each parameter beside the claim and document it rests on. --set changes the
    scenario itself (the run and the baseline of any comparison). --against and --variant
    add a comparison with a variant, --explain the veto impact. Every part runs with the
    same seed; the page needs no network, script or font to be read.
    """
    loaded = load(scenario, set_ or [])
    other = load(against) if against is not None else None
    seed = seed_or_fresh(seed)
    results = simulate(loaded, trials, seed, workers=workers)
    comparison = None
    if other is not None or variant:
        comparison = compare(
            loaded, variant or [], against=other, trials=trials, rng=seed, workers=workers
        )
    explanation = explain(loaded, trials=trials, rng=seed, workers=workers) if explain_ else None
    words = ["nato-sim", "report", scenario]
    for text in set_ or []:
        words += ["--set", text]
    if against is not None:
        words += ["--against", against]
    for text in variant or []:
        words += ["--variant", text]
    if explain_:
        words.append("--explain")
    words += ["--trials", str(trials), "--seed", str(seed)]
    if output is not None:
        words += ["-o", output]
    page = report_page(
        results, comparison=comparison, explanation=explanation, command=shlex.join(words)
    )
    emit(page, output)
