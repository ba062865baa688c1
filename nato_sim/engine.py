"""The Monte Carlo engine: one block of trials of the consultation model (docs/model.md).

Pure numpy: a compiled scenario, a trial count and a generator in; integer counts out.
Every trial of the block advances in lock-step, one round at a time; trials that end leave
the working set, so later rounds cost only what is still open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

from nato_sim.compiled import Compiled, Param

# Backings are float sums of shares, and equal backings reached by different sums can differ in
# the last bits; values closer than this count as equal, for ties and for `min_support`.
TOLERANCE = 1e-9


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
        """(open trials, width) uniforms, drawn for every trial of the block.

        Drawing for finished trials too keeps trial t of round r on the same random number
        in every scenario run with the same seed (common random numbers), so a variant
        differs from its baseline only where its parameters make it differ.
        """
        block = self.uniform((self.n_block, width))
        return block if len(trial) == self.n_block else block[trial]

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
        return np.column_stack([np.broadcast_to(v, (n,)) for v in values])


class _Block:
    """The working set of one block: per-trial state of the trials still open."""

    def __init__(self, cs: Compiled, n: int, draws: _Draws, unit_pair: np.ndarray,
                 unit_rule: np.ndarray) -> None:
        self.unit_pair = unit_pair  # (L, U) which pairs each unit covers
        self.unit_rule = unit_rule  # (L, K) which rule each unit belongs to
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
        # s(m, c) for every member and candidate: support[..., index] is (M, C) or (n, M, C);
        # only the per-candidate sums and the objecting pairs are kept.
        base = np.empty((n, n_cands)) if (share.ndim == 2 or support.ndim == 2) else None
        if base is None:
            base = np.broadcast_to((share[:, None] * support[cs.support_index]).sum(0),
                                   (n, n_cands)).copy()
        else:
            for c in range(n_cands):
                base[:, c] = (share * support[..., cs.support_index[:, c]]).sum(axis=-1)
        self.base = base
        pair_support = support[..., cs.support_index[cs.pair_member, cs.pair_candidate]]
        self.contrib = np.broadcast_to(share[..., cs.pair_member] * pair_support,
                                       (n, len(cs.pair_member))).copy()

        self.withdraw = withdraw                                 # (C,) or (n, C)
        # Decided once per block, so that whether a round draws never depends on the state.
        self.may_withdraw = bool(np.any(withdraw > 0))
        self.lift = lift[..., cs.unit_rule]                      # (L,) or (n, L)
        # One draw per unit even where chance is 1, so a variant that changes a chance
        # keeps every other draw of the block where it was.
        self.standing = draws.uniform((n, n_units)) < chance[..., cs.unit_rule]
        self.raised = self.standing_rules()
        self.cleared_round = np.zeros((n, n_rules), dtype=np.int64)
        self.withdrawn = np.zeros((n, n_cands), dtype=bool)
        self.trial = np.arange(n)  # position of each open trial in the block

    def standing_pairs(self) -> np.ndarray:
        """(n, U) whether each member-candidate pair has a standing objection."""
        return self.standing @ self.unit_pair

    def standing_rules(self) -> np.ndarray:
        """(n, K) whether any objection of each rule stands."""
        return self.standing @ self.unit_rule

    def keep(self, rows: np.ndarray) -> None:
        """Drop the trials that have ended."""
        for name in ("base", "contrib", "standing", "raised", "cleared_round", "withdrawn",
                     "trial"):
            setattr(self, name, getattr(self, name)[rows])
        for name in ("withdraw", "lift"):
            value = getattr(self, name)
            if value.ndim == 2:
                setattr(self, name, value[rows])
        for name in ("min_support", "bandwagon", "extend_chance"):
            value = getattr(self, name)
            if isinstance(value, np.ndarray):
                setattr(self, name, value[rows])


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
    n_cands, rounds = len(cs.candidate_ids), cs.rounds
    n_rules = len(cs.rule_ids)
    unit_pair = _incidence(cs.unit_pairs, len(cs.pair_member))
    unit_rule = _incidence(tuple((int(k),) for k in cs.unit_rule), n_rules)
    pair_cand = _incidence(tuple((int(c),) for c in cs.pair_candidate), n_cands).astype(float)
    state = _Block(cs, n, draws, unit_pair, unit_rule)
    counts = Counts.zeros(cs)
    counts.trials = n
    counts.raised += state.raised.sum(axis=0)

    # Pressure on a bloc that blocks several candidates is the highest backing among them.
    unit_cands = [list(c) for c in cs.unit_candidates]
    single = all(len(c) == 1 for c in unit_cands)
    unit_cand = np.array([c[0] for c in unit_cands], dtype=np.intp) if single else None
    after = cs.rule_after[cs.unit_rule] if n_rules else np.zeros(0, dtype=np.int64)
    until_rules = [k for k in range(n_rules) if cs.rule_until[k]]
    units_of_rule = [np.flatnonzero(cs.unit_rule == k) for k in range(n_rules)]

    def finish(rows: np.ndarray, pairs: np.ndarray, blockers: np.ndarray, winner: np.ndarray):
        """Tally blockers and lifts of the trials that end here."""
        if not rows.any():
            return
        pairs, blockers, winner = pairs[rows], blockers[rows], winner[rows]
        lost = cs.pair_candidate[None, :] != winner[:, None]
        still = pairs & lost
        counts.blocked += still.sum(axis=0)
        counts.pivotal += (still & (blockers[:, cs.pair_candidate] == 1)).sum(axis=0)
        raised = state.raised[rows]
        cleared = raised & ~state.standing_rules()[rows]
        counts.lifted += cleared.sum(axis=0)
        cleared_round = state.cleared_round[rows]
        for k in range(n_rules):
            counts.lift_round[k] += np.bincount(cleared_round[cleared[:, k], k],
                                                minlength=rounds + 2)

    for r in range(1, rounds + 1):
        n_open = len(state.base)
        if n_open == 0:
            break
        active = (cs.enters <= r)[None, :] & ~state.withdrawn
        pairs = state.standing_pairs()
        blockers = pairs @ pair_cand                              # (n, C) standing pairs
        backing = state.base - (pairs * state.contrib) @ pair_cand
        min_support = state.min_support
        if isinstance(min_support, np.ndarray):
            min_support = min_support[:, None]
        eligible = active & (blockers == 0) & (backing >= min_support - TOLERANCE)
        decided = eligible.any(axis=1)
        if decided.any():
            winner = np.full(n_open, -1, dtype=np.intp)
            winner[decided] = _pick_best(np.where(eligible[decided], backing[decided], -np.inf),
                                         draws)
            counts.outcomes[:n_cands] += np.bincount(winner[decided], minlength=n_cands)
            counts.decided_round[r - 1] += int(decided.sum())
            finish(decided, pairs, blockers, winner)
            open_rows = ~decided
            state.keep(open_rows)
            active, backing = active[open_rows], backing[open_rows]
            n_open = len(state.base)
            if n_open == 0:
                break
        if r == rounds:
            break
        _lift_by_pressure(state, cs, r, active, backing, unit_cand, unit_cands, after, draws)
        _withdraw(state, active, backing, draws)
        _apply_until(state, cs, r, until_rules, units_of_rule)
        newly = state.raised & ~state.standing_rules() & (state.cleared_round == 0)
        state.cleared_round[newly] = r + 1

    n_open = len(state.base)
    if n_open:
        pairs = state.standing_pairs()
        finish(np.ones(n_open, dtype=bool), pairs, pairs @ pair_cand,
               np.full(n_open, -1, dtype=np.intp))
        if cs.extend:
            chance = state.extend_chance
            if isinstance(chance, np.ndarray) or chance < 1.0:
                extended = int((draws.aligned(1, state.trial)[:, 0] < chance).sum())
            else:
                extended = n_open
        else:
            extended = 0
        counts.outcomes[n_cands] += extended
        counts.outcomes[n_cands + 1] += n_open - extended
    counts.uniforms = draws.count
    return counts


def _pick_best(scores: np.ndarray, draws: _Draws) -> np.ndarray:
    """Column of the highest score in each row, ties broken uniformly at random."""
    best = scores.max(axis=1, keepdims=True)
    tied = scores >= best - TOLERANCE
    choice = tied.argmax(axis=1)
    n_tied = tied.sum(axis=1)
    rows = np.flatnonzero(n_tied > 1)
    if len(rows):
        pick = (draws.uniform((len(rows),)) * n_tied[rows]).astype(np.intp)
        order = np.cumsum(tied[rows], axis=1) - 1
        choice[rows] = (tied[rows] & (order == pick[:, None])).argmax(axis=1)
    return choice


def _lift_by_pressure(state, cs, r, active, backing, unit_cand, unit_cands, after, draws):
    """Step a: standing objections to active candidates lift with the bandwagon hazard."""
    if not state.standing.shape[1]:
        return
    uniforms = draws.aligned(state.standing.shape[1], state.trial)
    if unit_cand is not None:
        unit_active = active[:, unit_cand]
        pressure = backing[:, unit_cand]
    else:
        masked = np.where(active, backing, -np.inf)
        pressure = np.column_stack([masked[:, c].max(axis=1) for c in unit_cands])
        unit_active = np.isfinite(pressure)
        pressure = np.where(unit_active, pressure, 0.0)
    can_lift = state.standing & unit_active & (after <= r + 1)[None, :]
    if not can_lift.any():
        return
    bandwagon = state.bandwagon
    if isinstance(bandwagon, np.ndarray):
        bandwagon = bandwagon[:, None]
    hazard = 1.0 - (1.0 - state.lift) ** (1.0 + bandwagon * pressure)
    state.standing &= ~(can_lift & (uniforms < hazard))


def _withdraw(state, active, backing, draws):
    """Step b: candidates behind the front-runner withdraw with their probability."""
    withdraw = state.withdraw
    if not state.may_withdraw:
        return
    uniforms = draws.aligned(withdraw.shape[-1], state.trial)
    masked = np.where(active, backing, -np.inf)
    front = masked >= masked.max(axis=1, keepdims=True) - TOLERANCE
    may = active & ~front & (withdraw > 0)
    state.withdrawn |= may & (uniforms < withdraw)


def _apply_until(state, cs, r, until_rules, units_of_rule):
    """Step c: lift objections whose `until` condition holds, until nothing changes."""
    changed = bool(until_rules)
    while changed:
        changed = False
        rule_standing = state.standing_rules()
        for k in until_rules:
            units = units_of_rule[k]
            holds = np.zeros(len(state.base), dtype=bool)
            for cond in cs.rule_until[k]:
                if cond.kind == "withdrawn":
                    holds |= state.withdrawn[:, cond.target]
                elif cond.kind == "lifted":
                    holds |= ~rule_standing[:, cond.target]
                elif r + 1 >= cond.target:
                    holds[:] = True
            hit = holds[:, None] & state.standing[:, units]
            if hit.any():
                state.standing[:, units] &= ~holds[:, None]
                rule_standing = state.standing_rules()
                changed = True
