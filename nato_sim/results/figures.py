"""Figures of a run: outcome bars and the decision curve (needs the 'plot' extra)."""

from __future__ import annotations

from pathlib import Path

from nato_sim.output.figures import (
    BLUE,
    ORANGE,
    check_plot_path,
    figure_class,
    provenance_line,
    save_figure,
    shorten,
    wrap,
)
from nato_sim.results.summary import Results


def run_figure(results: Results):
    """Outcome probabilities with 95% interval bars, and P(decided by) over rounds or dates
    with the milestones marked."""
    figure = figure_class()(figsize=(11, 4.6), layout="constrained")
    left, right = figure.subplots(1, 2, width_ratios=[1, 1.35])
    _outcome_panel(left, results)
    _timing_panel(right, results)
    prov = results.provenance
    figure.suptitle(f"{prov['scenario']} — {provenance_line(prov)}", fontsize=11)
    return figure


def save_run_plot(results: Results, path: str | Path) -> None:
    """Draw a run (see `run_figure`) to a .png or .svg file, atomically."""
    check_plot_path(path)
    save_figure(run_figure(results), path)


def _outcome_panel(ax, results: Results) -> None:
    rows = sorted(results.outcomes, key=lambda o: o.probability)
    y = range(len(rows))
    probs = [o.probability for o in rows]
    # Clipped at 0: a Wilson bound may sit a rounding error beyond the estimate.
    errors = [
        [max(0.0, o.probability - o.low) for o in rows],
        [max(0.0, o.high - o.probability) for o in rows],
    ]
    ax.barh(y, probs, xerr=errors, color=BLUE, ecolor="black", capsize=3)
    ax.set_yticks(list(y), [wrap(o.name, 24) for o in rows])
    for i, o in enumerate(rows):
        ax.text(o.high + 0.02, i, f"{100 * o.probability:.1f}%", va="center", fontsize=9)
    ax.set_xlim(0, 1.18)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    ax.set_xlabel("probability (bars: 95% Wilson interval)")
    ax.set_title("Outcome", loc="left")


def _timing_panel(ax, results: Results) -> None:
    rows = results.rounds
    dated = bool(rows) and rows[0].date is not None
    x = [r.date if dated else r.round for r in rows]
    y = [r.probability_by for r in rows]
    ax.fill_between(
        x,
        [r.low for r in rows],
        [r.high for r in rows],
        step="post",
        color=BLUE,
        alpha=0.2,
        linewidth=0,
        label="95% interval",
    )
    ax.step(x, y, where="post", color=BLUE, label="P(decided by)")
    for m in results.milestones:
        where = (
            m.date
            if dated and m.date is not None
            else (rows[m.last_round - 1].date if dated and m.last_round >= 1 else m.last_round)
        )
        ax.axvline(where, color=ORANGE, linestyle="--", linewidth=1)
        ax.text(
            where,
            0.98,
            f"{shorten(m.milestone, 44)}: {100 * m.probability:.0f}%",
            transform=ax.get_xaxis_transform(),
            rotation=90,
            va="top",
            ha="right",
            fontsize=7.5,
            color=ORANGE,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
        )
    ax.set_ylim(0, 1.02)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    if dated:
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        ax.set_xlabel("date of the round")
    else:
        ax.set_xlabel("round")
    ax.set_ylabel("P(decided by)")
    ax.set_title("Cumulative probability of a decision", loc="left")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
