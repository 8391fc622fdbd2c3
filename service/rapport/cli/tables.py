"""Tables that fit the terminal without cutting what they show.

rich shrinks a table that is too wide by cutting cells with an ellipsis, which turns
`philomena@mastodon.example` into `philom…` and a date into `2024-0…`: useless. Here a table
comes as layouts, from the most detailed to the narrowest, and the first one that fits the
console is printed with widths computed so that no line of a kept-whole column (names, dates,
numbers) is ever cut; only long text (reasons, evidence) wraps, between words. What a narrow
layout leaves out is said under the table (`--format json` always has everything).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rich import box
from rich.console import Console, JustifyMethod, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

__all__ = ["Column", "Layout", "fit_table", "left_out_note"]

#: Between two columns: right padding, the (blank) divider of box.SIMPLE_HEAD, left padding.
_GAP = 3
_UNBOUNDED = 10_000


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    justify: JustifyMethod = "left"
    #: Long text that may wrap between words; otherwise every line of a cell is kept whole.
    wrap: bool = False
    #: The narrowest a wrapping column may get (a name kept whole in it, or readability).
    min_width: int = 0


@dataclass(frozen=True, slots=True)
class Layout:
    columns: Sequence[Column]
    rows: Sequence[Sequence[RenderableType]]
    #: What this layout does not show, for the note under the table.
    left_out: Sequence[str] = field(default_factory=tuple)


def fit_table(console: Console, title: str, layouts: Sequence[Layout]) -> tuple[Table, Layout]:
    """The first layout that fits `console.width`, as a table; when none does, the narrowest,
    with every cell allowed to wrap (a very long name then wraps, whole, over two lines)."""
    for layout in layouts:
        widths = _widths(console, layout, console.width)
        if widths is not None:
            return _table(title, layout, widths), layout
    return _table(title, layouts[-1], None), layouts[-1]


def left_out_note(layout: Layout, width: int) -> Text | None:
    if not layout.left_out:
        return None
    return Text(
        f"Not shown at {width} columns: {', '.join(layout.left_out)} (see --format json).",
        style="dim",
    )


def _measure(console: Console, cell: RenderableType) -> Measurement:
    renderable = Text(cell) if isinstance(cell, str) else cell
    return Measurement.get(console, console.options.update_width(_UNBOUNDED), renderable)


def _widths(console: Console, layout: Layout, width: int) -> list[int] | None:
    """Each column's width, or None when the layout cannot fit in `width` cells."""
    lows, highs = [], []
    for index, column in enumerate(layout.columns):
        cells = [_measure(console, column.header)]
        cells += [_measure(console, row[index]) for row in layout.rows]
        longest_line = max(m.maximum for m in cells)
        if column.wrap:
            low = max(column.min_width, *(m.minimum for m in cells))
            lows.append(low)
            highs.append(max(low, longest_line))
        else:
            lows.append(longest_line)
            highs.append(longest_line)
    spare = width - _GAP * (len(layout.columns) - 1) - sum(lows)
    if spare < 0:
        return None
    return _share(lows, highs, spare)


def _share(lows: list[int], highs: list[int], spare: int) -> list[int]:
    """Give `spare` cells to the wrapping columns, max-min fair: the columns that need least
    to show their longest line get it, the rest share what is left equally."""
    widths = list(lows)
    wanting = sorted(range(len(lows)), key=lambda i: highs[i] - lows[i])
    wanting = [i for i in wanting if highs[i] > lows[i]]
    while wanting and spare > 0:
        index = wanting.pop(0)
        given = min(highs[index] - lows[index], spare // (len(wanting) + 1) or 1)
        widths[index] += given
        spare -= given
    return widths


def _table(title: str, layout: Layout, widths: list[int] | None) -> Table:
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    for index, column in enumerate(layout.columns):
        table.add_column(
            column.header,
            justify=column.justify,
            width=None if widths is None else widths[index],
            no_wrap=widths is not None and not column.wrap,
            overflow="fold",
        )
    for row in layout.rows:
        table.add_row(*(Text(cell) if isinstance(cell, str) else cell for cell in row))
    return table
