"""Seeding: the root seed sequence of a run and the random streams of each block.

Block ``i`` always draws from ``SeedSequence(entropy, spawn_key=(i,))`` through PCG64DXSM,
so what a block draws does not depend on which process runs it. Within the block, the
process (objections, lifts, withdrawals) draws from its child ``(i, 0)`` and uncertain
parameter j from the child ``(i, 1, j)``: a variant that changes one parameter then keeps
every other random number where it was, which makes comparisons on common random numbers
sharp.
"""

from __future__ import annotations

import numpy as np

from nato_sim.errors import UsageError

BIT_GENERATOR = "PCG64DXSM"


def seed_sequence(
    rng: int | np.random.SeedSequence | np.random.Generator | None,
) -> np.random.SeedSequence:
    """The root seed sequence for `rng`: an int seed, a SeedSequence, a Generator or None.

    None draws fresh entropy from the OS; the entropy is reported so the run can be
    replayed. A Generator contributes the seed sequence it was made from.

    Raises:
        UsageError: anything else (a negative or fractional seed, a string, a bool).
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
