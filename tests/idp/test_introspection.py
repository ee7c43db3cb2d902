"""RFC 7662 introspection and RFC 7009 revocation, with the revocation cascade."""

from __future__ import annotations

from tests.idp.conftest import Idp, assert_oauth_error, basic, forge


def revoke(idp: Idp, token: str, creds) -> int:
    r = idp.http.post(
        idp.url("enterprise", "revoke"),
        data={"token": token},
        auth=basic(creds),
    )
    return r.status_code


def test_introspection_of_an_active_token(idp: Idp) -> None:
    agent = idp.agent()
    body = idp.introspect(idp.cc(agent, scope="read"), agent)
    assert body["active"] is True
    assert body["sub"] == agent.client_id
    assert body["scope"] == "read"
    assert body["token_type"] == "Bearer"
    assert body["iss"] == idp.url("enterprise")


def test_introspection_needs_client_authentication(idp: Idp) -> None:
    agent = idp.agent()
    r = idp.http.post(idp.url("enterprise", "introspect"), data={"token": idp.cc(agent)})
    assert_oauth_error(r, "invalid_client", 401)


def test_revoked_token_is_inactive(idp: Idp) -> None:
    agent = idp.agent()
    token = idp.cc(agent)
    assert revoke(idp, token, agent) == 200
    assert idp.introspect(token, agent) == {"active": False}


def test_expired_token_is_inactive(idp: Idp) -> None:
    agent = idp.agent()
    now = idp.svc.ctx.now()
    old = forge(idp, {"sub": agent.client_id, "client_id": agent.client_id, "exp": now - 1})
    assert idp.introspect(old, agent) == {"active": False}


def test_garbage_and_foreign_tokens_are_inactive(idp: Idp) -> None:
    agent = idp.agent()
    assert idp.introspect("not-a-token", agent) == {"active": False}
    assert idp.introspect(idp.cc(agent, issuer="mcp-as"), agent) == {"active": False}
    fake = forge(idp, {"sub": "x", "client_id": agent.client_id}, foreign_key=True)
    assert idp.introspect(fake, agent) == {"active": False}


def test_revoking_a_token_deactivates_everything_exchanged_from_it(idp: Idp) -> None:
    agent = idp.agent(allowed_audiences=["https://api.example"])
    idp.user("alice")
    idp.svc.grant("alice", agent.client_id)
    user = idp.user_tokens(agent)
    first = idp.exchange(agent, user["access_token"], actor=idp.cc(agent)).json()["access_token"]
    second = idp.exchange(agent, first, resource="https://api.example").json()["access_token"]
    assert idp.introspect(second, agent)["active"] is True
    assert revoke(idp, user["access_token"], agent) == 200
    assert idp.introspect(first, agent) == {"active": False}
    assert idp.introspect(second, agent) == {"active": False}


def test_revoking_the_actor_token_deactivates_the_delegated_token(idp: Idp) -> None:
    agent = idp.agent()
    idp.user("alice")
    idp.svc.grant("alice", agent.client_id)
    actor = idp.cc(agent)
    delegated = idp.exchange(agent, idp.user_tokens(agent)["access_token"], actor=actor)
    assert revoke(idp, actor, agent) == 200
    assert idp.introspect(delegated.json()["access_token"], agent) == {"active": False}


def test_a_client_cannot_revoke_another_clients_token(idp: Idp) -> None:
    owner, other = idp.agent("owner"), idp.agent("other")
    token = idp.cc(owner)
    r = idp.http.post(
        idp.url("enterprise", "revoke"),
        data={"token": token},
        auth=basic(other),
    )
    assert_oauth_error(r, "invalid_grant")
    assert idp.introspect(token, owner)["active"] is True


def test_revoking_an_unknown_token_succeeds_quietly(idp: Idp) -> None:
    agent = idp.agent()
    assert revoke(idp, "whatever", agent) == 200  # RFC 7009 §2.2
