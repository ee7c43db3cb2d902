"""The demo web app of each issuer (an `IdpPlugin`): a browser page that shows who acted for
whom, taking the agent's token in each form `agentctl exchange --emit` writes.

    GET <issuer>/app           the page (HTML)
    GET <issuer>/app/whoami    what the page's script asks with a token from browser storage
    GET <issuer>/app/app.js    that script

The app is a front end of the issuer's demo resource: it accepts the tokens the resource
accepts (`resource.check_bearer`: signed by this issuer, unexpired, not revoked, `typ at+jwt`,
the resource in `aud`) and shows the resource's audit sentence. A token reaches it as
- an `Authorization: Bearer` header on the page request (the Playwright forms),
- the `access_token` cookie (the cookie form; over plain http only on a loopback-only server,
  as the IdP takes no credentials over plain http beyond loopback),
- `localStorage`/`sessionStorage` (the storage forms): the page's script reads the entry
  (`?key=NAME`, default `access_token`; a raw token, a JSON object with `access_token` or
  `?field=NAME`, or an MSAL.js cache) and calls `whoami` with it in the header.
The page marks its outcome on `<body data-state>`: `signed-in`, `refused` or `anonymous`
(`pending` while the script works), with the form that carried the token in `#via`. Refused
tokens (expired, wrong audience, …) are shown with the reason. Every view with a token, served
or refused, is audited (`webapp:view`, `webapp:refused`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentctl.idp.resource import Refusal, check_bearer, describe, record_use

if TYPE_CHECKING:
    from flask import Flask, Response

    from agentctl.idp.context import IdpContext
    from agentctl.idp.server import IssuerServer
    from agentctl.idp.tokens import VerifiedToken

APP_PATH = "app"
COOKIE = "access_token"  # agentctl.core.emit.DEFAULT_COOKIE
EVENT_VIEW = "webapp:view"
EVENT_REFUSED = "webapp:refused"
SCRIPT = Path(__file__).parent / "static" / "webapp.js"
CSP = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; "
    "img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def app_url(ctx: IdpContext, issuer: str) -> str:
    return f"{ctx.issuer_url(issuer)}/{APP_PATH}"


def _presented() -> tuple[str | None, str | None]:
    """(via, Authorization value) of the page request: the header first, then the cookie."""
    from flask import request

    authorization = request.headers.get("Authorization")
    if authorization:
        return "header", authorization
    cookie = request.cookies.get(COOKIE)
    if cookie:
        return "cookie", f"Bearer {cookie}"
    return None, None


def _view(server: IssuerServer, via: str, authorization: str) -> tuple[dict[str, Any], int]:
    """What the app shows for a token, and the HTTP status; audited."""
    from flask import request

    ctx = server.ctx
    token: VerifiedToken | None = None
    try:
        if via == "cookie" and not ctx.loopback_only and request.scheme != "https":
            raise Refusal(
                "invalid_request", "the token cookie is accepted over https only", status=400
            )
        token = check_bearer(server, authorization)
    except Refusal as refusal:
        seen: dict[str, Any] = {
            "ok": False,
            "via": via,
            "error": refusal.error or "invalid_token",
            "error_description": refusal.description,
        }
        _audit(server, None, seen)
        return seen, refusal.status
    seen = {**describe(server, token), "via": via, "app": app_url(ctx, server.name)}
    _audit(server, token, seen)
    return seen, 200


def _audit(server: IssuerServer, token: VerifiedToken | None, seen: dict[str, Any]) -> None:
    from flask import request

    detail: dict[str, Any] = {"via": seen.get("via"), "method": request.method}
    if seen.get("ok"):
        detail.update(mode=seen["mode"], sentence=seen["audit"])
    else:
        detail.update(error=seen.get("error"), reason=seen.get("error_description"))
    record_use(server, token, EVENT_VIEW if seen.get("ok") else EVENT_REFUSED, detail)


def _secure(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


class WebAppPlugin:
    def init_app(self, app: Flask, ctx: IdpContext) -> None:
        from flask import jsonify, make_response, render_template, request

        from agentctl.idp.app import idp_of

        @app.get(f"/i/<name>/{APP_PATH}")
        def demo_app(name: str) -> Response:
            server = idp_of(app).server(name)
            via, authorization = _presented()
            seen: dict[str, Any] | None = None
            status = 200
            if via is not None and authorization is not None:
                seen, status = _view(server, via, authorization)
            page = render_template(
                "webapp.html",
                issuer=server.name,
                seen=seen,
                # Relative (to /i/<name>/app): the page works under whatever host name the
                # browser used, and script-src 'self' holds.
                script=f"{APP_PATH}/app.js",
                whoami=f"{APP_PATH}/whoami",
            )
            return _secure(make_response(page, status))

        @app.get(f"/i/<name>/{APP_PATH}/whoami")
        def demo_app_whoami(name: str) -> Response:
            server = idp_of(app).server(name)
            seen, status = _view(server, "storage", request.headers.get("Authorization") or "")
            response = jsonify(seen)
            response.status_code = status
            return _secure(response)

        @app.get(f"/i/<name>/{APP_PATH}/app.js")
        def demo_app_script(name: str) -> Response:
            idp_of(app).server(name)  # 404 for an unknown issuer, as every other route
            response = make_response(SCRIPT.read_text(encoding="utf-8"))
            response.headers["Content-Type"] = "text/javascript; charset=utf-8"
            return _secure(response)

    def init_issuer(self, server: IssuerServer) -> None:
        return None

    def metadata(self, server: IssuerServer) -> dict[str, Any]:
        return {}


def plugin() -> WebAppPlugin:
    return WebAppPlugin()


__all__ = ["APP_PATH", "COOKIE", "EVENT_REFUSED", "EVENT_VIEW", "WebAppPlugin", "app_url", "plugin"]
