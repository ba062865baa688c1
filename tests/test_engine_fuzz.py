"""The engine never crashes, its counts are consistent, and its shortcuts change nothing.

On generated scenarios that use every feature of the format (tests/strategies.py), in blocks
from a single trial up, where every open trial may end in the same round. The checks are those
of tests/engine_checks.py; benchmarks/fuzz.py runs them on many more examples before an engine
change lands.
"""

from __future__ import annotations

import pytest
from engine_checks import check_counts, check_shortcuts, check_skipped_units
from hypothesis import event, given, settings
from hypothesis import strategies as st
from reference import make_scenario
from strategies import BLOCK_SIZES, scenarios, zeros_made_tiny

from nato_sim.engine.compiled import compile_scenario


@settings(max_examples=150)
@given(scenario=scenarios(), n=BLOCK_SIZES, seed=st.integers(0, 2**32 - 1))
def test_engine_never_crashes_and_its_shortcuts_change_nothing(scenario, n, seed):
    compiled = compile_scenario(scenario)
    event("fixed hazards" if compiled.engine_layout.fixed_hazards else "hazards recomputed")
    counts = check_shortcuts(compiled, n, seed)
    check_counts(compiled, counts, n)


@settings(max_examples=40)
@given(scenario=scenarios(), n=BLOCK_SIZES, seed=st.integers(0, 2**32 - 1), data=st.data())
def test_skipping_units_that_never_lift_changes_nothing(scenario, n, seed, data):
    made_zero = data.draw(zeros_made_tiny(scenario))
    check_skipped_units(scenario, made_zero, n, seed)


def _one_candidate_who_may_withdraw():
    # Every trial whose objection lifts is decided in the next round: the trials a round
    # looks at again then all end together.
    return make_scenario(
        [{"id": "AAA", "name": "A"}],
        [{"id": "x", "name": "X", "country": "AAA", "withdraw": 0.1}],
        objections=[{"id": "a-x", "members": "AAA", "candidates": "x", "lift": 0.2}],
        support={"default": 0.6},
    )


@pytest.mark.parametrize("n", [*range(1, 11), 100, 65_536])
def test_every_trial_looked_at_ending_in_the_same_round(n):
    compiled = compile_scenario(_one_candidate_who_may_withdraw())
    for seed in range(20 if n <= 100 else 1):
        counts = check_shortcuts(compiled, n, seed)
        check_counts(compiled, counts, n)
        # The only candidate is never behind anyone, so never withdraws: it is appointed in
        # the round after its objection lifts, or the incumbent is extended.
        assert counts.outcomes[0] == counts.lifted[0] and counts.outcomes[2] == 0
