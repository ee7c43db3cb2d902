"""A Microsoft Entra emulator: the v2.0 token endpoint, OIDC metadata, JWKS and the Microsoft Graph
endpoints agentctl uses, mounted under the real hostnames through an httpx transport.

    emu = EntraEmulator()
    http = build_http_client(transport=emu.transport())
    http.get("https://login.microsoftonline.com/<tenant>/v2.0/.well-known/openid-configuration")
"""

from __future__ import annotations

from tests.emulators.entra.model import (
    GRAPH_APP_ID,
    TOKEN_EXCHANGE_AUDIENCE,
    EntraEmulator,
    Tenant,
)
from tests.emulators.entra.transport import EntraTransport

__all__ = ["GRAPH_APP_ID", "TOKEN_EXCHANGE_AUDIENCE", "EntraEmulator", "EntraTransport", "Tenant"]
