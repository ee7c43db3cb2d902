"""The provider interface: what an IdP can do, declared up front, and the typed values that cross
it. One module per IdP implements `IdentityProvider`; `get_provider` in `__init__` picks one.

Capabilities are declared (a class attribute, or derived once from the IdP's metadata), never
discovered by trying: a command checks `provider.require(Capability.TOKEN_EXCHANGE)` and the user
gets "this IdP does not offer token exchange" before any request is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, Protocol

from agentctl.errors import UnsupportedError
from agentctl.oauth.client import ExchangeRequest, Introspection
from agentctl.oauth.tokens import TokenSet

if TYPE_CHECKING:
    # RFC 8628 only in signatures here: a command that signs no one in never loads it
    from agentctl.oauth.device import DeviceAuthorization


class Capability(StrEnum):
    REGISTER = "register"  # create an agent (client) identity: RFC 7591 or a vendor API
    CLIENT_CREDENTIALS = "client_credentials"  # RFC 6749 §4.4 (mode: agent)
    TOKEN_EXCHANGE = "token_exchange"  # noqa: S105 - RFC 8693 (mode: user, impersonation)
    TOKEN_EXCHANGE_ACTOR = "token_exchange_actor"  # noqa: S105 - RFC 8693 actor_token (obo)
    JWT_BEARER = "jwt_bearer"  # RFC 7523 §2.1 grant
    DEVICE_AUTHORIZATION = "device_authorization"  # RFC 8628 (user sign-in)
    INTROSPECTION = "introspection"  # RFC 7662
    ID_JAG = "id_jag"  # identity assertion JWT authorization grant (token exchange → ID-JAG)
    REVOCATION = "revocation"  # RFC 7009


# What to say when a capability is missing: the thing, and the metadata field that shows it.
CAPABILITY_TEXT: Mapping[Capability, tuple[str, str]] = {
    Capability.REGISTER: (
        "dynamic client registration",
        "its metadata has no registration_endpoint (RFC 7591)",
    ),
    Capability.CLIENT_CREDENTIALS: (
        "the client credentials grant",
        "grant_types_supported lacks client_credentials",
    ),
    Capability.TOKEN_EXCHANGE: (
        "token exchange",
        "grant_types_supported lacks urn:ietf:params:oauth:grant-type:token-exchange",
    ),
    Capability.TOKEN_EXCHANGE_ACTOR: (
        "token exchange with an actor token (delegation)",
        "grant_types_supported lacks urn:ietf:params:oauth:grant-type:token-exchange",
    ),
    Capability.JWT_BEARER: (
        "the JWT bearer grant",
        "grant_types_supported lacks urn:ietf:params:oauth:grant-type:jwt-bearer",
    ),
    Capability.DEVICE_AUTHORIZATION: (
        "device authorization (sign-in by code)",
        "its metadata has no device_authorization_endpoint (RFC 8628)",
    ),
    Capability.INTROSPECTION: (
        "token introspection",
        "its metadata has no introspection_endpoint (RFC 7662)",
    ),
    Capability.ID_JAG: (
        "ID-JAG (identity assertion authorization grants)",
        "identity_chaining_requested_token_types_supported lacks "
        "urn:ietf:params:oauth:token-type:id-jag",
    ),
    Capability.REVOCATION: (
        "token revocation",
        "its metadata has no revocation_endpoint (RFC 7009)",
    ),
}

CredentialKind = Literal["client_secret", "private_key_jwt"]


@dataclass(frozen=True)
class AgentSpec:
    """What `agentctl register` asks for."""

    name: str
    description: str | None = None
    sponsor: str | None = None  # the accountable human (email), sent as `contacts`
    credential: CredentialKind = "client_secret"
    auth_method: str | None = None  # default: client_secret_basic, or private_key_jwt
    signing_alg: str = "RS256"
    audiences: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    may_act_for: tuple[str, ...] = ()  # users it may act for (IdPs that can record it)
    # audiences of user tokens it may exchange from besides its own (the embedded IdP)
    subject_audiences: tuple[str, ...] = ()
    grant_types: tuple[str, ...] = ("client_credentials",)
    redirect_uris: tuple[str, ...] = ()  # RFC 7591 redirect_uris (servers that demand one)

    @property
    def method(self) -> str:
        if self.auth_method:
            return self.auth_method
        return "private_key_jwt" if self.credential == "private_key_jwt" else "client_secret_basic"


@dataclass(frozen=True)
class Credential:
    """How a client authenticates. Secrets stay out of repr."""

    client_id: str
    method: str = "client_secret_basic"
    secret: str | None = field(default=None, repr=False)
    private_key_pem: str | None = field(default=None, repr=False)
    key_id: str | None = None
    alg: str = "RS256"


@dataclass(frozen=True)
class Registration:
    """An agent identity as the IdP knows it, plus the credential made for it."""

    client_id: str
    auth_method: str
    issuer: str | None
    token_endpoint: str | None
    created: bool  # False: an existing client imported by id
    client_secret: str | None = field(default=None, repr=False)
    client_secret_expires_at: int | None = None
    private_key_pem: str | None = field(default=None, repr=False)
    key_id: str | None = None
    public_jwk: dict[str, Any] | None = None
    registration_access_token: str | None = field(default=None, repr=False)
    registration_client_uri: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)  # what the IdP echoed, no secrets

    def credential(self) -> Credential:
        return Credential(
            client_id=self.client_id,
            method=self.auth_method,
            secret=self.client_secret,
            private_key_pem=self.private_key_pem,
            key_id=self.key_id,
            alg=str((self.public_jwk or {}).get("alg", "RS256")),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, without secrets (the caller adds them only for --show-secret)."""
        return {
            "client_id": self.client_id,
            "auth_method": self.auth_method,
            "issuer": self.issuer,
            "token_endpoint": self.token_endpoint,
            "created": self.created,
            "client_secret_expires_at": self.client_secret_expires_at,
            "key_id": self.key_id,
            "public_jwk": self.public_jwk,
            "registration_client_uri": self.registration_client_uri,
            "has_client_secret": self.client_secret is not None,
            "has_registration_access_token": self.registration_access_token is not None,
            "metadata": self.metadata,
        }


class IdentityProvider(Protocol):
    """One IdP. Methods for capabilities it lacks raise UnsupportedError (via `require`)."""

    @property
    def kind(self) -> str: ...

    @property
    def issuer(self) -> str | None: ...

    @property
    def capabilities(self) -> frozenset[Capability]: ...

    def metadata(self) -> Mapping[str, Any]: ...

    def require(self, capability: Capability) -> None: ...

    def register_agent(
        self, spec: AgentSpec, *, initial_access_token: str | None = None
    ) -> Registration: ...

    def import_client(self, credential: Credential) -> Registration: ...

    def delete_agent(self, registration: Registration) -> None: ...

    def client_credentials(
        self,
        client: Credential,
        *,
        scope: str | None = None,
        resource: tuple[str, ...] = (),
        audience: tuple[str, ...] = (),
    ) -> TokenSet: ...

    def exchange(self, req: ExchangeRequest, *, client: Credential) -> TokenSet: ...

    def jwt_bearer(
        self,
        assertion: str,
        *,
        client: Credential | None,
        scope: str | None = None,
        resource: tuple[str, ...] = (),
    ) -> TokenSet: ...

    def start_device_authorization(
        self, *, client: Credential, scope: str | None = None
    ) -> DeviceAuthorization: ...

    def poll_device_token(
        self, authorization: DeviceAuthorization, *, client: Credential
    ) -> TokenSet: ...

    def introspect(self, token: str, *, client: Credential) -> Introspection: ...

    def revoke(self, token: str, *, client: Credential) -> None: ...


def unsupported(capability: Capability, *, idp: str) -> UnsupportedError:
    what, why = CAPABILITY_TEXT[capability]
    return UnsupportedError(
        f"this IdP does not offer {what} ({why})",
        hint=f"`agentctl doctor` lists what {idp} supports; choose a mode it offers",
        details={"capability": capability.value, "idp": idp},
    )


__all__ = [
    "CAPABILITY_TEXT",
    "AgentSpec",
    "Capability",
    "Credential",
    "CredentialKind",
    "ExchangeRequest",
    "IdentityProvider",
    "Introspection",
    "Registration",
    "TokenSet",
    "unsupported",
]
