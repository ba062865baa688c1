"""Small cases whose answer is known exactly, from the model's definition (docs/model.md).

Certain events are checked for equality. Probabilistic ones are checked against the exact
probability with the 99.9% Wilson interval (z = 3.29) of a fixed-seed run of 20,000 trials:
with one or a dozen comparisons per test, a correct engine fails a check about once in a
thousand seeds per comparison, and the seeds are fixed, so the suite is repeatable.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from reference import engine_counts, make_scenario

from nato_sim.engine.compiled import compile_scenario
from nato_sim.results.stats import wilson
from nato_sim.scenario.loader import load

N = 20_000
Z999 = 3.2905


def within(successes: int, trials: int, p: float) -> bool:
    """Whether p lies in the 99.9% Wilson interval of successes / trials."""
    low, high = wilson(int(successes), trials, Z999)
    return low <= p <= high


def support(**defaults: float) -> dict:
    """Support block giving each candidate a default."""
    return {"candidates": {c: {"default": v} for c, v in defaults.items()}}


def test_no_objections_best_backed_wins_round_one():
    scenario = make_scenario(
        3,
        3,
        support={
            "candidates": {
                "c1": {"default": {"uniform": [0.55, 0.65]}},
                "c2": {"default": {"uniform": [0.7, 0.9]}, "members": {"AAA": 0.6}},
                "c3": {"default": 0.4},
            }
        },
    )
    counts = engine_counts(scenario, N, seed=1)
    assert counts.outcomes.tolist() == [0, N, 0, 0, 0]
    assert counts.decided_round.tolist() == [N, 0, 0, 0, 0]


def test_no_eligible_candidate_below_min_support():
    scenario = make_scenario(
        3, 2, support=support(c1=0.6, c2=0.65), decision={"rounds": 3, "min_support": 0.7}
    )
    counts = engine_counts(scenario, N, seed=2)
    assert counts.outcomes.tolist() == [0, 0, N, 0]


@pytest.mark.parametrize(
    "on_deadline, extend_chance, expected",
    [("extend", 1.0, 1.0), ("extend", 0.3, 0.3), ("no_decision", 1.0, 0.0)],
)
def test_hard_veto_on_only_candidate(on_deadline, extend_chance, expected):
    scenario = make_scenario(
        3,
        1,
        support=support(c1=0.9),
        objections=[{"members": "AAA", "candidates": "c1", "lift": 0}],
        decision={"rounds": 6, "on_deadline": on_deadline, "extend_chance": extend_chance},
    )
    counts = engine_counts(scenario, N, seed=3)
    extended, none = counts.outcomes[1:]
    assert counts.outcomes[0] == 0
    assert extended + none == N
    if expected in (0.0, 1.0):
        assert extended == expected * N
    else:
        assert within(extended, N, expected)


@pytest.mark.parametrize("lift", [0.1, 0.35, 0.8])
def test_soft_objection_constant_hazard(lift):
    rounds = 12
    scenario = make_scenario(
        3,
        1,
        support=support(c1=0.9),
        objections=[{"members": "BBB", "candidates": "c1", "lift": lift}],
        decision={"rounds": rounds},
        dynamics={"bandwagon": 0},
    )
    counts = engine_counts(scenario, N, seed=4)
    by_round = np.cumsum(counts.decided_round)
    for r in range(1, rounds + 1):
        assert within(by_round[r - 1], N, 1 - (1 - lift) ** (r - 1)), r


def test_lift_round_dates_each_lift():
    # The only objection blocks the only candidate: lifted at the end of round r, it no longer
    # stands from round r + 1, in which the candidate is appointed.
    lift, rounds = 0.3, 6
    scenario = make_scenario(
        3,
        1,
        support=support(c1=0.9),
        objections=[{"members": "BBB", "candidates": "c1", "lift": lift}],
        decision={"rounds": rounds},
        dynamics={"bandwagon": 0},
    )
    counts = engine_counts(scenario, N, seed=21)
    assert counts.raised[0] == N
    assert counts.lift_round[0, 2 : rounds + 1].tolist() == counts.decided_round[1:].tolist()
    assert counts.lift_round[0, [0, 1, rounds + 1]].tolist() == [0, 0, 0]
    for j in range(2, rounds + 1):
        assert within(counts.lift_round[0, j], N, (1 - lift) ** (j - 2) * lift), j


def test_bandwagon_hazard_uses_backing():
    # The objector's own support is left out: B = (0.9 + 0.6) / 3 = 0.5 while it objects.
    lift, beta = 0.2, 2.0
    scenario = make_scenario(
        3,
        1,
        support={"candidates": {"c1": {"default": 0.9, "members": {"CCC": 0.6}}}},
        objections=[{"members": "BBB", "candidates": "c1", "lift": lift}],
        decision={"rounds": 8},
        dynamics={"bandwagon": beta},
    )
    hazard = 1 - (1 - lift) ** (1 + beta * 0.5)
    counts = engine_counts(scenario, N, seed=5)
    by_round = np.cumsum(counts.decided_round)
    for r in range(1, 9):
        assert within(by_round[r - 1], N, 1 - (1 - hazard) ** (r - 1)), r


def test_lift_zero_never_lifts():
    scenario = make_scenario(
        4,
        2,
        support=support(c1=0.95, c2=0.9),
        objections=[{"id": "hard", "members": ["AAA", "BBB"], "candidates": "all", "lift": 0}],
        decision={"rounds": 30},
        dynamics={"bandwagon": 10},
    )
    counts = engine_counts(scenario, N, seed=6)
    assert counts.outcomes.tolist() == [0, 0, N, 0]
    assert counts.raised.tolist() == [N]
    assert counts.lifted.tolist() == [0]
    assert counts.blocked.tolist() == [N] * 4


@pytest.mark.parametrize("after", [2, 4, 7])
def test_after_is_respected(after):
    certain = make_scenario(
        3,
        1,
        support=support(c1=0.9),
        objections=[{"members": "AAA", "candidates": "c1", "lift": 1, "after": after}],
        decision={"rounds": 8},
    )
    counts = engine_counts(certain, N, seed=7)
    assert counts.decided_round[after - 1] == N
    soft = make_scenario(
        3,
        1,
        support=support(c1=0.9),
        objections=[{"members": "AAA", "candidates": "c1", "lift": 0.5, "after": after}],
        decision={"rounds": 8},
        dynamics={"bandwagon": 0},
    )
    counts = engine_counts(soft, N, seed=8)
    assert counts.decided_round[: after - 1].sum() == 0
    assert within(counts.decided_round[after - 1], N, 0.5)


def _withdraw_case(order: list[dict], after: int = 2):
    """c1 (front-runner) is held by rules that wait for c2, which withdraws for certain."""
    return make_scenario(
        4,
        [
            {"id": "c1", "name": "One", "country": "AAA"},
            {"id": "c2", "name": "Two", "country": "BBB", "withdraw": 1},
        ],
        support=support(c1=0.9, c2=0.2),
        objections=[*order, {"members": "DDD", "candidates": "c2", "lift": 0}],
        decision={"rounds": 6},
    )


@pytest.mark.parametrize("after", [2, 5])
def test_until_withdrawn_lifts_in_the_same_round(after):
    rule = {
        "id": "x",
        "members": "AAA",
        "candidates": "c1",
        "lift": 0,
        "after": after,
        "until": [{"withdrawn": "c2"}],
    }
    counts = engine_counts(_withdraw_case([rule]), N, seed=9)
    assert counts.outcomes.tolist() == [N, 0, 0, 0]
    assert counts.decided_round.tolist() == [0, N, 0, 0, 0, 0]
    assert counts.lift_round[0].tolist() == [0, 0, N, 0, 0, 0, 0, 0]


def test_chain_of_lifted_conditions_resolves_in_one_step():
    # Listed so that a single pass in file order would leave `a` and `b` standing.
    rules = [
        {"id": "a", "members": "AAA", "candidates": "c1", "lift": 0, "until": [{"lifted": "b"}]},
        {"id": "b", "members": "BBB", "candidates": "c1", "lift": 0, "until": [{"lifted": "c"}]},
        {
            "id": "c",
            "members": "CCC",
            "candidates": "c1",
            "lift": 0,
            "until": [{"withdrawn": "c2"}],
        },
    ]
    counts = engine_counts(_withdraw_case(rules), N, seed=10)
    assert counts.outcomes.tolist() == [N, 0, 0, 0]
    assert counts.decided_round[1] == N
    assert counts.lifted.tolist() == [N, N, N, 0]


def test_lifted_condition_holds_for_a_rule_never_raised():
    rules = [
        {"id": "a", "members": "AAA", "candidates": "c1", "lift": 0, "until": [{"lifted": "b"}]},
        {"id": "b", "members": "BBB", "candidates": "c1", "lift": 0, "chance": 0.4},
    ]
    scenario = make_scenario(3, 1, support=support(c1=0.9), objections=rules)
    counts = engine_counts(scenario, N, seed=11)
    # Never raised (0.6): `a` lifts after round 1; raised: `b` is a hard veto.
    assert counts.decided_round.tolist() == [0, counts.outcomes[0], 0, 0, 0]
    assert within(counts.outcomes[0], N, 0.6)


def test_round_condition():
    rule = {"members": "AAA", "candidates": "c1", "lift": 0, "until": [{"round": 4}]}
    scenario = make_scenario(3, 1, support=support(c1=0.9), objections=[rule])
    counts = engine_counts(scenario, N, seed=12)
    assert counts.decided_round.tolist() == [0, 0, 0, N, 0]


def test_together_bloc_is_raised_and_lifted_as_one():
    bloc = {
        "members": ["AAA", "BBB", "CCC"],
        "candidates": "c1",
        "chance": 0.5,
        "lift": 0.2,
        "together": True,
    }
    scenario = make_scenario(
        5,
        1,
        support=support(c1=0.9),
        objections=[bloc],
        decision={"rounds": 4},
        dynamics={"bandwagon": 0},
    )
    counts = engine_counts(scenario, N, seed=13)
    # Raised with one draw, lifted with one draw per round: P(still standing) = 0.5 * 0.8^3.
    # Independent pairs would give 1 - (1 - 0.5 * 0.8^3)^3 instead.
    assert within(counts.outcomes[1], N, 0.5 * 0.8**3)
    assert within(counts.raised[0], N, 0.5)
    assert len(set(counts.blocked.tolist())) == 1
    assert counts.blocked[0] == counts.outcomes[1]
    assert counts.pivotal.tolist() == [0, 0, 0]


def test_together_bloc_over_two_candidates():
    bloc = {
        "members": ["AAA", "BBB"],
        "candidates": "all",
        "chance": 0.5,
        "lift": 0,
        "together": True,
    }
    scenario = make_scenario(3, 2, support=support(c1=0.9, c2=0.8), objections=[bloc])
    counts = engine_counts(scenario, N, seed=14)
    extended = counts.outcomes[2]
    assert counts.outcomes[1] == 0
    assert counts.outcomes[0] + extended == N
    assert counts.blocked.tolist() == [extended] * 4
    assert within(extended, N, 0.5)


def test_independent_pairs_are_drawn_separately():
    rule = {"members": ["AAA", "BBB", "CCC"], "candidates": "c1", "chance": 0.5, "lift": 0}
    scenario = make_scenario(4, 1, support=support(c1=0.9), objections=[rule])
    counts = engine_counts(scenario, N, seed=15)
    assert within(counts.outcomes[0], N, 0.5**3)
    lost = counts.outcomes[1]
    assert all(within(k, lost, 0.5 / (1 - 0.5**3)) for k in counts.blocked)
    assert within(counts.pivotal.sum(), lost, 3 * 0.5**3 / (1 - 0.5**3))


def test_entering_candidate_never_wins_before_entry():
    scenario = make_scenario(
        3,
        [
            {"id": "c1", "name": "One", "country": "AAA"},
            {"id": "c2", "name": "Two", "country": "BBB", "enters": 3},
        ],
        support=support(c1=0.7, c2=0.9),
        objections=[{"members": "AAA", "candidates": "c1", "lift": 0.3}],
        dynamics={"bandwagon": 0},
    )
    counts = engine_counts(scenario, N, seed=16)
    # c1 can only win in round 2 (lifted after round 1); from round 3 c2 outbids it.
    assert counts.decided_round.tolist() == [0, counts.outcomes[0], counts.outcomes[1], 0, 0]
    assert within(counts.outcomes[0], N, 0.3)


def test_unobjected_candidate_short_of_min_support_never_wins_later():
    # c1's backing (0.6) never changes: it wins in round 1 exactly when the drawn min_support
    # is at most 0.6 (probability 0.5), and never afterwards; otherwise c2 wins in round 2,
    # once its objection has surely lifted.
    scenario = make_scenario(
        3,
        2,
        support=support(c1=0.6, c2=0.9),
        objections=[{"members": "AAA", "candidates": "c2", "lift": 1}],
        decision={"rounds": 4, "min_support": {"uniform": [0.5, 0.7]}},
    )
    counts = engine_counts(scenario, N, seed=25)
    assert counts.decided_round.tolist() == [counts.outcomes[0], counts.outcomes[1], 0, 0]
    assert counts.outcomes[0] + counts.outcomes[1] == N
    assert within(counts.outcomes[0], N, 0.5)


def test_objection_to_late_entrant_lifts_only_once_in_the_race():
    scenario = make_scenario(
        3,
        [{"id": "c1", "name": "One", "country": "AAA", "enters": 3}],
        support=support(c1=0.9),
        objections=[{"members": "AAA", "candidates": "c1", "lift": 1}],
    )
    counts = engine_counts(scenario, N, seed=17)
    assert counts.decided_round.tolist() == [0, 0, 0, N, 0]


def _late_entrant_case(rules: list[dict], rounds: int = 6):
    """c1 in the race from round 1, c2 entering in round 4; c1 well backed."""
    return make_scenario(
        3,
        [
            {"id": "c1", "name": "One", "country": "AAA"},
            {"id": "c2", "name": "Two", "country": "BBB", "enters": 4},
        ],
        support=support(c1=0.9, c2=0.6),
        objections=rules,
        decision={"rounds": rounds},
    )


def test_until_lifts_an_objection_to_a_late_entrant_only_once_it_exists():
    # `t` (on c2, entering in round 4) would lift by its round condition after round 2; it
    # exists from round 4, so it lifts at the end of round 3, and so does `s`, which waits
    # for it: c1 is appointed in round 4, not round 3.
    rules = [
        {"id": "s", "members": "AAA", "candidates": "c1", "lift": 0, "until": [{"lifted": "t"}]},
        {"id": "t", "members": "BBB", "candidates": "c2", "lift": 0, "until": [{"round": 3}]},
    ]
    counts = engine_counts(_late_entrant_case(rules), N, seed=30)
    assert counts.outcomes.tolist() == [N, 0, 0, 0]
    assert counts.decided_round.tolist() == [0, 0, 0, N, 0, 0]
    assert counts.lift_round[1].tolist() == [0, 0, 0, 0, N, 0, 0, 0]
    assert counts.lift_round[0].tolist() == [0, 0, 0, 0, N, 0, 0, 0]


def test_a_rule_against_a_late_entrant_is_settled_only_once_it_enters():
    # `t` is never raised; `s` waits for it all the same until c2 enters (round 4).
    rules = [
        {"id": "s", "members": "AAA", "candidates": "c1", "lift": 0, "until": [{"lifted": "t"}]},
        {"id": "t", "members": "BBB", "candidates": "c2", "chance": 0},
    ]
    counts = engine_counts(_late_entrant_case(rules), N, seed=31)
    assert counts.decided_round.tolist() == [0, 0, 0, N, 0, 0]
    assert counts.raised.tolist() == [N, 0]


def test_objections_to_a_candidate_who_never_entered_block_nobody_and_are_not_raised():
    # c1 is appointed in round 1, before c2 enters: the hard veto on c2 never existed.
    rules = [{"id": "t", "members": "BBB", "candidates": "c2", "lift": 0}]
    counts = engine_counts(_late_entrant_case(rules), N, seed=32)
    assert counts.outcomes.tolist() == [N, 0, 0, 0]
    assert counts.raised.tolist() == [0]
    assert counts.blocked.tolist() == [0]
    assert counts.pivotal.tolist() == [0]


def test_objections_to_a_late_entrant_count_once_the_trial_reaches_its_entry():
    # A hard veto on c1 keeps every trial open until c2 enters in round 4. c2 is appointed
    # then unless its own hard veto was raised; then the incumbent is extended.
    rules = [
        {"id": "s", "members": "AAA", "candidates": "c1", "lift": 0},
        {"id": "t", "members": "BBB", "candidates": "c2", "chance": 0.5, "lift": 0},
    ]
    counts = engine_counts(_late_entrant_case(rules), N, seed=33)
    appointed, extended = counts.outcomes[1], counts.outcomes[2]
    assert appointed + extended == N and counts.decided_round[3] == appointed
    assert counts.raised.tolist() == [N, extended] and within(extended, N, 0.5)
    assert counts.blocked.tolist() == [N, extended]


@pytest.mark.parametrize("k", [2, 3, 4])
def test_ties_broken_at_random(k):
    scenario = make_scenario(3, k, support={"default": 0.8})
    counts = engine_counts(scenario, N, seed=18)
    assert all(within(counts.outcomes[c], N, 1 / k) for c in range(k))


@pytest.mark.parametrize("min_support, appointed", [(0.1, True), (0.2, False)])
def test_ties_within_rounding_are_ties(min_support, appointed):
    # Both backings are 0.2, but summed in a different order they differ in the last bit:
    # they tie with each other, and with a min_support of 0.2, which they then do not exceed.
    scenario = make_scenario(
        3,
        2,
        support={
            "candidates": {
                "c1": {"members": {"AAA": 0.1, "BBB": 0.1, "CCC": 0.4}},
                "c2": {"members": {"AAA": 0.4, "BBB": 0.1, "CCC": 0.1}},
            }
        },
        decision={"rounds": 2, "min_support": min_support},
    )
    counts = engine_counts(scenario, N, seed=19)
    if appointed:
        assert counts.outcomes[2:].sum() == 0
        assert within(counts.outcomes[0], N, 0.5)
    else:
        assert counts.outcomes.tolist() == [0, 0, N, 0]


@pytest.mark.parametrize("c2_support, c2_withdraws", [(0.7, True), (0.9, False)])
def test_front_runners_never_withdraw(c2_support, c2_withdraws):
    # `until: withdrawn` rules that never lift otherwise record who withdrew.
    scenario = make_scenario(
        3,
        [
            {"id": "c1", "name": "One", "country": "AAA", "withdraw": 1},
            {"id": "c2", "name": "Two", "country": "AAA", "withdraw": 1},
        ],
        support=support(c1=0.9, c2=c2_support),
        objections=[
            {"members": "AAA", "candidates": "all", "lift": 0},
            {"members": "CCC", "candidates": "c2", "lift": 0, "until": [{"withdrawn": "c1"}]},
            {"members": "BBB", "candidates": "c1", "lift": 0, "until": [{"withdrawn": "c2"}]},
        ],
        decision={"rounds": 4},
    )
    counts = engine_counts(scenario, N, seed=20)
    assert counts.outcomes.tolist() == [0, 0, N, 0]
    assert counts.lifted.tolist() == [0, 0, N if c2_withdraws else 0]


DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("name", ["minimal", "engine-mix"])
def test_count_invariants(name):
    scenario = load(DATA / f"{name}.yaml")
    compiled = compile_scenario(scenario)
    n_cands = len(compiled.candidate_ids)
    counts = engine_counts(scenario, N, seed=21)
    assert counts.trials == N
    assert counts.outcomes.sum() == N
    assert counts.decided_round.sum() == counts.outcomes[:n_cands].sum()
    losses = N - counts.outcomes[:n_cands]
    assert np.all(counts.blocked <= losses[compiled.pair_candidate])
    assert np.all(counts.pivotal <= counts.blocked)
    assert np.all(counts.lifted <= counts.raised)
    assert np.all(counts.raised <= N)
    assert counts.lift_round.sum(axis=1).tolist() == counts.lifted.tolist()
