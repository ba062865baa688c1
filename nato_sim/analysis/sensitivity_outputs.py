"""The outputs of one evaluation of a sensitivity analysis, from its counts.

Each outcome's probability; the expected decision round, trials without an appointment
counted at round R + 1 (as `compare` and `explain` count them); and, when the scenario has
a calendar, the expected decision date, trials without an appointment counted on the last
day that counts (the deadline, else the last round's date), as days from the first round of
the scenario as given. Each comes with its variance over the trials of the evaluation, from
which the Monte Carlo noise of the estimate is the variance divided by the trials.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from nato_sim.analysis.timing import horizon_end
from nato_sim.engine.compiled import Compiled
from nato_sim.engine.rounds import Counts
from nato_sim.scenario.schema import Scenario

NAMES = {
    "extension": "incumbent extended",
    "acting": "acting Secretary General",
    "no-decision": "no decision",
}


@dataclass(frozen=True)
class Output:
    """What an evaluation reports: `key` (an outcome label, ``round`` or ``date``), a name
    and its kind (``probability``, ``round`` or ``date``)."""

    key: str
    name: str
    kind: str


def outputs_of(scenario: Scenario, compiled: Compiled) -> tuple[Output, ...]:
    """The outputs of every evaluation of a scenario (the same whatever the inputs)."""
    names = {c.id: c.name for c in scenario.candidates} | NAMES
    found = [
        Output(label, f"P({names[label]})", "probability") for label in compiled.outcome_labels
    ]
    found.append(Output("round", "expected decision round", "round"))
    if compiled.round_dates is not None:
        found.append(Output("date", "expected decision date", "date"))
    return tuple(found)


def measure(
    counts: Counts, compiled: Compiled, deadline: dt.date | None, reference: dt.date | None
) -> np.ndarray:
    """Each output's value (row 0) and its variance over the trials (row 1).

    `reference` is the day dates are counted from (None: no date output).
    """
    n = counts.trials
    p = counts.outcomes / n
    values = list(p)
    variances = list(p * (1 - p))
    rounds = compiled.rounds
    decided = counts.decided_round
    open_trials = n - int(decided.sum())
    weights = np.append(decided, open_trials) / n
    by_round = np.arange(1, rounds + 2, dtype=float)
    values.append(float(weights @ by_round))
    variances.append(_variance(weights, by_round))
    if reference is not None:
        dates = compiled.round_dates
        end = horizon_end(compiled, deadline)
        assert dates is not None and end is not None
        days = np.array([(d - reference).days for d in (*dates[:rounds], end)], dtype=float)
        values.append(float(weights @ days))
        variances.append(_variance(weights, days))
    return np.array([values, variances], dtype=float)


def _variance(weights: np.ndarray, values: np.ndarray) -> float:
    mean = weights @ values
    return float(max(0.0, weights @ (values - mean) ** 2))
