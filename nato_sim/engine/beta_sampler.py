"""Beta variates at under half the cost of numpy's, exactly distributed.

numpy draws a beta variate as a ratio of two gamma variates, one element at a time, at about
50 ns each: a scenario with one `{beta: [a, b]}` parameter spends more on it than on all of
its uniforms. When a and b are both at least 1 the density is bounded and has one mode, so
rejection from a step-function envelope is exact and cheap to run on whole arrays: pick a
strip of [0, 1] with the alias method, a point in it, and keep the point with probability
density / envelope. Nearly every point is kept by comparing with the strip's lower bound,
without computing the density. Other shapes (an unbounded density, or one so narrow that
the strips are too coarse for it) go to numpy.
"""

from __future__ import annotations

import functools

import numpy as np

# Strips of the envelope: with 1024 the envelope exceeds a smooth density by well under 1%,
# and its tables stay in the processor's cache.
STRIPS = 1024

# Below this share of envelope points kept (a density a few strips wide), numpy is faster.
MIN_KEPT = 0.9

# The envelope is widened, and its lower bound lowered, by this share, so that rounding in
# the density (a few units in the 16th digit) can never make a bound wrong.
MARGIN = 1e-9


def beta_variates(a: float, b: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` draws from Beta(a, b) from `rng`'s uniforms; numpy's sampler when a < 1 or b < 1,
    or when the density is too narrow for the strips."""
    sampler = _sampler(float(a), float(b)) if a >= 1 and b >= 1 else None
    if sampler is None or sampler.kept_share < MIN_KEPT:
        return rng.beta(a, b, n)
    return sampler.draw(n, rng)


def _log_density(x: np.ndarray | float, a: float, b: float) -> np.ndarray:
    """log of x^(a-1) (1-x)^(b-1), the density up to a constant; exponents of 0 are left out
    so that x = 0 or 1 gives 0, not nan, where the density is flat."""
    out = np.zeros(np.shape(x))
    with np.errstate(divide="ignore"):  # log 0 = -inf: a density of 0 at the end
        if a != 1:
            out += (a - 1) * np.log(x)
        if b != 1:
            out += (b - 1) * np.log1p(-x)
    return out


@functools.lru_cache(maxsize=64)
def _sampler(a: float, b: float) -> _Sampler | None:
    """The tables of Beta(a, b), built once per shape (a scenario has a few); None where the
    density at its mode is not a finite number, as when a parameter is a rounding error
    above 1 and the mode lands on an end of [0, 1]."""
    mode = _mode(a, b)
    if not np.isfinite(_log_density(mode, a, b)):
        return None
    return _Sampler(a, b)


def _mode(a: float, b: float) -> float:
    return (a - 1) / (a + b - 2) if a + b > 2 else 0.5


class _Sampler:
    """The envelope and alias tables of one Beta(a, b) with a, b >= 1."""

    def __init__(self, a: float, b: float, strips: int = STRIPS) -> None:
        self.a, self.b, self.strips = a, b, strips
        mode = _mode(a, b)
        # Densities are scaled to 1 at the mode: for large a and b the unscaled one is below
        # the smallest double everywhere.
        self.log_peak = float(_log_density(mode, a, b))
        edges = self.density(np.arange(strips + 1) / strips)
        # The density rises to its mode and falls after it: on a strip it lies between the
        # values at the strip's ends, except on the strip holding the mode, where it peaks.
        upper = np.maximum(edges[:-1], edges[1:])
        lower = np.minimum(edges[:-1], edges[1:])
        upper[min(int(mode * strips), strips - 1)] = 1.0
        self.upper = upper * (1 + MARGIN)
        # A point is kept without computing its density when u < lower / upper.
        self.squeeze = np.divide(
            lower * (1 - MARGIN), self.upper, out=np.zeros(strips), where=self.upper > 0
        )  # a strip of density 0 is never picked
        # At least this share of points is kept: the density's area is at least the lower
        # bounds'.
        self.kept_share = float(lower.sum() / self.upper.sum())
        self.threshold, self.offset = _alias_tables(self.upper)

    def density(self, x: np.ndarray) -> np.ndarray:
        """The density at x, up to the constant that makes it 1 at the mode."""
        return np.exp(_log_density(x, self.a, self.b) - self.log_peak)

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """`n` variates: one attempt for each, then again for the few rejected."""
        x, kept = self._attempt(n, rng)
        todo = np.flatnonzero(~kept)
        while len(todo):
            again, kept = self._attempt(len(todo), rng)
            x[todo[kept]] = again[kept]
            todo = todo[~kept]
        return x

    def _attempt(self, m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """m points drawn from the envelope, and whether each is kept: three uniforms each."""
        u = rng.random((3, m))
        # The alias method: strip j = floor(u * strips) is taken, or its alias when the
        # fraction of u * strips (43 bits) passes j's share; the arithmetic below does that
        # without np.where, which costs ten times as much.
        scaled = u[0] * self.strips
        j = scaled.astype(np.int32)
        strip = j + (scaled >= self.threshold[j]) * self.offset[j]
        x = strip + u[1]
        x *= 1.0 / self.strips
        kept = u[2] < self.squeeze[strip]
        unsure = np.flatnonzero(~kept)
        if len(unsure):
            density = self.density(x[unsure])
            kept[unsure] = u[2][unsure] * self.upper[strip[unsure]] < density
        return x, kept


def _alias_tables(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vose's alias tables for picking strip j with probability weights[j] / sum.

    Returns, for each j, the threshold that u * strips must reach for j to hand over to its
    alias (j + j's own share), and the alias's offset from j.
    """
    share = weights * (len(weights) / weights.sum())
    own = np.ones(len(weights))
    alias = np.arange(len(weights))
    small = [j for j, s in enumerate(share) if s < 1]
    large = [j for j, s in enumerate(share) if s >= 1]
    while small and large:
        j, k = small.pop(), large.pop()
        own[j], alias[j] = share[j], k
        share[k] -= 1 - share[j]
        (small if share[k] < 1 else large).append(k)
    # Whatever is left is its own strip entirely (rounding leaves shares of about 1).
    index = np.arange(len(weights))
    return index + own, (alias - index).astype(np.int32)
