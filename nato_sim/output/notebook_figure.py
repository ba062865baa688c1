"""matplotlib's Figure, shown by Jupyter as the value of a cell (imported with matplotlib).

A figure made with the object-oriented API belongs to no pyplot backend, so without
``%matplotlib inline`` a notebook would print ``<Figure size 1100x460 with 2 Axes>``. A
``_repr_png_`` method is what IPython asks any object for: with it ``results.plot()`` as the
last line of a cell shows the picture, whatever backend, or none, is active.
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure

NOTEBOOK_DPI = 100


class NotebookFigure(Figure):
    """A Figure that renders itself as PNG for IPython's display."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(
            buffer,
            format="png",
            dpi=NOTEBOOK_DPI,
            bbox_inches="tight",
            metadata={"Software": None},
        )
        return buffer.getvalue()
