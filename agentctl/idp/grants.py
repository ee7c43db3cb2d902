"""Authlib grants for each issuer (token exchange is in `exchange.py`, the JWT-based client
authentication and the ID-JAG grant in `jwt_grants.py`, loaded on first use):

- `ClientCredentials`: RFC 6749 §4.4 → an RFC 9068 JWT access token whose `sub` is the client
  (`sub_profile: ai_agent` for agents), honouring `resource`/`audience` (RFC 8707).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant

from agentctl.idp import constants as c
from agentctl.idp.models import Client
from agentctl.idp.policy import aud_claim, check_targets, narrow_scope, requested_targets
from agentctl.idp.tokens import IssuedToken, mint

if TYPE_CHECKING:
    from agentctl.idp.server import IssuerServer


def token_response(
    issued: IssuedToken,
    *,
    token_type: str = c.TOKEN_TYPE_BEARER,
    issued_token_type: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "access_token": issued.token,
        "token_type": token_type,
        "expires_in": issued.expires_in,
    }
    if issued_token_type:
        body["issued_token_type"] = issued_token_type
    if issued.claims.get("scope"):
        body["scope"] = issued.claims["scope"]
    return body


class ClientCredentials(ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = list(c.AUTH_METHODS)
    server: IssuerServer

    def validate_token_request(self) -> None:
        super().validate_token_request()
        client: Client = self.request.client
        self.granted_scope = narrow_scope(self.request.payload.scope, client.allowed_scopes)
        self.audience = check_targets(
            self.server.ctx,
            self.server.cfg,
            client,
            requested_targets(self.request.payload.datalist),
        )

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        client: Client = self.request.client
        cfg = self.server.cfg
        claims: dict[str, Any] = {
            "sub": client.client_id,
            "sub_profile": client.sub_profile,
            "client_id": client.client_id,
            "aud": aud_claim(self.audience),
        }
        if self.granted_scope:
            claims["scope"] = self.granted_scope
        issued = mint(
            self.server.ctx,
            cfg,
            kind=c.KIND_ACCESS,
            typ=c.TYP_ACCESS_TOKEN,
            claims=claims,
            ttl=cfg.access_ttl,
            client_id=client.client_id,
            grant_type=self.GRANT_TYPE,
        )
        return 200, token_response(issued), self.TOKEN_RESPONSE_HEADER


__all__ = ["ClientCredentials", "token_response"]
