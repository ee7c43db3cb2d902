from __future__ import annotations

import time
import uuid

from joserfc import jwt
from joserfc.jwk import ECKey

from agentctl.idp import constants as c
from tests.idp.conftest import Idp, assert_oauth_error, decode, header


def test_client_secret_basic_gives_an_rfc9068_agent_token(idp: Idp) -> None:
    creds = idp.agent("billing-bot")
    r = idp.token({"grant_type": "client_credentials", "scope": "read"}, creds)
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["scope"] == "read"
    assert "refresh_token" not in body
    token = body["access_token"]
    assert header(token)["typ"] == "at+jwt"
    claims = decode(token)
    assert claims["sub"] == claims["client_id"] == creds.client_id
    assert claims["sub_profile"] == "ai_agent"
    assert claims["iss"] == idp.url("enterprise")
    assert claims["aud"] == idp.url("enterprise", "resource")
    assert claims["scope"] == "read"
    assert claims["jti"]


def test_client_secret_post_works_too(idp: Idp) -> None:
    creds = idp.agent()
    r = idp.http.post(
        idp.url("enterprise", "token"),
        data={
            "grant_type": "client_credentials",
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
        },
    )
    assert r.status_code == 200, r.text


def test_wrong_secret_is_invalid_client_401(idp: Idp) -> None:
    creds = idp.agent()
    r = idp.http.post(
        idp.url("enterprise", "token"),
        data={"grant_type": "client_credentials"},
        auth=(creds.client_id, "wrong"),
    )
    assert_oauth_error(r, "invalid_client", 401)
    assert str(creds.client_secret) not in r.text


def _assertion(key: ECKey, client_id: str, aud: str, jti: str | None = None) -> str:
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": aud,
        "iat": now,
        "exp": now + 120,
        "jti": jti or uuid.uuid4().hex,
    }
    return jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key, algorithms=["ES256"])


def _key_agent(idp: Idp) -> tuple[ECKey, str]:
    key = ECKey.generate_key("P-256", private=True, auto_kid=True)
    creds = idp.agent(
        "key-bot", credential_type="private_key_jwt", jwks={"keys": [key.as_dict(private=False)]}
    )
    assert creds.client_secret is None
    return key, creds.client_id


def test_private_key_jwt_client_credentials(idp: Idp) -> None:
    key, client_id = _key_agent(idp)
    r = idp.http.post(
        idp.url("enterprise", "token"),
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": c.CLIENT_ASSERTION_TYPE,
            "client_assertion": _assertion(key, client_id, idp.url("enterprise", "token")),
        },
    )
    assert r.status_code == 200, r.text
    assert decode(r.json()["access_token"])["sub"] == client_id


def test_private_key_jwt_assertion_cannot_be_replayed(idp: Idp) -> None:
    key, client_id = _key_agent(idp)
    data = {
        "grant_type": "client_credentials",
        "client_assertion_type": c.CLIENT_ASSERTION_TYPE,
        "client_assertion": _assertion(key, client_id, idp.url("enterprise")),
    }
    assert idp.http.post(idp.url("enterprise", "token"), data=data).status_code == 200
    assert_oauth_error(idp.http.post(idp.url("enterprise", "token"), data=data), "invalid_client")


def test_private_key_jwt_signed_by_another_key_is_refused(idp: Idp) -> None:
    _, client_id = _key_agent(idp)
    other = ECKey.generate_key("P-256", private=True, auto_kid=True)
    r = idp.http.post(
        idp.url("enterprise", "token"),
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": c.CLIENT_ASSERTION_TYPE,
            "client_assertion": _assertion(other, client_id, idp.url("enterprise")),
        },
    )
    assert_oauth_error(r, "invalid_client")


def test_resource_sets_the_audience_when_registered(idp: Idp) -> None:
    creds = idp.agent(allowed_audiences=["https://api.example.com"])
    token = idp.cc(creds, resource="https://api.example.com")
    assert decode(token)["aud"] == "https://api.example.com"


def test_unregistered_resource_is_invalid_target(idp: Idp) -> None:
    creds = idp.agent()
    r = idp.token({"grant_type": "client_credentials", "resource": "https://evil.example"}, creds)
    assert_oauth_error(r, "invalid_target", says="evil.example")


def test_scope_beyond_the_agent_is_invalid_scope(idp: Idp) -> None:
    creds = idp.agent(allowed_scopes=["read"])
    r = idp.token({"grant_type": "client_credentials", "scope": "read admin"}, creds)
    assert_oauth_error(r, "invalid_scope")
