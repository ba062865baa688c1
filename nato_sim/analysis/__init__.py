"""What-if analysis on top of the runner.

- :mod:`nato_sim.analysis.compare`: a scenario against a variant, outcome by outcome, from
  paired runs with common random numbers;
- :mod:`nato_sim.analysis.explain`: each objection rule taken away in turn (veto impact);
- :mod:`nato_sim.analysis.sweep`: one or two parameters over a grid.

The public entry points are re-exported by :mod:`nato_sim` as ``nato_sim.compare``,
``nato_sim.explain`` and ``nato_sim.sweep``.
"""
