"""Figures: matplotlib loaded on demand, saved to PNG or SVG (needs the 'plot' extra).

matplotlib is imported only when a figure is drawn. Figures are built with the
object-oriented API (``matplotlib.figure.Figure``), never through pyplot, so drawing one
neither changes the backend of a notebook nor keeps figures alive in a global registry.
Files are rendered to memory and written atomically.
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

from nato_sim.errors import UsageError
from nato_sim.output.files import write_atomic

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


def provenance_line(prov: dict) -> str:
    """Trials, seed and version, for a figure's title."""
    return f"{prov['trials']:,} trials · seed {prov['seed']} · nato-sim {prov['version']}"


def wrap(text: str, width: int = 28) -> str:
    """Text wrapped at spaces into lines of at most `width` characters."""
    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False)) or text


def shorten(text: str, width: int) -> str:
    """Text cut to `width` characters with an ellipsis."""
    return text if len(text) <= width else text[: width - 1] + "…"


def forest(ax, labels: list[str], diffs, lows, highs, clear: list[bool]) -> None:
    """Differences as points with interval bars; clear differences in colour."""
    y = list(range(len(labels)))[::-1]
    for yi, d, lo, hi, c in zip(y, diffs, lows, highs, clear, strict=True):
        colour = ORANGE if c else GREY
        ax.errorbar(
            [d],
            [yi],
            xerr=[[max(0.0, d - lo)], [max(0.0, hi - d)]],
            fmt="o",
            color=colour,
            capsize=3,
        )
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, len(labels) - 0.3)
    ax.grid(axis="x", alpha=0.3)
