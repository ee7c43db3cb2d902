"""RFC 8693 token exchange: impersonation, delegation, nested act, token types, narrowing."""

from __future__ import annotations

from agentctl.idp import constants as c
from agentctl.idp.service import AgentCredentials
from tests.idp.conftest import AT, IDT, JWT, Idp, decode, header


def test_impersonation_keeps_sub_and_adds_no_act(idp: Idp) -> None:
    agent = idp.agent()
    idp.user("alice")
    user = idp.user_tokens(agent, scope="read write")
    r = idp.exchange(agent, user["access_token"], scope="read")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["issued_token_type"] == AT
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "read"
    claims = decode(body["access_token"])
    assert claims["sub"] == "alice"
    assert "act" not in claims
    assert claims["client_id"] == agent.client_id
    assert header(body["access_token"])["typ"] == "at+jwt"


def test_delegation_puts_the_agent_in_act(idp: Idp) -> None:
    agent = idp.agent("helper")
    idp.user("alice")
    idp.svc.grant("alice", agent.client_id)
    user = idp.user_tokens(agent)
    r = idp.exchange(agent, user["access_token"], actor=idp.cc(agent))
    assert r.status_code == 200, r.text
    claims = decode(r.json()["access_token"])
    assert claims["sub"] == "alice"
    assert claims["act"] == {"sub": agent.client_id, "sub_profile": "ai_agent"}
    audit = idp.svc.audit(limit=1)[0]
    assert audit["subject"] == "alice"
    assert audit["actor_chain"] == [agent.client_id]
    assert audit["grant_type"] == c.GRANT_TOKEN_EXCHANGE
    assert audit["parent_jti"]


def test_may_act_in_the_subject_token_allows_delegation_without_a_stored_grant(idp: Idp) -> None:
    agent = idp.agent()
    idp.user("alice")
    user = idp.user_tokens(agent, may_act=agent.client_id)
    r = idp.exchange(agent, user["access_token"], actor=idp.cc(agent))
    assert r.status_code == 200, r.text


def delegated_chain(idp: Idp, length: int) -> tuple[list[AgentCredentials], str]:
    """alice → agent1 → agent2 … : each agent exchanges the previous token with itself as
    actor, for the next agent's API. Returns the agents and the last token."""
    idp.user("alice")
    agents = []
    for i in range(1, length + 2):
        agents.append(
            idp.agent(
                f"agent{i}",
                allowed_audiences=[f"https://agent{i + 1}.example"],
                subject_audiences=[f"https://agent{i}.example"],
            )
        )
        idp.svc.grant("alice", agents[-1].client_id)
    token = idp.user_tokens(agents[0])["access_token"]
    for i in range(length):
        r = idp.exchange(
            agents[i], token, actor=idp.cc(agents[i]), audience=f"https://agent{i + 2}.example"
        )
        assert r.status_code == 200, r.text
        token = r.json()["access_token"]
    return agents, token


def test_delegation_nests_the_previous_act_and_never_drops_it(idp: Idp) -> None:
    agents, token = delegated_chain(idp, 3)
    claims = decode(token)
    assert claims["sub"] == "alice"
    assert claims["aud"] == "https://agent4.example"
    act = claims["act"]
    assert act["sub"] == agents[2].client_id
    assert act["sub_profile"] == "ai_agent"
    assert act["act"]["sub"] == agents[1].client_id
    assert act["act"]["act"] == {"sub": agents[0].client_id, "sub_profile": "ai_agent"}


def test_the_current_actor_may_rescope_its_token_keeping_act(idp: Idp) -> None:
    agent = idp.agent(allowed_audiences=["https://api.example"])
    idp.user("alice")
    idp.svc.grant("alice", agent.client_id)
    delegated = idp.exchange(agent, idp.user_tokens(agent)["access_token"], actor=idp.cc(agent))
    r = idp.exchange(
        agent, delegated.json()["access_token"], scope="read", resource="https://api.example"
    )
    assert r.status_code == 200, r.text
    claims = decode(r.json()["access_token"])
    assert claims["act"] == decode(delegated.json()["access_token"])["act"]
    assert claims["aud"] == "https://api.example"
    assert claims["scope"] == "read"


def test_requested_jwt_type_is_not_an_access_token(idp: Idp) -> None:
    agent = idp.agent()
    idp.user("alice")
    r = idp.exchange(agent, idp.user_tokens(agent)["id_token"], IDT, requested_token_type=JWT)
    assert r.status_code == 200, r.text
    assert r.json()["issued_token_type"] == JWT
    assert r.json()["token_type"] == "N_A"


def test_default_scope_is_the_subject_scope_within_the_agent_allowance(idp: Idp) -> None:
    agent = idp.agent(allowed_scopes=["read", "write"])
    idp.user("alice")
    user = idp.user_tokens(agent, scope="read write")["access_token"]
    idp.svc.set_agent_policy(agent.client_id, scopes=["read"])  # narrowed after sign-in
    r = idp.exchange(agent, user)
    assert r.json()["scope"] == "read"


def test_exchanged_token_never_outlives_the_subject_token(idp: Idp) -> None:
    agent = idp.agent()
    idp.user("alice")
    user = idp.user_tokens(agent, expires_in="60")
    r = idp.exchange(agent, user["access_token"])
    assert r.json()["expires_in"] <= 60
    assert decode(r.json()["access_token"])["exp"] <= decode(user["access_token"])["exp"]


def test_exchanged_token_never_outlives_the_actor_token(idp: Idp) -> None:
    from tests.idp.conftest import forge

    agent = idp.agent()
    idp.user("alice")
    idp.svc.grant("alice", agent.client_id)
    now = idp.svc.ctx.now()
    actor = forge(
        idp,
        {
            "sub": agent.client_id,
            "client_id": agent.client_id,
            "aud": idp.url("enterprise", "resource"),
            "exp": now + 30,
        },
    )
    r = idp.exchange(agent, idp.user_tokens(agent)["access_token"], actor=actor)
    assert r.status_code == 200, r.text
    assert decode(r.json()["access_token"])["exp"] <= now + 30
