"""Tests for `sweep`: grids of one or two parameters, checked before any work starts."""

from __future__ import annotations

import json
import math
import os
import signal
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import nato_sim
from nato_sim.analysis import sweep as sweep_module
from nato_sim.analysis.sweep import parse_vary
from nato_sim.cli import app
from nato_sim.errors import UsageError, WorkerError

DATA = Path(__file__).parent / "data"
ONE = str(DATA / "one-candidate.yaml")
MINIMAL = str(DATA / "minimal.yaml")
ENV = {"COLUMNS": "100", "NO_COLOR": "1"}
# Only the soft objection, three rounds: it may lift before rounds 2 and 3, so
# P(alpha) = 1 - (1 - lift)^2 exactly.
SOFT_ONLY = ["objections.deu-alpha.chance=0", "decision.rounds=3"]


def invoke(*args: str):
    return CliRunner().invoke(app, ["sweep", *args], env=ENV)


@pytest.fixture
def no_runs(monkeypatch):
    """Fail the test if any trial runs."""

    def refuse(*args, **kwargs):
        raise AssertionError("a simulation ran")

    monkeypatch.setattr(sweep_module, "simulate", refuse)


def test_lift_sweep_is_non_decreasing_and_matches_the_closed_form():
    trials = 4000
    result = nato_sim.sweep(
        ONE, ["objections.tur-alpha.lift=0:1:5"], SOFT_ONLY, trials=trials, rng=7
    )
    assert result.axes[0].values == (0.0, 0.25, 0.5, 0.75, 1.0)
    p, low, high = result.grid("alpha")
    assert np.all(np.diff(p) >= 0)
    for lift, value in zip(result.axes[0].values, p, strict=True):
        exact = 1 - (1 - lift) ** 2
        # 4 binomial standard errors (exact at the ends: lift 0 never lifts, 1 always does).
        assert abs(value - exact) <= 4 * math.sqrt(exact * (1 - exact) / trials)
    assert np.all(low <= p + 1e-12) and np.all(p <= high)


def test_a_point_reproduces_a_run_with_the_same_seed():
    result = nato_sim.sweep(MINIMAL, ["objections.tur-alpha.lift=0.2:0.6:3"], trials=3000, rng=5)
    point = result.points[1]
    assert point.overrides == ("objections.tur-alpha.lift=0.4",)
    scenario = nato_sim.load(MINIMAL, ["objections.tur-alpha.lift=0.4"])
    alone = nato_sim.simulate(scenario, 3000, 5)
    assert [o.count for o in point.results.outcomes] == [o.count for o in alone.outcomes]


def test_results_do_not_depend_on_workers():
    args = (MINIMAL, ["objections.tur-alpha.lift=0:1:3", "objections.tur-alpha.after=1:3:3"])
    one = nato_sim.sweep(*args, trials=1000, rng=3, workers=1)
    two = nato_sim.sweep(*args, trials=1000, rng=3, workers=2)
    assert one.records() == two.records()
    assert one.shape == (3, 3)
    assert one.grid("alpha")[0].shape == (3, 3)


def test_integer_fields_take_whole_values():
    result = nato_sim.sweep(MINIMAL, ["objections.tur-alpha.after=1:2:5"], trials=200, rng=1)
    assert result.axes[0].integer and result.axes[0].values == (1, 2)
    assert [p.overrides for p in result.points] == [
        ("objections.tur-alpha.after=1",),
        ("objections.tur-alpha.after=2",),
    ]


@pytest.mark.parametrize(
    ("vary", "message"),
    [
        (
            "objections.tur-alpha.lfit=0:1:3",
            "--vary 'objections.tur-alpha.lfit=0:1:3': 'objections.tur-alpha.lfit' names no field "
            "(expected one of: id, members, candidates, chance, lift, after, until, together, "
            "source, note); did you mean 'lift'?",
        ),
        (
            "objections.tur-alfa.lift=0:1:3",
            "--vary 'objections.tur-alfa.lift=0:1:3': no entry 'objections.tur-alfa' (entries are "
            "named by id or 0-based position); did you mean 'tur-alpha'?",
        ),
        (
            "objections.tur-alpha.lift=0:1.5:4",
            "--vary 'objections.tur-alpha.lift=0:1.5:4': the value 1.5 is outside the allowed "
            "values (expected a probability in [0, 1], got 1.5)",
        ),
        (
            "objections.tur-alpha.after=1:2.5:3",
            "--vary 'objections.tur-alpha.after=1:2.5:3': 'objections.tur-alpha.after' takes whole "
            "numbers; give whole START and STOP",
        ),
        (
            "title=0:1:3",
            "--vary 'title=0:1:3': 'title' is not a numeric field; --vary takes probabilities, "
            "weights, supports and round numbers",
        ),
        (
            "objections.tur-alpha.lift=0:1:0.1",
            "--vary 'objections.tur-alpha.lift=0:1:0.1': STEPS is the number of values, a whole "
            "number >= 2 (e.g. objections.tur-rutte.lift=0:1:11 gives 0, 0.1, ..., 1)",
        ),
        (
            "objections.tur-alpha.lift",
            "--vary 'objections.tur-alpha.lift': expected PATH=START:STOP:STEPS, "
            "e.g. objections.tur-rutte.lift=0:1:11",
        ),
    ],
)
def test_bad_ranges_are_refused_before_any_run(no_runs, vary, message):
    with pytest.raises(UsageError) as error:
        nato_sim.sweep(MINIMAL, [vary], trials=100, rng=1)
    assert str(error.value) == message


def test_too_large_a_sweep_says_how_many_runs(no_runs):
    with pytest.raises(UsageError) as error:
        nato_sim.sweep(
            MINIMAL,
            ["objections.tur-alpha.lift=0:1:21", "members.USA.weight=1:5:20"],
            trials=1000,
            rng=1,
        )
    assert "421 runs (420 grid points and the baseline) of 1,000 trials" in str(error.value)
    with pytest.raises(UsageError, match="11 runs .* = 11,000 trials"):
        nato_sim.sweep(
            MINIMAL,
            ["objections.tur-alpha.lift=0:1:10"],
            trials=1000,
            rng=1,
            max_total_trials=10_000,
        )
    with pytest.raises(UsageError, match="one or two parameters, got 3"):
        nato_sim.sweep(MINIMAL, ["decision.rounds=2:4:3"] * 3, trials=10, rng=1)


def test_parse_vary_accepts_negative_and_decimal_bounds():
    assert parse_vary("a.b=-1.5:2:4") == ("a.b", -1.5, 2.0, 4)


def test_cli_one_parameter_table(tmp_path):
    result = invoke(
        ONE,
        "--vary",
        "objections.tur-alpha.lift=0:1:3",
        *sum((["--set", s] for s in SOFT_ONLY), []),
        "-n",
        "500",
        "-s",
        "1",
        "-w",
        "1",
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("│")]
    # Each point is two lines: P(outcome), then its 95% interval under it.
    assert [line.split("│")[1].strip() for line in lines] == ["0", "", "0.5", "", "1", ""]
    first, last = lines[0:2], lines[4:6]
    assert "0.0%" in first[0] and "0.0–0.8%" in first[1]
    assert "100.0%" in last[0] and "99.2–100.0%" in last[1]
    assert "3 points × 500 trials" in result.stdout


def test_cli_two_parameter_grid_and_formats(tmp_path):
    args = [
        "--vary",
        "objections.tur-alpha.lift=0:1:3",
        "--vary",
        "decision.rounds=2:4:3",
        "-n",
        "300",
        "-s",
        "2",
        "-w",
        "1",
        "--outcome",
        "alpha",
    ]
    grid = invoke(MINIMAL, *args)
    assert grid.exit_code == 0, grid.output
    assert "P(Alpha) in %: rows objections.tur-alpha.lift, columns decision.rounds" in (grid.stdout)
    as_json = invoke(MINIMAL, *args, "-f", "json")
    data = json.loads(as_json.stdout)
    assert data["axes"][1] == {"path": "decision.rounds", "values": [2, 3, 4], "integer": True}
    assert len(data["points"]) == 9 and data["provenance"]["seed"] == 2
    out = tmp_path / "sweep.csv"
    as_csv = invoke(MINIMAL, *args, "-f", "csv", "-o", str(out))
    assert as_csv.exit_code == 0
    header, *rows = out.read_text(encoding="utf-8").strip().splitlines()
    assert header.startswith("objections.tur-alpha.lift,decision.rounds,outcome,name,")
    assert len(rows) == 9 * 4  # grid points x outcomes


def test_cli_refuses_unknown_outcome_and_bad_path_with_exit_2():
    unknown = invoke(MINIMAL, "--vary", "objections.tur-alpha.lift=0:1:3", "--outcome", "alfa")
    assert unknown.exit_code == 2 and "did you mean 'alpha'?" in unknown.stderr
    bad = invoke(MINIMAL, "--vary", "objections.tur-alpha.lift=0:2:3", "-s", "1")
    assert bad.exit_code == 2 and "the value 2.0 is outside the allowed values" in bad.stderr


def test_too_many_steps_are_refused_before_anything_is_built(no_runs):
    vary = "objections.tur-alpha.lift=0:1:1000000000"
    with pytest.raises(UsageError) as error:
        # The scenario does not exist: the steps are checked before it is looked for.
        nato_sim.sweep(str(DATA / "no-such-file.yaml"), [vary], trials=100, rng=1)
    assert str(error.value) == (
        f"--vary {vary!r}: STEPS is 1,000,000,000; a sweep has at most 400 points"
    )


def test_the_grid_is_counted_before_it_is_built(no_runs):
    with pytest.raises(UsageError) as error:
        nato_sim.sweep(
            MINIMAL,
            ["objections.tur-alpha.lift=0:1:400", "members.USA.weight=1:5:400"],
            trials=100,
            rng=1,
        )
    assert str(error.value).startswith(
        "this sweep would take 160,001 runs (160,000 grid points and the baseline)"
    )


def test_cli_too_many_steps_is_a_usage_error_with_exit_2():
    result = invoke(MINIMAL, "--vary", "objections.tur-alpha.lift=0:1:1000000000", "--seed", "1")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --vary 'objections.tur-alpha.lift=0:1:1000000000': STEPS is 1,000,000,000; "
        "a sweep has at most 400 points\n"
    )


class _Pool:
    """A stand-in for the worker pool: runs each job at once and records its size."""

    sizes: list[int] = []

    def __init__(self, size: int, state) -> None:
        self.sizes.append(size)

    def submit(self, fn, *args):
        future: Future = Future()
        future.set_result(fn(*args))
        return future

    def result(self, future: Future):
        return future.result()

    def close(self, *, finished: bool) -> None:
        pass


@pytest.mark.parametrize(
    ("workers", "cores", "steps", "started"),
    [
        (8, 16, 2, 3),  # three jobs (the baseline and two points): three processes
        (8, 2, 5, 2),  # two cores: two processes
        (None, 4, 5, 4),  # all cores, fewer than the jobs
        (2, 16, 5, 2),  # as asked
    ],
)
def test_no_more_processes_start_than_are_useful(monkeypatch, workers, cores, steps, started):
    import nato_sim.running.runner as runner

    monkeypatch.setattr(runner, "default_workers", lambda: cores)
    monkeypatch.setattr(sweep_module, "WorkerPool", _Pool)
    monkeypatch.setattr(_Pool, "sizes", [])
    nato_sim.sweep(
        MINIMAL, [f"objections.tur-alpha.lift=0:1:{steps}"], trials=50, rng=1, workers=workers
    )
    assert _Pool.sizes == [started]


def _die(*args):
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_worker_that_dies_is_a_worker_error(monkeypatch):
    import nato_sim.running.runner as runner

    monkeypatch.setattr(runner, "default_workers", lambda: 2)
    # Forked workers inherit the patched module: each point kills its own process.
    monkeypatch.setattr(sweep_module, "_run_point", _die)
    with pytest.raises(WorkerError, match="killed by SIGKILL"):
        nato_sim.sweep(MINIMAL, ["objections.tur-alpha.lift=0:1:3"], trials=50, rng=1, workers=2)
