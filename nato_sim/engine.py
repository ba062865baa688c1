"""The Monte Carlo engine: one block of trials of the consultation model (docs/model.md).

Pure numpy: a compiled scenario, a trial count and a generator in; integer counts out.
Every trial of the block advances in lock-step, one round at a time. Trials that end are
frozen and tallied; the working set is compacted whenever a quarter of it has ended, so later
rounds cost about what is still open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import reduce

import numpy as np

from nato_sim.compiled import Compiled, Param

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

    def aligned(self, width: int, trial: np.ndarray) -> np.ndarray:
        """(rows, width) uniforms for the given rows, drawn for every trial of the block.

        Drawing for finished trials too keeps trial t of round r on the same random number
        in every scenario run with the same seed (common random numbers), so a variant
        differs from its baseline only where its parameters make it differ.
        """
        block = self.uniform((self.n_block, width))
        return block if len(trial) == self.n_block else np.take(block, trial, axis=0)

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

    def params(self, params: tuple[Param, ...], n: int) -> np.ndarray:
        """(len,) when all are constant, else (n, len)."""
        values = [self.param(p, n) for p in params]
        if all(np.isscalar(v) for v in values):
            return np.array(values, dtype=float)
        # Filled row by row and transposed: many times faster than stacking columns.
        table = np.empty((len(values), n))
        for row, value in enumerate(values):
            table[row] = value
        return table.T


# numpy reduces tall, narrow arrays along their short axis slowly; a loop over the few
# columns is many times faster on the shapes the engine works with.
def _row_any(x: np.ndarray) -> np.ndarray:
    """Row-wise any of an (n, k) boolean array."""
    if x.shape[1] == 0:
        return np.zeros(len(x), dtype=bool)
    return reduce(np.logical_or, (x[:, j] for j in range(x.shape[1])))


def _row_max(x: np.ndarray) -> np.ndarray:
    """Row-wise maximum of an (n, k) array, k >= 1."""
    return reduce(np.maximum, (x[:, j] for j in range(x.shape[1])))


def _column_counts(x: np.ndarray) -> np.ndarray:
    """Number of True values in each column of an (n, k) boolean array."""
    return np.array([np.count_nonzero(x[:, j]) for j in range(x.shape[1])], dtype=np.int64)


class _Layout:
    """How units, pairs, rules and candidates relate, as arrays, with shortcuts when trivial."""

    def __init__(self, cs: Compiled) -> None:
        n_pairs, n_units, n_rules = len(cs.pair_member), len(cs.unit_rule), len(cs.rule_ids)
        n_cands = len(cs.candidate_ids)
        # Usually each unit is one pair and each rule one unit, in the same order: then the
        # standing units *are* the standing pairs and rules, and no product is needed.
        self.units_are_pairs = cs.unit_pairs == tuple((u,) for u in range(n_pairs))
        self.units_are_rules = cs.unit_rule.tolist() == list(range(n_rules))
        self.unit_pair = _incidence(cs.unit_pairs, n_pairs).astype(float)
        self.unit_rule = _incidence(tuple((int(k),) for k in cs.unit_rule), n_rules
                                    ).astype(float)
        self.pair_cand = _incidence(tuple((int(c),) for c in cs.pair_candidate), n_cands
                                    ).astype(float)
        self.pair_candidate = cs.pair_candidate
        # Pressure on a bloc that blocks several candidates is the highest backing among them.
        self.unit_cands = [list(c) for c in cs.unit_candidates]
        single = all(len(c) == 1 for c in self.unit_cands)
        self.unit_cand = (np.array([c[0] for c in self.unit_cands], dtype=np.intp)
                          if single else None)
        self.after = cs.rule_after[cs.unit_rule] if n_rules else np.zeros(0, dtype=np.int64)
        # A unit whose lift is the constant 0 never lifts under pressure: no hazard needed.
        self.soft = np.array([not (cs.rule_lift[k].is_const and cs.rule_lift[k].a == 0)
                              for k in cs.unit_rule], dtype=bool)
        self.until_rules = [k for k in range(n_rules) if cs.rule_until[k]]
        self.units_of_rule = [np.flatnonzero(cs.unit_rule == k) for k in range(n_rules)]
        self.n_units = n_units

    def pairs(self, standing: np.ndarray) -> np.ndarray:
        """(n, U) whether each member-candidate pair has a standing objection."""
        if self.units_are_pairs:
            return standing
        return (standing @ self.unit_pair) > 0

    def rules(self, standing: np.ndarray) -> np.ndarray:
        """(n, K) whether any objection of each rule stands."""
        if self.units_are_rules:
            return standing
        return (standing @ self.unit_rule) > 0


class _Block:
    """The working set of one block: per-trial state, one row per trial not yet dropped."""

    ROW_ARRAYS = ("base", "contrib", "standing", "raised", "cleared_round", "withdrawn",
                  "trial", "open", "winner")
    TABLES = ("withdraw", "log_keep")                            # (C,) / (L,) or one row each
    SCALARS = ("min_support", "bandwagon", "extend_chance")     # a float or one per row

    def __init__(self, cs: Compiled, n: int, draws: _Draws, layout: _Layout) -> None:
        n_units, n_rules = len(cs.unit_rule), len(cs.rule_ids)
        n_cands = len(cs.candidate_ids)

        # Draw order is fixed: it is part of what makes a seed reproducible.
        weights = draws.params(cs.weights, n)
        support = draws.params(cs.support_params, n)
        withdraw = draws.params(cs.withdraw, n)
        chance = draws.params(cs.rule_chance, n) if n_rules else np.zeros(0)
        lift = draws.params(cs.rule_lift, n) if n_rules else np.zeros(0)
        self.min_support = draws.param(cs.min_support, n)
        self.bandwagon = draws.param(cs.bandwagon, n)
        self.extend_chance = draws.param(cs.extend_chance, n)

        total = weights.sum(axis=-1, keepdims=True)
        share = weights / total                                  # (M,) or (n, M)
        # B_c without objections, sum_m share_m * s(m, c): support entries are shared by many
        # members, so sum the shares per entry and candidate first when weights are fixed.
        if share.ndim == 1:
            entry_share = np.zeros((len(cs.support_params), n_cands))
            for c in range(n_cands):
                np.add.at(entry_share[:, c], cs.support_index[:, c], share)
            base = np.broadcast_to(support @ entry_share, (n, n_cands))
        else:
            base = np.column_stack([(share * support[..., cs.support_index[:, c]]).sum(axis=-1)
                                    for c in range(n_cands)])
        self.base = np.ascontiguousarray(base, dtype=float)
        pair_support = support[..., cs.support_index[cs.pair_member, cs.pair_candidate]]
        self.contrib = np.broadcast_to(share[..., cs.pair_member] * pair_support,
                                       (n, len(cs.pair_member))).copy()

        self.withdraw = np.ascontiguousarray(withdraw)          # (C,) or (n, C)
        # Decided once per block, so that whether a round draws never depends on the state.
        self.may_withdraw = bool(np.any(withdraw > 0))
        # log(1 - lift) per unit: the hazard 1 - (1 - lift)^x is then -expm1(x * log_keep).
        with np.errstate(divide="ignore"):
            self.log_keep = np.ascontiguousarray(np.log1p(-lift[..., cs.unit_rule]))
        # One draw per unit even where chance is 1, so a variant that changes a chance
        # keeps every other draw of the block where it was.
        self.standing = draws.uniform((n, n_units)) < chance[..., cs.unit_rule]
        self.raised = layout.rules(self.standing).copy()
        self.cleared_round = np.zeros((n, n_rules), dtype=np.int16)
        self.withdrawn = np.zeros((n, n_cands), dtype=bool)
        self.trial = np.arange(n)  # position of each row's trial in the block
        self.open = np.ones(n, dtype=bool)
        self.winner = np.full(n, -1, dtype=np.intp)  # candidate appointed, -1 if none

    def per_trial(self, name: str) -> np.ndarray | float:
        """A parameter as a column (n, 1) when it varies by trial, else as it is."""
        value = getattr(self, name)
        return value[:, None] if isinstance(value, np.ndarray) and value.ndim == 1 else value

    def keep(self, rows: np.ndarray) -> None:
        """Keep only the given rows (indexes), in order."""
        for name in self.ROW_ARRAYS:
            setattr(self, name, np.take(getattr(self, name), rows, axis=0))
        for name in self.TABLES:
            if getattr(self, name).ndim == 2:
                setattr(self, name, np.take(getattr(self, name), rows, axis=0))
        for name in self.SCALARS:
            if isinstance(getattr(self, name), np.ndarray):
                setattr(self, name, np.take(getattr(self, name), rows))


def _incidence(groups: tuple[tuple[int, ...], ...], width: int) -> np.ndarray:
    matrix = np.zeros((len(groups), width), dtype=bool)
    for row, group in enumerate(groups):
        matrix[row, list(group)] = True
    return matrix


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
    layout = _Layout(cs)
    state = _Block(cs, n, draws, layout)
    n_cands = len(cs.candidate_ids)
    counts = Counts.zeros(cs)
    counts.trials = n
    counts.raised += _column_counts(state.raised)
    n_open = n

    for r in range(1, cs.rounds + 1):
        if n_open == 0:
            break
        active = (cs.enters <= r)[None, :] & ~state.withdrawn
        pairs = layout.pairs(state.standing)
        backing = state.base - (pairs * state.contrib) @ layout.pair_cand
        eligible = ((pairs @ layout.pair_cand) == 0) & active & state.open[:, None]
        eligible &= backing >= state.per_trial("min_support") - TOLERANCE
        decided = np.flatnonzero(_row_any(eligible))
        if len(decided):
            choice = _pick_best(np.where(eligible[decided], backing[decided], -np.inf), draws)
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
                active, backing = np.take(active, rows, axis=0), np.take(backing, rows, axis=0)
        if r == cs.rounds:
            break
        before = state.standing.copy()  # to date the rules that stop standing this round
        _lift_by_pressure(state, layout, r, active, backing, draws)
        _withdraw(state, active, backing, draws)
        _apply_until(state, cs, layout, r)
        newly = layout.rules(before) & ~layout.rules(state.standing)
        if newly.any():
            np.putmask(state.cleared_round, newly, r + 1)

    _tally(state, layout, cs, counts, np.arange(len(state.open)))
    extended = 0
    if n_open and cs.extend:
        chance = state.extend_chance
        if isinstance(chance, np.ndarray) or chance < 1.0:
            drawn = draws.aligned(1, state.trial)[:, 0] < chance
            extended = int(np.count_nonzero(drawn & state.open))
        else:
            extended = n_open
    counts.outcomes[n_cands] += extended
    counts.outcomes[n_cands + 1] += n_open - extended
    counts.uniforms = draws.count
    return counts


def _tally(state: _Block, layout: _Layout, cs: Compiled, counts: Counts,
           rows: np.ndarray) -> None:
    """Tally blockers and lifts of the trials at `rows`, which have ended."""
    if not len(rows):
        return
    standing = np.take(state.standing, rows, axis=0)
    pairs = layout.pairs(standing)
    winner = state.winner[rows]
    still = pairs & (layout.pair_candidate[None, :] != winner[:, None])
    counts.blocked += _column_counts(still)
    blockers = pairs @ layout.pair_cand
    counts.pivotal += _column_counts(still & (blockers[:, layout.pair_candidate] == 1))
    cleared = np.take(state.raised, rows, axis=0) & ~layout.rules(standing)
    counts.lifted += _column_counts(cleared)
    cleared_round = np.take(state.cleared_round, rows, axis=0)
    for k in range(len(cs.rule_ids)):
        counts.lift_round[k] += np.bincount(cleared_round[cleared[:, k], k],
                                            minlength=cs.rounds + 2)


def _pick_best(scores: np.ndarray, draws: _Draws) -> np.ndarray:
    """Column of the highest score in each row, ties broken uniformly at random."""
    tied = scores >= (_row_max(scores) - TOLERANCE)[:, None]
    n_tied = np.zeros(len(scores), dtype=np.intp)
    choice = np.zeros(len(scores), dtype=np.intp)
    for col in range(scores.shape[1] - 1, -1, -1):  # ends on the first tied column
        n_tied += tied[:, col]
        choice[tied[:, col]] = col
    rows = np.flatnonzero(n_tied > 1)
    if len(rows):
        pick = (draws.uniform((len(rows),)) * n_tied[rows]).astype(np.intp)
        order = np.cumsum(tied[rows], axis=1) - 1
        choice[rows] = (tied[rows] & (order == pick[:, None])).argmax(axis=1)
    return choice


def _lift_by_pressure(state: _Block, layout: _Layout, r: int, active: np.ndarray,
                      backing: np.ndarray, draws: _Draws) -> None:
    """Step a: standing objections to active candidates lift with the bandwagon hazard."""
    if not layout.n_units:
        return
    uniforms = draws.aligned(layout.n_units, state.trial)
    cols = np.flatnonzero(layout.soft & (layout.after <= r + 1))
    if not len(cols):
        return
    every = len(cols) == layout.n_units
    if layout.unit_cand is not None:
        unit_active = active[:, layout.unit_cand[cols]]
        pressure = backing[:, layout.unit_cand[cols]]
    else:
        masked = np.where(active, backing, -np.inf)
        pressure = np.column_stack([_row_max(masked[:, layout.unit_cands[u]]) for u in cols])
        unit_active = np.isfinite(pressure)
        pressure = np.where(unit_active, pressure, 0.0)
    standing = state.standing if every else state.standing[:, cols]
    can_lift = standing & unit_active & state.open[:, None]
    if not can_lift.any():
        return
    log_keep = state.log_keep if every else state.log_keep[..., cols]
    hazard = -np.expm1(log_keep * (1.0 + state.per_trial("bandwagon") * pressure))
    lifts = can_lift & ((uniforms if every else uniforms[:, cols]) < hazard)
    if every:
        state.standing &= ~lifts
    else:
        state.standing[:, cols] = standing & ~lifts


def _withdraw(state: _Block, active: np.ndarray, backing: np.ndarray, draws: _Draws) -> None:
    """Step b: candidates behind the front-runner withdraw with their probability."""
    if not state.may_withdraw:
        return
    withdraw = state.withdraw
    uniforms = draws.aligned(withdraw.shape[-1], state.trial)
    masked = np.where(active, backing, -np.inf)
    front = masked >= (_row_max(masked) - TOLERANCE)[:, None]
    # Rows already ended may "withdraw" too: nothing about them is read any more, and the
    # `until` step below leaves their objections alone.
    state.withdrawn |= active & ~front & (uniforms < withdraw)


def _apply_until(state: _Block, cs: Compiled, layout: _Layout, r: int) -> None:
    """Step c: lift objections whose `until` condition holds, until nothing changes."""
    changed = bool(layout.until_rules)
    while changed:
        changed = False
        rule_standing = layout.rules(state.standing)
        for k in layout.until_rules:
            units = layout.units_of_rule[k]
            holds = np.zeros(len(state.open), dtype=bool)
            for cond in cs.rule_until[k]:
                if cond.kind == "withdrawn":
                    holds |= state.withdrawn[:, cond.target]
                elif cond.kind == "lifted":
                    holds |= ~rule_standing[:, cond.target]
                elif r + 1 >= cond.target:
                    holds[:] = True
            holds &= state.open  # ended trials keep the state they ended with
            hit = holds[:, None] & state.standing[:, units]
            if hit.any():
                state.standing[:, units] &= ~holds[:, None]
                rule_standing = layout.rules(state.standing)
                changed = True
