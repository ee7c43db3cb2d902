"""No request makes the IdP answer 5xx: hostile methods, paths, bodies and credentials against
every endpoint (hypothesis), plus a property of the whole policy — for random sequences of
sign-ins and exchanges, no token carries a scope beyond what the user consented to intersected
with the agent's registration."""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentctl.idp import constants as c
from tests.idp.conftest import AT, IDT, PASSWORD, Idp, decode

PATHS = [
    "/i/enterprise/token",
    "/i/enterprise/register",
    "/i/enterprise/register/cli_x",
    "/i/enterprise/introspect",
    "/i/enterprise/revoke",
    "/i/enterprise/device_authorization",
    "/i/enterprise/device",
    "/i/enterprise/admin/user-token",
    "/i/enterprise/resource",
    "/i/mcp-as/token",
    "/.well-known/oauth-authorization-server/i/enterprise",
    "/i/enterprise/jwks.json",
    "/i/nope/token",
]
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=40)
)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
# Header values go on the wire as bytes: any octet a client could send (HTTP allows obs-text).
_header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40)
_auth = st.one_of(
    st.none(),
    st.binary(max_size=40).map(lambda b: b"Basic " + base64.b64encode(b)),
    _header_text.map(lambda t: ("Basic " + t).encode("latin-1")),
    _header_text.map(lambda t: ("Bearer " + t).encode("latin-1")),
).map(lambda v: v.strip() if v else v)  # h11 refuses surrounding whitespace itself
_form = st.dictionaries(
    st.sampled_from(
        [
            "grant_type",
            "subject_token",
            "subject_token_type",
            "actor_token",
            "scope",
            "resource",
            "audience",
            "token",
            "client_id",
            "username",
            "password",
            "device_code",
            "requested_token_type",
            "csrf",
            "user_code",
        ]
    ),
    st.text(max_size=60),
    max_size=6,
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    path=st.sampled_from(PATHS),
    auth=_auth,
    body=st.one_of(
        _form.map(lambda f: ("form", f)),
        _json.map(lambda j: ("json", j)),
        st.binary(max_size=200).map(lambda b: ("raw", b)),
        st.integers(1, 300).map(lambda n: ("json-text", "[" * n + "]" * n)),
    ),
)
def test_no_request_gets_a_5xx(
    idp: Idp, method: str, path: str, auth: bytes | None, body: tuple[str, Any]
) -> None:
    headers: dict[str, Any] = {"Authorization": auth} if auth else {}
    kind, value = body
    kw: dict[str, Any]
    if kind == "form":
        kw = {"data": value}
    elif kind == "json":
        kw = {
            "content": json.dumps(value),
            "headers": {**headers, "Content-Type": "application/json"},
        }
    elif kind == "json-text":
        kw = {"content": value, "headers": {**headers, "Content-Type": "application/json"}}
    else:
        kw = {"content": value}
    kw.setdefault("headers", headers)
    # Over real HTTP (the in-process transport cannot carry non-ASCII header bytes).
    r = idp.http.request(method, idp.base_url + path, **kw)
    assert r.status_code < 500, (r.status_code, r.text)
    if r.headers.get("content-type", "").startswith("application/json"):
        assert "Traceback" not in r.text


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    registered=st.sets(st.sampled_from(["read", "write"]), min_size=1),
    steps=st.lists(
        st.tuples(
            st.sampled_from(["sign-in", "exchange", "exchange-id", "delegate"]),
            st.sets(st.sampled_from(["openid", "profile", "read", "write"])),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_no_token_exceeds_consent_and_registration(
    inproc: Idp, registered: set[str], steps: list[tuple[str, set[str]]]
) -> None:
    svc = inproc.svc
    agent = svc.create_agent(f"p-{len(svc.list_agents())}", allowed_scopes=sorted(registered))
    if not svc.list_users():
        svc.add_user("alice", "alice@example.com", PASSWORD)
    svc.grant("alice", agent.client_id)
    auth = (agent.client_id, agent.client_secret or "")
    token_url = "/i/enterprise/token"
    consented: set[str] = set()
    tokens: list[tuple[str, str]] = []  # (token, type)
    for action, scopes in steps:
        if action == "sign-in":
            r = inproc.http.post(
                "/i/enterprise/admin/user-token",
                data={
                    "username": "alice",
                    "password": PASSWORD,
                    "client_id": agent.client_id,
                    "scope": " ".join(sorted(scopes)),
                },
                headers=inproc.admin_headers(),
            )
            if r.status_code == 200:
                granted = set(r.json().get("scope", "").split())
                consented |= granted
                tokens += [(r.json()["access_token"], AT), (r.json()["id_token"], IDT)]
            continue
        if not tokens:
            continue
        subject, kind = (
            tokens[-1]
            if action != "exchange-id"
            else next((t for t in reversed(tokens) if t[1] == IDT), tokens[-1])
        )
        data = {
            "grant_type": c.GRANT_TOKEN_EXCHANGE,
            "subject_token": subject,
            "subject_token_type": kind,
        }
        if scopes:
            data["scope"] = " ".join(sorted(scopes))
        if action == "delegate":
            cc = inproc.http.post(token_url, data={"grant_type": "client_credentials"}, auth=auth)
            data.update(actor_token=cc.json()["access_token"], actor_token_type=AT)
        r = inproc.http.post(token_url, data=data, auth=auth)
        assert r.status_code in (200, 400), r.text
        if r.status_code == 200:
            got = set(decode(r.json()["access_token"]).get("scope", "").split())
            assert got, "an exchange never answers with a scope-less token"
            assert got <= consented & registered, (got, consented, registered)
            tokens.append((r.json()["access_token"], AT))
