"""RFC 8628 device authorization grant over real HTTP: the endpoint, polling semantics
(authorization_pending, slow_down, expired_token, access_denied), the verification page (CSRF,
escaping, messages) and the tokens a signed-in user's device gets. The same page in a real
browser is in test_browser_device.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from agentctl.http import build_http_client
from agentctl.idp import constants as c
from agentctl.idp.service import AgentCredentials
from tests.idp.conftest import PASSWORD, Clock, Idp, assert_oauth_error, basic, decode, serving

USER_CODE = re.compile(r"^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def idp(clock: Clock) -> Iterator[Idp]:
    with serving(clock) as running:
        yield running


@pytest.fixture
def agent(idp: Idp) -> AgentCredentials:
    idp.user("alice")
    return idp.agent("tv-app")


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    """A second HTTP client with its own cookie jar: the user's browser."""
    with build_http_client(timeout=10) as http:
        yield http


def start(idp: Idp, agent: AgentCredentials, **data: str) -> dict[str, Any]:
    r = idp.http.post(idp.url("enterprise", "device_authorization"), data=data, auth=basic(agent))
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    return r.json()  # type: ignore[no-any-return]


def poll(idp: Idp, agent: AgentCredentials, device_code: str) -> httpx.Response:
    return idp.token({"grant_type": c.GRANT_DEVICE_CODE, "device_code": device_code}, agent)


def form_token(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def message(page: str) -> str:
    match = re.search(r'<div id="message" class="message (\w+)"[^>]*>([^<]*)</div>', page)
    return f"{match.group(1)}: {match.group(2)}" if match else ""


def sign_in(
    idp: Idp,
    browser: httpx.Client,
    user_code: str,
    *,
    username: str = "alice",
    password: str = PASSWORD,
    decision: str = "approve",
) -> httpx.Response:
    page = browser.get(idp.url("enterprise", "device"), params={"user_code": user_code})
    assert page.status_code == 200, page.text
    return browser.post(
        idp.url("enterprise", "device"),
        data={
            "csrf": form_token(page.text),
            "user_code": user_code,
            "username": username,
            "password": password,
            "decision": decision,
        },
    )


def test_metadata_advertises_the_device_endpoint(idp: Idp) -> None:
    meta = idp.http.get(f"{idp.base_url}/.well-known/oauth-authorization-server/i/enterprise")
    body = meta.json()
    assert body["device_authorization_endpoint"] == idp.url("enterprise", "device_authorization")
    assert c.GRANT_DEVICE_CODE in body["grant_types_supported"]


def test_device_authorization_response(idp: Idp, agent: AgentCredentials) -> None:
    body = start(idp, agent, scope="openid read")
    assert USER_CODE.match(body["user_code"]), body["user_code"]
    assert len(body["device_code"]) >= 40
    assert body["verification_uri"] == idp.url("enterprise", "device")
    assert body["verification_uri_complete"] == (
        f"{idp.url('enterprise', 'device')}?user_code={body['user_code']}"
    )
    assert body["expires_in"] == 600
    assert body["interval"] == 5
    # Only hashes are kept: the database never holds the device code itself.
    rows = idp.svc.store.rows("SELECT * FROM device_codes")
    assert body["device_code"] not in str([tuple(r) for r in rows])


def test_device_authorization_needs_client_authentication(
    idp: Idp, agent: AgentCredentials
) -> None:
    url = idp.url("enterprise", "device_authorization")
    assert_oauth_error(
        idp.http.post(url, data={"client_id": agent.client_id}), "invalid_client", 401
    )
    bad = idp.http.post(url, auth=(agent.client_id, "wrong"))
    assert_oauth_error(bad, "invalid_client", 401)


def test_device_authorization_checks_scope_and_target(idp: Idp, agent: AgentCredentials) -> None:
    url = idp.url("enterprise", "device_authorization")
    r = idp.http.post(url, data={"scope": "admin"}, auth=basic(agent))
    assert_oauth_error(r, "invalid_scope")
    r = idp.http.post(url, data={"resource": "https://elsewhere.example"}, auth=basic(agent))
    assert_oauth_error(r, "invalid_target")


def test_a_client_without_the_grant_type_is_refused(idp: Idp) -> None:
    reg = idp.http.post(
        idp.url("enterprise", "register"),
        json={"client_name": "cc-only", "grant_types": ["client_credentials"]},
    ).json()
    r = idp.http.post(
        idp.url("enterprise", "device_authorization"),
        auth=(reg["client_id"], reg["client_secret"]),
    )
    assert_oauth_error(r, "unauthorized_client")


def test_full_flow_pending_slow_down_then_tokens(
    idp: Idp, agent: AgentCredentials, browser: httpx.Client, clock: Clock
) -> None:
    body = start(idp, agent, scope="openid read")
    code = body["device_code"]
    assert_oauth_error(poll(idp, agent, code), "authorization_pending")
    # Polling again at once is too fast: slow_down, and the interval grows by 5 s.
    assert_oauth_error(poll(idp, agent, code), "slow_down")
    clock.advance(6)
    assert_oauth_error(poll(idp, agent, code), "slow_down")  # 10 s were needed; now 15
    clock.advance(15)
    assert_oauth_error(poll(idp, agent, code), "authorization_pending")

    page = sign_in(idp, browser, body["user_code"].lower().replace("-", " "))
    assert page.status_code == 200, page.text
    assert message(page.text).startswith("success: Signed in as alice.")
    assert "tv-app" in page.text
    assert 'name="password"' not in page.text  # done: no form left to submit again

    r = poll(idp, agent, code)  # right after the last poll: approval beats slow_down
    assert r.status_code == 200, r.text
    tokens = r.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["scope"] == "openid read"
    access, id_token = decode(tokens["access_token"]), decode(tokens["id_token"])
    assert access["sub"] == id_token["sub"] == "alice"
    assert access["sub_profile"] == "user"
    assert access["client_id"] == agent.client_id
    assert access["aud"] == idp.url("enterprise", "resource")
    assert id_token["aud"] == id_token["azp"] == agent.client_id
    issued = [e for e in idp.svc.audit(limit=10) if e["grant_type"] == c.GRANT_DEVICE_CODE]
    assert [e["event"] for e in issued] == [
        "device:approved",
        "issue:id_token",
        "issue:access_token",
    ]
    assert all(e["subject"] == "alice" for e in issued)
    # The user's access token works at the demo resource.
    seen = idp.http.get(
        idp.url("enterprise", "resource"),
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    ).json()
    assert seen["mode"] == "user_scoped"
    assert seen["subject"] == "alice"

    # A device code is good for one set of tokens.
    assert_oauth_error(poll(idp, agent, code), "invalid_grant", says="already been used")


def test_wrong_password_shows_an_error_and_the_poll_stays_pending(
    idp: Idp, agent: AgentCredentials, browser: httpx.Client
) -> None:
    body = start(idp, agent)
    page = sign_in(idp, browser, body["user_code"], password="not it")
    assert page.status_code == 401
    assert message(page.text) == "error: Wrong user name or password."
    assert 'value="alice"' in page.text  # the user name is kept, the password is not
    assert "not it" not in page.text
    assert_oauth_error(poll(idp, agent, body["device_code"]), "authorization_pending")
    unknown = sign_in(idp, browser, body["user_code"], username="mallory")
    assert message(unknown.text) == "error: Wrong user name or password."


def test_too_many_wrong_passwords_block_the_code(
    idp: Idp, agent: AgentCredentials, browser: httpx.Client
) -> None:
    body = start(idp, agent)
    for _ in range(4):
        page = sign_in(idp, browser, body["user_code"], password="guess")
        assert message(page.text) == "error: Wrong user name or password."
    page = sign_in(idp, browser, body["user_code"], password="guess")
    assert "blocked" in message(page.text)
    assert_oauth_error(poll(idp, agent, body["device_code"]), "access_denied")
    # Even the right password cannot revive it.
    page = sign_in(idp, browser, body["user_code"])
    assert "not valid" in message(page.text)


def test_deny(idp: Idp, agent: AgentCredentials, browser: httpx.Client) -> None:
    body = start(idp, agent)
    page = sign_in(idp, browser, body["user_code"], decision="deny")
    assert message(page.text).startswith("denied: You denied the request of tv-app")
    assert_oauth_error(poll(idp, agent, body["device_code"]), "access_denied")
    assert idp.svc.audit(limit=2)[0]["event"] == "device:denied"


def test_expired_code(
    idp: Idp, agent: AgentCredentials, browser: httpx.Client, clock: Clock
) -> None:
    body = start(idp, agent)
    clock.advance(601)
    page = browser.get(idp.url("enterprise", "device"), params={"user_code": body["user_code"]})
    assert "not valid, has expired" in message(page.text)
    assert_oauth_error(poll(idp, agent, body["device_code"]), "expired_token")


def test_device_code_of_another_client_or_made_up(idp: Idp, agent: AgentCredentials) -> None:
    other = idp.agent("other")
    body = start(idp, agent)
    assert_oauth_error(poll(idp, other, body["device_code"]), "invalid_grant", says="unknown")
    assert_oauth_error(poll(idp, agent, "made-up"), "invalid_grant", says="unknown")
    r = idp.token({"grant_type": c.GRANT_DEVICE_CODE}, agent)
    assert_oauth_error(r, "invalid_request")
    # And the code is still usable by its own client.
    assert_oauth_error(poll(idp, agent, body["device_code"]), "authorization_pending")


def test_a_code_from_one_issuer_is_unknown_at_another(idp: Idp, agent: AgentCredentials) -> None:
    body = start(idp, agent)
    r = idp.token(
        {"grant_type": c.GRANT_DEVICE_CODE, "device_code": body["device_code"]}, agent, "mcp-as"
    )
    assert_oauth_error(r, "invalid_grant")


def test_form_needs_its_token_and_cookie(
    idp: Idp, agent: AgentCredentials, browser: httpx.Client
) -> None:
    body = start(idp, agent)
    url = idp.url("enterprise", "device")
    fields = {"user_code": body["user_code"], "username": "alice", "password": PASSWORD}
    # No form token (a cross-site POST).
    r = browser.post(url, data=fields)
    assert r.status_code == 403
    assert "This form has expired" in message(r.text)
    # A form token rendered for another browser (no matching cookie).
    page = browser.get(url)
    with build_http_client(timeout=10) as stranger:
        r = stranger.post(url, data={**fields, "csrf": form_token(page.text)})
    assert r.status_code == 403
    # The right token and cookie work once; replaying the token does not.
    token = form_token(browser.get(url).text)
    assert browser.post(url, data={**fields, "csrf": token}).status_code == 200
    assert browser.post(url, data={**fields, "csrf": token}).status_code == 403
    assert poll(idp, agent, body["device_code"]).status_code == 200


def test_page_escapes_what_it_echoes(idp: Idp, browser: httpx.Client) -> None:
    evil = '"><script>alert(1)</script>'
    page = browser.get(idp.url("enterprise", "device"), params={"user_code": evil})
    assert page.status_code == 200
    assert "<script>" not in page.text
    assert "&lt;script&gt;" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    r = browser.post(
        idp.url("enterprise", "device"),
        data={"csrf": form_token(page.text), "user_code": "BCDF-GHJK", "username": evil},
    )
    assert r.status_code == 400
    assert "<script>" not in r.text


def test_page_shows_who_is_asking(idp: Idp, agent: AgentCredentials, browser: httpx.Client) -> None:
    body = start(idp, agent, scope="read")
    page = browser.get(body["verification_uri_complete"]).text
    assert '<strong id="client">tv-app</strong>' in page
    assert f'value="{body["user_code"]}"' in page
    assert '<code id="scope">read</code>' in page
