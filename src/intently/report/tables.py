"""Tables for the terminal that never lose a column: too wide for the terminal, each row is listed instead.

A Rich table wider than the terminal squeezes its columns until values read ``2026-09-…`` and the last columns
fall off the edge. :class:`FitTable` is a Rich table that, when its narrowest layout (every column at its longest
word) does not fit, first tries one space between columns instead of two, and when that does not fit either, lists
each row on its own: the first cell, then every other column as ``header value``, wrapped to the terminal. Nothing
is cut, in an 80-column terminal or a 40-column one.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.style import Style
from rich.table import Column, Table
from rich.text import Text

_UNBOUNDED = 1_000_000


class FitTable(Table):
    """A :class:`rich.table.Table` that lists its rows when it cannot fit the terminal as a table."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        padding, collapse = self.padding, self.collapse_padding
        widths = [column.width for column in self.columns]
        try:
            for tight in (False, True):
                if tight:  # one space between columns, not two
                    self.padding, self.collapse_padding = (0, 1, 0, 1), True
                fitted = self._widths(console, options)
                if fitted is not None:
                    for column, width in zip(self.columns, fitted, strict=True):
                        column.width = width
                    yield from super().__rich_console__(console, options)
                    return
        finally:
            self.padding, self.collapse_padding = padding, collapse
            for column, width in zip(self.columns, widths, strict=True):
                column.width = width
        yield from self._listed(console)

    def _widths(self, console: Console, options: ConsoleOptions) -> list[int | None] | None:
        """Each column's width (without its padding) so that none is narrower than its longest word and the table
        fits ``options``, the room left given to the columns that need least of it to be whole first; the columns
        as they are when they fit at their widest; None when the table cannot fit."""
        room = options.max_width - self._extra_width
        unbounded = options.update_width(_UNBOUNDED)
        ranges = [self._measure_column(console, unbounded, column) for column in self.columns]
        narrowest, widest = sum(r.minimum for r in ranges), sum(r.maximum for r in ranges)
        if widest <= room:
            return [column.width for column in self.columns]
        if narrowest > room:
            return None
        # the room left: first to the values (a value cut in two reads worse than a header on two lines), then to
        # the headers; each time to the columns that need least of it to be whole first
        values = [
            max(ranges[index].minimum, min(ranges[index].maximum, self._values_width(console, unbounded, column)))
            for index, column in enumerate(self.columns)
        ]
        spare = room - narrowest
        given = [0] * len(ranges)
        for wanted in (values, [r.maximum for r in ranges]):
            needs = [want - r.minimum - extra for want, r, extra in zip(wanted, ranges, given, strict=True)]
            for index in sorted(range(len(ranges)), key=lambda i: needs[i]):
                step = max(0, min(needs[index], spare))
                given[index] += step
                spare -= step
        return [
            r.minimum + extra - self._get_padding_width(column._index)
            for r, extra, column in zip(ranges, given, self.columns, strict=True)
        ]

    def _values_width(self, console: Console, options: ConsoleOptions, column: Column) -> int:
        """The width of the column's widest value (not its header) on one line, with the column's padding."""
        cells = [_text(console, cell) if isinstance(cell, str) else cell for cell in column.cells]
        widest = max((Measurement.get(console, options, cell).maximum for cell in cells), default=0)
        return widest + self._get_padding_width(column._index)

    def _listed(self, console: Console) -> Iterable[RenderableType]:
        if self.title:
            yield _text(console, self.title, self.title_style or "bold")
        columns = self.columns
        cells = [list(column.cells) for column in columns]
        headers = [_text(console, column.header).plain.replace("\n", " ") for column in columns]
        for row in range(self.row_count):
            line = _text(console, cells[0][row], "bold") if columns else Text()
            parts = []
            for header, column_cells in zip(headers[1:], cells[1:], strict=True):
                part = Text(f"{header} " if header else "", style="dim")
                part.append_text(_text(console, column_cells[row]))
                parts.append(part)
            if parts:
                line.append(": " if line.plain else "")
                line.append_text(Text(" · ").join(parts))
            yield line
        if self.caption:
            yield _text(console, self.caption, self.caption_style or "dim")


def _text(console: Console, value: object, style: str | Style = "") -> Text:
    """A cell, header or title as Text, read as the table reads it (a str as console markup), with ``style``."""
    if isinstance(value, Text):
        text = value.copy()
    elif isinstance(value, str):
        text = console.render_str(value)
    else:
        text = Text("" if value is None else str(value))
    if style:
        text.stylize(style)
    return text
