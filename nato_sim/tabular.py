"""Results as tables for notebooks: tidy records, pandas DataFrames and HTML.

Every record carries its provenance (seed, trials, scenario hash, version) so a row copied
out of a notebook still says where it came from. pandas is an optional extra; the HTML
tables need nothing beyond the standard library.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nato_sim.errors import UsageError

if TYPE_CHECKING:  # imported for annotations only: these modules import this one lazily
    from nato_sim.analysis.compare import Comparison
    from nato_sim.analysis.explain import Explanation
    from nato_sim.analysis.sweep import Sweep
    from nato_sim.results import Results


def require_pandas():
    """The pandas module, or a UsageError saying how to install it."""
    try:
        import pandas
    except ImportError:
        raise UsageError("tables as DataFrames need pandas: "
                         "pip install 'nato-sim[pandas]'") from None
    return pandas


def to_frame(records: list[dict[str, Any]]):
    """A DataFrame of tidy records, columns in record order."""
    return require_pandas().DataFrame.from_records(records)


def stamp(provenance: dict[str, Any]) -> dict[str, Any]:
    """The provenance columns of one run."""
    return {"seed": provenance["seed"], "trials": provenance["trials"],
            "scenario": provenance["scenario"], "scenario_hash": provenance["scenario_hash"],
            "overrides": " ".join(provenance["overrides"]), "version": provenance["version"]}


def pair_stamp(provenance: dict[str, Any]) -> dict[str, Any]:
    """The provenance columns of a paired run (baseline and variant share the seed)."""
    base, variant = provenance["baseline"], provenance["variant"]
    return {"seed": provenance["seed"], "trials": provenance["trials"],
            "block_size": provenance["block_size"], "baseline_scenario": base["scenario"],
            "baseline_hash": base["scenario_hash"], "variant_scenario": variant["scenario"],
            "variant_hash": variant["scenario_hash"],
            "variant_overrides": " ".join(variant["overrides"]),
            "version": provenance["version"]}


def results_records(results: Results) -> list[dict[str, Any]]:
    """One row per outcome of a run, with provenance."""
    prov = stamp(results.provenance)
    return [{"outcome": o.outcome, "name": o.name, "probability": o.probability,
             "low": o.low, "high": o.high, "count": o.count, **prov}
            for o in results.outcomes]


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _pp(value: float) -> str:
    return f"{100 * value:+.1f} pp"


def html_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], caption: str,
               note: str = "") -> str:
    """A plain HTML table; every cell is escaped."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row)
                   + "</tr>" for row in rows)
    foot = f"<p><small>{html.escape(note)}</small></p>" if note else ""
    return (f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>{foot}")


def _provenance_note(provenance: dict[str, Any]) -> str:
    return (f"{provenance['trials']:,} trials · seed {provenance['seed']} · "
            f"nato-sim {provenance['version']}")


def results_html(results: Results) -> str:
    """The outcome table of a run."""
    prov = results.provenance
    rows = [(o.name, _pct(o.probability), f"[{_pct(o.low)}, {_pct(o.high)}]", f"{o.count:,}")
            for o in sorted(results.outcomes, key=lambda o: -o.probability)]
    return html_table(("outcome", "P", "95% interval", "trials"), rows,
                      f"{prov['scenario']} (hash {prov['scenario_hash']})",
                      _provenance_note(prov))


def _diff_cells(section: str, baseline: float, variant: float, diff: float, low: float,
                high: float) -> tuple[str, str, str, str]:
    if section == "timing":
        return (f"{baseline:.2f}", f"{variant:.2f}", f"{diff:+.2f} rounds",
                f"[{low:+.2f}, {high:+.2f}]")
    return _pct(baseline), _pct(variant), _pp(diff), f"[{_pp(low)}, {_pp(high)}]"


def comparison_html(comparison: Comparison) -> str:
    """Baseline, variant, difference and its interval; `*` marks a clear difference."""
    rows = [(r.name, *_diff_cells(r.section, r.baseline, r.variant, r.difference, r.low,
                                  r.high), "*" if r.distinguishable else "")
            for r in comparison.rows]
    prov = comparison.provenance
    overrides = " ".join(prov["variant"]["overrides"]) or prov["variant"]["scenario"]
    return html_table(("", "baseline", "variant", "difference", "95% interval", ""), rows,
                      f"{prov['baseline']['scenario']} vs {overrides}",
                      f"* interval excludes 0. {comparison.method}. "
                      + _provenance_note(prov))


def explanation_html(explanation: Explanation) -> str:
    """The veto-impact table: one row per objection rule, most impact first."""
    rows = [(r.rule, f"{', '.join(r.members)} → {', '.join(r.candidates)}",
             r.candidate, f"{_pct(r.candidate_change.baseline)} → "
             f"{_pct(r.candidate_change.variant)}", _pp(r.candidate_change.difference),
             _pp(r.winner_change.difference), f"{r.round_change.difference:+.2f}",
             _pct(r.sole_blocker), _pct(r.impact))
            for r in explanation.rules]
    return html_table(("rule", "objection", "candidate", "P(candidate)", "change",
                       f"change P({explanation.winner})", "change exp. round",
                       "sole blocker", "impact"), rows,
                      f"Veto impact in {explanation.provenance['baseline']['scenario']}",
                      f"{explanation.method}. " + _provenance_note(explanation.provenance))


def sweep_html(sweep: Sweep) -> str:
    """One row per grid point: the parameter values and every outcome's probability."""
    outcomes = sweep.outcomes
    rows = []
    for point in sweep.points:
        probs = {o.outcome: o.probability for o in point.results.outcomes}
        rows.append((*(f"{v:g}" for v in point.values),
                     *(_pct(probs.get(o, 0.0)) for o in outcomes)))
    return html_table((*(a.path for a in sweep.axes), *outcomes), rows,
                      f"Sweep of {sweep.provenance['scenario']}",
                      _provenance_note(sweep.provenance))
