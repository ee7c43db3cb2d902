"""Fixtures for the embedded IdP: a real server on 127.0.0.1 (werkzeug's threaded WSGI server
in a thread), an in-process client through httpx.WSGITransport, and helpers that speak OAuth."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from werkzeug.serving import make_server

from agentctl.http import build_http_client
from agentctl.idp import constants as c
from agentctl.idp.service import AgentCredentials, IdpService
from agentctl.idp.wsgi import create_wsgi_app

TE = c.GRANT_TOKEN_EXCHANGE
AT, IDT, JWT, IDJAG = c.TT_ACCESS_TOKEN, c.TT_ID_TOKEN, c.TT_JWT, c.TT_ID_JAG
PASSWORD = "correct horse battery staple"


def decode(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))  # type: ignore[no-any-return]


def header(token: str) -> dict[str, Any]:
    part = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))  # type: ignore[no-any-return]


def basic(creds: AgentCredentials) -> tuple[str, str]:
    return (creds.client_id, creds.client_secret or "")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Clock:
    """An injectable clock for the IdP (expiry, throttling and rate-window tests)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Idp:
    """A running IdP plus the OAuth calls the tests make against it."""

    svc: IdpService
    http: httpx.Client
    base_url: str

    def url(self, issuer: str = "enterprise", path: str = "") -> str:
        return f"{self.base_url}/i/{issuer}{'/' + path if path else ''}"

    def agent(self, name: str = "agent", **kw: Any) -> AgentCredentials:
        kw.setdefault("allowed_scopes", ["read", "write"])
        kw.setdefault("sponsor", "owner@example.com")
        return self.svc.create_agent(name, **kw)

    def user(self, name: str = "alice") -> str:
        self.svc.add_user(name, f"{name}@example.com", PASSWORD)
        return name

    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.svc.admin_token()}"}

    def token(
        self,
        data: dict[str, Any],
        creds: AgentCredentials | None = None,
        issuer: str = "enterprise",
    ) -> httpx.Response:
        if creds is None or creds.client_secret is None:
            return self.http.post(self.url(issuer, "token"), data=data)
        return self.http.post(self.url(issuer, "token"), data=data, auth=basic(creds))

    def cc(self, creds: AgentCredentials, issuer: str = "enterprise", **extra: Any) -> str:
        r = self.token({"grant_type": "client_credentials", **extra}, creds, issuer)
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    def user_tokens(
        self, creds: AgentCredentials, user: str = "alice", **extra: Any
    ) -> dict[str, Any]:
        r = self.http.post(
            self.url("enterprise", "admin/user-token"),
            data={"username": user, "password": PASSWORD, "client_id": creds.client_id, **extra},
            headers=self.admin_headers(),
        )
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def exchange(
        self,
        creds: AgentCredentials | None,
        subject: str,
        subject_type: str = AT,
        actor: str | None = None,
        actor_type: str = AT,
        issuer: str = "enterprise",
        **extra: Any,
    ) -> httpx.Response:
        data = {"grant_type": TE, "subject_token": subject, "subject_token_type": subject_type}
        if actor is not None:
            data.update(actor_token=actor, actor_token_type=actor_type)
        data.update(extra)
        return self.token(data, creds, issuer)

    def introspect(
        self, token: str, creds: AgentCredentials, issuer: str = "enterprise"
    ) -> dict[str, Any]:
        r = self.http.post(
            self.url(issuer, "introspect"),
            data={"token": token},
            auth=basic(creds),
        )
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]


def assert_oauth_error(r: httpx.Response, error: str, status: int = 400, *, says: str = "") -> None:
    """An RFC 6749 §5.2 error: JSON, the code, the status, no trace, no token echoed back."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["error"] == error, body
    text = r.text
    assert "Traceback" not in text
    assert "eyJ" not in text
    if says:
        assert says in body.get("error_description", ""), body


@pytest.fixture(autouse=True)
def _fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt's production cost (2**14) is the point in real use and dead time in tests; the
    cost is stored in each hash, so verification follows whatever was used to hash."""
    from agentctl.idp import secrets

    monkeypatch.setattr(secrets, "_N", 2**10)


@contextmanager
def serving(clock: Callable[[], float] = time.time) -> Iterator[Idp]:
    """The IdP served over real HTTP on 127.0.0.1 (a free port), threaded WSGI server, with
    an injectable clock (for expiry tests)."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    svc = IdpService.open(base_url=base_url, clock=clock)
    svc.admin_token()  # as `idp serve --admin-signin` does: the credential file in the data dir
    server = make_server("127.0.0.1", port, create_wsgi_app(svc.ctx), threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    http = build_http_client(timeout=10)
    try:
        yield Idp(svc, http, base_url)
    finally:
        http.close()
        server.shutdown()
        thread.join(5)
        svc.store.close()


@pytest.fixture
def idp() -> Iterator[Idp]:
    """The IdP served over real HTTP on 127.0.0.1 (a free port), threaded WSGI server."""
    with serving() as running:
        yield running


@pytest.fixture
def inproc() -> Iterator[Idp]:
    """The same app in-process through httpx.WSGITransport (used by the fuzz tests)."""
    from agentctl.idp.inprocess import in_process_client

    svc = IdpService.open()
    http = in_process_client(svc)
    try:
        yield Idp(svc, http, svc.ctx.base_url)
    finally:
        http.close()


def forge(
    idp: Idp,
    claims: dict[str, Any],
    *,
    issuer: str = "enterprise",
    typ: str = c.TYP_ACCESS_TOKEN,
    kind: str = c.KIND_ACCESS,
    record: bool = True,
    foreign_key: bool = False,
) -> str:
    """A token signed with the issuer's own key (or, with `foreign_key`, a look-alike key with
    the same kid), recorded like a real one unless `record` is False. For hostile tests."""
    import secrets

    from joserfc import jwt
    from joserfc.jwk import ECKey, import_key

    from agentctl.idp import keys, records
    from agentctl.idp.models import TokenRecord

    alg, active = keys.signing_key(idp.svc.store, issuer)
    row = idp.svc.store.row("SELECT private_jwk FROM keys WHERE kid = ?", (active.kid,))
    assert row is not None
    key: Any = import_key(json.loads(row["private_jwk"]))
    if foreign_key:
        key = ECKey.generate_key("P-256", parameters={"kid": key.kid}, private=True)
    now = idp.svc.ctx.now()
    body: dict[str, Any] = {
        "iss": idp.url(issuer),
        "iat": now,
        "exp": now + 300,
        "jti": secrets.token_hex(8),
    }
    body.update(claims)
    token = jwt.encode({"alg": alg, "kid": key.kid, "typ": typ}, body, key, algorithms=[alg])
    if record:
        rec = TokenRecord(
            body["jti"],
            issuer,
            kind,
            str(body.get("client_id", "")),
            str(body.get("sub", "")),
            None,
            None,
            now,
            int(body["exp"]),
            False,
        )
        with idp.svc.store.write() as db:
            records.record_token(db, rec, None)
    return token
