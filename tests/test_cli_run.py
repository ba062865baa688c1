"""CLI tests for `nato-sim run`: the report, JSON and CSV output, files, seeds, exit codes."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

import nato_sim
from nato_sim.cli import app
from nato_sim.running.runner import BLOCK_SIZE
from nato_sim.scenario.loader import load, scenario_hash

DATA = Path(__file__).parent / "data"
MINIMAL = str(DATA / "minimal.yaml")
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "NATO_SIM_DEBUG": None}


def invoke(*args: str):
    """Run the CLI in-process with a pinned width and no colour."""
    return CliRunner().invoke(app, list(args), env=ENV)


def run_json(*args: str) -> dict:
    """`nato-sim run MINIMAL --format json ...`, parsed."""
    result = invoke("run", MINIMAL, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_table_report_has_every_section_and_the_replay_line():
    result = invoke("run", MINIMAL, "--trials", "2000", "--seed", "11", "--workers", "1")
    assert result.exit_code == 0, result.output
    out = result.stdout
    lines = out.splitlines()
    # The answer first: the title, then one sentence, then the assumptions.
    assert lines[0] == "Minimal test scenario"
    assert lines[1].startswith("Alpha is the most likely next Secretary General (")
    assert lines.index("Assumptions") < lines.index("Outcome")
    for heading in (
        "Outcome",
        "Timing",
        "Milestones",
        "Blockers (share of the candidate's losses)",
        "Objection rules",
    ):
        assert re.search(rf"^{re.escape(heading)}$", out, re.MULTILINE), heading
    identity = " ".join(out.split("Objection rules")[1].split("replay:")[0].split())
    assert f"nato-sim {nato_sim.__version__} · {MINIMAL}" in identity
    assert "2,000 trials · seed 11 · PCG64DXSM" in identity
    assert out.endswith(f"\nreplay: nato-sim run {MINIMAL} --trials 2000 --seed 11\n")
    # Every line fits, but the replay line and the file's path, which are never cut: the path
    # is as long as the clone's folder makes it.
    for line in out.splitlines():
        if not line.startswith("replay") and MINIMAL not in line:
            assert len(line) <= 100, line
    assert result.stderr == ""  # a seed was given, so none is announced


def test_tables_name_members_and_candidates_and_the_ids_stay_in_json():
    result = invoke("run", MINIMAL, "--trials", "2000", "--seed", "11", "--workers", "1")
    blockers = result.stdout.split("Blockers")[1].split("Objection rules")[0]
    assert "Türkiye" in blockers and "Alpha" in blockers
    assert "TUR" not in blockers and "alpha" not in blockers
    rules = result.stdout.split("Objection rules")[1]
    assert "Türkiye → Alpha" in rules and "tur-alpha" in rules  # a rule has only its id
    doc = run_json("--trials", "2000", "--seed", "11", "--workers", "1")
    assert {b["member"] for b in doc["blockers"]} >= {"TUR"}


def test_the_assumptions_say_what_drives_the_model():
    result = invoke("run", MINIMAL, "--trials", "500", "--seed", "1", "--workers", "1")
    block = " ".join(result.stdout.split("Assumptions")[1].split("Outcome")[0].split())
    assert "min_support: 0.5" in block
    assert "bandwagon: 0" in block
    assert "Incumbent's term is extended, chance 1; else no decision" in block
    assert "horizon: 10 rounds every 14 days, 1 January 2024 to 6 May 2024" in block


def headline_of(*args: str) -> str:
    result = invoke("run", *args, "--workers", "1")
    assert result.exit_code == 0, result.output
    lines = result.stdout.split("Assumptions")[0].splitlines()
    # The title, and the as-of date when there is one, come first.
    start = 2 if lines[1].startswith("as of ") else 1
    return " ".join(" ".join(lines[start:]).split())


def test_the_headline_gives_the_answer_with_its_interval_date_and_blocker():
    text = headline_of(MINIMAL, "--trials", "4000", "--seed", "3")
    doc = run_json("--trials", "4000", "--seed", "3", "--workers", "1")
    alpha = next(o for o in doc["outcomes"] if o["outcome"] == "alpha")
    p, low, high = (f"{100 * alpha[k]:.1f}" for k in ("probability", "low", "high"))
    median = int(doc["timing"]["median_round"])
    date = doc["timing"]["rounds"][median - 1]["date"]
    day = dt.date.fromisoformat(date)
    when = f"{day.day} {day:%B} {day.year}"
    turkey = next(b for b in doc["blockers"] if b["candidate"] == "alpha" and b["member"] == "TUR")
    assert text == (
        f"Alpha is the most likely next Secretary General ({p}%, 95% CI {low}–{high}%); "
        f"the median decision is {when}; Türkiye stands in the way in "
        f"{100 * turkey['share']:.0f}% of the trials that Alpha loses."
    )


def test_the_headline_when_the_incumbent_is_most_likely_extended(tmp_path):
    stuck = tmp_path / "stuck.yaml"
    text = Path(MINIMAL).read_text(encoding="utf-8").replace("lift: 0.3", "lift: 0.01")
    stuck.write_text(text.replace("rounds: 10", "rounds: 3"), encoding="utf-8")
    line = headline_of(str(stuck), "--trials", "2000", "--seed", "1")
    assert line.startswith("The incumbent's term is most likely extended (")
    assert "of the trials that Alpha loses" in line and "Türkiye stands in the way" in line
    assert "in the 2.1% of trials that end in an appointment, the median is" in line


def test_the_headline_with_an_acting_secretary_general_and_no_calendar(tmp_path):
    vacant = tmp_path / "vacant.yaml"
    text = Path(MINIMAL).read_text(encoding="utf-8")
    text = text.replace("lift: 0.3", "lift: 0").replace(
        "  calendar: {start: 2024-01-01, round_days: 14}\n", ""
    )
    text = text.replace("  - {name: summit, date: 2024-03-01}", "  - {name: summit, round: 3}")
    text = text.split("# The term extended")[0] + "  on_deadline: acting\n"
    text = text.replace("decision:\n  rounds: 10\n", "")
    vacant.write_text(text + "decision:\n  rounds: 10\n  on_deadline: acting\n", encoding="utf-8")
    text = vacant.read_text(encoding="utf-8").replace(
        "  on_deadline: acting\ndecision:", "decision:"
    )
    vacant.write_text(text, encoding="utf-8")
    line = headline_of(str(vacant), "--trials", "2000", "--seed", "1")
    assert line.startswith(
        "Most likely nobody is appointed in time and an acting Secretary General stands in ("
    )
    assert "no trial ends in an appointment" in line
    result = invoke("run", str(vacant), "--trials", "500", "--seed", "1", "--workers", "1")
    outcome = result.stdout.split("Outcome")[1].split("Timing")[0]
    assert "acting Secretary General" in outcome and "incumbent" not in outcome
    assert "no decision" not in outcome  # someone always stands in


def test_a_scenario_without_incumbent_never_shows_incumbent_extended(tmp_path):
    vacant = tmp_path / "vacant.yaml"
    text = Path(MINIMAL).read_text(encoding="utf-8").split("# The term extended")[0]
    vacant.write_text(text, encoding="utf-8")
    result = invoke("run", str(vacant), "--trials", "500", "--seed", "1", "--workers", "1")
    assert result.exit_code == 0, result.output
    assert "incumbent" not in result.stdout
    assert "if nobody is agreed: no decision" in result.stdout


def test_the_headline_of_someone_not_yet_named():
    line = headline_of("history/nato-1999", "--trials", "3000", "--seed", "1")
    assert line.startswith("Someone not yet named is the most likely next Secretary General (")


def test_the_replay_line_is_one_shell_command_that_gives_the_same_run():
    override = "objections.tur-alpha.lift={uniform: [0.1, 0.3]}"
    result = invoke("run", MINIMAL, "-n", "700", "--seed", "9", "--set", override, "--workers", "1")
    assert result.exit_code == 0, result.output
    [line] = [x for x in result.stdout.splitlines() if x.startswith("replay: ")]
    words = shlex.split(line.removeprefix("replay: "))
    assert words == [
        "nato-sim",
        "run",
        MINIMAL,
        "--trials",
        "700",
        "--seed",
        "9",
        "--set",
        override,
    ]
    again = invoke(*words[1:], "--workers", "1")
    assert again.stdout == result.stdout


def test_json_output_carries_provenance_and_outcomes_that_sum_to_one():
    doc = run_json(
        "--trials",
        "3000",
        "--seed",
        "12",
        "--workers",
        "1",
        "--set",
        "objections.tur-alpha.lift=0.5",
    )
    assert doc["schema_version"] == 1
    prov = doc["provenance"]
    assert prov["seed"] == 12
    assert prov["trials"] == 3000
    assert prov["bit_generator"] == "PCG64DXSM"
    assert prov["version"] == nato_sim.__version__
    assert prov["numpy"] == np.__version__
    assert prov["overrides"] == ["objections.tur-alpha.lift=0.5"]
    assert prov["stopped_by"] == "trials"
    expected_hash = scenario_hash(load(MINIMAL, ["objections.tur-alpha.lift=0.5"]))
    assert prov["scenario_hash"] == expected_hash != scenario_hash(load(MINIMAL))
    outcomes = doc["outcomes"]
    assert {o["outcome"] for o in outcomes} == {"alpha", "beta", "extension", "no-decision"}
    assert abs(sum(o["probability"] for o in outcomes) - 1) < 1e-9
    assert sum(o["count"] for o in outcomes) == 3000
    for o in outcomes:
        assert o["low"] <= o["probability"] <= o["high"]
    assert set(doc["timing"]) >= {"rounds", "mean_round", "median_round", "milestones"}
    assert [r["round"] for r in doc["timing"]["rounds"]] == list(range(1, 11))


def test_csv_output_parses_and_every_row_carries_the_provenance():
    result = invoke(
        "run", MINIMAL, "--trials", "1500", "--seed", "13", "--format", "csv", "--workers", "1"
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows
    digest = scenario_hash(load(MINIMAL))
    for row in rows:
        assert (row["seed"], row["trials"], row["scenario_hash"]) == ("13", "1500", digest)
    outcome_rows = [r for r in rows if r["section"] == "outcome"]
    assert {r["key"] for r in outcome_rows} == {"alpha", "beta", "extension", "no-decision"}
    assert abs(sum(float(r["value"]) for r in outcome_rows) - 1) < 1e-9


def test_output_writes_the_file_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "result.json"
    result = invoke(
        "run", MINIMAL, "-n", "500", "--seed", "14", "-f", "json", "--output", str(target)
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"wrote {target}\n"
    assert json.loads(target.read_text(encoding="utf-8"))["provenance"]["seed"] == 14
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json"]
    assert target.stat().st_mode & 0o777 != 0o600  # not left private like a temporary file


def test_output_replaces_an_existing_file(tmp_path):
    target = tmp_path / "result.csv"
    target.write_text("old\n", encoding="utf-8")
    result = invoke("run", MINIMAL, "-n", "500", "--seed", "15", "-f", "csv", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").startswith("section,key,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.csv"]


def test_table_output_to_a_file_is_plain_text(tmp_path):
    target = tmp_path / "report.txt"
    result = invoke("run", MINIMAL, "-n", "500", "--seed", "16", "-o", str(target))
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert "replay: nato-sim run" in text and "Outcome" in text
    assert "\x1b[" not in text


def test_an_unwritable_output_path_exits_4_with_a_clean_message(tmp_path):
    target = tmp_path / "no-such-folder" / "result.json"
    result = invoke("run", MINIMAL, "-n", "200", "--seed", "1", "-f", "json", "-o", str(target))
    assert result.exit_code == 4
    assert result.stderr == f"error: cannot write {target}: No such file or directory\n"
    assert "Traceback" not in result.output


def test_output_onto_a_folder_exits_4_and_cleans_up(tmp_path):
    folder = tmp_path / "taken"
    folder.mkdir()
    result = invoke("run", MINIMAL, "-n", "200", "--seed", "1", "-f", "json", "-o", str(folder))
    assert result.exit_code == 4
    assert result.stderr == f"error: cannot write {folder}: Is a directory\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
    assert list(folder.iterdir()) == []


def test_without_a_seed_one_is_drawn_printed_and_recorded():
    result = invoke("run", MINIMAL, "-n", "300", "-f", "json", "--workers", "1")
    assert result.exit_code == 0, result.output
    match = re.fullmatch(r"seed (\d+) \(pass --seed \1 to replay\)\n", result.stderr)
    assert match, result.stderr
    seed = int(match.group(1))
    assert json.loads(result.stdout)["provenance"]["seed"] == seed
    # The printed seed replays the run exactly.
    replay = invoke(
        "run", MINIMAL, "-n", "300", "-f", "json", "--workers", "1", "--seed", str(seed)
    )
    assert replay.stdout == result.stdout


def test_the_same_seed_gives_identical_json_for_one_and_two_workers():
    trials = str(2 * BLOCK_SIZE + 1000)  # three blocks, so two workers really share them
    one = invoke("run", MINIMAL, "-n", trials, "--seed", "21", "-f", "json", "--workers", "1")
    two = invoke("run", MINIMAL, "-n", trials, "--seed", "21", "-f", "json", "--workers", "2")
    assert one.exit_code == two.exit_code == 0
    assert one.stdout == two.stdout
    assert json.loads(one.stdout)["provenance"]["trials"] == 2 * BLOCK_SIZE + 1000


def test_a_different_seed_gives_different_counts():
    a = run_json("-n", "4000", "--seed", "1", "--workers", "1")
    b = run_json("-n", "4000", "--seed", "2", "--workers", "1")
    assert [o["count"] for o in a["outcomes"]] != [o["count"] for o in b["outcomes"]]


def widest_half_width(doc: dict) -> float:
    """The widest 95% half-width among outcomes and P(decided by round r)."""
    rows = doc["outcomes"] + doc["timing"]["rounds"]
    return max((r["high"] - r["low"]) / 2 for r in rows)


def test_precision_stops_at_the_first_block_where_every_interval_is_narrow_enough():
    doc = run_json("--precision", "0.003", "--seed", "31", "--workers", "1")
    prov = doc["provenance"]
    assert prov["stopped_by"] == "precision"
    assert prov["precision"] == 0.003
    assert prov["trials"] % BLOCK_SIZE == 0 and prov["trials"] < 10_000_000
    assert widest_half_width(doc) <= 0.003
    # One block fewer was not yet precise enough: the run did not stop late.
    earlier = run_json("-n", str(prov["trials"] - BLOCK_SIZE), "--seed", "31", "--workers", "1")
    assert widest_half_width(earlier) > 0.003


def test_a_precision_not_reached_says_so():
    result = invoke(
        "run", MINIMAL, "--precision", "0.001", "-n", "3000", "--seed", "32", "--workers", "1"
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "precision target NOT reached: the widest interval half-width is 0.0" in text
    assert "above 0.001, when the 3,000 trials of --trials ran out" in text


def test_a_loose_precision_stops_at_the_minimum_and_says_so():
    result = invoke("run", MINIMAL, "--precision", "0.01", "--seed", "32", "--workers", "1")
    assert result.exit_code == 0, result.output
    assert "stopped when every interval half-width was at most 0.01" in result.stdout
    doc = run_json("--precision", "0.01", "--seed", "32", "--workers", "1")
    assert doc["provenance"]["stopped_by"] == "precision"
    assert doc["provenance"]["trials"] == 2 * BLOCK_SIZE


def test_trials_zero_is_a_usage_error():
    result = invoke("run", MINIMAL, "--trials", "0")
    assert result.exit_code == 2
    assert "--trials" in result.stderr
    assert result.stdout == ""


def test_an_unknown_option_is_a_usage_error():
    result = invoke("run", MINIMAL, "--trails", "10")
    assert result.exit_code == 2
    assert "No such option: --trails" in result.stderr


def test_a_bad_set_is_a_usage_error():
    result = invoke("run", MINIMAL, "--set", "objections.tur-alpha")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --set 'objections.tur-alpha': expected PATH=VALUE, e.g. decision.min_support=0.6\n"
    )


def test_an_internal_error_in_the_engine_exits_1_without_a_traceback(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("index out of step")

    monkeypatch.setattr("nato_sim.running.runner.run_block", broken)
    result = invoke("run", MINIMAL, "-n", "100", "--seed", "1", "--workers", "1")
    assert result.exit_code == 1
    assert result.stderr == (
        "internal error: RuntimeError: index out of step\n"
        "This is a bug in nato-sim. Set NATO_SIM_DEBUG=1 to see the "
        "traceback.\n"
    )
    assert "Traceback" not in result.output


def test_ctrl_c_keeps_the_finished_blocks_and_exits_130(monkeypatch):
    from nato_sim.running import runner

    real = runner.run_block
    calls = []

    def interrupted_later(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr("nato_sim.running.runner.run_block", interrupted_later)
    result = invoke(
        "run", MINIMAL, "-n", str(3 * BLOCK_SIZE), "--seed", "3", "-f", "json", "--workers", "1"
    )
    assert result.exit_code == 130
    doc = json.loads(result.stdout)
    assert doc["provenance"]["stopped_by"] == "interrupted"
    assert doc["provenance"]["trials"] == BLOCK_SIZE
    assert result.stderr == (
        f"interrupted after {BLOCK_SIZE:,} trials; the results are partial (marked as such)\n"
    )


def run_module(*args: str) -> subprocess.CompletedProcess:
    """`python -m nato_sim ARGS` in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "nato_sim", *args],
        capture_output=True,
        text=True,
        env={"COLUMNS": "100", "NO_COLOR": "1", "PATH": ""},
        timeout=120,
        check=False,
    )


def test_python_dash_m_shows_help():
    result = run_module("--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: nato-sim [OPTIONS] COMMAND [ARGS]...")
    assert "run" in result.stdout and "validate" in result.stdout


def test_real_process_exit_codes_for_invalid_input_and_usage():
    bad = DATA / "invalid" / "probability-nan.yaml"
    invalid = run_module("run", str(bad))
    assert invalid.returncode == 3
    assert invalid.stderr.startswith("error: 1 problem found:\n")
    assert "Traceback" not in invalid.stderr
    usage = run_module("run", MINIMAL, "--trials", "-5")
    assert usage.returncode == 2
    assert "Traceback" not in usage.stderr


def interrupt_after_the_first_block(monkeypatch) -> None:
    """Make the second block of an in-process run raise KeyboardInterrupt (a Ctrl-C)."""
    from nato_sim.running import runner

    real = runner.run_block
    calls = []

    def interrupted_later(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr("nato_sim.running.runner.run_block", interrupted_later)


def test_a_csv_written_after_ctrl_c_marks_every_row_partial(monkeypatch, tmp_path):
    interrupt_after_the_first_block(monkeypatch)
    target = tmp_path / "run.csv"
    options = ("-n", str(3 * BLOCK_SIZE), "--seed", "3", "--workers", "1", "-f", "csv")
    result = invoke("run", MINIMAL, *options, "-o", str(target))
    assert result.exit_code == 130
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert rows and {row["stopped_by"] for row in rows} == {"interrupted"}
    assert {row["trials"] for row in rows} == {str(BLOCK_SIZE)}


def test_a_complete_csv_says_how_it_stopped_on_every_row():
    result = invoke("run", MINIMAL, "-n", "800", "--seed", "3", "-f", "csv", "--workers", "1")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert result.stdout.splitlines()[0] == (
        "section,key,detail,value,low,high,count,trials,seed,scenario_hash,version,stopped_by"
    )
    assert {row["stopped_by"] for row in rows} == {"trials"}


DIED = "a worker process died unexpectedly (pid 4242, killed by SIGKILL)"


def partial_by_a_dead_worker(monkeypatch, trials: int) -> None:
    """Make `run` meet a worker that died after `trials` trials (0: before any block)."""
    from nato_sim.errors import WorkerError

    def dies(scenario, total, seed, **kwargs):
        if not trials:
            raise WorkerError(DIED)
        done = nato_sim.simulate(scenario, trials, seed, workers=1)
        provenance = {**done.provenance, "stopped_by": "worker-died"}
        raise WorkerError(DIED, dataclasses.replace(done, provenance=provenance))

    monkeypatch.setattr("nato_sim.cli.run.simulate", dies)


def test_a_dead_worker_prints_the_partial_table_and_exits_1_without_calling_it_a_bug(
    monkeypatch,
):
    partial_by_a_dead_worker(monkeypatch, 1_000)
    result = invoke("run", MINIMAL, "-n", "5000", "--seed", "2")
    assert result.exit_code == 1
    assert (
        "PARTIAL: a worker process died; figures cover the trials finished before\n"
        in result.stdout
    )
    identity = " ".join(result.stdout.split("replay:")[0].split())
    assert "1,000 trials · seed 2" in identity  # the header wraps with the file's path
    assert result.stderr == (
        "error: a worker process died unexpectedly (pid 4242, killed by SIGKILL); the results "
        "of the 1,000 trials finished before are printed, marked partial\n"
    )


def test_a_worker_dead_before_any_block_is_one_line_and_exit_1(monkeypatch):
    partial_by_a_dead_worker(monkeypatch, 0)
    result = invoke("run", MINIMAL, "-n", "5000", "--seed", "2", "-f", "json")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "error: a worker process died unexpectedly (pid 4242, killed by SIGKILL)\n"
    )


def test_a_long_path_is_never_folded_and_the_header_wraps_between_fields(tmp_path):
    deep = tmp_path / ("a-folder-with-a-long-name-" * 3) / "minimal.yaml"
    deep.parent.mkdir()
    deep.write_text(Path(MINIMAL).read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(
        app, ["run", str(deep), "-n", "500", "--seed", "1", "-w", "1"], env={**ENV, "COLUMNS": "60"}
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert f"{deep} ·" in lines  # the path whole, on a line of its own
    assert f"replay: nato-sim run {deep} --trials 500 --seed 1" in lines
    for line in lines:
        if str(deep) not in line:
            assert len(line) <= 60, line
    identity = lines[lines.index(f"{deep} ·") + 1]
    assert identity.startswith("hash ") and "500 trials · seed 1" in identity
