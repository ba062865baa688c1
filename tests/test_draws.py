"""How many random numbers a block takes, and that looking again only at trials whose state
changed gives what looking again at every trial gives."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from test_engine_properties import edited
from test_engine_reference import scenarios

from nato_sim.engine import rounds as engine
from nato_sim.engine.compiled import Param, compile_scenario
from nato_sim.engine.draws import Draws, _lcg_state, _steps
from nato_sim.scenario.loader import load


@pytest.mark.parametrize("bit_generator", [np.random.PCG64DXSM, np.random.PCG64])
@pytest.mark.parametrize("n", [1, 7, 1000, 123_457])
def test_steps_count_the_doubles_drawn(bit_generator, n):
    rng = np.random.Generator(bit_generator(11))
    start = _lcg_state(rng)
    rng.random(n)
    assert _steps(rng, start) == n


def test_parameters_count_what_they_take():
    n = 5_000
    draws = Draws(
        np.random.Generator(np.random.PCG64DXSM(1)),
        n,
        lambda j: np.random.Generator(np.random.PCG64DXSM(100 + j)),
    )
    draws.param(Param("const", 0.4), n)
    assert draws.count == 0
    draws.param(Param("uniform", 0.2, 0.2), n)  # a point: constant
    assert draws.count == 0
    draws.param(Param("uniform", 0.1, 0.3), n)
    assert draws.count == n
    draws.param(Param("beta", 1.2, 3.0), n)
    # Three numbers an attempt, and under 1% of attempts rejected (see beta_sampler).
    beta = draws.count - n
    assert beta % 3 == 0 and 3 * n <= beta <= 3.03 * n
    draws.param(Param("beta", 0.5, 2.0), n)  # numpy's: two gamma variates, by rejection
    assert 3 * n <= draws.count - n - beta <= 6 * n


def test_another_generator_counts_one_number_a_draw():
    n = 1_000
    draws = Draws(np.random.default_rng(1), n, lambda j: np.random.Generator(np.random.Philox(j)))
    draws.param(Param("beta", 2.0, 2.0), n)
    assert draws.count == n


def _counts(compiled, seed):
    root = np.random.SeedSequence(seed)
    rng = np.random.Generator(np.random.PCG64DXSM(root.spawn(1)[0]))
    return engine.run_block(
        compiled, 2_000, rng, lambda j: np.random.Generator(np.random.PCG64DXSM(seed + 1 + j))
    )


@settings(max_examples=40)
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_looking_again_only_where_state_changed_changes_nothing(scenario, seed):
    compiled = compile_scenario(scenario)
    event("fixed hazards" if compiled.engine_layout.fixed_hazards else "hazards recomputed")
    usual = _counts(compiled, seed)
    layout = compiled.engine_layout
    refresh, dense = layout.refresh, engine.DENSE_ABOVE
    with pytest.MonkeyPatch.context() as patch:
        # Every round looks at every open trial and sets every chance anew, hazards that
        # depend on nothing that can change included.
        patch.setattr(layout, "refresh", [True] * len(refresh))
        patch.setattr(engine, "DENSE_ABOVE", -1.0)
        patch.setattr(layout, "fixed_hazards", False)
        every = _counts(compiled, seed)
        # ... and every round picks out the trials that changed, however many they are.
        patch.setattr(layout, "refresh", refresh)
        patch.setattr(engine, "DENSE_ABOVE", 2.0)
        picked = _counts(compiled, seed)
        # Dropping finished trials from the working set every round, or never, changes
        # nothing either.
        patch.setattr(engine, "DENSE_ABOVE", dense)
        patch.setattr(engine, "COMPACT_BELOW", 1.0)
        compacted = _counts(compiled, seed)
        patch.setattr(engine, "COMPACT_BELOW", 0.0)
        carried = _counts(compiled, seed)
    for name in (f.name for f in fields(usual)):
        for variant in (every, picked, compacted, carried):
            assert np.array_equal(getattr(usual, name), getattr(variant, name)), name


# So small that it acts as 0 (a uniform is below it only when it is 0, one chance in 2^53;
# log(1 - TINY) is 0), but not the constant 0, so the engine treats the rule as liftable.
TINY = 1e-300


@pytest.mark.parametrize(("name", "fixed"), [("history/nato-2023", True), ("nato-2024", False)])
def test_hazards_are_fixed_only_where_nothing_moves_them(name, fixed):
    # nato-2023: one objection against each candidate, nobody withdraws or enters late.
    # nato-2024: three objections against Rutte, each lift moving the others' pressure.
    assert compile_scenario(load(name)).engine_layout.fixed_hazards is fixed


@pytest.mark.parametrize("min_support", [0.5, 0.62, 0.99])
def test_fixed_hazards_give_what_computing_them_anew_gives(min_support):
    # The higher min_support, the longer trials stay open after their objections lift: a
    # hazard left set after its unit lifted would raise the objection again.
    def edit(d):
        d["decision"]["min_support"] = min_support

    compiled = compile_scenario(edited(load("history/nato-2023"), edit))
    fixed = _counts(compiled, 3)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compiled.engine_layout, "fixed_hazards", False)
        anew = _counts(compiled, 3)
    assert fixed.lifted.sum() > 0
    for name in (f.name for f in fields(fixed)):
        assert np.array_equal(getattr(fixed, name), getattr(anew, name)), name


@settings(max_examples=40)
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_skipping_units_that_never_lift_changes_nothing(scenario, seed, data):
    # Rules never raised (chance 0) or never lifted (lift 0) get no hazard computed; the same
    # scenario with those zeros made tiny computes one for every unit, and must agree.
    n_rules = len(scenario.objections)
    made_zero = data.draw(
        st.lists(st.sampled_from(["none", "chance", "lift"]), min_size=n_rules, max_size=n_rules)
    )

    def with_values(value):
        def edit(d):
            for rule, field in zip(d["objections"], made_zero, strict=True):
                if field != "none":
                    rule[field] = value

        return compile_scenario(edited(scenario, edit))

    skipped, computed = with_values(0.0), with_values(TINY)
    assert skipped.engine_layout.n_liftable <= computed.engine_layout.n_liftable
    usual, every = _counts(skipped, seed), _counts(computed, seed)
    for name in (f.name for f in fields(usual)):
        assert np.array_equal(getattr(usual, name), getattr(every, name)), name
