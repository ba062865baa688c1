"""The random numbers of one block: who draws what, in a fixed order, and how many.

The count is the benchmark's floor: the time it takes just to draw that many uniforms.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nato_sim.engine.compiled import Param

# The multipliers of numpy's 128-bit PCG generators, to tell how far a draw moved one.
_MULTIPLIERS = {
    np.random.PCG64DXSM: 0xDA942042E4DD58B5,
    np.random.PCG64: 0x2360ED051FC65DA44385DF649FCCF645,
}


class Draws:
    """The block's generators, counting the 64-bit random numbers they hand out."""

    def __init__(
        self,
        rng: np.random.Generator,
        n_block: int,
        param_rng: Callable[[int], np.random.Generator] | None,
    ) -> None:
        self.rng = rng
        self.n_block = n_block
        self.param_rng = param_rng
        self.next_param = 0  # position of the next parameter in the fixed draw order
        self.count = 0
        self._buffer: np.ndarray | None = None

    def uniform(self, shape: tuple[int, ...]) -> np.ndarray:
        """Uniforms on [0, 1) from the process stream."""
        self.count += int(np.prod(shape))
        return self.rng.random(shape)

    def aligned(
        self, width: int, trial: np.ndarray, rows: slice | np.ndarray = slice(None)
    ) -> np.ndarray:
        """(width, trials) uniforms for the given trials, drawn for every trial of the block;
        of them, the given rows.

        Drawing for finished trials too keeps trial t of round r on the same random number
        in every scenario run with the same seed (common random numbers), so a variant
        differs from its baseline only where its parameters make it differ. Drawn row by
        row, each row one value per trial of the block: already trial-minor.

        The result may be a view of a buffer that the next call overwrites: use it before.
        """
        # Drawn into one buffer kept for the block: its memory stays in the processor's
        # cache from round to round, where fresh arrays would each be new memory.
        self.count += width * self.n_block
        if self._buffer is None or len(self._buffer) < width:
            self._buffer = np.empty((width, self.n_block))
        block = self.rng.random(out=self._buffer[:width])[rows]
        return block if len(trial) == self.n_block else np.take(block, trial, axis=1)

    def param(self, param: Param, n: int) -> np.ndarray | float:
        """The next parameter in the fixed order: a float when constant, else (n,)."""
        position = self.next_param
        self.next_param += 1
        if param.is_const:
            return param.draw(n, self.rng)  # no random numbers
        # A stream of its own per parameter: changing one parameter's distribution in a
        # variant leaves every other draw of the block where it was.
        rng = self.param_rng(position) if self.param_rng is not None else self.rng
        if param.kind == "uniform":
            self.count += n
            return param.draw(n, rng)
        # A beta variate takes several 64-bit numbers, how many depends on the draw.
        start = _lcg_state(rng)
        values = param.draw(n, rng)
        self.count += _steps(rng, start) if start is not None else n
        return values

    def params(self, params: tuple[Param, ...], n: int) -> list[np.ndarray | float]:
        """Each parameter drawn in order: a float when constant, else (n,)."""
        return [self.param(p, n) for p in params]


def _lcg_state(rng: np.random.Generator) -> int | None:
    """The state of a PCG generator's underlying LCG, or None for another generator."""
    if type(rng.bit_generator) not in _MULTIPLIERS:
        return None
    return rng.bit_generator.state["state"]["state"]


def _steps(rng: np.random.Generator, start: int) -> int:
    """How many steps the generator's LCG took from state `start` (Brown's algorithm)."""
    state = rng.bit_generator.state["state"]
    end, increment = state["state"], state["inc"]
    mask = (1 << 128) - 1
    multiplier = _MULTIPLIERS[type(rng.bit_generator)]
    # Find the distance bit by bit: step by 2^k whenever bit k of the two states differs.
    bit, distance = 1, 0
    while start != end:
        if (start ^ end) & bit:
            start = (start * multiplier + increment) & mask
            distance |= bit
        increment = ((multiplier + 1) * increment) & mask
        multiplier = (multiplier * multiplier) & mask
        bit <<= 1
    return distance
