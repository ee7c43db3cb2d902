"""Records of the embedded IdP: issuers, clients (Authlib's ClientMixin), agents, users,
delegation grants and issued tokens. Plain dataclasses; `records.py` reads and writes them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from authlib.oauth2.rfc6749 import ClientMixin

from agentctl.idp import constants as c
from agentctl.idp.secrets import check_secret


@dataclass(frozen=True)
class IssuerConfig:
    """One issuer on the server. `trusts` names the issuers (on this server) whose tokens it
    accepts as subject/actor tokens and as ID-JAG assertions; `id_jag_audiences` names the
    resource authorization servers it issues ID-JAGs for."""

    name: str
    kind: str = "idp"  # "idp" (users, ID tokens, ID-JAG issuance) or "resource" (ID-JAG redeemer)
    trusts: tuple[str, ...] = ()
    # Issuers (besides itself) whose tokens it accepts as RFC 8693 subject/actor tokens. Empty
    # by default: trusting an IdP for ID-JAGs (`trusts`) is not trusting its tokens here.
    exchange_trusts: tuple[str, ...] = ()
    id_jag_audiences: tuple[str, ...] = ()
    # Authorization servers elsewhere (issuer URLs) it issues ID-JAGs for (`idp trust`).
    external_id_jag_audiences: tuple[str, ...] = ()
    # Protected resources this issuer serves (an MCP server's URL, an API): any of its clients
    # may ask for tokens for them, as for the issuer's own demo resource. Set by the
    # administrator (`agentctl idp resources add`), never by a client.
    resources: tuple[str, ...] = ()
    scopes: tuple[str, ...] = c.DEFAULT_SCOPES
    alg: str = "ES256"
    max_chain_depth: int = c.DEFAULT_MAX_CHAIN_DEPTH
    access_ttl: int = c.DEFAULT_ACCESS_TTL
    id_token_ttl: int = c.DEFAULT_ID_TOKEN_TTL
    id_jag_ttl: int = c.DEFAULT_ID_JAG_TTL
    open_registration: bool = True

    def url(self, base_url: str) -> str:
        return issuer_url(base_url, self.name)

    def default_resource(self, base_url: str) -> str:
        """The audience of tokens that name no `resource`: the issuer's demo resource."""
        return self.url(base_url) + "/resource"

    @property
    def max_ttl(self) -> int:
        return max(self.access_ttl, self.id_token_ttl, self.id_jag_ttl)

    def settings(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("name")
        data.pop("kind")
        return data

    @classmethod
    def from_settings(cls, name: str, kind: str, settings: dict[str, Any]) -> IssuerConfig:
        known = {k: v for k, v in settings.items() if k in cls.__dataclass_fields__}
        for key in (
            "trusts",
            "exchange_trusts",
            "id_jag_audiences",
            "external_id_jag_audiences",
            "resources",
            "scopes",
        ):
            if key in known:
                known[key] = tuple(known[key])
        return cls(name=name, kind=kind, **known)


def issuer_url(base_url: str, name: str) -> str:
    return base_url.rstrip("/") + c.ISSUER_PREFIX + name


@dataclass
class Agent:
    """An agent registered at one issuer: its client id, sponsor, credential type and whom it
    may act for."""

    issuer: str
    client_id: str
    name: str
    description: str
    sponsor: str
    credential_type: str  # client_secret | private_key_jwt
    may_act_for: list[str]  # user subs, or ["*"]
    created_at: int

    def may_act_for_user(self, sub: str) -> bool:
        return "*" in self.may_act_for or sub in self.may_act_for


@dataclass
class Client(ClientMixin):  # type: ignore[misc]
    """An OAuth client (RFC 7591 metadata in `metadata`); an agent when `agent` is set."""

    issuer: str
    client_id: str
    secret_hash: str | None
    metadata: dict[str, Any]
    client_id_issued_at: int
    registration_token_hash: str | None = None
    agent: Agent | None = None

    # -- Authlib ClientMixin --
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.metadata.get("redirect_uris") or []
        return uris[0] if uris else None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return ""
        allowed = set(self.allowed_scopes)
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in (self.metadata.get("redirect_uris") or [])

    def check_client_secret(self, client_secret: str) -> bool:
        return check_secret(client_secret, self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        registered = self.token_endpoint_auth_method
        # A secret client may send its secret either way (basic or post); a key client only
        # with a signed assertion; a public client cannot use the token endpoint at all.
        if registered in c.SECRET_METHODS:
            return method in c.SECRET_METHODS and self.secret_hash is not None
        # A public client ("none") reaches only grants that accept no authentication (the
        # authorization code grant, where PKCE is the proof).
        return method == registered

    def check_response_type(self, response_type: str) -> bool:
        return response_type in (self.metadata.get("response_types") or [])

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types

    # -- agentctl --
    @property
    def token_endpoint_auth_method(self) -> str:
        return str(self.metadata.get("token_endpoint_auth_method", "client_secret_basic"))

    @property
    def grant_types(self) -> list[str]:
        return list(self.metadata.get("grant_types") or [])

    @property
    def allowed_scopes(self) -> list[str]:
        return str(self.metadata.get("scope") or "").split()

    @property
    def allowed_audiences(self) -> list[str]:
        return list(self.metadata.get("allowed_audiences") or [])

    @property
    def subject_audiences(self) -> list[str]:
        """Audiences of subject tokens this client may exchange from (besides itself)."""
        return list(self.metadata.get("subject_audiences") or [])

    @property
    def jwks(self) -> dict[str, Any] | None:
        value = self.metadata.get("jwks")
        return value if isinstance(value, dict) else None

    @property
    def sub_profile(self) -> str:
        return c.PROFILE_AGENT if self.agent is not None else c.PROFILE_SERVICE

    @property
    def name(self) -> str:
        if self.agent is not None:
            return self.agent.name
        return str(self.metadata.get("client_name") or self.client_id)

    @property
    def id_jag_client_ids(self) -> dict[str, str]:
        """Its client ids at resource authorization servers (administrator-set; never from a
        client's own metadata), by issuer name on this server or issuer URL elsewhere."""
        mapping = self.metadata.get("id_jag_client_ids")
        return {str(k): str(v) for k, v in mapping.items()} if isinstance(mapping, dict) else {}

    def id_jag_client_id(self, audience_issuer: str) -> str:
        """This client's id at a resource AS (ID-JAG `client_id`); the same id by default (the
        resource issuers on this server mirror the agent under its own id)."""
        return self.id_jag_client_ids.get(audience_issuer, self.client_id)


@dataclass
class User:
    """A user of one issuer; `password_hash` never appears in a repr."""

    issuer: str
    name: str
    email: str
    password_hash: str = field(repr=False)
    created_at: int = 0

    @property
    def sub(self) -> str:
        return self.name

    def get_user_id(self) -> str:  # Authlib's user protocol
        return self.name


@dataclass(frozen=True)
class GrantRef:
    """A stored consent: `kind` is "delegation" (the agent acts for the user, `act` names it)
    or "impersonation" (the agent carries the user's identity, no `act`)."""

    issuer: str
    user_sub: str
    agent_client_id: str
    kind: str


@dataclass
class TokenRecord:
    """What the IdP keeps about a token it issued: who, for whom, from which token, until when."""

    jti: str
    issuer: str
    kind: str
    client_id: str
    sub: str
    parent_jti: str | None
    actor_jti: str | None
    iat: int
    exp: int
    revoked: bool


__all__ = [
    "Agent",
    "Client",
    "GrantRef",
    "IssuerConfig",
    "TokenRecord",
    "User",
    "issuer_url",
]
