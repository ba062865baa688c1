"""Veto impact: how the outcome changes when each objection rule is taken away.

The baseline runs once; then, for each rule in turn, a variant without that rule runs with
the same seed and block size (common random numbers, see :mod:`nato_sim.analysis.compare`
for the intervals). A rule is taken away by setting its ``chance`` to 0: it is then never
raised, which is the same as deleting it, counts as "lifted" for any rule whose ``until``
waits on it (deleting such a rule would make the scenario invalid), and keeps every other
random number of the run where it was, so the comparison with the baseline is sharp.

For each rule the table gives the change in the probability of its most affected
candidate, the change for the baseline's most likely outcome (the "winner"), and the
change in the expected decision round (the mean round of appointment with undecided trials
counted at R + 1, so it is defined even when few trials decide). Rules are sorted by
*impact*: the total variation distance between the two outcome distributions, i.e. the
share of trials whose outcome the rule decides.

Pivotal members come from the baseline: how often a member was the only one still
objecting to a candidate who lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nato_sim.analysis.compare import (
    DiffRow,
    as_scenario,
    check_block_size,
    check_trials,
    check_workers,
    method_text,
    paired_block_size,
    paired_rows,
    run_arm,
)
from nato_sim.engine.compiled import rule_label
from nato_sim.results.summary import SCHEMA_VERSION, Results
from nato_sim.running.runner import seed_sequence
from nato_sim.scenario.loader import with_overrides
from nato_sim.scenario.schema import Scenario


@dataclass(frozen=True)
class RuleImpact:
    """What one objection rule does to the outcome, measured by taking it away."""

    rule: str
    members: tuple[str, ...]
    candidates: tuple[str, ...]
    candidate: str
    impact: float
    sole_blocker: float  # share of ALL trials in which a member of the rule blocked alone
    candidate_change: DiffRow
    winner_change: DiffRow
    round_change: DiffRow
    changes: tuple[DiffRow, ...] = field(repr=False)
    variant_hash: str = ""


@dataclass(frozen=True)
class PivotalRow:
    """How often a member was the last one blocking a candidate who lost (baseline)."""

    member: str
    candidate: str
    still_objecting: float  # share of the candidate's losses
    sole_blocker: float  # share of the candidate's losses
    sole_blocker_trials: float  # share of all trials


@dataclass(frozen=True)
class Explanation:
    """Veto impact of every objection rule, most impact first, and the pivotal members."""

    rules: list[RuleImpact]
    pivotal: list[PivotalRow]
    winner: str
    baseline: Results = field(repr=False)
    provenance: dict[str, Any]

    @property
    def method(self) -> str:
        """How the intervals of the changes were computed."""
        return self.provenance["method"]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary with `schema_version` and provenance."""

        def diff(row: DiffRow) -> dict[str, Any]:
            return {**asdict(row), "distinguishable": row.distinguishable}

        rules = [
            {
                "rule": r.rule,
                "members": list(r.members),
                "candidates": list(r.candidates),
                "impact": r.impact,
                "sole_blocker": r.sole_blocker,
                "candidate": r.candidate,
                "candidate_change": diff(r.candidate_change),
                "winner_change": diff(r.winner_change),
                "round_change": diff(r.round_change),
                "variant_hash": r.variant_hash,
                "changes": [diff(c) for c in r.changes],
            }
            for r in self.rules
        ]
        return {
            "schema_version": SCHEMA_VERSION,
            "provenance": self.provenance,
            "winner": self.winner,
            "rules": rules,
            "pivotal": [asdict(p) for p in self.pivotal],
        }

    def records(self) -> list[dict[str, Any]]:
        """Tidy rows: one per rule, with provenance."""
        from nato_sim.output.tables import stamp

        prov = stamp(self.baseline.provenance)
        rows = []
        for r in self.rules:
            row: dict[str, Any] = {
                "rule": r.rule,
                "members": " ".join(r.members),
                "candidates": " ".join(r.candidates),
                "impact": r.impact,
                "sole_blocker": r.sole_blocker,
                "candidate": r.candidate,
            }
            for name, change in (
                ("candidate", r.candidate_change),
                ("winner", r.winner_change),
                ("round", r.round_change),
            ):
                row.update(
                    {
                        f"{name}_baseline": change.baseline,
                        f"{name}_without": change.variant,
                        f"{name}_change": change.difference,
                        f"{name}_low": change.low,
                        f"{name}_high": change.high,
                    }
                )
            rows.append({**row, "winner": self.winner, "variant_hash": r.variant_hash, **prov})
        return rows

    def to_pandas(self):
        """The records as a pandas DataFrame (needs the 'pandas' extra)."""
        from nato_sim.output.tables import to_frame

        return to_frame(self.records())

    def _repr_html_(self) -> str:
        from nato_sim.analysis.tables import explanation_html

        return explanation_html(self)

    def plot(self):
        """A matplotlib figure of each rule's effect on its candidate."""
        from nato_sim.analysis.figures import explanation_figure

        return explanation_figure(self)


def without_rule(scenario: Scenario, index: int) -> Scenario:
    """The scenario with objection rule `index` taken away (never raised)."""
    return with_overrides(scenario, [f"objections.{index}.chance=0"])


def explain(
    scenario: Scenario | str | Path,
    overrides: Sequence[str] = (),
    *,
    trials: int = 50_000,
    rng=None,
    workers: int | None = 1,
    block_size: int | None = None,
) -> Explanation:
    """Measure each objection rule's impact by running the scenario without it.

    Args:
        scenario: a path, a bundled name or a loaded Scenario.
        overrides: ``path=value`` strings applied to the scenario first.
        trials: trials per run (the baseline and one run per rule).
        rng: an int seed, a SeedSequence, a Generator or None; every run shares it.
        workers: processes per run; None uses all cores. Results do not depend on it.
        block_size: trials per block; by default about 40 blocks, for paired intervals.

    Returns:
        An Explanation: rules sorted by impact, and the baseline's pivotal members.

    Raises:
        UsageError: bad trials, seed or override path.
        ScenarioError: the scenario is missing or invalid.
    """
    trials = check_trials(trials)
    workers = check_workers(workers)
    block_size = check_block_size(block_size)
    root = seed_sequence(rng)
    base = as_scenario(scenario, overrides)
    size = paired_block_size(trials) if block_size is None else block_size
    base_arm = run_arm(base, trials, root, block_size=size, workers=workers)
    results = base_arm.results
    winner = max(results.outcomes, key=lambda o: o.probability).outcome
    impacts = []
    for k, rule in enumerate(base.objections):
        variant = without_rule(base, k)
        arm = run_arm(variant, trials, root, block_size=size, workers=workers)
        rows, _ = paired_rows(base_arm, arm)
        impacts.append(
            _impact(
                rule_label(k, rule.id),
                k,
                rows,
                winner,
                results,
                arm.results.provenance["scenario_hash"],
            )
        )
    impacts.sort(key=lambda r: (-r.impact, -abs(r.winner_change.difference)))
    provenance = results.provenance_of("block_size", "scenario", "scenario_hash", "overrides")
    provenance["method"] = method_text(-(-trials // size), size)
    provenance["baseline"] = {
        k: results.provenance[k] for k in ("scenario", "scenario_hash", "overrides")
    }
    return Explanation(impacts, pivotal_members(results), winner, results, provenance)


def _impact(
    label: str, k: int, rows: list[DiffRow], winner: str, results: Results, variant_hash: str
) -> RuleImpact:
    """Summarise one rule's paired comparison."""
    compiled = results.compiled
    pairs = sorted(
        {
            p
            for u, rule in enumerate(compiled.unit_rule)
            if rule == k
            for p in compiled.unit_pairs[u]
        }
    )
    members = tuple(dict.fromkeys(compiled.member_ids[compiled.pair_member[p]] for p in pairs))
    cands = tuple(dict.fromkeys(compiled.candidate_ids[compiled.pair_candidate[p]] for p in pairs))
    outcome_rows = {r.key: r for r in rows if r.section == "outcome"}
    touched = [outcome_rows[c] for c in cands if c in outcome_rows]
    candidate_row = max(touched, key=lambda r: abs(r.difference)) if touched else None
    timing = next(r for r in rows if r.section == "timing")
    if candidate_row is None:  # a rule whose selectors match nobody changes nothing
        candidate_row = DiffRow("outcome", "", "", 0.0, 0.0, 0.0, 0.0, 0.0)
    sole = float(results.counts.pivotal[pairs].sum() / results.trials) if pairs else 0.0
    return RuleImpact(
        rule=label,
        members=members,
        candidates=cands,
        candidate=candidate_row.key,
        impact=0.5 * sum(abs(r.difference) for r in outcome_rows.values()),
        sole_blocker=sole,
        candidate_change=candidate_row,
        winner_change=outcome_rows[winner],
        round_change=timing,
        changes=tuple(rows),
        variant_hash=variant_hash,
    )


def pivotal_members(results: Results) -> list[PivotalRow]:
    """Members who were the sole remaining blocker of a losing candidate, most often first."""
    compiled = results.compiled
    counts = results.counts
    losses = results.trials - counts.outcomes[: len(compiled.candidate_ids)]
    rows = []
    pairs = zip(compiled.pair_member, compiled.pair_candidate, strict=True)
    for u, (m, c) in enumerate(pairs):
        if counts.blocked[u] == 0:
            continue
        rows.append(
            PivotalRow(
                compiled.member_ids[m],
                compiled.candidate_ids[c],
                float(counts.blocked[u] / losses[c]),
                float(counts.pivotal[u] / losses[c]),
                float(counts.pivotal[u] / results.trials),
            )
        )
    rows.sort(key=lambda r: (-r.sole_blocker_trials, -r.still_objecting, r.member))
    return rows
