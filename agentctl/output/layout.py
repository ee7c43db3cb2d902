"""Layouts that fit the terminal without ever splitting an identifier.

A client id or a URL cut in two cannot be copied, searched for or compared, so every table and
long line goes through here: a table is drawn only when each identifier fits whole in its
column (prose columns may wrap at spaces); otherwise it folds to a vertical `key: value`
layout. Long lines wrap at spaces under a hanging indent. A single word wider than the whole
terminal is the one thing left to overflow: that is better than breaking it. `--json` always
carries the full values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from agentctl.output.columns import Col
from agentctl.output.columns import column_widths as _widths
from agentctl.output.columns import longest_word as _longest_word

Cell = str | Text


def _text(cell: Cell, style: str = "") -> Text:
    return cell.copy() if isinstance(cell, Text) else Text(str(cell), style=style)


def wrapped(console: Console, lead: Cell, body: Cell, *, width: int | None = None) -> Text:
    """`lead` then `body`, wrapped at spaces; continuation lines indented under the body.

    When a word of the body is too wide for the room right of the lead, continuation lines
    are indented by 4 instead, so the word stays whole. Print with `soft_wrap=True`."""
    total = width or console.width
    out = _text(lead)
    body_t = _text(body)
    first = cell_len(out.plain)
    indent = first if _longest_word(body_t.plain) <= total - first else min(first, 4)
    for i, line in enumerate(_divide(body_t, total - first, total - indent)):
        if i:
            out.append("\n" + " " * indent)
        elif first and not line.plain:
            out.rstrip()  # the first word did not fit beside the lead
            continue
        out.append_text(line)
    return out


_WORD = re.compile(r"\S+")


def _divide(text: Text, first: int, rest: int) -> list[Text]:
    """Split at spaces so the first line fits `first` cells and the others `rest`; a word
    wider than that gets a line of its own, whole (rich would fold or crop it). Lines keep
    their styles; an empty first line means the first word did not fit there at all."""
    out: list[Text] = []
    for n, para in enumerate(text.split("\n", allow_blank=True)):
        plain = para.plain
        offsets: list[int] = []
        room = first if n == 0 else rest
        used = -1  # cells on the current line; -1 before its first word
        prev_end = 0
        for match in _WORD.finditer(plain):
            size = cell_len(match.group(0))
            gap = cell_len(plain[prev_end : match.start()])
            if used >= 0 and used + gap + size > room:
                offsets.append(match.start())
                used, room = size, rest
            elif used < 0 and n == 0 and size > room and room < rest:
                offsets.append(match.start())  # leaves an empty first line
                used, room = size, rest
            else:
                used = (used + gap if used >= 0 else gap) + size
            prev_end = match.end()
        for piece in para.divide(offsets) if offsets else [para]:
            piece.rstrip()
            out.append(piece)
    return out


def shell_words(command: str) -> list[str]:
    """The command split where a line break is safe: at spaces outside quotes and `$(…)`."""
    words: list[str] = []
    current, quote, depth = "", "", 0
    for i, ch in enumerate(command):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif command.startswith("$(", i):
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif ch == " " and not depth:
            if current:
                words.append(current)
            current = ""
            continue
        current += ch
    if current:
        words.append(current)
    return words


def command_text(command: str, *, lead: str = "", width: int, style: str = "info") -> Text:
    """A shell command that still runs when pasted: too long for one line, it is continued
    with ` \\` at a space outside quotes (never inside an argument); `lead` (e.g. "  $ ") is
    printed before it and continuation lines are indented under it plus 2."""
    out = Text(lead, style="muted")
    indent = cell_len(lead) + 2
    used = cell_len(lead)
    words = shell_words(command)
    for i, word in enumerate(words):
        size = cell_len(word)
        room = width if i == len(words) - 1 else width - 2  # room for the " \\"
        if i and used + 1 + size > room:
            out.append(" \\\n" + " " * indent, style=style)
            used = indent
        elif i:
            out.append(" ", style=style)
            used += 1
        out.append(word, style=style)
        used += size
    return out


@dataclass
class Hanging:
    """`lead` then `body` wrapped at spaces at the width it is printed at (see `wrapped`)."""

    lead: Cell
    body: Cell

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from _raw(wrapped(console, self.lead, self.body, width=options.max_width))


def print_wrapped(console: Console, lead: Cell, body: Cell) -> None:
    """Print one hanging-indented line (see `wrapped`)."""
    console.print(wrapped(console, lead, body), soft_wrap=True)


def fit_table(
    columns: Sequence[Col],
    rows: Sequence[Sequence[Cell]],
    *,
    title: str | None = None,
    show_header: bool = True,
    padding: int = 1,
    title_columns: int = 1,
    indent: int = 0,
) -> Fitted:
    """A table when it fits without splitting a word; else one block per row, the first
    `title_columns` cells as its heading and the others as `label: value` lines. Laid out
    when printed, at the width it is printed at (print with `soft_wrap=True`, so a word wider
    than the terminal is not cropped)."""
    return Fitted(
        list(columns), [list(r) for r in rows], title, show_header, padding, title_columns, indent
    )


@dataclass
class Fitted:
    columns: list[Col]
    rows: list[list[Cell]]
    title: str | None
    show_header: bool
    padding: int
    title_columns: int
    indent: int = 0

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        total = options.max_width - self.indent
        if self.title:
            yield from _raw(wrapped(console, "", Text(self.title, style="key"), width=total))
        from agentctl.output.longtable import plain_long_table  # thousands of rows: plain lines

        fast = plain_long_table(
            self.columns,
            self.rows,
            total,
            padding=self.padding,
            show_header=self.show_header,
            title_columns=self.title_columns,
            indent=self.indent,
        )
        if fast is not None:
            yield fast
            return
        plains = [[_text(row[i]).plain for row in self.rows] for i in range(len(self.columns))]
        widths = _widths(self.columns, plains, total, self.padding, self.show_header)
        if widths is None:
            for line in _vertical(console, self.columns, self.rows, total, self.title_columns):
                yield from _raw(line, self.indent)
            return
        table = Table(
            show_header=self.show_header,
            header_style="key",
            box=None,
            show_edge=False,
            pad_edge=False,
            padding=(0, self.padding),
        )
        for col, w in zip(self.columns, widths, strict=True):
            table.add_column(
                col.header,
                width=w,
                no_wrap=not col.wrap,
                overflow="fold",  # never reached: every word fits its column
                style=col.style or None,
                justify=col.justify,  # type: ignore[arg-type]
            )
        for row in self.rows:
            table.add_row(*(_text(cell) for cell in row))  # plain text: no markup, no emoji
        yield Padding(table, (0, 0, 0, self.indent)) if self.indent else table


def _vertical(
    console: Console,
    columns: Sequence[Col],
    rows: Sequence[Sequence[Cell]],
    total: int,
    title_columns: int,
) -> list[Text]:
    labels = [(c.label if c.label is not None else c.header) for c in columns]
    rest = range(title_columns, len(columns))
    pad = max((cell_len(labels[i]) for i in rest if labels[i]), default=0) + 2
    out: list[Text] = []
    for row in rows:
        head = Text()
        for i in range(min(title_columns, len(columns))):
            cell = _text(row[i], columns[i].style)
            if not cell.plain.strip():
                continue
            if head.plain:
                head.append("  ")
            head.append_text(cell)
        head.stylize("key")
        out.append(wrapped(console, "", head, width=total))
        for i in rest:
            cell = _text(row[i], columns[i].style)
            if not cell.plain.strip():
                continue
            lead = Text(f"  {labels[i] + ':' if labels[i] else '':<{pad}}", style="muted")
            out.append(wrapped(console, lead, cell, width=total))
    return out


def _raw(text: Text, indent: int = 0) -> list[Text]:
    """Pre-wrapped lines, printed as they are: no second wrap, no fold."""
    parts = list(text.split("\n", allow_blank=True))
    for part in parts:
        if indent:
            part.pad_left(indent)
        part.no_wrap = True
        part.overflow = "ignore"
        part.end = "\n"
    return parts


__all__ = [
    "Col",
    "Fitted",
    "Hanging",
    "command_text",
    "fit_table",
    "print_wrapped",
    "shell_words",
    "wrapped",
]
