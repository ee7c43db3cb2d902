"""Column widths for agentctl's tables, shared by the rich layouts (agentctl.output.layout) and
the plain writer (agentctl.output.plain): one rule for when a table fits, so both draw the same
table. Free of rich's console (only its cell-width table), so the plain path stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len


@dataclass(frozen=True)
class Col:
    """A column: `wrap` marks prose that may wrap at spaces (never inside a word); `label`
    names the field in the vertical layout when the header is empty or terse."""

    header: str
    wrap: bool = False
    style: str = ""
    justify: str = "left"
    label: str | None = None


def longest_word(text: str) -> int:
    return max((cell_len(w) for w in text.split()), default=0)


def natural(text: str) -> int:
    return max((cell_len(line) for line in text.splitlines()), default=0)


PROSE = 20


def column_widths(
    columns: Sequence[Col],
    plains: Sequence[Sequence[str]],
    total: int,
    padding: int,
    show_header: bool,
) -> list[int] | None:
    """Each column's width when the table fits `total` cells without splitting a word (prose
    columns may wrap at spaces), else None: the caller folds to one block per row."""
    gaps = 2 * padding * (len(columns) - 1)
    wide = [
        max([natural(p) for p in cells] + [cell_len(col.header) if show_header else 0])
        for col, cells in zip(columns, plains, strict=True)
    ]
    if sum(wide) + gaps <= total:
        return wide
    # a prose column narrower than ~20 cells reads as a word list: fold instead
    least = [
        max(
            [longest_word(p) for p in cells]
            + [longest_word(col.header) if show_header else 0, min(n, PROSE), 1]
        )
        if col.wrap
        else n
        for col, cells, n in zip(columns, plains, wide, strict=True)
    ]
    spare = total - gaps - sum(least)
    if spare < 0:
        return None
    widths = list(least)
    # share the room left among prose columns, in proportion to what each still wants
    wants = [n - m for n, m in zip(wide, least, strict=True)]
    asked = sum(wants)
    for i, want in enumerate(wants):
        if asked and want:
            widths[i] += min(want, spare * want // asked)
    return widths


__all__ = ["PROSE", "Col", "column_widths", "longest_word", "natural"]
