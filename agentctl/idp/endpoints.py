"""Authlib endpoints for each issuer: introspection (RFC 7662), revocation (RFC 7009), dynamic
client registration (RFC 7591) and client configuration (RFC 7592).

Introspection answers `{"active": false}` for a token that is expired, revoked, or exchanged
(at any depth) from a revoked token; the parent-jti chain is followed in SQL.
Registration is open on loopback demo issuers (`open_registration`); the extension member
`sub_profile: "ai_agent"` (with `sponsor`, `description`, `may_act_for`) registers an agent.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from authlib.oauth2.claims import BaseClaims
from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint, InvalidClientMetadataError
from authlib.oauth2.rfc7591.claims import ClientMetadataClaims
from authlib.oauth2.rfc7592 import ClientConfigurationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from agentctl.idp import constants as c
from agentctl.idp import keys, records
from agentctl.idp.models import Agent, Client, TokenRecord
from agentctl.idp.policy import safe
from agentctl.idp.secrets import check_secret, hash_secret, new_id, new_secret
from agentctl.idp.tokens import TokenRejected, unverified_parts

if TYPE_CHECKING:
    from agentctl.idp.server import IssuerServer

DEFAULT_GRANT_TYPES = [
    c.GRANT_CLIENT_CREDENTIALS,
    c.GRANT_TOKEN_EXCHANGE,
    c.GRANT_JWT_BEARER,
    c.GRANT_DEVICE_CODE,
]
_INTROSPECTED_CLAIMS = (
    "sub",
    "aud",
    "iss",
    "exp",
    "iat",
    "nbf",
    "jti",
    "client_id",
    "scope",
    "act",
    "may_act",
    "sub_profile",
)


@dataclass
class KnownToken:
    """A token this issuer signed and recorded (Authlib's TokenMixin surface)."""

    claims: dict[str, Any]
    record: TokenRecord
    revoked: bool
    now: int

    def is_expired(self) -> bool:
        return self.record.exp <= self.now

    def is_revoked(self) -> bool:
        return self.revoked

    def check_client(self, client: Client) -> bool:
        return self.record.client_id == client.client_id

    def get_scope(self) -> str:
        return str(self.claims.get("scope", ""))


def find_token(server: IssuerServer, token: str) -> KnownToken | None:
    """The token when this issuer signed it (its published keys) and recorded it; else None."""
    ctx = server.ctx
    try:
        _, claims = unverified_parts(token)
    except TokenRejected:
        return None
    if ctx.issuer_name_for_url(claims.get("iss")) != server.name:
        return None
    now = ctx.now()
    try:
        decoded = jwt.decode(
            token,
            keys.verification_keys(ctx.store, server.name, now),
            algorithms=list(c.SIGNING_ALGS),
        )
    except (JoseError, ValueError):
        return None
    jti = decoded.claims.get("jti")
    record = records.get_token(ctx.store, jti) if isinstance(jti, str) else None
    if record is None or record.issuer != server.name:
        return None
    revoked = records.revoked_in_chain(ctx.store, record.jti)
    return KnownToken(claims=decoded.claims, record=record, revoked=revoked, now=now)


class Introspection(IntrospectionEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS: ClassVar[list[str]] = list(c.AUTH_METHODS)
    server: IssuerServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> KnownToken | None:
        return find_token(self.server, token_string)

    def check_permission(self, token: KnownToken, client: Client, request: Any) -> bool:
        # Any client authenticated at this issuer may introspect (resource servers are clients).
        return True

    def introspect_token(self, token: KnownToken) -> dict[str, Any]:
        body: dict[str, Any] = {"active": True}
        body.update({k: token.claims[k] for k in _INTROSPECTED_CLAIMS if k in token.claims})
        body["token_type"] = "Bearer" if token.record.kind == c.KIND_ACCESS else "N_A"
        body["agentctl_token_kind"] = token.record.kind
        return body


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS: ClassVar[list[str]] = list(c.AUTH_METHODS)
    server: IssuerServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> KnownToken | None:
        return find_token(self.server, token_string)

    def revoke_token(self, token: KnownToken, request: Any) -> None:
        ctx = self.server.ctx
        records.revoke_token(
            ctx.store,
            token.record.jti,
            issuer=self.server.name,
            client_id=request.client.client_id,
            now=ctx.now(),
        )


_STRING_MEMBERS = (
    "client_name",
    "scope",
    "token_endpoint_auth_method",
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "jwks_uri",
    "software_id",
    "software_version",
    "sponsor",
    "description",
    "sub_profile",
)
_LIST_MEMBERS = (
    "redirect_uris",
    "grant_types",
    "response_types",
    "contacts",
    "may_act_for",
    "allowed_audiences",
    "subject_audiences",
)


class AgentMetadataClaims(BaseClaims):  # type: ignore[misc]
    """agentctl's registration extension members (RFC 7591 §2 allows extensions)."""

    REGISTERED_CLAIMS: ClassVar[list[str]] = [
        "sub_profile",
        "sponsor",
        "description",
        "may_act_for",
        "allowed_audiences",
        "subject_audiences",
    ]

    def validate(self, now: Any = None, leeway: int = 0) -> None:
        # Runs before Authlib's RFC 7591 checks, which assume well-typed members.
        super().validate(now, leeway)
        for name, value in self.items():
            if value is None:
                raise InvalidClientMetadataError(f"'{safe(name, 40)}' must not be null")
        for name in _STRING_MEMBERS:
            if name in self and not isinstance(self[name], str):
                raise InvalidClientMetadataError(f"'{name}' must be a string")
        for name in _LIST_MEMBERS:
            value = self.get(name)
            if value is not None and (
                not isinstance(value, list) or not all(isinstance(v, str) for v in value)
            ):
                raise InvalidClientMetadataError(f"'{name}' must be an array of strings")
        jwks = self.get("jwks")
        if jwks is not None and not (
            isinstance(jwks, dict)
            and isinstance(jwks.get("keys"), list)
            and all(isinstance(k, dict) for k in jwks["keys"])
        ):
            raise InvalidClientMetadataError("'jwks' must be a JWK set object")
        if self.get("sub_profile") not in (None, c.PROFILE_AGENT, c.PROFILE_SERVICE):
            raise InvalidClientMetadataError("'sub_profile' must be ai_agent or service")


class _Credential:
    """The (open-registration) credential of a registration request."""


class Registration(ClientRegistrationEndpoint):  # type: ignore[misc]
    server: IssuerServer

    def __init__(self, server: Any = None) -> None:
        super().__init__(server, claims_classes=[AgentMetadataClaims, ClientMetadataClaims])

    def authenticate_token(self, request: Any) -> _Credential | None:
        return _Credential() if self.server.cfg.open_registration else None

    def get_server_metadata(self) -> dict[str, Any]:
        from agentctl.idp.metadata import authorization_server_metadata

        return authorization_server_metadata(self.server)

    def generate_client_id(self, request: Any) -> str:
        return new_id("cli")

    def generate_client_info(self, request: Any) -> dict[str, Any]:
        info: dict[str, Any] = super().generate_client_info(request)
        method = (request.payload.data or {}).get("token_endpoint_auth_method")
        if method == "private_key_jwt":
            info.pop("client_secret", None)
            info.pop("client_secret_expires_at", None)
        else:
            info["client_secret"] = new_secret()
        return info

    def save_client(
        self, client_info: dict[str, Any], client_metadata: dict[str, Any], request: Any
    ) -> Client:
        metadata = validate_client_metadata(client_metadata)
        registration_token = new_secret()
        request.registration_token = registration_token
        secret = client_info.get("client_secret")
        client = Client(
            issuer=self.server.name,
            client_id=client_info["client_id"],
            secret_hash=hash_secret(secret) if secret else None,
            metadata=metadata,
            client_id_issued_at=client_info["client_id_issued_at"],
            registration_token_hash=hash_secret(registration_token),
        )
        if metadata.get("sub_profile") == c.PROFILE_AGENT:
            agent = Agent(
                issuer=self.server.name,
                client_id=client.client_id,
                name=str(metadata.get("client_name") or client.client_id),
                description=str(metadata.get("description", "")),
                sponsor=str(metadata.get("sponsor", "")),
                credential_type="private_key_jwt" if secret is None else "client_secret",
                may_act_for=list(metadata.get("may_act_for") or ["*"]),
                created_at=client.client_id_issued_at,
            )
            # Like IdpService.create_agent: the same client id and credential at every
            # resource issuer that trusts this one, so the agent can redeem its ID-JAGs there.
            # RFC 7592 management (the registration access token) stays with this issuer.
            pairs = [(client, agent)]
            for name in _resource_issuers_trusting(self.server):
                mirror_client = dataclasses.replace(
                    client, issuer=name, metadata=dict(metadata), registration_token_hash=None
                )
                pairs.append((mirror_client, dataclasses.replace(agent, issuer=name)))
            records.insert_agents(self.server.ctx.store, pairs)
            client.agent = agent
            request.registered_at = [pair[0].issuer for pair in pairs]
        else:
            records.insert_client(self.server.ctx.store, client)
        return client

    def generate_client_registration_info(self, client: Client, request: Any) -> dict[str, Any]:
        # RFC 7591 §3.2.1: echo the metadata as registered (defaults filled in).
        info = {
            **client.metadata,
            "registration_client_uri": f"{self.server.url}/register/{client.client_id}",
            "registration_access_token": request.registration_token,
        }
        registered_at = getattr(request, "registered_at", None)
        if registered_at:
            info["agentctl_registered_at"] = registered_at  # an extension member (RFC 7591 §2)
        return info


def _resource_issuers_trusting(server: IssuerServer) -> list[str]:
    return [
        cfg.name
        for cfg in records.list_issuers(server.ctx.store)
        if cfg.kind == "resource" and server.name in cfg.trusts and cfg.name != server.name
    ]


def validate_client_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """Rules beyond Authlib's RFC 7591 checks; returns the metadata with defaults filled."""
    out = dict(metadata)
    method = out.setdefault("token_endpoint_auth_method", "client_secret_basic")
    if method not in c.AUTH_METHODS:
        raise InvalidClientMetadataError(
            "token_endpoint_auth_method must be client_secret_basic, client_secret_post or "
            "private_key_jwt"
        )
    if method == "private_key_jwt":
        if out.get("jwks_uri") or not isinstance(out.get("jwks"), dict):
            raise InvalidClientMetadataError(
                "private_key_jwt needs 'jwks' (jwks_uri is not fetched)"
            )
        try:
            keyset = KeySet.import_key_set(out["jwks"])
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise InvalidClientMetadataError("'jwks' is not a usable JWK set") from exc
        if any(key.is_private for key in keyset.keys):
            raise InvalidClientMetadataError("'jwks' must hold public keys only")
    out.setdefault("grant_types", list(DEFAULT_GRANT_TYPES))
    return out


class ClientConfiguration(ClientConfigurationEndpoint):  # type: ignore[misc]
    server: IssuerServer

    def __init__(self, server: Any = None) -> None:
        super().__init__(server, claims_classes=[AgentMetadataClaims, ClientMetadataClaims])

    def authenticate_token(self, request: Any) -> Any:
        auth = request.headers.get("Authorization", "")
        scheme, _, value = auth.partition(" ")
        client = self.authenticate_client(request)
        if (
            scheme.lower() != "bearer"
            or client is None
            or not check_secret(value, client.registration_token_hash)
        ):
            # RFC 7592 §2.1: a bad registration access token is a 401 invalid_token.
            raise InvalidTokenError(description="invalid registration access token")
        return _RegistrationToken(client.client_id)

    def authenticate_client(self, request: Any) -> Client | None:
        client_id = request.uri.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
        return records.get_client(self.server.ctx.store, self.server.name, client_id)

    def revoke_access_token(self, request: Any, token: Any) -> None:
        return None

    def check_permission(self, client: Client, request: Any) -> bool:
        return True

    def delete_client(self, client: Client, request: Any) -> None:
        for name in [client.issuer, *_resource_issuers_trusting(self.server)]:
            mirror = records.get_client(self.server.ctx.store, name, client.client_id)
            if name == client.issuer or (mirror is not None and mirror.agent is not None):
                records.delete_client(self.server.ctx.store, name, client.client_id)

    def update_client(
        self, client: Client, client_metadata: dict[str, Any], request: Any
    ) -> Client:
        keep = {k: v for k, v in client.metadata.items() if k == "sub_profile"}
        metadata = validate_client_metadata({**client_metadata, **keep})
        return records.update_client_metadata(self.server.ctx.store, client, metadata)

    def introspect_client(self, client: Client) -> dict[str, Any]:
        return {
            "client_id": client.client_id,
            "client_id_issued_at": client.client_id_issued_at,
            **client.metadata,
        }

    def generate_client_registration_info(self, client: Client, request: Any) -> dict[str, str]:
        return {
            "registration_client_uri": f"{self.server.url}/register/{client.client_id}",
            "registration_access_token": request.headers["Authorization"].split(" ", 1)[1],
        }

    def get_server_metadata(self) -> dict[str, Any]:
        from agentctl.idp.metadata import authorization_server_metadata

        return authorization_server_metadata(self.server)


@dataclass
class _RegistrationToken:
    client_id: str

    def check_client(self, client: Client) -> bool:
        return client.client_id == self.client_id


__all__ = [
    "AgentMetadataClaims",
    "ClientConfiguration",
    "Introspection",
    "KnownToken",
    "Registration",
    "Revocation",
    "find_token",
    "validate_client_metadata",
]
