"""Global sensitivity analysis: which of a scenario's assumptions drives the answer.

The inputs are the scenario's uncertain values and the ranges given with ``--vary``
(:mod:`nato_sim.analysis.sensitivity_inputs`); the outputs are each outcome's probability,
the expected decision round and, with a calendar, the expected decision date
(:mod:`nato_sim.analysis.sensitivity_outputs`). A design from SALib
(:mod:`nato_sim.analysis.sensitivity_design`) picks points; at each point every input is
held at its value by an override, and the scenario so fixed is run: an *evaluation*, which
gives exactly what ``nato-sim run SCENARIO --set PATH=VALUE ... --trials T --seed S`` gives.

Every evaluation runs with the same seed (common random numbers): two points differ only by
what their inputs change, not by fresh Monte Carlo noise, which would otherwise add to the
variance between evaluations and inflate every total index. What noise is left is reported
per output: the mean over evaluations of the variance of its estimate (the variance over
trials divided by the trials), beside the variance of the output across evaluations. With
common random numbers that share is an upper bound of how much the noise adds.

Evaluations run in groups (a Sobol base sample, a Morris trajectory) as tasks on the
runner's executor: worker processes, or a Dask cluster inside ``using_scheduler``; the
results do not depend on where a task ran. Ctrl-C, or a worker that dies, keeps the groups
that finished, and the indices are estimated from them, marked partial.
"""

from __future__ import annotations

import datetime as dt
import math
import platform
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nato_sim._version import __version__
from nato_sim.analysis.sensitivity_design import (
    METHODS,
    Design,
    group_size,
    make_design,
    morris_effects,
    require_salib,
    salib_version,
    sobol_indices,
)
from nato_sim.analysis.sensitivity_inputs import Input, find_inputs, point_overrides
from nato_sim.analysis.sensitivity_outputs import Output, measure, outputs_of
from nato_sim.engine.compiled import compile_scenario
from nato_sim.errors import ScenarioError, UsageError, WorkerError
from nato_sim.results.summary import PARTIAL_STOPS, SCHEMA_VERSION
from nato_sim.running.checks import check_callback, check_count, check_trials, check_workers
from nato_sim.running.executor import active_cluster, using_scheduler
from nato_sim.running.runner import (
    BIT_GENERATOR,
    BLOCK_SIZE,
    block_trials,
    run_seeded_block,
    seed_sequence,
    useful_workers,
)
from nato_sim.running.workers import WorkerPool, worker_state
from nato_sim.scenario.loader import as_scenario, scenario_hash, with_overrides
from nato_sim.scenario.schema import Scenario

DEFAULT_TRIALS = 4_000
DEFAULT_SAMPLES = {"sobol": 512, "morris": 20}
DEFAULT_LEVELS = 4
MAX_SAMPLES = 2**20
MAX_EVALUATIONS = 2_000_000
MAX_TOTAL_TRIALS = 500_000_000
# Fewer whole groups than this give no indices (a bootstrap needs a few to resample).
MIN_GROUPS = 2
# An output whose Monte Carlo noise is more than this share of its variance across
# evaluations is flagged: more trials per evaluation would sharpen it.
NOISE_WARNING = 0.05
# A task runs at least this many evaluations, so that handing it out costs little beside it.
TASK_EVALUATIONS = 16


@dataclass(frozen=True)
class OutputSummary:
    """An output across the evaluations: its mean and variance, and the Monte Carlo noise.

    `noise` is the mean over evaluations of the variance of the output's estimate (its
    variance over the trials of an evaluation divided by the trials); `noise_share` is
    `noise` / `variance`. A date's mean, variance and noise are in days.
    """

    key: str
    name: str
    kind: str
    mean: float
    variance: float
    noise: float
    mean_date: dt.date | None = None

    @property
    def constant(self) -> bool:
        """True when every evaluation gave the same value: it has no indices."""
        return not self.variance > 0

    @property
    def noise_share(self) -> float | None:
        """The noise as a share of the variance across evaluations; None if constant."""
        return None if self.constant else self.noise / self.variance

    @property
    def noisy(self) -> bool:
        """True when the noise is more than `NOISE_WARNING` of the variance."""
        share = self.noise_share
        return share is not None and share > NOISE_WARNING


@dataclass(frozen=True)
class SobolIndex:
    """An input's first-order and total Sobol indices for one output, with the half-widths
    of their 95% bootstrap intervals."""

    output: str
    input: str
    first: float
    first_conf: float
    total: float
    total_conf: float

    @property
    def rank_key(self) -> float:
        return self.total


@dataclass(frozen=True)
class MorrisEffect:
    """An input's Morris elementary effects on one output, per the input's whole range:
    mu* (the mean absolute effect) with the half-width of its 95% bootstrap interval, mu
    (the mean effect, signed) and sigma (their spread: interactions or a curved effect)."""

    output: str
    input: str
    mu_star: float
    mu_star_conf: float
    mu: float
    sigma: float

    @property
    def rank_key(self) -> float:
        return self.mu_star


Effect = SobolIndex | MorrisEffect


@dataclass(frozen=True)
class Sensitivity:
    """What a sensitivity analysis found; `to_dict()` for JSON, `records()` for CSV.

    `points` holds each evaluation's input values (one row per evaluation finished, one
    column per input, in `inputs` order) and `evaluations` its outputs (one column per
    output, in `outputs` order; a date in days from the scenario's first round).
    """

    method: str
    inputs: tuple[Input, ...]
    outputs: tuple[OutputSummary, ...]
    effects: tuple[Effect, ...]
    provenance: dict[str, Any]
    points: np.ndarray = field(repr=False, compare=False)
    evaluations: np.ndarray = field(repr=False, compare=False)

    @property
    def partial(self) -> bool:
        """True when Ctrl-C or a dead worker stopped it before every evaluation ran."""
        return self.provenance["stopped_by"] in PARTIAL_STOPS

    @property
    def trials(self) -> int:
        """How many trials the finished evaluations ran in all."""
        return self.provenance["evaluations_finished"] * self.provenance["trials"]

    @property
    def measure_name(self) -> str:
        """What effects are ranked by: ``total`` (Sobol) or ``mu_star`` (Morris)."""
        return "total" if self.method == "sobol" else "mu_star"

    def output(self, key: str) -> OutputSummary:
        """The summary of an output: an outcome label, ``round`` or ``date``."""
        for summary in self.outputs:
            if summary.key == key:
                return summary
        keys = ", ".join(o.key for o in self.outputs)
        raise UsageError(f"no output {key!r}; the outputs are {keys}")

    def ranked(self, output: str) -> list[Effect]:
        """The effects on one output, the largest total index (or mu*) first."""
        self.output(output)
        rows = [e for e in self.effects if e.output == output]
        order = {i.path: n for n, i in enumerate(self.inputs)}
        return sorted(rows, key=lambda e: (-e.rank_key, order[e.input]))

    def records(self) -> list[dict[str, Any]]:
        """Tidy rows: one per output and input, with the output's noise and provenance."""
        from nato_sim.output.tables import stamp

        prov = stamp(self.provenance)
        inputs = {i.path: i for i in self.inputs}
        rows = []
        for summary in self.outputs:
            if summary.constant:
                continue
            for effect in self.ranked(summary.key):
                values = asdict(effect)
                values.pop("output")
                values.pop("input")
                rows.append(
                    {
                        "method": self.method,
                        "output": summary.key,
                        "output_name": summary.name,
                        "input": effect.input,
                        "distribution": inputs[effect.input].distribution,
                        **values,
                        "output_mean": summary.mean,
                        "output_variance": summary.variance,
                        "noise_share": summary.noise_share,
                        "evaluations": self.provenance["evaluations_finished"],
                        "stopped_by": self.provenance["stopped_by"],
                        **prov,
                    }
                )
        return rows

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary with `schema_version` and provenance."""
        return {
            "schema_version": SCHEMA_VERSION,
            "provenance": self.provenance,
            "inputs": [
                {
                    "path": i.path,
                    "distribution": i.distribution,
                    "low": i.low,
                    "high": i.high,
                    "beta": list(i.beta) if i.beta is not None else None,
                    "integer": i.integer,
                    "origin": i.origin,
                }
                for i in self.inputs
            ],
            "outputs": [
                {
                    "key": o.key,
                    "name": o.name,
                    "kind": o.kind,
                    "mean": o.mean,
                    "mean_date": o.mean_date.isoformat() if o.mean_date else None,
                    "variance": o.variance,
                    "noise": o.noise,
                    "noise_share": o.noise_share,
                    "constant": o.constant,
                    "effects": [
                        {k: v for k, v in asdict(e).items() if k != "output"}
                        for e in (self.ranked(o.key) if not o.constant else [])
                    ],
                }
                for o in self.outputs
            ],
        }

    def to_pandas(self):
        """The records as a pandas DataFrame (needs the 'pandas' extra)."""
        from nato_sim.output.tables import to_frame

        return to_frame(self.records())

    def plot(self, outputs: Sequence[str] | None = None):
        """Bars of each input's indices (Sobol) or mu* (Morris) with their 95% intervals,
        one panel per output (needs the 'plot' extra)."""
        from nato_sim.analysis.sensitivity_figure import sensitivity_figure

        return sensitivity_figure(self, outputs)

    def _repr_html_(self) -> str:
        from nato_sim.output.tables import html_table, provenance_note

        parts = []
        for summary in self.outputs:
            if summary.constant:
                continue
            rows = [_html_cells(e) for e in self.ranked(summary.key)]
            columns = (
                ("input", "S1", "±", "ST", "±")
                if self.method == "sobol"
                else ("input", "mu*", "±", "mu", "sigma")
            )
            parts.append(html_table(columns, rows, summary.name))
        return "".join(parts) + f"<p><small>{provenance_note(self.provenance)}</small></p>"


def _html_cells(effect: Effect) -> tuple[str, ...]:
    if isinstance(effect, SobolIndex):
        return (
            effect.input,
            f"{effect.first:.3f}",
            f"{effect.first_conf:.3f}",
            f"{effect.total:.3f}",
            f"{effect.total_conf:.3f}",
        )
    return (
        effect.input,
        f"{effect.mu_star:.4g}",
        f"{effect.mu_star_conf:.2g}",
        f"{effect.mu:.4g}",
        f"{effect.sigma:.4g}",
    )


@dataclass(frozen=True)
class _Plan:
    """What every evaluation shares: sent once to each worker."""

    scenario: Scenario
    inputs: tuple[Input, ...]
    trials: int
    root: np.random.SeedSequence
    reference: dt.date | None


def evaluate(plan: _Plan, values: Sequence[float]) -> np.ndarray:
    """One evaluation: the scenario with each input held at its value, run with the plan's
    seed; each output's value (row 0) and variance over the trials (row 1)."""
    overrides = point_overrides(plan.inputs, values)
    try:
        scenario = with_overrides(plan.scenario, overrides)
    except ScenarioError as error:
        reasons = "; ".join(p.message for p in error.problems)
        point = " ".join(o.text for o in overrides)
        raise UsageError(
            f"the design point {point} makes an invalid scenario ({reasons}); narrow the "
            "--vary ranges"
        ) from None
    compiled = compile_scenario(scenario)
    counts = None
    for index in range(-(-plan.trials // BLOCK_SIZE)):
        n = block_trials(index, plan.trials, BLOCK_SIZE)
        block = run_seeded_block(compiled, n, plan.root, index)
        counts = block if counts is None else counts + block
    assert counts is not None
    return measure(counts, compiled, scenario.decision.deadline, plan.reference)


def _evaluate_rows(rows: np.ndarray) -> np.ndarray:
    """A task: the evaluations of consecutive design points, with the worker's plan."""
    plan = worker_state()
    return np.stack([evaluate(plan, row) for row in rows])


def sensitivity(
    scenario: Scenario | str | Path,
    overrides: Sequence[str] = (),
    *,
    vary: str | Sequence[str] = (),
    method: str = "sobol",
    samples: int | None = None,
    trials: int = DEFAULT_TRIALS,
    rng=None,
    workers: int | None = 1,
    levels: int = DEFAULT_LEVELS,
    max_total_trials: int = MAX_TOTAL_TRIALS,
    on_progress: Callable[[int, int], None] | None = None,
    scheduler: Any = None,
) -> Sensitivity:
    """Apportion the uncertainty of a scenario's outcomes and timing among its inputs.

    Args:
        scenario: a path, a bundled name or a loaded Scenario.
        overrides: ``path=value`` strings applied to the scenario first.
        vary: ``PATH=LO:HI`` strings: a fixed value to vary uniformly over [LO, HI], or
            a range put in place of an uncertain value's distribution.
        method: ``sobol`` (first-order and total indices) or ``morris`` (a cheaper screen).
        samples: Sobol base samples (a power of 2; default 512) or Morris trajectories
            (default 20). A Sobol design has samples × (inputs + 2) evaluations, Morris
            samples × (inputs + 1).
        trials: trials per evaluation; every evaluation runs with the same seed.
        rng: an int seed, a SeedSequence, a Generator or None (fresh entropy).
        workers: processes to run evaluations in; None uses all cores. Inside
            `using_scheduler(...)` they run on the Dask cluster. Results do not depend on it.
        levels: Morris grid levels (an even number).
        max_total_trials: refuse designs that would run more trials than this in total.
        on_progress: called as evaluations finish with (finished, planned).
        scheduler: the address of a running Dask scheduler (or a ``distributed.Client``)
            to run the evaluations on, connected to once every argument is checked; the
            results are the same, bit for bit. None: this machine (or the cluster of an
            enclosing `using_scheduler`).

    Returns:
        A Sensitivity; `partial` when Ctrl-C stopped it, with indices from the groups
        finished (none if fewer than two finished).

    Raises:
        UsageError: SALib missing, a bad argument, a malformed or invalid --vary, no input,
            a design larger than the limits, or a scheduler that cannot be reached; all
            before any evaluation runs.
        ScenarioError: the scenario itself is missing or invalid.
        WorkerError: a worker died; its `results` hold the Sensitivity of the groups
            finished before, marked partial.
    """
    method, samples, levels = _check_design(method, samples, levels)
    check_trials(trials)
    workers = check_workers(workers)
    check_count("max_total_trials", max_total_trials)
    on_progress = check_callback("on_progress", on_progress)
    vary = _check_vary(vary)
    require_salib()
    base = as_scenario(scenario, overrides)
    inputs = tuple(find_inputs(base, vary))
    group = group_size(method, len(inputs))
    _check_size(method, samples, len(inputs), group, trials, max_total_trials)
    root = seed_sequence(rng)
    design = make_design(method, len(inputs), samples, root, levels)
    values = np.column_stack([i.values(design.unit[:, j]) for j, i in enumerate(inputs)])
    compiled = compile_scenario(base)
    reference = compiled.round_dates[0] if compiled.round_dates is not None else None
    plan = _Plan(base, inputs, trials, root, reference)
    outputs = outputs_of(base, compiled)
    with using_scheduler(scheduler):
        out, done, stop, lost = _run(plan, values, design, len(outputs), workers, on_progress)
    summaries, effects, used, found = _analyse(plan, design, values, out, done, outputs, root)
    provenance = {
        "package": "nato-sim",
        "version": __version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "bit_generator": BIT_GENERATOR,
        "seed": int(root.entropy) if isinstance(root.entropy, int) else root.entropy,
        "spawn_key": list(root.spawn_key),
        "trials": trials,
        "block_size": BLOCK_SIZE,
        "scenario": base.origin,
        "scenario_hash": scenario_hash(base),
        "overrides": list(base.overrides),
        "vary": list(vary),
        "method": method,
        "samples": samples,
        "levels": levels if method == "morris" else None,
        "inputs": len(inputs),
        "evaluations": len(values),
        "evaluations_finished": int(done.sum()) * group,
        "date_origin": reference.isoformat() if reference is not None else None,
        "stopped_by": stop,
        "salib": salib_version(),
    }
    result = Sensitivity(method, inputs, summaries, effects, provenance, used, found)
    if lost is not None:
        raise WorkerError(lost.reason, result) from None
    return result


def _check_design(method: Any, samples: Any, levels: Any) -> tuple[str, int, int]:
    if method not in METHODS:
        raise UsageError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if samples is None:
        samples = DEFAULT_SAMPLES[method]
    what = "base samples" if method == "sobol" else "trajectories"
    samples = check_count(f"samples ({what})", samples, 2, MAX_SAMPLES)
    if method == "sobol" and samples & (samples - 1):
        below = 1 << (samples.bit_length() - 1)
        raise UsageError(
            f"samples must be a power of 2 for a Sobol design (its sequence is balanced only "
            f"then), got {samples:,}; try {below:,} or {2 * below:,}"
        )
    levels = check_count("levels", levels, 2, 100)
    if levels % 2:
        raise UsageError(f"levels must be an even number for a Morris design, got {levels}")
    return method, samples, levels


def _check_vary(vary: Any) -> list[str]:
    items = [vary] if isinstance(vary, str) else vary
    if not isinstance(items, (list, tuple)) or not all(isinstance(v, str) for v in items):
        raise UsageError(
            "vary must be 'PATH=LO:HI' strings, e.g. ['objections.tur-rutte.lift=0:0.5']; "
            f"got {vary!r}"
        )
    return list(items)


def _check_size(
    method: str, samples: int, inputs: int, group: int, trials: int, max_total_trials: int
) -> None:
    """Refuse, before any work, a design larger than the limits, saying what it needs."""
    evaluations = samples * group
    total = evaluations * trials
    if evaluations <= MAX_EVALUATIONS and total <= max_total_trials:
        return
    extra = 2 if method == "sobol" else 1
    what = "base samples" if method == "sobol" else "trajectories"
    raise UsageError(
        f"this {method.capitalize()} design needs {evaluations:,} evaluations ({samples:,} "
        f"{what} × ({inputs} inputs + {extra})) of {trials:,} trials = {total:,} trials; the "
        f"limits are {MAX_EVALUATIONS:,} evaluations and {max_total_trials:,} trials "
        "(--max-total-trials). Use fewer --samples or --trials, or raise --max-total-trials"
    )


def _run(
    plan: _Plan,
    values: np.ndarray,
    design: Design,
    n_outputs: int,
    workers: int | None,
    on_progress: Callable[[int, int], None] | None,
) -> tuple[np.ndarray, np.ndarray, str, WorkerError | None]:
    """Run every group of evaluations; keep those finished if stopped.

    Returns:
        The outputs (evaluation, value or variance, output; NaN where not run), which
        groups finished, why it stopped and the WorkerError of a dead worker, if any.
    """
    group = design.group
    per_task = max(1, math.ceil(TASK_EVALUATIONS / group))
    tasks = [(g, min(g + per_task, design.groups)) for g in range(0, design.groups, per_task)]
    out = np.full((len(values), 2, n_outputs), np.nan)
    done = np.zeros(design.groups, dtype=bool)
    planned = len(values)

    def keep(first: int, last: int, found: np.ndarray) -> None:
        out[first * group : last * group] = found
        done[first:last] = True
        if on_progress is not None:
            on_progress(int(done.sum()) * group, planned)

    stop, lost = "evaluations", None
    workers = useful_workers(workers, len(tasks))
    try:
        if workers == 1 and active_cluster() is None:
            for first, last in tasks:
                rows = values[first * group : last * group]
                keep(first, last, np.stack([evaluate(plan, row) for row in rows]))
        else:
            _run_parallel(plan, values, group, tasks, workers, keep)
    except KeyboardInterrupt:
        stop = "interrupted"
    except WorkerError as error:
        stop, lost = "worker-died", error
    return out, done, stop, lost


def _run_parallel(plan, values, group, tasks, workers, keep) -> None:
    pool = WorkerPool(workers, plan)
    pending: deque = deque()
    queued = 0
    finished = False
    try:
        while True:
            # A few tasks queued per worker, never all: Ctrl-C then stops at once.
            while len(pending) < 2 * workers and queued < len(tasks):
                first, last = tasks[queued]
                rows = values[first * group : last * group]
                pending.append((first, last, pool.submit(_evaluate_rows, rows)))
                queued += 1
            if not pending:
                finished = True
                return
            first, last, future = pending.popleft()
            keep(first, last, pool.result(future))
    finally:
        pool.close(finished=finished)


def _analyse(
    plan: _Plan,
    design: Design,
    values: np.ndarray,
    out: np.ndarray,
    done: np.ndarray,
    outputs: tuple[Output, ...],
    root: np.random.SeedSequence,
) -> tuple[tuple[OutputSummary, ...], tuple[Effect, ...], np.ndarray, np.ndarray]:
    """Summaries and effects from the finished groups, with their inputs and outputs."""
    group = design.group
    rows = np.concatenate(
        [np.arange(g * group, (g + 1) * group) for g in np.flatnonzero(done)] or [np.arange(0)]
    )
    y, within = out[rows, 0, :], out[rows, 1, :]
    summaries = []
    effects: list[Effect] = []
    usable = int(done.sum()) >= MIN_GROUPS
    paths = [i.path for i in plan.inputs]
    for k, output in enumerate(outputs):
        column = y[:, k]
        variance = float(np.var(column, ddof=1)) if len(column) > 1 else 0.0
        if len(column) and np.ptp(column) == 0:
            variance = 0.0
        mean = float(column.mean()) if len(column) else math.nan
        noise = float(within[:, k].mean()) / plan.trials if len(column) else math.nan
        mean_date = None
        if output.kind == "date" and plan.reference is not None and math.isfinite(mean):
            mean_date = plan.reference + dt.timedelta(days=round(mean))
        summary = OutputSummary(
            output.key, output.name, output.kind, mean, variance, noise, mean_date
        )
        summaries.append(summary)
        if not usable or summary.constant:
            continue
        if design.method == "sobol":
            found = sobol_indices(column, len(paths), root)
            effects += [
                SobolIndex(
                    output.key,
                    path,
                    float(found["S1"][j]),
                    float(found["S1_conf"][j]),
                    float(found["ST"][j]),
                    float(found["ST_conf"][j]),
                )
                for j, path in enumerate(paths)
            ]
        else:
            assert design.levels is not None
            found = morris_effects(design.unit[rows], column, design.levels, root)
            effects += [
                MorrisEffect(
                    output.key,
                    path,
                    float(found["mu_star"][j]),
                    float(found["mu_star_conf"][j]),
                    float(found["mu"][j]),
                    float(found["sigma"][j]),
                )
                for j, path in enumerate(paths)
            ]
    return tuple(summaries), tuple(effects), values[rows], y
