"""Render a Result: JSON envelope or a human renderer on stdout; diagnostics on stderr."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TextIO

from agentctl.output.result import Result

HumanRenderer = Callable[[Any, Result], None]  # (rich Console, Result) -> None
PlainRenderer = Callable[[TextIO, Result], None]  # (stream, Result) -> None


def _plain_stdout() -> bool:
    from agentctl.output.plain import is_plain

    return is_plain(sys.stdout)


def emit(
    result: Result,
    *,
    json_out: bool,
    human: HumanRenderer | None = None,
    plain: PlainRenderer | None = None,
) -> None:
    """Write the result; the caller exits with `result.exit_code`. `plain`, when given, writes
    the same text as `human` does on a non-terminal, without rich; it is used when stdout is
    not a terminal (agentctl.output.plain)."""
    if json_out:
        from agentctl.output.envelope import to_json

        sys.stdout.write(to_json(result) + "\n")
        sys.stdout.flush()
        return
    if plain is not None and _plain_stdout():
        plain(sys.stdout, result)
    elif human is not None:
        from agentctl.output.console import make_console

        human(make_console(), result)
    if not result.warnings and not result.errors:
        return  # nothing for stderr: no console to build
    from agentctl.output.console import make_console

    err = make_console(stderr=True)
    for warning in result.warnings:
        err.print(f"[warn]warning:[/warn] {warning}", markup=True, highlight=False)
    for item in result.errors:
        _print_error_line(err, item)


def emit_error(
    item: dict[str, Any], *, command: tuple[str, ...], exit_code: int, json_out: bool
) -> None:
    """An error raised before a service could return: one line on stderr, or the envelope."""
    if json_out:
        from agentctl.output.envelope import to_json

        sys.stdout.write(
            to_json(Result(command=command, exit_code=exit_code, errors=[item])) + "\n"
        )
        sys.stdout.flush()
        return
    from agentctl.output.console import make_console

    _print_error_line(make_console(stderr=True), item)


def _print_error_line(console: Any, item: dict[str, Any]) -> None:
    from rich.text import Text

    line = Text("error: ", style="bad")
    line.append(str(item.get("message", "")))
    hint = item.get("hint")
    if hint:
        line.append(f" — {hint}")
    console.print(line, soft_wrap=True)


__all__ = ["HumanRenderer", "PlainRenderer", "emit", "emit_error"]
