"""Every command `agentctl choose` prints runs as printed on the embedded IdP (issue 11).

A grid of answers on a fresh machine, then after `agentctl demo`: each printed command is run
through the CLI (in-process, against the embedded IdP) and must exit 0. A `<…>` placeholder in
a command for the embedded IdP is a failure too: there, everything can be known."""

from __future__ import annotations

import itertools
import shlex
from pathlib import Path

import pytest

from tests.helpers import run

GRID = [
    {"initiator": i, "attribution": a, "decides": d, "targets": t}
    for i, a, d, t in itertools.product(
        ("user", "mixed", "system"),
        ("required", "no"),
        ("asked", "own"),
        ("api", "api,mcp,browser"),
    )
]


@pytest.fixture(autouse=True)
def _fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    from agentctl.idp import secrets

    monkeypatch.setattr(secrets, "_N", 2**10)


def printed(answers: dict[str, str]) -> list[str]:
    args = [x for k, v in answers.items() for x in ("--answer", f"{k}={v}")]
    res = run("choose", "--json", *args)
    assert res.exit_code == 0, res.stderr
    return [c["command"] for c in res.json()["data"]["next_commands"]]


def run_printed(command: str) -> None:
    assert "<" not in command, f"a placeholder on the embedded IdP: {command}"
    argv = shlex.split(command)
    assert argv[0] == "agentctl"
    res = run(*argv[1:])
    assert res.exit_code == 0, f"$ {command}\n{res.stdout}{res.stderr}"


def test_every_printed_command_runs_after_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # --emit playwright --out FILE writes here
    demo = run("demo")
    assert demo.exit_code == 0, demo.stdout + demo.stderr
    commands = list(dict.fromkeys(c for answers in GRID for c in printed(answers)))
    assert "agentctl exchange --mode obo" in commands
    assert "agentctl exchange --mode agent" in commands
    assert any(
        "--via id-jag --resource http://127.0.0.1:8400/i/mcp-as/resource" in c for c in commands
    )
    assert not any(c.startswith("agentctl demo") for c in commands)  # nothing left to set up
    for command in commands:
        run_printed(command)


@pytest.mark.parametrize(
    "answers",
    [
        {"initiator": "user", "attribution": "required", "targets": "api,mcp,browser"},
        {"initiator": "system", "targets": "api,browser"},
        {"initiator": "user", "attribution": "no", "decides": "asked"},
    ],
    ids=["obo", "agent", "user"],
)
def test_on_a_fresh_machine_the_printed_commands_run_in_order(
    answers: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    commands = printed(answers)
    assert commands[0] in ("agentctl demo", "agentctl register my-agent")
    for command in commands:
        run_printed(command)
