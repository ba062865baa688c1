"""Running blocks of trials: seeding, worker processes, early stopping.

Block ``i`` always draws from ``SeedSequence(entropy, spawn_key=(i,))`` through PCG64DXSM
and always holds the same number of trials, so the summed counts do not depend on how
many workers ran the blocks or in which order they finished. Within the block, the process
(objections, lifts, withdrawals) draws from its child ``(i, 0)`` and uncertain parameter j
from the child ``(i, 1, j)``: a variant that changes one parameter then keeps every other
random number where it was, which makes comparisons on common random numbers sharp.
"""

from __future__ import annotations

import ctypes
import functools
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from nato_sim.engine.compiled import Compiled, compile_scenario
from nato_sim.engine.rounds import Counts, run_block
from nato_sim.errors import UsageError
from nato_sim.results.stats import half_width
from nato_sim.results.summary import Results, build_results
from nato_sim.scenario.schema import Scenario

BLOCK_SIZE = 2**16
BIT_GENERATOR = "PCG64DXSM"
MAX_TRIALS = 10**9


@dataclass(frozen=True)
class Block:
    """One finished block: its position, its size and its counts."""

    index: int
    trials: int
    counts: Counts


def seed_sequence(
    rng: int | np.random.SeedSequence | np.random.Generator | None,
) -> np.random.SeedSequence:
    """The root seed sequence for `rng`: an int seed, a SeedSequence, a Generator or None.

    None draws fresh entropy from the OS; the entropy is reported so the run can be
    replayed. A Generator contributes the seed sequence it was made from.
    """
    if rng is None:
        return np.random.SeedSequence()
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        seq = rng.bit_generator.seed_seq
        if not isinstance(seq, np.random.SeedSequence):
            raise UsageError("the generator was not made from a SeedSequence; pass a seed")
        return seq
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0:
        return np.random.SeedSequence(int(rng))
    raise UsageError(
        f"rng must be a non-negative int seed, a SeedSequence or a Generator, got {rng!r}"
    )


def _generator(root: np.random.SeedSequence, *key: int) -> np.random.Generator:
    seq = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, *key))
    return np.random.Generator(np.random.PCG64DXSM(seq))


def block_generator(root: np.random.SeedSequence, index: int) -> np.random.Generator:
    """The process stream of block `index`: the child (index, 0) of the block's sequence."""
    return _generator(root, index, 0)


def parameter_generators(root: np.random.SeedSequence, index: int):
    """For block `index`, the stream of uncertain parameter j: the child (index, 1, j)."""
    return lambda position: _generator(root, index, 1, position)


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


_WORKER_SCENARIO: Compiled | None = None


def _worker_init(compiled: Compiled) -> None:
    global _WORKER_SCENARIO
    _WORKER_SCENARIO = compiled
    # Ctrl-C is the parent's to handle: it stops at a block boundary and keeps results.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _worker_block(root: np.random.SeedSequence, index: int, n: int) -> Counts:
    assert _WORKER_SCENARIO is not None
    return run_seeded_block(_WORKER_SCENARIO, n, root, index)


def default_workers() -> int:
    """All the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def iter_blocks(
    scenario: Scenario | Compiled,
    trials: int | None,
    rng=None,
    *,
    workers: int | None = 1,
    block_size: int = BLOCK_SIZE,
    root: np.random.SeedSequence | None = None,
) -> Iterator[Block]:
    """Yield finished blocks in block order; stop iterating at any time to stop early.

    Args:
        scenario: a scenario or an already compiled one.
        trials: total trials, or None to go on until the caller stops.
        rng: seed, SeedSequence or Generator (see `seed_sequence`); ignored if `root` given.
        workers: processes to use; 1 runs in this process, None uses all cores.
        block_size: trials per block; part of what a seed reproduces.
        root: the root seed sequence, when the caller already made one.
    """
    compiled = scenario if isinstance(scenario, Compiled) else compile_scenario(scenario)
    root = root if root is not None else seed_sequence(rng)
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise UsageError(f"workers must be at least 1, got {workers}")
    if block_size < 1:
        raise UsageError(f"block_size must be at least 1, got {block_size}")
    n_blocks = None if trials is None else -(-trials // block_size)
    if workers == 1 or n_blocks == 1:
        index = 0
        while n_blocks is None or index < n_blocks:
            n = block_trials(index, trials, block_size)
            yield Block(index, n, run_seeded_block(compiled, n, root, index))
            index += 1
        return
    yield from _parallel_blocks(compiled, root, trials, n_blocks, workers, block_size)


def _parallel_blocks(compiled, root, trials, n_blocks, workers, block_size):
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_init, initargs=(compiled,))
    pending: deque[tuple[int, int, Future]] = deque()
    next_index = 0
    try:
        while True:
            # Keep a few blocks queued per worker, never all: the caller may stop early.
            while len(pending) < 2 * workers and (n_blocks is None or next_index < n_blocks):
                n = block_trials(next_index, trials, block_size)
                pending.append((next_index, n, pool.submit(_worker_block, root, next_index, n)))
                next_index += 1
            if not pending:
                return
            index, n, future = pending.popleft()
            yield Block(index, n, future.result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def simulate(
    scenario: Scenario,
    trials: int = 100_000,
    rng=None,
    *,
    workers: int | None = 1,
    precision: float | None = None,
    min_trials: int = 2 * BLOCK_SIZE,
    block_size: int = BLOCK_SIZE,
    on_block: Callable[[Block, Counts], None] | None = None,
) -> Results:
    """Run the scenario and summarise it.

    Args:
        scenario: a validated scenario (see `nato_sim.load`).
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
    """
    if trials < 1 or trials > MAX_TRIALS:
        raise UsageError(f"trials must be between 1 and {MAX_TRIALS}, got {trials}")
    if precision is not None and not 0 < precision < 0.5:
        raise UsageError(f"precision must be between 0 and 0.5, got {precision}")
    compiled = compile_scenario(scenario)
    root = seed_sequence(rng)
    total = Counts.zeros(compiled)
    partial = False
    reached = False
    blocks = iter_blocks(compiled, trials, workers=workers, block_size=block_size, root=root)
    try:
        for block in blocks:
            total = total + block.counts
            if on_block is not None:
                on_block(block, total)
            if precision is not None and total.trials >= min_trials:
                if _precise_enough(total, precision):
                    reached = True
                    break
    except KeyboardInterrupt:
        partial = True
    finally:
        blocks.close()
    stop = "interrupted" if partial else ("precision" if reached else "trials")
    return build_results(
        scenario,
        compiled,
        total,
        root,
        block_size=block_size,
        stopped_by=stop,
        precision=precision,
        bit_generator=BIT_GENERATOR,
    )


def _precise_enough(total: Counts, precision: float) -> bool:
    """Whether every outcome and cumulative timing probability is within `precision`."""
    n = total.trials
    values = list(total.outcomes) + list(np.cumsum(total.decided_round))
    return all(half_width(int(k), n) <= precision for k in values)
