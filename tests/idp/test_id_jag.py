"""ID-JAG: token exchange at the IdP issuer, then the jwt-bearer grant at the resource AS."""

from __future__ import annotations

from typing import Any

import pytest

from agentctl.idp import constants as c
from agentctl.idp.service import AgentCredentials
from tests.idp.conftest import AT, IDJAG, IDT, Idp, assert_oauth_error, basic, decode, header


@pytest.fixture
def agent(idp: Idp) -> AgentCredentials:
    idp.user("alice")
    return idp.agent("mcp-client")


def request_id_jag(idp: Idp, agent: AgentCredentials, subject: str, **extra: str):
    data = {"requested_token_type": IDJAG, "audience": idp.url("mcp-as"), "scope": "read"}
    data.update(extra)
    return idp.exchange(agent, subject, IDT, **data)


def redeem(idp: Idp, agent: AgentCredentials, assertion: str, issuer: str = "mcp-as"):
    return idp.token({"grant_type": c.GRANT_JWT_BEARER, "assertion": assertion}, agent, issuer)


def test_id_jag_issuance_and_redemption_end_to_end(idp: Idp, agent: AgentCredentials) -> None:
    id_token = idp.user_tokens(agent)["id_token"]
    resource = idp.url("mcp-as", "resource")
    r = request_id_jag(idp, agent, id_token, resource=resource)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["issued_token_type"] == IDJAG
    assert body["token_type"] == "N_A"
    assert body["expires_in"] <= 300
    assert "refresh_token" not in body
    jag = body["access_token"]
    assert header(jag)["typ"] == "oauth-id-jag+jwt"
    claims = decode(jag)
    assert claims["iss"] == idp.url("enterprise")
    assert claims["sub"] == "alice"
    assert claims["aud"] == idp.url("mcp-as")
    assert claims["client_id"] == agent.client_id
    assert claims["resource"] == resource
    assert claims["scope"] == "read"
    assert claims["email"] == "alice@example.com"
    assert {"jti", "iat", "exp"} <= set(claims)

    r = redeem(idp, agent, jag)
    assert r.status_code == 200, r.text
    assert r.json()["token_type"] == "Bearer"
    assert "refresh_token" not in r.json()
    access = decode(r.json()["access_token"])
    assert access["iss"] == idp.url("mcp-as")
    assert access["sub"] == "alice"
    assert access["aud"] == resource
    assert access["client_id"] == agent.client_id
    assert access["exp"] <= claims["exp"]
    assert idp.introspect(r.json()["access_token"], agent, "mcp-as")["active"] is True
    assert idp.svc.audit(issuer="mcp-as", limit=1)[0]["parent_jti"] == claims["jti"]


def test_id_jag_needs_an_id_token_subject(idp: Idp, agent: AgentCredentials) -> None:
    access = idp.user_tokens(agent)["access_token"]
    r = idp.exchange(agent, access, AT, requested_token_type=IDJAG, audience=idp.url("mcp-as"))
    assert_oauth_error(r, "invalid_request", says="ID token issued by this IdP")


def test_id_jag_refused_for_an_id_token_of_another_client(
    idp: Idp, agent: AgentCredentials
) -> None:
    other = idp.agent("other")
    theirs = idp.user_tokens(other)["id_token"]
    assert_oauth_error(
        request_id_jag(idp, agent, theirs),
        "invalid_request",
        says="not issued to the calling client",
    )


def test_id_jag_refused_for_an_untrusted_audience(idp: Idp, agent: AgentCredentials) -> None:
    id_token = idp.user_tokens(agent)["id_token"]
    for audience in ("https://evil.example", idp.url("enterprise")):
        r = request_id_jag(idp, agent, id_token, audience=audience)
        assert_oauth_error(r, "invalid_target")


def test_id_jag_refused_for_an_unregistered_resource(idp: Idp, agent: AgentCredentials) -> None:
    id_token = idp.user_tokens(agent)["id_token"]
    r = request_id_jag(idp, agent, id_token, resource="https://evil.example/mcp")
    assert_oauth_error(r, "invalid_target")


def test_the_idp_does_not_redeem_its_own_id_jag(idp: Idp, agent: AgentCredentials) -> None:
    jag = request_id_jag(idp, agent, idp.user_tokens(agent)["id_token"]).json()["access_token"]
    assert_oauth_error(redeem(idp, agent, jag, issuer="enterprise"), "invalid_grant")


def test_redemption_by_another_client_is_refused(idp: Idp, agent: AgentCredentials) -> None:
    jag = request_id_jag(idp, agent, idp.user_tokens(agent)["id_token"]).json()["access_token"]
    thief = idp.agent("thief")
    assert_oauth_error(redeem(idp, thief, jag), "invalid_grant", says="client_id")


def test_resource_as_refuses_an_access_token_as_assertion(
    idp: Idp, agent: AgentCredentials
) -> None:
    access = idp.user_tokens(agent)["access_token"]
    assert_oauth_error(redeem(idp, agent, access), "invalid_grant", says="typ")


def test_resource_as_refuses_a_revoked_id_jag(idp: Idp, agent: AgentCredentials) -> None:
    jag = request_id_jag(idp, agent, idp.user_tokens(agent)["id_token"]).json()["access_token"]
    r = idp.http.post(
        idp.url("enterprise", "revoke"),
        data={"token": jag},
        auth=basic(agent),
    )
    assert r.status_code == 200
    assert_oauth_error(redeem(idp, agent, jag), "invalid_grant", says="revoked")


def test_redemption_scope_cannot_exceed_the_id_jag(idp: Idp, agent: AgentCredentials) -> None:
    jag = request_id_jag(idp, agent, idp.user_tokens(agent)["id_token"]).json()["access_token"]
    r = idp.token(
        {"grant_type": c.GRANT_JWT_BEARER, "assertion": jag, "scope": "write"}, agent, "mcp-as"
    )
    assert_oauth_error(r, "invalid_scope")


def test_delegated_id_jag_carries_act_to_the_resource_as(idp: Idp, agent: AgentCredentials) -> None:
    idp.svc.grant("alice", agent.client_id)
    id_token = idp.user_tokens(agent)["id_token"]
    r = request_id_jag(idp, agent, id_token, actor_token=idp.cc(agent), actor_token_type=AT)
    assert r.status_code == 200, r.text
    act = {"sub": agent.client_id, "sub_profile": "ai_agent"}
    assert decode(r.json()["access_token"])["act"] == act
    redeemed = redeem(idp, agent, r.json()["access_token"])
    assert redeemed.status_code == 200, redeemed.text
    claims = decode(redeemed.json()["access_token"])
    assert claims["sub"] == "alice"
    assert claims["act"] == act


def test_resource_as_refuses_an_id_jag_for_another_audience(
    idp: Idp, agent: AgentCredentials
) -> None:
    from agentctl.idp.models import IssuerConfig

    idp.svc.put_issuer(IssuerConfig("other-as", kind="resource", trusts=("enterprise",)))
    ent = idp.svc.issuer("enterprise")
    idp.svc.put_issuer(
        IssuerConfig.from_settings(
            "enterprise", "idp", {**ent.settings(), "id_jag_audiences": ["mcp-as", "other-as"]}
        )
    )
    id_token = idp.user_tokens(agent)["id_token"]
    jag = request_id_jag(idp, agent, id_token, audience=idp.url("other-as"))
    assert jag.status_code == 200, jag.text
    assert_oauth_error(redeem(idp, agent, jag.json()["access_token"]), "invalid_grant", says="aud")


def test_resource_as_refuses_an_id_jag_from_an_untrusted_idp(idp: Idp) -> None:
    from agentctl.idp.models import IssuerConfig

    idp.svc.put_issuer(
        IssuerConfig("rogue", kind="idp", trusts=("rogue",), id_jag_audiences=("mcp-as",))
    )
    creds = idp.agent("drifter", issuer="rogue", also_at=["mcp-as"])
    idp.svc.add_user("mallory", "m@example.com", "pw", issuer="rogue")
    id_token = idp.svc.user_tokens(
        "mallory", "pw", client_id=creds.client_id, issuer="rogue"
    ).id_token
    r = idp.exchange(
        creds, id_token, IDT, issuer="rogue", requested_token_type=IDJAG, audience=idp.url("mcp-as")
    )
    assert r.status_code == 200, r.text
    assert_oauth_error(
        redeem(idp, creds, r.json()["access_token"]), "invalid_grant", says="not trusted"
    )


def test_id_jag_for_an_authorization_server_elsewhere_names_the_agents_id_there(idp: Idp) -> None:
    from tests.helpers import run

    foreign = "https://mcp-auth.example.com"
    agent = idp.agent("roamer")
    idp.user("alice")
    id_token = idp.user_tokens(agent)["id_token"]

    def ask() -> Any:
        return idp.exchange(
            agent,
            id_token,
            IDT,
            requested_token_type=IDJAG,
            audience=foreign,
            resource="https://mcp.example.com/mcp",
        )

    assert_oauth_error(ask(), "invalid_target", says="not a trusted")  # not trusted yet
    assert run("idp", "trust", foreign).exit_code == 0
    # A running server reads issuer settings changed by another process within 2 s; skip it.
    idp.svc.ctx.forget_issuer("enterprise")
    assert_oauth_error(ask(), "invalid_target", says="client id at that")  # no mapping yet
    r = run("idp", "agents", "set", "roamer", "--id-jag-client-id", f"{foreign}=ext-123")
    assert r.exit_code == 0, r.stderr
    r = ask()
    assert r.status_code == 200, r.text
    claims = decode(r.json()["access_token"])
    assert claims["aud"] == foreign
    assert claims["client_id"] == "ext-123"
    assert claims["resource"] == "https://mcp.example.com/mcp"
    assert claims["sub"] == "alice"
    assert run("idp", "trust", foreign, "--remove").exit_code == 0
    idp.svc.ctx.forget_issuer("enterprise")
    assert_oauth_error(ask(), "invalid_target")
