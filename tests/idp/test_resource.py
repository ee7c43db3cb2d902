"""The demo protected resource of each issuer (RFC 9728 metadata, RFC 6750 bearer checks), over
real HTTP: who it sees acting for whom in each mode, and each refusal."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from agentctl.idp import constants as c
from tests.idp.conftest import IDJAG, IDT, Idp, forge


def call(idp: Idp, token: str | None, issuer: str = "enterprise", **kw: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return idp.http.get(idp.url(issuer, "resource"), headers=headers, **kw)


def challenge(r: httpx.Response) -> dict[str, str]:
    """The WWW-Authenticate Bearer parameters."""
    value = r.headers["www-authenticate"]
    assert value.startswith("Bearer "), value
    return dict(re.findall(r'(\w+)="([^"]*)"', value))


def assert_refused(idp: Idp, r: httpx.Response, says: str, issuer: str = "enterprise") -> None:
    assert r.status_code == 401, r.text
    params = challenge(r)
    assert params["resource_metadata"] == (
        f"{idp.base_url}/.well-known/oauth-protected-resource/i/{issuer}/resource"
    )
    assert params["error"] == "invalid_token"
    assert says in params["error_description"]
    body = r.json()
    assert body["error"] == "invalid_token"
    assert says in body["error_description"]
    assert "eyJ" not in r.text
    assert "Traceback" not in r.text
    last = idp.svc.audit(limit=1)[0]
    assert last["event"] == "resource:refused"
    assert says in last["detail"]["reason"]


def test_protected_resource_metadata_points_at_its_authorization_server(idp: Idp) -> None:
    for issuer in ("enterprise", "mcp-as"):
        r = idp.http.get(f"{idp.base_url}/.well-known/oauth-protected-resource/i/{issuer}/resource")
        assert r.status_code == 200, r.text
        meta = r.json()
        assert meta["resource"] == idp.url(issuer, "resource")
        assert meta["authorization_servers"] == [idp.url(issuer)]
        assert meta["bearer_methods_supported"] == ["header"]
        assert "read" in meta["scopes_supported"]
        as_meta = idp.http.get(
            f"{idp.base_url}/.well-known/oauth-authorization-server/i/{issuer}"
        ).json()
        assert as_meta["protected_resources"] == [idp.url(issuer, "resource")]


def test_unknown_issuer_has_no_resource(idp: Idp) -> None:
    r = idp.http.get(f"{idp.base_url}/.well-known/oauth-protected-resource/i/nope/resource")
    assert r.status_code == 404
    assert idp.http.get(idp.url("nope", "resource")).status_code == 404


def test_agent_identity_token_is_the_agent_acting_as_itself(idp: Idp) -> None:
    agent = idp.agent("bot-7")
    r = call(idp, idp.cc(agent, scope="read"))
    assert r.status_code == 200, r.text
    seen = r.json()
    assert seen["mode"] == "agent_identity"
    assert seen["subject"] == agent.client_id
    assert seen["subject_profile"] == "ai_agent"
    assert seen["actor"] is None
    assert seen["client"] == {"id": agent.client_id, "name": "bot-7", "kind": "agent"}
    assert seen["scopes"] == ["read"]
    assert seen["audit"] == "agent bot-7 did this as itself"
    last = idp.svc.audit(limit=1)[0]
    assert last["event"] == "resource:call"
    assert last["subject"] == agent.client_id
    assert last["audience"] == [idp.url("enterprise", "resource")]
    assert last["jti"] == seen["jti"]
    assert last["detail"]["mode"] == "agent_identity"


def test_user_token_is_user_scoped(idp: Idp) -> None:
    agent = idp.agent("bot-7")
    idp.user("alice")
    user = idp.user_tokens(agent, scope="read write")
    seen = call(idp, user["access_token"]).json()
    assert seen["mode"] == "user_scoped"
    assert seen["subject"] == "alice"
    assert seen["actor"] is None
    assert seen["scopes"] == ["read", "write"]
    assert seen["audit"] == "user alice did this through agent bot-7 (no actor recorded)"


def test_delegated_token_shows_the_agent_acting_for_the_user(idp: Idp) -> None:
    agent = idp.agent("bot-7")
    idp.user("alice")
    idp.svc.grant("alice", agent.client_id)
    user = idp.user_tokens(agent)
    r = idp.exchange(agent, user["access_token"], actor=idp.cc(agent))
    assert r.status_code == 200, r.text
    exchanged = r.json()["access_token"]
    seen = call(idp, exchanged).json()
    assert seen["mode"] == "hybrid_obo"
    assert seen["subject"] == "alice"
    assert seen["actor"] == {"id": agent.client_id, "name": "bot-7", "kind": "agent"}
    assert seen["prior_actors"] == []
    assert seen["audit"] == "agent bot-7 did this as user alice"
    last = idp.svc.audit(limit=1)[0]
    assert last["event"] == "resource:call"
    assert last["actor_chain"] == [agent.client_id]
    assert last["parent_jti"]  # the user's token it was exchanged from
    assert last["detail"]["sentence"] == "agent bot-7 did this as user alice"


def test_two_hop_delegation_lists_the_prior_actor(idp: Idp) -> None:
    idp.user("alice")
    planner = idp.agent("planner", allowed_audiences=["https://worker.example"])
    worker = idp.agent("worker", subject_audiences=["https://worker.example"])
    for agent in (planner, worker):
        idp.svc.grant("alice", agent.client_id)
    user = idp.user_tokens(planner)["access_token"]
    r = idp.exchange(planner, user, actor=idp.cc(planner), audience="https://worker.example")
    assert r.status_code == 200, r.text
    r = idp.exchange(worker, r.json()["access_token"], actor=idp.cc(worker))
    assert r.status_code == 200, r.text
    seen = call(idp, r.json()["access_token"]).json()
    assert seen["mode"] == "hybrid_obo"
    assert seen["actor"]["name"] == "worker"
    assert [a["name"] for a in seen["prior_actors"]] == ["planner"]
    assert seen["actor_chain"] == [worker.client_id, planner.client_id]
    assert seen["audit"] == "agent worker did this as user alice, delegated through agent planner"


def test_mcp_as_resource_accepts_the_token_from_an_id_jag(idp: Idp) -> None:
    agent = idp.agent("mcp-client")
    idp.user("alice")
    id_token = idp.user_tokens(agent)["id_token"]
    r = idp.exchange(
        agent,
        id_token,
        IDT,
        requested_token_type=IDJAG,
        audience=idp.url("mcp-as"),
        resource=idp.url("mcp-as", "resource"),
        scope="read",
    )
    assert r.status_code == 200, r.text
    r = idp.token(
        {"grant_type": c.GRANT_JWT_BEARER, "assertion": r.json()["access_token"]}, agent, "mcp-as"
    )
    assert r.status_code == 200, r.text
    mcp_token = r.json()["access_token"]
    seen = call(idp, mcp_token, "mcp-as").json()
    assert seen["issuer"] == idp.url("mcp-as")
    assert seen["mode"] == "user_scoped"
    assert seen["subject"] == "alice"
    assert seen["client"]["name"] == "mcp-client"
    # The IdP's own resource does not take the MCP server's token, and the reverse.
    assert_refused(idp, call(idp, mcp_token, "enterprise"), "trusted issuer")
    assert_refused(idp, call(idp, idp.cc(agent), "mcp-as"), "trusted issuer", "mcp-as")


def test_post_works_too(idp: Idp) -> None:
    agent = idp.agent()
    r = idp.http.post(
        idp.url("enterprise", "resource"),
        headers={"Authorization": f"bearer {idp.cc(agent)}"},
        json={"hello": "world"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["mode"] == "agent_identity"


def test_no_token_is_a_challenge_without_error_code(idp: Idp) -> None:
    r = call(idp, None)
    assert r.status_code == 401
    params = challenge(r)
    assert params == {
        "resource_metadata": (
            f"{idp.base_url}/.well-known/oauth-protected-resource/i/enterprise/resource"
        )
    }
    assert "bearer token is required" in r.json()["error_description"]
    assert idp.svc.audit(limit=1)[0]["event"] == "resource:refused"


def test_another_scheme_is_a_challenge(idp: Idp) -> None:
    r = idp.http.get(
        idp.url("enterprise", "resource"), headers={"Authorization": "Basic dXNlcjpwdw=="}
    )
    assert r.status_code == 401
    assert "error=" not in r.headers["www-authenticate"]
    assert "resource_metadata=" in r.headers["www-authenticate"]


@pytest.mark.parametrize("value", [b"Bearer", b"Bearer a b", "Bearer \u00e9".encode("latin-1")])
def test_malformed_bearer_header_is_a_bad_request(idp: Idp, value: bytes) -> None:
    r = idp.http.get(idp.url("enterprise", "resource"), headers={b"Authorization": value})
    assert r.status_code == 400, r.text
    assert "resource_metadata=" in r.headers["www-authenticate"]
    assert r.json()["error"] == "invalid_request"


def test_wrong_audience_is_refused(idp: Idp) -> None:
    agent = idp.agent(allowed_audiences=["https://api.example"])
    token = idp.cc(agent, resource="https://api.example")
    assert_refused(idp, call(idp, token), "not meant for this resource")


def test_expired_token_is_refused(idp: Idp) -> None:
    now = idp.svc.ctx.now()
    token = forge(
        idp,
        {"sub": "alice", "aud": idp.url("enterprise", "resource"), "exp": now - 60},
    )
    assert_refused(idp, call(idp, token), "expired")


def test_token_not_yet_valid_is_refused(idp: Idp) -> None:
    now = idp.svc.ctx.now()
    token = forge(idp, {"sub": "alice", "aud": idp.url("enterprise", "resource"), "nbf": now + 600})
    assert_refused(idp, call(idp, token), "not valid yet")


def test_bad_signature_is_refused(idp: Idp) -> None:
    token = forge(idp, {"sub": "alice", "aud": idp.url("enterprise", "resource")}, foreign_key=True)
    assert_refused(idp, call(idp, token), "invalid signature")


def test_tampered_claims_are_refused(idp: Idp) -> None:
    import base64
    import json

    token = idp.cc(idp.agent())
    head, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["sub"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    assert_refused(idp, call(idp, f"{head}.{forged}.{sig}"), "invalid signature")


def test_id_token_instead_of_access_token_is_refused(idp: Idp) -> None:
    agent = idp.agent()
    idp.user("alice")
    id_token = idp.user_tokens(agent)["id_token"]
    assert_refused(idp, call(idp, id_token), "not an access token")
    # Even one whose aud names the resource: typ decides, not aud.
    forged = forge(
        idp,
        {"sub": "alice", "aud": idp.url("enterprise", "resource")},
        typ=c.TYP_ID_TOKEN,
        kind=c.KIND_ID,
    )
    assert_refused(idp, call(idp, forged), "not an access token")


def test_revoked_token_is_refused(idp: Idp) -> None:
    agent = idp.agent()
    token = idp.cc(agent)
    assert call(idp, token).status_code == 200
    r = idp.http.post(
        idp.url("enterprise", "revoke"),
        data={"token": token},
        auth=(agent.client_id, agent.client_secret or ""),
    )
    assert r.status_code == 200, r.text
    assert_refused(idp, call(idp, token), "revoked")


def test_unrecorded_token_is_refused(idp: Idp) -> None:
    token = forge(idp, {"sub": "alice", "aud": idp.url("enterprise", "resource")}, record=False)
    assert_refused(idp, call(idp, token), "not issued by this server")


def test_garbage_token_is_refused(idp: Idp) -> None:
    assert_refused(idp, call(idp, "not.a.jwt"), "well-formed")
