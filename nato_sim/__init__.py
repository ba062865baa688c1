"""nato-sim: a Monte Carlo simulator of who will lead NATO next.

Load a scenario, simulate it, read the figures::

    import nato_sim
    scenario = nato_sim.load("nato-2024", overrides=["objections.tur-rutte.lift=0.6"])
    results = nato_sim.simulate(scenario, trials=100_000, rng=42)
    results.probability("rutte")

Every function raises the tool's own errors (`UsageError` for an argument of the wrong
type or value, `ScenarioError` for a missing or invalid scenario, both `NatoSimError`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from nato_sim._version import __version__

# Where each public name lives. Names are imported when first used: `import nato_sim`
# stays quick, and the command line, which imports this package before anything else, can
# still catch a Ctrl-C pressed while numpy and the rest load.
_LOCATIONS = {
    "Comparison": "nato_sim.analysis.compare",
    "Explanation": "nato_sim.analysis.explain",
    "NatoSimError": "nato_sim.errors",
    "Results": "nato_sim.results.summary",
    "Scenario": "nato_sim.scenario.schema",
    "ScenarioError": "nato_sim.errors",
    "Sensitivity": "nato_sim.analysis.sensitivity",
    "Sweep": "nato_sim.analysis.sweep",
    "Timeline": "nato_sim.analysis.timeline",
    "UsageError": "nato_sim.errors",
    "WorkerError": "nato_sim.errors",
    "compare": "nato_sim.analysis.compare",
    "explain": "nato_sim.analysis.explain",
    "iter_blocks": "nato_sim.running.runner",
    "load": "nato_sim.scenario.loader",
    "run_backtest": "nato_sim.analysis.backtest",
    "sensitivity": "nato_sim.analysis.sensitivity",
    "simulate": "nato_sim.running.runner",
    "sweep": "nato_sim.analysis.sweep",
    "timeline": "nato_sim.analysis.timeline",
    "using_scheduler": "nato_sim.running.executor",
    "with_overrides": "nato_sim.scenario.loader",
}

__all__ = ["__version__", *sorted(_LOCATIONS)]


# Subpackages and modules that an eager import used to make attributes of the package.
_MODULES = {"analysis", "engine", "errors", "output", "results", "running", "scenario"}


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(f"nato_sim.{name}")
    if name not in _LOCATIONS:
        raise AttributeError(f"module 'nato_sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LOCATIONS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LOCATIONS) | _MODULES)


if TYPE_CHECKING:
    # Names for type checkers and editors; at run time __getattr__ finds them.
    from nato_sim.analysis.backtest import run_backtest  # noqa: F401
    from nato_sim.analysis.compare import Comparison, compare  # noqa: F401
    from nato_sim.analysis.explain import Explanation, explain  # noqa: F401
    from nato_sim.analysis.sensitivity import Sensitivity, sensitivity  # noqa: F401
    from nato_sim.analysis.sweep import Sweep, sweep  # noqa: F401
    from nato_sim.analysis.timeline import Timeline, timeline  # noqa: F401
    from nato_sim.errors import NatoSimError, ScenarioError, UsageError, WorkerError  # noqa: F401
    from nato_sim.results.summary import Results  # noqa: F401
    from nato_sim.running.executor import using_scheduler  # noqa: F401
    from nato_sim.running.runner import iter_blocks, simulate  # noqa: F401
    from nato_sim.scenario.loader import load, with_overrides  # noqa: F401
    from nato_sim.scenario.schema import Scenario  # noqa: F401
