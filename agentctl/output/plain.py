"""Plain text for output that is not a terminal: the same characters rich writes there, without
importing rich's console (about 20 ms of a command's start-up, issue 16).

Only what a report on a pipe or file needs: `wrapped` lines and `table`s, laid out by the rules
of agentctl.output.layout (same column widths, same fold to one block per row, words never
split) and written the way rich writes them when it has no terminal: no colour, rich's own
word wrap inside table cells, cells padded to their column, an indented table padded to the
full width. tests/output/test_plain.py holds the two renderings to the same text.
"""

from __future__ import annotations

import itertools
import os
import re
import sys
from collections.abc import Sequence
from typing import TextIO

from rich._wrap import divide_line
from rich.cells import cell_len

from agentctl.output.columns import Col, column_widths, longest_word
from agentctl.output.controls import escape_controls

# rich drops these from any text it is given (bell, backspace, vertical tab, form feed, CR)
_STRIPPED = str.maketrans(dict.fromkeys((7, 8, 11, 12, 13)))
_WORD = re.compile(r"\S+")
_TRAILING_SPACE = re.compile(r"\s+$")


def is_plain(stream: TextIO) -> bool:
    """True when rich would treat `stream` as no terminal (so writes no escape codes): not a
    TTY, and neither FORCE_COLOR nor TTY_COMPATIBLE asks for one."""
    if "FORCE_COLOR" in os.environ or "TTY_COMPATIBLE" in os.environ:
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return isatty is None or not isatty()
    except ValueError:  # a closed stream
        return True


def width() -> int:
    """The width rich gives a console made by agentctl.output.console.make_console."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit():
        return int(columns)
    found = None
    for fd in (0, 1, 2):  # as rich: the first standard stream that is a terminal
        try:
            found = os.get_terminal_size(fd).columns
        except (AttributeError, ValueError, OSError):
            continue
        break
    return found or 80


def clean(value: object) -> str:
    """`value` as text, minus the control characters rich removes."""
    return str(value).translate(_STRIPPED)


def _expand_tabs(line: str) -> str:
    """Tabs to spaces up to the next multiple of 8 cells (rich's Text.expand_tabs)."""
    if "\t" not in line:
        return line
    parts = line.split("\t")
    out, position = [], 0
    for part in parts[:-1]:
        piece = part + " "
        position += cell_len(piece)
        if position % 8:
            piece += " " * (8 - position % 8)
            position += 8 - position % 8
        out.append(piece)
    return "".join(out) + parts[-1]


def _rstrip_end(line: str, size: int) -> str:
    """Whitespace past `size` characters dropped from the end (rich's Text.rstrip_end)."""
    excess = len(line) - size
    if excess > 0:
        match = _TRAILING_SPACE.search(line)
        if match is not None:
            return line[: len(line) - min(len(match.group(0)), excess)]
    return line


def _fit(line: str, size: int) -> str:
    """Cropped to `size` cells, or padded with spaces to it."""
    if cell_len(line) > size:
        from rich.cells import set_cell_size

        return set_cell_size(line, size)
    return line + " " * (size - cell_len(line))


class Writer:
    """Lines to a stream, as a rich console with no terminal prints `soft_wrap` text."""

    def __init__(self, stream: TextIO | None = None, *, columns: int | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.width = width() if columns is None else columns

    def line(self, text: str = "") -> None:
        for part in text.split("\n"):
            line = _rstrip_end(_expand_tabs(part), self.width)
            self.stream.write(escape_controls(line) + "\n")  # as the console: after layout

    def folded(self, text: str) -> None:
        """Lines as rich prints text without `soft_wrap`: wrapped at spaces to the width, a
        word wider than that cut across lines."""
        for part in text.split("\n"):
            part = _expand_tabs(part)
            for piece in _split_at(part, divide_line(part, self.width, fold=True)):
                piece = _rstrip_end(piece, self.width)
                if cell_len(piece) > self.width:
                    piece = _fit(piece, self.width)
                self.stream.write(escape_controls(piece) + "\n")

    def lines(self, lines: Sequence[str]) -> None:
        for text in lines:
            self.line(text)


def wrapped(lead: str, body: str, total: int) -> str:
    """agentctl.output.layout.wrapped on plain strings: `lead`, then `body` wrapped at spaces
    under a hanging indent (4 when a word would not fit beside the lead)."""
    first = cell_len(lead)
    indent = first if longest_word(body) <= total - first else min(first, 4)
    out = lead
    for i, piece in enumerate(_divide(body, total - first, total - indent)):
        if i:
            out += "\n" + " " * indent
        elif first and not piece:
            out = out.rstrip()  # the first word did not fit beside the lead
            continue
        out += piece
    return out


def _divide(text: str, first: int, rest: int) -> list[str]:
    out: list[str] = []
    for n, para in enumerate(text.split("\n")):
        offsets: list[int] = []
        room = first if n == 0 else rest
        used = -1
        prev_end = 0
        for match in _WORD.finditer(para):
            size = cell_len(match.group(0))
            gap = cell_len(para[prev_end : match.start()])
            if (used >= 0 and used + gap + size > room) or (
                used < 0 and n == 0 and size > room and room < rest
            ):
                offsets.append(match.start())
                used, room = size, rest
            else:
                used = (used + gap if used >= 0 else gap) + size
            prev_end = match.end()
        out.extend(piece.rstrip() for piece in _split_at(para, offsets))
    return out


def _split_at(text: str, offsets: list[int]) -> list[str]:
    """`text` cut at `offsets` (as rich's Text.divide: an offset of 0 gives an empty first)."""
    if not offsets:
        return [text]
    bounds = [0, *offsets, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


def table(
    columns: Sequence[Col],
    rows: Sequence[Sequence[str]],
    total: int,
    *,
    title: str | None = None,
    show_header: bool = True,
    padding: int = 1,
    title_columns: int = 1,
    indent: int = 0,
) -> list[str]:
    """agentctl.output.layout.fit_table as printed on a console `total + indent` wide. Rows of
    plain strings; tables of thousands of rows are not for this writer (they have their own
    plain path, agentctl.output.longtable)."""
    room = total - indent
    out: list[str] = []
    if title:
        out.extend(wrapped("", title, room).split("\n"))
    plains = [[row[i] for row in rows] for i in range(len(columns))]
    widths = column_widths(columns, plains, room, padding, show_header)
    if widths is None:
        for block in _vertical(columns, rows, room, title_columns):
            out.extend(" " * indent + part for part in block.split("\n"))
        return out
    body = [[c.header for c in columns], *rows] if show_header else list(rows)
    last = len(columns) - 1
    for row in body:
        cells: list[list[str]] = []
        for i, (col, cell) in enumerate(zip(columns, row, strict=True)):
            left = padding if i else 0
            right = padding if i < last else 0
            inner = _cell_lines(cell, widths[i], col)
            cells.append([" " * left + piece + " " * right for piece in inner])
        height = max(len(c) for c in cells)
        for i, c in enumerate(cells):
            blank = " " * (widths[i] + (padding if i else 0) + (padding if i < last else 0))
            c.extend([blank] * (height - len(c)))
        for n in range(height):
            joined = "".join(c[n] for c in cells)
            out.append(" " * indent + _fit(joined, room) if indent else joined)
    return out


def _cell_lines(text: str, size: int, col: Col) -> list[str]:
    """One cell as rich lays it out at `size` cells: its lines, each wrapped at spaces (prose
    columns), then cropped or padded to the column, right-aligned when the column is."""
    lines: list[str] = []
    for para in text.split("\n"):
        para = _expand_tabs(para)
        pieces = [para] if not col.wrap else _split_at(para, divide_line(para, size, fold=True))
        for piece in pieces:
            piece = _rstrip_end(piece, size)
            if col.justify == "right":
                piece = piece.rstrip()
                piece = _fit(piece, size) if cell_len(piece) > size else piece
                piece = " " * (size - cell_len(piece)) + piece
            else:
                piece = _fit(piece, size)
            lines.append(piece)
    return lines


def _vertical(
    columns: Sequence[Col], rows: Sequence[Sequence[str]], total: int, title_columns: int
) -> list[str]:
    labels = [(c.label if c.label is not None else c.header) for c in columns]
    rest = range(title_columns, len(columns))
    pad = max((cell_len(labels[i]) for i in rest if labels[i]), default=0) + 2
    out: list[str] = []
    for row in rows:
        head = "  ".join(cell for cell in row[:title_columns] if cell.strip())
        out.append(wrapped("", head, total))
        for i in rest:
            if not row[i].strip():
                continue
            lead = f"  {labels[i] + ':' if labels[i] else '':<{pad}}"
            out.append(wrapped(lead, row[i], total))
    return out


__all__ = ["Writer", "clean", "is_plain", "table", "width", "wrapped"]
