"""Comparisons, veto impact and sweeps as HTML tables."""

from __future__ import annotations

from nato_sim.analysis.compare import Comparison, DiffRow
from nato_sim.analysis.explain import Explanation
from nato_sim.analysis.sweep import Sweep
from nato_sim.output.tables import html_table, provenance_note
from nato_sim.results.formats import pct, pp, pp_interval, rounds_interval, signed


def _value(section: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f}" if section == "timing" else pct(value)


def _diff_cells(row: DiffRow) -> tuple[str, str, str, str]:
    if row.section == "timing":
        difference, bounds = signed(row.difference), rounds_interval(row.low, row.high)
    else:
        difference, bounds = pp(row.difference), pp_interval(row.low, row.high)
    return _value(row.section, row.baseline), _value(row.section, row.variant), difference, bounds


def comparison_html(comparison: Comparison) -> str:
    """Baseline, variant, difference and its interval; `*` marks a clear difference; a figure
    on one side only is shown as n/a on the other, not compared."""
    rows: list[tuple[str, ...]] = []
    for section in ("outcome", "milestone", "timing"):
        rows += [
            (r.name, *_diff_cells(r), "*" if r.marked else "")
            for r in comparison.rows
            if r.section == section
        ]
        rows += [
            (u.name, _value(section, u.baseline), _value(section, u.variant), "n/a", "", "")
            for u in comparison.unmatched
            if u.section == section
        ]
    prov = comparison.provenance
    overrides = " ".join(prov["variant"]["overrides"]) or prov["variant"]["scenario"]
    unmatched = (
        " n/a: on one side only, or rounds of different calendars; not compared."
        if comparison.unmatched
        else ""
    )
    return html_table(
        ("", "baseline", "variant", "difference", "95% interval", ""),
        rows,
        f"{prov['baseline']['scenario']} vs {overrides}",
        f"* interval excludes 0.{unmatched} {comparison.method}. " + provenance_note(prov),
    )


def explanation_html(explanation: Explanation) -> str:
    """The veto-impact table: one row per objection rule, most impact first."""
    base = explanation.baseline
    member, name = base.member_name, base.candidate_name

    def change(row: DiffRow) -> str:
        text = signed(row.difference) if row.section == "timing" else pp(row.difference)
        return text + ("*" if row.marked else "")

    rows = [
        (
            r.rule,
            f"{', '.join(member(m) for m in r.members)} → "
            f"{', '.join(name(c) for c in r.candidates)}",
            name(r.candidate) if r.candidate else "–",
            f"{pct(r.candidate_change.baseline)} → {pct(r.candidate_change.variant)}",
            change(r.candidate_change),
            change(r.winner_change),
            change(r.round_change),
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
            "P(candidate) with → without",
            "change",
            f"change in P({name(explanation.winner)})",
            "change in expected decision round",
            "sole blocker, share of all trials",
            "impact",
        ),
        rows,
        f"Veto impact in {explanation.provenance['baseline']['scenario']}",
        f"{explanation.method}. " + provenance_note(explanation.provenance),
    )


def sweep_html(sweep: Sweep) -> str:
    """One row per grid point: the parameter values and every outcome's probability."""
    outcomes = sweep.outcomes
    names = {o.outcome: o.name for o in sweep.baseline.outcomes}
    rows = []
    for point in sweep.points:
        probs = {o.outcome: o.probability for o in point.results.outcomes}
        rows.append(
            (*(f"{v:g}" for v in point.values), *(pct(probs.get(o, 0.0)) for o in outcomes))
        )
    return html_table(
        (*(a.path for a in sweep.axes), *(names[o] for o in outcomes)),
        rows,
        f"Sweep of {sweep.provenance['scenario']}",
        provenance_note(sweep.provenance),
    )
