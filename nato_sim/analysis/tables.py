"""Comparisons, veto impact and sweeps as HTML tables."""

from __future__ import annotations

from nato_sim.analysis.compare import Comparison
from nato_sim.analysis.explain import Explanation
from nato_sim.analysis.sweep import Sweep
from nato_sim.output.tables import html_table, pct, pp, provenance_note


def _diff_cells(
    section: str, baseline: float, variant: float, diff: float, low: float, high: float
) -> tuple[str, str, str, str]:
    if section == "timing":
        return (
            f"{baseline:.2f}",
            f"{variant:.2f}",
            f"{diff:+.2f} rounds",
            f"[{low:+.2f}, {high:+.2f}]",
        )
    return pct(baseline), pct(variant), pp(diff), f"[{pp(low)}, {pp(high)}]"


def comparison_html(comparison: Comparison) -> str:
    """Baseline, variant, difference and its interval; `*` marks a clear difference."""
    rows = [
        (
            r.name,
            *_diff_cells(r.section, r.baseline, r.variant, r.difference, r.low, r.high),
            "*" if r.distinguishable else "",
        )
        for r in comparison.rows
    ]
    prov = comparison.provenance
    overrides = " ".join(prov["variant"]["overrides"]) or prov["variant"]["scenario"]
    return html_table(
        ("", "baseline", "variant", "difference", "95% interval", ""),
        rows,
        f"{prov['baseline']['scenario']} vs {overrides}",
        f"* interval excludes 0. {comparison.method}. " + provenance_note(prov),
    )


def explanation_html(explanation: Explanation) -> str:
    """The veto-impact table: one row per objection rule, most impact first."""
    rows = [
        (
            r.rule,
            f"{', '.join(r.members)} → {', '.join(r.candidates)}",
            r.candidate,
            f"{pct(r.candidate_change.baseline)} → {pct(r.candidate_change.variant)}",
            pp(r.candidate_change.difference),
            pp(r.winner_change.difference),
            f"{r.round_change.difference:+.2f}",
            pct(r.sole_blocker),
            pct(r.impact),
        )
        for r in explanation.rules
    ]
    return html_table(
        (
            "rule",
            "objection",
            "candidate",
            "P(candidate)",
            "change",
            f"change P({explanation.winner})",
            "change exp. round",
            "sole blocker",
            "impact",
        ),
        rows,
        f"Veto impact in {explanation.provenance['baseline']['scenario']}",
        f"{explanation.method}. " + provenance_note(explanation.provenance),
    )


def sweep_html(sweep: Sweep) -> str:
    """One row per grid point: the parameter values and every outcome's probability."""
    outcomes = sweep.outcomes
    rows = []
    for point in sweep.points:
        probs = {o.outcome: o.probability for o in point.results.outcomes}
        rows.append(
            (*(f"{v:g}" for v in point.values), *(pct(probs.get(o, 0.0)) for o in outcomes))
        )
    return html_table(
        (*(a.path for a in sweep.axes), *outcomes),
        rows,
        f"Sweep of {sweep.provenance['scenario']}",
        provenance_note(sweep.provenance),
    )
