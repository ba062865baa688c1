"""Interval estimates and summaries computed from integer counts."""

from __future__ import annotations

import math

import numpy as np

Z95 = 1.959963984540054  # two-sided 95% normal quantile


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion.

    Unlike the normal approximation it stays inside [0, 1] and is sensible at 0 or n
    successes, which rare outcomes (a hard veto that holds) often produce.
    """
    if trials <= 0:
        return (0.0, 1.0)
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    # At 0 or n successes the bound is exactly 0 or 1; rounding would leave a tiny residue.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return (low, high)


def half_width(successes: int, trials: int, z: float = Z95) -> float:
    """Half the width of the Wilson interval."""
    lo, hi = wilson(successes, trials, z)
    return (hi - lo) / 2


def histogram_median(counts: np.ndarray, values: np.ndarray) -> float | None:
    """The median of values weighted by counts (the lower median); None if all are 0."""
    total = int(counts.sum())
    if total == 0:
        return None
    position = np.searchsorted(np.cumsum(counts), (total + 1) // 2)
    return float(values[position])


def histogram_mean(counts: np.ndarray, values: np.ndarray) -> float | None:
    """The mean of values weighted by counts; None if all are 0."""
    total = int(counts.sum())
    return None if total == 0 else float((counts * values).sum() / total)
