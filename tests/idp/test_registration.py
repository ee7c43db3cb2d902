"""RFC 7591 dynamic registration and RFC 7592 client configuration."""

from __future__ import annotations

from typing import Any

from joserfc.jwk import ECKey

from agentctl.idp import constants as c
from tests.idp.conftest import Idp, assert_oauth_error, decode


def register(idp: Idp, body: dict[str, Any]) -> dict[str, Any]:
    r = idp.http.post(idp.url("enterprise", "register"), json=body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_registered_client_gets_client_credentials_tokens(idp: Idp) -> None:
    reg = register(idp, {"client_name": "ci-job", "scope": "read"})
    assert reg["client_secret"]
    assert reg["client_secret_expires_at"] == 0
    assert reg["token_endpoint_auth_method"] == "client_secret_basic"
    assert c.GRANT_TOKEN_EXCHANGE in reg["grant_types"]
    r = idp.http.post(
        idp.url("enterprise", "token"),
        data={"grant_type": "client_credentials"},
        auth=(reg["client_id"], reg["client_secret"]),
    )
    assert r.status_code == 200, r.text
    claims = decode(r.json()["access_token"])
    assert claims["sub"] == reg["client_id"]
    assert claims["sub_profile"] == "service"


def test_registration_with_agent_extension_creates_an_agent(idp: Idp) -> None:
    reg = register(
        idp,
        {
            "client_name": "triage-bot",
            "sub_profile": "ai_agent",
            "sponsor": "sec@example.com",
            "scope": "read",
        },
    )
    agents = idp.svc.list_agents("enterprise")
    assert [(a.name, a.sponsor) for a in agents] == [("triage-bot", "sec@example.com")]
    r = idp.http.post(
        idp.url("enterprise", "token"),
        data={"grant_type": "client_credentials"},
        auth=(reg["client_id"], reg["client_secret"]),
    )
    assert decode(r.json()["access_token"])["sub_profile"] == "ai_agent"


def test_private_key_jwt_registration_has_no_secret(idp: Idp) -> None:
    key = ECKey.generate_key("P-256", private=True, auto_kid=True)
    reg = register(
        idp,
        {
            "client_name": "k",
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": {"keys": [key.as_dict(private=False)]},
        },
    )
    assert "client_secret" not in reg


def test_registration_refuses_private_keys_and_unknown_methods(idp: Idp) -> None:
    key = ECKey.generate_key("P-256", private=True, auto_kid=True)
    url = idp.url("enterprise", "register")
    r = idp.http.post(
        url,
        json={
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": {"keys": [key.as_dict(private=True)]},
        },
    )
    assert_oauth_error(r, "invalid_client_metadata")
    r = idp.http.post(url, json={"token_endpoint_auth_method": "none"})
    assert_oauth_error(r, "invalid_client_metadata")
    r = idp.http.post(url, json={"grant_types": ["password"]})
    assert_oauth_error(r, "invalid_client_metadata")
    r = idp.http.post(
        url, content=b"client_name=x", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert_oauth_error(r, "invalid_request")


def test_client_configuration_read_update_delete(idp: Idp) -> None:
    reg = register(idp, {"client_name": "cfg", "scope": "read"})
    uri, rat = reg["registration_client_uri"], reg["registration_access_token"]
    auth = {"Authorization": f"Bearer {rat}"}
    read = idp.http.get(uri, headers=auth)
    assert read.status_code == 200
    assert read.json()["client_name"] == "cfg"
    assert "client_secret" not in read.json()
    upd = idp.http.put(
        uri,
        headers=auth,
        json={"client_id": reg["client_id"], "client_name": "renamed", "scope": "read"},
    )
    assert upd.status_code == 200, upd.text
    assert upd.json()["client_name"] == "renamed"
    assert idp.http.get(uri, headers={"Authorization": "Bearer wrong"}).status_code in (401, 403)
    assert idp.http.delete(uri, headers=auth).status_code == 204
    r = idp.http.post(
        idp.url("enterprise", "token"),
        data={"grant_type": "client_credentials"},
        auth=(reg["client_id"], reg["client_secret"]),
    )
    assert_oauth_error(r, "invalid_client", 401)


def _cc(idp: Idp, issuer: str, reg: dict[str, Any]) -> int:
    r = idp.http.post(
        idp.url(issuer, "token"),
        data={"grant_type": "client_credentials"},
        auth=(reg["client_id"], reg["client_secret"]),
    )
    return r.status_code


def test_registered_agents_are_mirrored_to_the_resource_issuer_and_deleted_there_too(
    idp: Idp,
) -> None:
    agent = register(idp, {"client_name": "mcp-bot", "scope": "read", "sub_profile": "ai_agent"})
    assert agent["agentctl_registered_at"] == ["enterprise", "mcp-as"]
    assert _cc(idp, "enterprise", agent) == 200
    assert _cc(idp, "mcp-as", agent) == 200
    plain = register(idp, {"client_name": "ci-job", "scope": "read"})
    assert "agentctl_registered_at" not in plain
    assert _cc(idp, "mcp-as", plain) == 401
    r = idp.http.delete(
        agent["registration_client_uri"],
        headers={"Authorization": f"Bearer {agent['registration_access_token']}"},
    )
    assert r.status_code == 204, r.text
    assert _cc(idp, "enterprise", agent) == 401
    assert _cc(idp, "mcp-as", agent) == 401
