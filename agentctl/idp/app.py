"""The Flask app: the IdP's HTML pages (device sign-in, consent, the demo web app and
resource), plus every JSON endpoint of `agentctl.idp.api` on the same routes.

    create_app(ctx)            # ctx = IdpContext(store, base_url, bind_host)

`agentctl.idp.wsgi.create_wsgi_app` is what runs: it answers the JSON endpoints without Flask
and hands only the rest to this app. Both share one `IdpApp` and one `api.run`, so an endpoint
answers the same whichever way it was reached. Every error is an RFC 6749 §5.2 JSON body; no
stack trace ever leaves the server.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, request

from agentctl.idp import api, limits, web
from agentctl.idp.api import IdpApp, oauth_error
from agentctl.idp.context import IdpContext
from agentctl.idp.server import IdpPlugin, UnknownIssuer

log = logging.getLogger(__name__)
EXTENSION = "agentctl_idp"
_TOKENS = "agentctl_idp_tokens"


def idp_of(app: Flask) -> IdpApp:
    return app.extensions[EXTENSION]  # type: ignore[no-any-return]


def create_app(
    ctx: IdpContext, *, plugins: list[IdpPlugin] | None = None, idp: IdpApp | None = None
) -> Flask:
    app = Flask("agentctl.idp")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    # Every request body is small (a form, a registration); refuse big ones before parsing.
    app.config["MAX_CONTENT_LENGTH"] = limits.MAX_BODY
    app.config["MAX_FORM_PARTS"] = limits.MAX_FORM_PARTS
    idp = idp or IdpApp(ctx, plugins)
    app.extensions[EXTENSION] = idp

    for methods, pattern, handler in api.ROUTES:
        rule = pattern.pattern.replace("\\", "")
        parts = iter(("<a>", "<b>"))
        while "([^/]+)" in rule:
            rule = rule.replace("([^/]+)", next(parts), 1)
        app.add_url_rule(
            rule,
            endpoint=f"{handler.__name__}:{rule}",
            view_func=_view(idp, handler),
            methods=sorted(methods - {"HEAD"}),
        )

    for plugin in idp.plugins:
        plugin.init_app(app, ctx)

    @app.before_request
    def screen() -> Any:
        # The pages see the same request object the JSON endpoints do (Authlib's requests
        # are built from it).
        current = web.Request(request.environ, request.get_data(cache=True))
        setattr(request, _TOKENS, web.enter(current))
        refusal = limits.screen(current, loopback_only=ctx.loopback_only)
        return None if refusal is None else oauth_error(*refusal)

    @app.teardown_request
    def leave(exc: BaseException | None) -> None:
        tokens = getattr(request, _TOKENS, None)
        if tokens is not None:
            web.leave(tokens)

    @app.errorhandler(UnknownIssuer)
    def unknown_issuer(exc: UnknownIssuer) -> web.Response:
        return api.error_response(exc)

    @app.errorhandler(404)
    def not_found(exc: Exception) -> web.Response:
        return oauth_error(404, "not_found", "no such endpoint")

    @app.errorhandler(405)
    def bad_method(exc: Exception) -> web.Response:
        return oauth_error(405, "invalid_request", "method not allowed")

    @app.errorhandler(Exception)
    def internal(exc: Exception) -> web.Response:
        if hasattr(exc, "code") and isinstance(exc.code, int) and exc.code < 500:
            return oauth_error(exc.code, "invalid_request", "the request was refused")
        return api.error_response(exc)

    return app


def _view(idp: IdpApp, handler: api.Handler) -> Any:
    def view(**kwargs: str) -> web.Response:
        current = web.current()
        return api.run(idp, current, lambda: handler(idp, current, *kwargs.values()))

    return view


__all__ = ["EXTENSION", "IdpApp", "create_app", "idp_of"]
