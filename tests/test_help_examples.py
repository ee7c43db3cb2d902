"""Every command's `--help` has examples (issue 11), and each example parses: its command
exists and its options are real (so the examples cannot drift from the options)."""

from __future__ import annotations

import shlex

import click
import pytest

from agentctl.cli.app import COMMAND_MODULES, _load_command
from agentctl.cli.help_examples import EXAMPLES
from tests.helpers import run


def _walk(
    command: click.Command, path: tuple[str, ...]
) -> list[tuple[tuple[str, ...], click.Command]]:
    if isinstance(command, click.Group):
        return [x for n, sub in command.commands.items() for x in _walk(sub, (*path, n))]
    return [(path, command)]


def _leaves() -> list[tuple[tuple[str, ...], click.Command]]:
    out = []
    for name in COMMAND_MODULES:
        command = _load_command(name)
        assert command is not None
        out.extend(_walk(command, (name,)))
    return out


def test_every_command_has_examples_in_its_help() -> None:
    bare = [p for p, c in _leaves() if not c.epilog and "Example" not in (c.help or "")]
    assert bare == []


@pytest.mark.parametrize("line", [x for lines in EXAMPLES.values() for x in lines])
def test_each_example_parses(line: str) -> None:
    argv = shlex.split(line.split(" < ")[0])[1:]
    command: click.Command | None = _load_command(argv[0])
    rest = argv[1:]
    while isinstance(command, click.Group):
        command, rest = command.commands.get(rest[0]), rest[1:]
    assert command is not None, line
    command.make_context(command.name or "", list(rest))


def test_help_shows_the_examples() -> None:
    out = run("exchange", "--help").stdout
    assert "Examples:" in out
    assert "agentctl exchange --mode obo" in out
