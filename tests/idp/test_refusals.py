"""Every exchange a careful IdP refuses, each sent as a hostile request over HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest

from agentctl.idp import constants as c
from agentctl.idp.models import IssuerConfig
from agentctl.idp.service import AgentCredentials
from tests.idp.conftest import AT, IDT, Idp, assert_oauth_error, basic, forge
from tests.idp.test_exchange import delegated_chain


@pytest.fixture
def setup(idp: Idp) -> tuple[AgentCredentials, dict[str, Any]]:
    """An agent alice has granted delegation to, and alice's tokens issued to that agent."""
    agent = idp.agent("helper")
    idp.user("alice")
    idp.svc.grant("alice", agent.client_id)
    return agent, idp.user_tokens(agent, scope="read")


def test_exchange_without_client_authentication(idp: Idp, setup) -> None:
    _, user = setup
    r = idp.exchange(None, user["access_token"])
    assert_oauth_error(r, "invalid_client", 401)


def test_subject_token_from_an_untrusted_issuer(idp: Idp, setup) -> None:
    agent, _ = setup
    # The agent is also registered at mcp-as, whose tokens enterprise does not trust.
    foreign = idp.cc(agent, issuer="mcp-as")
    r = idp.exchange(agent, foreign)
    assert_oauth_error(r, "invalid_request", says="not from a trusted issuer")


def test_subject_token_with_a_bad_signature(idp: Idp, setup) -> None:
    agent, _ = setup
    bad = forge(idp, {"sub": "alice", "client_id": agent.client_id}, foreign_key=True)
    assert_oauth_error(idp.exchange(agent, bad), "invalid_request", says="invalid signature")


def test_subject_token_with_a_tampered_payload(idp: Idp, setup) -> None:
    agent, user = setup
    head, _, sig = user["access_token"].split(".")
    evil = forge(idp, {"sub": "root", "client_id": agent.client_id}, record=False).split(".")[1]
    assert_oauth_error(
        idp.exchange(agent, f"{head}.{evil}.{sig}"), "invalid_request", says="invalid signature"
    )


def test_expired_subject_token(idp: Idp, setup) -> None:
    agent, _ = setup
    now = idp.svc.ctx.now()
    old = forge(
        idp, {"sub": "alice", "client_id": agent.client_id, "iat": now - 900, "exp": now - 300}
    )
    assert_oauth_error(idp.exchange(agent, old), "invalid_request", says="expired")


def test_subject_token_not_yet_valid(idp: Idp, setup) -> None:
    agent, _ = setup
    future = forge(
        idp, {"sub": "alice", "client_id": agent.client_id, "nbf": idp.svc.ctx.now() + 600}
    )
    assert_oauth_error(idp.exchange(agent, future), "invalid_request", says="not valid yet")


def test_revoked_subject_token(idp: Idp, setup) -> None:
    agent, user = setup
    idp.http.post(
        idp.url("enterprise", "revoke"),
        data={"token": user["access_token"]},
        auth=basic(agent),
    )
    assert_oauth_error(idp.exchange(agent, user["access_token"]), "invalid_request", says="revoked")


def test_subject_token_this_server_never_issued(idp: Idp, setup) -> None:
    agent, _ = setup
    unknown = forge(idp, {"sub": "alice", "client_id": agent.client_id}, record=False)
    assert_oauth_error(idp.exchange(agent, unknown), "invalid_request", says="not issued")


def test_id_token_declared_as_access_token(idp: Idp, setup) -> None:
    agent, user = setup
    r = idp.exchange(agent, user["id_token"], AT)
    assert_oauth_error(r, "invalid_request", says="not an access token")


def test_access_token_declared_as_id_token(idp: Idp, setup) -> None:
    agent, user = setup
    r = idp.exchange(agent, user["access_token"], IDT)
    assert_oauth_error(r, "invalid_request", says="not an ID token")


def test_unsupported_subject_token_type(idp: Idp, setup) -> None:
    agent, user = setup
    r = idp.exchange(agent, user["access_token"], "urn:ietf:params:oauth:token-type:saml2")
    assert_oauth_error(r, "invalid_request", says="not supported")


def test_actor_token_type_without_actor_token(idp: Idp, setup) -> None:
    agent, user = setup
    r = idp.exchange(agent, user["access_token"], actor_token_type=AT)
    assert_oauth_error(r, "invalid_request", says="together")


def test_actor_token_of_another_agent(idp: Idp, setup) -> None:
    agent, user = setup
    other = idp.agent("other")
    r = idp.exchange(agent, user["access_token"], actor=idp.cc(other))
    assert_oauth_error(r, "invalid_request", says="does not identify the calling client")


def test_subject_and_actor_tokens_swapped(idp: Idp, setup) -> None:
    agent, user = setup
    r = idp.exchange(agent, idp.cc(agent), actor=user["access_token"])
    assert_oauth_error(r, "invalid_request", says="swapped")


def test_delegation_the_subject_never_allowed(idp: Idp) -> None:
    agent = idp.agent("stranger")
    idp.user("bob")
    user = idp.user_tokens(agent, user="bob")  # bob signed in to it, but granted nothing
    r = idp.exchange(agent, user["access_token"], actor=idp.cc(agent))
    assert_oauth_error(r, "invalid_request", says="no may_act naming it, no delegation grant")


def test_may_act_naming_someone_else_is_not_consent(idp: Idp) -> None:
    agent = idp.agent("a")
    idp.user("bob")
    user = idp.user_tokens(agent, user="bob", may_act="agt_someone_else")
    r = idp.exchange(agent, user["access_token"], actor=idp.cc(agent))
    assert_oauth_error(r, "invalid_request", says="not allowed this client")


def test_agent_not_registered_to_act_for_the_subject(idp: Idp) -> None:
    agent = idp.agent("picky", may_act_for=["carol"])
    idp.user("alice")
    idp.svc.grant("alice", agent.client_id)
    r = idp.exchange(agent, idp.user_tokens(agent)["access_token"], actor=idp.cc(agent))
    assert_oauth_error(r, "invalid_request", says="not registered to act for")


def test_subject_token_issued_to_someone_else(idp: Idp, setup) -> None:
    agent, _ = setup
    other = idp.agent("other")
    theirs = idp.user_tokens(other)  # alice's token for another client
    assert_oauth_error(
        idp.exchange(agent, theirs["access_token"]),
        "invalid_request",
        says="not issued to the calling client",
    )


def test_scope_beyond_the_subject_token(idp: Idp, setup) -> None:
    agent, user = setup  # alice's token carries only "read"
    r = idp.exchange(agent, user["access_token"], actor=idp.cc(agent), scope="read write")
    assert_oauth_error(r, "invalid_scope", says="write")


def test_scope_beyond_the_agent_allowance(idp: Idp) -> None:
    agent = idp.agent("narrow", allowed_scopes=["read", "write"])
    idp.user("alice")
    user = idp.user_tokens(agent, scope="read write")
    idp.svc.set_agent_policy(agent.client_id, scopes=["read"])  # narrowed after sign-in
    assert_oauth_error(idp.exchange(agent, user["access_token"], scope="write"), "invalid_scope")


def test_scope_beyond_the_delegation_grant(idp: Idp) -> None:
    agent = idp.agent("limited")
    idp.user("alice")
    idp.svc.grant("alice", agent.client_id, scopes=["read"])
    user = idp.user_tokens(agent, scope="read write")
    r = idp.exchange(agent, user["access_token"], actor=idp.cc(agent), scope="write")
    assert_oauth_error(r, "invalid_scope")


def test_audience_the_agent_is_not_registered_for(idp: Idp, setup) -> None:
    agent, user = setup
    r = idp.exchange(agent, user["access_token"], audience="https://payroll.example")
    assert_oauth_error(r, "invalid_target", says="payroll.example")


def test_resource_the_agent_is_not_registered_for(idp: Idp, setup) -> None:
    agent, user = setup
    r = idp.exchange(agent, user["access_token"], resource="https://payroll.example/api")
    assert_oauth_error(r, "invalid_target")


def test_chain_deeper_than_the_limit(idp: Idp) -> None:
    cfg = idp.svc.issuer("enterprise")
    idp.svc.put_issuer(
        IssuerConfig.from_settings(cfg.name, cfg.kind, {**cfg.settings(), "max_chain_depth": 2})
    )
    agents, token = delegated_chain(idp, 2)  # two actors: at the limit
    third = agents[2]
    r = idp.exchange(third, token, actor=idp.cc(third))
    assert_oauth_error(r, "invalid_request", says="limit of 2 actors")


def test_default_chain_limit_is_four(idp: Idp) -> None:
    agents, token = delegated_chain(idp, 4)
    fifth = agents[4]
    r = idp.exchange(fifth, token, actor=idp.cc(fifth))
    assert_oauth_error(r, "invalid_request", says="limit of 4 actors")


def test_chain_that_repeats_an_actor(idp: Idp) -> None:
    agents, token = delegated_chain(idp, 2)
    first = agents[0]  # agent1 already acted; make it accept agent3's audience and retry
    cfg_client = idp.svc.client(first.client_id)
    from agentctl.idp import records

    records.update_client_metadata(
        idp.svc.store,
        cfg_client,
        {
            **cfg_client.metadata,
            "subject_audiences": ["https://agent3.example"],
        },
    )
    r = idp.exchange(first, token, actor=idp.cc(first))
    assert_oauth_error(r, "invalid_request", says="already appears in the act chain")


def test_refresh_token_for_a_delegated_token(idp: Idp, setup) -> None:
    agent, user = setup
    r = idp.exchange(
        agent, user["access_token"], actor=idp.cc(agent), requested_token_type=c.TT_REFRESH_TOKEN
    )
    assert_oauth_error(r, "invalid_request", says="shed act")


def test_refresh_grant_is_not_offered(idp: Idp, setup) -> None:
    agent, _ = setup
    r = idp.token({"grant_type": "refresh_token", "refresh_token": "x"}, agent)
    assert_oauth_error(r, "unsupported_grant_type")


def test_reexchange_that_would_drop_the_act_chain(idp: Idp) -> None:
    agents, token = delegated_chain(idp, 1)  # act = agent1, aud = agent2's API
    second = agents[1]
    r = idp.exchange(second, token)  # impersonation of a delegated token
    assert_oauth_error(r, "invalid_request", says="would drop its act chain")


def test_actor_token_that_is_itself_delegated(idp: Idp, setup) -> None:
    agent, user = setup
    delegated = idp.exchange(agent, user["access_token"], actor=idp.cc(agent)).json()
    other_user = idp.user_tokens(agent, scope="read")
    r = idp.exchange(agent, other_user["access_token"], actor=delegated["access_token"])
    assert_oauth_error(r, "invalid_request")


def test_expired_actor_token(idp: Idp, setup) -> None:
    agent, user = setup
    now = idp.svc.ctx.now()
    actor = forge(
        idp,
        {"sub": agent.client_id, "client_id": agent.client_id, "iat": now - 900, "exp": now - 60},
    )
    r = idp.exchange(agent, user["access_token"], actor=actor)
    assert_oauth_error(r, "invalid_request", says="actor_token has expired")


def test_errors_carry_no_secret(idp: Idp, setup) -> None:
    agent, user = setup
    r = idp.exchange(agent, user["access_token"], IDT)
    assert agent.client_secret not in r.text
    assert user["access_token"] not in r.text


def test_unsigned_alg_none_subject_token(idp: Idp, setup: Any) -> None:
    agent, user = setup
    head = base64.urlsafe_b64encode(b'{"alg":"none","typ":"at+jwt"}').rstrip(b"=").decode()
    _, payload, _ = user["access_token"].split(".")
    r = idp.exchange(agent, f"{head}.{payload}.")
    assert_oauth_error(r, "invalid_request", says="signing algorithm")


def test_hs256_token_keyed_with_the_public_key(idp: Idp, setup: Any) -> None:
    agent, user = setup
    public = idp.http.get(idp.url("enterprise", "jwks.json")).json()["keys"][0]
    secret = json.dumps(public).encode()
    head = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"at+jwt"}').rstrip(b"=")
    payload = user["access_token"].split(".")[1].encode()
    sig = hmac.new(secret, head + b"." + payload, hashlib.sha256).digest()
    forged = (head + b"." + payload + b"." + base64.urlsafe_b64encode(sig).rstrip(b"=")).decode()
    assert_oauth_error(idp.exchange(agent, forged), "invalid_request", says="signing algorithm")
