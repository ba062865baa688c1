"""A run's outcomes as tidy records and as an HTML table, with provenance."""

from __future__ import annotations

from typing import Any

from nato_sim.output.tables import html_table, provenance_note, stamp
from nato_sim.results.formats import interval, pct
from nato_sim.results.summary import Results


def results_records(results: Results) -> list[dict[str, Any]]:
    """One row per outcome of a run, with provenance."""
    prov = stamp(results.provenance)
    return [
        {
            "outcome": o.outcome,
            "name": o.name,
            "probability": o.probability,
            "low": o.low,
            "high": o.high,
            "count": o.count,
            **prov,
        }
        for o in results.outcomes
    ]


def results_html(results: Results) -> str:
    """The outcome table of a run."""
    prov = results.provenance
    rows = [
        (o.name, pct(o.probability), interval(o.low, o.high), f"{o.count:,}")
        for o in sorted(results.possible_outcomes(), key=lambda o: -o.probability)
    ]
    return html_table(
        ("outcome", "P", "95% interval", "trials"),
        rows,
        f"{prov['scenario']} (hash {prov['scenario_hash']})",
        provenance_note(prov),
    )
