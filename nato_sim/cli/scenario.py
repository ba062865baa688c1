"""Commands about scenario files: validate, schema, scenarios, sources."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from nato_sim.cli.app import OutputOption, SetOption, app, emit, handle_errors, stdout_console
from nato_sim.cli.stdout import stdout
from nato_sim.errors import EXIT_INVALID, ScenarioError
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
                f"ok      {name}: {len(scenario.members)} members, "
                f"{len(scenario.candidates)} candidates, "
                f"{len(scenario.objections)} objection rules",
                file=stdout(),
            )
            # Hindsight is a warning, not a fault: the verdict and the exit code stay.
            for warning in file_warnings(name, scenario):
                typer.echo(f"warning: {warning}", err=True)
    if failed:
        typer.echo(
            f"{failed} of {len(files)} file{'s' if len(files) != 1 else ''} invalid", err=True
        )
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
    table = Table("name", "description", box=None)
    for name, path in bundled_scenarios().items():
        table.add_row(escape(name), escape(load(path).description))
    stdout_console().print(table)


@app.command()
@handle_errors
def sources(
    scenario: Annotated[str, typer.Argument(help="Scenario file or bundled name.")],
) -> None:
    """Print each sourced parameter beside the claim it cites."""
    loaded = load(scenario)
    claims = claims_for(resolve(scenario))
    table = Table(
        "parameter",
        "value",
        "claim",
        "says",
        "document",
        title=escape(loaded.title),
        title_justify="left",
    )
    rows = sourced_parameters(loaded, claims)
    for row in rows:
        # Cells are data, not markup: `objections[tur-rutte]` must print as written.
        table.add_row(*map(escape, (row.parameter, row.value, row.claim, row.says, row.document)))
    console = stdout_console()
    console.print(table)
    console.print(
        f"{len(rows)} sourced parameter entries, citing {len({row.claim for row in rows})} claims"
    )
