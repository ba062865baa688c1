"""Running blocks of trials: blocks, worker processes, early stopping.

A run is cut into blocks of `BLOCK_SIZE` trials; block ``i`` draws from its own streams
(see :mod:`nato_sim.running.seeding`) and always holds the same number of trials, so the
summed counts do not depend on how many workers ran the blocks or in which order they
finished.
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys
from collections import deque
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nato_sim.engine.compiled import Compiled, compile_scenario
from nato_sim.engine.rounds import Counts, run_block
from nato_sim.errors import WorkerError
from nato_sim.results.stats import half_width
from nato_sim.results.summary import Results, build_results
from nato_sim.running.checks import (
    MAX_TRIALS,
    check_callback,
    check_count,
    check_precision,
    check_trials,
    check_workers,
)
from nato_sim.running.executor import active_cluster
from nato_sim.running.seeding import (
    BIT_GENERATOR,
    block_generator,
    parameter_generators,
    seed_sequence,
)
from nato_sim.running.workers import WorkerPool, worker_state
from nato_sim.scenario.loader import as_scenario
from nato_sim.scenario.schema import Scenario

__all__ = [
    "BIT_GENERATOR",
    "BLOCK_SIZE",
    "MAX_TRIALS",
    "Block",
    "block_generator",
    "block_trials",
    "default_workers",
    "iter_blocks",
    "parameter_generators",
    "run_seeded_block",
    "seed_sequence",
    "simulate",
    "useful_workers",
]

BLOCK_SIZE = 2**16
# Blocks per task on a Dask cluster (one per task in local worker processes).
REMOTE_BLOCKS = 8


@dataclass(frozen=True)
class Block:
    """One finished block: its position, its size and its counts."""

    index: int
    trials: int
    counts: Counts


@functools.cache
def _keep_freed_memory() -> None:
    """Have glibc's malloc keep freed block arrays for reuse (once per process)."""
    # A block allocates and frees arrays of a few hundred kB to a few MB every round. By
    # default glibc maps the large ones afresh and hands the top of the heap back to the
    # system, so each round pays thousands of page faults (up to a third of a block).
    # Serving them from a heap that is kept costs no more memory than the peak of one block.
    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return
    mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD: heap for anything smaller (its maximum)
    mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD: keep up to this much free at the top


def run_seeded_block(
    compiled: Compiled, n: int, root: np.random.SeedSequence, index: int
) -> Counts:
    """Run block `index` of a seeded run: the same counts whichever process runs it."""
    _keep_freed_memory()
    return run_block(compiled, n, block_generator(root, index), parameter_generators(root, index))


def block_trials(index: int, trials: int | None, block_size: int) -> int:
    """How many trials block `index` holds (the last one may be short)."""
    if trials is None:
        return block_size
    return max(0, min(block_size, trials - index * block_size))


def _worker_blocks(root: np.random.SeedSequence, first: int, sizes: list[int]) -> list[Counts]:
    """Blocks `first`, `first + 1`, ... of the given sizes, in the worker's scenario."""
    return [run_seeded_block(worker_state(), n, root, first + k) for k, n in enumerate(sizes)]


def default_workers() -> int:
    """All the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def useful_workers(workers: int | None, n_blocks: int | None) -> int:
    """How many processes to start: as asked (None: all cores), at most one per core and block.

    More would only compete for the same cores or sit idle. Inside `using_scheduler(...)`,
    the tasks the Dask cluster's workers run at once, at most one per block.
    """
    cluster = active_cluster()
    if cluster is not None:
        wanted = cluster.threads()
    else:
        cores = default_workers()
        wanted = cores if workers is None else min(workers, cores)
    return max(1, wanted if n_blocks is None else min(wanted, n_blocks))


def iter_blocks(
    scenario: Scenario | Compiled | str | Path,
    trials: int | None,
    rng=None,
    *,
    workers: int | None = 1,
    block_size: int = BLOCK_SIZE,
    root: np.random.SeedSequence | None = None,
) -> Generator[Block, None, None]:
    """Yield finished blocks in block order; stop iterating at any time to stop early.

    Args:
        scenario: a scenario, a bundled name or path, or an already compiled scenario.
        trials: total trials, or None to go on until the caller stops.
        rng: seed, SeedSequence or Generator (see `seed_sequence`); ignored if `root` given.
        workers: processes to use; 1 runs in this process, None uses all cores. No more
            are started than there are cores or blocks. Inside `using_scheduler(...)`
            every block runs on the Dask cluster instead, whatever `workers` says.
        block_size: trials per block; part of what a seed reproduces.
        root: the root seed sequence, when the caller already made one.

    Raises:
        UsageError: an argument of the wrong type or out of range.
        WorkerError: a worker process died; the blocks yielded before are complete.
    """
    if trials is not None:
        trials = check_trials(trials)
    workers = check_workers(workers)
    block_size = check_count("block_size", block_size)
    compiled = (
        scenario if isinstance(scenario, Compiled) else compile_scenario(as_scenario(scenario))
    )
    root = root if root is not None else seed_sequence(rng)
    n_blocks = None if trials is None else -(-trials // block_size)
    workers = useful_workers(workers, n_blocks)
    if workers == 1 and active_cluster() is None:
        return _serial_blocks(compiled, root, trials, n_blocks, block_size)
    return _parallel_blocks(compiled, root, trials, n_blocks, workers, block_size)


def _serial_blocks(compiled, root, trials, n_blocks, block_size) -> Generator[Block, None, None]:
    index = 0
    while n_blocks is None or index < n_blocks:
        n = block_trials(index, trials, block_size)
        yield Block(index, n, run_seeded_block(compiled, n, root, index))
        index += 1


def _parallel_blocks(
    compiled, root, trials, n_blocks, workers, block_size
) -> Generator[Block, None, None]:
    pool = WorkerPool(workers, compiled)
    # A task on a Dask cluster costs milliseconds to send and collect, as much as a small
    # block: there, a task runs several consecutive blocks, as long as every worker still
    # gets a couple of tasks.
    per_task = 1
    if pool.remote:
        per_task = REMOTE_BLOCKS if n_blocks is None else n_blocks // (2 * workers)
        per_task = max(1, min(REMOTE_BLOCKS, per_task))
    pending: deque = deque()
    next_index = 0
    finished = False
    try:
        while True:
            # Keep a few tasks queued per worker, never all: the caller may stop early.
            while len(pending) < 2 * workers and (n_blocks is None or next_index < n_blocks):
                last = next_index + per_task
                if n_blocks is not None:
                    last = min(last, n_blocks)
                sizes = [block_trials(i, trials, block_size) for i in range(next_index, last)]
                future = pool.submit(_worker_blocks, root, next_index, sizes)
                pending.append((next_index, sizes, future))
                next_index = last
            if not pending:
                finished = True
                return
            index, sizes, future = pending.popleft()
            for k, counts in enumerate(pool.result(future)):
                yield Block(index + k, sizes[k], counts)
    finally:
        # Stopped early (Ctrl-C, a precision reached, a dead worker): blocks still running
        # would be thrown away, so their workers are stopped rather than waited for.
        pool.close(finished=finished)


def simulate(
    scenario: Scenario | str | Path,
    trials: int = 100_000,
    rng=None,
    *,
    overrides: str | Sequence[str] = (),
    workers: int | None = 1,
    precision: float | None = None,
    min_trials: int = 2 * BLOCK_SIZE,
    block_size: int = BLOCK_SIZE,
    on_block: Callable[[Block, Counts], None] | None = None,
) -> Results:
    """Run the scenario and summarise it.

    Args:
        scenario: a validated scenario (see `nato_sim.load`), a bundled scenario name
            such as ``"nato-2024"`` or the path of a scenario file.
        overrides: ``"path=value"`` strings applied to the scenario first (as for
            ``--set``); one string is one override.
        trials: number of trials; with `precision`, the most that may be run.
        rng: an int seed, a SeedSequence, a Generator, or None for fresh entropy.
        workers: processes to use; None uses all cores. Results do not depend on it.
        precision: stop at the first block boundary where every reported probability's
            95% interval half-width is at most this (and `min_trials` have run).
        min_trials: the fewest trials a `precision` run may stop at.
        block_size: trials per block (changing it changes the random streams).
        on_block: called after each block with it and the running total, e.g. for progress.

    Returns:
        Results; `results.partial` is True when Ctrl-C stopped the run early.

    Raises:
        UsageError: an argument of the wrong type or out of range, or an override that is
            malformed or names no field.
        ScenarioError: a scenario file that is missing or invalid.
        WorkerError: a worker process died; its `results` hold the blocks finished
            before, marked partial.
    """
    trials = check_trials(trials)
    workers = check_workers(workers)
    precision = check_precision(precision)
    min_trials = check_count("min_trials", min_trials)
    block_size = check_count("block_size", block_size)
    on_block = check_callback("on_block", on_block)
    root = seed_sequence(rng)
    scenario = as_scenario(scenario, overrides)
    compiled = compile_scenario(scenario)
    total = Counts.zeros(compiled)
    stop = "trials"
    lost: WorkerError | None = None
    blocks = iter_blocks(compiled, trials, workers=workers, block_size=block_size, root=root)
    try:
        for block in blocks:
            total = total + block.counts
            if on_block is not None:
                on_block(block, total)
            if precision is not None and total.trials >= min_trials:
                if _precise_enough(total, precision):
                    stop = "precision"
                    break
    except KeyboardInterrupt:
        stop = "interrupted"
    except WorkerError as error:
        stop, lost = "worker-died", error
    finally:
        blocks.close()
    results = build_results(
        scenario,
        compiled,
        total,
        root,
        block_size=block_size,
        stopped_by=stop,
        precision=precision,
        bit_generator=BIT_GENERATOR,
    )
    if lost is not None:
        raise WorkerError(lost.reason, results) from None
    return results


def _precise_enough(total: Counts, precision: float) -> bool:
    """Whether every outcome and cumulative timing probability is within `precision`."""
    n = total.trials
    values = list(total.outcomes) + list(np.cumsum(total.decided_round))
    return all(half_width(int(k), n) <= precision for k in values)
