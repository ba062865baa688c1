"""Engine benchmark: throughput, reference speed-up, random-number floor, memory, linearity.

Run from the project root::

    python benchmarks/bench.py [--quick] [--workers N]

Targets: at least 300x faster than the per-trial reference; within 3x of the time it takes
just to draw the engine's random numbers; 10 million trials under 300 MB peak resident memory;
cost per trial constant as the number of trials grows; validation of the costliest files within
the size cap under a second each. Every ratio is measured in one run.

On a shared machine the speed of everything drifts from one second to the next, so each ratio
is measured as pairs timed back to back (engine then reference; one block then drawing its
random numbers; 1 then 4 million trials), and the median of the pairs' ratios is reported.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from reference import reference_counts  # noqa: E402
from worst_files import worst_files  # noqa: E402

from nato_sim.engine.compiled import compile_scenario  # noqa: E402
from nato_sim.engine.rounds import Counts  # noqa: E402
from nato_sim.errors import ScenarioError  # noqa: E402
from nato_sim.running.runner import BLOCK_SIZE, iter_blocks, run_seeded_block  # noqa: E402
from nato_sim.scenario.bundled import bundled_scenarios  # noqa: E402
from nato_sim.scenario.loader import load, validate  # noqa: E402
from nato_sim.scenario.yamlsource import parse_yaml  # noqa: E402

SPEEDUP_TARGET = 300.0
FLOOR_TARGET = 3.0
MEMORY_TARGET_MB = 300.0
LINEARITY_TARGET = 1.25  # per-trial cost at 4M over per-trial cost at 1M
VALIDATION_TARGET_S = 1.0  # any file within the size cap


def run_engine(compiled, trials: int, workers: int = 1) -> tuple[float, Counts]:
    """Seconds to run `trials` trials, and their counts."""
    total = Counts.zeros(compiled)
    start = time.perf_counter()
    for block in iter_blocks(compiled, trials, rng=1, workers=workers):
        total = total + block.counts
    return time.perf_counter() - start, total


def rng_floor(uniforms: int) -> float:
    """Seconds to draw `uniforms` doubles from PCG64DXSM, a block's width at a time: the
    size of one row the engine draws, and about the fastest way there is."""
    gen = np.random.Generator(np.random.PCG64DXSM(1))
    out = np.empty(BLOCK_SIZE)
    start = time.perf_counter()
    for _ in range(uniforms // BLOCK_SIZE):
        gen.random(out=out)
    gen.random(out=out[: uniforms % BLOCK_SIZE])
    return time.perf_counter() - start


def floor_ratio(compiled, blocks: int) -> float:
    """Median over `blocks` blocks of the block's time over the time to draw its numbers,
    each pair timed back to back."""
    root = np.random.SeedSequence(1)
    ratios = []
    for index in range(blocks):
        start = time.perf_counter()
        counts = run_seeded_block(compiled, BLOCK_SIZE, root, index)
        seconds = time.perf_counter() - start
        ratios.append(seconds / rng_floor(counts.uniforms))
    return float(np.median(ratios))


def paired(
    scenario, engine_trials: int, reference_trials: int, pairs: int
) -> tuple[float, float, Counts]:
    """Median engine rate and speed-up over the reference, over `pairs` measurements timed
    back to back; and the counts of one engine run."""
    compiled = compile_scenario(scenario)
    run_engine(compiled, BLOCK_SIZE)  # warm up: the layout, the first allocations
    rates, speedups = [], []
    for pair in range(pairs):
        seconds, counts = run_engine(compiled, engine_trials)
        start = time.perf_counter()
        reference_counts(scenario, reference_trials, np.random.default_rng(pair))
        ref_rate = reference_trials / (time.perf_counter() - start)
        rates.append(engine_trials / seconds)
        speedups.append(rates[-1] / ref_rate)
    return float(np.median(rates)), float(np.median(speedups)), counts


def peak_memory(name: str, trials: int) -> tuple[float, float]:
    """Peak resident MB and seconds of a fresh process that runs `trials` trials."""
    code = (
        "import json, resource, sys, time\n"
        "from nato_sim.scenario.loader import load\n"
        "from nato_sim.running.runner import simulate\n"
        f"s = load({name!r}); t = time.perf_counter()\n"
        f"simulate(s, trials={trials}, rng=1, workers=1)\n"
        "t = time.perf_counter() - t\n"
        "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(json.dumps([rss / (1 << 20 if sys.platform == 'darwin' else 1 << 10), t]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    rss, seconds = json.loads(out.stdout.strip().splitlines()[-1])
    return rss, seconds


def verdict(ok: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if ok else "FAIL"


def validation_seconds(text: str, tries: int = 3) -> float:
    """Seconds to read and validate a file's text (it is refused), the fastest of `tries`."""
    times = []
    for _ in range(tries):
        start = time.perf_counter()
        try:
            validate(parse_yaml(text, "big.yaml"), [], set())
        except ScenarioError:
            pass
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    """Run the benchmark and print its tables; exit status 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer trials, rougher figures")
    parser.add_argument("--workers", type=int, default=2, help="workers for the info row")
    args = parser.parse_args()
    engine_trials = 200_000 if args.quick else 1_000_000
    reference_trials = 200 if args.quick else 1_000
    pairs = 3 if args.quick else 5
    floor_blocks = 8 if args.quick else 32
    big = 1_000_000 if args.quick else 10_000_000
    linear = (250_000, 1_000_000) if args.quick else (1_000_000, 4_000_000)

    names = sorted(bundled_scenarios()) or [str(ROOT / "tests" / "data" / "minimal.yaml")]
    failures = 0
    print(
        f"numpy {np.__version__}, block size {BLOCK_SIZE}; medians of {pairs} pairs of "
        f"{engine_trials:,} engine and {reference_trials:,} reference trials, and of "
        f"{floor_blocks} pairs of a block and its floor\n"
    )
    labels = {name: Path(name).stem if name.endswith(".yaml") else name for name in names}
    width = max(22, *(len(label) + 2 for label in labels.values()))
    head = (
        f"{'scenario':<{width}}{'trials/s':>12}{'speed-up':>10}{'':>6}"
        f"{'uniforms/trial':>16}{'vs floor':>10}{'':>6}"
        f"{f'{args.workers} workers/s':>14}"
    )
    print(head)
    print("-" * len(head))
    sizes = {}
    for name in names:
        scenario = load(name)
        compiled = compile_scenario(scenario)
        sizes[name] = len(compiled.member_ids) * len(compiled.candidate_ids)
        rate, speedup, counts = paired(scenario, engine_trials, reference_trials, pairs)
        floor = floor_ratio(compiled, floor_blocks)
        par_seconds, _ = run_engine(compiled, engine_trials, workers=args.workers)
        ok_speed, ok_floor = speedup >= SPEEDUP_TARGET, floor <= FLOOR_TARGET
        failures += (not ok_speed) + (not ok_floor)
        print(
            f"{labels[name]:<{width}}{rate:>12,.0f}{speedup:>9,.0f}x{verdict(ok_speed):>6}"
            f"{counts.uniforms / engine_trials:>16.1f}"
            f"{floor:>9.2f}x{verdict(ok_floor):>6}{engine_trials / par_seconds:>14,.0f}"
        )

    largest = "nato-2024" if "nato-2024" in sizes else max(sizes, key=sizes.get)
    print(f"\nScale: {largest}")
    rss, seconds = peak_memory(largest, big)
    ok_memory = rss <= MEMORY_TARGET_MB
    failures += not ok_memory
    print(
        f"  {big:,} trials: {seconds:.1f} s, peak RSS {rss:.0f} MB "
        f"(target < {MEMORY_TARGET_MB:.0f} MB) {verdict(ok_memory)}"
    )
    compiled = compile_scenario(load(largest))
    ratios = []
    for _ in range(pairs):
        small, large = (run_engine(compiled, trials)[0] / trials for trials in linear)
        ratios.append(large / small)
        print(
            f"  {linear[0]:,} trials: {small * 1e9:4.0f} ns/trial, "
            f"{linear[1]:,} trials: {large * 1e9:4.0f} ns/trial"
        )
    ratio = float(np.median(ratios))
    ok_linear = ratio <= LINEARITY_TARGET
    failures += not ok_linear
    print(
        f"  per-trial cost {linear[1]:,} / {linear[0]:,}: {ratio:.2f} "
        f"(target <= {LINEARITY_TARGET}) {verdict(ok_linear)}"
    )
    print("\nValidation of the costliest files within the size cap (fastest of 3)")
    for name, text in worst_files().items():
        seconds = validation_seconds(text)
        ok_validation = seconds < VALIDATION_TARGET_S
        failures += not ok_validation
        print(
            f"  {name:<8} {len(text.encode()):>9,} bytes: {seconds:.2f} s "
            f"(target < {VALIDATION_TARGET_S:.0f} s) {verdict(ok_validation)}"
        )
    print(f"\n{'all targets met' if not failures else f'{failures} target(s) missed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
