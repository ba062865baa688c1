"""Long fuzz run of the engine: run it before any engine change lands.

Run from the project root, in the development environment::

    python benchmarks/fuzz.py --minutes 30 [--seed N]

Generates scenarios that use every feature of the format (tests/strategies.py), each run in a
block of 1 to 2,000 trials, and checks for each:

1. the engine does not crash, and its counts are consistent (every trial has one outcome, a rule
   lifts only if raised, ...);
2. every shortcut the engine takes gives the plain path's counts bit for bit (looking again only
   at trials whose state changed, picking them out, compacting, hazards fixed once, no hazards
   for units that never lift);
3. for about a quarter of the examples, the engine agrees in distribution with the slow
   per-trial reference implementation of tests/reference.py (every outcome, P(decided by round
   r), P(rule raised), P(rule lifted by round r), P(pair blocked)).

Check 3 is statistical. A comparison fails when the two proportions are more than 5 standard
errors of their difference apart (plus 0.001 for proportions near 0 or 1): by chance about
once in 1.7 million comparisons. A failing example is run again, with other seeds and four
times the trials; only a disagreement that persists is reported. Checks 1 and 2 are exact.

Examples are drawn by hypothesis, in batches of a fresh random seed (printed, so a batch can be
replayed with --seed). A failure prints the example as drawn (not shrunk: that would run the
reference hundreds of times); the exit status is 1 on any failure, else 0.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import engine_checks  # noqa: E402
from engine_checks import (  # noqa: E402
    VARIANTS,
    check_counts,
    check_shortcuts,
    check_skipped_units,
)
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import seed as hypothesis_seed  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from strategies import BLOCK_SIZES, scenarios, zeros_made_tiny  # noqa: E402

from nato_sim.engine.compiled import compile_scenario  # noqa: E402
from nato_sim.scenario.schema import Scenario  # noqa: E402

BATCH = 100  # examples per hypothesis run
# Examples whose seed is a multiple of this are also compared with the reference: about a
# quarter of them, since hypothesis draws 0 and other small seeds often.
REFERENCE_EVERY = 10
SIGMAS = 5.0
SLACK = 1e-3
N_ENGINE, N_REFERENCE = 20_000, 2_000


def reference_mismatches(scenario: Scenario, scale: int, seed: int) -> list[str]:
    """The probabilities on which engine and reference disagree, at `scale` times the trials."""
    n_engine, n_reference = N_ENGINE * scale, N_REFERENCE * scale
    return engine_checks.reference_mismatches(scenario, n_engine, n_reference, seed, SIGMAS, SLACK)


class Tally:
    """What the run has checked so far."""

    def __init__(self) -> None:
        self.examples = self.trials = self.reference = self.retried = 0
        self.sizes = {"1-10": 0, "11+": 0}
        self.features = {"late entrant": 0, "withdrawals": 0, "until": 0, "bloc": 0}


def check_example(tally: Tally, scenario: Scenario, n: int, seed: int, made_zero) -> None:
    """Checks 1 to 3 on one example (see the module's docstring); a failure names it whole."""
    try:
        _check(tally, scenario, n, seed, made_zero)
    except Exception as error:
        data = scenario.model_dump(mode="json", exclude_none=True)
        raise AssertionError(
            f"{type(error).__name__}: {error}\n{n} trials, seed {seed}, zeros made tiny "
            f"{made_zero}, scenario:\n{yaml.safe_dump(data, sort_keys=False)}"
        ) from error


def _check(tally: Tally, scenario: Scenario, n: int, seed: int, made_zero) -> None:
    compiled = compile_scenario(scenario)
    counts = check_shortcuts(compiled, n, seed)
    check_counts(compiled, counts, n)
    check_skipped_units(scenario, made_zero, n, seed)
    tally.examples += 1
    tally.trials += n
    tally.sizes["1-10" if n <= 10 else "11+"] += 1
    tally.features["late entrant"] += any(c.enters > 1 for c in scenario.candidates)
    tally.features["withdrawals"] += any(c.withdraw != 0 for c in scenario.candidates)
    tally.features["until"] += any(rule.until for rule in scenario.objections)
    tally.features["bloc"] += any(rule.together for rule in scenario.objections)
    if seed % REFERENCE_EVERY == 0:  # by the example, so that replaying it checks it again
        tally.reference += 1
        if reference_mismatches(scenario, 1, seed):
            tally.retried += 1
            persisting = reference_mismatches(scenario, 4, seed + 7919)
            assert not persisting, "engine and reference disagree:\n" + "\n".join(persisting)


def run_batch(tally: Tally, batch_seed: int) -> None:
    """One hypothesis run of BATCH examples from `batch_seed`."""

    @hypothesis_seed(batch_seed)
    @settings(
        max_examples=BATCH,
        deadline=None,
        database=None,
        derandomize=False,
        # Reported as drawn: shrinking would run the reference hundreds of times.
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(scenario=scenarios(), n=BLOCK_SIZES, seed=st.integers(0, 2**32 - 1), data=st.data())
    def fuzz(scenario, n, seed, data):
        made_zero = data.draw(zeros_made_tiny(scenario))
        check_example(tally, scenario, n, seed, made_zero)

    fuzz()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="how long to run")
    parser.add_argument("--seed", type=int, default=None, help="first batch's seed (replay)")
    args = parser.parse_args()
    seeds = random.Random(args.seed)
    start = time.monotonic()
    deadline = start + 60 * args.minutes
    tally = Tally()
    batches = 0
    while time.monotonic() < deadline:
        batch_seed = seeds.randrange(2**32) if args.seed is None or batches else args.seed
        try:
            run_batch(tally, batch_seed)
        except Exception as error:  # noqa: BLE001 -- reported with the seed that replays it
            print(f"FAIL in the batch of seed {batch_seed}:\n{error}", flush=True)
            return 1
        batches += 1
        if batches % 10 == 0:
            minutes = (time.monotonic() - start) / 60
            print(f"{minutes:5.1f} min: {tally.examples:,} examples, no failure", flush=True)
    minutes = (time.monotonic() - start) / 60
    print(
        f"OK: {minutes:.1f} min, {batches} batches, {tally.examples:,} examples "
        f"({tally.sizes['1-10']:,} blocks of 1-10 trials, {tally.sizes['11+']:,} larger; "
        f"{tally.trials:,} trials), each against {len(VARIANTS) + 1} "
        f"settings of the shortcuts; {tally.reference:,} compared with the reference "
        f"({tally.retried} re-run with more trials, none persisted). Scenarios with: "
        + ", ".join(f"{k} {v:,}" for k, v in tally.features.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
