"""Figures of comparisons, veto impact and sweeps (needs the 'plot' extra)."""

from __future__ import annotations

from nato_sim.analysis.compare import Comparison
from nato_sim.analysis.explain import Explanation
from nato_sim.analysis.sweep import Sweep
from nato_sim.output.figures import figure_class, forest, provenance_line, wrap


def comparison_figure(comparison: Comparison):
    """Each probability's change (variant − baseline) with its 95% interval."""
    rows = [r for r in comparison.rows if r.section != "timing"]
    figure = figure_class()(figsize=(8, 1.4 + 0.45 * len(rows)), layout="constrained")
    ax = figure.subplots()
    forest(
        ax,
        [wrap(r.name, 32) for r in rows],
        [100 * r.difference for r in rows],
        [100 * r.low for r in rows],
        [100 * r.high for r in rows],
        [r.distinguishable for r in rows],
    )
    ax.set_xlabel("variant − baseline (percentage points; bars: 95% interval)")
    prov = comparison.provenance
    variant = " ".join(prov["variant"]["overrides"]) or prov["variant"]["scenario"]
    ax.set_title(
        wrap(f"{prov['baseline']['scenario']} vs {variant}", 80)
        + f"\n{provenance_line(prov)}; orange: distinguishable from noise",
        loc="left",
        fontsize=9,
    )
    return figure


def explanation_figure(explanation: Explanation):
    """Each rule's effect on its candidate's probability when the rule is taken away."""
    rules = explanation.rules
    figure = figure_class()(figsize=(8, 1.4 + 0.45 * max(1, len(rules))), layout="constrained")
    ax = figure.subplots()
    labels = [f"{r.rule}: {', '.join(r.members)} → {r.candidate}" for r in rules]
    changes = [r.candidate_change for r in rules]
    forest(
        ax,
        [wrap(label, 36) for label in labels],
        [100 * c.difference for c in changes],
        [100 * c.low for c in changes],
        [100 * c.high for c in changes],
        [c.distinguishable for c in changes],
    )
    ax.set_xlabel("change in P(candidate) without the rule (percentage points)")
    ax.set_title(
        f"Veto impact in {explanation.provenance['scenario']} (most impact at the "
        f"top)\n{provenance_line(explanation.provenance)}; orange: distinguishable "
        "from noise",
        loc="left",
        fontsize=9,
    )
    return figure


def sweep_figure(sweep: Sweep, outcome: str | None = None):
    """One axis: every outcome's probability with its interval band. Two axes: a heat map
    of one outcome (default: the baseline's most likely)."""
    figure_cls = figure_class()
    names = {o.outcome: o.name for o in sweep.baseline.outcomes}
    if len(sweep.axes) == 1:
        axis = sweep.axes[0]
        figure = figure_cls(figsize=(8, 4.6), layout="constrained")
        ax = figure.subplots()
        shown = [outcome] if outcome else sweep.outcomes
        for label in shown:
            p, lo, hi = sweep.grid(label)
            if outcome is None and p.max() == 0:
                continue
            (line,) = ax.plot(axis.values, p, marker="o", markersize=3, label=names[label])
            ax.fill_between(axis.values, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
        ax.set_xlabel(axis.path)
        ax.set_ylabel("probability (bands: 95% interval)")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    else:
        outcome = outcome or sweep.default_outcome
        first, second = sweep.axes
        p, _, _ = sweep.grid(outcome)
        figure = figure_cls(
            figsize=(2.5 + 0.6 * len(second.values), 1.8 + 0.45 * len(first.values)),
            layout="constrained",
        )
        ax = figure.subplots()
        image = ax.imshow(p, origin="lower", aspect="auto", cmap="viridis", vmin=0, vmax=1)
        ax.set_xticks(range(len(second.values)), [f"{v:g}" for v in second.values])
        ax.set_yticks(range(len(first.values)), [f"{v:g}" for v in first.values])
        ax.set_xlabel(second.path)
        ax.set_ylabel(first.path)
        if p.size <= 225:
            for (i, j), value in _cells(p):
                ax.text(
                    j,
                    i,
                    f"{100 * value:.0f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if value < 0.6 else "black",
                )
        figure.colorbar(image, ax=ax, label=f"P({names[outcome]})")
    ax.set_title(
        wrap(f"Sweep of {sweep.provenance['scenario']} — {provenance_line(sweep.provenance)}", 70),
        loc="left",
        fontsize=9,
    )
    return figure


def _cells(grid):
    """(row, column) and value of every cell of a 2-D array."""
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            yield (i, j), float(grid[i, j])
