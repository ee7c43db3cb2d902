"""Route httpx requests by host: `login.microsoftonline.com` to the emulated login service,
`graph.microsoft.com` to the emulated Graph; anything else is a connection error, so a test that
leaks to another host fails loudly instead of reaching the internet."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from tests.emulators.entra.graph import create_graph_app
from tests.emulators.entra.login import create_login_app

if TYPE_CHECKING:
    from tests.emulators.entra.model import EntraEmulator

LOGIN_HOST = "login.microsoftonline.com"
GRAPH_HOST = "graph.microsoft.com"


class EntraTransport(httpx.BaseTransport):
    def __init__(self, emu: EntraEmulator) -> None:
        self.emu = emu
        self.routes = {
            LOGIN_HOST: httpx.WSGITransport(app=create_login_app(emu)),
            GRAPH_HOST: httpx.WSGITransport(app=create_graph_app(emu)),
        }
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        target = self.routes.get(request.url.host)
        if target is None or request.url.scheme != "https":
            raise httpx.ConnectError(f"emulator: no route to {request.url}", request=request)
        self.requests.append(request)
        return target.handle_request(request)


__all__ = ["GRAPH_HOST", "LOGIN_HOST", "EntraTransport"]
