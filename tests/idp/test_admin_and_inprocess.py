"""The loopback-only admin sign-in route, the in-process client, and hostile-input fuzzing."""

from __future__ import annotations

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from agentctl.http import build_http_client
from agentctl.idp.constants import DEFAULT_BASE_URL
from agentctl.idp.context import IdpContext
from agentctl.idp.inprocess import in_process_client
from agentctl.idp.wsgi import create_wsgi_app
from tests.idp.conftest import AT, PASSWORD, Idp, assert_oauth_error, decode


def test_admin_route_issues_id_and_access_tokens(idp: Idp) -> None:
    agent = idp.agent()
    idp.user("alice")
    body = idp.user_tokens(agent, scope="read")
    id_claims, at_claims = decode(body["id_token"]), decode(body["access_token"])
    assert id_claims["sub"] == at_claims["sub"] == "alice"
    assert id_claims["aud"] == agent.client_id
    assert id_claims["email"] == "alice@example.com"
    assert at_claims["client_id"] == agent.client_id
    assert at_claims["scope"] == "read"


def test_admin_route_refuses_a_wrong_password_without_saying_which_part(idp: Idp) -> None:
    agent = idp.agent()
    idp.user("alice")
    url = idp.url("enterprise", "admin/user-token")
    wrong = idp.http.post(
        url,
        data={"username": "alice", "password": "nope", "client_id": agent.client_id},
        headers=idp.admin_headers(),
    )
    unknown = idp.http.post(
        url,
        data={"username": "mallory", "password": PASSWORD, "client_id": agent.client_id},
        headers=idp.admin_headers(),
    )
    assert_oauth_error(wrong, "invalid_grant")
    assert wrong.json() == unknown.json()


def test_admin_route_is_refused_when_listening_beyond_loopback(idp: Idp) -> None:
    agent = idp.agent()
    idp.user("alice")
    exposed = IdpContext(idp.svc.store, idp.base_url, bind_host="0.0.0.0")  # noqa: S104
    transport = httpx.WSGITransport(app=create_wsgi_app(exposed), remote_addr="127.0.0.1")
    # over https (as through a TLS proxy), so the plain-http screen is not what refuses it
    with build_http_client(transport=transport, base_url="https://127.0.0.1:8400") as http:
        r = http.post(
            "/i/enterprise/admin/user-token",
            data={"username": "alice", "password": PASSWORD, "client_id": agent.client_id},
            headers=idp.admin_headers(),
        )
    assert_oauth_error(r, "access_denied", 403, says="loopback")


def test_in_process_client_bootstraps_and_speaks_http() -> None:
    with in_process_client() as http:
        meta = http.get("/.well-known/oauth-authorization-server/i/enterprise").json()
        assert meta["issuer"] == f"{DEFAULT_BASE_URL}/i/enterprise"
        absolute = http.get(f"{DEFAULT_BASE_URL}/i/mcp-as/jwks.json")
        assert absolute.status_code == 200
        assert absolute.json()["keys"]


_junk = st.one_of(
    st.text(max_size=300),
    st.builds(
        lambda a, b, c: f"{a}.{b}.{c}",
        st.text("eyJABC-_0123", max_size=40),
        st.text(max_size=40),
        st.text(max_size=40),
    ),
)


def test_hostile_exchange_input_never_crashes_the_server(inproc: Idp) -> None:
    creds = inproc.agent("fuzz")

    @settings(max_examples=120, deadline=None)
    @given(subject=_junk, actor=st.none() | _junk, kind=st.sampled_from([AT, "x", ""]))
    def check(subject: str, actor: str | None, kind: str) -> None:
        r = inproc.exchange(creds, subject, kind or AT, actor=actor, actor_type=kind or AT)
        assert r.status_code == 400, r.text
        assert r.json()["error"] == "invalid_request"

    check()


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_members = st.sampled_from(
    [
        "client_name",
        "scope",
        "grant_types",
        "token_endpoint_auth_method",
        "jwks",
        "jwks_uri",
        "redirect_uris",
        "contacts",
        "sub_profile",
        "may_act_for",
        "allowed_audiences",
        "client_uri",
        "response_types",
        "software_id",
    ]
)


def test_hostile_registration_metadata_never_crashes_the_server(inproc: Idp) -> None:
    # An initial access token, so the open registration's rate limit does not cut the run short.
    iat = {"Authorization": f"Bearer {inproc.svc.registration_token(uses=1000)}"}

    @settings(max_examples=150, deadline=None)
    @given(body=st.dictionaries(_members, _json, max_size=4))
    def check(body: dict[str, object]) -> None:
        r = inproc.http.post("/i/enterprise/register", json=body, headers=iat)
        assert r.status_code in (201, 400), r.text
        if r.status_code == 400:
            assert r.json()["error"] in ("invalid_client_metadata", "invalid_request")

    check()


def test_hostile_exchange_parameters_get_clean_errors(inproc: Idp) -> None:
    creds = inproc.agent("fuzz-params")
    inproc.svc.add_user("alice", "alice@example.com", PASSWORD)
    tokens = inproc.svc.user_tokens("alice", PASSWORD, client_id=creds.client_id)
    text = st.text(max_size=60)

    @settings(max_examples=150, deadline=None)
    @given(scope=text, audience=text, resource=text, requested=st.sampled_from(["", 'x"\\', AT]))
    def check(scope: str, audience: str, resource: str, requested: str) -> None:
        r = inproc.exchange(
            creds,
            tokens.access_token,
            scope=scope,
            audience=audience,
            resource=resource,
            requested_token_type=requested,
        )
        assert r.status_code in (200, 400), r.text
        if r.status_code == 400:
            assert r.json()["error"] in ("invalid_request", "invalid_scope", "invalid_target")

    check()
