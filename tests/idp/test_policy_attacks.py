"""The embedded IdP against an agent that wants more than anyone granted: every route found
by trying, written as the attacker would send it, over real HTTP on 127.0.0.1.

Scope laundering (ID token as subject, scope-less tokens, sign-in beyond the registration),
self-asserted registration policy (RFC 7591 and RFC 7592), impersonation under a delegation
grant, enterprise tokens at the resource AS, grant withdrawal, password guessing across device
codes and the admin route, oversized and floods of registrations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from agentctl.http import build_http_client
from agentctl.idp import constants as c
from agentctl.idp import throttle
from agentctl.idp.service import AgentCredentials
from tests.idp.conftest import (
    AT,
    IDJAG,
    IDT,
    PASSWORD,
    Clock,
    Idp,
    assert_oauth_error,
    basic,
    decode,
    forge,
    serving,
)

BANK = "https://bank.example.com"
APP = "https://app.example.com"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def idp(clock: Clock) -> Iterator[Idp]:
    with serving(clock) as running:
        yield running


def register(idp: Idp, body: dict[str, Any], token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return idp.http.post(idp.url("enterprise", "register"), json=body, headers=headers)


# -- 1. scope: a missing scope is nothing, never everything -----------------------------------


def test_id_token_signed_in_for_openid_cannot_be_widened_to_read_write(idp: Idp) -> None:
    agent = idp.agent()
    idp.user("alice")
    id_token = idp.user_tokens(agent, scope="openid")["id_token"]
    r = idp.exchange(agent, id_token, IDT, scope="read write")
    assert_oauth_error(r, "invalid_scope")
    # Asking for nothing does not help: the consent was openid, the agent's scopes are API ones.
    assert_oauth_error(idp.exchange(agent, id_token, IDT), "invalid_scope", says="no scope")


def test_id_token_yields_at_most_what_the_user_consented_to(idp: Idp) -> None:
    agent = idp.agent()
    idp.user("alice")
    id_token = idp.user_tokens(agent, scope="openid read")["id_token"]
    assert_oauth_error(idp.exchange(agent, id_token, IDT, scope="read write"), "invalid_scope")
    r = idp.exchange(agent, id_token, IDT)
    assert r.status_code == 200, r.text
    assert decode(r.json()["access_token"])["scope"] == "read"
    # and the resource accepts exactly that
    seen = idp.http.get(
        idp.url("enterprise", "resource"),
        headers={"Authorization": f"Bearer {r.json()['access_token']}"},
    )
    assert seen.status_code == 200


def test_id_token_without_recorded_consent_is_openid_only(idp: Idp) -> None:
    agent = idp.agent()
    idp.user("alice")
    id_token = forge(
        idp,
        {"sub": "alice", "aud": agent.client_id, "azp": agent.client_id},
        typ=c.TYP_ID_TOKEN,
        kind=c.KIND_ID,
    )
    assert_oauth_error(idp.exchange(agent, id_token, IDT, scope="read"), "invalid_scope")


def test_id_jag_cannot_widen_an_openid_sign_in(idp: Idp) -> None:
    agent = idp.agent()
    idp.user("alice")
    id_token = idp.user_tokens(agent, scope="openid")["id_token"]
    r = idp.exchange(
        agent,
        id_token,
        IDT,
        requested_token_type=IDJAG,
        audience=idp.url("mcp-as"),
        scope="read write",
    )
    assert_oauth_error(r, "invalid_scope")


def test_two_step_scope_laundering_is_refused(idp: Idp) -> None:
    agent = idp.agent()  # registered for read write
    idp.user("alice")
    # Step 1 of the old route: sign in with a scope outside the agent's registration, so the
    # exchange's intersection is empty. That sign-in itself is now refused …
    assert_oauth_error(
        idp.http.post(
            idp.url("enterprise", "admin/user-token"),
            data={
                "username": "alice",
                "password": PASSWORD,
                "client_id": agent.client_id,
                "scope": "admin",
            },
            headers=idp.admin_headers(),
        ),
        "invalid_scope",
    )
    # … and an identity-only sign-in exchanged with no scope is invalid_scope, not a token
    # without `scope`.
    user = idp.user_tokens(agent, scope="profile")["access_token"]
    assert_oauth_error(idp.exchange(agent, user), "invalid_scope", says="no scope")
    # Step 2 of the old route: a recorded token without `scope` widened to read write.
    scopeless = forge(idp, {"sub": "alice", "client_id": agent.client_id, "aud": "x"})
    assert_oauth_error(idp.exchange(agent, scopeless, scope="read write"), "invalid_scope")
    assert_oauth_error(idp.exchange(agent, scopeless), "invalid_scope")


def test_device_endpoint_bounds_scope_by_the_clients_registration(idp: Idp) -> None:
    reader = idp.agent("reader", allowed_scopes=["read"])
    url = idp.url("enterprise", "device_authorization")
    r = idp.http.post(url, data={"scope": "openid write"}, auth=basic(reader))
    assert_oauth_error(r, "invalid_scope", says="write")
    ok = idp.http.post(url, data={"scope": "openid read"}, auth=basic(reader))
    assert ok.status_code == 200, ok.text


# -- 2. registration policy is the administrator's ---------------------------------------------


def test_self_asserted_audience_is_refused_and_gets_no_token(idp: Idp) -> None:
    r = register(idp, {"client_name": "evil", "allowed_audiences": [BANK]})
    assert_oauth_error(r, "invalid_client_metadata", says="set by the administrator")
    # Nothing was stored: no client got that audience.
    assert all(
        BANK not in str(row["metadata"])
        for row in idp.svc.store.rows("SELECT metadata FROM clients")
    )


@pytest.mark.parametrize(
    "member",
    [
        {"subject_audiences": [APP]},
        {"scope": "read admin"},
    ],
)
def test_other_self_asserted_policy_members_are_refused(idp: Idp, member: dict[str, Any]) -> None:
    assert_oauth_error(register(idp, {"client_name": "evil", **member}), "invalid_client_metadata")


def test_an_initial_access_token_carries_the_policy_once(idp: Idp) -> None:
    from agentctl.idp.policy import RegistrationPolicy

    token = idp.svc.registration_token(policy=RegistrationPolicy(audiences=(BANK,)))
    r = register(idp, {"client_name": "bank-bot", "allowed_audiences": [BANK]}, token)
    assert r.status_code == 201, r.text
    reg = r.json()
    cc = idp.http.post(
        idp.url("enterprise", "token"),
        data={"grant_type": "client_credentials", "resource": BANK},
        auth=(reg["client_id"], reg["client_secret"]),
    )
    assert cc.status_code == 200
    assert decode(cc.json()["access_token"])["aud"] == BANK
    # used up: a second registration with the same token is refused
    again = register(idp, {"client_name": "second"}, token)
    assert_oauth_error(again, "invalid_token", 401)
    # and a token's policy is a ceiling: asking beyond it is refused
    narrow = idp.svc.registration_token(policy=RegistrationPolicy(may_act_for=("alice",)))
    r = register(idp, {"client_name": "x", "sub_profile": "ai_agent", "may_act_for": ["*"]}, narrow)
    assert_oauth_error(r, "invalid_client_metadata", says="may_act_for")


def test_rfc7592_cannot_widen_policy_and_applies_what_it_echoes(idp: Idp) -> None:
    r = register(idp, {"client_name": "bot", "sub_profile": "ai_agent", "scope": "read"})
    assert r.status_code == 201, r.text
    reg = r.json()
    headers = {"Authorization": f"Bearer {reg['registration_access_token']}"}
    url = reg["registration_client_uri"]
    base = {"client_id": reg["client_id"], "client_name": "bot", "scope": "read"}
    for widening in (
        {"allowed_audiences": [BANK]},
        {"subject_audiences": [APP]},
        {"may_act_for": ["alice"]},
        {"scope": "read write"},
    ):
        put = idp.http.put(url, json={**base, **widening}, headers=headers)
        assert_oauth_error(put, "invalid_client_metadata", says="set by the administrator")
    # echoing the policy unchanged is fine, and a rename applies to the agent record too
    put = idp.http.put(
        url, json={**base, "client_name": "renamed", "may_act_for": ["*"]}, headers=headers
    )
    assert put.status_code == 200, put.text
    assert put.json()["client_name"] == "renamed"
    names = {a.name for a in idp.svc.list_agents("enterprise")}
    assert names == {"renamed"}
    assert {a.name for a in idp.svc.list_agents("mcp-as")} == {"renamed"}


def test_administrator_sets_policy_through_the_cli_not_rfc7591(idp: Idp) -> None:
    from tests.helpers import run

    agent = idp.agent("helper")
    r = run("idp", "agents", "set", "helper", "--subject-audience", APP, "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["data"]["subject_audiences"] == [APP]
    assert idp.svc.client(agent.client_id, "mcp-as").subject_audiences == [APP]


# -- 3. a delegation grant never yields a token without `act` ------------------------------------


def _app_user_token(idp: Idp) -> tuple[AgentCredentials, str]:
    """alice's token for another client (an app), for an audience the agent may exchange from."""
    app = idp.agent("app", allowed_audiences=[APP])
    agent = idp.agent("bot")
    idp.svc.set_agent_policy("bot", subject_audiences=[APP])
    idp.user("alice")
    return agent, idp.user_tokens(app, scope="read", resource=APP)["access_token"]


def test_delegation_grant_does_not_allow_impersonation(idp: Idp) -> None:
    agent, user = _app_user_token(idp)
    idp.svc.grant("alice", "bot")  # delegation
    r = idp.exchange(agent, user)
    assert_oauth_error(r, "invalid_request", says="impersonation grant")
    delegated = idp.exchange(agent, user, actor=idp.cc(agent))
    assert delegated.status_code == 200, delegated.text
    claims = decode(delegated.json()["access_token"])
    assert claims["sub"] == "alice"
    assert claims["act"]["sub"] == agent.client_id


def test_may_act_does_not_allow_impersonation_either(idp: Idp) -> None:
    app = idp.agent("app", allowed_audiences=[APP])
    agent = idp.agent("bot")
    idp.svc.set_agent_policy("bot", subject_audiences=[APP])
    idp.user("alice")
    user = idp.user_tokens(app, scope="read", resource=APP, may_act=agent.client_id)
    assert_oauth_error(idp.exchange(agent, user["access_token"]), "invalid_request")


def test_impersonation_needs_its_own_grant(idp: Idp) -> None:
    from tests.helpers import run

    agent, user = _app_user_token(idp)
    r = run("idp", "grant", "alice", "bot", "--impersonation", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["data"]["kind"] == "impersonation"
    ok = idp.exchange(agent, user)
    assert ok.status_code == 200, ok.text
    claims = decode(ok.json()["access_token"])
    assert claims["sub"] == "alice"
    assert "act" not in claims
    # …and it is not a delegation grant
    assert_oauth_error(idp.exchange(agent, user, actor=idp.cc(agent)), "invalid_request")


# -- 4. the resource AS takes foreign tokens only as ID-JAGs -------------------------------------


def test_mcp_as_refuses_enterprise_tokens_by_token_exchange(idp: Idp) -> None:
    agent = idp.agent()
    idp.user("alice")
    idp.svc.grant("alice", agent.client_id)
    user = idp.user_tokens(agent)
    for subject, kind in ((user["access_token"], AT), (user["id_token"], IDT)):
        r = idp.exchange(agent, subject, kind, issuer="mcp-as", scope="read")
        assert_oauth_error(r, "invalid_request", says="trusted issuer")
    r = idp.exchange(agent, user["access_token"], actor=idp.cc(agent), issuer="mcp-as")
    assert_oauth_error(r, "invalid_request", says="trusted issuer")


# -- 5. withdrawing a grant stops what it authorised --------------------------------------------


def test_withdrawn_grant_revokes_the_tokens_it_authorised(idp: Idp) -> None:
    from tests.helpers import run

    agent, user = _app_user_token(idp)
    idp.svc.grant("alice", "bot")
    delegated = idp.exchange(agent, user, actor=idp.cc(agent)).json()["access_token"]
    onward = idp.exchange(agent, delegated).json()["access_token"]  # re-exchanged by its actor
    resource = idp.url("enterprise", "resource")
    for token in (delegated, onward):
        assert idp.introspect(token, agent)["active"] is True
    r = run("idp", "grant", "alice", "bot", "--revoke", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["data"]["tokens_revoked"] == 1
    for token in (delegated, onward):
        assert idp.introspect(token, agent) == {"active": False}
        seen = idp.http.get(resource, headers={"Authorization": f"Bearer {token}"})
        assert seen.status_code == 401
    assert any(a["event"] == "grant:withdrawn:delegation" for a in idp.svc.audit())


# -- 6. password guessing ---------------------------------------------------------------------


def _device_guess(idp: Idp, agent: AgentCredentials, browser: httpx.Client, pw: str) -> int:
    started = idp.http.post(
        idp.url("enterprise", "device_authorization"),
        data={"scope": "openid"},
        auth=basic(agent),
    ).json()
    page = browser.get(idp.url("enterprise", "device"), params={"user_code": started["user_code"]})
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf, page.text
    r = browser.post(
        idp.url("enterprise", "device"),
        data={
            "csrf": csrf.group(1),
            "user_code": started["user_code"],
            "username": "alice",
            "password": pw,
        },
    )
    return r.status_code


def test_guessing_across_many_device_codes_is_throttled(idp: Idp, clock: Clock) -> None:
    agent = idp.agent("tv")
    idp.user("alice")
    with build_http_client(timeout=10) as browser:
        codes = [_device_guess(idp, agent, browser, f"guess-{i}") for i in range(30)]
        # 5 free failures, then back-off: every further guess is refused unchecked (429)
        assert codes[:5] == [401] * 5
        assert set(codes[6:]) == {429}
        # even the right password, while blocked
        assert _device_guess(idp, agent, browser, PASSWORD) == 429
        failed = [a for a in idp.svc.audit(limit=500) if a["event"] == "signin:failed"]
        assert len(failed) <= 6
        assert any(a["event"] == "signin:throttled" for a in idp.svc.audit(limit=500))
        clock.advance(throttle.MAX_BLOCK + 1)
        assert _device_guess(idp, agent, browser, PASSWORD) == 200


def test_admin_route_is_throttled_too(idp: Idp, clock: Clock) -> None:
    agent = idp.agent()
    idp.user("alice")
    url = idp.url("enterprise", "admin/user-token")
    form = {"username": "alice", "client_id": agent.client_id}

    def attempt(pw: str) -> httpx.Response:
        return idp.http.post(url, data={**form, "password": pw}, headers=idp.admin_headers())

    statuses = [attempt(f"guess-{i}").status_code for i in range(10)]
    assert statuses[:5] == [400] * 5
    assert statuses[-1] == 429
    blocked = attempt(PASSWORD)
    assert_oauth_error(blocked, "temporarily_unavailable", 429)
    assert int(blocked.headers["Retry-After"]) >= 1
    clock.advance(throttle.MAX_BLOCK + 1)
    assert attempt(PASSWORD).status_code == 200


def test_admin_route_needs_the_admin_credential_not_a_loopback_address(idp: Idp) -> None:
    agent = idp.agent()
    idp.user("alice")
    url = idp.url("enterprise", "admin/user-token")
    form = {
        "username": "alice",
        "password": PASSWORD,
        "client_id": agent.client_id,
        "may_act": "anyone-i-like",
    }
    for headers in ({}, {"Authorization": "Bearer not-the-credential-at-all-xxxx"}):
        assert_oauth_error(idp.http.post(url, data=form, headers=headers), "invalid_token", 401)


# -- 7. abuse limits on registration ---------------------------------------------------------


def test_oversized_registrations_are_refused(idp: Idp) -> None:
    huge = register(idp, {"client_name": "x" * 2_000_000})
    assert huge.status_code == 413, huge.text
    assert_oauth_error(register(idp, {"client_name": "x" * 300}), "invalid_client_metadata")
    many = {"client_name": "x", "redirect_uris": [f"https://a.example/{i}" for i in range(40)]}
    assert_oauth_error(register(idp, many), "invalid_client_metadata", says="at most")
    deep: Any = "x"
    for _ in range(200):
        deep = [deep]
    assert_oauth_error(register(idp, {"client_name": "x", "contacts": deep}), "invalid_request")


def test_a_registration_flood_is_rate_limited(idp: Idp, clock: Clock) -> None:
    statuses = [register(idp, {"client_name": f"c{i}"}).status_code for i in range(25)]
    assert (
        statuses[: throttle.REGISTRATIONS_PER_WINDOW] == [201] * throttle.REGISTRATIONS_PER_WINDOW
    )
    assert set(statuses[throttle.REGISTRATIONS_PER_WINDOW :]) == {429}
    r = register(idp, {"client_name": "late"})
    assert int(r.headers["Retry-After"]) >= 1
    clock.advance(throttle.REGISTRATION_WINDOW)
    assert register(idp, {"client_name": "next-window"}).status_code == 201


def test_basic_credentials_that_are_not_utf8_get_401_not_500(idp: Idp) -> None:
    import base64

    bad = base64.b64encode(b"\xff\xfe:\x80").decode()
    r = idp.http.post(
        idp.url("enterprise", "token"),
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {bad}"},
    )
    assert_oauth_error(r, "invalid_client", 401)


def test_register_sets_subject_audiences_on_the_embedded_idp(idp: Idp) -> None:
    from tests.helpers import run

    r = run("register", "reader", "--subject-audience", APP, "--json")
    assert r.exit_code == 0, r.stderr
    client_id = r.json()["data"]["agent"]["client_id"]
    assert idp.svc.client(client_id).subject_audiences == [APP]


def test_rfc7592_update_keeps_the_administrators_id_jag_mapping(idp: Idp) -> None:
    r = register(idp, {"client_name": "bot", "sub_profile": "ai_agent", "scope": "read"})
    reg = r.json()
    idp.svc.set_agent_policy(reg["client_id"], id_jag_client_ids={"https://as.example": "x-1"})
    headers = {"Authorization": f"Bearer {reg['registration_access_token']}"}
    put = idp.http.put(
        reg["registration_client_uri"],
        json={
            "client_id": reg["client_id"],
            "client_name": "renamed",
            "id_jag_client_ids": {"https://as.example": "someone-else"},
        },
        headers=headers,
    )
    assert put.status_code == 200, put.text
    kept = idp.svc.client(reg["client_id"]).id_jag_client_ids
    assert kept == {"https://as.example": "x-1"}
