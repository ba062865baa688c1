"""Figures of a run: outcome bars and the decision curve (needs the 'plot' extra)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from nato_sim.output.figures import (
    BLUE,
    ORANGE,
    check_plot_path,
    figure_class,
    percent_axis,
    provenance_line,
    save_figure,
    wrap,
    wrap_lines,
)
from nato_sim.results.summary import MilestoneRow, Results

# Milestone labels: font size, and the share of a character's size its width takes at most.
LABEL_SIZE = 7.5
CHAR_WIDTH = 0.58
# Space kept between a label and the curve or the frame, as a share of the axis height.
LABEL_GAP = 0.03


def scenario_title(results: Results) -> str:
    """The scenario's title, or its name or path when the scenario is not at hand."""
    scenario = getattr(results, "scenario", None)
    return scenario.title if scenario is not None else str(results.provenance["scenario"])


def footer(provenance: dict) -> str:
    """The scenario as named, its overrides, trials, seed and version: a figure's foot."""
    overrides = provenance.get("overrides") or []
    where = provenance["scenario"] + (f" with {' '.join(overrides)}" if overrides else "")
    return f"{where} · {provenance_line(provenance)}"


def run_figure(results: Results):
    """Outcome probabilities with 95% interval bars, and P(decided by) over rounds or dates
    with the milestones marked."""
    figure = figure_class()(figsize=(11, 4.8), layout="constrained")
    left, right = figure.subplots(1, 2, width_ratios=[1, 1.35])
    _outcome_panel(left, results)
    _timing_panel(right, results)
    figure.suptitle(wrap(scenario_title(results), 100), fontsize=12, fontweight="bold")
    figure.supxlabel(wrap(footer(results.provenance), 150), fontsize=8, color="#555555")
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
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    percent_axis(ax.xaxis)
    ax.set_xlabel("probability (bars: 95% Wilson interval)")
    ax.set_title("Outcome", loc="left")


def _timing_panel(ax, results: Results) -> None:
    rows = results.rounds
    dated = bool(rows) and rows[0].date is not None
    x: list = [r.date if dated else r.round for r in rows]
    lows, highs = [r.low for r in rows], [r.high for r in rows]
    ys = [r.probability_by for r in rows]
    if rows:
        # One more step, so that the last round's level is drawn as wide as the others.
        step = (x[-1] - x[-2]) if len(x) > 1 else (dt.timedelta(days=1) if dated else 1)
        x, lows, highs, ys = x + [x[-1] + step], lows + lows[-1:], highs + highs[-1:], ys + ys[-1:]
    ax.fill_between(x, lows, highs, step="post", color=BLUE, alpha=0.25, linewidth=0)
    ax.step(x, ys, where="post", color=BLUE)
    ax.set_ylim(0, 1.02)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    percent_axis(ax.yaxis)
    for i, m in enumerate(results.milestones):
        _milestone(ax, results, m, dated, f"milestone-label-{i + 1}")
    if dated:
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        ax.set_xlabel("date of the round")
    else:
        ax.set_xlabel("round")
    ax.set_ylabel("P(decided by); band: 95% interval")
    ax.set_title("Cumulative probability of a decision", loc="left")
    ax.grid(alpha=0.3)


def _milestone(ax, results: Results, m: MilestoneRow, dated: bool, gid: str) -> None:
    """A dashed line at a milestone, labelled on the side of the line and the height where
    the curve is not: the curve only rises, so above it on the left of the line (where it
    is lower) or below it on the right (where it is higher), whichever leaves more room."""
    rows = results.rounds
    where: dt.date | int | None
    if dated and m.date is not None:
        where = m.date
    elif dated:
        where = rows[m.last_round - 1].date if m.last_round >= 1 else rows[0].date
    else:
        where = m.last_round
    ax.axvline(where, color=ORANGE, linestyle="--", linewidth=1)
    above = 1.0 - LABEL_GAP - (m.high + LABEL_GAP)
    below = (m.low - LABEL_GAP) - LABEL_GAP
    on_top = above >= below
    room = max(above, below, 0.1)
    label = f"{m.milestone}: {100 * m.probability:.0f}%"
    # The axis is about 0.7 of the figure's height; characters that fit along the room.
    height_points = ax.get_figure().get_figheight() * 72 * 0.7
    width = max(12, int(room * height_points / (LABEL_SIZE * CHAR_WIDTH)))
    from matplotlib.transforms import offset_copy

    # A little away from the dashed line, on the label's side.
    transform = offset_copy(
        ax.get_xaxis_transform(), ax.get_figure(), x=-2 if on_top else 2, units="points"
    )
    ax.text(
        where,
        1.0 - LABEL_GAP if on_top else LABEL_GAP,
        "\n".join(wrap_lines(label, width)),
        transform=transform,
        rotation=90,
        rotation_mode="anchor",
        va="bottom" if on_top else "top",
        ha="right" if on_top else "left",
        multialignment="left",
        fontsize=LABEL_SIZE,
        color=ORANGE,
        gid=gid,
    )
