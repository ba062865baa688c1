"""nato-sim: a Monte Carlo simulator of who will lead NATO next.

Load a scenario, simulate it, read the figures::

    import nato_sim
    scenario = nato_sim.load("nato-2024", overrides=["objections.tur-rutte.lift=0.6"])
    results = nato_sim.simulate(scenario, trials=100_000, rng=42)
    results.probability("rutte")
"""

from nato_sim._version import __version__
from nato_sim.errors import NatoSimError, ScenarioError, UsageError
from nato_sim.loader import load, with_overrides
from nato_sim.results import Results
from nato_sim.runner import iter_blocks, simulate
from nato_sim.schema import Scenario

__all__ = [
    "NatoSimError",
    "Results",
    "Scenario",
    "ScenarioError",
    "UsageError",
    "__version__",
    "iter_blocks",
    "load",
    "simulate",
    "with_overrides",
]
