"""An MCP server built with the official MCP Python SDK (`mcp` on PyPI), as a third party
would write one: streamable HTTP at /mcp, RFC 9728 metadata naming its authorization server,
and bearer tokens verified against that server's JWKS (signature, `iss`, `aud` = this
resource, expiry) — nothing of agentctl's own code.

    python -m tests.mcp.server --port 9300 --issuer http://127.0.0.1:8400/i/mcp-as

Tools: `whoami` (the token's sub, act, client_id, scope, iss as JSON) and `echo`.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import httpx
import jwt
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer


class JwksVerifier:
    """Verify RFC 9068 JWT access tokens from one issuer (keys from its metadata's jwks_uri)."""

    def __init__(self, issuer: str, resource: str) -> None:
        self.issuer, self.resource = issuer, resource
        self._keys: jwt.PyJWKSet | None = None
        self._fetched = 0.0

    def _keyset(self, refresh: bool = False) -> jwt.PyJWKSet:
        if self._keys is None or refresh or time.monotonic() - self._fetched > 60:
            base, _, path = self.issuer.partition("/i/")
            meta = httpx.get(f"{base}/.well-known/oauth-authorization-server/i/{path}").json()
            self._keys = jwt.PyJWKSet.from_dict(httpx.get(meta["jwks_uri"]).json())
            self._fetched = time.monotonic()
        return self._keys

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            keys = [k for k in self._keyset().keys if k.key_id == kid] or [
                k for k in self._keyset(refresh=True).keys if k.key_id == kid
            ]
            if not keys:
                return None
            claims: dict[str, Any] = jwt.decode(
                token,
                keys[0].key,
                algorithms=["ES256", "RS256"],
                audience=self.resource,
                issuer=self.issuer,
            )
        except (jwt.PyJWTError, httpx.HTTPError, ValueError):
            return None
        return AccessToken(
            token=token,
            client_id=str(claims.get("client_id", "")),
            scopes=str(claims.get("scope", "")).split(),
            expires_at=int(claims["exp"]),
            resource=self.resource,
            subject=str(claims.get("sub")),
            claims=claims,
        )


def build(issuer: str, port: int) -> Any:
    resource = f"http://127.0.0.1:{port}/mcp"
    server = MCPServer(
        name="fixture",
        token_verifier=JwksVerifier(issuer, resource),
        auth=AuthSettings.model_validate(
            {
                "issuer_url": issuer,
                "resource_server_url": resource,
                "validate_token_resource": True,
            }
        ),
    )

    @server.tool()
    def whoami() -> str:
        """Who the bearer token says is calling."""
        token = get_access_token()
        claims = (token.claims if token else None) or {}
        return json.dumps({k: claims.get(k) for k in ("sub", "act", "client_id", "scope", "iss")})

    @server.tool()
    def echo(text: str) -> str:
        """Echo the text back."""
        return text

    return server.streamable_http_app(host="127.0.0.1")


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--issuer", required=True)
    args = parser.parse_args()
    app = build(args.issuer, args.port)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
