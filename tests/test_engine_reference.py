"""The engine agrees with the slow per-trial reference (tests/reference.py) in distribution.

Both run the same scenario from different fixed seeds; each reported probability (every outcome,
P(decided by round r), P(rule raised), P(rule lifted by round r), P(pair blocked)) is compared
with a two-sample test:

    |p_engine - p_reference| <= 4.5 * sqrt(p (1 - p) (1/n1 + 1/n2)) + 0.001

with p the pooled proportion. At 4.5 standard errors one comparison fails by chance about
once in 150,000; a generated example makes up to ~30 comparisons, so with 25 derandomized
examples a correct engine fails about once in 200 seed choices (and the seeds are fixed). The
0.001 term absorbs the discreteness of proportions near 0 or 1. A systematic error of a few
percentage points, such as a step done in the wrong order, exceeds it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import blocked_by_pair, engine_counts, reference_counts
from strategies import scenarios

from nato_sim.scenario.bundled import bundled_scenarios
from nato_sim.scenario.loader import load
from nato_sim.scenario.schema import Scenario

SIGMAS = 4.5
SLACK = 1e-3
DATA = Path(__file__).parent / "data"


def close(k1: int, n1: int, k2: int, n2: int) -> bool:
    """Whether two proportions agree within the stated tolerance."""
    p = (k1 + k2) / (n1 + n2)
    bound = SIGMAS * np.sqrt(p * (1 - p) * (1 / n1 + 1 / n2)) + SLACK
    return abs(k1 / n1 - k2 / n2) <= bound


def compare(scenario: Scenario, n_engine: int, n_reference: int, seed: int) -> None:
    """Assert that every reported probability agrees between engine and reference."""
    eng = engine_counts(scenario, n_engine, seed)
    ref = reference_counts(scenario, n_reference, np.random.default_rng(seed + 1))
    mismatches = []
    pairs = [
        ("outcome", eng.outcomes, ref.outcomes),
        ("decided by round", np.cumsum(eng.decided_round), np.cumsum(ref.decided_round)),
        ("raised", eng.raised, ref.raised),
        ("lifted", eng.lifted, ref.lifted),
        *(
            (
                f"rule {k} lifted by round",
                np.cumsum(eng.lift_round[k]),
                np.cumsum(ref.lift_round[k]),
            )
            for k in range(len(eng.lifted))
        ),
    ]
    blocked, _ = blocked_by_pair(scenario, eng)
    keys = sorted(blocked)
    pairs.append(("blocked", [blocked[k] for k in keys], [ref.blocked.get(k, 0) for k in keys]))
    for what, k_eng, k_ref in pairs:
        for i, (a, b) in enumerate(zip(k_eng, k_ref, strict=True)):
            if not close(int(a), n_engine, int(b), n_reference):
                mismatches.append(
                    f"{what}[{i}]: engine {a / n_engine:.4f}, reference {b / n_reference:.4f}"
                )
    assert not mismatches, "\n".join(mismatches)


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_engine_matches_reference_on_generated_scenarios(scenario, seed):
    compare(scenario, n_engine=20_000, n_reference=4_000, seed=seed)


@pytest.mark.parametrize("name", ["minimal", "engine-mix"])
def test_engine_matches_reference_on_test_scenarios(name):
    compare(load(DATA / f"{name}.yaml"), n_engine=200_000, n_reference=20_000, seed=7)


@pytest.mark.parametrize("name", sorted(bundled_scenarios()))
def test_engine_matches_reference_on_bundled_scenarios(name):
    compare(load(name), n_engine=100_000, n_reference=3_000, seed=11)
