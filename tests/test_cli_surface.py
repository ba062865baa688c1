"""What a newcomer meets first: --version, shell completion, help pages, examples that copy,
output paths checked before any work, and CSV numbers without the noise of arithmetic."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import nato_sim
from nato_sim.cli import app
from nato_sim.cli.app import EXAMPLES
from nato_sim.cli.help import summary
from nato_sim.output.tables import counted, plain_number, plain_rows

DATA = Path(__file__).parent / "data"
MINIMAL = str(DATA / "minimal.yaml")
ENV = {"COLUMNS": "120", "NO_COLOR": "1", "NATO_SIM_DEBUG": None}
WIDTHS = ("60", "80", "120")
# What Typer and Click print for types: `<int range>`, `<str>`, `list[str]`, `{scenario}`,
# `x>=1`, `INTEGER RANGE`.
PLACEHOLDER = re.compile(r"<[a-z][a-z ]*>|list\[|\bx[<>]=|INTEGER|FLOAT RANGE|TEXT\b")


def invoke(*args: str, columns: str = "120", **kwargs):
    return CliRunner().invoke(app, list(args), env={**ENV, "COLUMNS": columns}, **kwargs)


def commands() -> dict:
    return dict(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def python_env(**extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k != "NATO_SIM_DEBUG"}
    return {**keep, "NO_COLOR": "1", **extra}


# --version and completion


def test_version_prints_the_package_version():
    result = invoke("--version")
    assert (result.exit_code, result.stdout) == (0, f"nato-sim {nato_sim.__version__}\n")
    installed = subprocess.run(
        [sys.executable, "-m", "nato_sim", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=python_env(),
    )
    assert (installed.returncode, installed.stdout) == (0, f"nato-sim {nato_sim.__version__}\n")


@pytest.fixture
def no_shell_detection(monkeypatch):
    # Typer's own switch: --show-completion and --install-completion then take the shell
    # as a value instead of detecting the one they run in.
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")


def test_show_completion_prints_the_bash_script(no_shell_detection):
    result = invoke("--show-completion", "bash", prog_name="nato-sim")
    assert result.exit_code == 0, result.output
    assert "_NATO_SIM_COMPLETE=complete_bash" in result.stdout
    assert "complete -o default -F _nato_sim_completion nato-sim" in result.stdout


def test_install_completion_writes_the_script_and_sources_it(no_shell_detection, tmp_path):
    env = {**ENV, "HOME": str(tmp_path)}
    result = CliRunner().invoke(
        app, ["--install-completion", "bash"], env=env, prog_name="nato-sim"
    )
    assert result.exit_code == 0, result.output
    script = tmp_path / ".bash_completions" / "nato-sim.sh"
    assert "_NATO_SIM_COMPLETE=complete_bash" in script.read_text(encoding="utf-8")
    assert f"source '{script}'" in (tmp_path / ".bashrc").read_text(encoding="utf-8")


def test_completion_completes_commands_and_options():
    def complete(words: str, index: int) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-m", "nato_sim"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env=python_env(
                _NATO_SIM_COMPLETE="complete_bash", COMP_WORDS=words, COMP_CWORD=str(index)
            ),
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert complete("nato-sim sh", 1) == ["show"]
    assert "--format" in complete("nato-sim run nato-2024 --f", 3)


# Help pages


def help_pages(columns: str) -> dict[str, str]:
    pages = {"": invoke("--help", columns=columns).stdout}
    for name in commands():
        result = invoke(name, "--help", columns=columns)
        assert result.exit_code == 0, (name, result.output)
        pages[name] = result.stdout
    return pages


@pytest.mark.parametrize("columns", WIDTHS)
def test_help_names_values_plainly_at_every_width(columns):
    for name, page in help_pages(columns).items():
        found = PLACEHOLDER.findall(page)
        assert not found, (name, found)
        # `{scenario}`: Typer's mark of a required argument (braces elsewhere are the
        # format's own notation, such as {uniform: [lo, hi]}).
        usage = page.split("\n\n", 1)[0]
        assert "{" not in usage and "<" not in usage, (name, usage)
        assert page.startswith(f"Usage: nato-sim {name}".rstrip() + " "), name


@pytest.mark.parametrize("columns", WIDTHS)
def test_help_never_breaks_a_word_at_a_hyphen_nor_cuts_a_line(columns):
    for name, page in help_pages(columns).items():
        for line in page.splitlines():
            assert not re.search(r"[A-Za-z]-$", line), (name, line)
            # Click cuts a summary with `...` after a word; FILES... and [PATHS]... repeat.
            assert not re.search(r"[a-z,]\.\.\.$|…$", line.rstrip()), (name, line)
        # The example paths of --set and --vary stand whole on one line.
        for example in re.findall(r"objections\.\S+", " ".join(page.split())):
            assert example in page, (name, example)


def test_command_summaries_are_whole_in_the_top_level_help():
    page = invoke("--help").stdout
    flat = " ".join(page.split())
    for name, command in commands().items():
        text = summary(command)
        assert text, name
        assert f"{name} {text}" in flat, name


def test_usage_lines_name_arguments_in_capitals():
    assert invoke("run", "--help").stdout.startswith("Usage: nato-sim run [OPTIONS] SCENARIO\n")
    assert invoke("validate", "--help").stdout.startswith(
        "Usage: nato-sim validate [OPTIONS] FILES...\n"
    )
    assert invoke("backtest", "--help").stdout.startswith(
        "Usage: nato-sim backtest [OPTIONS] [PATHS]...\n"
    )
    options = invoke("run", "--help").stdout
    for line in ("-n, --trials N ", "-f, --format table|json|csv ", "-o, --output FILE "):
        assert line in options, line
    assert "[default: table]" in options and "[from 0.0001 to 0.25]" in options


def test_the_examples_in_help_are_the_examples_and_each_runs(tmp_path, monkeypatch):
    page = invoke("--help").stdout
    shown = page.split("\nExamples:\n", 1)[1].splitlines()
    assert [line.strip() for line in shown if line.strip()] == list(EXAMPLES)
    monkeypatch.chdir(tmp_path)
    for example in EXAMPLES:
        words = shlex.split(example)
        assert words[0] == "nato-sim"
        # As written, with fewer trials where a command runs any, to keep the test short.
        options = [o for c in commands()[words[1]].params for o in getattr(c, "opts", [])]
        quick = ["--trials", "500", "--workers", "1"] if "--trials" in options else []
        result = invoke(*words[1:], *quick)
        assert result.exit_code == 0, (example, result.output)


# Output paths


@pytest.fixture
def no_run(monkeypatch):
    """Make every simulation fail loudly: what is refused must be refused before."""

    def fail(*args, **kwargs):
        raise AssertionError("a simulation started")

    for module in ("run", "backtest"):
        target = {"run": "simulate", "backtest": "run_backtest"}[module]
        monkeypatch.setattr(f"nato_sim.cli.{module}.{target}", fail)


@pytest.mark.parametrize(
    "command",
    [
        ("run", MINIMAL, "-n", "100", "--seed", "1"),
        ("run", "no-such-scenario.yaml", "-n", "100", "--seed", "1"),
        ("backtest", "-n", "100"),
        ("show", "nato-2024"),
        ("schema",),
    ],
)
def test_an_output_in_a_missing_folder_is_refused_before_any_work(no_run, tmp_path, command):
    target = tmp_path / "missing" / "out.txt"
    result = invoke(*command, "-o", str(target))
    assert result.exit_code == 4, result.output
    assert result.stderr == f"error: cannot write {target}: No such file or directory\n"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("option", ["-o", "--plot"])
def test_a_folder_or_a_path_through_a_file_is_refused_before_any_work(no_run, tmp_path, option):
    pytest.importorskip("matplotlib")
    folder = tmp_path / "taken.png"
    folder.mkdir()
    result = invoke("run", MINIMAL, "--seed", "1", option, str(folder))
    assert result.exit_code == 4, result.output
    assert result.stderr == f"error: cannot write {folder}: Is a directory\n"
    plain = tmp_path / "plain"
    plain.write_text("", encoding="utf-8")
    inside = plain / "out.png"
    result = invoke("run", MINIMAL, "--seed", "1", option, str(inside))
    assert result.exit_code == 4, result.output
    assert result.stderr == f"error: cannot write {inside}: Not a directory\n"


def test_a_plot_in_a_missing_folder_is_refused_before_any_work(no_run, tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "missing" / "run.png"
    result = invoke("run", MINIMAL, "-n", "100", "--seed", "1", "--plot", str(target))
    assert result.exit_code == 4, result.output
    assert result.stderr == f"error: cannot write {target}: No such file or directory\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into any folder")
def test_an_output_in_a_read_only_folder_is_refused_before_any_work(no_run, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    result = invoke("run", MINIMAL, "-o", str(folder / "out.json"))
    assert result.exit_code == 4
    assert result.stderr == f"error: cannot write {folder / 'out.json'}: Permission denied\n"


# Counts and numbers


def test_counts_agree_with_their_nouns():
    assert counted(1, "objection rule") == "1 objection rule"
    assert counted(2, "objection rule") == "2 objection rules"
    assert counted(0, "claim") == "0 claims"
    assert counted(1_000_000, "trial") == "1,000,000 trials"
    assert counted(1, "entry", "entries") == "1 entry"
    assert counted(3, "entry", "entries") == "3 entries"
    one = invoke("validate", str(DATA / "one-candidate.yaml"))
    assert ", 1 candidate, " in one.stdout


NOISY = {
    0.1 + 0.2: "0.3",
    0.1 * 0.224: "0.0224",  # 0.022400000000000003
    0.08953350000000003: "0.0895335",
    11.960000000000003: "11.96",
    8.159999999999998: "8.16",
    0.09539999999999998: "0.0954",
    -0.30000000000000004: "-0.3",
}
EXACT = [1 / 3, 0.8715123219160715, 2 / 7 * 1e-9, 0.1, 0.0, 1.0, 123456.789, 5e-324]


def test_noise_is_dropped_and_every_other_float_kept_to_the_last_bit():
    assert repr(0.1 * 0.224) == "0.022400000000000003"
    for value, text in NOISY.items():
        plain = plain_number(value)
        assert repr(plain) == text, value
        # At most a few units in the last place away, and it reads back as written.
        assert abs(plain - value) <= 4 * math.ulp(value)
        assert float(repr(plain)) == plain
    for value in EXACT:
        assert plain_number(value) == value and repr(plain_number(value)) == repr(value)
    for other in (3, "0.30000000000000004", None, math.inf, math.nan, True):
        assert plain_number(other) is other


def test_run_csv_has_no_noise_and_reads_back_as_the_json_figures(monkeypatch):
    from nato_sim.results import export

    real = export.tidy_rows

    def with_noise(results):
        rows = real(results)
        # Figures that carry the error of a few operations.
        rows[0]["value"], rows[0]["low"] = 0.1 * 0.224, 0.1 + 0.2
        return rows

    args = ("run", MINIMAL, "-n", "1500", "--seed", "13", "--workers", "1")
    as_json = json.loads(invoke(*args, "-f", "json").stdout)
    clean = list(csv.DictReader(io.StringIO(invoke(*args, "-f", "csv").stdout)))
    monkeypatch.setattr(export, "tidy_rows", with_noise)
    result = invoke(*args, "-f", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert (rows[0]["value"], rows[0]["low"]) == ("0.0224", "0.3")
    for row in rows:
        for column in ("value", "low", "high"):
            text = row[column]
            if re.fullmatch(r"-?\d+\.\d+(e-?\d+)?", text):
                # The shortest text of the float it stands for, and no noise left in it.
                assert repr(float(text)) == text, (row, column)
                assert plain_number(float(text)) == float(text), (row, column)
    # Exact where there is no noise: every outcome reads back as the JSON's figure.
    by_key = {(r["section"], r["key"]): r for r in clean}
    for outcome in as_json["outcomes"]:
        row = by_key[("outcome", outcome["outcome"])]
        assert float(row["value"]) == outcome["probability"]
        assert (float(row["low"]), float(row["high"])) == (outcome["low"], outcome["high"])
    assert plain_rows([{"a": 0.1 + 0.2, "b": "x"}]) == [{"a": 0.3, "b": "x"}]
