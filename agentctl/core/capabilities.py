"""What each identity provider can do for each agentctl mode: a pure, typed table.

Sources: `docs/protocols.md` §0 (the three modes mapped onto real protocols), §6.6 (Entra Agent
ID), §7 (Okta), §8 (Keycloak), §9 (Auth0), §4 (ID-JAG) and §11.2 (recommending a mode). The table
records vendor documentation as read for that digest; `agentctl doctor` checks a live IdP.

    capabilities_for("keycloak").mode("hybrid_obo").support  ->  Support.NO
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

MODES: Final = ("user_scoped", "hybrid_obo", "agent_identity")
IDP_KINDS: Final = ("entra", "okta", "keycloak", "auth0", "oidc", "local")

# `agentctl exchange --mode` spells the modes with short words.
EXCHANGE_MODE: Final = {"user_scoped": "user", "hybrid_obo": "obo", "agent_identity": "agent"}


# Grant types a profile can pin as offered (`agentctl profile set NAME --grant …`), for IdPs whose
# metadata under-advertises: short names and the URIs they stand for (RFC 6749, 8693, 7523, 8628).
GRANT_ALIASES: Final = {
    "client_credentials": "client_credentials",
    "client-credentials": "client_credentials",
    "token-exchange": "urn:ietf:params:oauth:grant-type:token-exchange",
    "token_exchange": "urn:ietf:params:oauth:grant-type:token-exchange",
    "jwt-bearer": "urn:ietf:params:oauth:grant-type:jwt-bearer",
    "jwt_bearer": "urn:ietf:params:oauth:grant-type:jwt-bearer",
    "device_code": "urn:ietf:params:oauth:grant-type:device_code",
    "device-code": "urn:ietf:params:oauth:grant-type:device_code",
}
PINNABLE_GRANTS: Final = tuple(dict.fromkeys(GRANT_ALIASES.values()))


def grant_type(name: str) -> str | None:
    """The grant type URI for a short name or the URI itself; None for one agentctl does not
    use (so pinning it could change nothing)."""
    value = GRANT_ALIASES.get(name.strip(), name.strip())
    return value if value in PINNABLE_GRANTS else None


class Support(StrEnum):
    YES = "yes"
    NO = "no"
    DEPENDS = "depends"  # generic OIDC: read the IdP's metadata (`agentctl doctor`)


@dataclass(frozen=True)
class Claim:
    """A claim to expect in the resulting token, and what its value means."""

    name: str
    meaning: str

    def __str__(self) -> str:
        return f"{self.name}: {self.meaning}"


@dataclass(frozen=True)
class ModeSupport:
    support: Support
    flow: str  # the flow (grant, product feature) to use for this mode on this IdP
    claims: tuple[Claim, ...] = ()
    notes: tuple[str, ...] = ()
    alternative: str | None = None  # what to do instead when support is not YES
    alternative_mode: str | None = None  # the closest agentctl mode this IdP can run instead
    maturity: str = "ga"  # "ga", "preview", "early access", "experimental"

    @property
    def supported(self) -> bool:
        return self.support is Support.YES


@dataclass(frozen=True)
class IdJagSupport:
    """Identity Assertion JWT Authorization Grant roles (protocols.md §4): the IdP that issues
    ID-JAGs, and the resource (MCP) authorization server that redeems them."""

    issuer: Support
    receiver: Support
    note: str


@dataclass(frozen=True)
class IdpCapabilities:
    kind: str
    name: str
    modes: tuple[tuple[str, ModeSupport], ...]
    id_jag: IdJagSupport
    browser: str  # how a browser app gets the token (token injection)

    def mode(self, mode: str) -> ModeSupport:
        for name, entry in self.modes:
            if name == mode:
                return entry
        raise ValueError(f"unknown mode {mode!r}; valid modes: {', '.join(MODES)}")

    def supports(self, mode: str) -> bool:
        return self.mode(mode).supported


_INJECTION = (
    "no standard covers browser token injection: agentctl gives the token to the app's origin "
    "only, as a header, a cookie or browser storage (agentctl exchange --emit playwright-python"
    "|playwright-node|storage-state|storage-script|cookie); keep it audience-restricted and "
    "short-lived"
)

_NO_ACT = Claim("act", "absent (impersonation: the agent is not recorded as actor)")

_ENTRA = IdpCapabilities(
    kind="entra",
    name="Microsoft Entra ID",
    modes=(
        (
            "user_scoped",
            ModeSupport(
                Support.YES,
                "classic On-Behalf-Of by an ordinary app: jwt-bearer grant with "
                "requested_token_use=on_behalf_of (not RFC 8693)",
                (
                    Claim("oid", "the user's object id (sub is pairwise per app)"),
                    Claim("azp / appid", "the middle-tier app"),
                    Claim("scp", "delegated scopes"),
                    _NO_ACT,
                ),
                ("Entra ignores audience/resource: ask with scope=<resource>/.default",),
            ),
        ),
        (
            "hybrid_obo",
            ModeSupport(
                Support.YES,
                "Entra Agent ID OBO: leg 1 client_credentials as the blueprint with "
                "fmi_path=<agent identity appId>, leg 2 jwt-bearer OBO as the agent identity "
                "(client_assertion = leg-1 token, assertion = the user's token)",
                (
                    Claim("idtyp", "user"),
                    Claim("oid", "the human user"),
                    Claim("azp / appid", "the agent identity's appId (the actor)"),
                    Claim("xms_act_fct", "contains 11 (AgentIdentity)"),
                    Claim("scp", "delegated scopes"),
                    Claim("act", "absent: Entra names the agent in azp plus facets, not in act"),
                ),
                (
                    "the agent appears in azp with xms_act_fct containing 11, not in an act claim",
                    "the user's token must have the blueprint as audience (else AADSTS50013)",
                    "log xms_par_app_azp (the blueprint) for audit, never authorize on it",
                ),
                maturity="preview",
            ),
        ),
        (
            "agent_identity",
            ModeSupport(
                Support.YES,
                "Entra Agent ID autonomous agent: leg 1 as the blueprint with fmi_path, leg 2 "
                "client_credentials as the agent identity (client_assertion = leg-1 token); an "
                "ordinary app registration with client_credentials also works",
                (
                    Claim("idtyp", "app"),
                    Claim("oid", "the agent identity's service principal"),
                    Claim("xms_act_fct / xms_sub_fct", "contain 11 (AgentIdentity)"),
                    Claim("roles", "application permissions"),
                ),
                maturity="preview",
            ),
        ),
    ),
    id_jag=IdJagSupport(
        Support.NO,
        Support.NO,
        "no ID-JAG issuer support found for Entra: reach a remote MCP server with its own "
        "authorization-code flow (resource=<MCP server URL>)",
    ),
    browser=_INJECTION,
)

_OKTA = IdpCapabilities(
    kind="okta",
    name="Okta",
    modes=(
        (
            "user_scoped",
            ModeSupport(
                Support.YES,
                "custom authorization server On-Behalf-Of Token Exchange (RFC 8693, "
                "subject_token only) by a service app",
                (
                    Claim("sub", "the user's login"),
                    Claim("uid", "the user's id"),
                    Claim("cid", "the exchanging service app"),
                    _NO_ACT,
                ),
                ("add the token-exchange grant to the service app; allow it in access policies",),
            ),
        ),
        (
            "hybrid_obo",
            ModeSupport(
                Support.YES,
                "Cross App Access (ID-JAG) with an AI-agent client registered in Okta for AI "
                "Agents; plain custom-AS On-Behalf-Of produces no act",
                (
                    Claim("sub", "the user"),
                    Claim("act.sub", "the agent's client id"),
                    Claim("act.sub_profile", "ai_agent"),
                    Claim("act.act", "earlier agents in the chain, nested"),
                ),
                ("key off issued_token_type, never token_type (Okta examples disagree)",),
                maturity="early access",
            ),
        ),
        (
            "agent_identity",
            ModeSupport(
                Support.YES,
                "API Services (service) app with client_credentials (private_key_jwt)",
                (Claim("sub", "the client_id"), Claim("cid", "the client_id")),
                (
                    "Okta CIMD AI agents cannot use client_credentials: use a service app",
                    "Okta says Cross App Access is not for autonomous or background agents",
                ),
            ),
        ),
    ),
    id_jag=IdJagSupport(
        Support.YES,
        Support.YES,
        "Okta issues ID-JAGs at the org authorization server (/oauth2/v1/token) and an Okta "
        "custom authorization server can redeem them",
    ),
    browser=_INJECTION,
)

_KEYCLOAK = IdpCapabilities(
    kind="keycloak",
    name="Keycloak",
    modes=(
        (
            "user_scoped",
            ModeSupport(
                Support.YES,
                "standard token exchange V2 (impersonation only) by a confidential client",
                (
                    Claim("sub", "the user"),
                    Claim("azp", "the requesting client"),
                    _NO_ACT,
                ),
                (
                    "the user's token must already list the requesting client in aud "
                    "(add an Audience mapper)",
                    "audience only filters; there is no resource parameter",
                ),
            ),
        ),
        (
            "hybrid_obo",
            ModeSupport(
                Support.NO,
                "no delegation: token exchange takes no actor_token and issues no act claim",
                notes=("Keycloak standard token exchange is impersonation only",),
                alternative=(
                    "register the agent as its own confidential client and use standard token "
                    "exchange (user_scoped): the token keeps sub=user and names the agent only in "
                    "azp, with no act chain; if agent actions must be told apart strictly, use "
                    "agent_identity (a service account), or delegate through an IdP that records "
                    "act (Auth0, Okta, Entra Agent ID, the embedded IdP)"
                ),
                alternative_mode="user_scoped",
            ),
        ),
        (
            "agent_identity",
            ModeSupport(
                Support.YES,
                "confidential client with serviceAccountsEnabled, client_credentials",
                (
                    Claim("sub", "the service-account user's UUID (not the clientId)"),
                    Claim("azp", "the clientId"),
                    Claim("preferred_username", "service-account-<clientId>"),
                ),
            ),
        ),
    ),
    id_jag=IdJagSupport(
        Support.NO,
        Support.YES,
        "Keycloak cannot issue ID-JAGs; it can redeem them as the MCP server's authorization "
        "server (experimental feature identity-assertion-jwt, draft -01)",
    ),
    browser=_INJECTION,
)

_AUTH0 = IdpCapabilities(
    kind="auth0",
    name="Auth0",
    modes=(
        (
            "user_scoped",
            ModeSupport(
                Support.YES,
                "Custom Token Exchange with setUserById() and no setActor(), or the user's own "
                "token narrowed by audience",
                (Claim("sub", "the user"), _NO_ACT),
            ),
        ),
        (
            "hybrid_obo",
            ModeSupport(
                Support.YES,
                "native On-Behalf-Of token exchange (RFC 8693; the exchanging Custom API client "
                "becomes act), or Custom Token Exchange with actor_token and setActor()",
                (
                    Claim("sub", "the user"),
                    Claim("act.sub", "the exchanging client, or its linked agent"),
                    Claim("act.act", "earlier actors, nested (at most 4 levels)"),
                ),
                ("no actor_token in native OBO: the actor is the authenticated client",),
            ),
        ),
        (
            "agent_identity",
            ModeSupport(
                Support.YES,
                "machine-to-machine application with client_credentials (Agents as Principal "
                "makes the agent the subject)",
                (
                    Claim("sub", "<client_id>@clients, or the agent id with Agents as Principal"),
                    Claim("gty", "client-credentials"),
                    Claim("sub_profile", "ai_agent (Agents as Principal, early access)"),
                ),
            ),
        ),
    ),
    id_jag=IdJagSupport(
        Support.NO,
        Support.YES,
        "Auth0 cannot issue ID-JAGs; it redeems them as the resource authorization server "
        "(Cross App Access, early access)",
    ),
    browser=(
        "Auth0's Session Transfer Token (Custom Token Exchange with "
        "audience=urn:<tenant>:session_transfer) opens a web session; otherwise inject the token "
        "(agentctl exchange --emit playwright-python|storage-state|cookie)"
    ),
)

_OIDC = IdpCapabilities(
    kind="oidc",
    name="generic OpenID provider",
    modes=(
        (
            "user_scoped",
            ModeSupport(
                Support.DEPENDS,
                "RFC 8693 token exchange without actor_token (impersonation), when the metadata "
                "lists the token-exchange grant; otherwise the user's own token narrowed by "
                "scope, audience or resource",
                (Claim("sub", "the user"), _NO_ACT),
                alternative="use the user's own token, narrowed by scope/audience/resource",
                alternative_mode="user_scoped",
            ),
        ),
        (
            "hybrid_obo",
            ModeSupport(
                Support.DEPENDS,
                "RFC 8693 delegation: subject_token = the user's, actor_token = the agent's",
                (
                    Claim("sub", "the user"),
                    Claim("act.sub", "the agent"),
                ),
                ("some providers accept token exchange but ignore actor_token: check act",),
                alternative=(
                    "if the provider offers no delegation, use user_scoped with the agent as the "
                    "exchanging client (it shows in azp or client_id), or agent_identity"
                ),
                alternative_mode="user_scoped",
            ),
        ),
        (
            "agent_identity",
            ModeSupport(
                Support.YES,
                "client_credentials (client secret or private_key_jwt)",
                (Claim("sub", "the client (RFC 9068)"), Claim("client_id", "the agent")),
            ),
        ),
    ),
    id_jag=IdJagSupport(
        Support.DEPENDS,
        Support.DEPENDS,
        "an issuer lists urn:ietf:params:oauth:token-type:id-jag in "
        "identity_chaining_requested_token_types_supported; a receiver lists "
        "urn:ietf:params:oauth:grant-profile:id-jag in authorization_grant_profiles_supported",
    ),
    browser=_INJECTION,
)

_LOCAL = IdpCapabilities(
    kind="local",
    name="embedded IdP",
    modes=(
        (
            "user_scoped",
            ModeSupport(
                Support.YES,
                "RFC 8693 token exchange without actor_token (impersonation)",
                (Claim("sub", "the user"), _NO_ACT),
            ),
        ),
        (
            "hybrid_obo",
            ModeSupport(
                Support.YES,
                "RFC 8693 delegation: subject_token = the user's, actor_token = the agent's",
                (
                    Claim("sub", "the user"),
                    Claim("act.sub", "the agent"),
                    Claim("act.act", "earlier actors, nested"),
                ),
            ),
        ),
        (
            "agent_identity",
            ModeSupport(
                Support.YES,
                "client_credentials (client secret or private_key_jwt)",
                (Claim("sub", "the agent's client id"), Claim("act", "absent")),
            ),
        ),
    ),
    id_jag=IdJagSupport(
        Support.YES,
        Support.YES,
        "the embedded IdP issues ID-JAGs and, as a second issuer on the same server, redeems them",
    ),
    browser=_INJECTION,
)

_TABLE: Final = {c.kind: c for c in (_ENTRA, _OKTA, _KEYCLOAK, _AUTH0, _OIDC, _LOCAL)}


def capabilities_for(idp: str) -> IdpCapabilities:
    """The capability entry for an IdP kind; ValueError names the valid kinds."""
    try:
        return _TABLE[idp]
    except KeyError:
        raise ValueError(f"unknown IdP {idp!r}; valid IdPs: {', '.join(IDP_KINDS)}") from None


def all_capabilities() -> tuple[IdpCapabilities, ...]:
    """Every IdP kind's entry, in `IDP_KINDS` order."""
    return tuple(_TABLE[k] for k in IDP_KINDS)


def id_jag_issuers() -> tuple[str, ...]:
    """IdP kinds that issue ID-JAGs (yes or, for generic OIDC, depends on metadata)."""
    return tuple(k for k in IDP_KINDS if _TABLE[k].id_jag.issuer is not Support.NO)


__all__ = [
    "EXCHANGE_MODE",
    "GRANT_ALIASES",
    "IDP_KINDS",
    "MODES",
    "PINNABLE_GRANTS",
    "Claim",
    "IdJagSupport",
    "IdpCapabilities",
    "ModeSupport",
    "Support",
    "all_capabilities",
    "capabilities_for",
    "grant_type",
    "id_jag_issuers",
]
