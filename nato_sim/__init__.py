"""nato-sim: a Monte Carlo simulator of who will lead NATO next.

Load a scenario, simulate it, read the figures::

    import nato_sim
    scenario = nato_sim.load("nato-2024", overrides=["objections.tur-rutte.lift=0.6"])
    results = nato_sim.simulate(scenario, trials=100_000, rng=42)
    results.probability("rutte")
"""

from nato_sim._version import __version__
from nato_sim.analysis.backtest import run_backtest
from nato_sim.analysis.compare import Comparison, compare
from nato_sim.analysis.explain import Explanation, explain
from nato_sim.analysis.sweep import Sweep, sweep
from nato_sim.errors import NatoSimError, ScenarioError, UsageError
from nato_sim.results.summary import Results
from nato_sim.running.runner import iter_blocks, simulate
from nato_sim.scenario.loader import load, with_overrides
from nato_sim.scenario.schema import Scenario

__all__ = [
    "Comparison",
    "Explanation",
    "NatoSimError",
    "Results",
    "Scenario",
    "ScenarioError",
    "Sweep",
    "UsageError",
    "__version__",
    "compare",
    "explain",
    "iter_blocks",
    "load",
    "run_backtest",
    "simulate",
    "sweep",
    "with_overrides",
]
