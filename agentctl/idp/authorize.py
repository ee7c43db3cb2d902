"""Authorization code with PKCE (RFC 6749 §4.1, RFC 7636, OAuth 2.1) for every issuer: what
MCP's core authorization and browser apps use. An `IdpPlugin`.

    GET  <issuer>/authorize?response_type=code&client_id=…&redirect_uri=…&scope=…&state=…
                           &code_challenge=…&code_challenge_method=S256[&resource=…][&nonce=…]
         → the sign-in and consent page (or, for a bad request, an error: a redirect to a
           verified redirect_uri, else a 400 page that redirects nowhere)
    POST <issuer>/authorize?<the same query>   (csrf, username, password, decision)
         → 302 to redirect_uri with code, state and iss (RFC 9207)
    POST <issuer>/token grant_type=authorization_code&code=…&code_verifier=…&redirect_uri=…

Strict on purpose: PKCE is required for every client and only S256 is accepted (`plain` and a
missing method, which RFC 7636 reads as `plain`, are refused); redirect URIs match exactly;
scope is what was asked for within the issuer's and the client's registration (RFC 6749 §3.3
lets the AS grant less; the token response names what it granted; nothing grantable at all is
invalid_scope); `resource` values must be audiences the client is registered for. Codes live 60 s,
are stored hashed, are bound to the client, redirect URI and challenge, and are single use: a
replayed code is refused and the tokens issued from it are revoked (RFC 6749 §4.1.2). The page
shares the device page's protections (CSRF token bound to a cookie and to the request itself,
CSP, no framing) and the throttled password check.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.base import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc7636 import CodeChallenge

from agentctl.idp import constants as c
from agentctl.idp import records
from agentctl.idp.models import Client, User
from agentctl.idp.policy import check_targets, narrow_scope, require_scope, safe
from agentctl.idp.secrets import hash_secret
from agentctl.idp.server import AUTHORIZE_PATH as PATH
from agentctl.idp.server import GRANT_AUTHORIZATION_CODE, authorize_metadata
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

CODE_TTL = 60
COOKIE = "agentctl_authorize"

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS authorization_codes (
        code_hash TEXT PRIMARY KEY, issuer TEXT NOT NULL, client_id TEXT NOT NULL,
        redirect_uri TEXT NOT NULL, scope TEXT NOT NULL, resources TEXT NOT NULL,
        user_sub TEXT NOT NULL, code_challenge TEXT NOT NULL, nonce TEXT,
        expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0, issued_jtis TEXT)""",
)


def ensure_schema(store: Store) -> None:
    store.ensure_tables("authorize", _SCHEMA)


@dataclass
class StoredCode:
    """One authorization code (Authlib's AuthorizationCodeMixin surface)."""

    code_hash: str
    client_id: str
    redirect_uri: str
    scope: str
    resources: list[str]
    user_sub: str
    code_challenge: str
    nonce: str | None

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class S256Only(CodeChallenge):  # type: ignore[misc]
    """RFC 7636 with the OAuth 2.1 rules: a challenge on every request, S256 only."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError(
                description="PKCE is required: send code_challenge with code_challenge_method=S256",
                redirect_uri=redirect_uri,
            )
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError(
                description="code_challenge_method must be S256 (plain is not accepted)",
                redirect_uri=redirect_uri,
            )
        super().validate_code_challenge(grant, redirect_uri)

    def get_authorization_code_challenge(self, authorization_code: StoredCode) -> str:
        return authorization_code.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code: StoredCode) -> str:
        return "S256"


class AuthorizationCode(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = [*c.AUTH_METHODS, "none"]
    server: IssuerServer

    def validate_authorization_request(self) -> str:
        redirect_uri: str = super().validate_authorization_request()
        client: Client = self.request.client
        ctx, cfg = self.server.ctx, self.server.cfg
        try:
            # RFC 6749 §3.3: the AS may grant less than asked (the token response then names
            # the scope). MCP clients ask for every scope the server lists, so what the client
            # is registered for is granted, and nothing grantable at all is invalid_scope.
            allowed = narrow_scope(None, list(cfg.scopes), sign_in_scopes(client)).split()
            wanted = (self.request.payload.scope or "").split()
            granted = [s for s in dict.fromkeys(wanted) if s in allowed] if wanted else allowed
            self.request.scope = require_scope(" ".join(granted), "this sign-in request")
            resources = self.request.payload.datalist.get("resource", [])
            if resources:
                check_targets(ctx, cfg, client, resources)
        except OAuth2Error as error:
            error.redirect_uri = redirect_uri
            raise
        return redirect_uri

    def create_authorization_response(
        self, redirect_uri: str, grant_user: User | None
    ) -> tuple[int, str, list[tuple[str, str]]]:
        status, body, headers = super().create_authorization_response(redirect_uri, grant_user)
        # RFC 9207: name the issuer, so a client talking to several cannot be mixed up.
        location = add_params_to_uri(dict(headers)["Location"], [("iss", self.server.url)])
        return status, body, [("Location", location)]

    def save_authorization_code(self, code: str, request: Any) -> None:
        ctx = self.server.ctx
        data = request.payload.data
        with ctx.store.write() as db:
            db.execute("DELETE FROM authorization_codes WHERE expires_at < ?", (ctx.now() - 3600,))
            db.execute(
                "INSERT INTO authorization_codes(code_hash, issuer, client_id, redirect_uri,"
                " scope, resources, user_sub, code_challenge, nonce, expires_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    hash_secret(code),
                    self.server.name,
                    request.client.client_id,
                    request.payload.redirect_uri or "",
                    request.scope or "",
                    json.dumps(list(dict.fromkeys(request.payload.datalist.get("resource", [])))),
                    request.user.sub,
                    data.get("code_challenge"),
                    data.get("nonce"),
                    ctx.now() + CODE_TTL,
                ),
            )

    def query_authorization_code(self, code: str, client: Client) -> StoredCode | None:
        ctx = self.server.ctx
        row = ctx.store.row(
            "SELECT * FROM authorization_codes WHERE code_hash = ? AND issuer = ?",
            (hash_secret(code), self.server.name),
        )
        if row is None or row["client_id"] != client.client_id:
            return None
        if row["used"]:
            _revoke_replayed(ctx, row)
            return None
        if row["expires_at"] <= ctx.now():
            return None
        return StoredCode(
            code_hash=row["code_hash"],
            client_id=row["client_id"],
            redirect_uri=row["redirect_uri"],
            scope=row["scope"],
            resources=[str(r) for r in json.loads(row["resources"])],
            user_sub=row["user_sub"],
            code_challenge=row["code_challenge"],
            nonce=row["nonce"],
        )

    def delete_authorization_code(self, authorization_code: StoredCode) -> None:
        return None  # spent in create_token_response, atomically with the check

    def authenticate_user(self, authorization_code: StoredCode) -> User | None:
        return records.get_user(
            self.server.ctx.store, self.server.name, authorization_code.user_sub
        )

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        code: StoredCode = self.request.authorization_code
        client: Client = self.request.client
        ctx = self.server.ctx
        user = self.authenticate_user(code)
        with ctx.store.write() as db:
            spent = db.execute(
                "UPDATE authorization_codes SET used = 1 WHERE code_hash = ? AND used = 0",
                (code.code_hash,),
            ).rowcount
        if spent != 1 or user is None:
            raise InvalidRequestError(description="the authorization code has already been used")
        tokens = issue_user_tokens(
            ctx,
            self.server.cfg,
            user,
            client,
            scope=code.scope or None,
            targets=code.resources,
            grant_type=GRANT_AUTHORIZATION_CODE,
            nonce=code.nonce,
        )
        with ctx.store.write() as db:
            db.execute(
                "UPDATE authorization_codes SET issued_jtis = ? WHERE code_hash = ?",
                (json.dumps(tokens.jtis), code.code_hash),
            )
        body = tokens.as_response()
        if "openid" not in code.scope.split():
            body.pop("id_token", None)  # OIDC: an ID token only for an openid request
        return 200, body, self.TOKEN_RESPONSE_HEADER


def _revoke_replayed(ctx: IdpContext, row: sqlite3.Row) -> None:
    """RFC 6749 §4.1.2: a code used twice may be stolen; what it yielded is revoked."""
    for jti in json.loads(row["issued_jtis"] or "[]"):
        records.revoke_token(
            ctx.store, str(jti), issuer=row["issuer"], client_id=row["client_id"], now=ctx.now()
        )


# -- the sign-in and consent page ------------------------------------------------------------
@dataclass
class Consent:
    issuer: str
    client_name: str = ""
    scope: str = ""
    resources: str = ""
    username: str = ""
    message: str = ""
    outcome: str = ""


def _binding(cookie: str | None = None) -> str:
    """What a form token is bound to: this browser (cookie) and this exact request (query)."""
    from flask import request

    if cookie is None:
        cookie = request.cookies.get(COOKIE, "")
    return hash_secret(f"{cookie}|{request.query_string.decode('latin-1')}")[:64]


def _page(ctx: IdpContext, consent: Consent, status: int = 200, redirect_uri: str = "") -> Response:
    from flask import make_response, render_template, request

    from agentctl.idp.device import new_form, secure_headers

    cookie = request.cookies.get(COOKIE, "")
    if len(cookie) < 20:
        cookie = secrets.token_urlsafe(32)
    binding = _binding(cookie)
    html = render_template(
        "authorize.html",
        consent=consent,
        csrf=new_form(ctx, consent.issuer, binding),
        action=f"{ctx.issuer_url(consent.issuer)}/{PATH}?{request.query_string.decode('latin-1')}",
    )
    response = make_response(html, status)
    secure_headers(response, form_targets=_origin(redirect_uri))
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=900,
        path=f"{c.ISSUER_PREFIX}{consent.issuer}/{PATH}",
        httponly=True,
        samesite="Lax",  # the page is reached by a top-level redirect from the client
        secure=request.scheme == "https",
    )
    return response


def _origin(uri: str) -> tuple[str, ...]:
    """The redirect URI's origin, for CSP form-action (already verified against the client)."""
    from urllib.parse import urlsplit

    parts = urlsplit(uri)
    return (f"{parts.scheme}://{parts.netloc}",) if parts.scheme and parts.netloc else ()


def _describe(server: IssuerServer, grant: AuthorizationCode, consent: Consent) -> None:
    client: Client = grant.request.client
    consent.client_name = client.name
    consent.scope = grant.request.scope or ""
    consent.resources = " ".join(grant.request.payload.datalist.get("resource", []))


def show(server: IssuerServer) -> Response:
    try:
        grant = server.get_consent_grant(end_user=None)
    except OAuth2Error as error:
        return _error(server, error)
    consent = Consent(issuer=server.name)
    _describe(server, grant, consent)
    return _page(server.ctx, consent, redirect_uri=grant.redirect_uri)


def submit(server: IssuerServer) -> Response:
    from flask import request

    from agentctl.idp.device import spend_form

    ctx = server.ctx
    try:
        grant = server.get_consent_grant(end_user=None)
    except OAuth2Error as error:
        return _error(server, error)
    form = request.form
    consent = Consent(issuer=server.name, username=form.get("username", "")[:100])
    _describe(server, grant, consent)
    if not spend_form(ctx, server.name, form.get("csrf", ""), _binding()):
        consent.message = "This form has expired or was not sent from this page. Please try again."
        consent.outcome = "error"
        return _page(ctx, consent, 403, grant.redirect_uri)
    if form.get("decision") == "deny":
        return _respond(server, grant, None)
    password = form.get("password", "")
    if not consent.username or not password:
        consent.message = "Enter your user name and password."
        consent.outcome = "error"
        return _page(ctx, consent, 400, grant.redirect_uri)
    try:
        user = authenticate(
            ctx, server.name, consent.username, password, source=request.remote_addr
        )
    except SignInThrottled as exc:
        consent.message = (
            f"Too many failed sign-ins. Wait {exc.retry_after} seconds, then try again."
        )
        consent.outcome = "error"
        response = _page(ctx, consent, 429, grant.redirect_uri)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except SignInError:
        consent.message = "Wrong user name or password."
        consent.outcome = "error"
        return _page(ctx, consent, 401, grant.redirect_uri)
    with ctx.store.write() as db:
        records.add_audit(
            db,
            time=ctx.now(),
            issuer=server.name,
            event="authorize:approved",
            grant_type=GRANT_AUTHORIZATION_CODE,
            client_id=grant.request.client.client_id,
            subject=user.sub,
            scope=grant.request.scope,
        )
    return _respond(server, grant, user)


def _respond(server: IssuerServer, grant: AuthorizationCode, user: User | None) -> Response:
    """The redirect back to the client: a code when `user` allowed it, access_denied if not."""
    redirect: Response = server.create_authorization_response(grant_user=user, grant=grant)
    return redirect


def _error(server: IssuerServer, error: OAuth2Error) -> Response:
    """A verified redirect URI gets the error (RFC 6749 §4.1.2.1); otherwise the browser sees
    it here and is sent nowhere."""
    from flask import make_response, render_template

    if getattr(error, "redirect_uri", None):
        response: Response = server.handle_error_response(None, error)
        return response
    consent = Consent(
        issuer=server.name,
        message=f"This sign-in request is not valid: {safe(error.description or error.error, 160)}",
        outcome="error",
    )
    html = render_template("authorize.html", consent=consent, csrf="", action="")
    page = make_response(html, 400)
    from agentctl.idp.device import secure_headers

    secure_headers(page)
    return page


class AuthorizePlugin:
    def init_app(self, app: Flask, ctx: IdpContext) -> None:
        from agentctl.idp.app import idp_of

        ensure_schema(ctx.store)

        @app.get(f"/i/<name>/{PATH}")
        def authorize_page(name: str) -> Response:
            return show(idp_of(app).server(name))

        @app.post(f"/i/<name>/{PATH}")
        def authorize_submit(name: str) -> Response:
            return submit(idp_of(app).server(name))

    def init_issuer(self, server: IssuerServer) -> None:
        ensure_schema(server.ctx.store)  # the token endpoint redeems codes without the pages
        server.register_grant(AuthorizationCode, [S256Only(required=True)])

    def metadata(self, server: IssuerServer) -> dict[str, Any]:
        # Declared with the plugin's spec: the document lists it before it is loaded.
        return authorize_metadata(server)


def plugin() -> AuthorizePlugin:
    return AuthorizePlugin()


__all__ = ["AuthorizationCode", "AuthorizePlugin", "S256Only", "ensure_schema", "plugin"]
