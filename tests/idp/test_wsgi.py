"""The Flask-free front of the IdP (`agentctl.idp.wsgi`, `api`, `web`):

- the JSON endpoints answer exactly as the Flask app answers the same request (one `api.run`
  behind both), refusals included;
- a CLI command talking to the IdP in-process never imports Flask, Werkzeug or Jinja;
- body limits hold before anything parses (Content-Length, chunked, form fields);
- the request parser never raises on hostile input (hypothesis).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentctl.idp import limits, web
from agentctl.idp.app import create_app
from agentctl.idp.service import IdpService
from agentctl.idp.wsgi import create_wsgi_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def svc() -> Iterator[IdpService]:
    service = IdpService.open()
    yield service
    service.store.close()


def _clients(svc: IdpService) -> tuple[httpx.Client, httpx.Client]:
    base = svc.ctx.base_url
    flask_app = httpx.Client(
        transport=httpx.WSGITransport(app=create_app(svc.ctx), remote_addr="127.0.0.1"),
        base_url=base,
    )
    plain = httpx.Client(
        transport=httpx.WSGITransport(app=create_wsgi_app(svc.ctx), remote_addr="127.0.0.1"),
        base_url=base,
    )
    return flask_app, plain


def _shape(response: httpx.Response) -> tuple[int, Any]:
    """Status and the JSON body with per-call values (tokens, times, ids) reduced to keys."""
    try:
        body = response.json()
    except ValueError:
        return response.status_code, response.text[:40]
    if isinstance(body, dict):
        stable = {"error", "error_description", "active", "token_type", "issuer", "scope"}
        return response.status_code, {k: (v if k in stable else "*") for k, v in body.items()}
    return response.status_code, body


def test_json_endpoints_answer_as_the_flask_app_does(svc: IdpService) -> None:
    agent = svc.create_agent("parity-agent", sponsor="ops@example.com")
    auth = (agent.client_id, agent.client_secret or "")
    flask_app, plain = _clients(svc)
    token = plain.post("/i/enterprise/token", data={"grant_type": "client_credentials"}, auth=auth)
    access = token.json()["access_token"]
    calls: list[tuple[str, str, dict[str, Any]]] = [
        (
            "POST",
            "/i/enterprise/token",
            {"data": {"grant_type": "client_credentials"}, "auth": auth},
        ),
        (
            "POST",
            "/i/enterprise/token",
            {"data": {"grant_type": "client_credentials"}, "auth": (agent.client_id, "wrong")},
        ),
        ("POST", "/i/enterprise/token", {"data": {}, "auth": auth}),
        ("POST", "/i/enterprise/token", {"data": {"grant_type": "password"}, "auth": auth}),
        ("POST", "/i/nope/token", {"data": {"grant_type": "client_credentials"}, "auth": auth}),
        ("GET", "/i/enterprise/token", {}),
        ("POST", "/i/enterprise/introspect", {"data": {"token": access}, "auth": auth}),
        ("POST", "/i/enterprise/introspect", {"data": {"token": "junk"}, "auth": auth}),
        ("POST", "/i/enterprise/introspect", {"data": {}, "auth": auth}),
        ("POST", "/i/enterprise/revoke", {"data": {"token": "junk"}, "auth": auth}),
        (
            "POST",
            "/i/enterprise/register",
            {"content": b"not json", "headers": {"Content-Type": "text/plain"}},
        ),
        ("GET", "/i/enterprise/register/nobody", {}),
        ("POST", "/i/enterprise/admin/user-token", {"data": {"username": "x"}}),
        ("GET", "/.well-known/oauth-authorization-server/i/enterprise", {}),
        ("GET", "/i/enterprise/.well-known/openid-configuration", {}),
        ("GET", "/i/enterprise/jwks.json", {}),
        ("GET", "/", {}),
        (
            "POST",
            "/i/enterprise/token",
            {
                "headers": {"Authorization": "Basic !!!"},
                "data": {"grant_type": "client_credentials"},
            },
        ),
    ]
    for method, path, kwargs in calls:
        one = _shape(flask_app.request(method, path, **kwargs))
        other = _shape(plain.request(method, path, **kwargs))
        assert one == other, (method, path, one, other)
    # Not the same answer for nothing: the calls cover success and refusal alike.
    statuses = {_shape(plain.request(m, p, **k))[0] for m, p, k in calls}
    assert {200, 400, 401, 404, 405} <= statuses


def test_the_in_process_path_never_imports_flask(tmp_path: Path) -> None:
    """What `agentctl exchange` does against the embedded IdP: sign a user in, client
    credentials, a delegation exchange, introspection, metadata and keys — no Flask."""
    script = textwrap.dedent(
        """
        import sys
        from agentctl.idp.inprocess import in_process_client
        from agentctl.idp.service import IdpService

        svc = IdpService.open()
        agent = svc.create_agent("a", sponsor="ops@example.com")
        svc.add_user("alice", "alice@example.com", "pw pw pw pw")
        svc.grant("alice", agent.client_id)
        user = svc.user_tokens("alice", "pw pw pw pw", client_id=agent.client_id)
        http = in_process_client(svc)
        auth = (agent.client_id, agent.client_secret)
        http.get("/.well-known/oauth-authorization-server/i/enterprise").raise_for_status()
        http.get("/i/enterprise/jwks.json").raise_for_status()
        cc = http.post("/i/enterprise/token", data={"grant_type": "client_credentials"}, auth=auth)
        actor = cc.json()["access_token"]
        te = http.post("/i/enterprise/token", auth=auth, data={
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": user.access_token,
            "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "actor_token": actor,
            "actor_token_type": "urn:ietf:params:oauth:token-type:access_token",
        })
        assert te.status_code == 200, te.text
        seen = http.post("/i/enterprise/introspect", data={"token": actor}, auth=auth)
        assert seen.json()["active"]
        loaded = sorted(m for m in ("flask", "werkzeug", "jinja2") if m in sys.modules)
        print(",".join(loaded) or "none")
        """
    )
    env = {**os.environ, "AGENTCTL_HOME": str(tmp_path / "home")}
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=60,
    )
    assert out.stdout.strip() == "none", out.stdout + out.stderr


def _call(app: Any, environ: dict[str, Any]) -> tuple[str, bytes]:
    seen: dict[str, str] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc: Any = None) -> None:
        seen["status"] = status

    body = b"".join(app(environ, start_response))
    return seen["status"], body


def _environ(path: str, body: bytes, **extra: str) -> dict[str, Any]:
    env: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8400",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
    }
    env.update(extra)
    return env


def test_body_limits_hold_before_parsing(svc: IdpService) -> None:
    app = create_wsgi_app(svc.ctx)
    big = b"grant_type=client_credentials&x=" + b"a" * limits.MAX_BODY
    status, body = _call(app, _environ("/i/enterprise/token", big, CONTENT_LENGTH=str(len(big))))
    assert status.startswith("413"), status
    assert json.loads(body)["error"] == "invalid_request"
    # Chunked (no Content-Length): read one byte past the cap, no further.
    status, _ = _call(app, _environ("/i/enterprise/token", big, HTTP_TRANSFER_ENCODING="chunked"))
    assert status.startswith("413"), status
    # More form fields than MAX_FORM_PARTS: refused, not parsed into a huge dict.
    many = urlencode([(f"f{i}", "v") for i in range(limits.MAX_FORM_PARTS + 1)]).encode()
    status, _ = _call(app, _environ("/i/enterprise/token", many, CONTENT_LENGTH=str(len(many))))
    assert status.startswith("413"), status
    status, _ = _call(app, _environ("/i/enterprise/token", b"", CONTENT_LENGTH="nan"))
    assert status.startswith("400"), status


def test_a_page_is_served_through_the_same_app(svc: IdpService) -> None:
    """Not a JSON endpoint: handed to the Flask app, body intact."""
    app = create_wsgi_app(svc.ctx)
    env = _environ("/i/enterprise/device", b"")
    env["REQUEST_METHOD"] = "GET"
    status, body = _call(app, env)
    assert status.startswith("200"), status
    assert b"<form" in body


_octets = st.text(st.characters(min_codepoint=0, max_codepoint=0xFF), max_size=60)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "BREW"]),
    path=_octets,
    query=_octets,
    content_type=st.sampled_from(
        ["application/x-www-form-urlencoded", "application/json", "text/plain", "", "a/b+json"]
    ),
    body=st.binary(max_size=300),
    headers=st.dictionaries(
        st.text(st.characters(min_codepoint=0x41, max_codepoint=0x5A), min_size=1, max_size=8),
        _octets,
        max_size=4,
    ),
)
def test_the_request_parser_never_raises(
    method: str, path: str, query: str, content_type: str, body: bytes, headers: dict[str, str]
) -> None:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8400",
        **{f"HTTP_{name}": value for name, value in headers.items()},
    }
    try:
        request = web.Request.from_environ(environ)
    except web.BodyTooLarge:
        return
    assert request.body == body
    request.url  # noqa: B018 - computing it must not raise
    request.headers.get("authorization")
    try:
        values = request.values
    except web.BodyTooLarge:
        return
    for key in values:
        assert values.getlist(key)
    request.get_json(silent=True)


def test_the_oauth2_request_keeps_authlibs_attributes(svc: IdpService) -> None:
    """`server._OAuth2Request` sets Authlib's attributes itself (skipping a URL parse per
    request): an Authlib upgrade that adds one must not go unnoticed."""
    from authlib.oauth2.rfc6749 import InsecureTransportError, OAuth2Request

    from agentctl.idp.server import _OAuth2Request

    env = _environ("/i/enterprise/token", b"grant_type=client_credentials")
    env["CONTENT_LENGTH"] = "29"
    ours = _OAuth2Request(web.Request.from_environ(env))
    theirs = OAuth2Request("POST", "http://127.0.0.1:8400/i/enterprise/token", headers={})
    assert set(vars(theirs)) <= set(vars(ours))
    assert ours.payload.grant_type == "client_credentials"
    # The transport rule is Authlib's: plain http to a name that is not loopback is refused.
    env = _environ("/i/enterprise/token", b"", HTTP_HOST="idp.example:8400")
    with pytest.raises(InsecureTransportError):
        _OAuth2Request(web.Request.from_environ(env))
