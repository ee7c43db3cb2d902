"""`inspect --verify` against real issuers on loopback: keys found through the issuer's own
discovery document, for the npm OpenID provider and for the embedded IdP served over HTTP."""

from __future__ import annotations

import base64
import json

import httpx

from tests.helpers import run
from tests.idp.conftest import serving
from tests.peers import PEER_ADMIN_ID, PEER_ADMIN_SECRET


def _tamper(token: str) -> str:
    head, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "mallory"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{forged}.{sig}"


def test_verify_a_peer_token_through_discovery(oidc_peer: str) -> None:
    r = httpx.post(
        f"{oidc_peer}/token",
        data={"grant_type": "client_credentials", "scope": "api:read"},
        auth=(PEER_ADMIN_ID, PEER_ADMIN_SECRET),
    )
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    res = run("inspect", token, "--verify", "--json")
    assert res.exit_code == 0, res.stdout
    data = res.json()["data"]
    assert data["verification"]["status"] == "verified"
    assert data["verification"]["key_id"] == "peer-rs256"
    assert data["mode"] == "agent_identity"
    forged = run("inspect", _tamper(token), "--verify", "--json")
    assert forged.exit_code == 4
    assert forged.json()["data"]["verification"]["status"] == "failed"


def test_verify_an_embedded_idp_token_through_discovery() -> None:
    with serving() as idp:
        idp.user("alice")
        creds = idp.agent("bot-7", may_act_for=["alice"])
        idp.svc.grant("alice", creds.client_id)
        user = idp.user_tokens(creds)["access_token"]
        actor = idp.cc(creds)
        r = idp.exchange(creds, user, actor=actor)
        assert r.status_code == 200, r.text
        delegated = r.json()["access_token"]
        res = run("inspect", delegated, "--verify", "--json")
        assert res.exit_code == 0, res.stdout
        data = res.json()["data"]
        assert data["verification"]["status"] == "verified"
        assert data["mode"] == "hybrid_obo"
        assert data["subject"]["id"] == "alice"
        assert data["actor"]["id"] == creds.client_id
        wrong_aud = run("inspect", delegated, "--verify", "--audience", "https://other", "--json")
        assert wrong_aud.exit_code == 4
