"""CLI tests for the scenario commands (validate, schema, scenarios, sources) and exit codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from nato_sim import errors
from nato_sim.cli import app
from nato_sim.scenario.bundled import bundled_scenarios

DATA = Path(__file__).parent / "data"
MINIMAL = str(DATA / "minimal.yaml")
INVALID = sorted((DATA / "invalid").glob("*.yaml"))
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "NATO_SIM_DEBUG": None}
WIDE = {**ENV, "COLUMNS": "300"}


def invoke(*args: str, env=None):
    """Run the CLI in-process with a pinned width and no colour."""
    return CliRunner().invoke(app, list(args), env=env or ENV)


def expected_problems(path: Path) -> list[str]:
    """The `# expect:` lines of an invalid fixture, for its path as given."""
    return [
        line.removeprefix("# expect: ").replace("{file}", str(path))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("# expect: ")
    ]


@pytest.mark.parametrize("name", sorted(bundled_scenarios()))
def test_every_bundled_scenario_validates(name):
    result = invoke("validate", name)
    assert result.exit_code == 0, result.output
    match = re.fullmatch(
        rf"ok      {re.escape(name)}: (\d+) members?, (\d+) candidates?, "
        r"(\d+) objection rules?\n",
        result.stdout,
    )
    assert match, result.stdout
    # "1 objection rule", "2 objection rules": the plural goes with the count.
    said = [
        f"{count} {noun}{'' if count == '1' else 's'}"
        for count, noun in zip(
            match.groups(), ("member", "candidate", "objection rule"), strict=True
        )
    ]
    assert result.stdout == f"ok      {name}: {', '.join(said)}\n"
    assert result.stderr == ""


def test_validate_counts_what_the_file_holds():
    result = invoke("validate", MINIMAL)
    assert result.exit_code == 0
    assert result.stdout == f"ok      {MINIMAL}: 3 members, 2 candidates, 2 objection rules\n"


def test_validate_gives_a_verdict_per_file_and_exit_3_if_any_is_invalid():
    bad = DATA / "invalid" / "three-mistakes.yaml"
    result = invoke("validate", MINIMAL, str(bad), "nato-2042")
    assert result.exit_code == 3
    assert result.stdout.splitlines() == [
        f"ok      {MINIMAL}: 3 members, 2 candidates, 2 objection rules",
        f"INVALID {bad}: 3 problems found:",
        *("  " + p for p in expected_problems(bad)),
        "INVALID nato-2042: 1 problem found:",
        "  nato-2042: is neither a file nor a bundled scenario (did you mean 'nato-2024'?)",
    ]
    assert result.stderr == "2 of 3 files invalid\n"


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_an_invalid_file_exits_3_with_its_problems_on_stderr(path):
    result = invoke("run", str(path), "--trials", "10", "--seed", "1")
    problems = expected_problems(path)
    count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found:"
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr == "\n".join([f"error: {count}", *("  " + p for p in problems)]) + "\n"
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["run", "-n", "10"], ["sources"], ["validate"]])
def test_a_missing_file_exits_3_on_every_command(command, tmp_path):
    missing = tmp_path / "gone.yaml"
    result = invoke(*command[:1], str(missing), *command[1:])
    assert result.exit_code == 3
    message = f"{missing}: no such file (`nato-sim scenarios` lists the bundled ones)"
    assert message in (result.stderr + result.stdout)
    assert "Traceback" not in result.output


def test_binary_garbage_exits_3_cleanly(tmp_path):
    path = tmp_path / "noise.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(200)))
    result = invoke("run", str(path))
    assert result.exit_code == 3
    assert (
        result.stderr == f"error: 1 problem found:\n  {path}: not a text file: it "
        "contains NUL bytes\n"
    )


def test_scenarios_lists_every_bundled_scenario_with_its_description():
    result = invoke("scenarios", env=WIDE)
    assert result.exit_code == 0
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    assert lines[0].split() == ["name", "description"]
    bundled = bundled_scenarios()
    assert len(lines) == 1 + len(bundled)
    for line, (name, path) in zip(lines[1:], bundled.items(), strict=True):
        description = yaml.safe_load(path.read_text(encoding="utf-8"))["description"]
        assert line.split(None, 1) == [name, description]


def test_sources_prints_parameters_beside_the_claims_they_cite():
    path = DATA / "sourced" / "cited.yaml"
    result = invoke("sources", str(path), env=WIDE)
    assert result.exit_code == 0, result.output
    rows = [
        [cell.strip() for cell in line.strip("│ ").split("│")]
        for line in result.stdout.splitlines()
        if line.startswith("│")
    ]
    document = "Test briefing (2024-01-15)"
    members = "The three members of the test alliance."
    turkey = "Turkey is expected to lift its objection once a concession is agreed."
    germany = "Germany will not accept the second candidate."
    assert rows == [
        ["members[USA].weight", "3.0", "test.members", members, document],
        ["members[TUR]", "Türkiye", "test.members", members, document],
        ["objections[tur-alpha].members", "TUR", "test.turkey-price", turkey, document],
        ["objections[tur-alpha].candidates", "alpha", "test.turkey-price", turkey, document],
        ["objections[tur-alpha].lift", "0.3", "test.turkey-price", turkey, document],
        ["objections[deu-beta].members", "DEU", "test.germany-veto", germany, document],
        ["objections[deu-beta].candidates", "beta", "test.germany-veto", germany, document],
        [
            "decision.rounds",
            "10",
            "test.horizon",
            "The decision is due within ten rounds.",
            document,
        ],
    ]
    assert result.stdout.splitlines()[0].strip() == "Cited test scenario"
    assert result.stdout.rstrip().splitlines()[-1] == (
        "8 sourced parameter entries, citing 4 claims"
    )


def cited_claims(path: Path) -> set[str]:
    """Every claim id a scenario file cites, read straight from its YAML."""
    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "source":
                    found.update([value] if isinstance(value, str) else value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return found


def test_sources_of_nato_2024_shows_every_claim_it_cites():
    path = bundled_scenarios()["nato-2024"]
    result = invoke("sources", "nato-2024", env={**WIDE, "COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    first_lines = [line for line in result.stdout.splitlines() if line.startswith("│")]
    shown = {
        cells[3].strip() for cells in (line.split("│") for line in first_lines) if cells[3].strip()
    }
    claims = cited_claims(path)
    assert claims and claims <= shown
    assert re.search(rf"sourced parameter entries, citing {len(claims)} claims\n\Z", result.stdout)
    assert "incumbent.term_ends" in result.stdout


def test_every_command_has_help_text():
    commands = typer.main.get_command(app).commands
    assert {"run", "validate", "schema", "scenarios", "sources"} <= set(commands)
    for name, command in commands.items():
        assert command.help and command.help.strip(), f"`{name}` has no help"
        result = invoke(name, "--help")
        assert result.exit_code == 0, name
        first = command.help.strip().split("\n")[0]
        assert " ".join(first.split()[:4]) in " ".join(result.stdout.split()), name
        for param in command.params:
            if param.name != "help" and getattr(param, "param_type_name", "") == "option":
                assert param.help, f"`{name} {param.opts[0]}` has no help"


def test_top_level_help_lists_the_commands():
    result = invoke("--help")
    assert result.exit_code == 0
    for name in ("run", "validate", "schema", "scenarios", "sources"):
        assert re.search(rf"^\s+{name}\s+\S", result.stdout, re.MULTILINE), name


def test_exit_codes_are_distinct_and_as_documented():
    codes = {
        "success": errors.EXIT_OK,
        "internal error": errors.EXIT_INTERNAL,
        "usage error": errors.EXIT_USAGE,
        "invalid input": errors.EXIT_INVALID,
        "output error": errors.EXIT_OUTPUT,
        "interrupted": errors.EXIT_INTERRUPTED,
        "stdout was closed": errors.EXIT_CLOSED,
    }
    assert codes == {
        "success": 0,
        "internal error": 1,
        "usage error": 2,
        "invalid input": 3,
        "output error": 4,
        "interrupted": 130,
        "stdout was closed": 141,
    }
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for meaning, code in codes.items():
        assert re.search(rf"^{code}\s+{meaning}", errors.__doc__, re.MULTILINE), meaning
        assert re.search(rf"^\| {code} \| {meaning}", readme, re.MULTILINE), meaning
    assert errors.UsageError.exit_code == 2
    assert errors.ScenarioError().exit_code == 3
    assert errors.OutputError.exit_code == 4
    assert errors.NatoSimError.exit_code == 1


def test_an_unknown_option_is_a_usage_error():
    result = invoke("validate", MINIMAL, "--bogus")
    assert result.exit_code == 2
    assert "No such option: --bogus" in result.stderr


def test_an_unknown_command_is_a_usage_error():
    result = invoke("simulate", MINIMAL)
    assert result.exit_code == 2
    assert "No such command" in result.stderr


def test_an_internal_error_is_one_line_without_a_traceback(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the claims index is corrupt")

    monkeypatch.setattr("nato_sim.scenario.loader.check_references", broken)
    result = invoke("validate", MINIMAL)
    assert result.exit_code == 1
    assert result.stderr == (
        "internal error: RuntimeError: the claims index is corrupt\n"
        "This is a bug in nato-sim. Set NATO_SIM_DEBUG=1 to see the "
        "traceback.\n"
    )
    assert result.stdout == ""


def test_an_internal_error_shows_the_traceback_with_nato_sim_debug(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the claims index is corrupt")

    monkeypatch.setattr("nato_sim.scenario.loader.check_references", broken)
    result = invoke("validate", MINIMAL, env={**ENV, "NATO_SIM_DEBUG": "1"})
    assert result.exit_code == 1
    assert result.stderr.startswith("Traceback (most recent call last):\n")
    assert "in broken\n" in result.stderr
    assert result.stderr.endswith(
        "internal error: RuntimeError: the claims index is corrupt\n"
        "This is a bug in nato-sim. Set NATO_SIM_DEBUG=1 to see the "
        "traceback.\n"
    )
