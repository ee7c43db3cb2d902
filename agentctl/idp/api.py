"""The IdP's JSON endpoints on plain WSGI requests (`agentctl.idp.web`), without Flask.

Routes for issuer `<base>/i/<name>` (see `metadata.py` for the endpoint list):
    GET  /.well-known/oauth-authorization-server/i/<name>    RFC 8414 metadata
    GET  /.well-known/openid-configuration/i/<name>          (RFC 8414 §5 path-aware OIDC)
    GET  /i/<name>/.well-known/openid-configuration          OIDC discovery (same document)
    GET  /i/<name>/jwks.json                                 signing keys (incl. rotated-out)
    POST /i/<name>/token | introspect | revoke | register    Authlib endpoints
    GET|PUT|DELETE /i/<name>/register/<client_id>            RFC 7592
    POST /i/<name>/admin/user-token                          admin sign-in (credential needed)
    GET  /                                                   the issuers, as JSON

`answer(idp, request)` screens a request (`limits.screen`), routes it and turns every failure
into an RFC 6749 §5.2 JSON body: no stack trace ever leaves the server. A path that is not one
of these (the HTML pages, a wrong method) answers None, for the Flask app to serve.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from agentctl.idp import admin, keys, limits, records, web
from agentctl.idp.context import IdpContext
from agentctl.idp.policy import safe
from agentctl.idp.server import IdpPlugin, IssuerServer, UnknownIssuer, default_plugins

if TYPE_CHECKING:
    from agentctl.idp.web import Request, Response

log = logging.getLogger("agentctl.idp.app")


class IdpApp:
    """Every issuer's Authlib server, made on first use and kept for the process."""

    def __init__(self, ctx: IdpContext, plugins: list[IdpPlugin] | None = None) -> None:
        self.ctx = ctx
        self.plugins = default_plugins() if plugins is None else plugins
        self._servers: dict[str, IssuerServer] = {}

    def server(self, name: str) -> IssuerServer:
        server = self._servers.get(name)
        if server is None:
            if self.ctx.issuer(name) is None:
                raise UnknownIssuer(name)
            server = IssuerServer(self.ctx, name, self.plugins)
            self._servers[name] = server
        return server


def oauth_error(status: int, error: str, description: str) -> Response:
    return web.json_response({"error": error, "error_description": safe(description, 200)}, status)


# -- endpoints ---------------------------------------------------------------------------------


def index(idp: IdpApp, request: Request) -> Response:
    ctx = idp.ctx
    return web.json_response(
        {
            "issuers": [
                {"name": cfg.name, "kind": cfg.kind, "issuer": cfg.url(ctx.base_url)}
                for cfg in records.list_issuers(ctx.store)
            ]
        },
        private=False,
    )


def metadata(idp: IdpApp, request: Request, name: str) -> Response:
    from agentctl.idp.metadata import authorization_server_metadata

    return web.json_response(authorization_server_metadata(idp.server(name)), private=False)


def jwks(idp: IdpApp, request: Request, name: str) -> Response:
    idp.server(name)
    ctx = idp.ctx
    return web.json_response(keys.public_jwks(ctx.store, name, ctx.now()), private=False)


def token(idp: IdpApp, request: Request, name: str) -> Response:
    return idp.server(name).create_token_response(request)  # type: ignore[no-any-return]


def introspect(idp: IdpApp, request: Request, name: str) -> Response:
    return idp.server(name).create_endpoint_response("introspection", request)  # type: ignore[no-any-return]


def revoke(idp: IdpApp, request: Request, name: str) -> Response:
    return idp.server(name).create_endpoint_response("revocation", request)  # type: ignore[no-any-return]


def register(idp: IdpApp, request: Request, name: str) -> Response:
    if not isinstance(request.get_json(silent=True), dict):
        return oauth_error(400, "invalid_request", "registration needs a JSON object body")
    server = idp.server(name)
    return server.create_endpoint_response("client_registration", request)  # type: ignore[no-any-return]


def client_configuration(idp: IdpApp, request: Request, name: str, client_id: str) -> Response:
    server = idp.server(name)
    return server.create_endpoint_response("client_configuration", request)  # type: ignore[no-any-return]


def admin_user_token(idp: IdpApp, request: Request, name: str) -> Response:
    from agentctl.idp.userauth import (
        SignInError,
        SignInThrottled,
        authenticate,
        issue_user_tokens,
    )

    ctx = idp.ctx
    if not ctx.admin_signin or not ctx.loopback_only:
        return oauth_error(
            403,
            "access_denied",
            "the admin sign-in route is off (idp serve --admin-signin turns it on, on "
            "loopback only)",
        )
    # The caller's address proves nothing (a same-host proxy forwards anyone): the admin
    # credential from the IdP's data dir does.
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not admin.check(ctx.store, presented.strip()):
        response = oauth_error(
            401,
            "invalid_token",
            "the admin sign-in route needs the admin credential (Authorization: Bearer, "
            "from the IdP's data dir)",
        )
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    srv = idp.server(name)
    cfg = srv.cfg
    form = request.form
    username, password, client_id = (
        form.get("username"),
        form.get("password"),
        form.get("client_id"),
    )
    if not username or not password or not client_id:
        return oauth_error(400, "invalid_request", "username, password and client_id are required")
    client = srv.query_client(client_id)
    if client is None:
        return oauth_error(400, "invalid_client", "unknown client_id")
    try:
        user = authenticate(ctx, name, username, password, source=request.remote_addr)
    except SignInThrottled as exc:
        response = oauth_error(429, "temporarily_unavailable", str(exc))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except SignInError as exc:
        return oauth_error(400, "invalid_grant", str(exc))
    ttl_text = form.get("expires_in")
    tokens = issue_user_tokens(
        ctx,
        cfg,
        user,
        client,
        scope=form.get("scope"),
        targets=form.getlist("resource") + form.getlist("audience"),
        may_act=form.get("may_act"),
        ttl=int(ttl_text) if ttl_text and ttl_text.isdigit() else None,
    )
    return web.json_response(tokens.as_response())


# -- routing -----------------------------------------------------------------------------------

Handler = Callable[..., "Response"]
_SEGMENT = r"([^/]+)"
# (methods, path pattern, handler); the first whose pattern matches wins.
ROUTES: tuple[tuple[frozenset[str], re.Pattern[str], Handler], ...] = tuple(
    (frozenset(methods), re.compile(pattern), handler)
    for methods, pattern, handler in (
        (("GET", "HEAD"), r"/", index),
        (("GET", "HEAD"), rf"/\.well-known/oauth-authorization-server/i/{_SEGMENT}", metadata),
        (("GET", "HEAD"), rf"/\.well-known/openid-configuration/i/{_SEGMENT}", metadata),
        (("GET", "HEAD"), rf"/i/{_SEGMENT}/\.well-known/openid-configuration", metadata),
        (("GET", "HEAD"), rf"/i/{_SEGMENT}/jwks\.json", jwks),
        (("POST",), rf"/i/{_SEGMENT}/token", token),
        (("POST",), rf"/i/{_SEGMENT}/introspect", introspect),
        (("POST",), rf"/i/{_SEGMENT}/revoke", revoke),
        (("POST",), rf"/i/{_SEGMENT}/register", register),
        (
            ("GET", "HEAD", "PUT", "DELETE"),
            rf"/i/{_SEGMENT}/register/{_SEGMENT}",
            client_configuration,
        ),
        (("POST",), rf"/i/{_SEGMENT}/admin/user-token", admin_user_token),
    )
)


def route(method: str, path: str) -> tuple[Handler, tuple[str, ...]] | None:
    """The handler and its path arguments, or None (not a JSON endpoint, or another method:
    the Flask app answers those, 405 and OPTIONS included)."""
    for methods, pattern, handler in ROUTES:
        match = pattern.fullmatch(path)
        if match is not None:
            return (handler, match.groups()) if method in methods else None
    return None


def answer(idp: IdpApp, request: Request) -> Response | None:
    """Screen, route and answer `request`; None when the Flask app should serve it."""
    found = route(request.method, request.path)
    if found is None:
        return None
    handler, args = found
    with web.serving(request):
        return run(idp, request, lambda: handler(idp, request, *args))


def run(idp: IdpApp, request: Request, call: Callable[[], Response]) -> Response:
    """`limits.screen` first, then `call()`, every exception mapped to a JSON error."""
    try:
        refusal = limits.screen(request, loopback_only=idp.ctx.loopback_only)
        if refusal is not None:
            return oauth_error(*refusal)
        return call()
    except Exception as exc:
        return error_response(exc)


def error_response(exc: BaseException) -> Response:
    from authlib.oauth2.base import OAuth2Error

    if isinstance(exc, UnknownIssuer):
        return oauth_error(404, "not_found", f"no issuer named '{exc.args[0]}'")
    if isinstance(exc, web.BodyTooLarge):
        return oauth_error(exc.status, "invalid_request", str(exc))
    if isinstance(exc, OAuth2Error):
        status, body, headers = exc()
        return web.json_response(body, status, headers or ())
    if isinstance(exc, web.MissingField):
        return oauth_error(400, "invalid_request", f"the request has no '{exc.args[0]}'")
    if isinstance(exc, UnicodeError | RecursionError | ValueError):
        # Malformed input that got past the screen (odd encodings, nesting): the client's
        # fault, so a 400, never a 500.
        return oauth_error(400, "invalid_request", "the request is malformed")
    log.error("internal error in the embedded IdP", exc_info=exc)
    return oauth_error(500, "server_error", "internal error (see the server log)")


__all__ = [
    "ROUTES",
    "IdpApp",
    "answer",
    "error_response",
    "oauth_error",
    "route",
    "run",
]
