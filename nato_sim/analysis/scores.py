"""Proper scores of a forecast against what happened (docs/backtest.md gives the formulas).

Who: a forecast is P(outcome) over a case's outcomes; it is scored by the probability given
to what happened, its rank, the Brier score and the log loss.

When: a forecast of the decision time is P(an appointment in round r) for r = 1..R, and the
rest, P(no appointment by the deadline), sits on one last category "beyond the horizon". The
actual time is a range of those categories, lo..hi: one round for a day's date, several for a
date known only to the month. It is scored by the ranked probability score (RPS) over the
categories, the log score of the range, and, with a calendar, the continuous ranked
probability score (CRPS) over days.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nato_sim.errors import UsageError

EPS = 1e-6


def brier(probabilities: Mapping[str, float], actual: str) -> float:
    """The multi-category Brier score: the sum over outcomes of (p_k - o_k)^2.

    0 is a certain, correct forecast; 2 is a certain, wrong one.

    Raises:
        UsageError: `actual` is not one of the forecast's outcomes.
    """
    _check_outcome(probabilities, actual)
    return float(sum((p - (1.0 if k == actual else 0.0)) ** 2 for k, p in probabilities.items()))


def log_loss(p_actual: float, eps: float = EPS) -> float:
    """-ln(p) of the probability given to what happened, with p floored at `eps`.

    The floor keeps a forecast that gave 0 to the actual outcome finite (-ln 1e-6 = 13.8).
    """
    return 0.0 - math.log(max(float(p_actual), eps))  # 0.0, not -0.0, at p = 1


def rank(probabilities: Mapping[str, float], actual: str) -> int:
    """1 + the number of outcomes given strictly more than the actual one (ties share)."""
    _check_outcome(probabilities, actual)
    return 1 + sum(1 for p in probabilities.values() if p > probabilities[actual])


@dataclass(frozen=True)
class Score:
    """How one forecast of who did on one case."""

    p_actual: float
    rank: int
    brier: float
    log_loss: float


def score(probabilities: Mapping[str, float], actual: str) -> Score:
    """Every per-case score of a forecast (outcome -> probability) given what happened."""
    _check_outcome(probabilities, actual)
    p = float(probabilities[actual])
    return Score(p, rank(probabilities, actual), brier(probabilities, actual), log_loss(p))


def _check_outcome(probabilities: Mapping[str, float], actual: str) -> None:
    """Raise UsageError when the actual outcome is not among the forecast's."""
    if actual not in probabilities:
        raise UsageError(
            f"no outcome {actual!r} in the forecast; outcomes: {', '.join(probabilities)}"
        )


# When.


def _check_range(categories: int, lo: int, hi: int) -> None:
    if not 1 <= lo <= hi <= categories:
        raise UsageError(f"the actual range {lo}..{hi} is not within categories 1..{categories}")


def rps(probabilities: Sequence[float], lo: int, hi: int | None = None) -> float:
    """The ranked probability score of ordered categories 1..K, the actual one in lo..hi.

    RPS = (1 / (K - 1)) * sum over k = 1..K-1 of (F_k - O_k)^2, with F_k the forecast's
    P(category <= k) and O_k = 1 when the actual category is <= k. When the actual category
    is only known to be in lo..hi, O_k is unknown for lo <= k < hi and those thresholds add
    nothing. 0: everything on the actual category; 1: everything on one end, the actual
    category at the other.
    """
    hi = lo if hi is None else hi
    k_count = len(probabilities)
    _check_range(k_count, lo, hi)
    if k_count == 1:
        return 0.0
    total, cumulative = 0.0, 0.0
    for k in range(1, k_count):
        cumulative += probabilities[k - 1]
        if k < lo:
            total += cumulative**2
        elif k >= hi:
            total += (1.0 - cumulative) ** 2
    return total / (k_count - 1)


def range_log_loss(probabilities: Sequence[float], lo: int, hi: int | None = None) -> float:
    """-ln P(lo <= category <= hi), floored as `log_loss` is."""
    hi = lo if hi is None else hi
    _check_range(len(probabilities), lo, hi)
    return log_loss(sum(probabilities[lo - 1 : hi]))


def crps_days(
    probabilities: Sequence[float],
    dates: Sequence[dt.date],
    end: dt.date,
    lo: int,
    hi: int | None = None,
) -> float:
    """The CRPS over days of a decision-date forecast, in days.

    Round r (1..R) ends in an appointment on `dates[r - 1]` with probability
    `probabilities[r - 1]`; the last probability (index R) is P(no appointment by `end`).
    The actual decision is round lo..hi (R + 1: beyond `end`). Over every day t from the
    first round's date to `end`, CRPS = sum of (F(t) - O(t))^2 with F(t) the forecast's
    P(appointed on or before t) and O(t) = 1 when the actual decision was on or before t;
    days on which O(t) is unknown (within a month-only date's range) add nothing. It is 0 for
    a forecast with everything on the actual round, and at most the number of days.
    """
    hi = lo if hi is None else hi
    rounds = len(dates)
    if len(probabilities) != rounds + 1:
        raise UsageError(f"{len(probabilities)} probabilities for {rounds} rounds and beyond")
    _check_range(rounds + 1, lo, hi)
    if rounds == 0:
        return 0.0
    # F(t) is a step function: constant from dates[r] to the day before dates[r + 1].
    bounds = [*dates, end + dt.timedelta(days=1)]
    known_before = bounds[lo - 1]  # O(t) = 0 before the first possible actual date
    known_after = dates[hi - 1] if hi <= rounds else None  # O(t) = 1 from the last one on
    total, cumulative = 0.0, 0.0
    for r in range(rounds):
        cumulative += probabilities[r]
        start, stop = bounds[r], bounds[r + 1]  # days start .. stop - 1
        if stop <= start:
            continue
        days_zero = (min(stop, known_before) - start).days
        total += max(0, days_zero) * cumulative**2
        if known_after is not None:
            days_one = (stop - max(start, known_after)).days
            total += max(0, days_one) * (1.0 - cumulative) ** 2
    return total


def skill(model: float, baseline: float) -> float | None:
    """1 - model / baseline for a score where lower is better; None when the baseline is 0."""
    if baseline == 0:
        return None
    return 1.0 - model / baseline
