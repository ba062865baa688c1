"""A slow, plain reference implementation of the model (docs/model.md), one trial at a time.

It is written from the model's text with Python loops over members, candidates and rules, and
shares nothing with the engine but the validated
:class:`~nato_sim.scenario.schema.Scenario`: it expands
the rules and resolves support precedence itself, draws with its own calls to the generator,
and keeps the state of one trial in sets. Statistical tests compare its frequencies with the
engine's; the benchmark times it against the engine.

Also holds the small helpers the engine tests share (`make_scenario`, `engine_counts`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nato_sim.engine.compiled import compile_scenario
from nato_sim.engine.rounds import Counts
from nato_sim.running.runner import run_seeded_block
from nato_sim.scenario.schema import (
    Beta,
    LiftedCondition,
    RoundCondition,
    Scenario,
    TagSelector,
    Uniform,
    WithdrawnCondition,
)

# Backings that differ by less than this are equal, for ties and for `min_support`: the same
# shares summed in another order may differ in the last bits (the engine uses the same rule).
TOLERANCE = 1e-9


def draw(value: float | Uniform | Beta, rng: np.random.Generator) -> float:
    """One draw of a scenario value: a number, {uniform: [lo, hi]} or {beta: [a, b]}."""
    if isinstance(value, Uniform):
        return float(rng.uniform(*value.uniform))
    if isinstance(value, Beta):
        return float(rng.beta(*value.beta))
    return float(value)


def _select(selector: Any, entities: list) -> list[int]:
    """Indexes of the members or candidates a rule names."""
    if selector == "all":
        return list(range(len(entities)))
    if isinstance(selector, TagSelector):
        if selector.without is not None:
            return [i for i, e in enumerate(entities) if selector.without not in e.tags]
        return [i for i, e in enumerate(entities) if selector.tag in e.tags]
    ids = [e.id for e in entities]
    return sorted({ids.index(name) for name in selector})


@dataclass
class Unit:
    """Objections raised and lifted as one: a single pair, or a whole `together` rule."""

    rule: int
    pairs: list[tuple[int, int]]  # (member, candidate)


@dataclass
class Model:
    """The scenario's structure, resolved once: who objects to whom, which entry applies."""

    scenario: Scenario
    units: list[Unit]
    support_entry: list[list[Any]]  # [m][c] -> the schema value that applies
    entries: list[Any]  # distinct support values, one draw each per trial

    @classmethod
    def of(cls, scenario: Scenario) -> Model:
        """Expand the rules into units and resolve support precedence."""
        members, cands = scenario.members, scenario.candidates
        units = []
        for k, rule in enumerate(scenario.objections):
            pairs = [
                (m, c)
                for c in _select(rule.candidates, cands)
                for m in _select(rule.members, members)
            ]
            if rule.together and pairs:
                units.append(Unit(k, pairs))
            else:
                units.extend(Unit(k, [pair]) for pair in pairs)
        table = [[_support_value(scenario, member, cand) for cand in cands] for member in members]
        entries: list[Any] = []
        for row in table:
            for value in row:
                if not any(value is seen for seen in entries):
                    entries.append(value)
        return cls(scenario, units, table, entries)


def _support_value(scenario: Scenario, member, cand) -> Any:
    """Member entry, else the last `set` preference that selects both, else the last listed
    tag entry the member has, else defaults; then the `add` preferences that select both,
    summed, added and clipped to [0, 1]."""
    spec = scenario.support.candidates.get(cand.id)
    if spec is not None and member.id in spec.members:
        return spec.members[member.id]
    chosen = [
        pref
        for pref in scenario.support.preferences
        if (pref.tag in cand.tags) == pref.wanted
        and member.id in [scenario.members[i].id for i in _select(pref.members, scenario.members)]
    ]
    value = _written_value(scenario, spec, member)
    for pref in chosen:
        if pref.set is not None:
            value = pref.set
    shifts = [pref.add for pref in chosen if pref.add is not None]
    if not shifts:
        return value
    assert isinstance(value, (int, float))  # validation refuses an add on a drawn value
    return min(1.0, max(0.0, value + math.fsum(shifts)))


def _written_value(scenario: Scenario, spec, member) -> Any:
    """The last listed tag entry the member has, else the candidate's default, else the
    global default."""
    if spec is not None:
        for tag in reversed(list(spec.tags)):
            if tag in member.tags:
                return spec.tags[tag]
        if spec.default is not None:
            return spec.default
    return scenario.support.default


@dataclass
class Trial:
    """What one trial produced."""

    outcome: int  # candidate index, C = extension, C + 1 = no decision
    decided_round: int | None
    blocked: set[tuple[int, int]]  # (member, loser) objections standing at the end
    pivotal: set[tuple[int, int]]  # ... that were the loser's only standing objection
    raised: set[int]  # rules with any objection raised
    lifted: dict[int, int]  # raised rule -> first round in which none stood
    early_round: int | None = None  # the round of an extension agreed before the deadline


def reference_trial(model: Model, rng: np.random.Generator) -> Trial:
    """Simulate one trial of the scenario straight from the model's description.

    Args:
        model: the resolved scenario (`Model.of(scenario)`).
        rng: the generator to draw from.

    Returns:
        The trial's outcome, round, blockers and lifts.
    """
    sc = model.scenario
    members, cands, rules = sc.members, sc.candidates, sc.objections
    n_cands = len(cands)

    # Draws: every uncertain value once per trial.
    weight = [draw(m.weight, rng) for m in members]
    entry_value = {id(entry): draw(entry, rng) for entry in model.entries}
    support = [[entry_value[id(v)] for v in row] for row in model.support_entry]
    withdraw = [draw(c.withdraw, rng) for c in cands]
    chance = [draw(rule.chance, rng) for rule in rules]
    lift = [draw(rule.lift, rng) for rule in rules]
    min_support = draw(sc.decision.min_support, rng)
    bandwagon = draw(sc.dynamics.bandwagon, rng)
    extend_chance = draw(sc.decision.extend_chance, rng)
    decline = [draw(c.decline, rng) for c in cands]
    declaration = [c.declaration for c in cands]
    declare = [None if d is None else draw(d.chance, rng) for d in declaration]
    early = sc.decision.early_extension if sc.fallback == "extend" else None
    early_chance = None if early is None else draw(early.chance, rng)
    # A meeting's weight w turns a lift hazard h going into it into 1 - (1 - h)^w.
    calendar = sc.decision.calendar
    meeting_weight = (
        [m.weight for m in calendar.meetings]
        if calendar is not None and calendar.meetings is not None
        else None
    )

    # Which objections are raised: one draw per unit. An objection exists from the round
    # its candidate enters (a bloc's, from the first of its candidates'): only from then on
    # can it block, be counted as raised or be lifted, by pressure or by `until`.
    # A member who joins late counts, and its objections exist, from the round it joins.
    rounds = sc.decision.round_count
    joins = [_joins(m, sc, rounds) for m in members]
    unit_join = [max(joins[m] for m, _ in u.pairs) for u in model.units]
    standing = [rng.random() < chance[u.rule] for u in model.units]
    exists_from = [
        max(min(max(1, cands[c].enters) for _, c in u.pairs), joined)
        for u, joined in zip(model.units, unit_join, strict=True)
    ]
    raised_from: dict[int, int] = {}  # raised rule -> first round a raised objection exists
    for unit, up, first in zip(model.units, standing, exists_from, strict=True):
        if up:
            raised_from[unit.rule] = min(first, raised_from.get(unit.rule, first))
    # A rule counts as lifted for `until: {lifted: ...}` only once all its objections exist.
    settled = [
        max([e for u, e in zip(model.units, exists_from, strict=True) if u.rule == k], default=1)
        for k in range(len(rules))
    ]
    lifted_in: dict[int, int] = {}
    withdrawn: set[int] = set()
    # Floated names are undeclared until they declare: they cannot win or lead until then.
    undeclared = {c for c in range(n_cands) if declaration[c] is not None}

    def objectors(c: int, r: int) -> set[int]:
        """Members whose objection to c stands in round r (their member has joined)."""
        return {
            m
            for u, up, joined in zip(model.units, standing, unit_join, strict=True)
            if up and joined <= r
            for m, cc in u.pairs
            if cc == c
        }

    def backing(c: int, r: int) -> float:
        against = objectors(c, r)
        counted = [m for m in range(len(members)) if joins[m] <= r]
        return math.fsum(
            weight[m] * support[m][c] for m in counted if m not in against
        ) / math.fsum(weight[m] for m in counted)

    def rule_stands(k: int) -> bool:
        return any(up for u, up in zip(model.units, standing, strict=True) if u.rule == k)

    def end(outcome: int, decided: int | None, ended: int | None = None) -> Trial:
        last = decided if decided is not None else ended if ended is not None else rounds
        blocked, pivotal = set(), set()
        for c in range(n_cands):
            if c == outcome or cands[c].enters > last:  # never entered: nobody blocked them
                continue
            against = objectors(c, last)
            blocked |= {(m, c) for m in against}
            if len(against) == 1:
                pivotal |= {(m, c) for m in against}
        raised = {k for k, first in raised_from.items() if first <= last}
        return Trial(outcome, decided, blocked, pivotal, raised, lifted_in, ended)

    for r in range(1, rounds + 1):
        active = [
            c
            for c in range(n_cands)
            if cands[c].enters <= r and c not in withdrawn and c not in undeclared
        ]
        b = [backing(c, r) for c in range(n_cands)]
        eligible = [c for c in active if not objectors(c, r) and b[c] > min_support + TOLERANCE]
        if eligible:
            best = max(b[c] for c in eligible)
            tied = [c for c in eligible if b[c] >= best - TOLERANCE]
            winner = tied[int(rng.integers(len(tied)))]
            return end(winner, r)
        if r == rounds:
            break
        if early is not None and r >= early.after and rng.random() < early_chance:
            return end(n_cands, None, ended=r)

        # a. Pressure on standing objections to active candidates.
        for i, unit in enumerate(model.units):
            targets = {c for _, c in unit.pairs if c in active}
            if not standing[i] or not targets or r + 1 < rules[unit.rule].after:
                continue
            if unit_join[i] > r:  # its members have not joined: it does not exist yet
                continue
            pressure = max(b[c] for c in targets)
            hazard = 1 - (1 - lift[unit.rule]) ** (1 + bandwagon * pressure)
            if meeting_weight is not None:
                hazard = 1 - (1 - hazard) ** meeting_weight[r]  # the meeting of round r + 1
            if rng.random() < hazard:
                standing[i] = False

        # b. Withdrawals of active candidates behind the front-runners; declines of any.
        if active:
            front = max(b[c] for c in active)
            for c in active:
                behind = withdraw[c] if b[c] < front - TOLERANCE else 0.0
                if rng.random() < 1 - (1 - behind) * (1 - decline[c]):
                    withdrawn.add(c)

        # Floated names declare.
        for c in sorted(undeclared):
            after = declaration[c].after  # type: ignore[union-attr]
            if r + 1 >= after and rng.random() < declare[c]:
                undeclared.discard(c)

        # c. `until` conditions, repeated until nothing changes.
        changed = True
        while changed:
            changed = False
            for i, unit in enumerate(model.units):
                if (
                    standing[i]
                    and exists_from[i] <= r + 1
                    and _holds(rules[unit.rule].until, r + 1, withdrawn, rule_stands, settled, sc)
                ):
                    standing[i] = False
                    changed = True

        for k in raised_from:
            if k not in lifted_in and not rule_stands(k):
                lifted_in[k] = r + 1

    if sc.fallback == "acting":
        return end(n_cands, None)
    if sc.fallback == "extend" and rng.random() < extend_chance:
        return end(n_cands, None)
    return end(n_cands + 1, None)


def _joins(member, sc: Scenario, rounds: int) -> int:
    """The first round in which a member counts: `joins` as a round, or the first round
    dated on or after it (rounds + 1 when none is)."""
    if member.joins is None:
        return 1
    if isinstance(member.joins, int):
        return member.joins
    dates = sc.decision.calendar.dates(rounds)
    return next((r + 1 for r, d in enumerate(dates) if d >= member.joins), rounds + 1)


def _holds(conditions, next_round: int, withdrawn: set[int], rule_stands, settled, sc) -> bool:
    """Whether any `until` condition holds for the coming round."""
    cand_ids = [c.id for c in sc.candidates]
    rule_ids = [r.id for r in sc.objections]
    for cond in conditions:
        if isinstance(cond, WithdrawnCondition) and cand_ids.index(cond.withdrawn) in withdrawn:
            return True
        if isinstance(cond, LiftedCondition):
            k = rule_ids.index(cond.lifted)
            if next_round >= settled[k] and not rule_stands(k):
                return True
        if isinstance(cond, RoundCondition) and next_round >= cond.round:
            return True
    return False


@dataclass
class ReferenceCounts:
    """Tallies of many reference trials, shaped like the engine's `Counts`."""

    trials: int
    outcomes: np.ndarray  # (C + 2,)
    decided_round: np.ndarray  # (R,)
    raised: np.ndarray  # (K,)
    lifted: np.ndarray  # (K,) raised and not standing at the end
    lift_round: np.ndarray  # (K, R + 2) first round in which a raised rule no longer stood
    early_round: np.ndarray  # (R,) extensions agreed before the deadline, by round
    blocked: dict[tuple[int, int], int] = field(default_factory=dict)  # (member, candidate)
    pivotal: dict[tuple[int, int], int] = field(default_factory=dict)


def reference_counts(scenario: Scenario, n: int, rng: np.random.Generator) -> ReferenceCounts:
    """Run `n` reference trials and tally them.

    Args:
        scenario: a validated scenario.
        n: number of trials.
        rng: the generator to draw from.
    """
    model = Model.of(scenario)
    n_cands, n_rules = len(scenario.candidates), len(scenario.objections)
    counts = ReferenceCounts(
        n,
        np.zeros(n_cands + 2, np.int64),
        np.zeros(scenario.decision.round_count, np.int64),
        np.zeros(n_rules, np.int64),
        np.zeros(n_rules, np.int64),
        np.zeros((n_rules, scenario.decision.round_count + 2), np.int64),
        np.zeros(scenario.decision.round_count, np.int64),
    )
    for _ in range(n):
        trial = reference_trial(model, rng)
        counts.outcomes[trial.outcome] += 1
        if trial.decided_round is not None:
            counts.decided_round[trial.decided_round - 1] += 1
        if trial.early_round is not None:
            counts.early_round[trial.early_round - 1] += 1
        for k in trial.raised:
            counts.raised[k] += 1
        for k, first in trial.lifted.items():
            counts.lifted[k] += 1
            counts.lift_round[k, first] += 1
        for pair in trial.blocked:
            counts.blocked[pair] = counts.blocked.get(pair, 0) + 1
        for pair in trial.pivotal:
            counts.pivotal[pair] = counts.pivotal.get(pair, 0) + 1
    return counts


# --- helpers shared by the engine tests and the benchmark ---------------------------------


def make_scenario(members: list | int = 3, candidates: list | int = 1, **parts: Any) -> Scenario:
    """A validated scenario from short Python data.

    `members` and `candidates` are lists of dicts or a count (ids AAA, BBB, ... and c1, c2,
    ...); `parts` are further top-level keys. `decision` defaults to five rounds.
    """
    if isinstance(members, int):
        members = [{"id": chr(65 + i) * 3, "name": f"Member {i + 1}"} for i in range(members)]
    if isinstance(candidates, int):
        candidates = [
            {"id": f"c{i + 1}", "name": f"C{i + 1}", "country": "AAA"} for i in range(candidates)
        ]
    # An incumbent, so that the deadline extends by default; `incumbent=None` for none.
    incumbent = parts.pop("incumbent", {"name": "Incumbent", "country": members[0]["id"]})
    if incumbent is not None:
        parts["incumbent"] = incumbent
    data = {
        "title": "test",
        "description": "test",
        "members": members,
        "candidates": candidates,
        "decision": {"rounds": 5},
        **parts,
    }
    return Scenario.model_validate(data)


def engine_counts(scenario: Scenario, n: int, seed: int) -> Counts:
    """The engine's counts of `n` trials run as block 0 of a run seeded with `seed`."""
    return run_seeded_block(compile_scenario(scenario), n, np.random.SeedSequence(seed), 0)


def blocked_by_pair(scenario: Scenario, counts: Counts) -> tuple[dict, dict]:
    """The engine's blocked and pivotal counts keyed by (member, candidate) index."""
    compiled = compile_scenario(scenario)
    pairs = zip(compiled.pair_member, compiled.pair_candidate, strict=True)
    keys = [(int(m), int(c)) for m, c in pairs]
    return (
        dict(zip(keys, map(int, counts.blocked), strict=True)),
        dict(zip(keys, map(int, counts.pivotal), strict=True)),
    )
