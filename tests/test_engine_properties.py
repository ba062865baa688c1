"""Properties of the model that hold for every scenario, checked on generated ones.

Statistical checks use fixed seeds. A one-sided comparison of two runs allows 4.5 standard
errors of the difference plus 0.001 (see test_engine_reference.py for the reasoning); a
comparison with an exact probability uses the 99.9% Wilson interval.
"""

from __future__ import annotations

import math
from dataclasses import fields

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from reference import engine_counts, make_scenario
from strategies import scenarios

from nato_sim.engine.compiled import compile_scenario
from nato_sim.results.stats import wilson
from nato_sim.running.runner import simulate
from nato_sim.scenario.schema import Scenario

N = 20_000
Z999 = 3.2905


def edited(scenario: Scenario, edit) -> Scenario:
    """A copy of the scenario with `edit` applied to its data."""
    data = scenario.model_dump(exclude_none=True)
    edit(data)
    return Scenario.model_validate(data)


@settings(max_examples=25)
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_probabilities_sum_to_one(scenario, seed):
    results = simulate(scenario, trials=3_000, rng=seed)
    assert math.isclose(sum(row.probability for row in results.outcomes), 1.0, abs_tol=1e-12)
    by_round = [row.probability_by for row in results.rounds]
    assert by_round == sorted(by_round)
    appointed = sum(row.probability for row in results.outcomes[:-2])
    assert math.isclose(by_round[-1], appointed, abs_tol=1e-12)


@settings(max_examples=25)
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_same_seed_same_counts(scenario, seed):
    first, second = engine_counts(scenario, 2_000, seed), engine_counts(scenario, 2_000, seed)
    for field in fields(first):
        assert np.array_equal(getattr(first, field.name), getattr(second, field.name)), field.name


def _no_withdrawals(data: dict) -> None:
    for cand in data["candidates"]:
        cand["withdraw"] = 0.0


@settings(max_examples=25)
@given(scenario=scenarios(), data=st.data())
def test_removing_an_unreferenced_rule_never_lowers_its_candidate(scenario, data):
    # Without withdrawals: see test_removing_a_rule_can_lower_its_candidate_via_withdrawals.
    scenario = edited(scenario, _no_withdrawals)
    compiled = compile_scenario(scenario)
    referenced = {
        cond.target for conds in compiled.rule_until for cond in conds if cond.kind == "lifted"
    }
    targets = {}
    for rule, cands in zip(compiled.unit_rule, compiled.unit_candidates, strict=True):
        targets.setdefault(int(rule), set()).update(cands)
    removable = [k for k, cands in targets.items() if len(cands) == 1 and k not in referenced]
    assume(removable)
    k = data.draw(st.sampled_from(removable))
    c = next(iter(targets[k]))
    without = edited(scenario, lambda d: d["objections"].pop(k))

    seed = data.draw(st.integers(0, 2**32 - 1))
    k_with = int(engine_counts(scenario, N, seed).outcomes[c])
    k_without = int(engine_counts(without, N, seed).outcomes[c])
    p = (k_with + k_without) / (2 * N)
    assert k_without / N >= k_with / N - 4.5 * math.sqrt(p * (1 - p) * 2 / N) - 1e-3


def test_removing_a_rule_can_lower_its_candidate_via_withdrawals():
    # Why the property above excludes withdrawals: without rule `r`, c overtakes f as the
    # front-runner, so f withdraws, which lifts `u` and lets g (backed more than c) win.
    members = [
        {"id": i, "name": i, "weight": w}
        for i, w in zip(["AAA", "BBB", "CCC", "DDD", "EEE"], [1, 1, 3, 1, 1], strict=True)
    ]
    cands = [
        {"id": "c", "name": "C", "country": "AAA"},
        {"id": "f", "name": "F", "country": "AAA", "withdraw": 1},
        {"id": "g", "name": "G", "country": "AAA"},
    ]
    rules = [
        {"id": "r", "members": "AAA", "candidates": "c", "lift": 0.2},
        {"id": "x", "members": "BBB", "candidates": "c", "lift": 0.3},
        {"id": "u", "members": "CCC", "candidates": "g", "lift": 0, "until": [{"withdrawn": "f"}]},
        {"id": "v", "members": "DDD", "candidates": "f", "lift": 0},
    ]
    support = {
        "candidates": {
            "c": {"default": 0.95, "members": {"CCC": 0.5}},
            "f": {"default": 0.7},
            "g": {"default": 0.6, "members": {"CCC": 1.0}},
        }
    }

    def scenario(objections):
        return make_scenario(
            members,
            cands,
            support=support,
            objections=objections,
            decision={"rounds": 10},
            dynamics={"bandwagon": 0},
        )

    assert engine_counts(scenario(rules), N, 1).outcomes[0] > 0.05 * N
    assert engine_counts(scenario(rules[1:]), N, 1).outcomes[0] == 0


def _hard_vetoes(data: dict) -> None:
    for rule in data["objections"]:
        rule["lift"] = 0.0
        rule["until"] = []


@settings(max_examples=25)
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_lift_zero_never_lifts(scenario, seed):
    scenario = edited(scenario, _hard_vetoes)
    assume(scenario.objections)
    counts = engine_counts(scenario, 5_000, seed)
    assert counts.lifted.tolist() == [0] * len(scenario.objections)
    assert not counts.lift_round.any()


@settings(max_examples=10)
@given(
    n_members=st.integers(2, 5),
    objector=st.integers(0, 4),
    weights=st.lists(st.sampled_from([0.5, 1, 2, 4]), min_size=5, max_size=5),
    lift=st.sampled_from([0.05, 0.2, 0.5, 0.9]),
    rounds=st.integers(2, 10),
    seed=st.integers(0, 2**32 - 1),
)
def test_zero_bandwagon_gives_constant_hazard(n_members, objector, weights, lift, rounds, seed):
    members = [
        {"id": chr(65 + i) * 3, "name": str(i), "weight": weights[i]} for i in range(n_members)
    ]
    scenario = make_scenario(
        members,
        1,
        support={"default": 0.9},
        objections=[
            {"members": members[objector % n_members]["id"], "candidates": "c1", "lift": lift}
        ],
        decision={"rounds": rounds, "min_support": 0.3},
        dynamics={"bandwagon": 0},
    )
    by_round = np.cumsum(engine_counts(scenario, N, seed).decided_round)
    for r in range(1, rounds + 1):
        low, high = wilson(int(by_round[r - 1]), N, Z999)
        assert low <= 1 - (1 - lift) ** (r - 1) <= high, r
