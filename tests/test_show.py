"""`nato-sim show`: a scenario's YAML as written, and a copy to edit whose schema resolves."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nato_sim.cli import app
from nato_sim.cli.show import MODELINE, SCHEMA_FILE, with_modeline
from nato_sim.scenario.bundled import bundled_scenarios
from nato_sim.scenario.jsonschema import schema_text
from nato_sim.scenario.loader import load, scenario_hash

DATA = Path(__file__).parent / "data"
MINIMAL = DATA / "minimal.yaml"
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "NATO_SIM_DEBUG": None}
SCHEMA_LINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$", re.MULTILINE)


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), env=ENV)


@pytest.mark.parametrize("name", ["nato-2024", "history/nato-2009", "history/nato-2024/2024-04-30"])
def test_a_bundled_scenario_prints_as_written(name):
    result = invoke("show", name)
    assert result.exit_code == 0, result.output
    assert result.stdout == bundled_scenarios()[name].read_text(encoding="utf-8")
    assert result.stderr == ""


def test_any_scenario_file_prints_as_written():
    result = invoke("show", str(MINIMAL))
    assert result.exit_code == 0, result.output
    assert result.stdout == MINIMAL.read_text(encoding="utf-8")


def test_a_copy_points_its_schema_line_at_a_schema_beside_it(tmp_path):
    target = tmp_path / "mine.yaml"
    result = invoke("show", "history/nato-2009", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert result.stderr == f"wrote {target}\nwrote {tmp_path / SCHEMA_FILE}\n"
    written = target.read_text(encoding="utf-8")
    original = bundled_scenarios()["history/nato-2009"].read_text(encoding="utf-8")
    # Only the schema line changes.
    assert written.splitlines()[0] == MODELINE
    assert written.splitlines()[1:] == original.splitlines()[1:]
    # The schema line resolves from the copy's folder, to this version's schema.
    (schema,) = SCHEMA_LINE.findall(written)
    assert (target.parent / schema).read_text(encoding="utf-8") == schema_text()
    json.loads((target.parent / schema).read_text(encoding="utf-8"))
    # The copy is the same scenario, and runs from where it is.
    assert scenario_hash(load(target)) == scenario_hash(load("history/nato-2009"))
    run = invoke("validate", str(target))
    assert run.exit_code == 0 and run.stdout.startswith(f"ok      {target}: ")


def test_a_schema_already_beside_the_copy_is_kept(tmp_path):
    (tmp_path / SCHEMA_FILE).write_text(schema_text(), encoding="utf-8")
    same = invoke("show", "nato-2024", "-o", str(tmp_path / "a.yaml"))
    assert (same.exit_code, same.stderr) == (0, f"wrote {tmp_path / 'a.yaml'}\n")
    (tmp_path / SCHEMA_FILE).write_text("{}\n", encoding="utf-8")
    older = invoke("show", "nato-2024", "-o", str(tmp_path / "b.yaml"))
    assert older.exit_code == 0, older.output
    assert (tmp_path / SCHEMA_FILE).read_text(encoding="utf-8") == "{}\n"
    assert f"note: kept {tmp_path / SCHEMA_FILE}, which is not this version's schema" in (
        older.stderr
    )


def test_a_file_without_a_schema_line_gets_one_on_top(tmp_path):
    assert SCHEMA_LINE.search(MINIMAL.read_text(encoding="utf-8")) is None
    target = tmp_path / "copy.yaml"
    result = invoke("show", str(MINIMAL), "-o", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == f"{MODELINE}\n" + MINIMAL.read_text(
        encoding="utf-8"
    )
    assert with_modeline("# yaml-language-server: $schema=x.json\na: 1\n") == f"{MODELINE}\na: 1\n"


def test_a_copy_to_a_missing_folder_is_refused_and_nothing_written(tmp_path):
    target = tmp_path / "no-such-folder" / "mine.yaml"
    result = invoke("show", "nato-2024", "-o", str(target))
    assert result.exit_code == 4
    assert result.stderr == f"error: cannot write {target}: No such file or directory\n"
    assert list(tmp_path.iterdir()) == []


def test_a_copy_to_a_stream_is_the_file_as_written(tmp_path):
    # A descriptor is written to as it is: there is no folder to put a schema in.
    read, write = os.pipe()
    try:
        result = invoke("show", "nato-2024", "-o", f"/dev/fd/{write}")
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            received = pipe.read().decode("utf-8")
    finally:
        for fd in (read, write):
            try:
                os.close(fd)
            except OSError:
                pass
    assert result.exit_code == 0, result.output
    assert received == bundled_scenarios()["nato-2024"].read_text(encoding="utf-8")
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_name_is_refused_with_a_suggestion():
    result = invoke("show", "nato-2042")
    assert result.exit_code == 3
    assert "nato-2042: is neither a file nor a bundled scenario (did you mean 'nato-2024'?)" in (
        result.stderr
    )


def test_problems_in_a_bundled_scenario_name_it_and_no_path_inside_the_package():
    result = invoke("run", "history/nato-2009", "-n", "100", "--set", "candidates.0.id=someone")
    assert result.exit_code == 3
    located = [line.strip() for line in result.stderr.splitlines()[1:]]
    assert located and all(re.match(r"history/nato-2009:\d+:\d+: ", line) for line in located)
    assert "scenarios/" not in result.stderr and "site-packages" not in result.stderr
    # The line named is the line `show` prints there.
    line = int(located[0].split(":")[1])
    shown = invoke("show", "history/nato-2009").stdout.splitlines()[line - 1]
    assert "rasmussen" in shown
