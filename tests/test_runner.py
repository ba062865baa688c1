"""The runner: seeding, blocks, worker processes, early stopping and interruption."""

from __future__ import annotations

import multiprocessing
import os
import random
import re
import signal
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from nato_sim.engine.compiled import compile_scenario
from nato_sim.engine.rounds import Counts
from nato_sim.errors import UsageError, WorkerError
from nato_sim.results.stats import half_width
from nato_sim.running.runner import (
    block_trials,
    iter_blocks,
    run_seeded_block,
    seed_sequence,
    simulate,
    useful_workers,
)
from nato_sim.scenario.loader import load

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def scenario():
    return load(DATA / "engine-mix.yaml")


def same_counts(a: Counts, b: Counts) -> bool:
    """Whether two tallies are identical in every field."""
    return all(np.array_equal(getattr(a, f.name), getattr(b, f.name)) for f in fields(a))


def test_workers_do_not_change_results(scenario):
    one = simulate(scenario, trials=7_500, rng=3, workers=1, block_size=1_000)
    two = simulate(scenario, trials=7_500, rng=3, workers=2, block_size=1_000)
    assert same_counts(one.counts, two.counts)
    assert one.to_dict() == two.to_dict()


def test_block_order_does_not_change_the_sum(scenario):
    blocks = list(iter_blocks(scenario, 9_000, rng=5, block_size=1_000))
    assert [b.index for b in blocks] == list(range(9))
    compiled = compile_scenario(scenario)
    in_order = sum((b.counts for b in blocks), Counts.zeros(compiled))
    shuffled = blocks[:]
    random.Random(0).shuffle(shuffled)
    assert same_counts(in_order, sum((b.counts for b in shuffled), Counts.zeros(compiled)))


def test_a_block_is_the_same_wherever_it_runs(scenario):
    # A worker that is handed only block 3 computes what the in-process run computed.
    blocks = list(iter_blocks(scenario, 5_000, rng=8, block_size=1_000))
    root = seed_sequence(8)
    alone = run_seeded_block(compile_scenario(scenario), 1_000, root, 3)
    assert same_counts(blocks[3].counts, alone)


def test_trials_not_a_multiple_of_the_block_size(scenario):
    results = simulate(scenario, trials=2_500, rng=9, block_size=1_000)
    assert results.trials == 2_500
    assert [block_trials(i, 2_500, 1_000) for i in range(4)] == [1_000, 1_000, 500, 0]
    compiled, root = compile_scenario(scenario), seed_sequence(9)
    by_hand = Counts.zeros(compiled)
    for i, n in enumerate([1_000, 1_000, 500]):
        by_hand = by_hand + run_seeded_block(compiled, n, root, i)
    assert same_counts(results.counts, by_hand)


def _widths(counts: Counts) -> list[float]:
    values = [*counts.outcomes, *np.cumsum(counts.decided_round)]
    return [half_width(int(k), counts.trials) for k in values]


@pytest.mark.parametrize("min_trials", [2_000, 30_000])
def test_precision_stops_at_the_first_block_boundary_that_reaches_it(scenario, min_trials):
    target, block = 0.01, 2_000
    results = simulate(
        scenario, trials=10**6, rng=4, precision=target, block_size=block, min_trials=min_trials
    )
    n = results.trials
    assert results.provenance["stopped_by"] == "precision"
    assert n % block == 0 and n >= min_trials
    assert max(_widths(results.counts)) <= target
    if n - block >= min_trials:
        earlier = simulate(scenario, trials=n - block, rng=4, block_size=block)
        assert max(_widths(earlier.counts)) > target


def test_precision_run_stops_at_the_trial_limit(scenario):
    results = simulate(
        scenario, trials=3_000, rng=4, precision=0.001, block_size=1_000, min_trials=1_000
    )
    assert results.trials == 3_000
    assert results.provenance["stopped_by"] == "trials"


def test_seed_sequence_accepts_the_documented_forms():
    assert seed_sequence(42).entropy == 42
    assert seed_sequence(np.int64(42)).entropy == 42
    root = np.random.SeedSequence(7)
    assert seed_sequence(root) is root
    assert seed_sequence(np.random.default_rng(7)).entropy == 7
    assert seed_sequence(None).entropy is not None


def test_a_generator_replays_its_seed(scenario):
    by_int = simulate(scenario, trials=2_000, rng=7, block_size=1_000)
    by_rng = simulate(scenario, trials=2_000, rng=np.random.default_rng(7), block_size=1_000)
    assert same_counts(by_int.counts, by_rng.counts)


@pytest.mark.parametrize("bad", [-1, 1.5, "42", True, [1, 2]])
def test_seed_sequence_rejects_bad_values(bad):
    with pytest.raises(UsageError, match="rng must be"):
        seed_sequence(bad)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"trials": 0}, "trials must be"),
        ({"trials": 10, "precision": 0.7}, "precision must be"),
        ({"trials": 10, "workers": 0}, "workers must be"),
        ({"trials": 10, "block_size": 0}, "block_size must be"),
        ({"trials": 10, "rng": -3}, "rng must be"),
    ],
)
def test_simulate_rejects_bad_arguments(scenario, kwargs, message):
    with pytest.raises(UsageError, match=message):
        simulate(scenario, **kwargs)


@pytest.mark.parametrize("workers", [1, 2])
def test_interrupt_keeps_the_finished_blocks(scenario, workers):
    def stop_after_two(block, total):
        if block.index == 1:
            raise KeyboardInterrupt

    results = simulate(
        scenario, trials=10_000, rng=6, block_size=1_000, workers=workers, on_block=stop_after_two
    )
    assert results.partial
    assert results.trials == 2_000
    assert results.counts.outcomes.sum() == 2_000
    full = list(iter_blocks(scenario, 2_000, rng=6, block_size=1_000))
    assert same_counts(results.counts, full[0].counts + full[1].counts)


def new_children(before: set[int]) -> set[int]:
    return {p.pid for p in multiprocessing.active_children()} - before


@pytest.mark.parametrize("cores, blocks, expected", [(3, 6, 3), (8, 2, 2)])
def test_no_more_processes_start_than_cores_or_blocks(
    scenario, monkeypatch, cores, blocks, expected
):
    monkeypatch.setattr("nato_sim.running.runner.default_workers", lambda: cores)
    before = {p.pid for p in multiprocessing.active_children()}
    seen: set[int] = set()
    stream = iter_blocks(scenario, blocks * 500, rng=2, workers=64, block_size=500)
    counts = []
    for block in stream:
        seen |= new_children(before)
        counts.append(block.counts)
    assert len(seen) == expected
    alone = list(iter_blocks(scenario, blocks * 500, rng=2, workers=1, block_size=500))
    assert all(same_counts(a.counts, b) for a, b in zip(alone, counts, strict=True))


@pytest.mark.parametrize(
    "workers, cores, blocks, expected",
    [
        (None, 4, None, 4),
        (64, 4, None, 4),
        (3, 4, 10, 3),
        (64, 4, 2, 2),
        (2, 4, 1, 1),
        (None, 1, 9, 1),
    ],
)
def test_useful_workers(monkeypatch, workers, cores, blocks, expected):
    monkeypatch.setattr("nato_sim.running.runner.default_workers", lambda: cores)
    assert useful_workers(workers, blocks) == expected


def test_a_worker_killed_mid_run_raises_with_the_finished_blocks(scenario):
    def kill_a_worker(block, total):
        if block.index == 0:
            os.kill(multiprocessing.active_children()[0].pid, signal.SIGKILL)

    with pytest.raises(WorkerError) as caught:
        simulate(
            scenario, trials=200_000, rng=6, workers=2, block_size=1_000, on_block=kill_a_worker
        )
    error = caught.value
    assert re.fullmatch(
        r"a worker process died unexpectedly \(pid \d+, killed by SIGKILL, as when the "
        r"system runs out of memory\)",
        error.reason,
    )
    partial = error.results
    assert partial.partial and partial.provenance["stopped_by"] == "worker-died"
    assert 1_000 <= partial.trials < 200_000 and partial.trials % 1_000 == 0
    assert str(error) == (
        f"{error.reason}; the {partial.trials:,} trials finished before are in this error's "
        "`results`, marked partial"
    )
    whole = simulate(scenario, trials=partial.trials, rng=6, workers=1, block_size=1_000)
    assert same_counts(partial.counts, whole.counts)
    assert multiprocessing.active_children() == []
