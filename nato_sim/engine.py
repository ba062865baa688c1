"""The Monte Carlo engine: one block of trials of the consultation model (docs/model.md).

Pure numpy: a compiled scenario, a trial count and a generator in; integer counts out.
Every trial of the block advances in lock-step, one round at a time. Trials that end are
frozen and tallied; the working set is compacted whenever a quarter of it has ended, so later
rounds cost about what is still open.

Per-trial state is laid out trial-minor: an array is (columns, trials), one contiguous row per
unit, pair, rule or candidate. numpy then runs every operation, including the broadcasts of a
per-trial value over a few columns, in long inner loops; in (trials, columns) order the inner
loops would be a few elements long and cost many times more. A value that does not vary by
trial is kept as one column (k, 1) and broadcast.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

from nato_sim.compiled import Compiled, Param
from nato_sim.layout import Layout

# Backings are float sums of shares, and equal backings reached by different sums can differ in
# the last bits; values closer than this count as equal, for ties and for `min_support`.
TOLERANCE = 1e-9

# Compact the working set once fewer than this share of its rows are still open: copying
# every array each round would cost more than carrying a few finished rows along.
COMPACT_BELOW = 0.75


@dataclass
class Counts:
    """Integer tallies of one or more blocks; adding two blocks adds their counts."""

    trials: int
    outcomes: np.ndarray       # (C + 2,) candidates, extension, no decision
    decided_round: np.ndarray  # (R,) appointments made in round r (index r - 1)
    blocked: np.ndarray        # (U,) pair still objecting at the end, its candidate lost
    pivotal: np.ndarray        # (U,) ... and it was the candidate's only remaining blocker
    raised: np.ndarray         # (K,) rule raised (any of its objections)
    lifted: np.ndarray         # (K,) rule raised and none of its objections left standing
    lift_round: np.ndarray     # (K, R + 2) first round in which a raised rule no longer stood
    uniforms: int              # random numbers drawn, for the benchmark's floor

    @classmethod
    def zeros(cls, compiled: Compiled) -> Counts:
        """Empty counts shaped for a scenario."""
        c, r = len(compiled.candidate_ids), compiled.rounds
        u, k = len(compiled.pair_member), len(compiled.rule_ids)
        z = np.zeros
        return cls(0, z(c + 2, np.int64), z(r, np.int64), z(u, np.int64), z(u, np.int64),
                   z(k, np.int64), z(k, np.int64), z((k, r + 2), np.int64), 0)

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


class _Draws:
    """The block's generator, counting the random numbers it hands out."""

    def __init__(self, rng: np.random.Generator, n_block: int,
                 param_rng: Callable[[int], np.random.Generator] | None) -> None:
        self.rng = rng
        self.n_block = n_block
        self.param_rng = param_rng
        self.next_param = 0  # position of the next parameter in the fixed draw order
        self.count = 0

    def uniform(self, shape: tuple[int, ...]) -> np.ndarray:
        self.count += int(np.prod(shape))
        return self.rng.random(shape)

    def aligned(self, width: int, trial: np.ndarray,
                columns: np.ndarray | None = None) -> np.ndarray:
        """(width, rows) uniforms for the given rows, drawn for every trial of the block.

        Drawing for finished trials too keeps trial t of round r on the same random number
        in every scenario run with the same seed (common random numbers), so a variant
        differs from its baseline only where its parameters make it differ. `columns`
        keeps only those of the width drawn.
        """
        block = self.uniform((self.n_block, width))  # drawn trial by trial, as ever
        every = len(trial) == self.n_block
        if columns is not None:
            # Rows picked out of the transposed view come out contiguous: one copy, not two.
            picked = block.T[columns]
            return picked if every else np.take(picked, trial, axis=1)
        if not every:
            block = np.take(block, trial, axis=0)
        # One transposing copy: comparisons against a strided view cost several times more.
        return np.ascontiguousarray(block.T)

    def param(self, param: Param, n: int) -> np.ndarray | float:
        position = self.next_param
        self.next_param += 1
        if param.is_const:
            return param.draw(n, self.rng)  # no random numbers
        # A stream of its own per parameter: changing one parameter's distribution in a
        # variant leaves every other draw of the block where it was.
        rng = self.param_rng(position) if self.param_rng is not None else self.rng
        self.count += n
        return param.draw(n, rng)

    def params(self, params: tuple[Param, ...], n: int) -> list[np.ndarray | float]:
        """Each parameter drawn in order: a float when constant, else (n,)."""
        return [self.param(p, n) for p in params]


def _table(values: list[np.ndarray | float], n: int) -> np.ndarray:
    """(len, 1) when all values are constant, else (len, n)."""
    if all(np.isscalar(v) for v in values):
        return np.array(values, dtype=float).reshape(-1, 1)
    table = np.empty((len(values), n))
    for row, value in enumerate(values):
        table[row] = value
    return table


def _and_rows(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """x &= mask in place, for a mask (rows, trials) or a column (rows, 1); returns x."""
    # numpy combines a column of bools with the rows many times more slowly than two rows.
    if mask.shape[-1] > 1:
        x &= mask
    elif not mask.all():
        x[~mask[:, 0]] = False
    return x


def _take(value, rows: np.ndarray):
    """The given trials of a per-trial value; a constant (a float, one column) as it is."""
    if isinstance(value, np.ndarray) and value.shape[-1] > 1:
        return np.take(value, rows, axis=-1)
    return value


class _Block:
    """The working set of one block: per-trial state, one column per trial not yet dropped."""

    # Compacted together; those that do not vary by trial are left as they are (`_take`).
    ARRAYS = ("standing", "stood", "trial", "open", "winner", "withdrawn",
              "base", "contrib", "withdraw", "log_keep",
              "min_support", "bandwagon", "extend_chance")

    def __init__(self, cs: Compiled, n: int, draws: _Draws, layout: Layout) -> None:
        n_units = len(cs.unit_rule)
        n_cands = len(cs.candidate_ids)

        # Draw order is fixed: it is part of what makes a seed reproducible.
        weights = draws.params(cs.weights, n)
        support = draws.params(cs.support_params, n)
        withdraw = draws.params(cs.withdraw, n)
        chance = draws.params(cs.rule_chance, n)
        lift = draws.params(cs.rule_lift, n)
        self.min_support = draws.param(cs.min_support, n)
        self.bandwagon = draws.param(cs.bandwagon, n)
        self.extend_chance = draws.param(cs.extend_chance, n)

        share = _table(weights, n)
        share /= share.sum(axis=0)                               # (M, 1) or (M, n)
        pair_entry = cs.support_index[cs.pair_member, cs.pair_candidate]
        # B_c without objections, sum_m share_m * s(m, c): support entries are shared by many
        # members, so sum the shares per entry and candidate first when weights are fixed;
        # then only the uncertain entries cost a product per trial.
        if all(np.isscalar(w) for w in weights):
            entry_share = np.zeros((len(support), n_cands))
            for c in range(n_cands):
                np.add.at(entry_share[:, c], cs.support_index[:, c], share[:, 0])
            fixed = [e for e, v in enumerate(support) if np.isscalar(v)]
            drawn = [e for e, v in enumerate(support) if not np.isscalar(v)]
            base = (entry_share[fixed].T @ np.array([support[e] for e in fixed]))[:, None]
            if drawn:
                base = base + entry_share[drawn].T @ _table([support[e] for e in drawn], n)
        else:
            table = _table(support, n)
            base = np.stack([(share * table[cs.support_index[:, c]]).sum(axis=0)
                             for c in range(n_cands)])
        self.base = base                                         # (C, 1) or (C, n)
        self.contrib = share[cs.pair_member] * _table([support[e] for e in pair_entry], n)

        # Decided once per block, so that whether a round draws never depends on the state.
        self.may_withdraw = any(np.any(np.asarray(v) > 0) for v in withdraw)
        self.withdraw = _table(withdraw, n)                      # (C, 1) or (C, n)
        # log(1 - lift) per unit: the hazard 1 - (1 - lift)^x is then -expm1(x * log_keep).
        with np.errstate(divide="ignore"):
            log_keep = [np.log1p(-np.asarray(v, dtype=float)) for v in lift]
        self.log_keep = _table([log_keep[k] for k in cs.unit_rule], n)
        # One draw per unit even where chance is 1, so a variant that changes a chance
        # keeps every other draw of the block where it was.
        self.standing = (np.ascontiguousarray(draws.uniform((n, n_units)).T)
                         < _table([chance[k] for k in cs.unit_rule], n))
        # How many times the rule was seen standing: when raised and at the end of each round
        # since. 0 if never raised; else, once it no longer stands, it was lifted at the end
        # of round `stood`. Counting costs less than spotting the change every round.
        self.stood = layout.rules(self.standing).astype(np.int16)
        # Without withdrawals nobody withdraws: one column, and who is active is one column.
        self.withdrawn = np.zeros((n_cands, n if self.may_withdraw else 1), dtype=bool)
        self.trial = np.arange(n)  # position of each trial in the block
        self.open = np.ones(n, dtype=bool)
        self.winner = np.full(n, -1, dtype=np.intp)  # candidate appointed, -1 if none

    def keep(self, rows: np.ndarray) -> None:
        """Keep only the given trials (indexes, not empty), in order."""
        for name in self.ARRAYS:
            setattr(self, name, _take(getattr(self, name), rows))


def run_block(cs: Compiled, n: int, rng: np.random.Generator,
              param_rng: Callable[[int], np.random.Generator] | None = None) -> Counts:
    """Simulate `n` trials of the scenario and return their counts.

    Args:
        cs: the compiled scenario.
        n: number of trials.
        rng: the generator of the process: objections raised and lifted, withdrawals,
            ties, extensions.
        param_rng: the generator of uncertain parameter number j (in the fixed draw order),
            given j; None draws the parameters from `rng` too.

    Returns:
        The block's integer counts.
    """
    draws = _Draws(rng, n, param_rng)
    layout = cs.engine_layout  # the same for every block: built once
    state = _Block(cs, n, draws, layout)
    n_cands = len(cs.candidate_ids)
    counts = Counts.zeros(cs)
    counts.trials = n
    counts.raised += np.count_nonzero(state.stood, axis=1)
    n_open = n

    for r in range(1, cs.rounds + 1):
        if n_open == 0:
            break
        active = (cs.enters <= r)[:, None] & ~state.withdrawn  # (C, 1) or (C, n)
        # Withdrawals compare every active candidate with the front-runner: then look at all.
        cols = layout.columns(r, state.may_withdraw)
        pairs = layout.pairs(state.standing)
        base = state.base if cols.all else state.base[cols.backed]
        backing = base - cols.cand_pair @ (pairs * state.contrib)
        looked = backing if cols.look_rows is None else backing[cols.look_rows]
        eligible = _and_rows(~cols.objected(pairs) & state.open, active[cols.look])
        eligible &= looked >= state.min_support - TOLERANCE
        decided = np.flatnonzero(eligible.any(axis=0))
        if len(decided):
            # np.take, not [:, decided]: that indexing returns a column-major array, on which
            # every reduction down the candidates costs several times more.
            scores = np.where(np.take(eligible, decided, axis=1),
                              np.take(looked, decided, axis=1), -np.inf)
            choice = cols.look[_pick_best(scores, draws)]
            state.winner[decided] = choice
            state.open[decided] = False
            counts.outcomes[:n_cands] += np.bincount(choice, minlength=n_cands)
            counts.decided_round[r - 1] += len(decided)
            n_open -= len(decided)
            if n_open == 0:
                break
            if n_open < COMPACT_BELOW * len(state.open):
                rows = np.flatnonzero(state.open)
                _tally(state, layout, cs, counts, np.flatnonzero(~state.open))
                state.keep(rows)
                active, backing = _take(active, rows), _take(backing, rows)
        if r == cs.rounds:
            break
        _lift_by_pressure(state, layout, r, active, backing, cols.position, draws)
        _withdraw(state, layout, active, backing, draws)
        _apply_until(state, cs, layout, r)
        state.stood += layout.rules(state.standing)

    _tally(state, layout, cs, counts, np.arange(len(state.open)))
    extended = 0
    if n_open and cs.extend:
        chance = state.extend_chance
        if isinstance(chance, np.ndarray) or chance < 1.0:
            drawn = draws.aligned(1, state.trial)[0] < chance
            extended = int(np.count_nonzero(drawn & state.open))
        else:
            extended = n_open
    counts.outcomes[n_cands] += extended
    counts.outcomes[n_cands + 1] += n_open - extended
    counts.uniforms = draws.count
    return counts


def _tally(state: _Block, layout: Layout, cs: Compiled, counts: Counts,
           rows: np.ndarray) -> None:
    """Tally blockers and lifts of the trials at `rows`, which have ended."""
    if not len(rows):
        return
    standing = np.take(state.standing, rows, axis=1)
    pairs = layout.pairs(standing)
    still = pairs & (layout.pair_candidate[:, None] != state.winner[rows])
    counts.blocked += np.count_nonzero(still, axis=1)
    blockers = layout.cand_pair @ pairs.astype(float)
    counts.pivotal += np.count_nonzero(still & (blockers[layout.pair_candidate] == 1), axis=1)
    stood = np.take(state.stood, rows, axis=1)
    cleared = (stood > 0) & ~layout.rules(standing)
    counts.lifted += np.count_nonzero(cleared, axis=1)
    # One count over (rule, round) pairs numbered rule * (R + 2) + round.
    width = cs.rounds + 2
    # Lifted at the end of round `stood`: round stood + 1 is the first it no longer stood.
    numbered = stood + (np.arange(len(cs.rule_ids)) * width + 1)[:, None]
    counts.lift_round += np.bincount(numbered[cleared], minlength=counts.lift_round.size
                                     ).reshape(counts.lift_round.shape)


def _pick_best(scores: np.ndarray, draws: _Draws) -> np.ndarray:
    """Row of the highest score in each column, ties broken uniformly at random."""
    if len(scores) == 1:
        return np.zeros(scores.shape[1], dtype=np.intp)
    tied = scores >= scores.max(axis=0) - TOLERANCE
    n_tied = tied.sum(axis=0, dtype=np.int16)  # narrow sums down a short axis are fastest
    choice = _first_row(tied)
    cols = np.flatnonzero(n_tied > 1)
    if len(cols):
        # The pick-th tied row (from 0): the tied row with `pick` tied rows above it.
        pick = (draws.uniform((len(cols),)) * n_tied[cols]).astype(np.int16)
        sub = np.take(tied, cols, axis=1)
        above = np.zeros(len(cols), dtype=np.int16)
        picked = np.zeros(len(cols), dtype=np.intp)
        for row in range(len(sub)):
            np.putmask(picked, sub[row] & (above == pick), row)
            above += sub[row]
        choice[cols] = picked
    return choice


def _first_row(mask: np.ndarray) -> np.ndarray:
    """Index of the first True row in each column (each column has one)."""
    # A loop over the few rows: argmax down the short axis is a hundred times slower.
    first = np.zeros(mask.shape[1], dtype=np.intp)
    for row in range(len(mask) - 1, -1, -1):
        np.putmask(first, mask[row], row)
    return first


def _lift_by_pressure(state: _Block, layout: Layout, r: int, active: np.ndarray,
                      backing: np.ndarray, position: np.ndarray, draws: _Draws) -> None:
    """Step a: standing objections to active candidates lift with the bandwagon hazard.

    `backing` holds the candidates looked at this round, candidate c in row position[c].
    """
    if not layout.n_units:
        return
    uniforms = draws.aligned(layout.n_units, state.trial)
    units = layout.lifting[r]
    if not len(units):
        return
    every = len(units) == layout.n_units
    if layout.unit_cand is not None:
        unit_active = active[layout.unit_cand[units]]
        pressure = backing[position[layout.unit_cand[units]]]
    else:
        masked = np.where(active[position >= 0], backing, -np.inf)
        pressure = np.stack([masked[position[layout.unit_cands[u]]].max(axis=0)
                             for u in units])
        unit_active = np.isfinite(pressure)
        pressure = np.where(unit_active, pressure, 0.0)
    standing = state.standing if every else state.standing[units]
    can_lift = _and_rows(standing & state.open, unit_active)
    if not can_lift.any():
        return
    log_keep = state.log_keep if every else state.log_keep[units]
    # hazard = -expm1(log_keep * (1 + bandwagon * pressure)), in place: it is the round's
    # largest piece of arithmetic.
    hazard = np.multiply(state.bandwagon, pressure)
    hazard += 1.0
    hazard *= log_keep
    np.expm1(hazard, out=hazard)
    np.negative(hazard, out=hazard)
    lifts = np.less(uniforms if every else uniforms[units], hazard)
    lifts &= can_lift
    # Only standing objections lift: flipping them clears them.
    if every:
        state.standing ^= lifts
    else:
        state.standing[units] = standing ^ lifts


def _withdraw(state: _Block, layout: Layout, active: np.ndarray, backing: np.ndarray,
              draws: _Draws) -> None:
    """Step b: candidates behind the front-runner withdraw with their probability."""
    if not state.may_withdraw:
        return
    may = layout.quitters  # the others' uniforms are drawn but cannot fall below 0
    uniforms = draws.aligned(len(layout.everyone), state.trial, may)
    masked = np.where(active, backing, -np.inf)
    behind = masked[may] < masked.max(axis=0) - TOLERANCE
    # Trials already ended may "withdraw" too: nothing about them is read any more, and the
    # `until` step below leaves their objections alone.
    state.withdrawn[may] |= active[may] & behind & (uniforms < state.withdraw[may])


def _apply_until(state: _Block, cs: Compiled, layout: Layout, r: int) -> None:
    """Step c: lift objections whose `until` condition holds, until nothing changes."""
    changed = bool(layout.until_rules)
    while changed:
        changed = False
        rule_standing = layout.rules(state.standing)
        for k in layout.until_rules:
            units = layout.rules.groups[k]
            holds = np.zeros(len(state.open), dtype=bool)
            for cond in cs.rule_until[k]:
                if cond.kind == "withdrawn":
                    holds |= state.withdrawn[cond.target]
                elif cond.kind == "lifted":
                    holds |= ~rule_standing[cond.target]
                elif r + 1 >= cond.target:
                    holds[:] = True
            holds &= state.open  # ended trials keep the state they ended with
            if (holds & state.standing[units]).any():
                state.standing[units] &= ~holds
                rule_standing = layout.rules(state.standing)
                changed = True
