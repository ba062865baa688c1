"""The designs and estimators of a sensitivity analysis, from SALib (the 'sensitivity' extra).

Both methods work in the unit cube, one coordinate per input (`sensitivity_inputs` maps a
coordinate to the input's value):

- Sobol: Saltelli's extension of a scrambled Sobol' sequence with N base samples, in groups
  of D + 2 points (A, the D points of A with one coordinate from B, then B), first-order and
  total indices by the estimators of Saltelli et al. (2010), 95% intervals by bootstrap over
  the groups. No second-order indices.
- Morris: N trajectories of D + 1 points on a grid of `levels` levels; for each input the
  mean of the absolute elementary effects (mu*, with a bootstrap 95% interval), their mean
  (mu) and their spread (sigma), in the output's units per the whole range of the input.

A design's groups (Sobol) or trajectories (Morris) are its units of work: the estimators
take any number of whole groups, so a run cut short is analysed on the groups it finished.
"""

from __future__ import annotations

import importlib.util
import warnings
from dataclasses import dataclass

import numpy as np

from nato_sim.errors import UsageError

METHODS = ("sobol", "morris")
RESAMPLES = 1000
# A design's own random numbers (the scrambling of the Sobol' sequence, Morris' trajectories,
# the bootstrap) come from children of the run's seed that no block of trials uses.
DESIGN_KEY = 2**32 - 1
BOOTSTRAP_KEY = 2**32 - 2


def require_salib() -> None:
    """Raise a UsageError saying how to install SALib when it is missing."""
    if importlib.util.find_spec("SALib") is None:
        raise UsageError("sensitivity analysis needs SALib: pip install 'nato-sim[sensitivity]'")


def salib_version() -> str:
    """The version of SALib installed."""
    from importlib.metadata import version

    return version("SALib")


def _problem(inputs: int) -> dict:
    names = [f"x{j}" for j in range(inputs)]
    return {"num_vars": inputs, "names": names, "bounds": [[0.0, 1.0]] * inputs}


def child_seed(root: np.random.SeedSequence, key: int) -> int:
    """A non-zero integer seed drawn from the child `key` of the run's seed."""
    sequence = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, key))
    return int(sequence.generate_state(1, np.uint32)[0]) or 1


@dataclass(frozen=True)
class Design:
    """Points of the unit cube, in groups of `group` consecutive rows."""

    method: str
    unit: np.ndarray  # (groups * group, D)
    group: int
    levels: int | None = None

    @property
    def groups(self) -> int:
        """How many groups (Sobol base samples, Morris trajectories) it has."""
        return len(self.unit) // self.group


def group_size(method: str, inputs: int) -> int:
    """Points per group: D + 2 for Sobol, D + 1 for Morris."""
    return inputs + 2 if method == "sobol" else inputs + 1


def make_design(
    method: str, inputs: int, samples: int, root: np.random.SeedSequence, levels: int
) -> Design:
    """The design of `samples` groups for `inputs` inputs."""
    seed = child_seed(root, DESIGN_KEY)
    problem = _problem(inputs)
    if method == "sobol":
        from SALib.sample import sobol

        unit = sobol.sample(problem, samples, calc_second_order=False, scramble=True, seed=seed)
        return Design(method, unit, inputs + 2)
    from SALib.sample import morris

    unit = morris.sample(problem, samples, num_levels=levels, seed=seed)
    return Design(method, unit, inputs + 1, levels)


def sobol_indices(y: np.ndarray, inputs: int, root: np.random.SeedSequence) -> dict:
    """S1, S1_conf, ST, ST_conf (each one value per input) of outputs `y` over whole groups."""
    from SALib.analyze import sobol

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        found = sobol.analyze(
            _problem(inputs),
            y,
            calc_second_order=False,
            num_resamples=RESAMPLES,
            seed=child_seed(root, BOOTSTRAP_KEY),
        )
    return {key: np.asarray(found[key], dtype=float) for key in ("S1", "S1_conf", "ST", "ST_conf")}


def morris_effects(
    unit: np.ndarray, y: np.ndarray, levels: int, root: np.random.SeedSequence
) -> dict:
    """mu_star, mu_star_conf, mu, sigma (one value per input) over whole trajectories."""
    from SALib.analyze import morris

    found = morris.analyze(
        _problem(unit.shape[1]),
        unit,
        y,
        num_resamples=RESAMPLES,
        num_levels=levels,
        seed=child_seed(root, BOOTSTRAP_KEY),
    )
    keys = ("mu_star", "mu_star_conf", "mu", "sigma")
    return {key: np.asarray(found[key], dtype=float) for key in keys}
