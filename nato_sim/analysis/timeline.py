"""Timelines: one race as a series of snapshot scenarios, each dated by its `as_of`.

A timeline is a folder of scenarios of the same race, each written with only what was public
on its `as_of` date. Every snapshot is run with the same seed and number of trials (exactly
what ``nato-sim run FILE --seed S --trials N`` gives), in `as_of` order, so the forecasts can
be read as they would have moved with the news: P(each outcome) with its 95% interval, and
when an appointment was expected (the mean and median of the appointment dates, among the
trials that end in one). When the snapshots carry an `outcome:`, the actual outcome is marked.

Snapshots are checked before any is run: each must validate and have an `as_of`, no two may
share one, and their `outcome:` blocks (where given) must agree and come after every `as_of`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nato_sim._version import __version__
from nato_sim.errors import Problem, ScenarioError, UsageError, WorkerError
from nato_sim.results.summary import PARTIAL_STOPS, SCHEMA_VERSION, Results
from nato_sim.running.checks import check_callback, check_trials, check_workers
from nato_sim.running.runner import BIT_GENERATOR, BLOCK_SIZE, seed_sequence, simulate
from nato_sim.scenario.bundled import scenarios_dir
from nato_sim.scenario.loader import load, parse_overrides
from nato_sim.scenario.schema import Scenario

DEFAULT_TRIALS = 100_000
MAX_DATE_TICKS = 8  # snapshots beyond this get ticks of the date axis's own choosing

CSV_COLUMNS = (
    "as_of",
    "file",
    "outcome",
    "name",
    "probability",
    "low",
    "high",
    "count",
    "actual",
    "p_appointed",
    "mean_date",
    "median_date",
    "mean_round",
    "median_round",
    "trials",
    "seed",
    "scenario_hash",
    "overrides",
    "version",
    "stopped_by",
)


# Dates: `as_of` and `outcome.date` are days, or (where the format allows it) a month or a
# year, which has `first` and `last` days. A timeline orders and plots by the first day.


def first_day(value: Any) -> dt.date:
    """A day itself, or the first day of a month or year."""
    return value if isinstance(value, dt.date) else value.first


def last_day(value: Any) -> dt.date:
    """A day itself, or the last day of a month or year."""
    return value if isinstance(value, dt.date) else value.last


def date_text(value: Any) -> str:
    """`YYYY-MM-DD` (or `YYYY-MM`, `YYYY`)."""
    return value.isoformat()


@dataclass(frozen=True)
class Snapshot:
    """One scenario of the timeline: its file (by name in the case folder) and scenario."""

    file: str
    scenario: Scenario = field(repr=False)

    @property
    def as_of(self) -> Any:
        """The snapshot's date."""
        return self.scenario.as_of


@dataclass(frozen=True)
class Actual:
    """What happened, from the snapshots' `outcome:` block."""

    outcome: str
    date: Any
    note: str | None = None


@dataclass(frozen=True)
class TimelinePoint:
    """One snapshot's run."""

    file: str
    as_of: Any
    title: str
    results: Results = field(repr=False)

    @property
    def partial(self) -> bool:
        """True when this run was cut short (Ctrl-C, a dead worker)."""
        return self.results.partial

    @property
    def p_appointed(self) -> float:
        """P(a candidate is appointed), the share of trials the dates below rest on."""
        candidates = set(self.results.compiled.candidate_ids)
        return float(sum(o.probability for o in self.results.outcomes if o.outcome in candidates))

    @property
    def mean_round(self) -> float | None:
        """The mean round of the appointments."""
        return self.results.mean_round

    @property
    def median_round(self) -> float | None:
        """The median round of the appointments."""
        return self.results.median_round

    @property
    def mean_date(self) -> dt.date | None:
        """The mean date of the appointments (to the nearest day); None without a calendar
        or without any appointment."""
        rows = self.results.rounds
        decided = sum(r.decided_in_round for r in rows)
        if not decided or rows[0].date is None:
            return None
        start = rows[0].date
        days = sum(r.decided_in_round * (r.date - start).days for r in rows if r.date) / decided
        return start + dt.timedelta(days=round(days))

    @property
    def median_date(self) -> dt.date | None:
        """The date of the median round of the appointments; None as for `mean_date`."""
        median = self.results.median_round
        rows = self.results.rounds
        if median is None or not rows or rows[0].date is None:
            return None
        return rows[int(median) - 1].date

    def outcome_row(self, outcome: str):
        """The run's row of an outcome, or None when it is not an outcome of this snapshot."""
        for row in self.results.outcomes:
            if row.outcome == outcome:
                return row
        return None


@dataclass(frozen=True)
class Timeline:
    """The runs of a timeline's snapshots, in `as_of` order.

    `points` holds the snapshots run; after Ctrl-C or a dead worker, those finished (the
    last may be partial, `point.partial`), and `not_run` names the snapshots never started.
    """

    case: str
    points: list[TimelinePoint]
    actual: Actual | None
    provenance: dict[str, Any]
    not_run: list[Snapshot] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        """True when some snapshot was not run, or not run to the end."""
        return self.provenance["stopped_by"] in PARTIAL_STOPS

    @property
    def trials(self) -> int:
        """Trials run over all snapshots."""
        return sum(p.results.trials for p in self.points)

    @property
    def outcomes(self) -> list[str]:
        """Every outcome of any snapshot: candidates in order of first appearance, then the
        fallbacks (`extension`, `acting`) and `no-decision`."""
        candidates: list[str] = []
        others: list[str] = []
        for point in self.points:
            ids = set(point.results.compiled.candidate_ids)
            for row in point.results.outcomes:
                bucket = candidates if row.outcome in ids else others
                if row.outcome not in bucket:
                    bucket.append(row.outcome)
        return candidates + [o for o in others if o not in candidates]

    def name(self, outcome: str) -> str:
        """An outcome's name, as the latest snapshot that has it calls it."""
        for point in reversed(self.points):
            row = point.outcome_row(outcome)
            if row is not None:
                return row.name
        return outcome

    def probability(self, outcome: str) -> list[float | None]:
        """P(outcome) at every point; None where it is not an outcome of the snapshot."""
        if all(point.outcome_row(outcome) is None for point in self.points):
            raise UsageError(
                f"no outcome {outcome!r} in this timeline; the outcomes are "
                f"{', '.join(self.outcomes)}{_close(outcome, self.outcomes)}"
            )
        rows = [point.outcome_row(outcome) for point in self.points]
        return [None if row is None else float(row.probability) for row in rows]

    def records(self) -> list[dict[str, Any]]:
        """Tidy rows: one per snapshot and outcome, each with its provenance."""
        rows = []
        for point in self.points:
            prov = point.results.provenance
            for row in point.results.outcomes:
                rows.append(
                    {
                        "as_of": date_text(point.as_of),
                        "file": point.file,
                        "outcome": row.outcome,
                        "name": row.name,
                        "probability": row.probability,
                        "low": row.low,
                        "high": row.high,
                        "count": row.count,
                        "actual": self.actual is not None and row.outcome == self.actual.outcome,
                        "p_appointed": point.p_appointed,
                        "mean_date": _iso(point.mean_date),
                        "median_date": _iso(point.median_date),
                        "mean_round": point.mean_round,
                        "median_round": point.median_round,
                        "trials": prov["trials"],
                        "seed": prov["seed"],
                        "scenario_hash": prov["scenario_hash"],
                        "overrides": " ".join(prov["overrides"]),
                        "version": prov["version"],
                        "stopped_by": prov["stopped_by"],
                    }
                )
        return rows

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary with `schema_version` and provenance."""
        actual = None
        if self.actual is not None:
            actual = {
                "outcome": self.actual.outcome,
                "name": self.name(self.actual.outcome),
                "date": date_text(self.actual.date),
                "note": self.actual.note,
            }
        return {
            "schema_version": SCHEMA_VERSION,
            "provenance": self.provenance,
            "case": self.case,
            "actual": actual,
            "outcomes": [{"outcome": o, "name": self.name(o)} for o in self.outcomes],
            "snapshots": [self._point_dict(p) for p in self.points],
            "not_run": [{"as_of": date_text(s.as_of), "file": s.file} for s in self.not_run],
        }

    def _point_dict(self, point: TimelinePoint) -> dict[str, Any]:
        prov = point.results.provenance
        rows = point.results.to_dict()["outcomes"]
        p_actual = None
        if self.actual is not None:
            row = point.outcome_row(self.actual.outcome)
            p_actual = 0.0 if row is None else row.probability
        return {
            "as_of": date_text(point.as_of),
            "file": point.file,
            "scenario": prov["scenario"],
            "title": point.title,
            "scenario_hash": prov["scenario_hash"],
            "trials": prov["trials"],
            "stopped_by": prov["stopped_by"],
            "outcomes": rows,
            "p_actual": p_actual,
            "p_appointed": point.p_appointed,
            "mean_round": point.mean_round,
            "median_round": point.median_round,
            "mean_date": _iso(point.mean_date),
            "median_date": _iso(point.median_date),
        }

    def to_pandas(self):
        """The records as a pandas DataFrame (needs the 'pandas' extra)."""
        from nato_sim.output.tables import to_frame

        return to_frame(self.records())

    def _repr_html_(self) -> str:
        from nato_sim.output.tables import html_table, pct

        rows = [
            (
                r["as_of"],
                r["name"] + (" (actual)" if r["actual"] else ""),
                pct(r["probability"]),
                f"[{pct(r['low'])}, {pct(r['high'])}]",
                r["mean_date"] or "–",
            )
            for r in self.records()
        ]
        prov = self.provenance
        return html_table(
            ("as of", "outcome", "P", "95% interval", "mean appointment date"),
            rows,
            f"Timeline of {self.case}" + (" (partial)" if self.partial else ""),
            f"{prov['trials']:,} trials per snapshot · seed {prov['seed']} · "
            f"nato-sim {prov['version']}",
        )

    def plot(self):
        """A matplotlib figure: P(each outcome) and the expected appointment date against
        the as-of date, the actual outcome marked (needs the 'plot' extra)."""
        return timeline_figure(self)


def _iso(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _close(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# Finding and checking the snapshots.


def bundled_timelines() -> list[str]:
    """The bundled timelines: the folders of snapshots in `history/` (`history/nato-2024`)."""
    root = scenarios_dir()
    history = root / "history"
    if not history.is_dir():
        return []
    folders = [f for f in history.iterdir() if f.is_dir() and any(f.glob("*.yaml"))]
    return sorted(f.relative_to(root).as_posix() for f in folders)


def case_folder(case: str | Path) -> tuple[str, Path]:
    """The label and folder a CASE stands for: a folder, or a bundled folder's name.

    Raises:
        ScenarioError: neither a folder nor a bundled one (with the closest bundled name).
    """
    path = Path(case)
    label = str(case).rstrip("/") or str(case)
    if path.is_dir():
        return label, path
    bundled = scenarios_dir() / label
    if path.parts and not path.is_absolute() and bundled.is_dir():
        return label, bundled
    known = bundled_timelines()
    close = difflib.get_close_matches(label, known, n=1)
    if path.is_file():
        what = "is a file; a timeline is a folder of snapshot scenarios"
    else:
        what = "is neither a folder nor a bundled timeline"
    hint = f"did you mean {close[0]!r}?" if close else f"bundled: {', '.join(known) or 'none'}"
    raise ScenarioError([Problem(label, what, hint=hint)])


def _snapshot_sources(case: str | Path) -> tuple[str, list[tuple[str, str]]]:
    """The case's label and every snapshot as (file name, path or bundled name to load)."""
    label, folder = case_folder(case)
    files = sorted(p for p in folder.glob("*.yaml") if p.is_file())
    if not files:
        raise ScenarioError(
            [
                Problem(
                    label,
                    "no *.yaml scenario in this folder; a timeline is a folder of snapshot "
                    "scenarios of one race, each with its as_of date",
                )
            ]
        )
    bundled = not Path(case).is_dir()
    return label, [(f.name, f"{label}/{f.stem}" if bundled else str(f)) for f in files]


def load_snapshots(
    case: str | Path, overrides: Sequence[str] = ()
) -> tuple[str, list[Snapshot], Actual | None]:
    """Load and check every snapshot of a case, in `as_of` order; all problems at once.

    Args:
        case: a folder of snapshot scenarios, or a bundled one (``history/nato-2024``).
        overrides: ``path=value`` strings applied to every snapshot.

    Returns:
        The case's label, the snapshots sorted by `as_of`, and the actual outcome (None
        when no snapshot has an `outcome:`).

    Raises:
        ScenarioError: the folder is missing or holds no scenario; a snapshot is invalid,
            has no `as_of`, shares its `as_of` with another, is dated on or after the
            decision, or its `outcome:` differs from another's.
        UsageError: an override is malformed or names no field of some snapshot.
    """
    parsed = parse_overrides(list(overrides))
    label, sources = _snapshot_sources(case)
    snapshots: list[Snapshot] = []
    problems: list[Problem] = []
    # A value an override sets wrongly is wrong in every snapshot: said once, naming them.
    at_override: dict[Problem, list[str]] = {}
    for name, source in sources:
        try:
            scenario = load(source, parsed)
        except ScenarioError as error:
            for problem in error.problems:
                if problem.line is None and problem.file.startswith("--set "):
                    at_override.setdefault(problem, []).append(name)
                else:
                    problems.append(problem)
            continue
        except UsageError as error:
            raise UsageError(f"{name}: {error}") from None
        if scenario.as_of is None:
            problems.append(
                Problem(
                    f"{label}/{name}",
                    "has no 'as_of' date; a timeline orders its snapshots by as_of",
                )
            )
            continue
        snapshots.append(Snapshot(name, scenario))
    for problem, names in at_override.items():
        where = "every snapshot" if len(names) == len(sources) else ", ".join(names)
        hint = f"{problem.hint}; " if problem.hint else ""
        problems.append(dataclasses.replace(problem, hint=f"{hint}in {where}"))
    snapshots.sort(key=lambda s: (first_day(s.as_of), last_day(s.as_of), s.file))
    problems += _date_problems(label, snapshots)
    actual, outcome_problems = _actual(label, snapshots)
    problems += outcome_problems
    if problems:
        raise ScenarioError(problems)
    return label, snapshots, actual


def _date_problems(label: str, snapshots: list[Snapshot]) -> list[Problem]:
    problems = []
    seen: dict[str, str] = {}
    for snap in snapshots:
        text = date_text(snap.as_of)
        if text in seen:
            problems.append(
                Problem(
                    f"{label}/{snap.file}",
                    f"as_of {text} is also that of {seen[text]}; each snapshot needs its own date",
                    path=("as_of",),
                )
            )
        seen.setdefault(text, snap.file)
    return problems


def _actual(label: str, snapshots: list[Snapshot]) -> tuple[Actual | None, list[Problem]]:
    """The outcome the snapshots agree on, and the problems where they do not."""
    actual: Actual | None = None
    first = ""
    problems = []
    for snap in snapshots:
        outcome = snap.scenario.outcome
        if outcome is None:
            continue
        here = Actual(outcome.winner, outcome.date, outcome.note)
        where = f"{label}/{snap.file}"
        if actual is None:
            actual, first = here, snap.file
        elif (here.outcome, date_text(here.date)) != (actual.outcome, date_text(actual.date)):
            problems.append(
                Problem(
                    where,
                    f"outcome {here.outcome} on {date_text(here.date)} differs from "
                    f"{first}'s ({actual.outcome} on {date_text(actual.date)}); the "
                    "snapshots of one race share its outcome",
                    path=("outcome",),
                )
            )
    if actual is not None and not problems:
        for snap in snapshots:
            if first_day(snap.as_of) >= last_day(actual.date):
                problems.append(
                    Problem(
                        f"{label}/{snap.file}",
                        f"as_of {date_text(snap.as_of)} is not before the decision of "
                        f"{date_text(actual.date)}; a snapshot describes the race before it",
                        path=("as_of",),
                    )
                )
    return actual, problems


# Running.


def timeline(
    case: str | Path,
    overrides: Sequence[str] = (),
    *,
    trials: int = DEFAULT_TRIALS,
    rng=None,
    workers: int | None = 1,
    on_progress: Callable[[int, int], None] | None = None,
) -> Timeline:
    """Run every snapshot of a race with the same seed, in `as_of` order.

    Args:
        case: a folder of snapshot scenarios (every *.yaml in it), or the name of a bundled
            one such as ``"history/nato-2024"``.
        overrides: ``path=value`` strings applied to every snapshot.
        trials: trials per snapshot.
        rng: an int seed, a SeedSequence, a Generator or None (fresh entropy); every
            snapshot shares it, so each is what ``nato-sim run FILE --seed S`` gives.
        workers: processes per run; None uses all cores. Results do not depend on it.
        on_progress: called after each block with the trials done over the whole timeline
            and the trials it will run in all.

    Returns:
        A Timeline. After Ctrl-C it holds the snapshots finished (the last one partial)
        and `partial` is True.

    Raises:
        ScenarioError: the folder or a snapshot is missing or invalid (see `load_snapshots`).
        UsageError: an argument of the wrong type or out of range.
        WorkerError: a worker process died; its `results` is the Timeline so far.
    """
    trials = check_trials(trials)
    workers = check_workers(workers)
    on_progress = check_callback("on_progress", on_progress)
    if isinstance(overrides, str):
        overrides = [overrides]
    label, snapshots, actual = load_snapshots(case, overrides)
    return run_snapshots(
        label,
        snapshots,
        actual,
        trials=trials,
        rng=rng,
        workers=workers,
        overrides=overrides,
        on_progress=on_progress,
    )


def run_snapshots(
    label: str,
    snapshots: Sequence[Snapshot],
    actual: Actual | None,
    *,
    trials: int,
    rng,
    workers: int | None,
    overrides: Sequence[str] = (),
    on_progress: Callable[[int, int], None] | None = None,
) -> Timeline:
    """Run snapshots already loaded and checked by `load_snapshots` (see `timeline`)."""
    trials = check_trials(trials)
    workers = check_workers(workers)
    root = seed_sequence(rng)
    total = trials * len(snapshots)
    points: list[TimelinePoint] = []
    stop, lost = "trials", None
    for snap in snapshots:
        done = sum(p.results.trials for p in points)

        def progress(block, counts, done=done):
            if on_progress is not None:
                on_progress(done + counts.trials, total)

        try:
            results = simulate(snap.scenario, trials, root, workers=workers, on_block=progress)
        except WorkerError as error:
            stop, lost = "worker-died", error
            if error.results is not None and error.results.trials:
                points.append(_point(snap, error.results))
            break
        except KeyboardInterrupt:
            stop = "interrupted"
            break
        if results.trials:
            points.append(_point(snap, results))
        if results.partial:
            stop = results.provenance["stopped_by"]
            break
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
        "case": label,
        "overrides": list(overrides),
        "snapshots": len(snapshots),
        "snapshots_finished": sum(1 for p in points if not p.partial),
        "stopped_by": stop,
    }
    not_run = list(snapshots[len(points) :])
    result = Timeline(label, points, actual, provenance, not_run)
    if lost is not None:
        raise WorkerError(lost.reason, result) from None
    return result


def _point(snap: Snapshot, results: Results) -> TimelinePoint:
    return TimelinePoint(snap.file, snap.as_of, snap.scenario.title, results)


# The figure.


def timeline_figure(result: Timeline):
    """P(each outcome) with 95% intervals (top) and the mean and median appointment dates
    (bottom) against the as-of date; the actual outcome and its date are marked."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, DateFormatter
    from matplotlib.ticker import PercentFormatter

    from nato_sim.output.figures import GREY, figure_class, wrap

    if not result.points:
        raise UsageError("this timeline has no finished snapshot to plot")
    figure = figure_class()(figsize=(8.5, 7.2), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    xs = [first_day(p.as_of) for p in result.points]
    actual = result.actual
    for outcome in result.outcomes:
        rows = [(x, p.outcome_row(outcome)) for x, p in zip(xs, result.points, strict=True)]
        rows = [(x, r) for x, r in rows if r is not None]
        is_actual = actual is not None and outcome == actual.outcome
        if not is_actual and max(r.probability for _, r in rows) == 0:
            continue
        label = result.name(outcome) + (" (actual outcome)" if is_actual else "")
        (line,) = top.plot(
            [x for x, _ in rows],
            [r.probability for _, r in rows],
            marker="o",
            linewidth=2.6 if is_actual else 1.4,
            zorder=3 if is_actual else 2,
            label=label,
        )
        top.fill_between(
            [x for x, _ in rows],
            [r.low for _, r in rows],
            [r.high for _, r in rows],
            color=line.get_color(),
            alpha=0.2,
            linewidth=0,
        )
        if is_actual and actual is not None:
            top.plot(
                [first_day(actual.date)],
                [1.0],
                marker="*",
                markersize=15,
                color=line.get_color(),
                linestyle="none",
                label=f"actual: {result.name(outcome)}, decided {date_text(actual.date)}",
            )
    top.set_ylim(-0.03, 1.05)
    top.yaxis.set_major_formatter(PercentFormatter(1.0))
    top.set_ylabel("P(outcome) (bands: 95% interval)")
    top.grid(alpha=0.3)
    top.legend(fontsize=8, loc="best")

    dated = [(x, p) for x, p in zip(xs, result.points, strict=True) if p.mean_date is not None]
    if dated:
        bottom.plot(
            [x for x, _ in dated],
            [p.mean_date for _, p in dated],
            marker="o",
            color="#1f77b4",
            label="expected (mean) appointment date",
        )
        bottom.plot(
            [x for x, _ in dated],
            [p.median_date for _, p in dated],
            marker="D",
            markersize=5,
            linestyle="--",
            color="#1f77b4",
            alpha=0.6,
            label="median appointment date",
        )
        if actual is not None:
            bottom.axhline(
                first_day(actual.date),
                color=GREY,
                linestyle=":",
                label=f"actual decision: {date_text(actual.date)}",
            )
        bottom.yaxis.set_major_locator(AutoDateLocator(minticks=3, maxticks=6))
        bottom.yaxis.set_major_formatter(DateFormatter("%d %b %Y"))
        bottom.legend(fontsize=8, loc="best")
    else:
        bottom.text(
            0.5,
            0.5,
            "no appointment dates: the snapshots have no calendar or no appointment",
            ha="center",
            va="center",
            transform=bottom.transAxes,
            fontsize=9,
        )
        bottom.set_yticks([])
    bottom.set_ylabel("appointment date\n(among trials with one)")
    bottom.set_xlabel("as-of date of the snapshot")
    bottom.grid(alpha=0.3)
    if actual is not None:
        for ax in (top, bottom):
            ax.axvline(first_day(actual.date), color=GREY, linestyle=":", linewidth=1)
        top.annotate(
            f"decided {date_text(actual.date)}",
            (first_day(actual.date), 0.5),
            xytext=(-4, 0),
            textcoords="offset points",
            rotation=90,
            ha="right",
            va="center",
            fontsize=8,
            color=GREY,
        )
    if len(xs) <= MAX_DATE_TICKS:
        # Few snapshots: a tick at each as-of date, written out in full.
        bottom.set_xticks(xs, [x.strftime("%d %b\n%Y") for x in xs])
    else:
        locator = AutoDateLocator(minticks=3, maxticks=8)
        bottom.xaxis.set_major_locator(locator)
        bottom.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    low, high = min(xs), max(xs + ([first_day(actual.date)] if actual else []))
    pad = dt.timedelta(days=max(3, (high - low).days // 20))
    bottom.set_xlim(low - pad, high + pad)
    partial = " (PARTIAL)" if result.partial else ""
    prov = result.provenance
    top.set_title(
        wrap(f"Timeline of {result.case}{partial}", 80)
        + f"\n{prov['trials']:,} trials per snapshot · seed {prov['seed']} · "
        f"nato-sim {prov['version']}",
        loc="left",
        fontsize=9,
    )
    return figure
