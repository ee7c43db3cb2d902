"""`agentctl demo`: the whole story on a fresh machine, idempotent, and what it leaves behind."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import pytest

from tests.helpers import run


@pytest.fixture(autouse=True)
def _fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    from agentctl.idp import secrets

    monkeypatch.setattr(secrets, "_N", 2**10)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """A headless host: every keyring call fails, as with no Secret Service running."""
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    yield
    keyring.set_keyring(previous)


def demo_json(*args: str) -> dict[str, Any]:
    r = run("demo", "--json", *args)
    assert r.exit_code == 0, r.stdout + r.stderr
    return r.json()["data"]  # type: ignore[no-any-return]


def test_demo_on_a_fresh_machine_without_keyring_shows_every_mode(no_keyring: None) -> None:
    r = run("demo")
    assert r.exit_code == 0, r.stdout + r.stderr
    out = r.stdout
    for text in (
        "the modes side by side",
        "what the demo resources saw",
        "the audit trail",
        "every check held",
        "hybrid_obo",
        "ID-JAG",
    ):
        assert text in out, text
    assert "eyJ" not in out + r.stderr


def test_demo_json_runs_the_three_modes_and_the_id_jag_path() -> None:
    data = demo_json()
    assert data["ok"] is True
    assert [r["mode"] for r in data["runs"]] == ["agent", "user", "obo", "id-jag"]
    views = {r["mode"]: r["resource_view"] for r in data["runs"]}
    assert {m: v["mode"] for m, v in views.items()} == {
        "agent": "agent_identity",
        "user": "user_scoped",
        "obo": "hybrid_obo",
        "id-jag": "user_scoped",
    }
    assert views["id-jag"]["resource"] == "http://127.0.0.1:8400/i/mcp-as/resource"
    assert views["obo"]["actor"]["name"] == "demo-agent"
    assert data["grant"]["user"] == "alice"
    events = {e["event"] for e in data["audit"]}
    assert {"issue:access_token", "issue:id_jag", "resource:call"} <= events
    assert all(c["ok"] for r in data["runs"] for c in r["checks"])


def test_demo_keeps_the_password_private_and_never_prints_it() -> None:
    r = run("demo", "--json")
    data = r.json()["data"]
    path = Path(data["user"]["password_file"])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    password = path.read_text().strip()
    assert len(password) >= 16
    assert password not in r.stdout + r.stderr


def test_demo_is_idempotent_and_leaves_a_usable_agent() -> None:
    first = demo_json()
    second = demo_json()
    assert first["agent"]["action"] == "created"
    assert second["agent"]["action"] == "exists"
    assert second["agent"]["client_id"] == first["agent"]["client_id"]
    assert second["user"]["created"] is False
    password = Path(first["user"]["password_file"]).read_text().strip()
    later = run(
        "exchange",
        "--mode",
        "obo",
        "--agent",
        "demo-agent",
        "--user",
        "alice",
        "--json",
        env={"AGENTCTL_USER_PASSWORD": password},
    )
    assert later.exit_code == 0, later.stdout


def test_demo_recovers_after_the_idp_is_reset_and_the_password_file_lost() -> None:
    first = demo_json()
    assert run("idp", "reset", "--yes").exit_code == 0
    again = demo_json()
    # The reset forgot the record of the client it deleted, so the agent is made anew.
    assert again["agent"]["action"] == "created"
    assert again["agent"]["client_id"] != first["agent"]["client_id"]
    Path(again["user"]["password_file"]).unlink()
    third = demo_json()
    assert third["ok"] is True
    assert third["user"]["created"] is False


def test_demo_show_token_prints_raw_tokens() -> None:
    r = run("demo", "--show-token")
    assert r.exit_code == 0
    assert "eyJ" in r.stdout


def test_every_command_demo_suggests_runs_as_printed(tmp_path: Path) -> None:
    """The demo's "try next" commands, as a user would paste them into a shell: real processes
    (pipes included), the same home, no extra environment, exit 0."""
    import shutil
    import subprocess
    import sys

    demo = run("demo", "--json")
    assert demo.exit_code == 0, demo.stderr
    suggested = demo.json()["data"]["next"]
    assert suggested
    bindir = tmp_path / "bin"  # `agentctl` on PATH, as after `pip install`
    bindir.mkdir()
    script = bindir / "agentctl"
    script.write_text(f'#!/bin/sh\nexec {sys.executable} -m agentctl "$@"\n')
    script.chmod(0o755)
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"}
    env.pop("AGENTCTL_USER_PASSWORD", None)
    for line in suggested:
        command = line.partition("   (")[0]
        assert "<" not in command, command
        done = subprocess.run(
            [shutil.which("bash") or "bash", "-o", "pipefail", "-c", command],
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"$ {command}\n{done.stdout}{done.stderr}"
