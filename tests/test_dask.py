"""Tests for `--scheduler`: runs on a Dask cluster give, digit for digit, what they give here.

A `LocalCluster` of two single-threaded worker processes (on this machine, loopback only)
runs the blocks of `run`, `sweep`, `backtest` and `sensitivity`; a worker killed mid-run has
its tasks run again by Dask, with the same results.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import nato_sim
from nato_sim.cli import app
from nato_sim.errors import UsageError, WorkerError
from nato_sim.running import executor

distributed = pytest.importorskip("distributed")

DATA = Path(__file__).parent / "data"
MINIMAL = str(DATA / "minimal.yaml")
ONE = str(DATA / "one-candidate.yaml")
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "NATO_SIM_DEBUG": None}


def cluster(**options):
    """Two single-threaded worker processes (threads of this process with processes=False),
    every one of their sockets on the loopback address, any free port."""
    settings = {
        "n_workers": 2,
        "threads_per_worker": 1,
        "processes": True,
        "host": "127.0.0.1",
        "protocol": "tcp://",
        "dashboard_address": "127.0.0.1:0",
        **options,
    }
    return distributed.LocalCluster(**settings)


@pytest.fixture(scope="module")
def address():
    with cluster() as running:
        yield running.scheduler_address


def invoke(*args: str):
    result = CliRunner().invoke(app, list(args), env=ENV)
    assert result.exit_code == 0, result.output
    return result.stdout


def same_counts(a, b) -> bool:
    return all(
        np.array_equal(getattr(a, name), getattr(b, name)) for name in vars(a) if name != "uniforms"
    )


def test_simulate_on_the_cluster_is_bit_identical(address):
    local = nato_sim.simulate("nato-2024", 5 * 20_000, 9, workers=1, block_size=20_000)
    with nato_sim.using_scheduler(address) as connected:
        assert connected is not None and connected.threads() == 2
        remote = nato_sim.simulate("nato-2024", 5 * 20_000, 9, workers=1, block_size=20_000)
    assert same_counts(local.counts, remote.counts)
    assert local.to_dict() == remote.to_dict()
    assert executor.active_cluster() is None


def test_a_precision_run_stops_at_the_same_block_on_the_cluster(address):
    # On a cluster a task runs several blocks; the run still stops at the first block
    # boundary where the intervals are narrow enough, as here.
    options = {"workers": 1, "precision": 0.004, "min_trials": 4_000, "block_size": 1_000}
    local = nato_sim.simulate(MINIMAL, 400_000, 7, **options)
    with nato_sim.using_scheduler(address):
        remote = nato_sim.simulate(MINIMAL, 400_000, 7, **options)
    assert local.provenance["stopped_by"] == "precision" and local.trials < 400_000
    assert local.to_dict() == remote.to_dict()
    assert same_counts(local.counts, remote.counts)


@pytest.mark.parametrize(
    "args",
    [
        ("run", "nato-2024", "-n", "140000", "--seed", "4"),
        ("sweep", MINIMAL, "--vary", "objections.tur-alpha.lift=0:1:4", "-n", "3000", "-s", "2"),
        ("backtest", str(DATA / "history"), "--trials", "3000", "--seed", "5"),
        ("sensitivity", "nato-2024", "--samples", "4", "--trials", "400", "--seed", "6"),
    ],
    ids=["run", "sweep", "backtest", "sensitivity"],
)
def test_each_command_gives_the_same_json_with_scheduler(address, args):
    here = invoke(*args, "--format", "json")
    there = invoke(*args, "--format", "json", "--scheduler", address)
    assert json.loads(here) == json.loads(there)
    assert here == there


def test_sensitivity_with_a_scheduler_argument(address):
    vary = ["objections.deu-alpha.chance=0:1", "objections.tur-alpha.lift=0.05:0.5"]
    local = nato_sim.sensitivity(ONE, vary=vary, samples=16, trials=500, rng=2)
    remote = nato_sim.sensitivity(ONE, vary=vary, samples=16, trials=500, rng=2, scheduler=address)
    assert np.array_equal(local.evaluations, remote.evaluations)
    assert local.effects == remote.effects


def test_a_client_runs_in_its_own_process_threads():
    # Workers that are threads of this process: the tasks still see their own state.
    with cluster(processes=False) as running, distributed.Client(running) as client:
        local = nato_sim.simulate(MINIMAL, 30_000, 3, workers=1, block_size=4_000)
        with nato_sim.using_scheduler(client):
            remote = nato_sim.simulate(MINIMAL, 30_000, 3, workers=1, block_size=4_000)
        assert client.status == "running"  # a Client passed in is left open
    assert same_counts(local.counts, remote.counts)


def test_a_lost_worker_is_retried_and_the_results_do_not_change():
    local = nato_sim.simulate("nato-2024", 60 * 5_000, 12, workers=1, block_size=5_000)
    killed = []
    with cluster() as running, distributed.Client(running) as client:
        pids = client.run(os.getpid)

        def kill_one(block, total):
            if block.index == 2 and not killed:
                pid = pids[sorted(pids)[0]]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

        with nato_sim.using_scheduler(client):
            remote = nato_sim.simulate(
                "nato-2024", 60 * 5_000, 12, workers=1, block_size=5_000, on_block=kill_one
            )
        # The nanny started a new worker in place of the one killed.
        assert killed and killed[0] not in client.run(os.getpid).values()
    assert same_counts(local.counts, remote.counts)


def _die(*args):
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_task_that_kills_its_workers_is_a_worker_error_with_what_finished(monkeypatch):
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with cluster() as running:
            vary = ["objections.deu-alpha.chance=0:1"]
            with pytest.raises(WorkerError, match="Dask workers died") as caught:
                with nato_sim.using_scheduler(running.scheduler_address):
                    # Sent by reference: the workers run the real module's `_die`.
                    from nato_sim.analysis import sensitivity as module

                    monkeypatch.setattr(module, "_evaluate_rows", _die)
                    nato_sim.sensitivity(ONE, vary=vary, samples=4, trials=100, rng=1)
    assert caught.value.results.partial


def test_an_unreachable_scheduler_is_a_usage_error_before_any_work():
    with pytest.raises(UsageError, match="cannot reach a Dask scheduler"):
        with nato_sim.using_scheduler("tcp://127.0.0.1:9", timeout=1):
            raise AssertionError("connected")
    result = CliRunner().invoke(
        app, ["run", MINIMAL, "--seed", "1", "--scheduler", "localhost"], env=ENV
    )
    assert result.exit_code == 2 and "not a scheduler address" in result.stderr


def test_a_scheduler_without_workers_is_a_usage_error():
    with cluster(n_workers=0) as running:
        with pytest.raises(UsageError, match="has no worker"):
            with nato_sim.using_scheduler(running.scheduler_address, timeout=0.5):
                raise AssertionError("connected")


def test_workers_running_other_code_are_refused(address, monkeypatch):
    # Only this process's fingerprint changes: the workers look different from here.
    monkeypatch.setattr(executor, "code_fingerprint", lambda: "0000000000000000")
    with pytest.raises(UsageError, match="2 of 2 workers run other code"):
        with nato_sim.using_scheduler(address):
            raise AssertionError("connected")
