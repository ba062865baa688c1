"""The Monte Carlo engine: one block of trials of the consultation model (docs/model.md).

Pure numpy: a compiled scenario, a trial count and a generator in; integer counts out.
Every trial of the block advances in lock-step, one round at a time. Trials that end are
frozen and tallied; the working set is compacted once fewer than 25% of its rows are open,
so later rounds cost about what is still open. Within a round, only the trials whose state
changed are looked at again (`run_block`).

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

from nato_sim.engine import trial_arrays as trials
from nato_sim.engine.compiled import Compiled
from nato_sim.engine.draws import Draws
from nato_sim.engine.layout import Layout, rows_of

# Backings are float sums of shares, and equal backings reached by different sums can differ in
# the last bits; values closer than this count as equal, for ties and for `min_support`.
TOLERANCE = 1e-9

# Compact the working set once fewer than this share of its rows are still open. A finished
# row carried along costs a few comparisons a round; compacting copies every per-trial array
# of the open ones, and each later round then gathers their random numbers out of the
# block's: it pays only once most rows have finished.
COMPACT_BELOW = 0.25

# Look again at every open trial once more than this share of them changed in a round:
# picking rows out and writing them back costs several times what working on all does.
DENSE_ABOVE = 0.5


@dataclass
class Counts:
    """Integer tallies of one or more blocks; adding two blocks adds their counts."""

    trials: int
    outcomes: np.ndarray  # (C + 2,) candidates, extension, no decision
    decided_round: np.ndarray  # (R,) appointments made in round r (index r - 1)
    blocked: np.ndarray  # (U,) pair still objecting at the end, its candidate lost
    pivotal: np.ndarray  # (U,) ... and it was the candidate's only remaining blocker
    raised: np.ndarray  # (K,) rule raised (any of its objections)
    lifted: np.ndarray  # (K,) rule raised and none of its objections left standing
    lift_round: np.ndarray  # (K, R + 2) first round in which a raised rule no longer stood
    early_round: np.ndarray  # (R,) extensions agreed early, in round r (index r - 1)
    uniforms: int  # random numbers drawn, for the benchmark's floor

    @classmethod
    def zeros(cls, compiled: Compiled) -> Counts:
        """Empty counts shaped for a scenario."""
        c, r = len(compiled.candidate_ids), compiled.rounds
        u, k = len(compiled.pair_member), len(compiled.rule_ids)
        z = np.zeros
        return cls(
            0,
            z(c + 2, np.int64),
            z(r, np.int64),
            z(u, np.int64),
            z(u, np.int64),
            z(k, np.int64),
            z(k, np.int64),
            z((k, r + 2), np.int64),
            z(r, np.int64),
            0,
        )

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


def _log_keep(lift: list[np.ndarray | float], unit_rule: np.ndarray, n: int) -> np.ndarray:
    """log(1 - lift) of each unit's rule: (units, 1) when every lift is fixed, else (units, n)."""
    with np.errstate(divide="ignore"):  # lift 1: log 0 = -inf, a certain lift
        if all(np.isscalar(v) for v in lift):
            return np.log(1.0 - np.array([lift[k] for k in unit_rule], dtype=float))[:, None]
        table = np.empty((len(unit_rule), n))
        done: dict[int, int] = {}
        for unit, rule in enumerate(unit_rule):
            if rule in done:  # a rule with several units: the same row again
                table[unit] = table[done[rule]]
                continue
            done[rule] = unit
            if np.isscalar(lift[rule]):
                table[unit] = np.log(1.0 - lift[rule])
            else:
                np.subtract(1.0, lift[rule], out=table[unit])
                np.log(table[unit], out=table[unit])
        return table


class _Block:
    """The working set of one block: per-trial state, one column per trial not yet dropped."""

    # Compacted together; those that do not vary by trial are left as they are (`trials.take`).
    ARRAYS = (
        "standing",
        "trial",
        "open",
        "in_race",
        "hazard",
        "quit",
        "base",
        "contrib",
        "withdraw",
        "log_keep",
        "qualifies",
        "bandwagon",
        "extend_chance",
        "ended",
        "first_raised",
        "decline",
        "declared_from",
        "extended_in",
    )

    def __init__(self, cs: Compiled, n: int, draws: Draws, layout: Layout) -> None:
        n_units = len(cs.unit_rule)
        n_cands = len(cs.candidate_ids)

        # Draw order is fixed: it is part of what makes a seed reproducible.
        weights = draws.params(cs.weights, n)
        support = draws.params(cs.support_params, n)
        withdraw = draws.params(cs.withdraw, n)
        chance = draws.params(cs.rule_chance, n)
        lift = draws.params(cs.rule_lift, n)
        # A candidate must be backed more than min_support: backings within TOLERANCE of it
        # count as equal to it, and so fall short.
        threshold = draws.param(cs.min_support, n) + TOLERANCE
        self.bandwagon = draws.param(cs.bandwagon, n)
        self.extend_chance = draws.param(cs.extend_chance, n)
        # Drawn after the parameters above, so that a scenario without them keeps its draws.
        decline = draws.params(cs.decline, n) if cs.decline else None
        declare = draws.params(tuple(cs.declare_chance[c] for c in layout.floated), n)
        early_chance = draws.param(cs.early_chance, n) if cs.early_chance is not None else None

        # The backings without objections and what each objecting member adds, for the members
        # of round 1, and again from each round in which members join (Layout.epochs).
        tables = [_support_tables(cs, weights, support, n, members) for _, members in layout.epochs]
        self.base, self.contrib = tables[0]  # (C, 1) or (C, n); (U, 1) or (U, n)
        # Whether each candidate reaches min_support once no objection to it stands: its
        # backing is then its base, so this is its only test of support.
        self.qualifies = self.base > threshold  # (C, 1) or (C, n)
        # Those of the later memberships, by the round they start: [base, contrib, qualifies].
        self.joined = {
            start: [base, contrib, base > threshold]
            for (start, _), (base, contrib) in zip(layout.epochs[1:], tables[1:], strict=True)
        }

        # Decided once per block, so that whether a round draws never depends on the state.
        self.may_withdraw = any(np.any(np.asarray(v) > 0) for v in withdraw) or (
            decline is not None and any(np.any(np.asarray(v) > 0) for v in decline)
        )
        # A floated name's declaration changes what happens next in its trial only if the
        # name may be appointed (it reaches min_support in some trial, with some
        # membership), someone may withdraw (the front-runner may change), or it is objected
        # to (objections feel pressure only while their candidate is active). The rows of
        # `declared_from` of those names: a trial in which only others declare is not looked
        # at again for it (`_draw_events`).
        qualifies = [self.qualifies] + [tables[2] for tables in self.joined.values()]
        self.declaring = rows_of(
            [
                f
                for f, c in enumerate(layout.floated)
                if self.may_withdraw or c in layout.objected or any(q[c].any() for q in qualifies)
            ]
        )
        # The chance of each candidate who may withdraw (when behind), (Q, 1) or (Q, n), and
        # of each who may decline (in any standing), one row per `Layout.decliners`; no
        # decline table when no candidate has a decline chance.
        self.withdraw = trials.table([withdraw[c] for c in layout.quitters], n)
        self.decline = (
            trials.table([decline[layout.quitters[q]] for q in layout.decliners], n)
            if decline is not None
            else None
        )
        # log(1 - lift) per liftable unit: the hazard 1 - (1 - lift)^x is then
        # 1 - exp(x * log_keep). log, not log1p: several times faster, and 1 - lift loses
        # nothing a uniform's 53 bits would notice.
        self.log_keep = _log_keep(lift, cs.unit_rule[layout.liftable], n)
        # One draw per unit even where chance is 1, so a variant that changes a chance
        # keeps every other draw of the block where it was.
        uniforms = draws.uniform((n_units, n))
        self.standing = np.empty((n_units, n), dtype=bool)
        for unit, rule in enumerate(cs.unit_rule):
            np.less(uniforms[unit], chance[rule], out=self.standing[unit])
        # A floated name declares at the end of each round from its `after` - 1 (round 1 at
        # the earliest) with a chance that does not change within the trial, and an early
        # extension comes in each round from its first with one: so the round of each is
        # drawn once, when the trial starts (a geometric variate), rather than round by round.
        # (F, n): the first round in which each floated name has declared; (n,) or None: the
        # round in which the trial ends with an early extension (past the last: never).
        self.declared_from = np.empty((len(layout.floated), n), dtype=np.int16)
        if len(layout.floated):
            uniforms = draws.uniform((len(layout.floated), n))
            for row, (chance_f, after) in enumerate(
                zip(declare, layout.declare_after, strict=True)
            ):
                first = max(int(after), 2)
                self.declared_from[row] = _first_event(uniforms[row], chance_f, first, cs.rounds)
        self.extended_in = None
        if early_chance is not None:
            uniform = draws.uniform((n,))
            self.extended_in = _first_event(uniform, early_chance, cs.early_after, cs.rounds)
        # Without withdrawals nobody withdraws: one column, and who is active is one column.
        self.in_race = np.ones((n_cands, n if self.may_withdraw else 1), dtype=bool)
        # The chance that each liftable unit lifts (step a) and that each candidate who may
        # withdraw does (step b) at the end of the round, as of when the trial's state was
        # last looked at: it only changes when the state does. 0 where it cannot happen; left
        # as it was in ended trials, whose events are never looked at. The first round sets
        # them for every trial before any is read: until then, one column, which compacting
        # leaves alone.
        self.hazard = np.zeros((layout.n_liftable, 1))
        self.hazards_fixed = False  # whether `hazard` holds every trial's fixed hazards
        n_quit = len(layout.quitters) if self.may_withdraw else 0
        self.quit = np.zeros((n_quit, 1))
        self.trial = np.arange(n)  # position of each trial in the block
        self.open = np.ones(n, dtype=bool)
        # For objections to late entrants only (Layout.late_rules): the round in which each
        # trial ended (the last, until it is decided), and the first round in which each such
        # rule has an objection raised that exists (rounds + 1: never).
        late = bool(layout.late_rules or layout.late_candidates or layout.late_pairs)
        self.ended = np.full(n, cs.rounds, dtype=np.int16) if late else None
        self.first_raised = _first_raised(layout, self.standing, cs.rounds) if late else None

    def keep(self, rows: np.ndarray) -> None:
        """Keep only the given trials (indexes, not empty), in order."""
        for name in self.ARRAYS:
            setattr(self, name, trials.take(getattr(self, name), rows))
        for tables in self.joined.values():
            tables[:] = [trials.take(table, rows) for table in tables]

    def join(self, r: int) -> None:
        """Count the members who join in round r: the backings of the membership from then."""
        self.base, self.contrib, self.qualifies = self.joined.pop(r)


def _support_tables(
    cs: Compiled,
    weights: list[np.ndarray | float],
    support: list[np.ndarray | float],
    n: int,
    members: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """B_c without objections for every candidate, (C, 1) or (C, n), and what each pair's
    member adds to its candidate's backing, (U, 1) or (U, n), counting only `members`."""
    n_cands = len(cs.candidate_ids)
    share = trials.table(weights, n)
    if not members.all():
        share *= members[:, None]  # members yet to join count for nothing
    share /= share.sum(axis=0)  # (M, 1) or (M, n)
    pair_entry = cs.support_index[cs.pair_member, cs.pair_candidate]
    # B_c without objections, sum_m share_m * s(m, c): support entries are shared by many
    # members, so sum the shares per entry and candidate first when weights are fixed;
    # then only the uncertain entries cost a product per trial. Sums are written out
    # rather than left to a matrix product, whose summation order may vary by machine.
    if all(np.isscalar(w) for w in weights):
        entry_share = np.zeros((len(support), n_cands))
        for c in range(n_cands):
            np.add.at(entry_share[:, c], cs.support_index[:, c], share[:, 0])
        fixed = [e for e, v in enumerate(support) if np.isscalar(v)]
        drawn = [e for e, v in enumerate(support) if not np.isscalar(v)]
        base = (entry_share[fixed] * np.array([support[e] for e in fixed])[:, None]).sum(axis=0)[
            :, None
        ]
        if drawn:
            per_trial = np.empty((n_cands, n))
            term = np.empty(n)
            for c in range(n_cands):
                per_trial[c] = base[c, 0]
                for e in drawn:
                    if entry_share[e, c]:
                        np.multiply(support[e], entry_share[e, c], out=term)
                        per_trial[c] += term
            base = per_trial
    else:
        table = trials.table(support, n)
        base = np.stack(
            [(share * table[cs.support_index[:, c]]).sum(axis=0) for c in range(n_cands)]
        )
    # What each objecting member's support adds to the candidate: (U, 1) or (U, n).
    pair_support = [support[e] for e in pair_entry]
    if all(np.isscalar(v) for v in pair_support) or share.shape[1] > 1:
        contrib = share[cs.pair_member] * trials.table(pair_support, n)
    else:
        contrib = np.empty((len(pair_entry), n))
        for pair, (member, value) in enumerate(zip(cs.pair_member, pair_support, strict=True)):
            np.multiply(value, share[member, 0], out=contrib[pair])
    return base, contrib


def run_block(
    cs: Compiled,
    n: int,
    rng: np.random.Generator,
    param_rng: Callable[[int], np.random.Generator] | None = None,
) -> Counts:
    """Simulate `n` trials of the scenario and return their counts.

    A trial's appointment and the chances of its lifts and withdrawals depend only on its
    state, which changes only through those events (and through the calendar: a candidate
    entering, an `until` round). So each round looks again only at the trials whose state
    changed, or at every open one when the calendar says so; in the others a round is one
    comparison of its uniforms with the chances already set (a rule's `after` only decides
    which of those comparisons count).

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
    draws = Draws(rng, n, param_rng)
    layout = cs.engine_layout  # the same for every block: built once
    state = _Block(cs, n, draws, layout)
    counts = Counts.zeros(cs)
    counts.trials = n
    raised = trials.count_rows(layout.rules(state.standing))
    raised[layout.late_rules] = 0  # counted as their trials end (`_count_blockers`)
    counts.raised += raised
    n_open = n
    changed: np.ndarray | None = None  # trials to look at again; None: every open one
    # The state of the `changed` trials as the last round's end left it: gathered already.
    changed_state: tuple[np.ndarray, np.ndarray] | None = None

    for r in range(1, cs.rounds + 1):
        if n_open == 0:
            break
        if r in state.joined:
            state.join(r)  # a refresh round (Layout.refresh): every open trial is looked at
        look_at, known = (None, None) if layout.refresh[r] else (changed, changed_state)
        seen = None
        if look_at is None or len(look_at):
            seen = _decide(state, layout, cs, r, look_at, known, draws, counts)
            n_open -= seen.decided
        if n_open == 0 or r == cs.rounds:
            break
        if n_open < COMPACT_BELOW * len(state.open):
            if seen is not None and seen.rows is not None:
                _set_chances(state, layout, seen)  # before those rows move
                seen = None
            rows = np.flatnonzero(state.open)
            _count_blockers(layout, counts, state, ~state.open)
            state.keep(rows)
            if seen is not None:
                seen = seen.kept(rows)  # no chances to set for the trials just ended
        if seen is not None:
            _set_chances(state, layout, seen)
        if state.extended_in is not None and r >= cs.early_after:
            n_open -= _extend_early(state, cs, r, counts)
            if n_open == 0:
                break
        lifts, quits, changed = _draw_events(state, layout, r, draws)
        if layout.until_all[r] or len(changed) > DENSE_ABOVE * n_open:
            changed = None  # every open trial: cheaper than picking most of them out
        changed_state = None
        if changed is None or len(changed):
            changed_state = _apply_events(state, layout, cs, r, changed, lifts, quits, counts)

    _count_blockers(layout, counts, state, None)
    extended = 0
    if n_open and cs.extend:
        chance = state.extend_chance
        if isinstance(chance, np.ndarray) or chance < 1.0:
            drawn = draws.aligned(1, state.trial)[0] < chance
            extended = int(np.count_nonzero(drawn & state.open))
        else:
            extended = n_open
    n_cands = len(cs.candidate_ids)
    counts.outcomes[n_cands] += extended
    counts.outcomes[n_cands + 1] += n_open - extended
    counts.uniforms = draws.count
    return counts


@dataclass
class _Seen:
    """What a round's appointment step found in the trials it looked at: enough to set the
    chances of their lifts and withdrawals."""

    decided: int  # how many of them were decided
    rows: np.ndarray | None  # the trials; None: every trial of the working set
    standing: np.ndarray
    active: np.ndarray
    live: np.ndarray | None  # which are still open; None: all

    def kept(self, rows: np.ndarray) -> _Seen:
        """The same, once the working set keeps only `rows` (the open trials)."""
        return _Seen(
            self.decided,
            None,
            trials.take(self.standing, rows),
            trials.take(self.active, rows),
            None,
        )


def _decide(
    state: _Block,
    layout: Layout,
    cs: Compiled,
    r: int,
    rows: np.ndarray | None,
    known: tuple[np.ndarray, np.ndarray] | None,
    draws: Draws,
    counts: Counts,
) -> _Seen:
    """Round r's appointments in the open trials at `rows` (None: every open trial).

    `known` is (standing, in_race) at `rows` when the caller has them, else None.
    """
    cols = layout.columns(r)
    # Entered and not withdrawn: (C, 1) or (C, n).
    standing, in_race = known or (
        trials.pick(state.standing, rows),
        trials.pick(state.in_race, rows),
    )
    active = in_race if layout.all_entered[r] else in_race & layout.entered[r]
    if layout.not_yet[r]:
        # Objections of members yet to join do not exist: they neither block nor lift.
        standing = standing.copy()
        standing[layout.not_yet[r]] = False
    if len(layout.floated):
        active = _declared(active, layout, trials.pick(state.declared_from, rows) > r)
    pairs = layout.pairs(standing)
    eligible = ~cols.objected(pairs)
    if rows is None:
        eligible &= state.open  # `rows` holds open trials only
    eligible = trials.and_rows(eligible, active[cols.look_candidates])
    eligible = trials.and_rows(
        eligible, trials.pick_rows(state.qualifies, cols.look_candidates, rows)
    )
    decided_here = trials.any_row(eligible)
    decided = np.flatnonzero(decided_here)
    if len(decided):
        where = decided if rows is None else rows[decided]  # in the working set
        # The row in cols.look of the candidate each decided trial appoints.
        picked = _choose(
            np.take(eligible, decided, axis=1), state.base, cols.look_candidates, where, draws
        )
        state.open[where] = False
        if state.ended is not None:
            state.ended[where] = r
        if len(cols.look) <= 4:  # a count per row costs less than bincount's
            for row, candidate in enumerate(cols.look):
                counts.outcomes[candidate] += np.count_nonzero(picked == row)
        else:
            counts.outcomes[cols.look] += np.bincount(picked, minlength=len(cols.look))
        counts.decided_round[r - 1] += len(decided)

    live = None  # which of the trials looked at are still open; None: all
    if rows is None:
        live = ~decided_here
        live &= state.open
    elif len(decided):
        live = ~decided_here
    return _Seen(len(decided), rows, standing, active, live)


def _first_event(
    uniform: np.ndarray, chance: np.ndarray | float, first: int, rounds: int
) -> np.ndarray:
    """The round of an event that may happen in each round from `first` on with `chance`
    (a float, or one per trial), from one uniform per trial: first + G - 1 with G geometric
    on 1, 2, ..., by inversion, G = floor(log(1 - u) / log(1 - chance)) + 1. Capped at
    rounds + 1, never: so it fits int16."""
    tries = np.negative(uniform)
    np.log1p(tries, out=tries)
    chance = np.asarray(chance, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):  # chance 0 or 1: set below
        tries /= np.log1p(-chance)
    np.floor(tries, out=tries)
    # log(1 - 0) = 0 and log(1 - 1) = -inf give 0/0 or x/0, and x/-inf: never, or at once.
    never, at_once = chance <= 0.0, chance >= 1.0
    if never.any() or at_once.any():
        tries = np.where(never, np.inf, np.where(at_once, 0.0, tries))
    tries += first
    np.minimum(tries, rounds + 1, out=tries)
    return tries.astype(np.int16)


def _declared(active: np.ndarray, layout: Layout, undeclared: np.ndarray) -> np.ndarray:
    """`active` (C, 1) or (C, n), less the floated names that have not declared (F, n)."""
    out = np.empty((len(active), undeclared.shape[1]), dtype=bool)
    out[:] = active
    out[layout.floated_rows] &= ~undeclared
    return out


def _open_only(seen: _Seen) -> _Seen | None:
    """The trials of `seen` (picked out, some just decided) still open, None if none is.

    The chances of those just decided are left as they were: an ended trial's events are
    never looked at (`_draw_events`, `_apply_events`).
    """
    rows, live = seen.rows, seen.live
    assert rows is not None and live is not None  # picked-out trials, some of them ended
    still = np.flatnonzero(live)
    if not len(still):
        return None
    return _Seen(
        seen.decided,
        rows[still],
        np.take(seen.standing, still, axis=1),
        trials.take(seen.active, still),
        None,
    )


def _seen_backing(state: _Block, layout: Layout, seen: _Seen) -> np.ndarray:
    """The backings of the candidates `layout.backed` lists for the block, in the trials seen.

    Only the chances of lifts and withdrawals need them: a candidate with no objection
    standing, the only kind that can win, is backed by its base.
    """
    backed, rows = layout.backed[state.may_withdraw], seen.rows
    base = (
        trials.pick(state.base, rows)
        if backed.all
        else trials.pick_rows(state.base, backed.rows, rows)
    )
    contrib = trials.pick_rows(state.contrib, backed.pair_rows, rows)
    pairs = layout.pairs(seen.standing)
    # Picked out of a per-trial base, the trials' bases are a copy of their own, and the
    # backings are written over it. Otherwise the base is the block's own (every trial, or
    # one column for all): the backings go to a new array.
    if rows is None or state.base.shape[1] == 1:
        base = np.broadcast_to(base, (len(base), pairs.shape[1])).copy()
    return _backing(base, pairs, contrib, backed.pairs_of)


def _backing(
    base: np.ndarray, pairs: np.ndarray, contrib: np.ndarray, pairs_of: list[list[int]]
) -> np.ndarray:
    """Each candidate's backing, written over `base`: its base less what the pairs still
    objecting withhold.

    `base` has a row per candidate and a column per trial, `pairs` a row per pair,
    `contrib` one per pair of `pairs_of` (what its member's support adds), and `pairs_of`
    lists each candidate's pairs by their row in `pairs` and, in the same order, in
    `contrib`.
    """
    first = 0  # the row in `contrib` of the candidate's first pair
    for own, pairs_here in zip(base, pairs_of, strict=True):
        if not pairs_here:
            continue
        # Summed in the order of the pairs, without copying their rows out.
        total = pairs[pairs_here[0]] * contrib[first]
        for offset, pair in enumerate(pairs_here[1:], start=1):
            total += pairs[pair] * contrib[first + offset]
        own -= total
        first += len(pairs_here)
    return base


def _set_chances(state: _Block, layout: Layout, seen: _Seen) -> None:
    """Set the chances of steps a and b at the round's end in the trials just looked at,
    from the state seen there. Those that ended keep theirs: their events are ignored."""
    if seen.rows is not None and seen.live is not None:
        # Picked-out trials: work on those still open only, rather than mask the others.
        still_open = _open_only(seen)
        if still_open is None:
            return  # every trial looked at has just ended: no chance left to set
        seen = still_open
    rows, active, live = seen.rows, seen.active, seen.live
    backing = None
    if state.may_withdraw or (layout.n_liftable and not state.hazards_fixed):
        backing = _seen_backing(state, layout, seen)
    if layout.n_liftable:
        _set_hazards(state, layout, seen, backing)
    if state.may_withdraw:
        assert backing is not None  # computed above whenever someone may withdraw
        # Step b: candidates behind the front-runner withdraw with their probability.
        may = layout.quitter_rows
        # Every candidate is backed. Those not in the race count as backing 0: backings are
        # at least 0, so that never raises the front-runner's. Arithmetic, where np.where
        # costs five times as much; and none for those always in the race.
        top = None
        for c, always in enumerate(layout.always_active):
            value = backing[c] if always else backing[c] * active[c]
            top = value.copy() if top is None else np.maximum(top, value, out=top)
        assert top is not None  # there is at least one candidate
        top -= TOLERANCE
        behind = backing[may] < top
        behind &= active[may]
        if live is not None:
            behind &= live
        quit = trials.pick(state.withdraw, rows) * behind
        if state.decline is not None:
            # Declining happens in any standing: 1 - (1 - withdraw) (1 - decline), for every
            # quitter (those who never decline get 1 - (1 - withdraw)).
            keep = 1.0 - quit
            if layout.decliners:
                leaves = active[layout.decliner_cands]
                if live is not None:
                    leaves = leaves & live
                keep[layout.decliner_rows] *= 1.0 - trials.pick(state.decline, rows) * leaves
            quit = 1.0 - keep
        if rows is None:
            state.quit = quit
        else:
            trials.put(state.quit, rows, quit)


def _set_hazards(state: _Block, layout: Layout, seen: _Seen, backing: np.ndarray | None) -> None:
    """Step a: standing objections to active candidates lift with the bandwagon hazard.

    Set for every liftable unit, whether or not its rule's `after` lets it lift yet: the
    hazard depends on the state only, and the round's draws look at those that may.
    `backing` holds the backings `layout.backed` lists, None when the hazards are fixed
    already.
    """
    rows, active = seen.rows, seen.active
    standing = seen.standing[layout.liftable]
    can_lift = standing & seen.live if seen.live is not None else standing.copy()
    if state.hazards_fixed:
        # Set before for every trial (layout.fixed_hazards): 0 where the unit has lifted
        # since.
        hazard = trials.pick(state.hazard, rows)
        hazard *= can_lift
        if rows is None:
            state.hazard = hazard
        else:
            trials.put(state.hazard, rows, hazard)
        return
    assert backing is not None  # given whenever the hazards are not fixed
    bandwagon = trials.pick(state.bandwagon, rows)
    log_keep = trials.pick(state.log_keep, rows)
    position = layout.backed[state.may_withdraw].position
    if layout.liftable_cand is not None:
        # Each objection concerns one candidate: 1 + bandwagon * backing once per candidate,
        # then one product per unit, with no rows copied out.
        exponent = {}
        for c in layout.objected:
            exponent[c] = np.multiply(bandwagon, backing[position[c]])
            exponent[c] += 1.0
        hazard = np.empty(can_lift.shape)
        for unit, c in enumerate(layout.liftable_cand):
            np.multiply(log_keep[unit], exponent[c], out=hazard[unit])
            if layout.always_active[c]:
                continue
            if active.shape[1] > 1:
                can_lift[unit] &= active[c]
            elif not active[c, 0]:
                can_lift[unit] = False
    else:
        # A bloc against several candidates feels the highest backing among those active,
        # and can lift only while one of them is. Those not in the race count as backing 0:
        # backings are at least 0, so that never raises the highest.
        hazard = np.empty(can_lift.shape)
        for unit, (first, *others) in enumerate(layout.liftable_cands):
            pressure = backing[position[first]] * active[first]
            any_active = active[first].copy()
            for c in others:
                np.maximum(pressure, backing[position[c]] * active[c], out=pressure)
                any_active |= active[c]
            np.multiply(bandwagon, pressure, out=hazard[unit])
            hazard[unit] += 1.0
            hazard[unit] *= log_keep[unit]
            can_lift[unit] &= any_active
    # hazard = 1 - exp(log_keep * (1 + bandwagon * pressure)), in place. exp costs half of
    # expm1, and the digits expm1 would keep below 1e-16 are finer than a uniform's.
    np.exp(hazard, out=hazard)
    np.subtract(1.0, hazard, out=hazard)
    hazard *= can_lift
    if rows is None:
        state.hazard = hazard  # a new array: no need to copy it over the old one
        state.hazards_fixed = layout.fixed_hazards
    else:
        trials.put(state.hazard, rows, hazard)


def _draw_events(state: _Block, layout: Layout, r: int, draws: Draws):
    """Steps a and b in every trial of the working set: which units lift, who withdraws.

    Returns the lifts (units, trials) or None, the withdrawals (quitters, trials) or None,
    and the trials with any.
    """
    lifts = quits = None
    events = None
    if layout.n_units:
        # Drawn for every unit; looked at for those that may lift.
        uniforms = draws.aligned(layout.n_units, state.trial, layout.liftable)
        weight = layout.round_weight[r + 1]
        if layout.may_lift[r] and weight > 0:
            if weight != 1.0:
                # Going into a meeting of weight w a unit lifts with 1 - (1 - h)^w: the same
                # as comparing 1 - (1 - u)^(1/w) with h, which leaves the hazards alone.
                uniforms = 1.0 - np.power(1.0 - uniforms, 1.0 / weight)
            lifts = np.less(uniforms, state.hazard, out=np.empty(uniforms.shape, dtype=bool))
            for unit in layout.waiting[r]:  # its rule's `after` is still to come
                lifts[unit] = False
        if lifts is not None:
            events = trials.any_row(lifts)
    if state.may_withdraw:
        uniforms = draws.aligned(len(layout.quitters), state.trial)
        quits = uniforms < state.quit
        events = trials.any_row(quits) if events is None else events | trials.any_row(quits)
    declaring = state.declared_from[state.declaring]
    if len(declaring):
        # A name declaring at the round's end makes its trial one to look at again.
        declares = trials.any_row(declaring == r + 1)
        events = declares if events is None else events | declares
    if events is None:
        return lifts, quits, np.zeros(0, dtype=np.intp)
    # Ended trials keep the chances they had and so may draw events: they are ignored.
    events &= state.open
    return lifts, quits, np.flatnonzero(events)


def _extend_early(state: _Block, cs: Compiled, r: int, counts: Counts) -> int:
    """End the open trials in which the allies agree in round r to extend the incumbent's term
    before the deadline; how many."""
    assert state.extended_in is not None  # drawn when the trial started
    ends = np.flatnonzero((state.extended_in == r) & state.open)
    if len(ends):
        state.open[ends] = False
        if state.ended is not None:
            state.ended[ends] = r
        counts.outcomes[len(cs.candidate_ids)] += len(ends)
        counts.early_round[r - 1] += len(ends)
    return len(ends)


def _apply_events(
    state: _Block,
    layout: Layout,
    cs: Compiled,
    r: int,
    rows: np.ndarray | None,
    lifts: np.ndarray | None,
    quits: np.ndarray | None,
    counts: Counts,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Apply the lifts and withdrawals at `rows` (None: every trial of the working set), then
    step c in the open ones; count the rules that stop standing.

    Returns the new (standing, in_race) at `rows`, which the next round looks at; None when
    `rows` is None.
    """
    if rows is None:
        # Ended trials keep the chances they had, so they may have drawn events: ignored.
        for events in (lifts, quits):
            if events is not None:
                events &= state.open
    standing = trials.pick(state.standing, rows)
    before = layout.rules(standing)
    # Only standing objections have a chance to lift: flipping them clears them.
    if lifts is not None and layout.n_liftable == len(standing):
        standing = standing ^ trials.pick(lifts, rows)
    else:
        standing = standing.copy()
        if lifts is not None:
            standing[layout.liftable] ^= trials.pick(lifts, rows)
    in_race = state.in_race
    if quits is not None:
        in_race = trials.pick(state.in_race, rows)  # every row: changed in place
        in_race[layout.quitter_rows] &= ~trials.pick(quits, rows)
    _apply_until(cs, layout, r, standing, in_race, state.open if rows is None else None)
    # A rule only ever goes from standing to not, and an ended trial changes no more: count
    # the lift now, in the round it happens, rather than carry its date to the trial's end.
    stopped = trials.count_rows(before ^ layout.rules(standing))
    counts.lifted += stopped
    counts.lift_round[:, r + 1] += stopped  # round r + 1 is the first it no longer stands
    if rows is None:
        state.standing = standing
        return None
    # Written back only where they can have changed.
    trials.put_rows(state.standing, layout.moving_units, rows, standing)
    if quits is not None:
        trials.put_rows(state.in_race, layout.quitters, rows, in_race)
    return standing, in_race


def _count_blockers(
    layout: Layout, counts: Counts, state: _Block, leaving: np.ndarray | None
) -> None:
    """Count the pairs still objecting in the ended trials marked in `leaving` (None: every
    trial of the working set), and the raised rules that `Layout.late_rules` lists.

    A candidate appointed has no pair standing against it, so every standing pair in a
    decided trial blocked a candidate who lost; in an undecided one, every candidate lost.
    An ended trial's state no longer changes, so its blockers are counted once, when it
    leaves the working set (compacted away, or at the block's end), rather than round by
    round as trials end. Objections to a candidate who had not entered when the trial ended
    blocked nobody, and a rule whose raised objections did not exist yet was not raised.
    """
    pairs = layout.pairs(state.standing)
    if layout.late_pairs:
        # A member who had not joined when the trial ended objected to nobody.
        assert state.ended is not None  # kept whenever a member joins late
        pairs = pairs.copy()
        for pair, joins in layout.late_pairs:
            pairs[pair] &= state.ended >= joins
    # Masked, not picked out: ANDing a row over every trial costs a tenth of a gather.
    still = pairs & leaving if leaving is not None else pairs
    if layout.late_candidates:
        still = still.copy() if still is pairs else still
        for c, entry in layout.late_candidates:
            assert state.ended is not None  # kept whenever a candidate enters late
            still[layout.pairs_of[c]] &= state.ended >= entry
    counts.blocked += trials.count_rows(still)
    for pairs_of in layout.pairs_of:
        # A pair is the sole blocker when no other pair of its candidate still objects.
        if len(pairs_of) == 1:
            counts.pivotal[pairs_of[0]] += np.count_nonzero(still[pairs_of[0]])
        elif pairs_of:
            alone = pairs[pairs_of].sum(axis=0, dtype=np.int16) == 1
            counts.pivotal[pairs_of] += trials.count_rows(still[pairs_of] & alone)
    for row, k in enumerate(layout.late_rules):
        assert state.first_raised is not None and state.ended is not None  # kept when late
        raised = state.first_raised[row] <= state.ended
        if leaving is not None:
            raised &= leaving
        counts.raised[k] += np.count_nonzero(raised)


def _first_raised(layout: Layout, standing: np.ndarray, rounds: int) -> np.ndarray:
    """For each rule of `layout.late_rules`, the first round in which one of its raised
    objections exists, per trial; rounds + 1 where none is raised."""
    first = np.full((len(layout.late_rules), standing.shape[1]), rounds + 1, dtype=np.int16)
    for row, units in enumerate(layout.late_rule_units):
        for unit, entry in units:
            np.minimum(first[row], np.where(standing[unit], entry, rounds + 1), out=first[row])
    return first


def _choose(
    eligible: np.ndarray,
    base: np.ndarray,
    look: slice | np.ndarray,
    columns: np.ndarray,
    draws: Draws,
) -> np.ndarray:
    """Row of the best-backed eligible candidate in each column (each has one or more).

    `eligible` has a row per candidate of `look` (rows of `base`) and a column per trial at
    `columns` of the working set. An eligible candidate's backing is its base. Mostly one
    candidate is eligible: only where several are do backings need comparing.
    """
    if len(eligible) == 1:
        return np.zeros(eligible.shape[1], dtype=np.intp)
    choice = trials.first_row(eligible)
    if len(eligible) == 2:
        several = np.flatnonzero(eligible[0] & eligible[1])
    else:
        several = np.flatnonzero(eligible.sum(axis=0, dtype=np.int16) > 1)
    if len(several):
        # np.take, not [:, several]: that indexing returns a column-major array, on which
        # every reduction down the candidates costs several times more.
        scores = np.where(
            np.take(eligible, several, axis=1),
            trials.pick_rows(base, look, columns[several]),
            -np.inf,
        )
        choice[several] = _pick_best(scores, draws)
    return choice


def _pick_best(scores: np.ndarray, draws: Draws) -> np.ndarray:
    """Row of the highest score in each column, ties broken uniformly at random."""
    if len(scores) == 1:
        return np.zeros(scores.shape[1], dtype=np.intp)
    tied = scores >= scores.max(axis=0) - TOLERANCE
    n_tied = tied.sum(axis=0, dtype=np.int16)  # narrow sums down a short axis are fastest
    choice = trials.first_row(tied)
    cols = np.flatnonzero(n_tied > 1)
    if len(cols):
        # The pick-th tied row (from 0): the tied row with `pick` tied rows above it.
        pick = (draws.uniform((len(cols),)) * n_tied[cols]).astype(np.int16)
        sub = np.take(tied, cols, axis=1)
        # Rows at or below the picked one: those whose count of tied rows so far passed pick.
        passed = np.cumsum(sub, axis=0, dtype=np.int16) > pick
        choice[cols] = trials.first_row(passed)
    return choice


def _apply_until(
    cs: Compiled,
    layout: Layout,
    r: int,
    standing: np.ndarray,
    in_race: np.ndarray,
    open_: np.ndarray | None,
) -> None:
    """Step c, in place: lift objections whose `until` condition holds, until nothing changes.

    Only objections that exist in round r + 1 are lifted, and a rule waited on counts as
    lifted only once all its objections exist (`Layout.until_units`, `Layout.rule_settled`).
    `open_` marks the trials still open when some have ended (their state stays as it was).
    """
    changed = bool(layout.until_rules)
    while changed:
        changed = False
        rule_standing = layout.rules(standing)
        for k in layout.until_rules:
            by_round = layout.until_units[k]
            units = layout.rules.groups[k] if by_round is None else by_round[r]
            holds = np.zeros(standing.shape[1], dtype=bool)
            for cond in cs.rule_until[k]:
                if cond.kind == "withdrawn":
                    holds |= ~in_race[cond.target]
                elif cond.kind == "lifted":
                    if r + 1 >= layout.rule_settled[cond.target]:
                        holds |= ~rule_standing[cond.target]
                elif r + 1 >= cond.target:
                    holds[:] = True
            if open_ is not None:
                holds &= open_
            if (holds & standing[units]).any():
                standing[units] &= ~holds
                rule_standing = layout.rules(standing)
                changed = True
