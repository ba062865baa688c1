"""Tests for the backtest's scores of when, skill with its bootstrap, and calibration bins.

Every expected value is computed by hand in the comment beside it.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest

from nato_sim.analysis.calibration import reliability
from nato_sim.analysis.scores import crps_days, range_log_loss, rps, skill
from nato_sim.analysis.skill import skill_interval
from nato_sim.errors import UsageError

FLOOR = 6 * math.log(10)  # -ln(1e-6)

# RPS over three ordered categories, forecast [0.2, 0.5, 0.3]: F1 = 0.2, F2 = 0.7.
THREE = [0.2, 0.5, 0.3]


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [
        (1, 1, ((1 - 0.2) ** 2 + (1 - 0.7) ** 2) / 2),  # 0.365
        (2, 2, (0.2**2 + (1 - 0.7) ** 2) / 2),  # 0.065
        (3, 3, (0.2**2 + 0.7**2) / 2),  # 0.265
        (1, 2, (1 - 0.7) ** 2 / 2),  # O1 unknown: only k = 2 counts, 0.045
        (2, 3, 0.2**2 / 2),  # O2 unknown: only k = 1 counts, 0.02
        (1, 3, 0.0),  # anywhere: nothing is known
    ],
)
def test_rps_by_hand(lo, hi, expected):
    assert rps(THREE, lo, hi) == pytest.approx(expected, abs=1e-12)


def test_rps_is_0_on_the_actual_category_and_1_at_the_far_end():
    assert rps([0.0, 0.0, 1.0, 0.0], 3) == 0.0
    assert rps([1.0, 0.0, 0.0, 0.0], 4) == 1.0
    assert rps([0.0, 0.0, 0.0, 1.0], 1) == 1.0
    assert rps([1.0], 1) == 0.0  # a single category: nothing to get wrong


def test_range_log_loss_by_hand_and_floor():
    assert range_log_loss(THREE, 2) == pytest.approx(-math.log(0.5), abs=1e-12)
    assert range_log_loss(THREE, 2, 3) == pytest.approx(-math.log(0.8), abs=1e-12)
    assert range_log_loss([1.0, 0.0], 1) == 0.0
    assert range_log_loss([1.0, 0.0], 2) == pytest.approx(FLOOR, abs=1e-12)


def test_a_range_outside_the_categories_is_a_usage_error():
    with pytest.raises(UsageError, match="not within categories 1..3"):
        rps(THREE, 4)
    with pytest.raises(UsageError, match="not within categories"):
        range_log_loss(THREE, 2, 1)


# CRPS over days: rounds on 1 and 4 January, in time until 6 January (six days in all).
# Forecast [0.6, 0.3, 0.1]: F = 0.6 on 1-3 January, 0.9 on 4-6 January.
DATES = [dt.date(2024, 1, 1), dt.date(2024, 1, 4)]
END = dt.date(2024, 1, 6)
TWO_ROUNDS = [0.6, 0.3, 0.1]


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [
        (1, 1, 3 * 0.4**2 + 3 * 0.1**2),  # 0.51
        (2, 2, 3 * 0.6**2 + 3 * 0.1**2),  # 1.11
        (3, 3, 3 * 0.6**2 + 3 * 0.9**2),  # none by the deadline: 3.51
        (1, 2, 3 * 0.1**2),  # O unknown on 1-3 January: 0.03
        (2, 3, 3 * 0.6**2),  # O unknown from 4 January on: 1.08
    ],
)
def test_crps_by_hand(lo, hi, expected):
    assert crps_days(TWO_ROUNDS, DATES, END, lo, hi) == pytest.approx(expected, abs=1e-12)


def test_crps_is_0_for_everything_on_the_actual_round_and_the_days_at_worst():
    assert crps_days([1.0, 0.0, 0.0], DATES, END, 1) == 0.0
    assert crps_days([0.0, 1.0, 0.0], DATES, END, 2) == 0.0
    assert crps_days([0.0, 0.0, 1.0], DATES, END, 3) == 0.0
    assert crps_days([1.0, 0.0, 0.0], DATES, END, 3) == 6.0  # 1 to 6 January
    assert crps_days([0.0, 0.0, 1.0], DATES, END, 1) == 6.0


def test_crps_needs_one_probability_per_round_and_beyond():
    with pytest.raises(UsageError, match="2 probabilities for 2 rounds and beyond"):
        crps_days([0.5, 0.5], DATES, END, 1)


def test_skill_by_hand():
    assert skill(0.25, 1.0) == 0.75
    assert skill(2.0, 1.0) == -1.0
    assert skill(0.0, 0.0) is None


def test_skill_interval_resamples_whole_races():
    # Race a: nine snapshots scored 1 by both; race b: one case, model 0 and baseline 1.
    # All cases: 1 - (9/10) / 1 = 0.1. Resampling the two races: {a, a} -> 0, {b, b} -> 1,
    # {a, b} -> 0.1; {a, a} and {b, b} each come a quarter of the time, so the 95% interval
    # is [0, 1]. Resampling the ten cases instead would almost never draw b alone.
    races = ["a"] * 9 + ["b"]
    result = skill_interval([1.0] * 9 + [0.0], [1.0] * 10, races, seed=1)
    assert result.value == pytest.approx(0.1, abs=1e-12)
    assert (result.low, result.high) == (0.0, 1.0)
    assert (result.cases, result.races) == (10, 2)


def test_skill_interval_of_one_race_is_its_value_and_is_reproducible():
    first = skill_interval([0.2, 0.4], [0.5, 0.5], ["a", "a"], seed=3, resamples=500)
    assert first.value == pytest.approx(1 - 0.3 / 0.5, abs=1e-12)
    assert first.low == pytest.approx(first.value) and first.high == pytest.approx(first.value)
    assert skill_interval([0.2, 0.4], [0.5, 0.5], ["a", "a"], seed=3, resamples=500) == first


def test_skill_interval_without_cases_or_with_a_perfect_baseline():
    empty = skill_interval([], [], [], seed=1)
    assert (empty.value, empty.low, empty.high, empty.cases) == (None, None, None, 0)
    perfect = skill_interval([0.5], [0.0], ["a"], seed=1)
    assert (perfect.value, perfect.low, perfect.high) == (None, None, None)


def test_reliability_bins_by_hand():
    bins = reliability(
        [(0.05, False), (0.05, True), (0.0, False), (0.1, False), (0.95, True), (1.0, True)]
    )
    assert len(bins) == 10
    assert (bins[0].count, bins[0].happened) == (3, 1)
    assert bins[0].mean_forecast == pytest.approx(0.1 / 3)
    assert bins[0].observed == pytest.approx(1 / 3)
    assert (bins[1].count, bins[1].happened, bins[1].observed) == (1, 0, 0.0)  # 0.1: bin 2
    assert (bins[9].count, bins[9].happened, bins[9].mean_forecast) == (2, 2, 0.975)
    assert all(b.count == 0 and b.observed is None for b in bins[2:9])
    assert [(b.low, b.high) for b in bins][:2] == [(0.0, 0.1), (0.1, 0.2)]
