"""RFC 8628 device authorization grant and its verification page (an `IdpPlugin`).

    POST <issuer>/device_authorization   client authenticates → device_code, user_code, URIs
    GET  <issuer>/device[?user_code=…]   the verification page (HTML form: code, user, password)
    POST <issuer>/device                 sign in and approve (or deny) the device's request
    POST <issuer>/token  grant_type=urn:ietf:params:oauth:grant-type:device_code  (polling)

Built on Authlib's rfc8628 `DeviceAuthorizationEndpoint` / `DeviceCodeGrant` and its errors.
Polling answers `authorization_pending` until the user approves, `slow_down` (and the interval
grows by 5 s, RFC 8628 §3.5) when a client polls faster than its interval, `expired_token` after
`expires_in`, `access_denied` when the user denies or the code is blocked after
`MAX_FAILURES` wrong passwords; after approval, one poll gets the user's access token and ID
token (`userauth.issue_user_tokens`, audited with grant type device_code) and the device code is
spent. User codes are 8 letters from RFC 8628 §6.1's base-20 consonant alphabet (no vowels, so
no words, no 0/O or 1/I), shown as `BCDF-GHJK`; case, spaces and dashes are ignored when typed.

Only hashes of device codes, user codes and form tokens are stored. The page is CSRF-safe with
a single-use form token bound to an HttpOnly, SameSite=Strict cookie; it is rendered by Jinja
with autoescaping, sent with a strict Content-Security-Policy, no framing and no referrer.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from authlib.common.urls import add_params_to_uri
from authlib.consts import default_json_headers
from authlib.oauth2.rfc6749 import (
    InvalidGrantError,
    InvalidRequestError,
    UnauthorizedClientError,
)
from authlib.oauth2.rfc8628 import (
    DeviceAuthorizationEndpoint,
    DeviceCodeGrant,
    DeviceCredentialMixin,
)

from agentctl.idp import constants as c
from agentctl.idp import records
from agentctl.idp.models import Client, User
from agentctl.idp.policy import check_targets, narrow_scope, requested_targets
from agentctl.idp.secrets import hash_secret
from agentctl.idp.server import DEVICE_ENDPOINT_PATH as ENDPOINT_PATH
from agentctl.idp.server import device_metadata
from agentctl.idp.store import Store
from agentctl.idp.userauth import (
    SignInError,
    SignInThrottled,
    authenticate,
    issue_user_tokens,
    sign_in_scopes,
)

if TYPE_CHECKING:
    from flask import Flask, Response

    from agentctl.idp.context import IdpContext
    from agentctl.idp.server import IssuerServer

PAGE_PATH = "device"
EXPIRES_IN = 600
INTERVAL = 5
SLOW_DOWN_STEP = 5
MAX_FAILURES = 5
FORM_TTL = 900
COOKIE = "agentctl_device"
_CODE_CHARS = re.compile(r"[^A-Z]")
_TOKENISH = re.compile(r"^[A-Za-z0-9_-]{20,100}$")

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS device_codes (
        device_code_hash TEXT PRIMARY KEY, user_code_hash TEXT NOT NULL UNIQUE,
        issuer TEXT NOT NULL, client_id TEXT NOT NULL, scope TEXT, targets TEXT NOT NULL,
        created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, interval INTEGER NOT NULL,
        last_poll INTEGER, status TEXT NOT NULL, user_sub TEXT,
        failures INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS device_forms (
        token_hash TEXT PRIMARY KEY, issuer TEXT NOT NULL, binding_hash TEXT NOT NULL,
        expires_at INTEGER NOT NULL)""",
)
_PENDING, _APPROVED, _DENIED, _ISSUED = "pending", "approved", "denied", "issued"


def ensure_schema(store: Store) -> None:
    store.ensure_tables("device", _SCHEMA)


def normalize_user_code(text: str) -> str:
    return _CODE_CHARS.sub("", text.upper())


def display_user_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


# -- device code records ---------------------------------------------------------------------
@dataclass
class DeviceCredential(DeviceCredentialMixin):  # type: ignore[misc]
    """One row of `device_codes` (Authlib's DeviceCredentialMixin surface)."""

    device_code_hash: str
    user_code_hash: str
    issuer: str
    client_id: str
    scope: str | None
    targets: list[str]
    expires_at: int
    interval: int
    last_poll: int | None
    status: str
    user_sub: str | None
    now: int

    def get_client_id(self) -> str:
        return self.client_id

    def get_scope(self) -> str | None:
        return self.scope

    def get_user_code(self) -> str:
        return self.user_code_hash

    def is_expired(self) -> bool:
        return self.expires_at <= self.now


def _credential(row: sqlite3.Row, now: int) -> DeviceCredential:
    return DeviceCredential(
        device_code_hash=row["device_code_hash"],
        user_code_hash=row["user_code_hash"],
        issuer=row["issuer"],
        client_id=row["client_id"],
        scope=row["scope"],
        targets=list(json.loads(row["targets"])),
        expires_at=row["expires_at"],
        interval=row["interval"],
        last_poll=row["last_poll"],
        status=row["status"],
        user_sub=row["user_sub"],
        now=now,
    )


def find_by_user_code(ctx: IdpContext, issuer: str, user_code: str) -> DeviceCredential | None:
    """A pending, unexpired request at `issuer` for a typed user code, else None."""
    code = normalize_user_code(user_code)
    if len(code) != 8:
        return None
    now = ctx.now()
    row = ctx.store.row(
        "SELECT * FROM device_codes WHERE user_code_hash = ? AND issuer = ?",
        (hash_secret(code), issuer),
    )
    if row is None:
        return None
    cred = _credential(row, now)
    return cred if cred.status == _PENDING and not cred.is_expired() else None


# -- Authlib endpoint and grant --------------------------------------------------------------
class DeviceAuthorization(DeviceAuthorizationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS: ClassVar[list[str]] = list(c.AUTH_METHODS)
    EXPIRES_IN = EXPIRES_IN
    INTERVAL = INTERVAL
    server: IssuerServer

    def create_endpoint_response(self, request: Any) -> tuple[int, dict[str, Any], Any]:
        client: Client = self.authenticate_client(request)
        if not client.check_grant_type(c.GRANT_DEVICE_CODE):
            raise UnauthorizedClientError(
                description="the client is not allowed to use the device authorization grant"
            )
        ctx, cfg = self.server.ctx, self.server.cfg
        scope = request.payload.scope or None
        # invalid_scope now, not at the end of the flow; bounded by the client's registration
        narrow_scope(scope, list(cfg.scopes), sign_in_scopes(client))
        targets = requested_targets(request.payload.datalist)
        check_targets(ctx, cfg, client, targets)
        device_code = self.generate_device_code()
        now = ctx.now()
        for _ in range(5):  # a user-code collision is ~1 in 10^10; retry rather than fail
            user_code = normalize_user_code(self.generate_user_code())
            try:
                with ctx.store.write() as db:
                    db.execute("DELETE FROM device_codes WHERE expires_at < ?", (now - 3600,))
                    db.execute(
                        "INSERT INTO device_codes(device_code_hash, user_code_hash, issuer,"
                        " client_id, scope, targets, created_at, expires_at, interval, status)"
                        " VALUES (?,?,?,?,?,?,?,?,?,?)",
                        (
                            hash_secret(device_code),
                            hash_secret(user_code),
                            self.server.name,
                            client.client_id,
                            scope,
                            json.dumps(targets),
                            now,
                            now + self.EXPIRES_IN,
                            self.INTERVAL,
                            _PENDING,
                        ),
                    )
                break
            except sqlite3.IntegrityError:
                continue
        else:
            raise InvalidRequestError(description="could not allocate a user code; try again")
        uri = self.get_verification_uri()
        shown = display_user_code(user_code)
        data = {
            "device_code": device_code,
            "user_code": shown,
            "verification_uri": uri,
            "verification_uri_complete": add_params_to_uri(uri, [("user_code", shown)]),
            "expires_in": self.EXPIRES_IN,
            "interval": self.INTERVAL,
        }
        return 200, data, default_json_headers

    def get_verification_uri(self) -> str:
        return f"{self.server.url}/{PAGE_PATH}"


class DeviceCode(DeviceCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = list(c.AUTH_METHODS)
    server: IssuerServer

    def validate_token_request(self) -> None:
        device_code = self.request.payload.data.get("device_code")
        if not device_code or not isinstance(device_code, str):
            raise InvalidRequestError(description="device_code is required")
        client: Client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError(
                description="the client is not allowed to use the device authorization grant"
            )
        credential = self.query_device_credential(device_code)
        # Another client's device code is as unknown to this client as a made-up one.
        if credential is None or credential.client_id != client.client_id:
            raise InvalidGrantError(description="unknown device_code")
        self.request.client = client
        self.request.credential = credential
        self.request.user = self.validate_device_credential(credential)

    def query_device_credential(self, device_code: str) -> DeviceCredential | None:
        ctx = self.server.ctx
        row = ctx.store.row(
            "SELECT * FROM device_codes WHERE device_code_hash = ? AND issuer = ?",
            (hash_secret(device_code), self.server.name),
        )
        return _credential(row, ctx.now()) if row is not None else None

    def query_user_grant(self, user_code: str) -> tuple[User | None, bool] | None:
        credential: DeviceCredential = self.request.credential
        if credential.status == _ISSUED:
            raise InvalidGrantError(description="the device_code has already been used")
        if credential.status == _DENIED:
            return None, False
        if credential.status != _APPROVED or credential.user_sub is None:
            return None
        user = records.get_user(self.server.ctx.store, self.server.name, credential.user_sub)
        return (user, True) if user is not None else (None, False)

    def should_slow_down(self, credential: DeviceCredential) -> bool:
        """Polling faster than the interval: RFC 8628 §3.5 slow_down, interval += 5 s."""
        now = self.server.ctx.now()
        too_soon = credential.last_poll is not None and now - credential.last_poll < (
            credential.interval
        )
        with self.server.ctx.store.write() as db:
            db.execute(
                "UPDATE device_codes SET last_poll = ?, interval = interval + ?"
                " WHERE device_code_hash = ?",
                (now, SLOW_DOWN_STEP if too_soon else 0, credential.device_code_hash),
            )
        return too_soon

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        client: Client = self.request.client
        credential: DeviceCredential = self.request.credential
        ctx = self.server.ctx
        # Spend the code first: of two concurrent polls only one gets the tokens.
        with ctx.store.write() as db:
            spent = db.execute(
                "UPDATE device_codes SET status = ? WHERE device_code_hash = ? AND status = ?",
                (_ISSUED, credential.device_code_hash, _APPROVED),
            ).rowcount
        if spent != 1:
            raise InvalidGrantError(description="the device_code has already been used")
        tokens = issue_user_tokens(
            ctx,
            self.server.cfg,
            self.request.user,
            client,
            scope=credential.scope,
            targets=credential.targets,
            grant_type=c.GRANT_DEVICE_CODE,
        )
        return 200, tokens.as_response(), self.TOKEN_RESPONSE_HEADER


# -- the verification page -------------------------------------------------------------------
@dataclass
class PageState:
    issuer: str
    user_code: str = ""
    username: str = ""
    message: str = ""
    outcome: str = ""  # "", "success", "denied", "error"
    client_name: str = ""
    scope: str = ""
    done: bool = False


def new_form(ctx: IdpContext, issuer: str, binding: str) -> str:
    """A single-use form token for a page of `issuer`, bound to `binding` (a cookie value)."""
    token = secrets.token_urlsafe(32)
    now = ctx.now()
    with ctx.store.write() as db:
        db.execute("DELETE FROM device_forms WHERE expires_at < ?", (now,))
        db.execute(
            "INSERT INTO device_forms(token_hash, issuer, binding_hash, expires_at)"
            " VALUES (?,?,?,?)",
            (hash_secret(token), issuer, hash_secret(binding), now + FORM_TTL),
        )
    return token


def spend_form(ctx: IdpContext, issuer: str, token: str, binding: str) -> bool:
    """True once for a form token this server rendered, for this browser, not expired."""
    if not _TOKENISH.match(token) or not _TOKENISH.match(binding):
        return False
    with ctx.store.write() as db:
        cur = db.execute(
            "DELETE FROM device_forms WHERE token_hash = ? AND issuer = ? AND binding_hash = ?"
            " AND expires_at >= ?",
            (hash_secret(token), issuer, hash_secret(binding), ctx.now()),
        )
        return cur.rowcount == 1


def _client_label(ctx: IdpContext, cred: DeviceCredential) -> str:
    client = records.get_client(ctx.store, cred.issuer, cred.client_id)
    return client.name if client is not None else cred.client_id


def _render(ctx: IdpContext, state: PageState, status: int = 200) -> Response:
    from flask import make_response, render_template, request

    binding = request.cookies.get(COOKIE, "")
    if not _TOKENISH.match(binding):
        binding = secrets.token_urlsafe(32)
    csrf = "" if state.done else new_form(ctx, state.issuer, binding)
    html = render_template(
        "device.html",
        state=state,
        csrf=csrf,
        action=f"{ctx.issuer_url(state.issuer)}/{PAGE_PATH}",
    )
    response = make_response(html, status)
    secure_headers(response)
    response.set_cookie(
        COOKIE,
        binding,
        max_age=FORM_TTL,
        path=f"{c.ISSUER_PREFIX}{state.issuer}/{PAGE_PATH}",
        httponly=True,
        samesite="Strict",
        secure=request.scheme == "https",
    )
    return response


def secure_headers(response: Response, *, form_targets: tuple[str, ...] = ()) -> None:
    """The sign-in pages' headers: no caching, a strict CSP, no framing, no referrer.
    `form_targets` are origins a form submission may end at (CSP form-action also governs the
    redirect that follows a submission: the authorize page's answer goes to the client)."""
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Cache-Control"] = "no-store"
    targets = " ".join(["'self'", *form_targets])
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'unsafe-inline'; form-action {targets}; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"


def _describe(ctx: IdpContext, state: PageState, cred: DeviceCredential) -> None:
    state.client_name = _client_label(ctx, cred)
    state.scope = cred.scope or ""


def show_page(ctx: IdpContext, issuer: str) -> Response:
    from flask import request

    typed = request.args.get("user_code", "")[:40]
    state = PageState(issuer=issuer, user_code=typed)
    if typed:
        cred = find_by_user_code(ctx, issuer, typed)
        if cred is None:
            state.message = "That code is not valid, has expired or was already used."
            state.outcome = "error"
        else:
            state.user_code = display_user_code(normalize_user_code(typed))
            _describe(ctx, state, cred)
    return _render(ctx, state)


def submit_page(ctx: IdpContext, issuer: str) -> Response:
    from flask import request

    form = request.form
    state = PageState(
        issuer=issuer,
        user_code=form.get("user_code", "")[:40],
        username=form.get("username", "")[:100],
    )
    password = form.get("password", "")
    if not spend_form(ctx, issuer, form.get("csrf", ""), request.cookies.get(COOKIE, "")):
        state.message = "This form has expired or was not sent from this page. Please try again."
        state.outcome = "error"
        return _render(ctx, state, 403)
    cred = find_by_user_code(ctx, issuer, state.user_code)
    if cred is None:
        state.message = "That code is not valid, has expired or was already used."
        state.outcome = "error"
        return _render(ctx, state, 400)
    _describe(ctx, state, cred)
    state.user_code = display_user_code(normalize_user_code(state.user_code))
    if not state.username or not password:
        state.message = "Enter your user name and password."
        state.outcome = "error"
        return _render(ctx, state, 400)
    try:
        user = authenticate(ctx, issuer, state.username, password, source=request.remote_addr)
    except SignInThrottled as exc:
        state.message = f"Too many failed sign-ins. Wait {exc.retry_after} seconds, then try again."
        state.outcome = "error"
        response = _render(ctx, state, 429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except SignInError:
        blocked = _record_failure(ctx, cred)
        state.message = (
            "Too many failed sign-ins: this code is now blocked. Start again on your device."
            if blocked
            else "Wrong user name or password."
        )
        state.outcome = "error"
        state.done = blocked
        return _render(ctx, state, 401)
    approve = form.get("decision", "approve") != "deny"
    if not _decide(ctx, cred, user, approve):
        state.message = "That code is not valid, has expired or was already used."
        state.outcome = "error"
        return _render(ctx, state, 400)
    state.done = True
    if approve:
        state.outcome = "success"
        state.message = (
            f"Signed in as {user.name}. {state.client_name} may now get your tokens: "
            "return to your device. You can close this page."
        )
    else:
        state.outcome = "denied"
        state.message = f"You denied the request of {state.client_name}. You can close this page."
    return _render(ctx, state)


def _record_failure(ctx: IdpContext, cred: DeviceCredential) -> bool:
    """Count a wrong password against the code; True when that blocks it (access_denied)."""
    with ctx.store.write() as db:
        db.execute(
            "UPDATE device_codes SET failures = failures + 1 WHERE device_code_hash = ?",
            (cred.device_code_hash,),
        )
        cur = db.execute(
            "UPDATE device_codes SET status = ? WHERE device_code_hash = ? AND status = ?"
            " AND failures >= ?",
            (_DENIED, cred.device_code_hash, _PENDING, MAX_FAILURES),
        )
        blocked = cur.rowcount == 1
        if blocked:
            records.add_audit(
                db,
                time=ctx.now(),
                issuer=cred.issuer,
                event="device:blocked",
                grant_type=c.GRANT_DEVICE_CODE,
                client_id=cred.client_id,
                detail={"reason": f"{MAX_FAILURES} failed sign-ins"},
            )
    return blocked


def _decide(ctx: IdpContext, cred: DeviceCredential, user: User, approve: bool) -> bool:
    with ctx.store.write() as db:
        cur = db.execute(
            "UPDATE device_codes SET status = ?, user_sub = ? WHERE device_code_hash = ?"
            " AND status = ? AND expires_at > ?",
            (
                _APPROVED if approve else _DENIED,
                user.sub,
                cred.device_code_hash,
                _PENDING,
                ctx.now(),
            ),
        )
        if cur.rowcount != 1:
            return False
        records.add_audit(
            db,
            time=ctx.now(),
            issuer=cred.issuer,
            event="device:approved" if approve else "device:denied",
            grant_type=c.GRANT_DEVICE_CODE,
            client_id=cred.client_id,
            subject=user.sub,
            scope=cred.scope,
        )
    return True


class DevicePlugin:
    def init_app(self, app: Flask, ctx: IdpContext) -> None:
        from agentctl.idp.app import idp_of

        ensure_schema(ctx.store)

        @app.post(f"/i/<name>/{ENDPOINT_PATH}")
        def device_authorization(name: str) -> Any:
            return (
                idp_of(app).server(name).create_endpoint_response(DeviceAuthorization.ENDPOINT_NAME)
            )

        @app.get(f"/i/<name>/{PAGE_PATH}")
        def device_page(name: str) -> Response:
            idp_of(app).server(name)
            return show_page(ctx, name)

        @app.post(f"/i/<name>/{PAGE_PATH}")
        def device_page_submit(name: str) -> Response:
            idp_of(app).server(name)
            return submit_page(ctx, name)

    def init_issuer(self, server: IssuerServer) -> None:
        # The token endpoint answers device_code grants without the pages' app: the tables
        # must exist before it does.
        ensure_schema(server.ctx.store)
        server.register_grant(DeviceCode)
        server.register_endpoint(DeviceAuthorization)

    def metadata(self, server: IssuerServer) -> dict[str, Any]:
        # Declared with the plugin's spec: the document lists it before it is loaded.
        return device_metadata(server)


def plugin() -> DevicePlugin:
    return DevicePlugin()


__all__ = [
    "DeviceAuthorization",
    "DeviceCode",
    "DeviceCredential",
    "DevicePlugin",
    "display_user_code",
    "ensure_schema",
    "find_by_user_code",
    "normalize_user_code",
    "plugin",
]
