"""Backtesting: run past selections written as of a date before the decision and score them.

Each case is a scenario with an ``outcome`` block (what happened and when). The model's
forecast of who (every candidate, the fallback and ``no-decision``) and of when (the round of
the decision, or none by the deadline) is scored beside baselines on the same outcomes, and
the scores are summed up as skill scores with bootstrap intervals over races and a
reliability table. docs/backtest.md explains the scores and how to read them.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from nato_sim._version import __version__
from nato_sim.analysis.baselines import (
    Facts,
    base_rate_forecast,
    best_backed_forecast,
    expected_backing,
    favourite_forecast,
    favourites,
    kind_of,
    leave_one_out_rates,
    no_appointment_rate,
    outcome_groups,
    uniform_forecast,
)
from nato_sim.analysis.calibration import Bin, reliability
from nato_sim.analysis.scores import EPS, Score, brier, log_loss, rank, score
from nato_sim.analysis.skill import LEVEL, RESAMPLES, Skill, skill_interval
from nato_sim.analysis.timing import (
    TIMING_BASELINES,
    TimingScore,
    actual_range,
    base_rate_timing,
    horizon_end,
    median_round,
    score_timing,
    uniform_timing,
)
from nato_sim.engine.compiled import Compiled, compile_scenario
from nato_sim.errors import Problem, ScenarioError, UsageError
from nato_sim.running.runner import BIT_GENERATOR, simulate
from nato_sim.scenario.bundled import scenarios_dir
from nato_sim.scenario.claims import read_input
from nato_sim.scenario.dates import PartialDate, date_text, first_day, last_day
from nato_sim.scenario.hindsight import later_parameters
from nato_sim.scenario.loader import claims_for, load, resolve, scenario_hash
from nato_sim.scenario.schema import Scenario
from nato_sim.scenario.yamlsource import parse_yaml

__all__ = [
    "BASELINES",
    "DEFAULT_SEED",
    "DEFAULT_TRIALS",
    "EPS",
    "Backtest",
    "Case",
    "CaseResult",
    "Excluded",
    "Score",
    "Timing",
    "actual_round",
    "best_backed_forecast",
    "brier",
    "case_files",
    "expected_backing",
    "load_cases",
    "log_loss",
    "rank",
    "run_backtest",
    "run_case",
    "score",
    "uniform_forecast",
]

SCHEMA_VERSION = 2
DEFAULT_SEED = 2024
DEFAULT_TRIALS = 20_000
BASELINES = ("uniform", "best_backed", "favourite", "base_rates")
OUTCOME_METRICS = ("brier", "log_loss")
TIMING_METRICS = ("rps", "log_loss", "crps_days")

Day = dt.date | PartialDate


def actual_round(compiled: Compiled, date: Day) -> int | None:
    """The round of a date: how many round dates fall on or before it (None: no calendar).

    A month or a year counts by its last day.
    """
    if compiled.round_dates is None:
        return None
    day = last_day(date)
    return sum(1 for d in compiled.round_dates if d <= day)


# Cases.


@dataclass(frozen=True)
class Case:
    """A historical scenario, the name it is reported under, and what it rests on."""

    file: str
    scenario: Scenario
    path: Path | None = None
    later: tuple[str, ...] = ()  # parameters resting on claims dated after as_of

    @property
    def race(self) -> str:
        """Cases with the same outcome (winner and date) are snapshots of one race."""
        outcome = self.scenario.outcome
        return "" if outcome is None else f"{outcome.winner} {date_text(outcome.date)}"


def case_files(paths: Sequence[str | Path] | None = None) -> list[tuple[str, Path]]:
    """The (name, path) of every case: folders give their *.yaml files, recursively.

    Files inside a `seeds` folder are claims, not cases, and are skipped. Names are relative:
    bundled cases by their bundled name (`history/nato-2009.yaml`), others as given when
    given as a relative path, else relative to the working folder, else from the folder or
    file name given.

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
            files = [
                f
                for f in sorted(path.rglob("*.yaml"))
                if "seeds" not in f.relative_to(path).parts[:-1]
            ]
            if not files:
                raise ScenarioError([Problem(str(source), "no *.yaml scenario in this folder")])
            found.extend((_name(f, path, f.relative_to(path)), f) for f in files)
        else:
            resolved = resolve(source)
            found.append((_name(resolved, path if path.is_file() else resolved, None), resolved))
    return found


def _bundled_name(path: Path) -> str | None:
    try:
        inside = Path(os.path.realpath(path)).relative_to(os.path.realpath(scenarios_dir()))
        return inside.as_posix()
    except ValueError:
        return None


def _name(path: Path, given: Path, inner: Path | None) -> str:
    """A case's name: never an absolute path, so that reports read the same on any machine."""
    bundled = _bundled_name(path)
    if bundled is not None:
        return bundled
    shown = given / inner if inner is not None else given
    if not shown.is_absolute():
        return shown.as_posix()
    try:
        return shown.relative_to(Path.cwd()).as_posix()
    except ValueError:
        pass
    top = Path(given.name or given.anchor)
    return (top / inner).as_posix() if inner is not None else top.as_posix()


def load_cases(
    paths: Sequence[str | Path] | None = None, overrides: Sequence[str] = ()
) -> list[Case]:
    """Load and check every case before any is run; all problems are reported at once.

    Raises:
        ScenarioError: a file is invalid, lacks an `outcome` or `as_of`, its `as_of` is not
            before the outcome date, or its outcome is not one the scenario can have.
    """
    cases, problems = [], []
    for name, path in case_files(paths):
        shown = name if _bundled_name(path) is not None else str(path)
        try:
            scenario = load(path, overrides)
        except ScenarioError as error:
            problems.extend(error.problems)
            continue
        problem = _case_problem(scenario, shown)
        if problem is not None:
            problems.append(_located(problem, path))
            continue
        later = tuple(later_parameters(scenario, claims_for(path)))
        cases.append(Case(name, scenario, path, later))
    if problems:
        raise ScenarioError(problems)
    return cases


def _case_problem(scenario: Scenario, shown: str) -> Problem | None:
    """What keeps a valid scenario from being a backtest case, if anything."""
    outcome = scenario.outcome
    if outcome is None:
        return Problem(
            shown,
            "has no 'outcome' block; a backtest case needs "
            "outcome: {winner: ..., date: YYYY-MM-DD}",
        )
    if scenario.as_of is None:
        return Problem(
            shown,
            "has no 'as_of' date; a backtest case is written as of a date before the decision",
        )
    # Only when certain: a month as_of is before a later day of the same month.
    if first_day(scenario.as_of) >= last_day(outcome.date):
        return Problem(
            shown,
            f"as_of {date_text(scenario.as_of)} is not before the outcome "
            f"date {date_text(outcome.date)}",
            path=("as_of",),
        )
    groups = outcome_groups(compile_scenario(scenario))
    if kind_of(groups, outcome.winner) is None:
        possible = ", ".join(label for labels in groups.values() for label in labels)
        return Problem(
            shown,
            f"outcome {outcome.winner!r} cannot happen in this scenario (its outcomes: {possible})",
            path=("outcome", "winner"),
            hint="an extension needs an incumbent and 'on_deadline: extend'; 'acting' needs "
            "'on_deadline: acting'",
        )
    return None


def _located(problem: Problem, path: Path) -> Problem:
    """The problem with the line and column of its key path in the file, where known."""
    if not problem.path:
        return problem
    try:
        line, column = parse_yaml(read_input(path), problem.file).location(problem.path)
    except ScenarioError:  # read a moment ago; gone or changed since: no position
        return problem
    return replace(problem, line=line, column=column)


def case_facts(case: Case, compiled: Compiled) -> Facts:
    """What the leave-one-out baselines need of a case."""
    outcome = case.scenario.outcome
    assert outcome is not None  # checked by load_cases
    groups = outcome_groups(compiled)
    kind = kind_of(groups, outcome.winner)
    if kind is None:
        raise UsageError(f"{case.file}: outcome {outcome.winner!r} cannot happen in it")
    return Facts(case.race, tuple(compiled.outcome_labels), groups, kind)


# Results.


@dataclass(frozen=True)
class Timing:
    """The forecast of when on one case, the actual time and the scores."""

    rounds: int  # R; category R + 1 is "no appointment by the deadline"
    lo: int  # the actual decision is in categories lo..hi
    hi: int
    probabilities: list[float]  # the model's P(appointed in round r), r = 1..R, then beyond
    model: TimingScore
    baselines: dict[str, TimingScore]
    median_round: int | None  # None: P(appointed by the deadline) < 1/2
    median_date: dt.date | None
    end: dt.date | None  # the last day counted as in time; None without a calendar

    def to_dict(self) -> dict[str, Any]:
        """The timing of a case as JSON-ready data."""
        return {
            "rounds": self.rounds,
            "actual": {"from": self.lo, "to": self.hi, "beyond": self.lo > self.rounds},
            "end": None if self.end is None else self.end.isoformat(),
            "model": {
                **asdict(self.model),
                "median_round": self.median_round,
                "median_date": None if self.median_date is None else self.median_date.isoformat(),
                "probabilities": self.probabilities,
            },
            "baselines": {name: asdict(s) for name, s in self.baselines.items()},
        }


@dataclass(frozen=True)
class CaseResult:
    """The model's forecast and the baselines' on one case, and their scores."""

    file: str
    title: str
    as_of: Day
    outcome: str
    date: Day
    round: int | None
    probabilities: dict[str, float]
    model: Score
    p_decided_by_actual_round: float | None
    baselines: dict[str, Score]
    scenario_hash: str
    race: str = ""
    kind: str = ""  # the kind of what happened: favourite, other_named, ... (baselines.KINDS)
    favourites: tuple[str, ...] = ()
    names: dict[str, str] = field(default_factory=dict)  # outcome -> name
    forecasts: dict[str, dict[str, float]] = field(default_factory=dict)  # of each baseline
    timing: Timing | None = None
    hindsight: tuple[str, ...] = ()  # parameters resting on claims dated after as_of

    def to_dict(self) -> dict[str, Any]:
        """The case as JSON-ready data (the shape docs/backtest.md documents)."""
        return {
            "file": self.file,
            "title": self.title,
            "as_of": date_text(self.as_of),
            "race": self.race,
            "actual": {
                "outcome": self.outcome,
                "name": self.names.get(self.outcome, self.outcome),
                "kind": self.kind,
                "date": date_text(self.date),
                "round": self.round,
            },
            "favourites": list(self.favourites),
            "model": {
                **asdict(self.model),
                "p_decided_by_actual_round": self.p_decided_by_actual_round,
                "probabilities": self.probabilities,
            },
            "baselines": {
                name: {**asdict(s), "probabilities": self.forecasts.get(name, {})}
                for name, s in self.baselines.items()
            },
            "timing": None if self.timing is None else self.timing.to_dict(),
            "hindsight": {"parameters": len(self.hindsight), "names": list(self.hindsight)},
            "scenario_hash": self.scenario_hash,
        }


@dataclass(frozen=True)
class Excluded:
    """A case left out by `strict`: some of its parameters rest on later claims."""

    file: str
    title: str
    as_of: Day
    outcome: str
    date: Day
    hindsight: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "file": self.file,
            "title": self.title,
            "as_of": date_text(self.as_of),
            "actual": {"outcome": self.outcome, "date": date_text(self.date)},
            "reason": "hindsight",
            "hindsight": {"parameters": len(self.hindsight), "names": list(self.hindsight)},
        }


def run_case(
    case: Case,
    trials: int = DEFAULT_TRIALS,
    seed: int = DEFAULT_SEED,
    *,
    workers: int | None = 1,
    rates: dict[str, float] | None = None,
) -> CaseResult:
    """Simulate one case with `seed` and score the model and the baselines.

    The run is the same as `nato-sim run FILE --seed SEED --trials TRIALS`.

    Args:
        rates: the shares of each kind of outcome among the other races, for the
            leave-one-out baselines (`run_backtest` computes them); None: no other race.
    """
    scenario, outcome = case.scenario, case.scenario.outcome
    if outcome is None or scenario.as_of is None:
        raise UsageError(f"{case.file}: a backtest case needs 'as_of' and 'outcome'")
    results = simulate(scenario, trials, seed, workers=workers)
    compiled = results.compiled
    forecast = {row.outcome: float(row.probability) for row in results.outcomes}
    names = {row.outcome: row.name for row in results.outcomes}
    fact = case_facts(case, compiled)
    appointed = outcome.winner in compiled.candidate_ids
    round_ = actual_round(compiled, outcome.date)
    by_round = None
    if appointed and round_ is not None:
        rounds = results.rounds
        by_round = float(rounds[min(round_, len(rounds)) - 1].probability_by) if round_ else 0.0
    forecasts = {
        "uniform": uniform_forecast(compiled),
        "best_backed": best_backed_forecast(compiled),
        "favourite": favourite_forecast(fact, rates),
        "base_rates": base_rate_forecast(fact, rates),
    }
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
        baselines={name: score(f, outcome.winner) for name, f in forecasts.items()},
        scenario_hash=scenario_hash(scenario),
        race=case.race,
        kind=fact.kind,
        favourites=favourites(compiled),
        names=names,
        forecasts=forecasts,
        timing=_timing(scenario, results, appointed, rates),
        hindsight=case.later,
    )


def _timing(scenario: Scenario, results, appointed: bool, rates) -> Timing | None:
    """The timing forecast and its scores; None when the actual round is unknown."""
    compiled: Compiled = results.compiled
    outcome = scenario.outcome
    assert outcome is not None
    deadline = scenario.decision.deadline
    span = actual_range(compiled, outcome.date, appointed, deadline)
    if span is None:
        return None
    lo, hi = span
    n = results.trials
    decided = [int(row.decided_in_round) for row in results.rounds]
    probabilities = [d / n for d in decided] + [(n - sum(decided)) / n]
    dates = compiled.round_dates
    end = horizon_end(compiled, deadline)
    rounds = compiled.rounds
    baselines = {
        "uniform": uniform_timing(rounds),
        "base_rates": base_rate_timing(rounds, no_appointment_rate(rates)),
    }
    median = median_round(probabilities)
    return Timing(
        rounds=rounds,
        lo=lo,
        hi=hi,
        probabilities=probabilities,
        model=score_timing(probabilities, lo, hi, dates, end),
        baselines={
            name: score_timing(baselines[name], lo, hi, dates, end) for name in TIMING_BASELINES
        },
        median_round=median,
        median_date=dates[median - 1] if dates is not None and median is not None else None,
        end=end,
    )


# All cases.


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class Backtest:
    """Every case's scores, their averages, skill scores and the provenance of the runs."""

    cases: list[CaseResult]
    provenance: dict[str, Any]
    excluded: list[Excluded] = field(default_factory=list)

    @property
    def races(self) -> list[str]:
        """The distinct races of the cases, in order of first appearance."""
        return list(dict.fromkeys(c.race for c in self.cases))

    def summary(self) -> dict[str, dict[str, float]]:
        """Mean Brier score, log loss and P(actual) of the model and each baseline."""

        def mean(scores: list[Score]) -> dict[str, float]:
            n = len(scores)
            return {
                "brier": sum(s.brier for s in scores) / n,
                "log_loss": sum(s.log_loss for s in scores) / n,
                "mean_p_actual": sum(s.p_actual for s in scores) / n,
            }

        if not self.cases:
            return {}
        summary = {"model": mean([c.model for c in self.cases])}
        for name in BASELINES:
            summary[name] = mean([c.baselines[name] for c in self.cases])
        return summary

    def timing_summary(self) -> dict[str, dict[str, float | int | None]]:
        """Mean RPS, log loss, P(actual) and CRPS of the timing forecasts, over the cases
        whose actual round is known (CRPS: those with a calendar)."""
        timed = [c.timing for c in self.cases if c.timing is not None]
        if not timed:
            return {}

        def mean(scores: list[TimingScore]) -> dict[str, float | int | None]:
            crps = [s.crps_days for s in scores if s.crps_days is not None]
            return {
                "rps": _mean([s.rps for s in scores]),
                "log_loss": _mean([s.log_loss for s in scores]),
                "mean_p_actual": _mean([s.p_actual for s in scores]),
                "crps_days": _mean(crps),
                "cases": len(scores),
                "cases_with_calendar": len(crps),
            }

        summary = {"model": mean([t.model for t in timed])}
        for name in TIMING_BASELINES:
            summary[name] = mean([t.baselines[name] for t in timed])
        return summary

    def skill(self) -> dict[str, dict[str, Skill]]:
        """1 - model / baseline of each mean score, with its bootstrap interval over races.

        Keys: baseline, then `brier`, `log_loss` (who) and, for the timing baselines,
        `timing_rps`, `timing_log_loss`, `crps_days` (when).
        """
        seed = self.provenance["bootstrap"]["seed"]
        resamples = self.provenance["bootstrap"]["resamples"]
        races = [c.race for c in self.cases]
        found: dict[str, dict[str, Skill]] = {}
        for name in BASELINES:
            found[name] = {
                metric: skill_interval(
                    [getattr(c.model, metric) for c in self.cases],
                    [getattr(c.baselines[name], metric) for c in self.cases],
                    races,
                    seed=seed,
                    resamples=resamples,
                )
                for metric in OUTCOME_METRICS
            }
        for name in TIMING_BASELINES:
            for metric in TIMING_METRICS:
                timed = [
                    c
                    for c in self.cases
                    if c.timing is not None and getattr(c.timing.model, metric) is not None
                ]
                key = metric if metric == "crps_days" else f"timing_{metric}"
                found[name][key] = skill_interval(
                    [getattr(c.timing.model, metric) for c in timed if c.timing],
                    [getattr(c.timing.baselines[name], metric) for c in timed if c.timing],
                    [c.race for c in timed],
                    seed=seed,
                    resamples=resamples,
                )
        return found

    def calibration(self) -> list[Bin]:
        """The model's reliability table over every outcome of every case."""
        return reliability(
            (p, label == c.outcome) for c in self.cases for label, p in c.probabilities.items()
        )

    def plot(self):
        """The reliability diagram (needs the 'plot' extra)."""
        from nato_sim.analysis.calibration_figure import reliability_figure

        return reliability_figure(self.calibration(), self.provenance, len(self.cases))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary with `schema_version` and provenance."""
        return {
            "schema_version": SCHEMA_VERSION,
            "provenance": self.provenance,
            "cases": [c.to_dict() for c in self.cases],
            "excluded": [e.to_dict() for e in self.excluded],
            "summary": self.summary(),
            "timing_summary": self.timing_summary(),
            "skill": {
                name: {metric: asdict(s) for metric, s in metrics.items()}
                for name, metrics in self.skill().items()
            },
            "calibration": [asdict(b) for b in self.calibration()],
            "n_cases": len(self.cases),
            "n_races": len(self.races),
        }

    def tidy_rows(self) -> list[dict[str, Any]]:
        """Every figure as one CSV row: section, case, scorer, metric, value and more."""
        from nato_sim.analysis.backtest_csv import tidy_rows

        return tidy_rows(self)


def run_backtest(
    paths: Sequence[str | Path] | None = None,
    *,
    trials: int = DEFAULT_TRIALS,
    seed: int = DEFAULT_SEED,
    workers: int | None = 1,
    strict: bool = False,
    resamples: int = RESAMPLES,
    overrides: Sequence[str] = (),
) -> Backtest:
    """Run and score every case; every case uses the same seed and number of trials.

    Args:
        paths: scenario files, folders (all *.yaml inside, recursively) or bundled names;
            None means the bundled `history/` cases.
        trials: trials per case.
        seed: the seed of every case's run, so each case can be replayed on its own, and of
            the bootstrap.
        workers: processes per run; None uses all cores. Results do not depend on it.
        strict: leave out every case with a parameter resting on a claim dated after its
            `as_of`; the report lists them.
        resamples: bootstrap resamples of the skill intervals.
        overrides: `path=value` strings (as for `--set`) applied to every case.

    Raises:
        ScenarioError: a case is invalid or lacks `outcome` or `as_of` (the file is named).
        UsageError: `seed`, `trials` or `resamples` are out of range.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UsageError(f"seed must be a non-negative int, got {seed!r}")
    if isinstance(resamples, bool) or not isinstance(resamples, int) or resamples < 1:
        raise UsageError(f"resamples must be a positive int, got {resamples!r}")
    loaded = load_cases(paths, overrides)
    excluded = [
        Excluded(
            c.file,
            c.scenario.title,
            c.scenario.as_of,
            c.scenario.outcome.winner,
            c.scenario.outcome.date,
            c.later,
        )
        for c in loaded
        if strict and c.later and c.scenario.as_of is not None and c.scenario.outcome is not None
    ]
    cases = [c for c in loaded if not (strict and c.later)]
    facts = [case_facts(c, compile_scenario(c.scenario)) for c in cases]
    rates = leave_one_out_rates(facts)
    results = [
        run_case(case, trials, seed, workers=workers, rates=rate)
        for case, rate in zip(cases, rates, strict=True)
    ]
    provenance = {
        "package": "nato-sim",
        "version": __version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "bit_generator": BIT_GENERATOR,
        "seed": seed,
        "trials": trials,
        "eps": EPS,
        "strict": strict,
        "overrides": list(overrides),
        "bootstrap": {"resamples": resamples, "level": LEVEL, "seed": seed, "unit": "race"},
    }
    return Backtest(results, provenance, excluded)
