"""`exchange --via id-jag` to a resource whose authorization server agentctl does not run: an
Authlib-built ID-JAG redeemer (tests/peers/idjag_as.py) in its own process, trusting the
embedded IdP served on loopback. The IdP is told to trust that AS and the agent's client id
there (`idp trust`, `idp agents set --id-jag-client-id`); the agent presents that client at the
AS (`--as-client-id`, secret from the environment); the API then accepts the token."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import run
from tests.idp.conftest import PASSWORD, Idp, decode, serving

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
AS_SECRET = "ext-secret-" + "x" * 24


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def idp() -> Iterator[Idp]:
    with serving() as running:
        yield running


@pytest.fixture
def foreign_as(idp: Idp) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "tests.peers.idjag_as", "--port", str(port)),
            *("--idp-issuer", idp.url("enterprise"), "--client-id", "ext-agent"),
            *("--client-secret-env", "IDJAG_AS_SECRET"),
        ],
        cwd=ROOT,
        env={**os.environ, "IDJAG_AS_SECRET": AS_SECRET},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                httpx.get(base + "/.well-known/oauth-authorization-server")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the foreign AS did not start"
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


def _xrun(idp: Idp, api: str, *extra: str, secret: str | None = AS_SECRET) -> object:
    env = {"AGENTCTL_USER_PASSWORD": PASSWORD}
    if secret is not None:
        env["AGENTCTL_AS_CLIENT_SECRET"] = secret
    return run(
        *("exchange", "--via", "id-jag", "--resource", api, "--profile", "served"),
        *("--agent", "roamer", "--user", "alice", "--json", *extra),
        env=env,
    )


def test_via_id_jag_reaches_an_api_whose_as_is_not_the_embedded_idp(
    idp: Idp, foreign_as: str
) -> None:
    api = f"{foreign_as}/api"
    assert run("profile", "add", "served", "--kind", "local", "--issuer", idp.url()).exit_code == 0
    assert run("register", "roamer", "--profile", "served").exit_code == 0
    idp.user("alice")
    # The administrator: trust the AS, and record the agent's client id there.
    assert run("idp", "trust", foreign_as).exit_code == 0
    r = run("idp", "agents", "set", "roamer", "--id-jag-client-id", f"{foreign_as}=ext-agent")
    assert r.exit_code == 0, r.stderr
    idp.svc.ctx.forget_issuer("enterprise")  # the running IdP would see it within 2 s anyway

    # Without its client at that AS the agent is refused there, and told what to pass.
    refused = _xrun(idp, api)
    assert refused.exit_code == 6, refused.stdout + refused.stderr  # type: ignore[attr-defined]
    assert "--as-client-id" in refused.stdout  # type: ignore[attr-defined]  # the JSON hint

    done = _xrun(idp, api, "--as-client-id", "ext-agent", "--show-token")
    assert done.exit_code == 0, done.stdout + done.stderr  # type: ignore[attr-defined]
    data = done.json()["data"]  # type: ignore[attr-defined]
    final = data["runs"][0]["tokens"][-1]["value"]
    claims = decode(final)
    assert claims["iss"] == foreign_as
    assert claims["sub"] == "alice"
    assert claims["client_id"] == "ext-agent"
    seen = httpx.get(api, headers={"Authorization": f"Bearer {final}"})
    assert seen.status_code == 200, seen.text
    assert seen.json() == {"sub": "alice", "client_id": "ext-agent"}
    assert AS_SECRET not in done.stdout  # type: ignore[attr-defined]
