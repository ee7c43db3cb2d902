"""Issue 11: the headline usage runs as printed. A profile remembers its default agent and user
(`agentctl agent use`, `demo`, the first `register`); flags a mode has no use for are noted,
not refused; a sign-in with no password and no terminal fails in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import CliResult, run

PASSWORD = "correct horse battery staple"
MCP_RESOURCE = "http://127.0.0.1:8400/i/mcp-as/resource"


@pytest.fixture(autouse=True)
def _fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    from agentctl.idp import secrets

    monkeypatch.setattr(secrets, "_N", 2**10)


def ok(result: CliResult) -> dict[str, Any]:
    assert result.exit_code == 0, result.stdout + result.stderr
    return result.json()["data"]  # type: ignore[no-any-return]


@pytest.fixture
def after_demo() -> None:
    r = run("demo")
    assert r.exit_code == 0, r.stdout + r.stderr


@pytest.mark.parametrize("mode", ["obo", "user", "agent", "all"])
def test_after_the_demo_every_mode_runs_with_no_flags(after_demo: None, mode: str) -> None:
    data = ok(run("exchange", "--mode", mode, "--json"))
    assert data["agent"]["name"] == "demo-agent"
    assert data["user"] == (None if mode == "agent" else "alice")
    assert any("the profile's default" in n for n in data["notes"])
    assert all(r["ok"] for r in data["runs"])


def test_mode_obo_via_id_jag_runs_and_says_what_the_mcp_server_sees(after_demo: None) -> None:
    """`choose` used to print `--mode obo --via id-jag`, which exchange refused (exit 2)."""
    data = ok(
        run("exchange", "--mode", "obo", "--via", "id-jag", "--resource", MCP_RESOURCE, "--json")
    )
    assert data["runs"][0]["mode"] == "id-jag"
    assert any("the agent only as client_id" in n for n in data["notes"])


def test_a_flag_the_mode_does_not_use_is_noted_not_refused(after_demo: None) -> None:
    r = run("exchange", "--mode", "agent", "--user", "alice")
    assert r.exit_code == 0, r.stderr
    assert "note: --user ignored: --mode agent runs as the agent alone" in r.stdout


def test_agent_use_sets_and_shows_the_defaults() -> None:
    assert run("register", "first-bot").exit_code == 0
    assert run("register", "second-bot").exit_code == 0
    assert ok(run("agent", "use", "--json"))["agent"] == "first-bot"  # the first register's
    data = ok(run("agent", "use", "second-bot", "--user", "bob", "--json"))
    assert (data["agent"], data["user"], data["changed"]) == (
        "second-bot",
        "bob",
        ["agent", "user"],
    )
    assert ok(run("exchange", "--mode", "agent", "--json"))["agent"]["name"] == "second-bot"
    unknown = run("agent", "use", "nobody")
    assert unknown.exit_code == 3
    assert unknown.stderr.startswith("error: no agent named nobody")
    assert run("agent", "delete", "second-bot").exit_code == 0
    assert ok(run("agent", "use", "--json"))["agent"] is None  # a deleted default is dropped


def test_no_password_and_no_terminal_is_one_line_exit_2(tmp_path: Path) -> None:
    """It leaked a GetPassWarning and exited 130, as if interrupted."""
    assert run("register", "bot").exit_code == 0
    assert (
        run("idp", "users", "add", "carol", "--password-stdin", stdin=PASSWORD + "\n").exit_code
        == 0
    )
    r = run("exchange", "--mode", "user", "--user", "carol", stdin="")
    assert r.exit_code == 2
    assert r.stderr.strip().splitlines()[-1] == (
        "error: no password for carol and no terminal to ask on — pipe it with "
        "--password-stdin, or set AGENTCTL_USER_PASSWORD"
    )
    assert "Warning" not in r.stderr


def _agentctl(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "AGENTCTL_HOME": str(home), "NO_COLOR": "1"}
    env.pop("AGENTCTL_USER_PASSWORD", None)
    return subprocess.run(
        [sys.executable, "-m", "agentctl", *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


def test_no_password_in_a_real_process_without_a_terminal(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert _agentctl("register", "bot", home=home).returncode == 0
    r = _agentctl("exchange", "--mode", "user", "--user", "nobody", home=home)
    assert r.returncode == 2, r.stderr
    assert "GetPassWarning" not in r.stderr
    assert r.stderr.count("\n") == 1


def test_a_closed_pipe_exits_0_quietly(tmp_path: Path) -> None:
    """`agentctl choose … | head` exited 1."""
    import os

    env = {**os.environ, "AGENTCTL_HOME": str(tmp_path / "home"), "NO_COLOR": "1"}
    for args in (
        ["choose", "--no-interactive"],
        ["choose", "--table"],
        ["--help"],
        ["choose", "--help"],
    ):
        cmd = " ".join([sys.executable, "-m", "agentctl", *args])
        done = subprocess.run(
            [
                "bash",
                "-c",
                f"set -o pipefail; {cmd} | head -c 10 >/dev/null; echo ${{PIPESTATUS[0]}}",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert done.stdout.strip() == "0", (args, done.stdout, done.stderr)
        assert done.stderr == "", (args, done.stderr)


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ("exchange", "--mode", "bogus"),
            "error: Invalid value for '--mode': 'bogus' is not one of 'agent', 'user', 'obo', "
            "'all', 'agent-user' — see `agentctl exchange --help`",
        ),
        (("choose", "--bogus"), "error: No such option '--bogus' — see `agentctl choose --help`"),
        (("bogus",), "error: No such command 'bogus' — see `agentctl --help`"),
    ],
)
def test_usage_errors_are_one_line(args: tuple[str, ...], line: str) -> None:
    r = run(*args)
    assert r.exit_code == 2
    assert r.stderr == line + "\n"
