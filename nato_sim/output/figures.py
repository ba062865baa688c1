"""Figures: matplotlib loaded on demand, saved to PNG or SVG (needs the 'plot' extra).

matplotlib is imported only when a figure is drawn. Figures are built with the
object-oriented API (``matplotlib.figure.Figure``), never through pyplot, so drawing one
neither changes the backend of a notebook nor keeps figures alive in a global registry.
Files are rendered to memory and written atomically.
"""

from __future__ import annotations

import io
import re
import textwrap
from pathlib import Path

from nato_sim.errors import UsageError
from nato_sim.output.files import write_atomic
from nato_sim.output.tables import counted

FORMATS = {".png": "png", ".svg": "svg"}
BLUE, ORANGE, GREY = "#1f77b4", "#d95f02", "#7f7f7f"


def figure_class():
    """matplotlib's Figure (one that a notebook shows as the value of a cell), or a
    UsageError saying how to install matplotlib."""
    try:
        import matplotlib.figure  # noqa: F401
    except ImportError:
        raise UsageError("plots need matplotlib: pip install 'nato-sim[plot]'") from None
    from nato_sim.output.notebook_figure import NotebookFigure

    return NotebookFigure


def check_plot_path(path: str | Path) -> str:
    """The image format for `path` (png or svg); raise UsageError before any work if the
    extension is not one of those or matplotlib is missing."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(f"--plot {str(path)!r}: the file must end in .png or .svg")
    figure_class()
    return FORMATS[suffix]


def render(figure, fmt: str, dpi: int = 150) -> bytes:
    """A figure rendered to PNG or SVG bytes, without a date or software stamp (so the same
    figure gives the same bytes)."""
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    figure.savefig(buffer, format=fmt, dpi=dpi, bbox_inches="tight", metadata=metadata)
    return buffer.getvalue()


def save_figure(figure, path: str | Path) -> None:
    """Render a figure to PNG or SVG (from the extension) and write it atomically."""
    write_atomic(path, render(figure, check_plot_path(path)))


def inline_svg(figure, prefix: str) -> str:
    """A figure as an `<svg>` element to put inside an HTML page: text drawn as paths (no
    font to load), no XML prolog or metadata, every id prefixed with `prefix` so that
    several figures on one page keep theirs apart, and the same bytes for the same figure."""
    from matplotlib import rc_context

    with rc_context({"svg.fonttype": "path", "svg.hashsalt": "nato-sim"}):
        text = render(figure, "svg").decode("utf-8")
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)
    text = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', text)
    return re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", text)


def provenance_line(prov: dict) -> str:
    """Trials, seed and version, for a figure's title."""
    return f"{counted(prov['trials'], 'trial')} · seed {prov['seed']} · nato-sim {prov['version']}"


def wrap(text: str, width: int = 28) -> str:
    """Text wrapped at spaces into lines of at most `width` characters; never cut, a word
    longer than `width` keeps a line of its own."""
    return "\n".join(wrap_lines(text, width))


def wrap_lines(text: str, width: int) -> list[str]:
    """Text wrapped at spaces into lines of at most `width` characters; a word longer than
    that stays whole on a line of its own."""
    return textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False) or [text]


def percent_axis(axis, *, signed: bool = False) -> None:
    """Tick labels of a probability axis in percent (`25%`), or of a difference of
    probabilities in signed percentage points (`+2.5 pp`); values are probabilities."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    def label(value: float, _position) -> str:
        number = f"{100 * value:+.4g}" if signed else f"{100 * value:.4g}"
        if float(number) == 0:
            number = "0"
        return f"{number} pp" if signed else f"{number}%"

    axis.set_major_formatter(FuncFormatter(label))
    if signed:  # longer labels: fewer ticks, so that they never run into each other
        axis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))


def forest(ax, labels: list[str] | None, diffs, lows, highs, clear: list[bool]) -> None:
    """Differences as points with interval bars, top to bottom; clear differences in colour.
    A difference of None (nothing to compare) leaves its row empty.

    Without `labels` the y ticks are left alone (an axis shared with a labelled one)."""
    n = len(diffs)
    y = list(range(n))[::-1]
    for yi, d, lo, hi, c in zip(y, diffs, lows, highs, clear, strict=True):
        if d is None:
            continue
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
    if labels is not None:
        ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, n - 0.3)
    ax.grid(axis="x", alpha=0.3)
