"""Backtesting: run past selections written as of a date before the decision and score them.

Each case is a scenario with an ``outcome`` block (what happened and when). The model's
forecast is scored beside two baselines on the same outcomes (every candidate, ``extension``
and ``no-decision``): uniform over the candidates, and "the best-backed candidate wins, vetoes
ignored". docs/backtest.md explains the scores and how to read them.
"""

from __future__ import annotations

import datetime as dt
import math
import platform
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nato_sim._version import __version__
from nato_sim.engine.compiled import Compiled
from nato_sim.errors import Problem, ScenarioError, UsageError
from nato_sim.running.runner import BIT_GENERATOR, simulate
from nato_sim.scenario.bundled import scenarios_dir
from nato_sim.scenario.loader import load, resolve, scenario_hash
from nato_sim.scenario.schema import Scenario

SCHEMA_VERSION = 1
DEFAULT_SEED = 2024
DEFAULT_TRIALS = 20_000
EPS = 1e-6
BASELINES = ("uniform", "best_backed")


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
    """How one forecast did on one case."""

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


def uniform_forecast(compiled: Compiled) -> dict[str, float]:
    """1/C to each candidate, 0 to `extension` and `no-decision`."""
    share = 1.0 / len(compiled.candidate_ids)
    return {
        label: (share if label in compiled.candidate_ids else 0.0)
        for label in compiled.outcome_labels
    }


def expected_backing(compiled: Compiled) -> np.ndarray:
    """B_c = sum_m w_m s(m, c) / W for every candidate, uncertain values at their means."""
    weights = np.array([w.mean() for w in compiled.weights])
    support = np.array([s.mean() for s in compiled.support_params])[compiled.support_index]
    return weights @ support / weights.sum()


def best_backed_forecast(compiled: Compiled) -> dict[str, float]:
    """1 to the candidate with the highest expected backing (split on ties), 0 elsewhere.

    Objections, `min_support`, entry rounds and withdrawals are all ignored.
    """
    backing = expected_backing(compiled)
    best = np.isclose(backing, backing.max(), rtol=1e-12, atol=1e-12)
    share = 1.0 / int(best.sum())
    forecast = {label: 0.0 for label in compiled.outcome_labels}
    for index in np.flatnonzero(best):
        forecast[compiled.candidate_ids[index]] = share
    return forecast


def actual_round(compiled: Compiled, date: dt.date) -> int | None:
    """The round of a date: how many round dates fall on or before it (None: no calendar)."""
    if compiled.round_dates is None:
        return None
    return sum(1 for d in compiled.round_dates if d <= date)


@dataclass(frozen=True)
class Case:
    """A historical scenario and the name it is reported under."""

    file: str
    scenario: Scenario


def case_files(paths: Sequence[str | Path] | None = None) -> list[tuple[str, Path]]:
    """The (label, path) of every case: folders give their *.yaml files, recursively.

    Args:
        paths: files, folders or bundled names; None means the bundled `history/` cases.

    Raises:
        ScenarioError: a path is missing, or a folder holds no scenario.
    """
    if not paths:
        paths = [scenarios_dir() / "history"]
    found: list[tuple[str, Path]] = []
    for source in paths:
        path = Path(source)
        if path.is_dir():
            files = sorted(path.rglob("*.yaml"))
            if not files:
                raise ScenarioError([Problem(str(source), "no *.yaml scenario in this folder")])
            found.extend((_label(f), f) for f in files)
        else:
            resolved = resolve(source)
            found.append((str(source) if path.is_file() else _label(resolved), resolved))
    return found


def _label(path: Path) -> str:
    """A bundled file by its bundled name (`history/nato-2009.yaml`), others as found."""
    try:
        return path.resolve().relative_to(scenarios_dir().resolve()).as_posix()
    except ValueError:
        return str(path)


def load_cases(paths: Sequence[str | Path] | None = None) -> list[Case]:
    """Load and check every case before any is run; all problems are reported at once.

    Raises:
        ScenarioError: a file is invalid, lacks an `outcome` or `as_of`, or its `as_of`
            is not before the outcome date.
    """
    cases, problems = [], []
    for label, path in case_files(paths):
        try:
            scenario = load(path)
        except ScenarioError as error:
            problems.extend(error.problems)
            continue
        if scenario.outcome is None:
            problems.append(
                Problem(
                    label,
                    "has no 'outcome' block; a backtest case needs "
                    "outcome: {winner: ..., date: YYYY-MM-DD}",
                )
            )
        elif scenario.as_of is None:
            problems.append(
                Problem(
                    label,
                    "has no 'as_of' date; a backtest case is written "
                    "as of a date before the decision",
                )
            )
        elif scenario.as_of >= scenario.outcome.date:
            problems.append(
                Problem(
                    label,
                    f"as_of {scenario.as_of} is not before the outcome "
                    f"date {scenario.outcome.date}",
                    path=("as_of",),
                )
            )
        else:
            cases.append(Case(label, scenario))
    if problems:
        raise ScenarioError(problems)
    return cases


@dataclass(frozen=True)
class CaseResult:
    """The model's forecast and the baselines' on one case, and their scores."""

    file: str
    title: str
    as_of: dt.date
    outcome: str
    date: dt.date
    round: int | None
    probabilities: dict[str, float]
    model: Score
    p_decided_by_actual_round: float | None
    baselines: dict[str, Score]
    scenario_hash: str

    def to_dict(self) -> dict[str, Any]:
        """The case as JSON-ready data (the shape docs/backtest.md documents)."""
        return {
            "file": self.file,
            "title": self.title,
            "as_of": self.as_of.isoformat(),
            "actual": {"outcome": self.outcome, "date": self.date.isoformat(), "round": self.round},
            "model": {
                **asdict(self.model),
                "p_decided_by_actual_round": self.p_decided_by_actual_round,
                "probabilities": self.probabilities,
            },
            "baselines": {name: asdict(s) for name, s in self.baselines.items()},
            "scenario_hash": self.scenario_hash,
        }


def run_case(
    case: Case, trials: int = DEFAULT_TRIALS, seed: int = DEFAULT_SEED, *, workers: int | None = 1
) -> CaseResult:
    """Simulate one case with `seed` and score the model and the baselines.

    The run is the same as `nato-sim run FILE --seed SEED --trials TRIALS`.
    """
    scenario, outcome = case.scenario, case.scenario.outcome
    if outcome is None or scenario.as_of is None:
        raise UsageError(f"{case.file}: a backtest case needs 'as_of' and 'outcome'")
    results = simulate(scenario, trials, seed, workers=workers)
    compiled = results.compiled
    forecast = {row.outcome: float(row.probability) for row in results.outcomes}
    round_ = actual_round(compiled, outcome.date)
    appointed = outcome.winner in compiled.candidate_ids
    by_round = None
    if appointed and round_ is not None:
        rounds = results.rounds
        by_round = float(rounds[min(round_, len(rounds)) - 1].probability_by) if round_ else 0.0
    return CaseResult(
        file=case.file,
        title=scenario.title,
        as_of=scenario.as_of,
        outcome=outcome.winner,
        date=outcome.date,
        round=round_ if appointed else None,
        probabilities=forecast,
        model=score(forecast, outcome.winner),
        p_decided_by_actual_round=by_round,
        baselines=_baselines(compiled, outcome.winner),
        scenario_hash=scenario_hash(scenario),
    )


def _baselines(compiled: Compiled, actual: str) -> dict[str, Score]:
    """Both baselines' scores on one case."""
    return {
        "uniform": score(uniform_forecast(compiled), actual),
        "best_backed": score(best_backed_forecast(compiled), actual),
    }


@dataclass(frozen=True)
class Backtest:
    """Every case's scores, their averages and the provenance of the runs."""

    cases: list[CaseResult]
    provenance: dict[str, Any]

    def summary(self) -> dict[str, dict[str, float]]:
        """Mean Brier score, log loss and P(actual) of the model and each baseline."""

        def mean(scores: list[Score]) -> dict[str, float]:
            n = len(scores)
            return {
                "brier": sum(s.brier for s in scores) / n,
                "log_loss": sum(s.log_loss for s in scores) / n,
                "mean_p_actual": sum(s.p_actual for s in scores) / n,
            }

        summary = {"model": mean([c.model for c in self.cases])}
        for name in BASELINES:
            summary[name] = mean([c.baselines[name] for c in self.cases])
        return summary

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary with `schema_version` and provenance."""
        return {
            "schema_version": SCHEMA_VERSION,
            "provenance": self.provenance,
            "cases": [c.to_dict() for c in self.cases],
            "summary": self.summary(),
            "n_cases": len(self.cases),
        }


def run_backtest(
    paths: Sequence[str | Path] | None = None,
    *,
    trials: int = DEFAULT_TRIALS,
    seed: int = DEFAULT_SEED,
    workers: int | None = 1,
) -> Backtest:
    """Run and score every case; every case uses the same seed and number of trials.

    Args:
        paths: scenario files, folders (all *.yaml inside, recursively) or bundled names;
            None means the bundled `history/` cases.
        trials: trials per case.
        seed: the seed of every case's run, so each case can be replayed on its own.
        workers: processes per run; None uses all cores. Results do not depend on it.

    Raises:
        ScenarioError: a case is invalid or lacks `outcome` or `as_of` (the file is named).
        UsageError: `seed` or `trials` are out of range.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UsageError(f"seed must be a non-negative int, got {seed!r}")
    cases = load_cases(paths)
    results = [run_case(case, trials, seed, workers=workers) for case in cases]
    provenance = {
        "package": "nato-sim",
        "version": __version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "bit_generator": BIT_GENERATOR,
        "seed": seed,
        "trials": trials,
        "eps": EPS,
    }
    return Backtest(results, provenance)
