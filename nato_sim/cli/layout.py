"""Tables that fit the terminal: numbers and ids whole, text wrapped between words.

Every table of the command line is a :class:`Grid`. When it is printed it learns the width it
has (the terminal's, `COLUMNS`, or 80 in a pipe) and lays itself out for it:

- every column gets at least its longest unbreakable piece: a whole cell of a column of
  numbers or ids (`Col(wrap=False)`, the default), the longest word of a text column
  (`Col(wrap=True)`), the longest word of its header;
- the room left goes first to the columns of numbers and ids, until their headers take
  two lines at most, then to the text, then to the numbers' headers again; within each
  step, in proportion to what each column lacks, as browsers lay out tables;
- a bar column (`Col(bar=True)`, cells are probabilities) takes what is left, up to
  `BAR_WIDTH`, and is left out when fewer than `MIN_BAR` characters remain;
- a table whose unbreakable pieces do not fit side by side is stacked: one block per row,
  headed by its first cell, with one `label: value` line per other cell.

Headers wrap between words only; numbers, ids and dates never wrap and are never cut.
:class:`Fields` lays out a line of `a · b · c` fields the same way: it wraps between fields,
never inside one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, JustifyMethod, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

BAR_WIDTH = 20
MIN_BAR = 8
INDENT = 2


@dataclass(frozen=True)
class Col:
    """A column: its header, how it is justified, and whether its text may wrap.

    Attributes:
        header: the heading; it wraps between words when the column is narrow.
        justify: `left` for names, `right` for numbers.
        wrap: True for free text (names, notes), which wraps at word boundaries; False for
            numbers, ids, dates and paths, which are never broken.
        bar: the cells are probabilities, drawn as bars as wide as the room allows.
    """

    header: str
    justify: JustifyMethod = "left"
    wrap: bool = False
    bar: bool = False


def bar(probability: float, width: int = BAR_WIDTH) -> str:
    """A bar of eighth-blocks, `width` characters at probability 1."""
    eighths = round(max(0.0, min(1.0, probability)) * width * 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + ("▏▎▍▌▋▊▉"[rest - 1] if rest else "")


def _share(widths: list[int], bounds: list[tuple[int, int]], columns: list[int], spare: int) -> int:
    """Widen `columns` towards their natural width with at most `spare` cells, in proportion
    to what each lacks; return what is left."""
    lacking = {k: max(0, bounds[k][1] - widths[k]) for k in columns}
    total = sum(lacking.values())
    if total <= spare:
        for k in columns:
            widths[k] += lacking[k]
        return spare - total
    if total > 0:
        shares = {k: spare * lacking[k] / total for k in columns}
        for k in columns:
            widths[k] += int(shares[k])
        left = spare - sum(int(v) for v in shares.values())
        for k in sorted(columns, key=lambda k: int(shares[k]) - shares[k])[:left]:
            widths[k] += 1
    return 0


def _two_line_width(col: Col) -> int:
    """The narrowest width at which a column's header takes at most two lines."""
    header = col.header
    width = _longest_word(header)
    while len(wrap_words(header, width).split("\n")) > 2:
        width += 1
    return width


def _plain(cell: object) -> str:
    if isinstance(cell, Text):
        return cell.plain
    return "" if cell is None else str(cell)


def _longest_word(text: str) -> int:
    return max((cell_len(word) for line in text.split("\n") for word in line.split()), default=0)


def _longest_line(text: str) -> int:
    return max((cell_len(line) for line in text.split("\n")), default=0)


def wrap_words(text: str, width: int) -> str:
    """Text broken into lines of at most `width` cells, at spaces only (a word longer than
    the width keeps a line of its own; a no-break space joins words)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in (w for w in paragraph.split(" ") if w):
            if line and cell_len(line) + 1 + cell_len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    return "\n".join(lines)


class Grid:
    """A table that fits the width it is printed at, or stacks its rows when it cannot."""

    def __init__(
        self,
        columns: Sequence[Col],
        rows: Iterable[Sequence[object]] = (),
        *,
        title: str | None = None,
        notes: Sequence[str] = (),
        empty: str | None = None,
        label_heading: bool = False,
        boxed: bool = True,
        stacked_names: tuple[str, str] | None = None,
    ) -> None:
        """
        Args:
            columns: the columns, in order.
            rows: one sequence of cells per row (str, rich Text, or a probability for a
                bar column).
            title: printed above the table, wrapped between words.
            notes: lines printed under the table (dim), wrapped between words.
            empty: a line printed instead of the table when there is no row.
            label_heading: in the stacked layout, head each block `header: value` (for a
                first column of bare numbers) rather than with the value alone.
            boxed: draw borders; without, columns are set apart by two spaces.
            stacked_names: in the stacked layout, what the first column and the other
                columns' headers stand for (a grid of two parameters: each block is headed
                `first = value`, each line reads `second = header: value`).
        """
        self.columns = list(columns)
        self.rows = [list(row) for row in rows]
        self.title = title
        self.notes = list(notes)
        self.empty = empty
        self.label_heading = label_heading
        self.boxed = boxed
        self.stacked_names = stacked_names
        self.sections: set[int] = set()

    def add_row(self, *cells: object, end_section: bool = False) -> None:
        """Add a row; `end_section` draws a line under it (in the side-by-side layout)."""
        self.rows.append(list(cells))
        if end_section:
            self.sections.add(len(self.rows) - 1)

    # -- measuring ---------------------------------------------------------------------
    def _bounds(self) -> list[tuple[int, int]]:
        """Each text column's (narrowest, widest) content width; (0, 0) for a bar."""
        bounds = []
        for k, col in enumerate(self.columns):
            if col.bar:
                bounds.append((0, 0))
                continue
            cells = [_plain(row[k]) for row in self.rows]
            narrowest = max(
                [_longest_word(col.header)]
                + [_longest_word(c) if col.wrap else _longest_line(c) for c in cells]
            )
            widest = max([_longest_line(col.header)] + [_longest_line(c) for c in cells])
            bounds.append((max(narrowest, 1), max(widest, narrowest, 1)))
        return bounds

    def _overhead(self, n: int) -> int:
        """Borders and padding of a table with `n` columns."""
        return 3 * n + 1 if self.boxed else 2 * (n - 1)

    def _column_cost(self) -> int:
        """What one more column adds besides its content: a border and padding."""
        return 3 if self.boxed else 2

    def _widths(self, width: int) -> list[int] | None:
        """Column widths (a bar column 0 when it is left out) for `width`, or None when the
        table cannot fit side by side."""
        bounds = self._bounds()
        bars = [k for k, col in enumerate(self.columns) if col.bar]
        text = [k for k, col in enumerate(self.columns) if not col.bar]
        room = width - self._overhead(len(text))
        need = sum(bounds[k][0] for k in text)
        if need > room:
            return None
        widths = [bounds[k][0] for k in range(len(self.columns))]
        spare = room - need
        # Columns of numbers first, so that their headers take two lines at most; then
        # the text; then the numbers' headers back on one line. Within each step, as
        # browsers lay out tables: the room shared in proportion to what each column lacks.
        numbers = [k for k in text if not self.columns[k].wrap]
        words = [k for k in text if self.columns[k].wrap]
        two_lines = list(bounds)
        for k in numbers:
            two_lines[k] = (bounds[k][0], max(bounds[k][0], _two_line_width(self.columns[k])))
        for group, target in ((numbers, two_lines), (words, bounds), (numbers, bounds)):
            spare = _share(widths, target, group, spare)
        for k in bars:
            spare -= self._column_cost()  # the bar column's border and padding
            widths[k] = min(BAR_WIDTH, spare) if spare >= MIN_BAR else 0
            spare -= max(widths[k], 0)
        return widths

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(1, options.max_width)

    # -- rendering ---------------------------------------------------------------------
    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        if self.title:
            yield Paragraph(self.title, style="table.title")
        if not self.rows:
            if self.empty:
                yield Paragraph(self.empty, style="dim")
            yield from self._notes()
            return
        widths = self._widths(width)
        if widths is None:
            yield from self._stacked(width)
        else:
            yield self._table(widths)
        yield from self._notes()

    def _notes(self) -> RenderResult:
        for note in self.notes:
            yield Paragraph(note, style="dim")

    def _table(self, widths: list[int]) -> Table:
        if self.boxed:
            table = Table(header_style="table.header")
        else:
            table = Table(header_style="table.header", box=None, pad_edge=False)
        shown = [k for k, col in enumerate(self.columns) if not (col.bar and widths[k] <= 0)]
        for k in shown:
            col, w = self.columns[k], widths[k]
            fits = _longest_word(col.header) <= w
            header = wrap_words(col.header, w) if fits else ""  # only a bar may lose it
            table.add_column(
                Text(header, justify=col.justify),
                justify=col.justify,
                width=w,
                no_wrap=not col.wrap,
                overflow="fold" if col.wrap else "ellipsis",
            )
        for i, row in enumerate(self.rows):
            cells: list[object] = []
            for k in shown:
                col, cell = self.columns[k], row[k]
                if col.bar:
                    cells.append(bar(float(cell or 0.0), widths[k]))  # type: ignore[arg-type]
                else:
                    # Text, not a string: cells are data, never markup (`[tur-rutte]`).
                    cells.append(cell if isinstance(cell, Text) else Text(_plain(cell)))
            table.add_row(*cells, end_section=i in self.sections)  # type: ignore[arg-type]
        return table

    def _stacked(self, width: int) -> RenderResult:
        """One block per row: the first cell as its heading, then `label: value` lines."""
        first = self.columns[0]
        for row in self.rows:
            heading = _plain(row[0])
            if self.stacked_names is not None:
                heading = f"{self.stacked_names[0]} = {heading}"
            elif self.label_heading and first.header:
                heading = f"{first.header}: {heading}"
            if first.wrap:
                yield Paragraph(heading, style="bold")
            else:
                yield Text(heading, style="bold", no_wrap=True, overflow="ignore")
            for col, cell in zip(self.columns[1:], row[1:], strict=True):
                if col.bar:
                    continue
                value = _plain(cell)
                if not value.strip():
                    continue
                label = " ".join(col.header.split()) or "·"
                if self.stacked_names is not None:
                    label = f"{self.stacked_names[1]} = {label}"
                line = f"{label}: {value}"
                if "\n" not in value and INDENT + cell_len(line) <= width:
                    yield _styled(cell, f"{' ' * INDENT}{label}: ")
                    continue
                # The value on lines of its own, under its label.
                yield Text(f"{' ' * INDENT}{label}:")
                if col.wrap:
                    yield Paragraph(value, indent=2 * INDENT)
                else:
                    for part in value.split("\n"):
                        yield _styled(part, " " * (2 * INDENT))


def _styled(cell: object, prefix: str) -> Text:
    """A cell's text on one line after a prefix, keeping its style; never wrapped or cut
    (it was checked to fit, or it is a token that must stay whole)."""
    text = Text(prefix, no_wrap=True, overflow="ignore")
    if isinstance(cell, Text):
        text.append_text(cell)
    else:
        text.append(_plain(cell))
    return text


class Fields:
    """`a · b · c` on as few lines as the width allows, broken between fields only.

    A field wider than the line (a long path) keeps a line of its own and is not cut: print
    with `crop=False`.
    """

    def __init__(self, fields: Iterable[str], *, style: str = "", sep: str = " · ") -> None:
        self.fields = [f for f in fields if f]
        self.style = style
        self.sep = sep

    def lines(self, width: int) -> list[str]:
        """The fields packed into lines of at most `width` cells where they fit; a line
        that goes on ends with the separator."""
        tail = self.sep.rstrip()
        lines: list[str] = []
        line = ""
        for i, field in enumerate(self.fields):
            more = i < len(self.fields) - 1
            candidate = f"{line}{self.sep}{field}" if line else field
            if line and cell_len(candidate) + (cell_len(tail) if more else 0) > width:
                lines.append(line + tail)
                line = field
            else:
                line = candidate
        if line:
            lines.append(line)
        return lines

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(1, options.max_width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.lines(options.max_width):
            yield Text(line, style=self.style, no_wrap=True, overflow="ignore")


class Paragraph:
    """Text wrapped between words; a date (`16 May 2024`), `95% CI` and `round 7` are kept
    on one line."""

    _KEEP = re.compile(r"\b\d{1,2} [A-Z][a-z]+ \d{4}\b|95% CI|\bround \d+\b|\bin round\b")

    def __init__(self, text: str, style: str = "", indent: int = 0) -> None:
        self.text = text
        self.style = style
        self.indent = indent

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(1, options.max_width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        joined = self._KEEP.sub(lambda m: m.group(0).replace(" ", "\xa0"), self.text)
        width = max(1, options.max_width - self.indent)
        for line in wrap_words(joined, width).split("\n"):
            yield Text(
                " " * self.indent + line.replace("\xa0", " "),
                style=self.style,
                no_wrap=True,
                overflow="ignore",
            )


def one_line(text: str, style: str = "dim") -> Text:
    """A line that must not be wrapped (a shell command to copy): print with `crop=False`."""
    return Text(text, style=style, no_wrap=True, overflow="ignore")
