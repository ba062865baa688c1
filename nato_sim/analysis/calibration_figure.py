"""The reliability diagram of a backtest (needs the 'plot' extra)."""

from __future__ import annotations

from collections.abc import Sequence

from nato_sim.analysis.calibration import Bin
from nato_sim.output.figures import BLUE, GREY, figure_class, provenance_line, wrap


def reliability_figure(bins: Sequence[Bin], provenance: dict, cases: int):
    """Observed frequency against mean forecast per bin; each point labelled with its count."""
    figure = figure_class()(figsize=(6, 6), layout="constrained")
    ax = figure.subplots()
    ax.plot([0, 1], [0, 1], color=GREY, linewidth=0.8, linestyle="--", label="calibrated")
    full = [b for b in bins if b.count]
    for b in bins:
        ax.axvspan(b.low, b.high, color=GREY, alpha=0.06 if int(b.low * 10) % 2 else 0.0)
    if full:
        largest = max(b.count for b in full)
        ax.scatter(
            [b.mean_forecast for b in full],
            [b.observed for b in full],
            s=[30 + 270 * b.count / largest for b in full],
            color=BLUE,
            alpha=0.8,
            label="model (area ~ forecasts in the bin)",
            zorder=3,
        )
        for b in full:
            assert b.mean_forecast is not None and b.observed is not None
            ax.annotate(
                f"{b.happened}/{b.count}",
                (b.mean_forecast, b.observed),
                textcoords="offset points",
                xytext=(8, -4),
                fontsize=8,
            )
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_aspect("equal")
    ax.set_xlabel("forecast probability (mean within each bin of 0.1)")
    ax.set_ylabel("observed frequency (happened / forecasts)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", markerscale=0.5)
    ax.set_title(
        wrap(
            f"Calibration over every outcome of {cases} case{'s' if cases != 1 else ''}",
            60,
        )
        + f"\n{provenance_line(provenance)}",
        loc="left",
        fontsize=9,
    )
    return figure
