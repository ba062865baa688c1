"""Calibration: how often outcomes given about p happened, for p in ten bins.

Every outcome of every case is one forecast: its probability p and whether it happened. The
forecasts are grouped in bins of p ([0, 0.1), [0.1, 0.2), ..., [0.9, 1]); a calibrated
forecaster's outcomes happen, in each bin, about as often as the mean p of the bin says.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

BINS = 10


@dataclass(frozen=True)
class Bin:
    """One bin of forecast probabilities: what was forecast and what happened."""

    low: float
    high: float
    count: int  # forecasts in the bin
    happened: int  # ... of which the outcome happened
    mean_forecast: float | None  # None for an empty bin
    observed: float | None  # happened / count; None for an empty bin


def reliability(forecasts: Iterable[tuple[float, bool]], bins: int = BINS) -> list[Bin]:
    """The reliability table of (probability, happened) pairs, in `bins` equal bins.

    A probability p falls in bin floor(p * bins); p = 1 in the last bin.
    """
    sums = [0.0] * bins
    counts = [0] * bins
    hits = [0] * bins
    for p, happened in forecasts:
        k = min(int(p * bins), bins - 1) if p > 0 else 0
        sums[k] += p
        counts[k] += 1
        hits[k] += int(happened)
    return [
        Bin(
            k / bins,
            (k + 1) / bins,
            counts[k],
            hits[k],
            sums[k] / counts[k] if counts[k] else None,
            hits[k] / counts[k] if counts[k] else None,
        )
        for k in range(bins)
    ]
