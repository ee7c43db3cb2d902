"""Every `agentctl …` command the source quotes — in hints, notes, next steps and help — names a
command that exists and options that command has, so what the tool prints can be run. (The
behaviour of printed commands is run for real by test_choose_runs, test_demo_cli and
test_docs_runnable; this catches the rest statically, e.g. a hint naming an option nobody
built.)"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from agentctl.cli.app import COMMAND_MODULES, _load_command

ROOT = Path(__file__).resolve().parents[1] / "agentctl"
QUOTED = re.compile(r"`(agentctl [a-z-][^`{}\"]*)`")
HIDDEN = {"__complete"}  # the completion scripts' fast path, answered before Typer loads
# Words that stand for something the user supplies, not options or subcommands.
PLACEHOLDER = re.compile(r"^[A-Z][A-Z_]*$|^…|^<|\.\.\.|…$")


def _commands() -> list[tuple[str, str]]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        for match in QUOTED.finditer(path.read_text()):
            found.append((str(path.relative_to(ROOT.parent)), match.group(1)))
    return found


def _resolve(words: list[str]) -> tuple[list[str], click.Command | None]:
    if not words or words[0] not in COMMAND_MODULES:
        return [], None
    node = _load_command(words[0])
    path = [words[0]]
    for word in words[1:]:
        if isinstance(node, click.Group) and word in node.commands:
            node = node.commands[word]
            path.append(word)
        else:
            break
    return path, node


@pytest.mark.parametrize(("where", "command"), _commands(), ids=lambda v: str(v)[:60])
def test_quoted_commands_exist_with_their_options(where: str, command: str) -> None:
    words = command.split()[1:]
    if not words or words[0].startswith("-") or words[0] in HIDDEN:
        return  # `agentctl --version` and the like: options of the root
    path, node = _resolve(words)
    assert node is not None, f"{where}: `{command}` names no command"
    options = {"--help", *(o for p in node.params for o in getattr(p, "opts", []))}
    for word in words[len(path) :]:
        if word.startswith("--") and not PLACEHOLDER.search(word):
            name = word.split("=")[0]
            assert name in options or isinstance(node, click.Group), (
                f"{where}: `{command}`: {' '.join(path)} has no {name}"
            )
