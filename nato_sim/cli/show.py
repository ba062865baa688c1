"""`nato-sim show`: a scenario's YAML as written, to copy and edit."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Annotated

import typer

from nato_sim.cli.app import OutputOption, app, emit, handle_errors
from nato_sim.errors import Problem, ScenarioError
from nato_sim.output.files import _names_descriptor, write_atomic
from nato_sim.scenario.claims import read_input
from nato_sim.scenario.jsonschema import schema_text
from nato_sim.scenario.loader import resolve, shown_name

SCHEMA_FILE = "scenario.schema.json"
MODELINE = f"# yaml-language-server: $schema={SCHEMA_FILE}"
_MODELINE = re.compile(r"^#[ \t]*yaml-language-server:[ \t]*\$schema=.*$", re.MULTILINE)


def with_modeline(text: str) -> str:
    """The text with its schema modeline pointing at `scenario.schema.json` beside it; a file
    without one gets one as its first line."""
    if _MODELINE.search(text):
        return _MODELINE.sub(MODELINE, text)
    return f"{MODELINE}\n{text}"


def _is_stream(path: str) -> bool:
    """Whether `path` is written to as it is (a pipe, a device, an open descriptor): no file
    is created there, and so no schema can sit beside it."""
    if _names_descriptor(path):
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode)


def _schema_beside(target: str) -> None:
    """Write scenario.schema.json beside `target` unless one is there; say if one there is
    not this version's."""
    schema = Path(target).parent / SCHEMA_FILE
    text = schema_text()
    try:
        present = schema.read_text(encoding="utf-8") if schema.is_file() else None
    except (OSError, UnicodeDecodeError):
        present = ""
    if present is None:
        write_atomic(schema, text)
        typer.echo(f"wrote {schema}", err=True)
    elif present != text:
        typer.echo(
            f"note: kept {schema}, which is not this version's schema "
            f"(`nato-sim schema -o {schema}` replaces it)",
            err=True,
        )


@app.command()
@handle_errors
def show(
    scenario: Annotated[
        str,
        typer.Argument(
            metavar="SCENARIO",
            help="A bundled scenario (nato-2024, history/nato-2009) or a scenario file.",
        ),
    ],
    output: OutputOption = None,
) -> None:
    """Print a scenario's YAML as written, to copy and edit.

    With -o FILE the copy goes to FILE, its first line (`# yaml-language-server: $schema=...`)
    pointing at scenario.schema.json in FILE's folder, which is written there unless one is
    present: an editor with the YAML language server then checks the copy as you type. Run
    the copy with `nato-sim run FILE`.
    """
    path = resolve(scenario)
    shown = shown_name(scenario, path)
    data = read_input(path, shown)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ScenarioError(
            [Problem(shown, f"not a text file: byte {error.start} is not UTF-8")]
        ) from None
    if output is None or _is_stream(output):
        emit(text, output)
        return
    emit(with_modeline(text), output)
    _schema_beside(output)
