"""Exact cases for what real successions need: floated names and unnamed compromises that must
declare, declines of front-runners, meeting calendars, early extensions, acting Secretaries
General, and a neutral name that is not backed (docs/model.md).

As in test_engine_exact.py: certain events are checked for equality, probabilistic ones
against the exact probability with the 99.9% Wilson interval of a fixed-seed run of 20,000
trials.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from engine_checks import reference_mismatches
from reference import engine_counts, make_scenario
from test_engine_exact import N, within

from nato_sim.engine.compiled import compile_scenario
from nato_sim.scenario.schema import UNNAMED_DECLARE

ALONE = {"candidates": {"c1": {"default": 0.6}}}


def test_an_unbacked_neutral_name_is_not_appointed():
    # Every member neutral: a backing of exactly 0.5 does not exceed min_support 0.5.
    counts = engine_counts(make_scenario(3, 1), N, seed=1)
    assert counts.outcomes.tolist() == [0, N, 0]
    backed = engine_counts(make_scenario(3, 1, support=ALONE), N, seed=1)
    assert backed.outcomes.tolist() == [N, 0, 0]
    assert backed.decided_round[0] == N


@pytest.mark.parametrize("chance, after", [(0.3, 2), (0.5, 4), (1.0, 3)])
def test_a_floated_name_is_appointed_once_it_declares(chance, after):
    # Unopposed and backed: appointed in the round after it declares, which it does at the
    # end of each round r with r + 1 >= after, with the constant chance.
    candidates = [
        {"id": "c1", "name": "One", "country": "AAA", "declare": {"chance": chance, "after": after}}
    ]
    scenario = make_scenario(3, candidates, support=ALONE, decision={"rounds": 8})
    counts = engine_counts(scenario, N, seed=2)
    decided = np.cumsum(counts.decided_round)
    for r in range(1, 9):
        exact = 0.0 if r < after else 1 - (1 - chance) ** (r - after + 1)
        assert within(decided[r - 1], N, exact), r


def test_an_unnamed_candidate_declares_by_default_with_the_documented_chance():
    candidates = [{"id": "someone", "name": "someone not yet named", "unnamed": True}]
    scenario = make_scenario(3, candidates, support={"candidates": {"someone": {"default": 0.6}}})
    counts = engine_counts(scenario, N, seed=3)
    chance, after = UNNAMED_DECLARE.chance, UNNAMED_DECLARE.after
    decided = np.cumsum(counts.decided_round)
    for r in range(1, 6):
        exact = 0.0 if r < after else 1 - (1 - chance) ** (r - after + 1)
        assert within(decided[r - 1], N, exact), r


def test_a_floated_name_is_not_the_front_runner_so_rivals_stay_in():
    # c2 would be the front-runner, but has not declared (chance 0): c1, behind no one who
    # counts, never withdraws; its objection lifts with certainty, so it wins in round 2.
    candidates = [
        {"id": "c1", "name": "One", "country": "AAA", "withdraw": 1.0},
        {"id": "c2", "name": "Two", "country": "AAA", "declare": {"chance": 0.0}},
    ]
    scenario = make_scenario(
        3,
        candidates,
        support={"candidates": {"c1": {"default": 0.6}, "c2": {"default": 0.9}}},
        objections=[{"members": "AAA", "candidates": "c1", "lift": 1.0}],
        dynamics={"bandwagon": 0},
    )
    counts = engine_counts(scenario, N, seed=4)
    assert counts.outcomes.tolist() == [N, 0, 0, 0]
    assert counts.decided_round[1] == N


@pytest.mark.parametrize("decline", [0.2, 0.6])
def test_a_front_runner_declines_with_its_chance(decline):
    # c2 leads (backing 0.6 against 0.4) but a hard veto keeps it from winning; c1 is blocked
    # until c2 leaves the race. `withdraw` would never move a front-runner; `decline` does.
    candidates = [
        {"id": "c1", "name": "One", "country": "AAA"},
        {"id": "c2", "name": "Two", "country": "AAA", "withdraw": 1.0, "decline": decline},
    ]
    scenario = make_scenario(
        3,
        candidates,
        support={"candidates": {"c1": {"default": 0.6}, "c2": {"default": 0.9}}},
        objections=[
            {"members": "AAA", "candidates": "c2"},
            {"members": "AAA", "candidates": "c1", "until": [{"withdrawn": "c2"}]},
        ],
        decision={"rounds": 6},
    )
    counts = engine_counts(scenario, N, seed=5)
    decided = np.cumsum(counts.decided_round)
    for r in range(1, 7):
        assert within(decided[r - 1], N, 1 - (1 - decline) ** (r - 1)), r
    assert counts.outcomes[1] == 0


@pytest.mark.parametrize("chance, after", [(0.1, 1), (0.3, 3)])
def test_an_early_extension_ends_a_deadlock_before_the_deadline(chance, after):
    # A hard veto on the only candidate: each round from `after` up to the one before the
    # last ends with an extension with the chance; at the deadline, extend_chance 0.5.
    scenario = make_scenario(
        3,
        1,
        support=ALONE,
        objections=[{"members": "AAA", "candidates": "c1"}],
        decision={
            "rounds": 6,
            "extend_chance": 0.5,
            "early_extension": {"chance": chance, "after": after},
        },
    )
    counts = engine_counts(scenario, N, seed=6)
    early = np.cumsum(counts.early_round)
    for r in range(1, 6):
        exact = 0.0 if r < after else 1 - (1 - chance) ** (r - after + 1)
        assert within(early[r - 1], N, exact), r
    assert counts.early_round[5] == 0  # the last round's fallback is the deadline's
    left = (1 - chance) ** (6 - after)
    assert within(counts.outcomes[1], N, 1 - left + left * 0.5)
    assert counts.outcomes[0] == 0


def test_a_vacancy_falls_to_an_acting_secretary_general():
    scenario = make_scenario(
        3,
        1,
        support=ALONE,
        objections=[{"members": "AAA", "candidates": "c1"}],
        decision={"rounds": 3, "on_deadline": "acting", "extend_chance": 0.0},
        incumbent=None,
    )
    counts = engine_counts(scenario, N, seed=7)
    assert counts.outcomes.tolist() == [0, N, 0]  # acting, certain: nothing to agree
    assert compile_scenario(scenario).outcome_labels == ("c1", "acting", "no-decision")


def test_without_an_incumbent_the_deadline_brings_no_decision():
    scenario = make_scenario(
        3, 1, support=ALONE, objections=[{"members": "AAA", "candidates": "c1"}], incumbent=None
    )
    assert engine_counts(scenario, N, seed=8).outcomes.tolist() == [0, 0, N]


def meetings(*weights: float) -> dict:
    start = dt.date(2024, 1, 1)
    return {
        "meetings": [
            {"date": (start + dt.timedelta(days=10 * i)).isoformat(), "weight": w}
            for i, w in enumerate(weights)
        ]
    }


@pytest.mark.parametrize("weights", [(1, 2, 0, 0.5, 3), (1, 1, 1, 1, 1)])
def test_a_meeting_weight_scales_what_can_be_conceded_going_into_it(weights):
    # One soft objection, no bandwagon: it lifts going into meeting r with 1 - (1 - h)^w_r.
    lift = 0.3
    scenario = make_scenario(
        3,
        1,
        support=ALONE,
        objections=[{"members": "AAA", "candidates": "c1", "lift": lift}],
        decision={"rounds": 5, "calendar": meetings(*weights)},
        dynamics={"bandwagon": 0},
    )
    counts = engine_counts(scenario, N, seed=9)
    decided = np.cumsum(counts.decided_round)
    stays = 1.0
    for r in range(1, 6):
        if r >= 2:
            stays *= (1 - lift) ** weights[r - 1]
        assert within(decided[r - 1], N, 1 - stays), r
    if weights[2] == 0:
        assert counts.decided_round[2] == 0  # nothing is conceded going into a weight-0 meeting


def test_a_deadline_counts_the_meetings_on_or_before_it():
    calendar = meetings(1, 1, 1, 1)  # 1, 11, 21 and 31 January 2024
    scenario = make_scenario(
        3, 1, support=ALONE, decision={"deadline": "2024-01-25", "calendar": calendar}
    )
    compiled = compile_scenario(scenario)
    assert compiled.rounds == 3
    assert compiled.round_dates == (dt.date(2024, 1, 1), dt.date(2024, 1, 11), dt.date(2024, 1, 21))


def test_the_reference_agrees_on_every_new_mechanism_at_once():
    # A floated rival, a declining front-runner, weighted meetings and an early extension.
    candidates = [
        {"id": "a", "name": "A", "country": "AAA", "decline": 0.1, "withdraw": 0.2},
        {"id": "b", "name": "B", "country": "BBB", "declare": {"chance": 0.3, "after": 2}},
        {"id": "u", "name": "someone", "unnamed": True},
    ]
    scenario = make_scenario(
        4,
        candidates,
        support={
            "default": 0.55,
            "candidates": {"a": {"default": 0.7}, "b": {"default": 0.65}},
        },
        objections=[
            {"members": "AAA", "candidates": "b", "lift": 0.2},
            {"members": ["BBB", "CCC"], "candidates": "a", "lift": 0.15, "together": True},
            {"members": "DDD", "candidates": "u", "chance": 0.5, "lift": 0.4},
        ],
        decision={
            "rounds": 6,
            "calendar": meetings(1, 0.5, 2, 1, 0, 3),
            "early_extension": {"chance": 0.05, "after": 3},
            "extend_chance": 0.7,
        },
    )
    # Every outcome, P(decided by round r), P(extended early by round r), raised, lifted and
    # blocked: within 4.5 standard errors of their difference plus 0.001 (the tolerance of
    # test_engine_reference.py).
    assert reference_mismatches(scenario, 40_000, 8_000, seed=10, sigmas=4.5, slack=1e-3) == []


def joiners(*members: dict) -> list[dict]:
    return [
        {"id": m, "name": m, **extra}
        for m, extra in zip(("AAA", "BBB", "CCC"), members, strict=False)
    ]


def test_a_member_who_joins_counts_from_that_round_on():
    # Backing 0.4 with AAA alone; from round 3, when BBB (support 1) joins, (0.4 + 1) / 2.
    scenario = make_scenario(
        joiners({}, {"joins": 3}),
        1,
        support={"candidates": {"c1": {"members": {"AAA": 0.4, "BBB": 1.0}}}},
    )
    assert engine_counts(scenario, N, seed=11).decided_round.tolist() == [0, 0, N, 0, 0]


@pytest.mark.parametrize("lift", [0.3, 0.7])
def test_a_joining_members_objection_exists_from_the_round_it_joins(lift):
    # AAA's objection lifts with `lift` at the end of round 1; CCC's hard veto exists from
    # round 3, so only round 2 can appoint.
    scenario = make_scenario(
        joiners({}, {}, {"joins": 3}),
        1,
        support=ALONE,
        objections=[
            {"members": "AAA", "candidates": "c1", "lift": lift},
            {"members": "CCC", "candidates": "c1"},
        ],
        dynamics={"bandwagon": 0},
    )
    counts = engine_counts(scenario, N, seed=12)
    assert counts.decided_round[0] == 0 and not counts.decided_round[2:].any()
    assert within(counts.decided_round[1], N, lift)
    # CCC's veto blocked c1 only in the trials that lasted until CCC joined.
    raised = counts.raised[1]
    assert raised == N - counts.decided_round[1]


def test_a_bloc_joins_as_one_and_someone_counts_from_the_start():
    from nato_sim.scenario.crossref import check_references

    data = make_scenario(joiners({}, {"joins": 2}), 1).model_dump(by_alias=True, exclude_none=True)
    data["objections"] = [{"members": "all", "candidates": "c1", "together": True}]
    data["members"][0]["joins"] = 3
    messages = [finding.message for finding in check_references(data, None)]
    assert messages == [
        "every member joins after round 1, so nobody counts at the start",
        "a 'together' bloc acts as one, so its members must join in the same round",
    ]
