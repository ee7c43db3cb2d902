"""The JWT-based parts of each issuer, loaded on first use (they pull in Authlib's RFC 7523
and ID-JAG modules and joserfc, which a plain client-credentials or exchange request never
needs):

- `PrivateKeyJWTAuth`: RFC 7523 §2.2 client authentication (`private_key_jwt`) against the
  client's registered JWKS, `aud` = this issuer or one of its endpoints, `jti` single-use.
- `IdJagRedemption`: the ID-JAG profile of the jwt-bearer grant (Authlib's `IDJAGGrant`):
  `typ` oauth-id-jag+jwt, `aud` = this issuer only, `client_id` = the authenticated client,
  `iss` a trusted issuer (never this one: an IdP does not redeem its own ID-JAG).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from authlib.oauth2.drafts import IDJAGGrant
from authlib.oauth2.rfc6749 import InvalidClientError, InvalidGrantError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from agentctl.idp import constants as c
from agentctl.idp import keys, records
from agentctl.idp.grants import token_response
from agentctl.idp.models import Client
from agentctl.idp.policy import (
    InvalidTargetError,
    aud_claim,
    check_targets,
    narrow_scope,
    requested_targets,
    safe,
)
from agentctl.idp.tokens import mint

if TYPE_CHECKING:
    from agentctl.idp.server import IssuerServer


class PrivateKeyJWTAuth(JWTBearerClientAssertion):  # type: ignore[misc]
    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, server: IssuerServer) -> None:
        super().__init__(validate_jti=True, leeway=30)
        self.server = server

    def get_audiences(self) -> list[str]:
        url = self.server.url
        return [
            url,
            *(f"{url}/{p}" for p in ("token", "introspect", "revoke", "device_authorization")),
        ]

    def validate_jti(self, claims: dict[str, Any], jti: str) -> bool:
        ctx = self.server.ctx
        exp = claims.get("exp")
        return records.use_assertion_jti(
            ctx.store,
            self.server.name,
            str(claims["sub"]),
            str(jti),
            exp if isinstance(exp, int) else ctx.now(),
            ctx.now(),
        )

    def resolve_client_public_key(self, client: Client) -> KeySet:
        if not client.jwks:
            raise InvalidClientError(description="the client has no registered public keys")
        try:
            return KeySet.import_key_set(client.jwks)  # type: ignore[arg-type]
        except (JoseError, ValueError) as exc:
            raise InvalidClientError(description="the registered client keys are unusable") from exc


@dataclass
class ExternalSubject:
    """A user known to a resource AS only through a trusted IdP's assertion (the ID-JAG's
    `iss` and `sub`): Authlib's user for the tokens an ID-JAG redemption issues."""

    iss: str
    sub: str

    def get_user_id(self) -> str:
        return self.sub


class IdJagRedemption(IDJAGGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = list(c.AUTH_METHODS)
    server: IssuerServer

    def get_audiences(self) -> list[str]:
        return [self.server.url]

    def resolve_issuer_key(self, issuer: str, headers: dict[str, Any]) -> KeySet:
        ctx = self.server.ctx
        name = ctx.issuer_name_for_url(issuer)
        if name is None or name == self.server.name or name not in self.server.cfg.trusts:
            raise InvalidGrantError(description="the ID-JAG issuer is not trusted here")
        self.assertion_issuer = name
        return keys.verification_keyset(ctx.store, name, ctx.now())

    def authenticate_user(self, subject: str) -> ExternalSubject:
        return ExternalSubject(iss=str(self.request.id_jag_claims["iss"]), sub=subject)

    def check_jti(self, claims: dict[str, Any], jti: str) -> bool:
        # The draft lets a client re-present a still-valid ID-JAG to get a fresh access
        # token, so a seen jti is not refused; an unknown or revoked one is.
        store = self.server.ctx.store
        record = records.get_token(store, str(jti))
        if record is None or record.kind != c.KIND_ID_JAG:
            raise InvalidGrantError(description="the ID-JAG is unknown to its issuer")
        if records.revoked_in_chain(store, record.jti):
            raise InvalidGrantError(description="the ID-JAG has been revoked")
        return True

    def check_id_jag_permission(self, client: Client, user: Any, scopes: list[str]) -> bool:
        narrow_scope(" ".join(scopes), client.allowed_scopes)
        return True

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        client: Client = self.request.client
        cfg = self.server.cfg
        ctx = self.server.ctx
        jag = self.request.id_jag_claims
        resources = [
            str(r)
            for r in (
                [jag["resource"]]
                if isinstance(jag.get("resource"), str)
                else jag.get("resource") or []
            )
        ]
        requested = requested_targets(self.request.payload.datalist)
        # The ID-JAG names the resource it was issued for; a token request may narrow to it,
        # never point elsewhere (a client could otherwise spend one ID-JAG on any resource).
        stray = [r for r in requested if resources and r not in resources]
        if stray:
            raise InvalidTargetError(
                description=f"the ID-JAG was not issued for resource '{safe(stray[0], 80)}'"
            )
        claims: dict[str, Any] = {
            "sub": jag["sub"],
            "sub_profile": jag.get("sub_profile", c.PROFILE_USER),
            "client_id": client.client_id,
            "aud": aud_claim(check_targets(ctx, cfg, client, requested or resources)),
            "idp": jag["iss"],
        }
        if self.request.scope:
            claims["scope"] = self.request.scope
        if isinstance(jag.get("act"), dict):
            claims["act"] = jag["act"]
        issued = mint(
            ctx,
            cfg,
            kind=c.KIND_ACCESS,
            typ=c.TYP_ACCESS_TOKEN,
            claims=claims,
            ttl=cfg.access_ttl,
            client_id=client.client_id,
            grant_type=c.GRANT_JWT_BEARER,
            not_after=int(jag["exp"]),
            parent_jti=str(jag["jti"]),
            detail={"assertion_issuer": jag["iss"]},
        )
        return 200, token_response(issued), self.TOKEN_RESPONSE_HEADER


__all__ = ["ExternalSubject", "IdJagRedemption", "PrivateKeyJWTAuth"]
