"""Sweeps: one or two scenario parameters over a grid, every point with the same seed.

A parameter is named by its ``--set`` path (``objections.tur-rutte.lift``) and a range
``START:STOP:STEPS``: STEPS evenly spaced values from START to STOP inclusive. Integer
fields (``after``, ``enters``, ``rounds``, ...) take whole values. Every grid point's
scenario is built and validated before anything runs, so a value outside a field's
allowed range is reported with its path before any work. Each point runs in one process
with the runner's default block size and the sweep's seed, so a point gives exactly what
``nato-sim run --set PATH=VALUE --seed S`` gives, whatever the number of workers, and
neighbouring points share their random numbers (the curve is smooth).
"""

from __future__ import annotations

import itertools
import math
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nato_sim.analysis.compare import as_scenario
from nato_sim.errors import ScenarioError, UsageError
from nato_sim.results.summary import SCHEMA_VERSION, Results
from nato_sim.running.checks import check_count, check_trials, check_workers
from nato_sim.running.runner import BLOCK_SIZE, seed_sequence, simulate, useful_workers
from nato_sim.running.workers import WorkerPool
from nato_sim.scenario.loader import with_overrides
from nato_sim.scenario.overrides import Override, apply_overrides, field_annotation
from nato_sim.scenario.schema import Scenario

MAX_POINTS = 400
MAX_TOTAL_TRIALS = 200_000_000


@dataclass(frozen=True)
class Axis:
    """One swept parameter: its path and the values it takes."""

    path: str
    values: tuple[float, ...]
    integer: bool = False


@dataclass(frozen=True)
class SweepPoint:
    """One grid point: the parameter values, the overrides they make, the results."""

    values: tuple[float, ...]
    overrides: tuple[str, ...]
    results: Results = field(repr=False)


@dataclass(frozen=True)
class Sweep:
    """A grid of runs; `points` are in row-major order over `axes`."""

    axes: tuple[Axis, ...]
    points: list[SweepPoint]
    baseline: Results = field(repr=False)
    provenance: dict[str, Any]

    @property
    def shape(self) -> tuple[int, ...]:
        """The number of values of each axis."""
        return tuple(len(axis.values) for axis in self.axes)

    @property
    def outcomes(self) -> list[str]:
        """Outcome labels: candidate ids, `extension`, `no-decision`."""
        return [o.outcome for o in self.baseline.outcomes]

    @property
    def default_outcome(self) -> str:
        """The baseline's most likely outcome."""
        return max(self.baseline.outcomes, key=lambda o: o.probability).outcome

    def grid(self, outcome: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """P(outcome) and its 95% interval bounds at every point, shaped like the grid."""
        check_outcome(outcome, self.outcomes)
        table = np.array(
            [
                [
                    (o.probability, o.low, o.high)
                    for o in p.results.outcomes
                    if o.outcome == outcome
                ][0]
                for p in self.points
            ]
        )
        return tuple(table[:, i].reshape(self.shape) for i in range(3))  # type: ignore

    def records(self) -> list[dict[str, Any]]:
        """Tidy rows: one per grid point and outcome, with provenance."""
        from nato_sim.output.tables import stamp

        rows = []
        for point in self.points:
            coords = {a.path: v for a, v in zip(self.axes, point.values, strict=True)}
            prov = stamp(point.results.provenance)
            for o in point.results.outcomes:
                rows.append(
                    {
                        **coords,
                        "outcome": o.outcome,
                        "name": o.name,
                        "probability": o.probability,
                        "low": o.low,
                        "high": o.high,
                        "count": o.count,
                        "mean_round": point.results.mean_round,
                        **prov,
                    }
                )
        return rows

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary with `schema_version` and provenance."""
        base = self.baseline.to_dict()
        return {
            "schema_version": SCHEMA_VERSION,
            "provenance": self.provenance,
            "axes": [
                {"path": a.path, "values": list(a.values), "integer": a.integer} for a in self.axes
            ],
            "baseline": {
                "scenario_hash": self.baseline.provenance["scenario_hash"],
                "outcomes": base["outcomes"],
            },
            "points": [
                {
                    "values": list(p.values),
                    "overrides": list(p.overrides),
                    "scenario_hash": p.results.provenance["scenario_hash"],
                    "outcomes": p.results.to_dict()["outcomes"],
                    "mean_round": p.results.mean_round,
                }
                for p in self.points
            ],
        }

    def to_pandas(self):
        """The records as a pandas DataFrame (needs the 'pandas' extra)."""
        from nato_sim.output.tables import to_frame

        return to_frame(self.records())

    def _repr_html_(self) -> str:
        from nato_sim.analysis.tables import sweep_html

        return sweep_html(self)

    def plot(self, outcome: str | None = None):
        """A matplotlib figure: lines with interval bands (one axis) or a heat map (two)."""
        from nato_sim.analysis.figures import sweep_figure

        return sweep_figure(self, outcome)


def check_outcome(outcome: str, outcomes: Sequence[str]) -> None:
    """Raise UsageError unless `outcome` is one of `outcomes`."""
    if outcome not in outcomes:
        import difflib

        close = difflib.get_close_matches(outcome, list(outcomes), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UsageError(f"no outcome {outcome!r} (outcomes: {', '.join(outcomes)}){hint}")


def outcome_labels(scenario: Scenario) -> list[str]:
    """The outcomes a scenario can have: candidate ids, `extension` (or `acting`),
    `no-decision`."""
    fallback = "acting" if scenario.fallback == "acting" else "extension"
    return [c.id for c in scenario.candidates] + [fallback, "no-decision"]


def parse_vary(text: str) -> tuple[str, float, float, int]:
    """Split ``PATH=START:STOP:STEPS``; raise UsageError when it is not of that form."""
    path, sep, spec = text.partition("=")
    parts = spec.split(":")
    example = "e.g. objections.tur-rutte.lift=0:1:11"
    if not sep or not path.strip() or len(parts) != 3:
        raise UsageError(f"--vary {text!r}: expected PATH=START:STOP:STEPS, {example}")
    try:
        start, stop = float(parts[0]), float(parts[1])
    except ValueError:
        raise UsageError(f"--vary {text!r}: START and STOP must be numbers, {example}") from None
    try:
        steps = int(parts[2])
    except ValueError:
        steps = 0
    if steps < 2:
        raise UsageError(
            f"--vary {text!r}: STEPS is the number of values, a whole number "
            f">= 2 ({example} gives 0, 0.1, ..., 1)"
        )
    if steps > MAX_POINTS:
        raise UsageError(
            f"--vary {text!r}: STEPS is {steps:,}; a sweep has at most {MAX_POINTS:,} points"
        )
    if not (np.isfinite(start) and np.isfinite(stop)):
        raise UsageError(f"--vary {text!r}: START and STOP must be finite numbers")
    return path.strip(), start, stop, steps


def _numeric_kind(path: tuple[str, ...]) -> type | None:
    """int or float for a numeric field (an uncertain value counts as its number), else None."""
    annotation = field_annotation(path)
    options = (
        typing.get_args(annotation)
        if typing.get_origin(annotation) in (typing.Union, types.UnionType)
        else (annotation,)
    )
    numbers = [a for a in options if a in (int, float)]
    return numbers[0] if numbers else None


def make_axis(scenario: Scenario, text: str) -> Axis:
    """Parse and check one ``--vary`` against the scenario format."""
    path, start, stop, steps = parse_vary(text)
    keys = tuple(path.split("."))
    data = scenario.model_dump(mode="python", exclude_none=True)
    try:
        apply_overrides(data, [Override(f"{path}={start:g}", keys, start)])
    except UsageError as error:
        reason = str(error).split(": ", 1)[-1]
        raise UsageError(f"--vary {text!r}: {reason}") from None
    kind = _numeric_kind(keys)
    if kind not in (int, float):
        raise UsageError(
            f"--vary {text!r}: {path!r} is not a numeric field; --vary takes "
            "probabilities, weights, supports and round numbers"
        )
    values = np.linspace(start, stop, steps)
    if kind is int:
        if start != round(start) or stop != round(stop):
            raise UsageError(
                f"--vary {text!r}: {path!r} takes whole numbers; give whole START and STOP"
            )
        ints = list(dict.fromkeys(int(round(v)) for v in values))
        return Axis(path, tuple(ints), integer=True)
    return Axis(path, tuple(float(round(v, 12)) for v in values))


def _point_scenario(
    scenario: Scenario, axes: Sequence[Axis], values: tuple, vary: Sequence[str]
) -> Scenario:
    """A grid point's scenario, validated; a value out of range names its --vary."""
    overrides = [
        Override(f"{a.path}={v!r}", tuple(a.path.split(".")), v)
        for a, v in zip(axes, values, strict=True)
    ]
    try:
        return with_overrides(scenario, overrides)
    except ScenarioError as error:
        reasons = "; ".join(p.message for p in error.problems)
        if len(axes) == 1:
            where = f"--vary {vary[0]!r}: the value {values[0]!r} is outside the allowed values"
        else:
            where = f"--vary: the grid point {', '.join(o.text for o in overrides)} is invalid"
        raise UsageError(f"{where} ({reasons})") from None


def _grid_scenarios(
    base: Scenario, axes: tuple[Axis, ...], grid: list[tuple], vary: Sequence[str]
) -> list[Scenario]:
    """Every grid point's scenario; each axis is checked on its own first, so an error
    names the --vary whose range is at fault."""
    singles = [
        [_point_scenario(base, [axis], (v,), [text]) for v in axis.values]
        for axis, text in zip(axes, vary, strict=True)
    ]
    if len(axes) == 1:
        return singles[0]
    return [_point_scenario(base, axes, values, vary) for values in grid]


def _run_point(scenario: Scenario, trials: int, root: np.random.SeedSequence) -> Results:
    return simulate(scenario, trials, root, workers=1)


def sweep(
    scenario: Scenario | str | Path,
    vary: Sequence[str],
    overrides: Sequence[str] = (),
    *,
    trials: int = 20_000,
    rng=None,
    workers: int | None = 1,
    max_total_trials: int = MAX_TOTAL_TRIALS,
) -> Sweep:
    """Run a scenario over a grid of one or two parameters, every point with the same seed.

    Args:
        scenario: a path, a bundled name or a loaded Scenario.
        vary: one or two ``PATH=START:STOP:STEPS`` strings.
        overrides: ``path=value`` strings applied to the scenario first (the baseline).
        trials: trials per grid point (and for the baseline).
        rng: an int seed, a SeedSequence, a Generator or None; every point shares it.
        workers: processes running points in parallel; None uses all cores.
        max_total_trials: refuse sweeps that would run more trials than this in total.

    Returns:
        A Sweep with the baseline and one SweepPoint per grid point.

    Raises:
        UsageError: a malformed range, a path that names no field or no number, a value
            outside the field's allowed range, or a sweep larger than the limits; all
            before any trial runs.
        ScenarioError: the scenario itself is missing or invalid.
    """
    check_trials(trials)
    _check_arguments(vary, workers, max_total_trials)
    if isinstance(vary, str):
        vary = [vary]
    if not 1 <= len(vary) <= 2:
        raise UsageError(f"a sweep varies one or two parameters, got {len(vary)}")
    for text in vary:
        parse_vary(text)  # the number of steps, before the scenario is even read
    base = as_scenario(scenario, overrides)
    axes = tuple(make_axis(base, text) for text in vary)
    if len(axes) == 2 and axes[0].path == axes[1].path:
        raise UsageError(f"--vary names {axes[0].path!r} twice")
    n_points = math.prod(len(a.values) for a in axes)
    runs = n_points + 1
    if n_points > MAX_POINTS or runs * trials > max_total_trials:
        raise UsageError(
            f"this sweep would take {runs:,} runs ({n_points:,} grid points and the "
            f"baseline) of {trials:,} trials = {runs * trials:,} trials; the limits are "
            f"{MAX_POINTS:,} points and {max_total_trials:,} trials. Use fewer STEPS or "
            "fewer --trials"
        )
    grid = list(itertools.product(*(a.values for a in axes)))
    scenarios = _grid_scenarios(base, axes, grid, vary)
    root = seed_sequence(rng)
    jobs = [base, *scenarios]
    results = _run_all(jobs, trials, root, workers)
    points = [
        SweepPoint(values, s.overrides[len(base.overrides) :], r)
        for values, s, r in zip(grid, scenarios, results[1:], strict=True)
    ]
    provenance = results[0].provenance_of("scenario", "scenario_hash", "overrides")
    provenance.update(
        block_size=BLOCK_SIZE, points=len(grid), axes={a.path: list(a.values) for a in axes}
    )
    return Sweep(axes, points, results[0], provenance)


def _check_arguments(vary: Any, workers: Any, max_total_trials: Any) -> None:
    """Raise UsageError unless a sweep's own arguments have the types it needs."""
    items = [vary] if isinstance(vary, str) else vary
    if not isinstance(items, (list, tuple)) or not all(isinstance(v, str) for v in items):
        raise UsageError(
            "vary must be one or two 'PATH=START:STOP:STEPS' strings, e.g. "
            f"['objections.tur-rutte.lift=0:1:11']; got {vary!r}"
        )
    check_workers(workers)
    check_count("max_total_trials", max_total_trials)


def _run_all(
    jobs: list[Scenario], trials: int, root: np.random.SeedSequence, workers: int | None
) -> list[Results]:
    """Run every job with the same seed, in parallel when asked; order is kept.

    Each job runs in one process: no more processes start than there are jobs, or cores
    to run them on.
    """
    workers = useful_workers(workers, len(jobs))
    if workers == 1:
        return [_run_point(job, trials, root) for job in jobs]
    # The runner's pool: Ctrl-C stops its workers at once, a dead worker is a WorkerError,
    # and no worker outlives this process.
    pool = WorkerPool(workers, None)
    finished = False
    try:
        futures = [pool.submit(_run_point, job, trials, root) for job in jobs]
        results = [pool.result(future) for future in futures]
        finished = True
        return results
    finally:
        pool.close(finished=finished)
