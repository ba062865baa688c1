"""Tests for the public Python API in nato_sim/__init__.py."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nato_sim
from nato_sim.results.export import to_json

MINIMAL = Path(__file__).parent / "data" / "minimal.yaml"


def test_every_name_in_all_exists_and_is_documented():
    assert nato_sim.__all__
    for name in nato_sim.__all__:
        assert hasattr(nato_sim, name), name
        value = getattr(nato_sim, name)
        if inspect.isfunction(value) or inspect.isclass(value):
            assert inspect.getdoc(value), f"nato_sim.{name} has no docstring"
    assert isinstance(nato_sim.__version__, str) and nato_sim.__version__


def test_the_core_entry_points_are_public():
    assert {
        "load",
        "simulate",
        "iter_blocks",
        "with_overrides",
        "Scenario",
        "Results",
        "ScenarioError",
        "UsageError",
        "NatoSimError",
    } <= set(nato_sim.__all__)


def test_load_simulate_and_to_dict_round_trip_through_json():
    scenario = nato_sim.load(MINIMAL)
    results = nato_sim.simulate(scenario, trials=5000, rng=42)
    data = results.to_dict()
    assert json.loads(json.dumps(data)) == data  # JSON-ready as it is
    assert json.loads(to_json(results)) == data
    assert data["provenance"]["seed"] == 42
    assert data["provenance"]["trials"] == results.trials == 5000
    by_outcome = {row["outcome"]: row["probability"] for row in data["outcomes"]}
    for outcome, probability in by_outcome.items():
        assert results.probability(outcome) == probability
    with pytest.raises(nato_sim.UsageError) as error:
        results.probability("gamma")
    assert str(error.value) == (
        "no outcome 'gamma'; the outcomes are alpha, beta, extension, no-decision"
    )


def test_a_seed_a_seed_sequence_and_a_generator_from_it_give_the_same_run():
    scenario = nato_sim.load(MINIMAL)
    by_int = nato_sim.simulate(scenario, trials=3000, rng=7).to_dict()
    by_seq = nato_sim.simulate(scenario, trials=3000, rng=np.random.SeedSequence(7)).to_dict()
    generator = np.random.Generator(np.random.PCG64DXSM(np.random.SeedSequence(7)))
    by_gen = nato_sim.simulate(scenario, trials=3000, rng=generator).to_dict()
    assert by_int == by_seq == by_gen


def test_bad_arguments_are_usage_errors():
    scenario = nato_sim.load(MINIMAL)
    with pytest.raises(nato_sim.UsageError):
        nato_sim.simulate(scenario, trials=0)
    with pytest.raises(nato_sim.UsageError):
        nato_sim.simulate(scenario, trials=10, rng=-1)
    with pytest.raises(nato_sim.UsageError):
        nato_sim.load(MINIMAL, ["no_such_field=1"])
    with pytest.raises(nato_sim.ScenarioError):
        nato_sim.load(MINIMAL, ["decision.rounds=0"])


def test_iter_blocks_yields_blocks_in_order_and_sums_to_simulate():
    scenario = nato_sim.load(MINIMAL)
    blocks = list(nato_sim.iter_blocks(scenario, 2500, rng=5, block_size=1000))
    assert [b.index for b in blocks] == [0, 1, 2]
    assert [b.trials for b in blocks] == [1000, 1000, 500]
    total = blocks[0].counts + blocks[1].counts + blocks[2].counts
    results = nato_sim.simulate(scenario, trials=2500, rng=5, block_size=1000)
    assert total.trials == 2500
    assert list(total.outcomes) == [row.count for row in results.outcomes]


def test_iter_blocks_with_workers_keeps_block_order_and_streams():
    scenario = nato_sim.load(MINIMAL)
    alone = list(nato_sim.iter_blocks(scenario, 4000, rng=6, block_size=1000))
    shared = list(nato_sim.iter_blocks(scenario, 4000, rng=6, block_size=1000, workers=2))
    assert [b.index for b in shared] == [0, 1, 2, 3]
    assert [list(b.counts.outcomes) for b in shared] == [list(b.counts.outcomes) for b in alone]


def test_iter_blocks_without_a_total_runs_until_the_caller_stops():
    scenario = nato_sim.load(MINIMAL)
    seen = []
    for block in nato_sim.iter_blocks(scenario, None, rng=8, block_size=200):
        seen.append(block.index)
        if len(seen) == 4:
            break
    assert seen == [0, 1, 2, 3]


def test_with_no_objection_the_best_backed_candidate_wins_in_round_one():
    # docs: with no objections the candidate with the highest backing above min_support
    # wins in round 1 with probability 1 (alpha: 0.8 against beta: 0.7).
    scenario = nato_sim.load(MINIMAL, ["objections.tur-alpha.chance=0"])
    results = nato_sim.simulate(scenario, trials=2000, rng=1)
    assert results.probability("alpha") == 1.0
    assert results.rounds[0].probability_by == 1.0


def test_one_soft_objection_with_no_bandwagon_lifts_at_the_stated_rate():
    # docs: with beta = 0 and one soft objection, P(decided by round r) = 1 - (1 - lift)^(r-1).
    # minimal.yaml: lift 0.3, bandwagon 0, beta under a hard veto, 10 rounds.
    results = nato_sim.simulate(nato_sim.load(MINIMAL), trials=2**16, rng=3)
    n = results.trials
    for row in results.rounds:
        exact = 1 - 0.7 ** (row.round - 1)
        # Five binomial standard errors (at most 0.0098 at n = 65536).
        assert abs(row.probability_by - exact) <= 5 * np.sqrt(exact * (1 - exact) / n) + 1e-12
    assert results.probability("beta") == 0.0


def test_importing_the_package_loads_nothing_heavy_until_a_name_is_used():
    # The command line imports the package first; only then can it catch a Ctrl-C
    # pressed while numpy and the rest load.
    script = (
        "import sys, nato_sim\n"
        "print('numpy' in sys.modules)\n"
        "print(nato_sim.simulate.__module__, nato_sim.errors.UsageError is nato_sim.UsageError)\n"
        "print('numpy' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "False\nnato_sim.running.runner True\nTrue\n"
    with pytest.raises(AttributeError, match="module 'nato_sim' has no attribute 'nothing'"):
        nato_sim.nothing  # noqa: B018
