"""When: the model's decision-time forecast of a case, the actual time, and their scores.

The categories are the rounds 1..R and, last, "beyond": no appointment by the deadline (an
extension, an acting Secretary General, no decision, or an appointment after the deadline).
An appointment in round r is dated on round r's date. An actual date belongs to the last
round dated on or before it (the first round if it comes before every round); a date known
only to the month or the year covers the rounds of its first to its last day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from nato_sim.analysis.scores import crps_days, range_log_loss, rps
from nato_sim.engine.compiled import Compiled
from nato_sim.scenario.dates import PartialDate, first_day, last_day

TIMING_BASELINES = ("uniform", "base_rates")


def horizon_end(compiled: Compiled, deadline: dt.date | None) -> dt.date | None:
    """The last day an appointment counts as in time: the deadline, else the last round's date.

    None without a calendar.
    """
    if compiled.round_dates is None:
        return None
    if deadline is not None:
        return max(deadline, compiled.round_dates[-1])
    return compiled.round_dates[-1]


def _category(compiled: Compiled, end: dt.date, day: dt.date) -> int:
    """The category of a day: its round (1..R), or R + 1 after the end."""
    assert compiled.round_dates is not None
    if day > end:
        return compiled.rounds + 1
    return max(1, sum(1 for d in compiled.round_dates if d <= day))


def actual_range(
    compiled: Compiled, date: dt.date | PartialDate, appointed: bool, deadline: dt.date | None
) -> tuple[int, int] | None:
    """The categories lo..hi the actual decision may be in; None when unknown.

    Without an appointment it is "beyond" (R + 1). An appointment needs a calendar to be
    placed in a round.
    """
    beyond = compiled.rounds + 1
    if not appointed:
        return beyond, beyond
    end = horizon_end(compiled, deadline)
    if end is None:
        return None
    return _category(compiled, end, first_day(date)), _category(compiled, end, last_day(date))


def uniform_timing(rounds: int) -> list[float]:
    """An even share to each round and to "beyond"."""
    return [1.0 / (rounds + 1)] * (rounds + 1)


def base_rate_timing(rounds: int, no_appointment: float | None) -> list[float]:
    """P(beyond) = the share of other races without an appointment; the rest even over rounds.

    Without another race to learn from, as `uniform_timing`.
    """
    if no_appointment is None:
        return uniform_timing(rounds)
    return [(1.0 - no_appointment) / rounds] * rounds + [no_appointment]


@dataclass(frozen=True)
class TimingScore:
    """How one forecast of when did on one case."""

    p_actual: float  # P(the decision in the actual range)
    log_loss: float
    rps: float
    crps_days: float | None  # None without a calendar


def score_timing(
    probabilities: Sequence[float],
    lo: int,
    hi: int,
    dates: Sequence[dt.date] | None,
    end: dt.date | None,
) -> TimingScore:
    """Every timing score of a forecast over rounds 1..R and beyond."""
    crps = None
    if dates is not None and end is not None:
        crps = crps_days(probabilities, dates, end, lo, hi)
    return TimingScore(
        float(sum(probabilities[lo - 1 : hi])),
        range_log_loss(probabilities, lo, hi),
        rps(probabilities, lo, hi),
        crps,
    )


def median_round(probabilities: Sequence[float]) -> int | None:
    """The first round by which P(appointed) reaches 1/2; None when it never does."""
    cumulative = 0.0
    for r, p in enumerate(probabilities[:-1], start=1):
        cumulative += p
        if cumulative >= 0.5:
            return r
    return None
