"""Console construction. NO_COLOR (https://no-color.org) and non-TTY output are honoured."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.theme import Theme

from agentctl.output.controls import escape_controls, has_controls

THEME = Theme(
    {
        "ok": "green",
        "bad": "bold red",
        "warn": "yellow",
        "info": "cyan",
        "muted": "dim",
        "key": "bold",
        "high": "bold red",
        "medium": "yellow",
        "low": "cyan",
        "subject": "bold green",
        "actor": "bold magenta",
        "history": "dim magenta",
    }
)


def _on_broken_pipe(self: Console) -> None:
    # rich would exit 1; a reader that went away (`agentctl choose | head`) is no failure.
    # Stop writing and let the CLI's root decide (it exits 0, see agentctl.cli.app).
    self.quiet = True
    raise BrokenPipeError


class _Console(Console):
    on_broken_pipe = _on_broken_pipe

    def render(
        self, renderable: RenderableType, options: ConsoleOptions | None = None
    ) -> Iterable[Segment]:
        # Data's control characters made visible (agentctl.output.controls); rich's own
        # styling and cursor codes are not in segment text, or are control segments.
        for segment in super().render(renderable, options):
            if segment.control is None and has_controls(segment.text):
                segment = Segment(escape_controls(segment.text), segment.style)
            yield segment

    def print(self, *objects: Any, crop: bool = False, **kwargs: Any) -> None:
        # rich crops every line to the width by default; the layouts in agentctl.output.layout
        # already fit the width, and the one thing left wider (a single id or URL longer than
        # the terminal) must come out whole, not cut.
        super().print(*objects, crop=crop, **kwargs)


def make_console(*, stderr: bool = False, file: TextIO | None = None) -> Console:
    """A console for stdout (data) or stderr (diagnostics), read from the env at call time."""
    stream = file if file is not None else (sys.stderr if stderr else sys.stdout)
    no_color = "NO_COLOR" in os.environ
    return _Console(
        file=stream,
        theme=THEME,
        no_color=no_color,
        highlight=False,
        soft_wrap=False,
        width=int(os.environ["COLUMNS"]) if os.environ.get("COLUMNS", "").isdigit() else None,
    )


__all__ = ["THEME", "make_console"]
