"""The plain fast path for long tables (thousands of rows: `idp agents list` at 10k agents).

rich lays out a table cell by cell; at 20k rows that takes seconds. A long table of plain
strings is written here as pre-padded lines in one segment instead, following the same rules
as agentctl.output.layout: columns at their natural width when the whole row fits the
terminal, else one `key: value` block per row, and never an identifier split (a line that is
too long is wrapped at spaces only, in prose columns). Short tables, and tables with styled
cells, keep rich's layout.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.text import Text

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions

    from agentctl.output.layout import Col

LONG_TABLE_ROWS = 200  # below this, rich's layout costs less than a blink


def _width(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class _PlainLines:
    """A bold header line (optional) then the body, written as it is."""

    def __init__(self, header: str | None, body: str) -> None:
        self.header, self.body = header, body

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Any]:
        if self.header is not None:
            yield Text(self.header, style="key", no_wrap=True, overflow="ignore", end="\n")
        if self.body:
            yield Segment(self.body)


def plain_long_table(
    columns: Sequence[Col],
    rows: Sequence[Sequence[Any]],
    total: int,
    *,
    padding: int = 1,
    show_header: bool = True,
    title_columns: int = 1,
    indent: int = 0,
) -> _PlainLines | None:
    """The table as plain lines, or None when rich should draw it (short, styled or
    multi-line cells)."""
    if len(rows) < LONG_TABLE_ROWS:
        return None
    for row in rows:
        for cell in row:
            if not isinstance(cell, str) or "\n" in cell:
                return None
    gap = " " * (2 * padding)
    margin = " " * indent
    widths = [
        max([_width(row[i]) for row in rows] + [_width(col.header) if show_header else 0])
        for i, col in enumerate(columns)
    ]
    last = len(columns) - 1
    if sum(widths) + len(gap) * last <= total:
        lines = [
            gap.join(
                cell if i == last else _pad(cell, widths[i]) for i, cell in enumerate(row)
            ).rstrip()
            for row in rows
        ]
        header = None
        if show_header:
            header = (
                margin
                + gap.join(
                    c.header if i == last else _pad(c.header, widths[i])
                    for i, c in enumerate(columns)
                ).rstrip()
            )
        return _PlainLines(header, "".join(f"{margin}{line}\n" for line in lines))
    body = _vertical(columns, rows, total, title_columns)
    return _PlainLines(None, "".join(f"{margin}{line}\n" for line in body))


def _vertical(
    columns: Sequence[Col], rows: Sequence[Sequence[str]], total: int, title: int
) -> list[str]:
    labels = [(c.label if c.label is not None else c.header) for c in columns]
    rest = range(title, len(columns))
    pad = max((_width(labels[i]) for i in rest if labels[i]), default=0) + 2
    leads = [f"  {labels[i] + ':' if labels[i] else '':<{pad}}" for i in range(len(columns))]
    out: list[str] = []
    for row in rows:
        out.append("  ".join(cell for cell in row[:title] if cell.strip()))
        for i in rest:
            cell = row[i]
            if not cell.strip():
                continue
            line = leads[i] + cell
            if _width(line) <= total:
                out.append(line)
                continue
            lead = leads[i]
            words = cell.split()
            if len(lead) + max(_width(w) for w in words) > total:
                # as agentctl.output.layout.wrapped: the value starts on the next line,
                # indented by 4, so its longest word stays whole
                out.append(lead.rstrip())
                lead = "    "
            if not columns[i].wrap:
                out.append(lead + cell)
                continue
            # prose wraps at spaces under the value; a word never breaks
            out.extend(
                textwrap.wrap(
                    cell,
                    width=max(total, len(lead) + 1),
                    initial_indent=lead,
                    subsequent_indent=" " * len(lead),
                    break_long_words=False,
                    break_on_hyphens=False,
                )
            )
    return out


__all__ = ["LONG_TABLE_ROWS", "plain_long_table"]
