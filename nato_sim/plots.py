"""Figures of runs, comparisons, veto impact and sweeps (needs the 'plot' extra).

matplotlib is imported only when a figure is drawn. Figures are built with the
object-oriented API (``matplotlib.figure.Figure``), never through pyplot, so drawing one
neither changes the backend of a notebook nor keeps figures alive in a global registry.
Files are rendered to memory and written atomically.
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from nato_sim.errors import UsageError
from nato_sim.export import write_atomic

if TYPE_CHECKING:  # annotations only: the analysis modules import this one lazily
    from nato_sim.analysis.compare import Comparison
    from nato_sim.analysis.explain import Explanation
    from nato_sim.analysis.sweep import Sweep
    from nato_sim.results import Results

FORMATS = {".png": "png", ".svg": "svg"}
BLUE, ORANGE, GREY = "#1f77b4", "#d95f02", "#7f7f7f"


def figure_class():
    """matplotlib's Figure, or a UsageError saying how to install matplotlib."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise UsageError("plots need matplotlib: pip install 'nato-sim[plot]'") from None
    return Figure


def check_plot_path(path: str | Path) -> str:
    """The image format for `path` (png or svg); raise UsageError before any work if the
    extension is not one of those or matplotlib is missing."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(f"--plot {str(path)!r}: the file must end in .png or .svg")
    figure_class()
    return FORMATS[suffix]


def save_figure(figure, path: str | Path) -> None:
    """Render a figure to PNG or SVG (from the extension) and write it atomically."""
    fmt = check_plot_path(path)
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    figure.savefig(buffer, format=fmt, dpi=150, bbox_inches="tight", metadata=metadata)
    write_atomic(path, buffer.getvalue())


def _provenance_line(prov: dict) -> str:
    return f"{prov['trials']:,} trials · seed {prov['seed']} · nato-sim {prov['version']}"


def _wrap(text: str, width: int = 28) -> str:
    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False)) or text


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def run_figure(results: Results):
    """Outcome probabilities with 95% interval bars, and P(decided by) over rounds or dates
    with the milestones marked."""
    figure = figure_class()(figsize=(11, 4.6), layout="constrained")
    left, right = figure.subplots(1, 2, width_ratios=[1, 1.35])
    _outcome_panel(left, results)
    _timing_panel(right, results)
    prov = results.provenance
    figure.suptitle(f"{prov['scenario']} — {_provenance_line(prov)}", fontsize=11)
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
    errors = [[max(0.0, o.probability - o.low) for o in rows],
              [max(0.0, o.high - o.probability) for o in rows]]
    ax.barh(y, probs, xerr=errors, color=BLUE, ecolor="black", capsize=3)
    ax.set_yticks(list(y), [_wrap(o.name, 24) for o in rows])
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
    ax.fill_between(x, [r.low for r in rows], [r.high for r in rows], step="post",
                    color=BLUE, alpha=0.2, linewidth=0, label="95% interval")
    ax.step(x, y, where="post", color=BLUE, label="P(decided by)")
    for m in results.milestones:
        where = m.date if dated and m.date is not None else (
            rows[m.last_round - 1].date if dated and m.last_round >= 1 else m.last_round)
        ax.axvline(where, color=ORANGE, linestyle="--", linewidth=1)
        ax.text(where, 0.98, f"{_shorten(m.milestone, 44)}: {100 * m.probability:.0f}%",
                transform=ax.get_xaxis_transform(), rotation=90, va="top", ha="right",
                fontsize=7.5, color=ORANGE,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})
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


def _forest(ax, labels: list[str], diffs, lows, highs, clear: list[bool]) -> None:
    """Differences as points with interval bars; clear differences in colour."""
    y = list(range(len(labels)))[::-1]
    for yi, d, lo, hi, c in zip(y, diffs, lows, highs, clear, strict=True):
        colour = ORANGE if c else GREY
        ax.errorbar([d], [yi], xerr=[[max(0.0, d - lo)], [max(0.0, hi - d)]], fmt="o",
                    color=colour, capsize=3)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, len(labels) - 0.3)
    ax.grid(axis="x", alpha=0.3)


def comparison_figure(comparison: Comparison):
    """Each probability's change (variant − baseline) with its 95% interval."""
    rows = [r for r in comparison.rows if r.section != "timing"]
    figure = figure_class()(figsize=(8, 1.4 + 0.45 * len(rows)), layout="constrained")
    ax = figure.subplots()
    _forest(ax, [_wrap(r.name, 32) for r in rows], [100 * r.difference for r in rows],
            [100 * r.low for r in rows], [100 * r.high for r in rows],
            [r.distinguishable for r in rows])
    ax.set_xlabel("variant − baseline (percentage points; bars: 95% interval)")
    prov = comparison.provenance
    variant = " ".join(prov["variant"]["overrides"]) or prov["variant"]["scenario"]
    ax.set_title(_wrap(f"{prov['baseline']['scenario']} vs {variant}", 80)
                 + f"\n{_provenance_line(prov)}; orange: distinguishable from noise",
                 loc="left", fontsize=9)
    return figure


def explanation_figure(explanation: Explanation):
    """Each rule's effect on its candidate's probability when the rule is taken away."""
    rules = explanation.rules
    figure = figure_class()(figsize=(8, 1.4 + 0.45 * max(1, len(rules))),
                            layout="constrained")
    ax = figure.subplots()
    labels = [f"{r.rule}: {', '.join(r.members)} → {r.candidate}" for r in rules]
    changes = [r.candidate_change for r in rules]
    _forest(ax, [_wrap(label, 36) for label in labels], [100 * c.difference for c in changes],
            [100 * c.low for c in changes], [100 * c.high for c in changes],
            [c.distinguishable for c in changes])
    ax.set_xlabel("change in P(candidate) without the rule (percentage points)")
    ax.set_title(f"Veto impact in {explanation.provenance['scenario']} (most impact at the "
                 f"top)\n{_provenance_line(explanation.provenance)}; orange: distinguishable "
                 "from noise", loc="left", fontsize=9)
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
            line, = ax.plot(axis.values, p, marker="o", markersize=3, label=names[label])
            ax.fill_between(axis.values, lo, hi, color=line.get_color(), alpha=0.2,
                            linewidth=0)
        ax.set_xlabel(axis.path)
        ax.set_ylabel("probability (bands: 95% interval)")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    else:
        outcome = outcome or sweep.default_outcome
        first, second = sweep.axes
        p, _, _ = sweep.grid(outcome)
        figure = figure_cls(figsize=(2.5 + 0.6 * len(second.values),
                                     1.8 + 0.45 * len(first.values)), layout="constrained")
        ax = figure.subplots()
        image = ax.imshow(p, origin="lower", aspect="auto", cmap="viridis", vmin=0, vmax=1)
        ax.set_xticks(range(len(second.values)), [f"{v:g}" for v in second.values])
        ax.set_yticks(range(len(first.values)), [f"{v:g}" for v in first.values])
        ax.set_xlabel(second.path)
        ax.set_ylabel(first.path)
        if p.size <= 225:
            for (i, j), value in _cells(p):
                ax.text(j, i, f"{100 * value:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if value < 0.6 else "black")
        figure.colorbar(image, ax=ax, label=f"P({names[outcome]})")
    ax.set_title(_wrap(f"Sweep of {sweep.provenance['scenario']} — "
                       f"{_provenance_line(sweep.provenance)}", 70), loc="left", fontsize=9)
    return figure


def _cells(grid):
    """(row, column) and value of every cell of a 2-D array."""
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            yield (i, j), float(grid[i, j])
