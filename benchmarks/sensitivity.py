"""Sensitivity benchmark: evaluations per second, a full Sobol analysis, scale-out on Dask.

Run from the project root (after the test install, which brings SALib and dask)::

    python benchmarks/sensitivity.py [--quick] [--trials 4000] [--workers 2] [--parts 1,2,3,4]

It prints, for nato-2024 and all its uncertain inputs:

1. evaluations per second of its Sobol design, in this process and on `--workers` processes;
2. the wall time of a full Sobol analysis whose total indices all have 95% intervals of at
   most ±0.05: a pilot of 256 base samples gives the widest half-width h; the half-width
   shrinks as 1/sqrt(N), so N = 256 (h / 0.05)^2, rounded up to a power of 2, is run and
   timed (and doubled if it falls short). Target: under 10 minutes;
3. the scale-out efficiency of a two-worker `LocalCluster` against a one-worker one,
   T(1) / (2 T(2)) on the same design (target at least 0.8), and the overhead per task:
   what a one-worker cluster takes beyond running the same tasks in this process, per task;
4. for comparison, `run`'s blocks on this machine's processes and on a LocalCluster.

On a shared machine the figures move with what else runs: the load average is printed.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import nato_sim  # noqa: E402
from nato_sim.analysis import sensitivity as sensitivity_module  # noqa: E402

SCENARIO = "nato-2024"
TARGET_HALF_WIDTH = 0.05
TARGET_MINUTES = 10.0
TARGET_EFFICIENCY = 0.8
PILOT_SAMPLES = 256


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(**kwargs) -> tuple[float, nato_sim.Sensitivity]:
    start = time.perf_counter()
    result = nato_sim.sensitivity(SCENARIO, **kwargs)
    return time.perf_counter() - start, result


def timed_evaluations(**kwargs) -> tuple[float, nato_sim.Sensitivity]:
    """Seconds from the call to the last evaluation's result (the estimators left out)."""
    last = [0.0]

    def note(done: int, planned: int) -> None:
        last[0] = time.perf_counter()

    start = time.perf_counter()
    result = nato_sim.sensitivity(SCENARIO, on_progress=note, **kwargs)
    return last[0] - start, result


def widest_total(result: nato_sim.Sensitivity) -> float:
    """The widest 95% half-width of a total index over every output and input."""
    return max(e.total_conf for e in result.effects)  # type: ignore[union-attr]


def rate(trials: int, samples: int, workers: int) -> None:
    seconds, result = timed(samples=samples, trials=trials, rng=1, workers=workers)
    n = result.provenance["evaluations"]
    print(
        f"  {'this process' if workers == 1 else f'{workers} processes'}: {n:,} evaluations of "
        f"{trials:,} "
        f"trials in {seconds:.1f} s = {n / seconds:,.1f} evaluations/s "
        f"({n * trials / seconds:,.0f} trials/s)"
    )


def full_analysis(trials: int, workers: int) -> None:
    seconds, pilot = timed(samples=PILOT_SAMPLES, trials=trials, rng=1, workers=workers)
    widest = widest_total(pilot)
    wanted = PILOT_SAMPLES * (widest / TARGET_HALF_WIDTH) ** 2
    samples = max(PILOT_SAMPLES, 1 << math.ceil(math.log2(wanted)))
    print(
        f"  pilot: {PILOT_SAMPLES} base samples in {seconds:.1f} s, widest total-index "
        f"half-width {widest:.3f}: {samples:,} base samples should give <= {TARGET_HALF_WIDTH}"
    )
    while True:
        seconds, result = timed(samples=samples, trials=trials, rng=1, workers=workers)
        widest = widest_total(result)
        n = result.provenance["evaluations"]
        met = seconds < 60 * TARGET_MINUTES
        print(
            f"  full: {samples:,} base samples, {n:,} evaluations of {trials:,} trials, "
            f"{workers} workers: {seconds:.1f} s = {seconds / 60:.2f} min "
            f"({'meets' if met else 'misses'} the {TARGET_MINUTES:g}-minute target); widest "
            f"total-index half-width {widest:.3f}"
        )
        noise = {o.key: o.noise_share for o in result.outputs if not o.constant}
        print("  noise share: " + ", ".join(f"{k} {100 * v:.2f}%" for k, v in noise.items()))
        if widest <= TARGET_HALF_WIDTH or samples >= 1 << 16:
            break
        samples *= 2


def _nothing() -> None:
    return None


def task_round_trip(client, tasks: int = 400) -> float:
    """Seconds per task that does nothing, sent as the runner sends them: two in flight per
    worker thread, collected in order."""
    from collections import deque

    from nato_sim.running.workers import WorkerPool

    with nato_sim.using_scheduler(client) as cluster:
        assert cluster is not None
        window = 2 * cluster.threads()
        pool = WorkerPool(1, None)
        pending: deque = deque()
        start = time.perf_counter()
        for _ in range(tasks):
            pending.append(pool.submit(_nothing))
            if len(pending) >= window:
                pool.result(pending.popleft())
        while pending:
            pool.result(pending.popleft())
        seconds = time.perf_counter() - start
        pool.close(finished=True)
    return seconds / tasks


def scale_out(trials: int, samples: int, repeats: int) -> None:
    import statistics
    from contextlib import ExitStack

    import distributed

    # What the same tasks take in this process, before any cluster shares it.
    baseline = [timed_evaluations(samples=samples, trials=trials, rng=1, workers=1) for _ in "ab"]
    here = statistics.median(seconds for seconds, _ in baseline)
    local = baseline[0][1]
    with ExitStack() as stack:
        clients = {}
        for n in (1, 2):
            cluster = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=n,
                    threads_per_worker=1,
                    host="127.0.0.1",
                    dashboard_address="127.0.0.1:0",
                )
            )
            clients[n] = stack.enter_context(distributed.Client(cluster))
            with nato_sim.using_scheduler(clients[n]):
                # Every worker imports what it needs and runs a few tasks before any timing.
                timed(samples=8 * n, trials=trials, rng=2)
        round_trip = task_round_trip(clients[1])
        # One worker then two, back to back, several times: on a shared machine each ratio
        # is taken within one pass, and the median reported.
        passes = []
        for _ in range(repeats):
            times = {}
            for n, client in clients.items():
                with nato_sim.using_scheduler(client):
                    times[n], result = timed_evaluations(samples=samples, trials=trials, rng=1)
                assert (result.evaluations == local.evaluations).all()  # bit-identical
            passes.append((times[1], times[2]))
    group = local.provenance["inputs"] + 2
    tasks = math.ceil(samples / math.ceil(sensitivity_module.TASK_EVALUATIONS / group))
    efficiency = statistics.median(one / (2 * two) for one, two in passes)
    overhead = statistics.median((one - here) / tasks for one, _ in passes)
    print(
        f"  {samples} base samples = {tasks} tasks of {local.provenance['evaluations'] // tasks}"
        f" evaluations; seconds of evaluations here {here:.1f}, then on 1 / 2 workers: "
        + "; ".join(f"{a:.1f} / {b:.1f}" for a, b in passes)
    )
    print(
        f"  efficiency T(1) / (2 T(2)) = {efficiency:.2f}, median of {repeats} "
        f"(target >= {TARGET_EFFICIENCY}); overhead {1000 * overhead:.1f} ms per task over "
        f"this process; a task that does nothing takes {1000 * round_trip:.1f} ms on one worker"
    )


def run_on_a_cluster(trials: int = 5_000_000) -> None:
    """`run`'s blocks (65,536 trials each) here and on a LocalCluster: where Dask pays."""
    import distributed

    def seconds(**options) -> float:
        start = time.perf_counter()
        nato_sim.simulate(SCENARIO, trials, 1, **options)
        return time.perf_counter() - start

    seconds(workers=2)  # the worker processes' first start, and the caches
    here = {n: seconds(workers=n) for n in (1, 2)}
    there = {}
    for n in (1, 2):
        with (
            distributed.LocalCluster(
                n_workers=n, threads_per_worker=1, host="127.0.0.1", dashboard_address="127.0.0.1:0"
            ) as cluster,
            distributed.Client(cluster) as client,
            nato_sim.using_scheduler(client),
        ):
            nato_sim.simulate(SCENARIO, 8 * 65_536 * n, 2)  # the workers warm up
            there[n] = seconds()
    print(
        f"  {trials:,} trials: {here[1]:.2f} s in this process, {here[2]:.2f} s on 2 "
        f"processes; {there[1]:.2f} s on a 1-worker cluster, {there[2]:.2f} s on 2 workers"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller designs, rougher figures")
    parser.add_argument("--trials", type=int, default=sensitivity_module.DEFAULT_TRIALS)
    parser.add_argument("--workers", type=int, default=2, help="processes for the full run")
    parser.add_argument(
        "--parts", default="1,2,3,4", help="which measurements to make, e.g. 3 (default: all)"
    )
    args = parser.parse_args()
    parts = {int(p) for p in args.parts.split(",")}
    samples = 16 if args.quick else 128
    print(f"nato-sim {nato_sim.__version__} · {SCENARIO} · {os.cpu_count()} cores")
    print(f"load average before: {load_average()}")
    timed(samples=2, trials=100, rng=1, workers=args.workers)  # SALib and the rest load
    if 1 in parts:
        print("1. Evaluations per second of the Sobol design")
        rate(args.trials, samples, 1)
        rate(args.trials, samples, args.workers)
    if 2 in parts and not args.quick:
        print(f"2. A full Sobol analysis, total indices within ±{TARGET_HALF_WIDTH}")
        full_analysis(args.trials, args.workers)
    if 3 in parts:
        print("3. Scale-out on a LocalCluster")
        scale_out(args.trials, samples, 1 if args.quick else 5)
    if 4 in parts:
        print("4. run's blocks on a LocalCluster")
        run_on_a_cluster(1_000_000 if args.quick else 5_000_000)
    print(f"load average after: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
