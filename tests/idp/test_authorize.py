"""Authorization code + PKCE at the embedded IdP over real HTTP: the happy path a browser app
takes, and each refusal a careful AS makes (PKCE missing or plain, unregistered redirect,
replayed code, wrong verifier, denial, a forged form, public clients beyond their grant)."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from agentctl.http import build_http_client
from tests.idp.conftest import PASSWORD, Idp, assert_oauth_error, decode

CALLBACK = "http://127.0.0.1:9/callback"


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    with build_http_client(timeout=10) as http:
        yield http


def public_client(idp: Idp, **extra: Any) -> str:
    body = {
        "client_name": "spa",
        "redirect_uris": [CALLBACK],
        "grant_types": ["authorization_code"],
        "token_endpoint_auth_method": "none",
        "scope": "read",
        **extra,
    }
    r = idp.http.post(idp.url("enterprise", "register"), json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["client_id"])


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def params(client_id: str, challenge: str, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "scope": "openid read",
        "state": "st-1",
        "nonce": "n-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }


def sign_in(
    idp: Idp, browser: httpx.Client, query: dict[str, str], decision: str = "approve"
) -> httpx.Response:
    page = browser.get(idp.url("enterprise", "authorize"), params=query)
    assert page.status_code == 200, page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf, page.text
    return browser.post(
        idp.url("enterprise", "authorize"),
        params=query,
        data={
            "csrf": csrf.group(1),
            "username": "alice",
            "password": PASSWORD,
            "decision": decision,
        },
    )


def redirected(r: httpx.Response) -> dict[str, str]:
    assert r.status_code == 302, r.text
    location = r.headers["location"]
    assert location.startswith(CALLBACK), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def redeem(idp: Idp, client_id: str, code: str, verifier: str) -> httpx.Response:
    return idp.http.post(
        idp.url("enterprise", "token"),
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "client_id": client_id,
            "code_verifier": verifier,
        },
    )


def test_code_flow_with_pkce_signs_alice_in(idp: Idp, browser: httpx.Client) -> None:
    idp.user("alice")
    client_id = public_client(idp)
    verifier, challenge = pkce()
    back = redirected(sign_in(idp, browser, params(client_id, challenge)))
    assert back["state"] == "st-1"
    assert back["iss"] == idp.url("enterprise")  # RFC 9207
    r = redeem(idp, client_id, back["code"], verifier)
    assert r.status_code == 200, r.text
    body = r.json()
    at, id_token = decode(body["access_token"]), decode(body["id_token"])
    assert at["sub"] == id_token["sub"] == "alice"
    assert at["client_id"] == client_id
    assert body["scope"] == at["scope"] == "openid read"
    assert id_token["nonce"] == "n-1"


def test_a_replayed_code_is_refused_and_what_it_gave_is_revoked(
    idp: Idp, browser: httpx.Client
) -> None:
    idp.user("alice")
    client_id = public_client(idp)
    verifier, challenge = pkce()
    code = redirected(sign_in(idp, browser, params(client_id, challenge)))["code"]
    first = redeem(idp, client_id, code, verifier).json()["access_token"]
    assert_oauth_error(redeem(idp, client_id, code, verifier), "invalid_grant")
    seen = idp.http.get(
        idp.url("enterprise", "resource"), headers={"Authorization": f"Bearer {first}"}
    )
    assert seen.status_code == 401


def test_wrong_verifier_and_another_clients_code_are_refused(
    idp: Idp, browser: httpx.Client
) -> None:
    idp.user("alice")
    client_id = public_client(idp)
    other = public_client(idp, client_name="other")
    _, challenge = pkce()
    code = redirected(sign_in(idp, browser, params(client_id, challenge)))["code"]
    assert_oauth_error(redeem(idp, client_id, code, pkce()[0]), "invalid_grant")
    verifier2, challenge2 = pkce()
    code2 = redirected(sign_in(idp, browser, params(client_id, challenge2)))["code"]
    assert_oauth_error(redeem(idp, other, code2, verifier2), "invalid_grant")


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"code_challenge": ""}, "PKCE is required"),
        ({"code_challenge_method": "plain"}, "S256"),
        ({"code_challenge_method": ""}, "S256"),
        ({"scope": "admin"}, "no scope"),
    ],
)
def test_refusals_go_back_to_the_verified_redirect_uri(
    idp: Idp, browser: httpx.Client, change: dict[str, str], says: str
) -> None:
    client_id = public_client(idp)
    query = {k: v for k, v in {**params(client_id, pkce()[1]), **change}.items() if v}
    back = redirected(browser.get(idp.url("enterprise", "authorize"), params=query))
    assert back["error"] in ("invalid_request", "invalid_scope"), back
    assert says in back["error_description"], back
    assert back["state"] == "st-1"


def test_an_unregistered_redirect_uri_is_never_redirected_to(
    idp: Idp, browser: httpx.Client
) -> None:
    client_id = public_client(idp)
    query = params(client_id, pkce()[1], redirect_uri="https://attacker.example/cb")
    r = browser.get(idp.url("enterprise", "authorize"), params=query)
    assert r.status_code == 400
    assert "location" not in r.headers
    assert "not valid" in r.text


def test_denial_and_a_forged_form(idp: Idp, browser: httpx.Client) -> None:
    idp.user("alice")
    client_id = public_client(idp)
    back = redirected(sign_in(idp, browser, params(client_id, pkce()[1]), decision="deny"))
    assert back["error"] == "access_denied"
    forged = browser.post(
        idp.url("enterprise", "authorize"),
        params=params(client_id, pkce()[1]),
        data={"csrf": "x" * 40, "username": "alice", "password": PASSWORD},
    )
    assert forged.status_code == 403
    assert "location" not in forged.headers


def test_public_clients_are_limited_to_the_code_grant(idp: Idp) -> None:
    r = idp.http.post(
        idp.url("enterprise", "register"),
        json={
            "client_name": "x",
            "token_endpoint_auth_method": "none",
            "grant_types": ["client_credentials"],
        },
    )
    assert_oauth_error(r, "invalid_client_metadata", says="public client")
    r = idp.http.post(
        idp.url("enterprise", "register"),
        json={
            "client_name": "x",
            "redirect_uris": ["http://app.example.com/cb"],
            "grant_types": ["authorization_code"],
        },
    )
    assert_oauth_error(r, "invalid_client_metadata", says="loopback")
    client_id = public_client(idp)
    cc = idp.http.post(
        idp.url("enterprise", "token"),
        data={"grant_type": "client_credentials", "client_id": client_id},
    )
    assert_oauth_error(cc, "invalid_client", 401)
