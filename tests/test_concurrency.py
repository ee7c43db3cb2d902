"""Many agentctl processes at once against one home: nothing acknowledged is lost, nothing is
made twice, and every exit-0 command's effect is both at the IdP and in agentctl's records.

Real CLI processes (`python -m agentctl`), started together; then we count."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCTL_")}
    env.update(AGENTCTL_HOME=str(home), HOME=str(home.parent), NO_COLOR="1")
    return env


def _start(home: Path, *args: str, stdin: str | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "agentctl", *args],
        env=_env(home),
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _parallel(
    home: Path, commands: Sequence[tuple[list[str], str | None]]
) -> list[tuple[int, str]]:
    """Start every command at once; (exit code, stdout + stderr) of each, in order (with
    --json, stdout is one JSON document and stderr is empty on success)."""
    procs = [_start(home, *args, stdin=stdin) for args, stdin in commands]

    def wait(item: tuple[subprocess.Popen[str], str | None]) -> tuple[int, str]:
        proc, stdin = item
        out, err = proc.communicate(stdin, timeout=180)
        return proc.returncode, out + err

    with ThreadPoolExecutor(len(procs)) as pool:
        return list(pool.map(wait, zip(procs, [s for _, s in commands], strict=True)))


def _json(home: Path, *args: str, stdin: str = "") -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "agentctl", *args, "--json"],
        env=_env(home),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)["data"]


def _local_agents(home: Path) -> dict[str, str]:
    rows = _json(home, "agent", "list")["agents"]
    names = [r["name"] for r in rows]
    assert len(names) == len(set(names)), names
    return {r["name"]: r["client_id"] for r in rows}


def _idp_agents(home: Path) -> dict[str, list[str]]:
    """client id → names, at the `enterprise` issuer of the IdP database."""
    import sqlite3

    conn = sqlite3.connect(home / "data" / "idp.sqlite3")
    try:
        out: dict[str, list[str]] = {}
        for client_id, name in conn.execute(
            "SELECT client_id, name FROM agents WHERE issuer = 'enterprise'"
        ):
            out.setdefault(client_id, []).append(name)
        return out
    finally:
        conn.close()


def test_parallel_register_loses_nothing_and_makes_nothing_twice(tmp_path: Path) -> None:
    home = tmp_path / "home"
    wanted: set[str] = set()
    for round_ in range(2):
        names = [f"bot-{round_}-{i}" for i in range(16)]
        wanted.update(names)
        results = _parallel(home, [(["register", n, "--json"], None) for n in names])
        assert [code for code, _ in results] == [0] * 16, [o for c, o in results if c]
    # The same name eight times at once: one agent, the others find it.
    results = _parallel(home, [(["register", "same", "--json"], None)] * 6)
    assert [code for code, _ in results] == [0] * 6, [o for c, o in results if c]
    actions = sorted(json.loads(out)["data"]["action"] for _, out in results)
    assert actions == ["created"] + ["exists"] * 5
    wanted.add("same")
    local = _local_agents(home)
    assert set(local) == wanted
    at_idp = _idp_agents(home)
    # Every record names a client the IdP has, under the same name; no client without record.
    assert {cid: [name] for name, cid in local.items()} == at_idp


def test_parallel_rotate_and_delete_leave_the_idp_and_the_records_in_step(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    names = [f"bot-{i}" for i in range(4)]
    _parallel(home, [(["register", name], None) for name in names])
    commands: list[tuple[list[str], str | None]] = []
    for name in names[:2]:
        commands += [(["agent", "rotate", name, "--json"], None)] * 2
    commands += [(["agent", "delete", name, "--json"], None) for name in names[2:]] * 2
    results = _parallel(home, commands)
    codes = [code for code, _ in results]
    # Each rotate succeeds; of two deletes of one agent, one deletes and the other finds
    # nothing (exit 3), never a half-deleted agent.
    assert codes[:4] == [0] * 4, [o for c, o in results if c]
    assert sorted(codes[4:]) == [0, 0, 3, 3], results[4:]
    local = _local_agents(home)
    assert set(local) == set(names[:2])
    assert {cid: [name] for name, cid in local.items()} == _idp_agents(home)
    # The credential each agent has on record is the one the IdP accepts (the last rotate's).
    for name in names[:2]:
        run = _json(home, "exchange", "--mode", "agent", "--agent", name)
        assert run["runs"][0]["ok"] is True, run


def test_parallel_profile_add_keeps_every_profile_and_secret(tmp_path: Path) -> None:
    home = tmp_path / "home"
    names = [f"p{i}" for i in range(8)]
    commands = [
        (
            [
                "profile", "add", name, "--issuer", f"https://{name}.example.com",
                "--client-id", f"cli-{name}", "--secret-store", "file", "--secret-stdin",
            ],
            f"secret-{name}\n",
        )
        for name in names
    ]  # fmt: skip
    results = _parallel(home, commands)
    assert [code for code, _ in results] == [0] * len(names), [o for c, o in results if c]
    listed = {p["name"] for p in _json(home, "profile", "list")["profiles"]}
    assert set(names) <= listed
    stored = json.loads((home / "secrets.json").read_text())
    assert {k: v for k, v in stored.items() if k.endswith("/client-secret")} == {
        f"{n}/client-secret": f"secret-{n}" for n in names
    }


def test_parallel_demo_on_a_new_home_all_succeed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    results = _parallel(home, [(["demo", "--json"], None)] * 4)
    assert [code for code, _ in results] == [0] * 4, [o for c, o in results if c]
    client_ids = {json.loads(out)["data"]["agent"]["client_id"] for _, out in results}
    assert len(client_ids) == 1  # one demo agent, shared
    assert list(_local_agents(home)) == ["demo-agent"]
    users = _json(home, "idp", "users", "list")
    assert [u["name"] for u in users["users"]] == ["alice"]


# -- SIGKILL in the middle of a write, per store ---------------------------------------------


def _kill_during(home: Path, commands: list[list[str]], stdin: str | None = None) -> None:
    """Start the commands, SIGKILL them at spread-out moments."""
    for i, args in enumerate(commands):
        proc = _start(home, *args, stdin=stdin)
        if stdin is not None and proc.stdin is not None:
            proc.stdin.write(stdin)
            proc.stdin.flush()
        time.sleep(0.1 * i)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()


def test_sigkill_during_agent_writes_leaves_a_consistent_store(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _json(home, "register", "keeper")
    _kill_during(home, [["register", f"k-{i}"] for i in range(6)])
    local = _local_agents(home)  # readable, no duplicates
    assert "keeper" in local
    at_idp = _idp_agents(home)
    # No record without its client (a killed register removes nothing it acknowledged).
    for name, cid in local.items():
        assert at_idp.get(cid) == [name]
    # The names a killed register left half-done register cleanly now.
    again = _parallel(home, [(["register", f"k-{i}"], None) for i in range(6)])
    assert [code for code, _ in again] == [0] * 6, again


def test_sigkill_during_config_and_secrets_writes_keeps_both_files_whole(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    _json(home, "profile", "add", "base", "--issuer", "https://base.example.com")
    commands = [
        [
            "profile", "add", f"k{i}", "--issuer", f"https://k{i}.example.com",
            "--client-id", "c", "--secret-store", "file", "--secret-stdin",
        ]
        for i in range(6)
    ]  # fmt: skip
    _kill_during(home, commands, stdin="s3cret\n")
    import tomllib

    config = tomllib.loads((home / "config.toml").read_text())
    assert "base" in config["profiles"]
    if (home / "secrets.json").exists():
        assert isinstance(json.loads((home / "secrets.json").read_text()), dict)
    # The locks a killed process held are gone with it: the next writes go through.
    _json(home, "profile", "add", "after", "--issuer", "https://after.example.com",
          "--client-id", "c", "--secret-store", "file", "--secret-stdin", stdin="s\n")  # fmt: skip
