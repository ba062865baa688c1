"""Commands about scenario files: validate, schema, scenarios, sources."""

from __future__ import annotations

from typing import Annotated

import typer

from nato_sim.cli.app import OutputOption, SetOption, app, emit, handle_errors, stdout_console
from nato_sim.cli.layout import Col, Grid
from nato_sim.cli.stdout import stdout
from nato_sim.errors import EXIT_INVALID, ScenarioError
from nato_sim.output.tables import counted
from nato_sim.scenario.bundled import bundled_scenarios
from nato_sim.scenario.hindsight import file_warnings
from nato_sim.scenario.jsonschema import schema_text
from nato_sim.scenario.loader import claims_for, load, resolve
from nato_sim.scenario.sources import sourced_parameters


@app.command()
@handle_errors
def validate(
    files: Annotated[list[str], typer.Argument(help="Scenario files or bundled names.")],
    set_: SetOption = None,
) -> None:
    """Check scenario files and print a verdict for each; exit 3 if any is invalid."""
    failed = 0
    for name in files:
        try:
            scenario = load(name, set_ or [])
        except ScenarioError as error:
            failed += 1
            typer.echo(f"INVALID {name}: {error}", file=stdout())
        else:
            typer.echo(
                f"ok      {name}: {counted(len(scenario.members), 'member')}, "
                f"{counted(len(scenario.candidates), 'candidate')}, "
                f"{counted(len(scenario.objections), 'objection rule')}",
                file=stdout(),
            )
            # Hindsight is a warning, not a fault: the verdict and the exit code stay.
            for warning in file_warnings(name, scenario):
                typer.echo(f"warning: {warning}", err=True)
    if failed:
        typer.echo(f"{failed} of {counted(len(files), 'file')} invalid", err=True)
        raise typer.Exit(EXIT_INVALID)


@app.command()
@handle_errors
def schema(output: OutputOption = None) -> None:
    """Print the JSON Schema (draft-07) of scenario files, for editors."""
    emit(schema_text(), output)


@app.command()
@handle_errors
def scenarios() -> None:
    """List the bundled scenarios with a one-line description."""
    table = Grid([Col("name"), Col("description", wrap=True)], boxed=False)
    for name, path in bundled_scenarios().items():
        table.add_row(name, load(path).description)
    stdout_console().print(table)


@app.command()
@handle_errors
def sources(
    scenario: Annotated[str, typer.Argument(help="Scenario file or bundled name.")],
    set_: SetOption = None,
) -> None:
    """Print each sourced parameter beside the claim it cites.

    With --set, the values are those after the overrides, and a value an override changed
    or added is marked: its claim was cited for the file's value, not for it.
    """
    loaded = load(scenario, set_ or [])
    claims = claims_for(resolve(scenario))
    written = (
        {(r.parameter, r.claim): r.value for r in sourced_parameters(load(scenario), claims)}
        if set_
        else None
    )
    table = Grid(
        [
            Col("parameter"),
            Col("value", wrap=True),
            Col("claim"),
            Col("says", wrap=True),
            Col("document", wrap=True),
        ],
        title=loaded.title,
    )
    rows = sourced_parameters(loaded, claims)
    changed: set[str] = set()
    for row in rows:
        value = row.value
        if written is not None and written.get((row.parameter, row.claim)) != value:
            was = written.get((row.parameter, row.claim))
            value += " (--set; the file: " + (was if was is not None else "none") + ")"
            changed.add(row.parameter)
        # Cells are data, not markup: `objections[tur-rutte]` prints as written.
        table.add_row(row.parameter, value, row.claim, row.says, row.document)
    console = stdout_console()
    console.print(table)
    console.print(
        f"{counted(len(rows), 'sourced parameter entry', 'sourced parameter entries')}, citing "
        f"{counted(len({row.claim for row in rows}), 'claim')}"
    )
    if written is not None:
        gone = sorted({parameter for parameter, _ in written} - {row.parameter for row in rows})
        console.print(
            f"--set changed {counted(len(changed), 'sourced parameter')}"
            + (f" and removed {', '.join(gone)}" if gone else "")
            + "; each claim speaks for the value in the file"
        )
