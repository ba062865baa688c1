"""Tests for the backtest's baselines: the favourite, outcome kinds, leave-one-out counts.

The small set of cases below is checked by hand: race r2 has two snapshots (each counts
1/2), and every count is of the *other* races, so the counts sum to their number, n. The
learnt baselines add Jeffreys' half count to each kind: (n_k + 1/2) / (n + K/2).
"""

from __future__ import annotations

import pytest

from nato_sim.analysis.baselines import (
    Facts,
    base_rate_forecast,
    best_backed_forecast,
    favourite_forecast,
    favourites,
    kind_of,
    leave_one_out_rates,
    no_appointment_rate,
    outcome_groups,
    uniform_forecast,
)
from nato_sim.analysis.timing import base_rate_timing, uniform_timing
from nato_sim.engine.compiled import compile_scenario
from nato_sim.scenario.schema import Scenario

A_GROUPS = {
    "favourite": ("a1",),
    "other_named": ("a2", "a3"),
    "extension": ("extension",),
    "no-decision": ("no-decision",),
}
C_GROUPS = {
    "favourite": ("c1",),
    "unnamed": ("someone",),
    "acting": ("acting",),
    "no-decision": ("no-decision",),
}
A = Facts("r1", ("a1", "a2", "a3", "extension", "no-decision"), A_GROUPS, "favourite")
B1 = Facts("r2", ("b1", "b2", "extension", "no-decision"), {}, "other_named")
B2 = Facts("r2", ("b1", "b2", "extension", "no-decision"), {}, "favourite")
C = Facts("r3", ("c1", "someone", "acting", "no-decision"), C_GROUPS, "acting")
RATES = leave_one_out_rates([A, B1, B2, C])


def test_leave_one_out_counts_by_hand():
    a, b1, b2, c = RATES
    # A: r2 gives favourite 1/2 and other_named 1/2, r3 acting 1; n = 2 races.
    assert a == pytest.approx({"favourite": 0.5, "other_named": 0.5, "acting": 1.0})
    # B1 and B2 leave their whole race out: r1 favourite, r3 acting.
    assert b1 == b2 == pytest.approx({"favourite": 1.0, "acting": 1.0})
    # C: r1 favourite 1, r2 favourite 1/2 and other_named 1/2.
    assert c == pytest.approx({"favourite": 1.5, "other_named": 0.5})
    for counts, n in ((a, 2), (b1, 2), (c, 2)):
        assert sum(counts.values()) == pytest.approx(n)


def test_one_race_has_nothing_to_learn_from():
    assert leave_one_out_rates([B1, B2]) == [None, None]


def test_favourite_baseline_by_hand():
    # A: n_fav = 1/2 of n = 2, so a1 gets (1/2 + 1/2) / (2 + 1) = 1/3; the other four
    # possible outcomes share 2/3, 1/6 each.
    assert favourite_forecast(A, RATES[0]) == pytest.approx(
        {"a1": 1 / 3, "a2": 1 / 6, "a3": 1 / 6, "extension": 1 / 6, "no-decision": 1 / 6}
    )
    # C: n_fav = 3/2 of n = 2, so c1 gets (3/2 + 1/2) / 3 = 2/3; someone not yet named,
    # acting and no decision share 1/3, 1/9 each.
    assert favourite_forecast(C, RATES[3]) == pytest.approx(
        {"c1": 2 / 3, "someone": 1 / 9, "acting": 1 / 9, "no-decision": 1 / 9}
    )


def test_base_rate_baseline_by_hand():
    # A's K = 4 kinds: favourite 1/2, other named 1/2, extension 0, no decision 0; r3's
    # acting is a kind A cannot have and is left out, so n = 1 and n + K/2 = 3. Favourite
    # (1/2 + 1/2) / 3 = 1/3, other named 1/3 split over a2 and a3, extension and no decision
    # (0 + 1/2) / 3 = 1/6 each.
    assert base_rate_forecast(A, RATES[0]) == pytest.approx(
        {"a1": 1 / 3, "a2": 1 / 6, "a3": 1 / 6, "extension": 1 / 6, "no-decision": 1 / 6}
    )
    # C's K = 4 kinds: favourite 3/2, unnamed, acting and no decision 0; r2's other named
    # half is a kind C cannot have, so n = 3/2 and n + K/2 = 7/2. Favourite 2 / (7/2) = 4/7,
    # the others (1/2) / (7/2) = 1/7 each.
    assert base_rate_forecast(C, RATES[3]) == pytest.approx(
        {"c1": 4 / 7, "someone": 1 / 7, "acting": 1 / 7, "no-decision": 1 / 7}
    )


def test_a_kind_no_other_race_ended_in_gets_half_a_count():
    # E ended in an extension, which no other race did. Its other races: r1 favourite 1,
    # r2 favourite 1/2 and other named 1/2, so n = 2 (all in kinds E can have) and K = 4:
    # extension and no decision get exactly (1/2) / (2 + 4/2) = 1/8; nothing gets 0.
    e = Facts("r4", A.labels, A_GROUPS, "extension")
    counts = leave_one_out_rates([A, B1, B2, e])[3]
    assert counts == {"favourite": 1.5, "other_named": 0.5}
    forecast = base_rate_forecast(e, counts)
    assert forecast["extension"] == forecast["no-decision"] == 0.5 / (2 + 4 / 2)
    assert forecast["a1"] == (1.5 + 0.5) / 4  # the favourite: 1/2
    assert forecast["a2"] == forecast["a3"] == (0.5 + 0.5) / 4 / 2  # other named: 1/4, halved
    assert sum(forecast.values()) == pytest.approx(1.0)
    # The favourite baseline: a1 gets (3/2 + 1/2) / (2 + 1) = 2/3, the four others 1/12 each.
    assert favourite_forecast(e, counts)["extension"] == pytest.approx(1 / 12)


def test_without_rates_every_possible_outcome_or_kind_gets_an_even_share():
    assert favourite_forecast(A, None) == pytest.approx(
        {"a1": 0.2, "a2": 0.2, "a3": 0.2, "extension": 0.2, "no-decision": 0.2}
    )
    # Four kinds, a quarter each; other named split over two candidates.
    assert base_rate_forecast(A, None) == pytest.approx(
        {"a1": 0.25, "a2": 0.125, "a3": 0.125, "extension": 0.25, "no-decision": 0.25}
    )


def test_no_appointment_rate_and_timing_baselines():
    # A: r3 (acting) of n = 2 races, (1 + 1/2) / (2 + 1); C: none of 2, (0 + 1/2) / 3.
    assert no_appointment_rate(RATES[0]) == pytest.approx(0.5)
    assert no_appointment_rate(RATES[3]) == pytest.approx(1 / 6)
    assert no_appointment_rate(None) is None
    assert base_rate_timing(4, 0.5) == [0.125, 0.125, 0.125, 0.125, 0.5]
    assert base_rate_timing(2, None) == uniform_timing(2) == [1 / 3, 1 / 3, 1 / 3]


def _compiled(candidates, on_deadline="extend", **extra):
    data = {
        "title": "t",
        "description": "d",
        "members": [{"id": "AAA", "name": "A", "weight": 3}, {"id": "BBB", "name": "B"}],
        "candidates": candidates,
        "support": {
            "candidates": {
                "p": {"members": {"AAA": 0.9, "BBB": 0.1}},  # (2.7 + 0.1) / 4 = 0.7
                "q": {"members": {"AAA": 0.2, "BBB": 0.9}},  # (0.6 + 0.9) / 4 = 0.375
                "u": {"default": 0.95},
            }
        },
        "decision": {"rounds": 3, "on_deadline": on_deadline},
        **extra,
    }
    return compile_scenario(Scenario.model_validate(data))


NAMED = [{"id": "p", "name": "P", "country": "AAA"}, {"id": "q", "name": "Q", "country": "BBB"}]
UNNAMED = {"id": "u", "name": "someone not yet named", "unnamed": True}


def test_the_favourite_is_the_best_backed_named_candidate():
    # The unnamed compromise has more backing (0.95) but is no named favourite.
    compiled = _compiled([*NAMED, UNNAMED], incumbent={"name": "I", "country": "AAA"})
    assert favourites(compiled) == ("p",)
    assert best_backed_forecast(compiled) == {
        "p": 1.0,
        "q": 0.0,
        "u": 0.0,
        "extension": 0.0,
        "no-decision": 0.0,
    }
    assert uniform_forecast(compiled)["u"] == pytest.approx(1 / 3)
    groups = outcome_groups(compiled)
    assert groups == {
        "favourite": ("p",),
        "other_named": ("q",),
        "unnamed": ("u",),
        "extension": ("extension",),
        "no-decision": ("no-decision",),
    }
    assert [kind_of(groups, x) for x in ("p", "q", "u", "extension", "acting")] == [
        "favourite",
        "other_named",
        "unnamed",
        "extension",
        None,
    ]


def test_the_fallback_decides_between_extension_and_acting():
    acting = outcome_groups(_compiled(NAMED, on_deadline="acting"))
    assert "acting" in acting and "extension" not in acting
    none = outcome_groups(_compiled(NAMED, on_deadline="no_decision"))
    assert "acting" not in none and "extension" not in none and "no-decision" in none
