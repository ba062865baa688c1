"""What a run reports (docs/model.md section 4), computed from the summed counts."""

from __future__ import annotations

import datetime as dt
import difflib
import platform
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from nato_sim._version import __version__
from nato_sim.engine.compiled import Compiled
from nato_sim.engine.rounds import Counts
from nato_sim.errors import UsageError
from nato_sim.results.stats import histogram_mean, histogram_median, wilson
from nato_sim.scenario.schema import Scenario

SCHEMA_VERSION = 1

# What runs with one seed share: who computed them, with which generator, from which seed.
SHARED_PROVENANCE = (
    "package",
    "version",
    "numpy",
    "python",
    "bit_generator",
    "seed",
    "spawn_key",
    "trials",
)
# `stopped_by` values of a run that did not run every trial asked for.
PARTIAL_STOPS = ("interrupted", "worker-died")


@dataclass(frozen=True)
class OutcomeRow:
    """P(outcome): a candidate appointed, the incumbent extended, or no decision."""

    outcome: str
    name: str
    count: int
    probability: float
    low: float
    high: float


@dataclass(frozen=True)
class RoundRow:
    """P(an appointment by the end of this round)."""

    round: int
    date: dt.date | None
    decided_in_round: int
    probability_by: float
    low: float
    high: float


@dataclass(frozen=True)
class MilestoneRow:
    """P(an appointment on or before a milestone)."""

    milestone: str
    date: dt.date | None
    last_round: int
    probability: float
    low: float
    high: float


@dataclass(frozen=True)
class BlockerRow:
    """How often a member still objected to a candidate who lost, and was the only one."""

    candidate: str
    member: str
    losses: int
    share: float
    pivotal_share: float


@dataclass(frozen=True)
class RuleRow:
    """How an objection rule played out."""

    rule: str
    probability_raised: float
    probability_lifted_if_raised: float | None
    median_lift_round: float | None


@dataclass(frozen=True)
class Results:
    """Everything one run reports, as plain attributes; `to_dict()` for JSON."""

    outcomes: list[OutcomeRow]
    rounds: list[RoundRow]
    mean_round: float | None
    median_round: float | None
    milestones: list[MilestoneRow]
    blockers: list[BlockerRow]
    rules: list[RuleRow]
    provenance: dict[str, Any]
    counts: Counts = field(repr=False, compare=False)
    compiled: Compiled = field(repr=False, compare=False)
    scenario: Scenario | None = field(default=None, repr=False, compare=False)

    @property
    def trials(self) -> int:
        """How many trials the figures rest on."""
        return self.provenance["trials"]

    @property
    def partial(self) -> bool:
        """True when the run stopped before it had run every trial asked for.

        That is when Ctrl-C interrupted it or a worker process died; `stopped_by` in the
        provenance says which.
        """
        return self.provenance["stopped_by"] in PARTIAL_STOPS

    @property
    def appointed(self) -> float:
        """P(an appointment by the deadline): the share of trials that name someone."""
        return self.rounds[-1].probability_by if self.rounds else 0.0

    def member_name(self, member: str) -> str:
        """A member's name (`Hungary`), or its id when the scenario is not at hand."""
        if self.scenario is not None:
            for m in self.scenario.members:
                if m.id == member:
                    return m.name
        return member

    def candidate_name(self, candidate: str) -> str:
        """A candidate's or an outcome's name (`Mark Rutte`, `incumbent extended`)."""
        for row in self.outcomes:
            if row.outcome == candidate:
                return row.name
        return candidate

    def possible_outcomes(self) -> list[OutcomeRow]:
        """The outcomes the scenario allows, whose counts may be above 0: without `extension`
        when nobody can be extended or stand in (`on_deadline: no_decision`), without
        `no-decision` when an acting Secretary General always stands in."""
        compiled = self.compiled
        impossible = {
            "no_decision": compiled.fallback_label,
            "acting": "no-decision",
        }.get(compiled.fallback)
        return [row for row in self.outcomes if row.outcome != impossible]

    def outcome(self, outcome: str) -> OutcomeRow:
        """The row of an outcome: a candidate id, `extension` or `no-decision`.

        Raises:
            UsageError: no such outcome (with the closest one, if any is close).
        """
        labels = [row.outcome for row in self.outcomes]
        if isinstance(outcome, str) and outcome in labels:
            return self.outcomes[labels.index(outcome)]
        raise UsageError(unknown_name("outcome", outcome, labels))

    def probability(self, outcome: str) -> float:
        """P(outcome) for a candidate id, `extension` or `no-decision`.

        Raises:
            UsageError: no such outcome (with the closest one, if any is close).
        """
        return self.outcome(outcome).probability

    def to_pandas(self):
        """One row per outcome with provenance, as a DataFrame (needs the 'pandas' extra)."""
        from nato_sim.output.tables import to_frame
        from nato_sim.results.tables import results_records

        return to_frame(results_records(self))

    def _repr_html_(self) -> str:
        """The whole report for a notebook: the answer in one sentence, the assumptions,
        outcomes, timing, milestones, blockers and objection rules, with the overrides in
        every caption."""
        from nato_sim.results.report import results_fragment

        return results_fragment(self)

    def plot(self):
        """A matplotlib figure of outcomes and timing (needs the 'plot' extra); a notebook
        shows it as the value of a cell, without `%matplotlib inline`."""
        from nato_sim.results.figures import run_figure

        return run_figure(self)

    def provenance_of(self, *keys: str) -> dict[str, Any]:
        """The run's shared provenance (versions, generator, seed, trials) and `keys`: what
        a result built from several runs with one seed carries."""
        return {k: self.provenance[k] for k in (*SHARED_PROVENANCE, *keys)}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary with `schema_version` and provenance."""

        def rows(items):
            return [
                {
                    k: (v.isoformat() if isinstance(v, dt.date) else v)
                    for k, v in asdict(item).items()
                }
                for item in items
            ]

        return {
            "schema_version": SCHEMA_VERSION,
            "provenance": self.provenance,
            "outcomes": rows(self.outcomes),
            "timing": {
                "rounds": rows(self.rounds),
                "mean_round": self.mean_round,
                "median_round": self.median_round,
                "milestones": rows(self.milestones),
            },
            "blockers": rows(self.blockers),
            "rules": rows(self.rules),
        }


def unknown_name(what: str, name: object, known: list[str]) -> str:
    """The message for a name that is not among `known`, with the closest if one is close."""
    text = f"no {what} {name!r}; the {what}s are {', '.join(known)}"
    if isinstance(name, str):
        close = difflib.get_close_matches(name, known, n=1)
        if close:
            text += f" (did you mean {close[0]!r}?)"
    elif name is not None:
        text += f" ({what}s are named by strings, got {type(name).__name__})"
    return text


def build_results(
    scenario: Scenario,
    compiled: Compiled,
    counts: Counts,
    root: np.random.SeedSequence,
    *,
    block_size: int,
    stopped_by: str,
    precision: float | None,
    bit_generator: str,
) -> Results:
    """Turn summed counts into the reported figures."""
    from nato_sim.scenario.loader import scenario_hash

    n = counts.trials
    names = {c.id: c.name for c in scenario.candidates}
    names.update(
        {
            "extension": "incumbent extended"
            if scenario.incumbent is not None
            else "extension (no incumbent)",
            "acting": "acting Secretary General",
            "no-decision": "no decision",
        }
    )
    outcomes = [
        OutcomeRow(label, names[label], int(k), k / n if n else 0.0, *wilson(int(k), n))
        for label, k in zip(compiled.outcome_labels, counts.outcomes, strict=True)
    ]

    dates = compiled.round_dates
    cumulative = np.cumsum(counts.decided_round)
    rounds = [
        RoundRow(
            r + 1,
            dates[r] if dates else None,
            int(counts.decided_round[r]),
            cumulative[r] / n if n else 0.0,
            *wilson(int(cumulative[r]), n),
        )
        for r in range(compiled.rounds)
    ]
    round_numbers = np.arange(1, compiled.rounds + 1)
    milestones = []
    for (name, last), spec in zip(compiled.milestones, scenario.milestones, strict=True):
        last = min(last, compiled.rounds)
        k = int(cumulative[last - 1]) if last >= 1 else 0
        milestones.append(MilestoneRow(name, spec.date, last, k / n if n else 0.0, *wilson(k, n)))

    losses = n - counts.outcomes[: len(compiled.candidate_ids)]
    blockers = []
    for u, (m, c) in enumerate(zip(compiled.pair_member, compiled.pair_candidate, strict=True)):
        lost = int(losses[c])
        if lost:
            blockers.append(
                BlockerRow(
                    compiled.candidate_ids[c],
                    compiled.member_ids[m],
                    lost,
                    counts.blocked[u] / lost,
                    counts.pivotal[u] / lost,
                )
            )
    blockers.sort(key=lambda row: (-row.share, row.candidate, row.member))

    rules = []
    lift_rounds = np.arange(compiled.rounds + 2)
    for k, rule_id in enumerate(compiled.rule_ids):
        raised = int(counts.raised[k])
        rules.append(
            RuleRow(
                rule_id,
                raised / n if n else 0.0,
                counts.lifted[k] / raised if raised else None,
                histogram_median(counts.lift_round[k], lift_rounds),
            )
        )

    provenance = {
        "package": "nato-sim",
        "version": __version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "bit_generator": bit_generator,
        "seed": int(root.entropy) if isinstance(root.entropy, int) else root.entropy,
        "spawn_key": list(root.spawn_key),
        "trials": int(n),
        "block_size": block_size,
        "scenario": scenario.origin,
        "scenario_hash": scenario_hash(scenario),
        "overrides": list(scenario.overrides),
        "stopped_by": stopped_by,
        "precision": precision,
    }
    return Results(
        outcomes,
        rounds,
        histogram_mean(counts.decided_round, round_numbers),
        histogram_median(counts.decided_round, round_numbers),
        milestones,
        blockers,
        rules,
        provenance,
        counts,
        compiled,
        scenario,
    )
