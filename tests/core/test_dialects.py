from __future__ import annotations

import pytest

from agentctl.core.dialects import detect_dialect, detect_kind, normalize_typ
from tests.core.inspect_fixtures import claims, parsed_example


@pytest.mark.parametrize(
    ("name", "dialect", "version", "agent_id", "kind"),
    [
        ("user", "generic", None, False, "access_token"),
        ("obo", "generic", None, False, "access_token"),
        ("agent", "generic", None, False, "access_token"),
        ("entra-obo", "entra", "2.0", True, "access_token"),
        ("entra-agent", "entra", "1.0", True, "access_token"),
        ("entra-agent-user", "entra", "1.0", True, "access_token"),
        ("entra-exchange-token", "entra", "2.0", False, "client_assertion"),
        ("entra-app-v1", "entra", "1.0", False, "access_token"),
        ("entra-classic-obo", "entra", "1.0", False, "access_token"),
        ("okta-obo", "okta", None, False, "access_token"),
        ("okta-chain", "okta", None, False, "access_token"),
        ("keycloak-service", "keycloak", None, False, "access_token"),
        ("keycloak-exchanged", "keycloak", None, False, "access_token"),
        ("auth0-m2m", "auth0", None, False, "access_token"),
        ("auth0-agent", "auth0", None, False, "access_token"),
        ("auth0-obo", "auth0", None, False, "access_token"),
        ("id-jag", "generic", None, False, "id_jag"),
        ("txn-token", "generic", None, False, "txn_token"),
        ("client-assertion", "generic", None, False, "client_assertion"),
        ("logout", "generic", None, False, "logout_token"),
        ("id-token", "generic", None, False, "id_token"),
    ],
)
def test_each_example_is_read_in_its_dialect_and_kind(
    name: str, dialect: str, version: str | None, agent_id: bool, kind: str
) -> None:
    parsed = parsed_example(name)
    assert parsed.payload is not None
    info = detect_dialect(parsed.payload)
    assert (info.name, info.version, info.agent_id) == (dialect, version, agent_id)
    assert info.evidence
    assert detect_kind(parsed.header, parsed.payload).kind == kind


@pytest.mark.parametrize(
    ("payload", "dialect"),
    [
        (claims(iss="https://login.microsoftonline.us/t1/v2.0"), "entra"),
        (claims(iss="https://custom.example", tid="t", oid="o", appid="a"), "entra"),
        (claims(iss="https://dev-1.oktapreview.com/oauth2/default"), "okta"),
        (claims(iss="https://custom.example", cid="0oa1", ver=1), "okta"),
        (claims(iss="http://127.0.0.1:8080/realms/master"), "keycloak"),
        (claims(iss="https://login.example", azp="c", resource_access={"c": {}}), "keycloak"),
        (claims(iss="https://login.example", gty="password"), "auth0"),
        (claims(iss="https://login.example", sub="abc@clients"), "auth0"),
        (claims(iss=12), "generic"),
        (claims(iss="::not a url["), "generic"),
    ],
)
def test_dialect_from_issuer_or_claims(payload: dict[str, object], dialect: str) -> None:
    assert detect_dialect(payload).name == dialect


@pytest.mark.parametrize(
    ("header", "payload", "kind"),
    [
        ({"typ": "application/at+JWT"}, {}, "access_token"),
        ({"typ": "oauth-id-jag+jwt"}, claims(), "id_jag"),
        ({"typ": "client-authentication+jwt"}, {}, "client_assertion"),
        ({}, {"typ": "ID", "sub": "x"}, "id_token"),
        ({}, {"typ": "Bearer"}, "access_token"),
        ({}, {"txn": "1", "req_wl": "w"}, "txn_token"),
        ({}, {"sub": "x"}, "other"),
        ({}, {"act": {"sub": "a"}}, "access_token"),
    ],
)
def test_kind_from_typ_then_claims(
    header: dict[str, object], payload: dict[str, object], kind: str
) -> None:
    assert detect_kind(header, payload).kind == kind


def test_typ_normalisation() -> None:
    assert normalize_typ("application/AT+JWT") == "at+jwt"
    assert normalize_typ(None) is None


def test_the_embedded_idps_id_token_reads_as_an_id_token() -> None:
    """Issue 11: typ "JWT", no nonce, azp = the client: it was read as an access token."""
    header = {"alg": "ES256", "kid": "k", "typ": "JWT"}
    payload = {
        "iss": "http://127.0.0.1:8400/i/enterprise",
        "sub": "alice",
        "sub_profile": "user",
        "aud": "agt_1",
        "azp": "agt_1",
        "auth_time": 1793523540,
        "name": "Alice",
        "email": "alice@example.com",
        "iat": 1793523600,
        "exp": 1793527200,
    }
    assert detect_kind(header, payload).kind == "id_token"
    access = {**payload, "client_id": "agt_1", "scope": "read"}
    assert detect_kind(header, access).kind == "access_token"
