"""A validated scenario turned into the index arrays the engine works on.

Members, candidates and rules become integer indexes; every uncertain value becomes a
:class:`Param` that the engine draws once per trial. An objection rule expands into
member-candidate *pairs*; the pairs that are raised and lifted together form a *unit*
(one unit per pair, or one per rule when the rule is `together`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from nato_sim.engine.beta_sampler import beta_variates
from nato_sim.scenario.schema import (
    Beta,
    CandidateSelector,
    LiftedCondition,
    MemberSelector,
    RoundCondition,
    Scenario,
    TagSelector,
    Uniform,
    WithdrawnCondition,
)


@dataclass(frozen=True)
class Param:
    """A number, or a distribution drawn once per trial."""

    kind: str  # "const", "uniform" or "beta"
    a: float
    b: float = 0.0

    @classmethod
    def of(cls, value: float | Uniform | Beta) -> Param:
        """Wrap a schema value."""
        if isinstance(value, Uniform):
            return cls("uniform", *value.uniform)
        if isinstance(value, Beta):
            return cls("beta", *value.beta)
        return cls("const", float(value))

    @property
    def is_const(self) -> bool:
        """True when the value does not vary between trials."""
        return self.kind == "const" or (self.kind == "uniform" and self.a == self.b)

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray | float:
        """`n` draws, or the constant itself (no random numbers used)."""
        if self.kind == "const":
            return self.a
        if self.kind == "uniform":
            if self.a == self.b:
                return self.a
            # What rng.uniform(a, b, n) returns, a + (b - a) * u, bit for bit, at about
            # two thirds of its cost.
            value = rng.random(n)
            value *= self.b - self.a
            value += self.a
            return value
        return beta_variates(self.a, self.b, n, rng)

    def mean(self) -> float:
        """The expected value."""
        if self.kind == "const":
            return self.a
        if self.kind == "uniform":
            return (self.a + self.b) / 2
        return self.a / (self.a + self.b)


@dataclass(frozen=True)
class Condition:
    """An `until` condition: kind "withdrawn" (candidate index), "lifted" (rule), "round"."""

    kind: str
    target: int


@dataclass(frozen=True)
class Compiled:
    """Everything the engine needs, as indexes and parameters."""

    member_ids: tuple[str, ...]
    candidate_ids: tuple[str, ...]
    rule_ids: tuple[str, ...]
    weights: tuple[Param, ...]  # per member
    support_params: tuple[Param, ...]  # distinct support entries
    support_index: np.ndarray  # (M, C) -> index into support_params
    enters: np.ndarray  # (C,) int
    withdraw: tuple[Param, ...]  # per candidate
    pair_member: np.ndarray  # (U,) distinct member-candidate pairs
    pair_candidate: np.ndarray  # (U,)
    unit_rule: np.ndarray  # (L,) rule of each unit
    unit_pairs: tuple[tuple[int, ...], ...]  # pairs each unit covers
    rule_chance: tuple[Param, ...]  # per rule
    rule_lift: tuple[Param, ...]
    rule_after: np.ndarray  # (K,) int
    rule_until: tuple[tuple[Condition, ...], ...]
    min_support: Param
    bandwagon: Param
    extend_chance: Param
    rounds: int
    extend: bool  # the fallback is drawn at the deadline: an extension, or an acting SG
    round_dates: tuple[dt.date, ...] | None = None
    milestones: tuple[tuple[str, int], ...] = ()  # name, last round counted as "before"
    unit_candidates: tuple[tuple[int, ...], ...] = field(default=())
    fallback: str = "extend"  # on_deadline, resolved: "extend", "acting" or "no_decision"
    decline: tuple[Param, ...] = ()  # per candidate; () when none may decline
    declare_chance: tuple[Param | None, ...] = ()  # per candidate; None: declared on entry
    declare_after: np.ndarray | None = None  # (C,) int
    unnamed: tuple[bool, ...] = ()  # per candidate; () when none is unnamed
    early_chance: Param | None = None  # early extension's chance per round
    early_after: int = 0  # ... from this round on
    round_weights: tuple[float, ...] | None = None  # meeting weight of rounds 1..R; None: 1
    member_joins: np.ndarray | None = None  # (M,) first round each member counts; None: all 1

    @cached_property
    def engine_layout(self):
        """The engine's index tables for this scenario, built on first use and kept."""
        from nato_sim.engine.layout import Layout  # it imports this module

        return Layout(self)

    @property
    def fallback_label(self) -> str:
        """The label of the outcome in which nobody is appointed but someone stands in."""
        return "acting" if self.fallback == "acting" else "extension"

    @property
    def outcome_labels(self) -> tuple[str, ...]:
        """Candidate ids, then `extension` (or `acting`) and `no-decision`."""
        return (*self.candidate_ids, self.fallback_label, "no-decision")


def rule_label(index: int, rule_id: str | None) -> str:
    """The id of a rule, or `#N` (1-based) for a rule without one."""
    return rule_id if rule_id is not None else f"#{index + 1}"


def select(
    selector: MemberSelector | CandidateSelector, ids: list[str], tags: list[list[str]]
) -> list[int]:
    """Indexes picked by a selector: 'all', a list of ids, {tag: name} or {without: name}."""
    if selector == "all":
        return list(range(len(ids)))
    if isinstance(selector, TagSelector):
        if selector.without is not None:
            return [i for i, entity_tags in enumerate(tags) if selector.without not in entity_tags]
        return [i for i, entity_tags in enumerate(tags) if selector.tag in entity_tags]
    return [ids.index(entity_id) for entity_id in selector]


def compile_scenario(scenario: Scenario) -> Compiled:
    """Index a validated scenario (cross-references already checked)."""
    member_ids = [m.id for m in scenario.members]
    member_tags = [m.tags for m in scenario.members]
    cand_ids = [c.id for c in scenario.candidates]
    cand_tags = [c.tags for c in scenario.candidates]
    rule_ids = [rule_label(k, r.id) for k, r in enumerate(scenario.objections)]

    support_params, support_index = _support_table(scenario, member_ids, member_tags, cand_ids)

    pair_of: dict[tuple[int, int], int] = {}
    unit_rule, unit_pairs = [], []
    for k, rule in enumerate(scenario.objections):
        pairs = []
        for c in select(rule.candidates, cand_ids, cand_tags):
            for m in select(rule.members, member_ids, member_tags):
                pairs.append(pair_of.setdefault((m, c), len(pair_of)))
        groups = [tuple(pairs)] if rule.together else [(p,) for p in pairs]
        for group in groups:
            if group:
                unit_rule.append(k)
                unit_pairs.append(group)
    pair_list = list(pair_of)
    pair_candidate = np.array([c for _, c in pair_list], dtype=np.intp)
    unit_candidates = tuple(
        tuple(sorted({int(pair_candidate[p]) for p in group})) for group in unit_pairs
    )

    decision = scenario.decision
    rounds = decision.round_count
    dates = None
    milestones: list[tuple[str, int]] = []
    weights = None
    if decision.calendar is not None:
        dates = decision.calendar.dates(rounds)
        weights = decision.calendar.weights(rounds)
        if all(w == 1.0 for w in weights):
            weights = None
    for milestone in scenario.milestones:
        if milestone.round is not None:
            last = milestone.round
        else:
            # The format requires a date where there is no round, and a calendar for dates.
            assert dates is not None and milestone.date is not None
            last = sum(1 for d in dates if d <= milestone.date)
        milestones.append((milestone.name, last))

    early = decision.early_extension if scenario.fallback == "extend" else None
    return Compiled(
        member_ids=tuple(member_ids),
        candidate_ids=tuple(cand_ids),
        rule_ids=tuple(rule_ids),
        weights=tuple(Param.of(m.weight) for m in scenario.members),
        support_params=tuple(support_params),
        support_index=support_index,
        enters=np.array([c.enters for c in scenario.candidates], dtype=np.int64),
        withdraw=tuple(Param.of(c.withdraw) for c in scenario.candidates),
        pair_member=np.array([m for m, _ in pair_list], dtype=np.intp),
        pair_candidate=pair_candidate,
        unit_rule=np.array(unit_rule, dtype=np.intp),
        unit_pairs=tuple(unit_pairs),
        rule_chance=tuple(Param.of(r.chance) for r in scenario.objections),
        rule_lift=tuple(Param.of(r.lift) for r in scenario.objections),
        rule_after=np.array([r.after for r in scenario.objections], dtype=np.int64),
        rule_until=tuple(
            tuple(_condition(cond, cand_ids, rule_ids) for cond in r.until)
            for r in scenario.objections
        ),
        min_support=Param.of(decision.min_support),
        bandwagon=Param.of(scenario.dynamics.bandwagon),
        # An acting Secretary General stands in for certain: there is nothing to agree.
        extend_chance=Param.of(decision.extend_chance if scenario.fallback == "extend" else 1.0),
        rounds=rounds,
        extend=scenario.fallback != "no_decision",
        round_dates=dates,
        milestones=tuple(milestones),
        unit_candidates=unit_candidates,
        fallback=scenario.fallback,
        decline=(
            tuple(Param.of(c.decline) for c in scenario.candidates)
            if any(c.decline != 0 for c in scenario.candidates)
            else ()
        ),
        declare_chance=tuple(
            None if (d := c.declaration) is None else Param.of(d.chance)
            for c in scenario.candidates
        ),
        declare_after=np.array(
            [1 if (d := c.declaration) is None else d.after for c in scenario.candidates],
            dtype=np.int64,
        ),
        unnamed=tuple(c.unnamed for c in scenario.candidates),
        early_chance=None if early is None else Param.of(early.chance),
        early_after=0 if early is None else early.after,
        round_weights=weights,
        member_joins=_joins(scenario, dates, rounds),
    )


def _joins(scenario: Scenario, dates, rounds: int) -> np.ndarray | None:
    """The first round in which each member counts (rounds + 1: after the last); None when
    every member counts from the start. A date is the first round on or after it."""
    if all(m.joins is None for m in scenario.members):
        return None
    joins = []
    for member in scenario.members:
        if member.joins is None:
            joins.append(1)
        elif isinstance(member.joins, int):
            joins.append(member.joins)
        else:
            assert dates is not None  # the format requires a calendar for a date
            joins.append(
                next((r + 1 for r, d in enumerate(dates) if d >= member.joins), rounds + 1)
            )
    return np.array(joins, dtype=np.int64)


def _condition(cond, cand_ids: list[str], rule_ids: list[str]) -> Condition:
    if isinstance(cond, WithdrawnCondition):
        return Condition("withdrawn", cand_ids.index(cond.withdrawn))
    if isinstance(cond, LiftedCondition):
        return Condition("lifted", rule_ids.index(cond.lifted))
    assert isinstance(cond, RoundCondition)
    return Condition("round", cond.round)


def _support_table(scenario: Scenario, member_ids, member_tags, cand_ids):
    """Map each (member, candidate) to the support entry that applies to it.

    Precedence: member entry, then the `set` preferences (the last one listed wins), then tag
    entries (likewise), then the candidate's default, then the global default; `add`
    preferences shift all but a member entry (nato_sim.scenario.preferences). An uncertain
    entry is drawn once per trial and shared by every member it covers.
    """
    from nato_sim.scenario.preferences import Shifted, support_values

    params: list[Param] = []
    index_of: dict[object, int] = {}

    def entry(value) -> int:
        # Keyed by object identity: one schema entry is one draw, however many it covers.
        # A value that `add` preferences made is a number, keyed by that number.
        key = ("shifted", value.value) if isinstance(value, Shifted) else id(value)
        if key not in index_of:
            index_of[key] = len(params)
            params.append(Param.of(value.value if isinstance(value, Shifted) else value))
        return index_of[key]

    values = support_values(scenario)
    table = np.empty((len(member_ids), len(cand_ids)), dtype=np.intp)
    for c in range(len(cand_ids)):
        for m in range(len(member_ids)):
            table[m, c] = entry(values[m][c])
    return params, table
