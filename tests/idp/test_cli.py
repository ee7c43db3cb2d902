"""`agentctl idp …` subcommands, human and --json."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx

from agentctl.idp.service import IdpService
from tests.helpers import run
from tests.procs import children


def test_users_add_and_list_with_json() -> None:
    added = run("idp", "users", "add", "alice", "--password-stdin", "--json", stdin="pw-1\n")
    assert added.exit_code == 0, added.stderr
    doc = added.json()
    assert doc["status"] == "ok"
    assert doc["command"] == ["idp", "users", "add"]
    user = doc["data"]["user"]
    assert (user["name"], user["email"]) == ("alice", "alice@example.com")
    assert "pw-1" not in added.stdout
    assert "scrypt" not in added.stdout
    listed = run("idp", "users", "list", "--json").json()
    assert [u["name"] for u in listed["data"]["users"]] == ["alice"]
    human = run("idp", "users", "list")
    assert "alice@example.com" in human.stdout


def test_users_add_reads_the_password_from_the_environment() -> None:
    r = run("idp", "users", "add", "bob", env={"AGENTCTL_IDP_PASSWORD": "from-env"})
    assert r.exit_code == 0, r.stderr
    svc = IdpService.open()
    assert svc.user_tokens("bob", "from-env", client_id=svc.create_agent("a").client_id)


def test_users_add_without_a_password_is_a_usage_error() -> None:
    r = run("idp", "users", "add", "carol", "--json")
    assert r.exit_code == 2
    assert r.json()["errors"][0]["hint"].startswith("pipe it with --password-stdin")


def test_duplicate_user_is_a_usage_error() -> None:
    run("idp", "users", "add", "dan", "--password-stdin", stdin="x\n")
    r = run("idp", "users", "add", "dan", "--password-stdin", stdin="x\n")
    assert r.exit_code == 2
    assert "already exists" in r.stderr


def test_agents_list_and_grant() -> None:
    svc = IdpService.open()
    creds = svc.create_agent("billing-bot", sponsor="owner@example.com")
    svc.add_user("erin", "erin@example.com", "pw")
    agents = run("idp", "agents", "list", "--json").json()["data"]["agents"]
    assert {(a["issuer"], a["name"], a["sponsor"]) for a in agents} == {
        ("enterprise", "billing-bot", "owner@example.com"),
        ("mcp-as", "billing-bot", "owner@example.com"),
    }
    assert agents[0]["credential_type"] == "client_secret"
    assert str(creds.client_secret) not in run("idp", "agents", "list", "--json").stdout
    granted = run("idp", "grant", "erin", "billing-bot", "--scope", "read", "--json")
    assert granted.exit_code == 0, granted.stderr
    assert granted.json()["data"] == {
        "issuer": "enterprise",
        "kind": "delegation",
        "user": "erin",
        "agent": creds.client_id,
        "agent_name": "billing-bot",
        "scopes": ["read"],
    }
    assert svc.grants()[0]["agent"] == creds.client_id
    revoked = run("idp", "grant", "erin", "billing-bot", "--revoke", "--json").json()
    assert revoked["data"]["revoked"] is True
    assert svc.grants() == []


def test_grant_for_an_unknown_user_fails_cleanly() -> None:
    r = run("idp", "grant", "nobody", "nothing", "--json")
    assert r.exit_code == 2
    assert "no user named" in r.json()["errors"][0]["message"]


def test_keys_list_and_rotate() -> None:
    before = run("idp", "keys", "list", "--json").json()["data"]["keys"]
    assert [k["state"] for k in before] == ["active"]
    rotated = run("idp", "keys", "rotate", "--alg", "rs256", "--json").json()["data"]
    assert [k["state"] for k in rotated["keys"]] == ["active", "retired"]
    assert rotated["keys"][0]["kid"] == rotated["new_kid"]
    assert rotated["keys"][0]["alg"] == "RS256"
    assert rotated["keys"][1]["kid"] == before[0]["kid"]
    human = run("idp", "keys", "list", "--issuer", "mcp-as")
    assert "ES256" in human.stdout
    assert human.exit_code == 0
    bad = run("idp", "keys", "rotate", "--issuer", "ghost")
    assert bad.exit_code == 2
    assert "no issuer named" in bad.stderr


def test_audit_shows_who_acted_for_whom() -> None:
    svc = IdpService.open()
    creds = svc.create_agent("auditor")
    svc.add_user("fay", "fay@example.com", "pw")
    svc.user_tokens("fay", "pw", client_id=creds.client_id)
    entries = run("idp", "audit", "--json").json()["data"]["entries"]
    assert [e["event"] for e in entries] == ["issue:id_token", "issue:access_token"]
    assert entries[0]["subject"] == "fay"
    assert entries[0]["client_id"] == creds.client_id
    assert "fay" in run("idp", "audit").stdout
    assert "id_token" in run("idp", "audit").stdout


def test_issuers_and_reset() -> None:
    names = [i["name"] for i in run("idp", "issuers", "--json").json()["data"]["issuers"]]
    assert names == ["enterprise", "mcp-as"]
    assert run("idp", "reset", "--json").exit_code == 2  # needs --yes when not interactive
    reset = run("idp", "reset", "--yes", "--json").json()
    assert reset["data"]["removed"]
    assert reset["data"]["removed"][0].endswith("idp.sqlite3")
    assert not os.path.exists(reset["data"]["database"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_runs_granian_with_workers() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agentctl",
            "idp",
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}/.well-known/oauth-authorization-server/i/enterprise"
        deadline = time.monotonic() + 20
        while True:
            try:
                meta = httpx.get(url, timeout=2).json()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                assert proc.poll() is None
                time.sleep(0.2)
        assert meta["issuer"] == f"http://127.0.0.1:{port}/i/enterprise"
        assert httpx.get(url, timeout=2).headers["server"] == "granian"
        # the master and its two worker processes
        assert len(children(proc.pid)) == 2
    finally:
        proc.terminate()
        out, _err = proc.communicate(timeout=20)
    assert proc.returncode == 0, _err.decode()  # SIGTERM: a graceful stop
    import json

    startup = json.loads(out.decode().split("\n}\n")[0] + "\n}")
    assert startup["data"]["base_url"] == f"http://127.0.0.1:{port}"
    assert startup["data"]["loopback_only"] is True


def test_serve_on_a_busy_port_fails_with_one_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = run("idp", "serve", "--port", str(port), "--json")
    assert r.exit_code == 2
    assert r.json()["errors"][0]["hint"] == "pick another --port"
