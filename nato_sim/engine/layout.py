"""The engine's index tables for one scenario: which units, pairs, rules and candidates
belong together, with shortcuts where the relation is trivial.

They are the same for every block of a scenario, so `Compiled.engine_layout` builds them once.
"""

from __future__ import annotations

import numpy as np

from nato_sim.engine.compiled import Compiled


def rows_of(indices) -> slice | np.ndarray:
    """The given rows as a slice when they are consecutive, else as an index array: a slice
    selects a view, where an index array copies the rows."""
    indices = [int(i) for i in indices]
    if indices and indices == list(range(indices[0], indices[-1] + 1)):
        return slice(indices[0], indices[-1] + 1)
    return np.array(indices, dtype=np.intp)


class AnyOf:
    """Rows that each say whether any row of a group of another array's rows is True."""

    def __init__(self, groups: list[list[int]]) -> None:
        self.groups = [rows_of(g) for g in groups]
        # Usually each group is one row, often in order (one unit per pair, one per rule):
        # then a selection, or nothing at all, does; a product of incidences would cost more.
        self.single = (
            np.array([g[0] for g in groups], dtype=np.intp)
            if all(len(g) == 1 for g in groups)
            else None
        )
        self.identity = groups == [[row] for row in range(len(groups))]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.identity and len(x) == len(self.groups):
            return x
        if self.single is not None:
            return x[self.single]
        out = np.zeros((len(self.groups), x.shape[1]), dtype=bool)
        for row, group in enumerate(self.groups):
            np.logical_or.reduce(x[group], axis=0, out=out[row])
        return out


def _is_zero(param) -> bool:
    """Whether a parameter is the constant 0."""
    return param.is_const and param.a == 0


class Layout:
    """How units, pairs, rules and candidates relate, as arrays, with shortcuts when trivial.

    The same for every block of a scenario: use `Compiled.engine_layout`, built once.
    """

    def __init__(self, cs: Compiled) -> None:
        n_pairs, n_units, n_rules = len(cs.pair_member), len(cs.unit_rule), len(cs.rule_ids)
        n_cands = len(cs.candidate_ids)
        self.pairs = AnyOf(
            [[u for u, group in enumerate(cs.unit_pairs) if p in group] for p in range(n_pairs)]
        )
        self.rules = AnyOf([np.flatnonzero(cs.unit_rule == k).tolist() for k in range(n_rules)])
        # Each candidate's pairs, leaving out those only a rule with chance 0 covers: they
        # never stand, so they never withhold support, block or count as a blocker.
        raised = [not _is_zero(cs.rule_chance[k]) for k in cs.unit_rule]
        can_stand = np.zeros(n_pairs, dtype=bool)
        for unit, group in enumerate(cs.unit_pairs):
            can_stand[list(group)] |= raised[unit]
        self.pairs_of = [
            np.flatnonzero((cs.pair_candidate == c) & can_stand).tolist() for c in range(n_cands)
        ]
        # Pressure on a bloc that blocks several candidates is the highest backing among them.
        self.unit_cands = [list(c) for c in cs.unit_candidates]
        single = all(len(c) == 1 for c in self.unit_cands)
        self.unit_cand = (
            np.array([c[0] for c in self.unit_cands], dtype=np.intp) if single else None
        )
        # The candidates objections concern, each once.
        self.objected = sorted({c for cands in self.unit_cands for c in cands})
        # The units that may ever lift: those of a rule that may be raised and whose lift is
        # not the constant 0. The others (a hard veto, a rule kept with chance 0) keep a hazard
        # of 0 throughout: none is computed or stored for them. A slice when they are
        # consecutive (usually all units), so that selecting them copies nothing.
        liftable = [
            u
            for u, k in enumerate(cs.unit_rule)
            if not _is_zero(cs.rule_lift[k]) and not _is_zero(cs.rule_chance[k])
        ]
        self.n_liftable = len(liftable)
        self.liftable = rows_of(liftable)
        self.liftable_cand = None if self.unit_cand is None else self.unit_cand[liftable]
        self.liftable_cands = [self.unit_cands[u] for u in liftable]
        after = cs.rule_after[cs.unit_rule[liftable]] if liftable else np.zeros(0, dtype=int)
        # Whether any unit may lift at the end of round r: with none, the round's draws are
        # not looked at.
        self.may_lift = [bool((after <= r + 1).any()) for r in range(cs.rounds + 1)]
        # The liftable units (their rows among them) whose rule's `after` keeps them from
        # lifting at the end of round r.
        self.waiting = [np.flatnonzero(after > r + 1).tolist() for r in range(cs.rounds + 1)]
        self.until_rules = [k for k in range(n_rules) if cs.rule_until[k]]
        # The units whose standing can change after round 1: those that may lift, or be
        # lifted by an `until` condition, and may have been raised.
        self.moving_units = [
            u
            for u, k in enumerate(cs.unit_rule)
            if u in liftable or (k in self.until_rules and not _is_zero(cs.rule_chance[k]))
        ]
        self.n_units = n_units
        # A candidate no objection concerns has the same backing in every round: if it is not
        # eligible in the round it enters, it never is. The rounds after that look only at the
        # candidates with objections (and at newcomers), which is often one or two rows.
        objected = np.zeros(n_cands, dtype=bool)
        objected[cs.pair_candidate] = True
        entry = np.maximum(cs.enters, 1)
        # Floated names that have not declared yet: in the race, talked about and objected
        # to, but they cannot be appointed, lead the field or feel pressure until they do.
        # Whether they have is per trial, so every round looks at them.
        self.floated = np.array(
            [c for c, chance in enumerate(cs.declare_chance) if chance is not None],
            dtype=np.intp,
        )
        self.floated_rows = rows_of(self.floated)
        may_declare = np.zeros(n_cands, dtype=bool)
        may_declare[self.floated] = True
        # Members who join during the race: from the round each joins, it counts in every
        # backing and its objections exist. The rounds in which someone joins start a new
        # membership (an epoch), with the members counted from then on.
        join = (
            cs.member_joins
            if cs.member_joins is not None
            else np.ones(len(cs.member_ids), dtype=np.int64)
        )
        self.join_rounds = sorted({int(k) for k in join if 1 < k <= cs.rounds})
        self.epochs = [(1, join <= 1)] + [(k, join <= k) for k in self.join_rounds]
        # Backings change when someone joins: every candidate may become eligible then.
        self.look = [
            np.flatnonzero(objected | may_declare | (entry == r) | (r in self.join_rounds))
            for r in range(cs.rounds + 1)
        ]
        # The first round in which each floated name may be appointed, and the meeting
        # weight of each round (1 for evenly spaced rounds): rounds 0 and R + 1 too.
        self.declare_after = (
            cs.declare_after[self.floated]
            if cs.declare_after is not None
            else np.ones(0, dtype=np.int64)
        )
        weights = cs.round_weights
        self.round_weight = [
            1.0 if weights is None or not 1 <= r <= len(weights) else weights[r - 1]
            for r in range(cs.rounds + 2)
        ]
        self.everyone = np.arange(n_cands)
        # Who has entered by round r, as a column; and whether everyone has.
        self.entered = [(cs.enters <= r)[:, None] for r in range(cs.rounds + 1)]
        self.all_entered = [bool(column.all()) for column in self.entered]
        # An objection exists from the round its candidate enters (a bloc over several
        # candidates, from the first of them): before that it neither blocks nor lifts, not
        # even by `until`. Raised or not is drawn with the trial's first numbers all the same,
        # so that every trial keeps its random numbers whatever the calendar.
        # An objection of a member who joins late exists from the round it joins (the format
        # lets a `together` bloc join only as one).
        unit_join = [
            max(int(join[cs.pair_member[p]]) for p in group) if group else 1
            for group in cs.unit_pairs
        ]
        self.unit_entry = np.array(
            [
                max(min(int(entry[c]) for c in cands) if cands else 1, joined)
                for cands, joined in zip(self.unit_cands, unit_join, strict=True)
            ],
            dtype=np.int64,
        )
        # The objections that do not exist yet in round r although their candidates are in
        # the race: their member has not joined. The appointment step leaves them out.
        self.not_yet = [
            [u for u in range(n_units) if unit_join[u] > r] for r in range(cs.rounds + 1)
        ]
        # Pairs of members who join late, with the round they join: in a trial that ended
        # before, they blocked nobody.
        self.late_pairs = [(p, int(join[m])) for p, m in enumerate(cs.pair_member) if join[m] > 1]
        units_of = [np.flatnonzero(cs.unit_rule == k) for k in range(n_rules)]
        # The round from which all of a rule's objections exist: only then can the rule count
        # as lifted for another's `until: {lifted: ...}`.
        self.rule_settled = [
            int(self.unit_entry[units].max()) if len(units) else 1 for units in units_of
        ]
        # The units of each `until` rule that step c may lift at the end of round r: all of
        # them (None), or those that exist by round r + 1.
        self.until_units: dict[int, list | None] = {}
        for k in self.until_rules:
            units = units_of[k]
            self.until_units[k] = (
                None
                if (self.unit_entry[units] <= 1).all()
                else [rows_of(units[self.unit_entry[units] <= r + 1]) for r in range(cs.rounds + 1)]
            )
        # Objections to candidates who enter late: a trial that ends before their candidate
        # enters never saw them, so there they count neither as raised nor as blockers. The
        # rules with such objections, with each unit's row and first round; and the late
        # candidates with pairs, with their first round.
        self.late_rules = [k for k in range(n_rules) if (self.unit_entry[units_of[k]] > 1).any()]
        self.late_rule_units = [
            [(int(u), int(self.unit_entry[u])) for u in units_of[k]] for k in self.late_rules
        ]
        self.late_candidates = [
            (c, int(entry[c])) for c in range(n_cands) if entry[c] > 1 and self.pairs_of[c]
        ]

        # Rounds whose end applies `until` to every open trial: those from which a `round`
        # condition holds; the first from which a rule waited on is settled (it may never
        # have been raised); and the last before an objection with a condition comes to
        # exist (its condition may hold already). Otherwise a condition can only come to hold
        # in a trial whose state just changed: a candidate withdrew, a rule lifted.
        conditions = [cond for k in self.until_rules for cond in cs.rule_until[k]]
        starts = {max(cond.target - 1, 1) for cond in conditions if cond.kind == "round"}
        starts |= {
            max(self.rule_settled[cond.target] - 1, 1)
            for cond in conditions
            if cond.kind == "lifted"
        }
        starts |= {
            int(self.unit_entry[u]) - 1
            for k in self.until_rules
            for u in units_of[k]
            if self.unit_entry[u] > 1
        }
        self.until_all = [r in starts for r in range(cs.rounds + 1)]
        # Rounds in which every open trial is looked at again, not only those whose state
        # changed: the first, those in which a candidate enters, and those after an `until`
        # applied to all.
        self.refresh = [
            r <= 1 or bool((entry == r).any()) or self.until_all[r - 1] or r in self.join_rounds
            for r in range(cs.rounds + 1)
        ]

        # Candidates whose withdraw or decline chance is not the constant 0: the only ones
        # that may leave the race.
        self.quitters = np.array(
            [
                c
                for c, p in enumerate(cs.withdraw)
                if not _is_zero(p) or (cs.decline and not _is_zero(cs.decline[c]))
            ],
            dtype=np.intp,
        )
        self.quitter_rows = rows_of(self.quitters)
        # Of those, the ones whose decline chance is not the constant 0: their rows in
        # `quitters`, and as rows of the candidates.
        self.decliners = [
            q for q, c in enumerate(self.quitters) if cs.decline and not _is_zero(cs.decline[c])
        ]
        self.decliner_rows = rows_of(self.decliners)
        self.decliner_cands = rows_of(self.quitters[self.decliners])
        # Candidates in the race from round 1 who never withdraw: active in every round.
        self.always_active = cs.enters <= 1
        self.always_active[self.quitters] = False
        self.always_active[self.floated] = False
        # Whether every liftable unit feels a pressure that never changes while it stands:
        # it is the only unit against its one candidate, who is in the race from round 1 and
        # never withdraws. Its candidate's backing is then the same in every round in which it
        # stands, and so is its hazard: set once, it only ever drops to 0.
        units_against = [
            [u for u, cands in enumerate(self.unit_cands) if c in cands] for c in range(n_cands)
        ]
        self.fixed_hazards = (
            self.liftable_cand is not None
            and not self.join_rounds
            and all(
                units_against[c] == [u] and self.always_active[c]
                for u, c in zip(liftable, self.liftable_cand, strict=True)
            )
        )
        self._columns: dict[int, Columns] = {}
        # Whose backings the chances need: those of the candidates objections concern, for
        # the lift hazards; everyone's when someone may withdraw (key True), to tell who is
        # behind the front-runner.
        self.backed = {
            False: Backed(self, np.array(self.objected, dtype=np.intp)),
            True: Backed(self, self.everyone),
        }

    def columns(self, r: int) -> Columns:
        """The candidates round r looks at."""
        if r not in self._columns:
            self._columns[r] = Columns(self, self.look[r])
        return self._columns[r]


class Columns:
    """The candidates of one round that may win."""

    def __init__(self, layout: Layout, look: np.ndarray) -> None:
        self.look = look
        self.look_candidates = rows_of(look)
        self.objected = AnyOf([layout.pairs_of[c] for c in look])


class Backed:
    """The candidates whose backings the chances need, and the pairs their backings sum over."""

    def __init__(self, layout: Layout, candidates: np.ndarray) -> None:
        self.candidates = candidates  # in the order of the backings' rows
        self.all = len(candidates) == len(layout.everyone)
        self.rows = rows_of(candidates)
        self.pairs_of = [layout.pairs_of[c] for c in candidates]
        # The rows of the pairs the backings sum over, in that order: those of `contrib`.
        self.pair_rows = rows_of([p for pairs in self.pairs_of for p in pairs])
        # The row of each candidate's backing; -1 for those not backed.
        self.position = np.full(len(layout.everyone), -1, dtype=np.intp)
        self.position[candidates] = np.arange(len(candidates))
