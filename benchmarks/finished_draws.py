"""How much of the engine's time goes to the random numbers it draws for finished trials.

Run from the project root, in the development environment::

    python benchmarks/finished_draws.py [SCENARIO ...]

For common random numbers every round draws one number per objection and per candidate who may
withdraw for every trial of a block, finished or not (docs/model.md). For each scenario (by
default the bundled scenarios with more than 20 rounds) this prints, as medians over 16 blocks:
how many of a trial's numbers were drawn for trials already finished; the share of a block's
time it takes just to draw those numbers; the block's ratio to the floor of the benchmark
(bench.py); and what an engine that drew none of them, at no cost, would measure: how much
faster it would be, and its ratio to the floor of the numbers it would still draw.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench import rng_floor  # noqa: E402

from nato_sim.engine import rounds  # noqa: E402
from nato_sim.engine.compiled import compile_scenario  # noqa: E402
from nato_sim.running.runner import BLOCK_SIZE, run_seeded_block  # noqa: E402
from nato_sim.scenario.bundled import bundled_scenarios  # noqa: E402
from nato_sim.scenario.loader import load  # noqa: E402

BLOCKS = 16
LONG = 20  # rounds: the default scenarios are those with more


def measure(name: str, width: int) -> str:
    """One line of figures for a scenario, its name in a column `width` wide."""
    compiled = compile_scenario(load(name))
    rows: list[tuple[int, int]] = []  # per round: numbers drawn, trials still open
    draw_events = rounds._draw_events

    def counting(state, layout, r, draws):
        before = draws.count
        out = draw_events(state, layout, r, draws)
        rows.append((draws.count - before, int(np.count_nonzero(state.open))))
        return out

    root = np.random.SeedSequence(1)
    wasted_share, floor, faster, floor_without = [], [], [], []
    rounds._draw_events = counting
    try:
        for index in range(BLOCKS):
            rows.clear()
            start = time.perf_counter()
            counts = run_seeded_block(compiled, BLOCK_SIZE, root, index)
            seconds = time.perf_counter() - start
            # A round's numbers are one row of BLOCK_SIZE per objection or candidate: the
            # share of each row that finished trials take is the share of trials finished.
            wasted = round(sum(n * (1 - open_ / BLOCK_SIZE) for n, open_ in rows))
            wasted_seconds = rng_floor(wasted)
            without = seconds - wasted_seconds
            wasted_share.append(wasted_seconds / seconds)
            floor.append(seconds / rng_floor(counts.uniforms))
            faster.append(seconds / without)
            floor_without.append(without / rng_floor(counts.uniforms - wasted))
    finally:
        rounds._draw_events = draw_events
    per_trial = counts.uniforms / BLOCK_SIZE
    return (
        f"{name:<{width}}{per_trial:>9.0f}{wasted / BLOCK_SIZE:>10.0f}"
        f"{np.median(wasted_share):>10.0%}{np.median(floor):>9.2f}x"
        f"{np.median(faster):>10.2f}x{np.median(floor_without):>10.2f}x"
    )


def main() -> int:
    """Print the table."""
    names = sys.argv[1:] or [
        name for name in sorted(bundled_scenarios()) if compile_scenario(load(name)).rounds > LONG
    ]
    width = max(len("scenario"), *(len(name) for name in names)) + 1
    print(f"medians of {BLOCKS} blocks of {BLOCK_SIZE:,} trials\n")
    print(
        f"{'':<{width}}{'numbers a trial':>19}{'their':>10}{'':>10}{'without them':>21}\n"
        f"{'scenario':<{width}}{'all':>9}{'finished':>10}{'time':>10}{'vs floor':>10}"
        f"{'faster':>11}{'vs floor':>10}"
    )
    for name in names:
        print(measure(name, width), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
