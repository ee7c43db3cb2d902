"""The IdP as one WSGI application: what `idp serve` and the in-process client run.

    create_wsgi_app(ctx)   # every issuer, every endpoint

The JSON endpoints (`agentctl.idp.api`: token, introspection, revocation, registration,
metadata, keys) are answered here on plain WSGI; only the HTML pages and odd methods reach the
Flask app, which is built (and Flask imported) on the first such request. A CLI command that
talks to the embedded IdP in-process therefore never imports Flask, and a served token costs
no Flask request plumbing.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from agentctl.idp import api, web

if TYPE_CHECKING:
    from agentctl.idp.context import IdpContext
    from agentctl.idp.server import IdpPlugin

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class IdpWsgi:
    def __init__(self, ctx: IdpContext, plugins: list[IdpPlugin] | None = None) -> None:
        self.ctx = ctx
        self.idp = api.IdpApp(ctx, plugins)
        self._pages: WsgiApp | None = None
        self._pages_lock = threading.Lock()

    def pages(self) -> WsgiApp:
        """The Flask app (HTML pages), made once, on first use."""
        if self._pages is None:
            with self._pages_lock:
                if self._pages is None:
                    from agentctl.idp.app import create_app

                    self._pages = create_app(self.ctx, idp=self.idp)
        return self._pages

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        try:
            request = web.Request.from_environ(environ)
        except web.BodyTooLarge as exc:
            return api.error_response(exc)(environ, start_response)
        response = api.answer(self.idp, request)
        if response is not None:
            return response(environ, start_response)
        # Not a JSON endpoint: the body was read already, so hand Flask a copy of it.
        environ["wsgi.input"] = io.BytesIO(request.body)
        environ["CONTENT_LENGTH"] = str(len(request.body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.pages()(environ, start_response)


def create_wsgi_app(ctx: IdpContext, *, plugins: list[IdpPlugin] | None = None) -> IdpWsgi:
    return IdpWsgi(ctx, plugins)


__all__ = ["IdpWsgi", "create_wsgi_app"]
