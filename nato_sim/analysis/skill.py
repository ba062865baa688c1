"""Skill scores over cases, with a bootstrap interval over races.

skill = 1 - mean(model's score) / mean(baseline's score), for scores where lower is better:
1 is a perfect model, 0 no better than the baseline, below 0 worse. The interval resamples
whole races with replacement (snapshots of one race stay together), recomputes the skill on
the cases of the races drawn, and takes the 2.5th and 97.5th percentiles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nato_sim.analysis.scores import skill

RESAMPLES = 2000
LEVEL = 0.95


@dataclass(frozen=True)
class Skill:
    """A skill score, its bootstrap interval, and how many cases and races it rests on."""

    value: float | None
    low: float | None
    high: float | None
    cases: int
    races: int


def skill_interval(
    model: Sequence[float],
    baseline: Sequence[float],
    races: Sequence[str],
    *,
    seed: int,
    resamples: int = RESAMPLES,
    level: float = LEVEL,
) -> Skill:
    """The skill of `model` over `baseline` (per-case scores, lower better) and its interval.

    Args:
        model, baseline: one score per case.
        races: the race of each case; resampling draws races, not cases.
        seed: the seed of the resampling.
        resamples: how many resamples.
        level: the interval's coverage.

    Resamples in which the baseline's mean is 0 have no skill and are left out; with none
    left, or no case, the interval is None.
    """
    m = np.asarray(model, dtype=float)
    b = np.asarray(baseline, dtype=float)
    names = sorted(set(races))
    if len(m) == 0:
        return Skill(None, None, None, 0, 0)
    value = skill(float(m.mean()), float(b.mean()))
    index = np.array([names.index(r) for r in races])
    rng = np.random.default_rng(seed)
    drawn = rng.integers(0, len(names), size=(resamples, len(names)))
    counts = np.zeros((resamples, len(names)))
    np.add.at(counts, (np.arange(resamples)[:, None], drawn), 1.0)
    weights = counts[:, index]  # (resamples, cases): how often each case's race was drawn
    total = weights.sum(axis=1)
    model_mean = weights @ m / total
    baseline_mean = weights @ b / total
    ok = baseline_mean > 0
    if not ok.any():
        return Skill(value, None, None, len(m), len(names))
    skills = 1.0 - model_mean[ok] / baseline_mean[ok]
    tail = (1.0 - level) / 2
    low, high = np.quantile(skills, [tail, 1.0 - tail])
    return Skill(value, float(low), float(high), len(m), len(names))
