"""The beta sampler against the exact distribution, and where it leaves the work to numpy."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nato_sim.engine.beta_sampler import _Sampler, _sampler, beta_variates

N = 200_000
# Kolmogorov-Smirnov: with N draws from the true distribution, the largest gap between the
# empirical and the exact CDF exceeds 1.95 / sqrt(N) with probability 0.001.
KS_LIMIT = 1.95 / math.sqrt(N)


def exact_cdf(a: float, b: float, x: np.ndarray) -> np.ndarray:
    """Beta(a, b)'s CDF at sorted x, by the trapezoid rule on a grid of a million steps."""
    grid = np.linspace(0.0, 1.0, 1_000_001)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pdf = (
            (a - 1) * np.log(grid)
            + (b - 1) * np.log1p(-grid)
            + math.lgamma(a + b)
            - math.lgamma(a)
            - math.lgamma(b)
        )
    pdf = np.nan_to_num(np.exp(log_pdf), nan=0.0, posinf=0.0)
    if a == 1:
        pdf[0] = math.exp(math.lgamma(a + b) - math.lgamma(b))
    if b == 1:
        pdf[-1] = math.exp(math.lgamma(a + b) - math.lgamma(a))
    cdf = np.concatenate([[0.0], np.cumsum((pdf[1:] + pdf[:-1]) / 2) / 1_000_000])
    return np.interp(x, grid, cdf / cdf[-1])


def ks_gap(a: float, b: float, x: np.ndarray) -> float:
    """The largest gap between the empirical CDF of x and Beta(a, b)'s."""
    x = np.sort(x)
    cdf = exact_cdf(a, b, x)
    n = len(x)
    return float(max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n)))


@pytest.mark.parametrize(
    "a, b",
    [(1.2, 3.0), (1.0, 1.0), (1.0, 5.0), (5.0, 1.0), (2.0, 2.0), (30.0, 40.0), (400.0, 300.0)],
)
def test_draws_follow_the_beta_distribution(a, b):
    x = beta_variates(a, b, N, np.random.Generator(np.random.PCG64DXSM(7)))
    assert 0.0 <= x.min() and x.max() < 1.0
    assert ks_gap(a, b, x) < KS_LIMIT
    assert abs(x.mean() - a / (a + b)) < 5 * math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)) / N)


def test_a_coarse_envelope_is_corrected_by_rejection():
    # With 8 strips the envelope is far from the density (its own points, all kept, are
    # 0.04 off in KS gap, ten times the limit): only rejection makes the draws beta.
    sampler = _Sampler(1.2, 3.0, strips=8)
    assert sampler.kept_share < 0.9
    x = sampler.draw(N, np.random.Generator(np.random.PCG64DXSM(5)))
    assert ks_gap(1.2, 3.0, x) < KS_LIMIT


def test_the_test_tells_a_wrong_shape():
    x = beta_variates(1.25, 3.0, N, np.random.Generator(np.random.PCG64DXSM(7)))  # a off by 4%
    assert ks_gap(1.2, 3.0, x) > KS_LIMIT


@pytest.mark.parametrize("a, b", [(0.5, 2.0), (2.0, 0.7), (0.3, 0.3), (5000.0, 5000.0), (1.0, 1e6)])
def test_unbounded_or_narrow_densities_are_left_to_numpy(a, b):
    ours = beta_variates(a, b, 1_000, np.random.Generator(np.random.PCG64DXSM(3)))
    numpys = np.random.Generator(np.random.PCG64DXSM(3)).beta(a, b, 1_000)
    assert np.array_equal(ours, numpys)


def test_the_envelope_covers_the_density():
    # The envelope's step on each strip is at least the density anywhere in it, and the
    # squeeze at most: checked on a grid 64 times finer than the strips.
    for a, b in [(1.2, 3.0), (1.0, 5.0), (5.0, 1.0), (30.0, 40.0), (2.0, 2.0)]:
        sampler = _sampler(a, b)
        strips = len(sampler.upper)
        x = (np.arange(strips * 64) + 0.5) / (strips * 64)
        density = sampler.density(x)
        strip = np.arange(strips * 64) // 64
        assert np.all(density <= sampler.upper[strip])
        assert np.all(density >= sampler.squeeze[strip] * sampler.upper[strip])


@pytest.mark.parametrize(("a", "b"), [(2.0, 1.0 + 2**-52), (1.0 + 2**-52, 2.0)])
def test_a_parameter_a_rounding_error_above_one_draws_the_right_distribution(a, b):
    # The mode then sits where the density is not finite: numpy's sampler takes over.
    draws = beta_variates(a, b, N, np.random.default_rng(5))
    x = np.sort(draws)
    gap = np.max(np.abs(np.arange(1, N + 1) / N - exact_cdf(a, b, x)))
    assert gap < KS_LIMIT
