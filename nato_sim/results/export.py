"""A run as JSON or as tidy CSV rows."""

from __future__ import annotations

import json

from nato_sim.output.files import rows_to_csv
from nato_sim.results.summary import Results

CSV_COLUMNS = (
    "section",
    "key",
    "detail",
    "value",
    "low",
    "high",
    "count",
    "trials",
    "seed",
    "scenario_hash",
    "version",
    "stopped_by",
)


def to_json(results: Results) -> str:
    """One JSON document: every figure, provenance and `schema_version`."""
    return json.dumps(results.to_dict(), indent=2, default=str) + "\n"


def tidy_rows(results: Results) -> list[dict]:
    """One row per reported figure, each carrying the run's provenance.

    `stopped_by` is ``trials`` or ``precision`` for a complete run; ``interrupted`` or
    ``worker-died`` marks a partial one, as the JSON's provenance and the table's header do.
    """
    prov = results.provenance
    stamp = {
        "trials": prov["trials"],
        "seed": prov["seed"],
        "scenario_hash": prov["scenario_hash"],
        "version": prov["version"],
        # Every row says whether the run was cut short: a partial run read without its
        # header must not pass for a complete one.
        "stopped_by": prov["stopped_by"],
    }
    rows = []

    def add(section, key, value, detail="", low="", high="", count=""):
        rows.append(
            {
                "section": section,
                "key": key,
                "detail": detail,
                "value": value,
                "low": low,
                "high": high,
                "count": count,
                **stamp,
            }
        )

    for o in results.outcomes:
        add("outcome", o.outcome, o.probability, o.name, o.low, o.high, o.count)
    for r in results.rounds:
        add(
            "decided_by_round",
            r.round,
            r.probability_by,
            r.date or "",
            r.low,
            r.high,
            r.decided_in_round,
        )
    add("timing", "mean_round", "" if results.mean_round is None else results.mean_round)
    add("timing", "median_round", "" if results.median_round is None else results.median_round)
    for m in results.milestones:
        add(
            "milestone",
            m.milestone,
            m.probability,
            m.date or f"round {m.last_round}",
            m.low,
            m.high,
        )
    for b in results.blockers:
        add("blocker", b.candidate, b.share, b.member, count=b.losses)
        add("pivotal", b.candidate, b.pivotal_share, b.member, count=b.losses)
    for rule in results.rules:
        add("rule_raised", rule.rule, rule.probability_raised)
        add(
            "rule_lifted_if_raised",
            rule.rule,
            "" if rule.probability_lifted_if_raised is None else rule.probability_lifted_if_raised,
        )
        add(
            "rule_median_lift_round",
            rule.rule,
            "" if rule.median_lift_round is None else rule.median_lift_round,
        )
    return rows


def to_csv(results: Results) -> str:
    """Tidy CSV: one row per figure (see `tidy_rows`), numbers without the noise of
    arithmetic (`plain_number`)."""
    return rows_to_csv(tidy_rows(results), CSV_COLUMNS)
