"""The Flask app factory: every issuer on one server, by path.

    create_app(ctx)            # ctx = IdpContext(store, base_url, bind_host)

Routes for issuer `<base>/i/<name>` (see `metadata.py` for the endpoint list):
    GET  /.well-known/oauth-authorization-server/i/<name>    RFC 8414 metadata
    GET  /i/<name>/.well-known/openid-configuration          OIDC discovery (same document)
    GET  /i/<name>/jwks.json                                 signing keys (incl. rotated-out)
    POST /i/<name>/token | introspect | revoke | register    Authlib endpoints
    GET|PUT|DELETE /i/<name>/register/<client_id>            RFC 7592
    POST /i/<name>/admin/user-token                          admin sign-in (credential needed)
    GET  /                                                   the issuers, as JSON

Every error is an RFC 6749 §5.2 JSON body; no stack trace ever leaves the server.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response, jsonify, request

from agentctl.idp import admin, keys, limits, records
from agentctl.idp.context import IdpContext
from agentctl.idp.metadata import authorization_server_metadata
from agentctl.idp.policy import safe
from agentctl.idp.server import IdpPlugin, IssuerServer, UnknownIssuer, default_plugins
from agentctl.idp.userauth import SignInError, SignInThrottled, authenticate, issue_user_tokens

log = logging.getLogger(__name__)
EXTENSION = "agentctl_idp"


class IdpApp:
    """What `create_app` stores in `app.extensions["agentctl_idp"]`."""

    def __init__(self, ctx: IdpContext, plugins: list[IdpPlugin]) -> None:
        self.ctx = ctx
        self.plugins = plugins
        self._servers: dict[str, IssuerServer] = {}

    def server(self, name: str) -> IssuerServer:
        server = self._servers.get(name)
        if server is None:
            if self.ctx.issuer(name) is None:
                raise UnknownIssuer(name)
            server = IssuerServer(self.ctx, name, self.plugins)
            self._servers[name] = server
        return server


def idp_of(app: Flask) -> IdpApp:
    return app.extensions[EXTENSION]  # type: ignore[no-any-return]


def oauth_error(status: int, error: str, description: str) -> Response:
    response = jsonify({"error": error, "error_description": safe(description, 200)})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def create_app(ctx: IdpContext, *, plugins: list[IdpPlugin] | None = None) -> Flask:
    app = Flask("agentctl.idp")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    # Every request body is small (a form, a registration); refuse big ones before parsing.
    app.config["MAX_CONTENT_LENGTH"] = limits.MAX_BODY
    app.config["MAX_FORM_PARTS"] = limits.MAX_FORM_PARTS
    idp = IdpApp(ctx, default_plugins() if plugins is None else plugins)
    app.extensions[EXTENSION] = idp

    def server(name: str) -> IssuerServer:
        return idp.server(name)

    @app.get("/")
    def index() -> Response:
        return jsonify(
            {
                "issuers": [
                    {"name": cfg.name, "kind": cfg.kind, "issuer": cfg.url(ctx.base_url)}
                    for cfg in records.list_issuers(ctx.store)
                ]
            }
        )

    @app.get("/.well-known/oauth-authorization-server/i/<name>")
    @app.get("/.well-known/openid-configuration/i/<name>")  # RFC 8414 §5 path-aware OIDC
    @app.get("/i/<name>/.well-known/openid-configuration")
    def metadata(name: str) -> Response:
        return jsonify(authorization_server_metadata(server(name)))

    @app.get("/i/<name>/jwks.json")
    def jwks(name: str) -> Response:
        server(name)
        return jsonify(keys.public_jwks(ctx.store, name, ctx.now()))

    @app.post("/i/<name>/token")
    def token(name: str) -> Any:
        return server(name).create_token_response()

    @app.post("/i/<name>/introspect")
    def introspect(name: str) -> Any:
        return server(name).create_endpoint_response("introspection")

    @app.post("/i/<name>/revoke")
    def revoke(name: str) -> Any:
        return server(name).create_endpoint_response("revocation")

    @app.post("/i/<name>/register")
    def register(name: str) -> Any:
        if not isinstance(request.get_json(silent=True), dict):
            return oauth_error(400, "invalid_request", "registration needs a JSON object body")
        return server(name).create_endpoint_response("client_registration")

    @app.route("/i/<name>/register/<client_id>", methods=["GET", "PUT", "DELETE"])
    def client_configuration(name: str, client_id: str) -> Any:
        return server(name).create_endpoint_response("client_configuration")

    @app.post("/i/<name>/admin/user-token")
    def admin_user_token(name: str) -> Response:
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
        srv = server(name)
        cfg = srv.cfg
        form = request.form
        username, password, client_id = (
            form.get("username"),
            form.get("password"),
            form.get("client_id"),
        )
        if not username or not password or not client_id:
            return oauth_error(
                400, "invalid_request", "username, password and client_id are required"
            )
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
        response = jsonify(tokens.as_response())
        response.headers["Cache-Control"] = "no-store"
        return response

    for plugin in idp.plugins:
        plugin.init_app(app, ctx)

    @app.before_request
    def screen() -> Response | None:
        refusal = limits.screen(request, loopback_only=ctx.loopback_only)
        return None if refusal is None else oauth_error(*refusal)

    @app.errorhandler(UnknownIssuer)
    def unknown_issuer(exc: UnknownIssuer) -> Response:
        return oauth_error(404, "not_found", f"no issuer named '{exc.args[0]}'")

    @app.errorhandler(404)
    def not_found(exc: Exception) -> Response:
        return oauth_error(404, "not_found", "no such endpoint")

    @app.errorhandler(405)
    def bad_method(exc: Exception) -> Response:
        return oauth_error(405, "invalid_request", "method not allowed")

    @app.errorhandler(Exception)
    def internal(exc: Exception) -> Response:
        from authlib.oauth2.base import OAuth2Error

        if isinstance(exc, OAuth2Error):
            status, body, headers = exc()
            return Response(json.dumps(body), status, headers)
        if hasattr(exc, "code") and isinstance(exc.code, int) and exc.code < 500:
            return oauth_error(exc.code, "invalid_request", "the request was refused")
        if isinstance(exc, UnicodeError | RecursionError | ValueError):
            # Malformed input that got past the screen (odd encodings, nesting): the client's
            # fault, so a 400, never a 500.
            return oauth_error(400, "invalid_request", "the request is malformed")
        log.exception("internal error in the embedded IdP")
        return oauth_error(500, "server_error", "internal error (see the server log)")

    return app


__all__ = ["EXTENSION", "IdpApp", "create_app", "idp_of", "oauth_error"]
