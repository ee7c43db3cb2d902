"""Authlib endpoints for each issuer: introspection (RFC 7662), revocation (RFC 7009), dynamic
client registration (RFC 7591) and client configuration (RFC 7592).

Introspection answers `{"active": false}` for a token that is expired, revoked, or exchanged
(at any depth) from a revoked token; the parent-jti chain is followed in SQL.
Registration is open (rate limited) only while the server listens on loopback alone; otherwise
it needs an RFC 7591 initial access token, which carries the policy the client gets. Policy
members (`allowed_audiences`, `subject_audiences`, `may_act_for`, `scope`) are the
administrator's: a client may ask for less than its policy allows, never more, and cannot
change them by RFC 7592. The extension member `sub_profile: "ai_agent"` (with `sponsor`,
`description`, `may_act_for`) registers an agent.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from authlib.oauth2.base import OAuth2Error
from authlib.oauth2.claims import BaseClaims
from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint, InvalidClientMetadataError
from authlib.oauth2.rfc7591.claims import ClientMetadataClaims
from authlib.oauth2.rfc7592 import ClientConfigurationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from agentctl.idp import constants as c
from agentctl.idp import jose, keys, records, throttle, web
from agentctl.idp.models import Agent, Client, TokenRecord
from agentctl.idp.policy import RegistrationPolicy, safe
from agentctl.idp.secrets import check_secret, hash_secret, new_id, new_secret
from agentctl.idp.tokens import TokenRejected, unverified_parts

if TYPE_CHECKING:
    from agentctl.idp.server import IssuerServer

GRANT_AUTHORIZATION_CODE = "authorization_code"
PUBLIC_CLIENT_GRANTS = frozenset({GRANT_AUTHORIZATION_CODE, "refresh_token"})
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
        decoded = jose.verify(token, keys.verification_keys(ctx.store, server.name, now))
    except jose.JoseRefused:
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


# Size limits per member: a registration is a few hundred bytes; these leave room for real
# metadata and refuse the megabyte `client_name` that would otherwise be stored and echoed.
MAX_NAME = 200
MAX_STRING = 2048
MAX_LIST = 32
MAX_KEYS = 8

# Members only the administrator sets (docs/idp.md "Who sets what"): a client asserting them
# about itself could widen what it may get.
POLICY_MEMBERS = ("allowed_audiences", "subject_audiences", "may_act_for", "scope")
# Members a client never sends (RFC 7591 parsing drops them) that an RFC 7592 replacement must
# not drop either: what kind of client it is, and the administrator's ID-JAG client-id map.
SERVER_KEPT_MEMBERS = ("sub_profile", "id_jag_client_ids")


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
            limit = MAX_NAME if name in ("client_name", "sponsor") else MAX_STRING
            if name in self and len(self[name]) > limit:
                raise InvalidClientMetadataError(f"'{name}' is longer than {limit} characters")
        for name in _LIST_MEMBERS:
            value = self.get(name)
            if value is not None and (
                not isinstance(value, list) or not all(isinstance(v, str) for v in value)
            ):
                raise InvalidClientMetadataError(f"'{name}' must be an array of strings")
            if value is not None and (
                len(value) > MAX_LIST or any(len(v) > MAX_STRING for v in value)
            ):
                raise InvalidClientMetadataError(
                    f"'{name}' may hold at most {MAX_LIST} values of {MAX_STRING} characters"
                )
        jwks = self.get("jwks")
        if jwks is not None and not (
            isinstance(jwks, dict)
            and isinstance(jwks.get("keys"), list)
            and all(isinstance(k, dict) for k in jwks["keys"])
        ):
            raise InvalidClientMetadataError("'jwks' must be a JWK set object")
        if jwks is not None and len(jwks["keys"]) > MAX_KEYS:
            raise InvalidClientMetadataError(f"'jwks' may hold at most {MAX_KEYS} keys")
        if self.get("sub_profile") not in (None, c.PROFILE_AGENT, c.PROFILE_SERVICE):
            raise InvalidClientMetadataError("'sub_profile' must be ai_agent or service")


@dataclass(frozen=True)
class _Credential:
    """What a registration request was allowed by: open (loopback) registration, or an
    initial access token; either way, the policy the new client gets."""

    policy: RegistrationPolicy
    open: bool


class TooManyRequests(OAuth2Error):  # type: ignore[misc]
    error = "temporarily_unavailable"
    status_code = 429

    def __init__(self, description: str, retry_after: int) -> None:
        super().__init__(description=description)
        self.retry_after = retry_after

    def get_headers(self) -> list[tuple[str, str]]:
        return [*super().get_headers(), ("Retry-After", str(self.retry_after))]


class Registration(ClientRegistrationEndpoint):  # type: ignore[misc]
    server: IssuerServer

    def __init__(self, server: Any = None) -> None:
        super().__init__(server, claims_classes=[AgentMetadataClaims, ClientMetadataClaims])

    def authenticate_token(self, request: Any) -> _Credential:
        """RFC 7591 §3: an initial access token (Bearer), or — only while every address the
        server listens on is loopback — none, rate limited per source address."""
        ctx, cfg = self.server.ctx, self.server.cfg
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme:
            policy = (
                records.use_registration_token(
                    ctx.store, hash_secret(value.strip()), self.server.name, ctx.now()
                )
                if scheme.lower() == "bearer" and value.strip()
                else None
            )
            if policy is None:
                raise InvalidTokenError(
                    description="the initial access token is invalid, expired or used up"
                )
            return _Credential(RegistrationPolicy.from_dict(policy), open=False)
        if not (ctx.open_registration and ctx.loopback_only and cfg.open_registration):
            raise InvalidTokenError(
                description=(
                    "registration here needs an initial access token "
                    "(the administrator runs `agentctl idp registration-token`)"
                )
            )
        wait = throttle.take(
            ctx.store,
            f"register:{self.server.name}:{web.current().remote_addr}",
            ctx.now(),
            limit=throttle.REGISTRATIONS_PER_WINDOW,
            window=throttle.REGISTRATION_WINDOW,
        )
        if wait:
            raise TooManyRequests(f"too many registrations; try again in {wait} s", wait)
        return _Credential(RegistrationPolicy(), open=True)

    def get_server_metadata(self) -> dict[str, Any]:
        from agentctl.idp.metadata import authorization_server_metadata

        return authorization_server_metadata(self.server)

    def generate_client_id(self, request: Any) -> str:
        return new_id("cli")

    def generate_client_info(self, request: Any) -> dict[str, Any]:
        info: dict[str, Any] = super().generate_client_info(request)
        method = (request.payload.data or {}).get("token_endpoint_auth_method")
        if method in ("private_key_jwt", "none"):
            info.pop("client_secret", None)
            info.pop("client_secret_expires_at", None)
        else:
            info["client_secret"] = new_secret()
        return info

    def save_client(
        self, client_info: dict[str, Any], client_metadata: dict[str, Any], request: Any
    ) -> Client:
        credential: _Credential = request.credential
        metadata = validate_client_metadata(
            apply_policy(client_metadata, credential.policy, self.server.cfg.scopes)
        )
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


def apply_policy(
    metadata: dict[str, Any], policy: RegistrationPolicy, issuer_scopes: tuple[str, ...]
) -> dict[str, Any]:
    """The metadata a self-registering client gets: each policy member it asserts must lie
    within what the policy allows (else invalid_client_metadata); what it leaves out is the
    policy's value."""
    out = dict(metadata)
    lists = {
        "allowed_audiences": policy.audiences,
        "subject_audiences": policy.subject_audiences,
        "may_act_for": policy.may_act_for,
    }
    for name, allowed in lists.items():
        asserted = out.get(name)
        if asserted is None:
            if allowed and allowed != ("*",):
                out[name] = list(allowed)
            continue
        if "*" in allowed and name == "may_act_for":
            continue
        extra = [v for v in asserted if v not in allowed]
        if extra:
            raise InvalidClientMetadataError(
                f"'{name}' value '{safe(extra[0], 80)}' is not allowed: it is set by the "
                "administrator (an initial access token from `agentctl idp registration-token` "
                "can allow it)"
            )
    ceiling = policy.scopes if policy.scopes is not None else issuer_scopes
    asserted_scope = out.get("scope")
    if asserted_scope is None:
        if policy.scopes is not None:
            out["scope"] = " ".join(policy.scopes)
    else:
        extra = [s for s in str(asserted_scope).split() if s not in ceiling]
        if extra:
            raise InvalidClientMetadataError(
                f"scope '{safe(extra[0], 60)}' is not allowed for a self-registered client "
                "(the administrator can allow it with an initial access token)"
            )
    return out


def _check_redirect_uris(uris: list[str]) -> None:
    """RFC 6749 §3.1.2 and RFC 8252 §7: absolute, no fragment; https, or http on loopback
    only, or a native app's private-use scheme (reverse domain name)."""
    from urllib.parse import urlsplit

    from agentctl.core.transport_rules import is_loopback_host

    if not uris:
        raise InvalidClientMetadataError("an authorization_code client needs redirect_uris")
    for uri in uris:
        try:
            parts = urlsplit(uri)
        except ValueError:
            parts = None
        if parts is None or not parts.scheme or parts.fragment:
            raise InvalidClientMetadataError(f"redirect URI '{safe(uri, 80)}' is not absolute")
        if parts.scheme == "http" and not is_loopback_host(parts.hostname or ""):
            raise InvalidClientMetadataError(
                f"redirect URI '{safe(uri, 80)}': plain http only on loopback"
            )
        if parts.scheme not in ("http", "https") and "." not in parts.scheme:
            raise InvalidClientMetadataError(
                f"redirect URI '{safe(uri, 80)}': a private-use scheme is a reverse domain name"
            )


def _current(client: Client, name: str) -> Any:
    if name == "may_act_for" and client.agent is not None:
        return client.agent.may_act_for
    return client.metadata.get(name)


def _same_member(name: str, new: Any, old: Any) -> bool:
    if name == "scope":
        return set(str(new or "").split()) == set(str(old or "").split())
    return set(new or []) == set(old or ([] if name != "may_act_for" else ["*"]))


def validate_client_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """Rules beyond Authlib's RFC 7591 checks; returns the metadata with defaults filled."""
    out = dict(metadata)
    method = out.setdefault("token_endpoint_auth_method", "client_secret_basic")
    if out.get("redirect_uris") and "grant_types" not in out:
        # RFC 7591 §2: a client with redirect URIs and no grant_types is a code client.
        out["grant_types"] = [GRANT_AUTHORIZATION_CODE]
    grants = set(out.get("grant_types") or DEFAULT_GRANT_TYPES)
    if method == "none":
        # A public client (a browser or native app): PKCE protects its codes; it may use no
        # grant where a credential is the only proof (client credentials, token exchange …).
        if not grants <= PUBLIC_CLIENT_GRANTS:
            raise InvalidClientMetadataError(
                "a public client (token_endpoint_auth_method none) may use authorization_code only"
            )
    elif method not in c.AUTH_METHODS:
        raise InvalidClientMetadataError(
            "token_endpoint_auth_method must be client_secret_basic, client_secret_post, "
            "private_key_jwt or none"
        )
    if GRANT_AUTHORIZATION_CODE in grants:
        _check_redirect_uris(out.get("redirect_uris") or [])
        out.setdefault("response_types", ["code"])
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
        """RFC 7592 §2.2 replaces the metadata; the administrator's policy members may be
        echoed unchanged or left out (kept), never changed; an agent's copies at the resource
        issuers that mirror it change with it, so what is echoed is what applies."""
        for name in POLICY_MEMBERS:
            if name in client_metadata and not _same_member(
                name, client_metadata[name], _current(client, name)
            ):
                raise InvalidClientMetadataError(
                    f"'{name}' is set by the administrator and cannot be changed here "
                    "(agentctl idp agents set)"
                )
        keep = {
            k: v
            for k, v in client.metadata.items()
            if k in SERVER_KEPT_MEMBERS or k in POLICY_MEMBERS
        }
        metadata = validate_client_metadata({**client_metadata, **keep})
        mirrors = [
            name
            for name in _resource_issuers_trusting(self.server)
            if client.agent is not None
            and records.get_agent(self.server.ctx.store, name, client.client_id) is not None
        ]
        return records.update_client_metadata(self.server.ctx.store, client, metadata, mirrors)

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
    "apply_policy",
    "find_token",
    "validate_client_metadata",
]
