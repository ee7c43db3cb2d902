"""Nothing lost: `agentctl idp serve` (granian, 2 workers) is SIGKILLed, whole process group,
in the middle of concurrent registrations and token exchanges from several client processes;
after a restart every acknowledged registration works, the signing keys are the same, the
database passes `PRAGMA integrity_check`, and nobody ever saw "database is locked".

And nothing stuck: a worker that dies is replaced, a request that hangs ends its worker with a
stack dump instead of hanging it silently."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.idp.conftest import PASSWORD
from tests.procs import children

pytestmark = pytest.mark.slow

CLIENTS = 4
ACKS_BEFORE_KILL = 100

# One client process: register (RFC 7591) → client credentials → the user's token → delegation
# exchange, in a loop until the stop file appears. Each acknowledged registration (201) is
# written to its ack file at once; any body mentioning "locked" goes to its problems file.
WORKER = r"""
import json, os, sys, time
import httpx
base, out, stop, password = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
iat, admin = sys.argv[5], sys.argv[6]
iss = base + "/i/enterprise"
TE = "urn:ietf:params:oauth:grant-type:token-exchange"
AT = "urn:ietf:params:oauth:token-type:access_token"
acks = open(out + ".acks", "a", buffering=1)
problems = open(out + ".problems", "a", buffering=1)
stats = {"registered": 0, "exchanged": 0, "errors": 0, "refused": 0}
tokens = []
def check(r):
    if "locked" in r.text:
        problems.write(json.dumps({"status": r.status_code, "body": r.text[:300]}) + "\n")
    return r
with httpx.Client(timeout=10) as http:
    n = 0
    while not os.path.exists(stop):
        n += 1
        try:
            r = check(http.post(iss + "/register", headers={"Authorization": "Bearer " + iat},
                                json={
                "client_name": f"{os.getpid()}-{n}", "sub_profile": "ai_agent",
                "scope": "read write"}))
            if r.status_code != 201:
                stats["refused"] += 1
                continue
            reg = r.json()
            acks.write(json.dumps({"client_id": reg["client_id"],
                                   "client_secret": reg["client_secret"]}) + "\n")
            stats["registered"] += 1
            auth = (reg["client_id"], reg["client_secret"])
            cc = check(http.post(iss + "/token", data={"grant_type": "client_credentials"},
                                 auth=auth))
            user = check(http.post(iss + "/admin/user-token", headers={
                "Authorization": "Bearer " + admin}, data={
                "username": "alice", "password": password, "client_id": reg["client_id"],
                "may_act": reg["client_id"]}))
            if cc.status_code != 200 or user.status_code != 200:
                stats["refused"] += 1
                continue
            ex = check(http.post(iss + "/token", auth=auth, data={
                "grant_type": TE, "subject_token": user.json()["access_token"],
                "subject_token_type": AT, "actor_token": cc.json()["access_token"],
                "actor_token_type": AT}))
            if ex.status_code == 200:
                stats["exchanged"] += 1
                tokens.append({"auth": auth, "token": ex.json()["access_token"]})
            else:
                stats["refused"] += 1
        except httpx.TransportError:
            stats["errors"] += 1
            time.sleep(0.05)
json.dump({"stats": stats, "tokens": tokens[-5:]}, open(out + ".done", "w"))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`agentctl idp serve` in its own process group, logging to a file."""

    def __init__(self, home: Path, port: int) -> None:
        self.home, self.port = home, port
        self.base = f"http://127.0.0.1:{port}"
        self.log = home / "serve.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "AGENTCTL_HOME": str(self.home)}
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    *(sys.executable, "-m", "agentctl", "idp", "serve"),
                    *("--port", str(self.port), "--workers", "2"),
                    *("--registration", "token", "--admin-signin"),
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"{self.base}/i/enterprise/jwks.json", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"the IdP did not start:\n{self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL the master and every worker at once: nothing gets to clean up."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            self.kill()
        self.proc = None


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path / "home", _free_port())
    running.home.mkdir()
    try:
        yield running
    finally:
        running.kill()


def _acks(out: Path) -> list[dict[str, Any]]:
    acks: list[dict[str, Any]] = []
    for path in out.glob("*.acks"):
        acks.extend(json.loads(line) for line in path.read_text().splitlines() if line)
    return acks


def test_kill_mid_flight_loses_nothing_acknowledged(server: Server, tmp_path: Path) -> None:
    from agentctl.idp.service import IdpService

    # Alice exists before the server starts (cheap scrypt cost from conftest's _fast_kdf).
    db_path = server.home / "data" / "idp.sqlite3"
    svc = IdpService.open(db_path, base_url=server.base)
    svc.add_user("alice", "alice@example.com", PASSWORD)
    # Registration needs an initial access token (--registration token), sign-in the admin
    # credential: the clients get both, as an operator would hand them out.
    iat = svc.registration_token(uses=100_000, expires_in=600)
    admin = svc.admin_token()
    svc.store.close()

    server.start()
    jwks_before = {
        issuer: httpx.get(f"{server.base}/i/{issuer}/jwks.json").json()
        for issuer in ("enterprise", "mcp-as")
    }
    out, stop = tmp_path / "out", tmp_path / "stop"
    out.mkdir()
    workers = [
        subprocess.Popen(
            [
                *(sys.executable, "-c", WORKER, server.base, str(out / f"w{i}")),
                *(str(stop), PASSWORD, iat, admin),
            ]
        )
        for i in range(CLIENTS)
    ]
    try:
        deadline = time.monotonic() + 15
        while len(_acks(out)) < ACKS_BEFORE_KILL and time.monotonic() < deadline:
            time.sleep(0.05)
        server.kill()  # mid-flight: the clients are still sending
        time.sleep(0.3)
        stop.touch()
        for worker in workers:
            assert worker.wait(20) == 0
    finally:
        stop.touch()
        for worker in workers:
            if worker.poll() is None:
                worker.kill()

    acked = _acks(out)
    assert len(acked) >= ACKS_BEFORE_KILL
    done = [json.loads(p.read_text()) for p in out.glob("*.done")]
    assert len(done) == CLIENTS
    assert sum(d["stats"]["exchanged"] for d in done) > 0
    assert sum(d["stats"]["errors"] for d in done) > 0, "the kill should have cut some requests"

    # The crashed database as the kill left it (WAL included) is intact.
    with sqlite3.connect(db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]

    server.start()
    for issuer, before in jwks_before.items():
        assert httpx.get(f"{server.base}/i/{issuer}/jwks.json").json() == before
    with httpx.Client(base_url=server.base, timeout=10) as http:
        for reg in acked:
            r = http.post(
                "/i/enterprise/token",
                data={"grant_type": "client_credentials"},
                auth=(reg["client_id"], reg["client_secret"]),
            )
            assert r.status_code == 200, (reg["client_id"], r.text)
            assert "locked" not in r.text
        # Exchanged tokens the clients received are still known (recorded, not lost).
        for entry in (t for d in done for t in d["tokens"]):
            r = http.post(
                "/i/enterprise/introspect",
                data={"token": entry["token"]},
                auth=tuple(entry["auth"]),
            )
            assert r.json()["active"] is True, r.text
    server.stop()

    problems = [p.read_text() for p in out.glob("*.problems") if p.read_text()]
    assert problems == []
    assert "database is locked" not in server.log.read_text()
    with sqlite3.connect(db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_a_worker_that_dies_is_replaced(server: Server) -> None:
    server.start()
    assert server.proc is not None
    workers = children(server.proc.pid)
    assert len(workers) == 2
    victim = min(workers)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        now = children(server.proc.pid)
        if len(now) == 2 and victim not in now:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"no replacement worker:\n{server.log.read_text()}")
    assert server.proc.poll() is None
    for _ in range(10):  # both workers answer (connections spread over them)
        r = httpx.get(f"{server.base}/i/enterprise/jwks.json", timeout=5)
        assert r.status_code == 200
    server.stop()
    assert "Unexpected exit from worker" in server.log.read_text()


STUCK = r"""
import time
from agentctl.idp.serve import RequestWatchdog

def stuck_app(environ, start_response):
    time.sleep(120)

def ok_app(environ, start_response):
    start_response("200 OK", [])
    return [b"ok"]

assert RequestWatchdog(ok_app, timeout=0.5, tick=0.1)({}, lambda *a: None) == [b"ok"]
dog = RequestWatchdog(stuck_app, timeout=1, tick=0.1).start()
dog({}, lambda *a: None)
"""


def test_a_stuck_request_ends_its_worker_with_a_stack_dump() -> None:
    started = time.monotonic()
    r = subprocess.run(
        [sys.executable, "-c", STUCK], capture_output=True, text=True, timeout=60, check=False
    )
    assert r.returncode == 70, r.stderr  # os._exit(EX_SOFTWARE): granian respawns the worker
    assert time.monotonic() - started < 30
    assert "a request has run for" in r.stderr
    assert "stuck_app" in r.stderr  # the dump shows where it hung
