"""How many random numbers a block takes, and that hazards fixed once give what hazards
computed anew give (the other shortcuts: test_engine_fuzz.py)."""

from __future__ import annotations

import numpy as np
import pytest
from engine_checks import block_counts, differences, engine_settings
from test_engine_properties import edited

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


def _kallas_declared(d):
    # nato-2023 floats Kallas: the pressure on the objection to her starts when she declares.
    # Declared from round 1, each objection is the only one against its candidate, who is in
    # the race from round 1 and never withdraws.
    next(c for c in d["candidates"] if c["id"] == "kallas").pop("declare")


@pytest.mark.parametrize(
    ("name", "edit", "fixed"),
    [
        ("history/nato-2023", None, False),
        ("history/nato-2023", _kallas_declared, True),
        ("nato-2024", None, False),
    ],
)
def test_hazards_are_fixed_only_where_nothing_moves_them(name, edit, fixed):
    # nato-2024: three objections against Rutte, each lift moving the others' pressure.
    scenario = load(name) if edit is None else edited(load(name), edit)
    assert compile_scenario(scenario).engine_layout.fixed_hazards is fixed


@pytest.mark.parametrize("min_support", [0.5, 0.62, 0.99])
def test_fixed_hazards_give_what_computing_them_anew_gives(min_support):
    # The higher min_support, the longer trials stay open after their objections lift: a
    # hazard left set after its unit lifted would raise the objection again.
    def edit(d):
        _kallas_declared(d)
        d["decision"]["min_support"] = min_support

    compiled = compile_scenario(edited(load("history/nato-2023"), edit))
    assert compiled.engine_layout.fixed_hazards
    fixed = block_counts(compiled, 2_000, 3)
    with engine_settings(compiled, fixed_hazards=False):
        anew = block_counts(compiled, 2_000, 3)
    assert fixed.lifted.sum() > 0
    assert not differences(fixed, anew)
