"""What each claim means: registered claims (RFC 7519 §4.1, RFC 8693 §4, RFC 9068 §2.2,
RFC 8707, OpenID Connect Core §2/§5.1, draft ID-JAG, draft txn-tokens) and vendor claims
(Entra, Okta, Auth0, Keycloak). Unknown claims are reported as unknown, never guessed."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from agentctl.core import timefmt


class ClaimSpec:
    __slots__ = ("meaning", "reference")

    meaning: str
    reference: str

    def __init__(
        self,
        meaning: str,
        reference: str,
    ) -> None:
        self.meaning = meaning
        self.reference = reference


class ClaimInfo:
    __slots__ = ("known", "meaning", "name", "note", "reference", "value")

    name: str
    value: Any
    meaning: str
    reference: str | None
    known: bool
    note: str | None

    def __init__(
        self,
        name: str,
        value: Any,
        meaning: str,
        reference: str | None,
        known: bool,
        note: str | None = None,
    ) -> None:
        self.name = name
        self.value = value
        self.meaning = meaning
        self.reference = reference
        self.known = known
        self.note = note

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "meaning": self.meaning,
            "reference": self.reference,
            "known": self.known,
            "note": self.note,
        }


def _spec(meaning: str, reference: str) -> ClaimSpec:
    return ClaimSpec(meaning, reference)


_ENTRA = "Entra access-token claims reference"
_AGENT_ID = "Entra Agent ID token claims"
_OKTA = "Okta access-token claims"
_AUTH0 = "Auth0 access-token claims"
_KC = "Keycloak token claims"
_OIDC = "OIDC Core §5.1"

CLAIMS: dict[str, ClaimSpec] = {
    # RFC 7519 §4.1
    "iss": _spec("issuer: who minted and signed the token", "RFC 7519 §4.1.1"),
    "sub": _spec("subject: the principal the token is about", "RFC 7519 §4.1.2"),
    "aud": _spec(
        "audience: who must accept the token (and reject it otherwise)", "RFC 7519 §4.1.3"
    ),
    "exp": _spec("expiry: not to be accepted at or after this time", "RFC 7519 §4.1.4"),
    "nbf": _spec("not before: not to be accepted before this time", "RFC 7519 §4.1.5"),
    "iat": _spec("issued at", "RFC 7519 §4.1.6"),
    "jti": _spec("token id: unique, lets a receiver detect replay", "RFC 7519 §4.1.7"),
    # RFC 8693 §4 / RFC 9068 §2.2 / RFC 8707
    "act": _spec("actor: who is acting for the subject (outermost = current)", "RFC 8693 §4.1"),
    "may_act": _spec("who is allowed to act for the subject", "RFC 8693 §4.4"),
    "scope": _spec("granted scopes (space-separated)", "RFC 8693 §4.2"),
    "client_id": _spec("the OAuth client that requested the token", "RFC 8693 §4.3"),
    "auth_time": _spec("when the user last authenticated", "RFC 9068 §2.2.1"),
    "acr": _spec("authentication context class the login satisfied", "RFC 9068 §2.2.1"),
    "amr": _spec("authentication methods used at login", "RFC 9068 §2.2.1"),
    "groups": _spec("groups of the subject", "RFC 9068 §2.2.3.1"),
    "roles": _spec("roles granted (app roles for app-only tokens)", "RFC 9068 §2.2.3.1"),
    "entitlements": _spec("entitlements of the subject", "RFC 9068 §2.2.3.1"),
    "resource": _spec("resource server(s) the grant is for", "RFC 8707 §2"),
    "cnf": _spec("confirmation: the key the token is bound to (DPoP/mTLS)", "RFC 7800 §3"),
    "authorization_details": _spec("fine-grained authorization (RAR)", "RFC 9396 §2"),
    # OpenID Connect
    "azp": _spec("authorized party: the client the token was issued to", "OIDC Core §2"),
    "nonce": _spec("binds an ID token to the login request", "OIDC Core §2"),
    "at_hash": _spec("hash of the access token issued with this ID token", "OIDC Core §3.1.3.6"),
    "c_hash": _spec("hash of the authorization code", "OIDC Core §3.3.2.11"),
    "sid": _spec("session id at the OP", "OIDC Front-Channel Logout §3"),
    "events": _spec(
        "security events (a logout token carries back-channel logout)", "OIDC BCL §2.4"
    ),
    "name": _spec("full name", _OIDC),
    "given_name": _spec("given name", _OIDC),
    "family_name": _spec("family name", _OIDC),
    "email": _spec("e-mail address", _OIDC),
    "email_verified": _spec("the e-mail address was verified", _OIDC),
    "preferred_username": _spec("the name the user likes to be called (not unique)", _OIDC),
    "locale": _spec("locale", _OIDC),
    "picture": _spec("profile picture URL", _OIDC),
    "updated_at": _spec("profile last updated", _OIDC),
    "nickname": _spec("casual name", _OIDC),
    "zoneinfo": _spec("time zone", _OIDC),
    "phone_number": _spec("phone number", _OIDC),
    # draft actor profile / ID-JAG / txn-tokens
    "sub_profile": _spec(
        "entity kind of the subject (user, ai_agent, service, ...)",
        "draft-mcguinness-oauth-actor-profile",
    ),
    "client_profile": _spec("entity kind(s) of the client", "draft-mcguinness-oauth-actor-profile"),
    "tenant": _spec("tenant of the subject at the IdP", "draft ID-JAG §3"),
    "aud_tenant": _spec("tenant of the subject at the resource AS", "draft ID-JAG §3"),
    "aud_sub": _spec("the resource AS's own id for the subject", "draft ID-JAG §3"),
    "txn": _spec("transaction id", "draft txn-tokens §4"),
    "req_wl": _spec("requesting workload", "draft txn-tokens §4"),
    "tctx": _spec("immutable transaction authorization context", "draft txn-tokens §4"),
    "rctx": _spec("request environment context", "draft txn-tokens §4"),
    # Entra
    "ver": _spec("token format version (Entra 1.0/2.0; Okta 1)", _ENTRA),
    "tid": _spec("tenant id", _ENTRA),
    "oid": _spec("object id of the user or service principal (stable across apps)", _ENTRA),
    "appid": _spec("client app id (v1 tokens)", _ENTRA),
    "appidacr": _spec("how the client authenticated: 0 public, 1 secret, 2 certificate", _ENTRA),
    "azpacr": _spec("how the client authenticated: 0 public, 1 secret, 2 certificate", _ENTRA),
    "idtyp": _spec("token for an app or a user", _ENTRA),
    "scp": _spec("delegated scopes", _ENTRA),
    "wids": _spec("directory role template ids of the user", _ENTRA),
    "uti": _spec("token id (Entra internal)", _ENTRA),
    "rh": _spec("opaque, Entra internal", _ENTRA),
    "aio": _spec("opaque, Entra internal", _ENTRA),
    "upn": _spec("user principal name", _ENTRA),
    "unique_name": _spec("display name of the user (v1)", _ENTRA),
    "ipaddr": _spec("client IP address at sign-in", _ENTRA),
    "onprem_sid": _spec("on-premises security identifier", _ENTRA),
    "hasgroups": _spec("the user has too many groups to list", _ENTRA),
    "xms_cc": _spec("client capabilities (e.g. CP1)", _ENTRA),
    "xms_act_fct": _spec("actor facets of azp/appid (11 = agent identity)", _AGENT_ID),
    "xms_sub_fct": _spec("subject facets (11 = agent identity, 13 = agent user)", _AGENT_ID),
    "xms_tnt_fct": _spec("tenant facets", _AGENT_ID),
    "xms_idrel": _spec("subject-to-tenant relationship (1 member, 5 guest, 7 SP, ...)", _AGENT_ID),
    "xms_par_app_azp": _spec(
        "agent blueprint (parent app): audit only, never authorize on it", _AGENT_ID
    ),
    "xms_ftd": _spec("opaque, Entra internal", _AGENT_ID),
    "xms_rd": _spec("opaque, Entra internal", _AGENT_ID),
    "xms_acd": _spec("opaque, Entra internal", _AGENT_ID),
    "xms_tcdt": _spec("opaque, Entra internal", _AGENT_ID),
    # Okta
    "cid": _spec("client id of the app that got the token", _OKTA),
    "uid": _spec("Okta user id", _OKTA),
    # Auth0
    "gty": _spec("grant type that minted the token", _AUTH0),
    "permissions": _spec("RBAC permissions granted", _AUTH0),
    "org_id": _spec("organization id", _AUTH0),
    "org_name": _spec("organization name", _AUTH0),
    # Keycloak
    "typ": _spec("token type (Bearer, ID, Refresh)", _KC),
    "session_state": _spec("Keycloak session id", _KC),
    "realm_access": _spec("realm roles", _KC),
    "resource_access": _spec("client roles per client", _KC),
    "allowed-origins": _spec("CORS origins for the client", _KC),
    "clientId": _spec("client id (older Keycloak service-account tokens)", _KC),
    "clientHost": _spec("client IP (Keycloak service accounts)", _KC),
    "clientAddress": _spec("client IP (Keycloak service accounts)", _KC),
}

HEADER_PARAMS: dict[str, ClaimSpec] = {
    "alg": _spec("signature or key-management algorithm", "RFC 7515 §4.1.1"),
    "typ": _spec("media type of the whole token (explicit typing)", "RFC 8725 §3.11"),
    "kid": _spec("key id: which issuer key signed it (a lookup key only)", "RFC 7515 §4.1.4"),
    "cty": _spec("content type of the payload", "RFC 7515 §4.1.10"),
    "jku": _spec("URL of a key set (never followed by agentctl)", "RFC 7515 §4.1.2"),
    "jwk": _spec("an embedded public key (never trusted by agentctl)", "RFC 7515 §4.1.3"),
    "x5u": _spec("URL of a certificate chain (never followed by agentctl)", "RFC 7515 §4.1.5"),
    "x5c": _spec("embedded certificate chain", "RFC 7515 §4.1.6"),
    "x5t": _spec("SHA-1 certificate thumbprint", "RFC 7515 §4.1.7"),
    "x5t#S256": _spec("SHA-256 certificate thumbprint", "RFC 7515 §4.1.8"),
    "crit": _spec("extensions the receiver must understand", "RFC 7515 §4.1.11"),
    "enc": _spec("content encryption algorithm", "RFC 7516 §4.1.2"),
    "zip": _spec("compression before encryption", "RFC 7516 §4.1.3"),
    "b64": _spec("payload not base64url-encoded", "RFC 7797 §3"),
}

TIME_CLAIMS = ("exp", "nbf", "iat", "auth_time", "updated_at")


def describe_claims(payload: dict[str, Any], now: datetime) -> list[ClaimInfo]:
    """Every claim in `payload`, in token order, with its meaning."""
    out: list[ClaimInfo] = []
    for name, value in payload.items():
        spec = CLAIMS.get(name)
        if spec is None and name.startswith(("http://", "https://")):
            meaning, reference, known = (
                "namespaced custom claim (set by the IdP's rules)",
                None,
                False,
            )
        elif spec is None:
            meaning, reference, known = (
                "unknown claim: not in any registry agentctl knows",
                None,
                False,
            )
        else:
            meaning, reference, known = spec.meaning, spec.reference, True
        out.append(ClaimInfo(name, value, meaning, reference, known, _note(name, value, now)))
    return out


def describe_header(header: dict[str, Any]) -> list[ClaimInfo]:
    out: list[ClaimInfo] = []
    for name, value in header.items():
        spec = HEADER_PARAMS.get(name)
        if spec is None:
            out.append(ClaimInfo(name, value, "unknown header parameter", None, False))
        else:
            out.append(ClaimInfo(name, value, spec.meaning, spec.reference, True))
    return out


def _note(name: str, value: Any, now: datetime) -> str | None:
    if name in TIME_CLAIMS:
        seconds = timefmt.numeric_date(value)
        if seconds is None:
            return "not a NumericDate (seconds since 1970)"
        stamp = timefmt.iso(seconds)
        if name == "exp":
            return f"{stamp} ({timefmt.describe_exp(seconds, now)})"
        if name == "nbf":
            return f"{stamp} ({timefmt.describe_nbf(seconds, now)})"
        return f"{stamp} ({timefmt.relative(seconds, now)})"
    if name in ("xms_act_fct", "xms_sub_fct"):
        facets = facet_values(value)
        labels = [FACETS[f] for f in facets if f in FACETS]
        return ", ".join(labels) if labels else None
    if name in ("appidacr", "azpacr"):
        return {"0": "public client", "1": "client secret", "2": "certificate"}.get(str(value))
    return None


FACETS = {
    11: "AgentIdentity",
    13: "AgentIDUser",
    15: "AgenticAppBuilder",
    17: "ServicePrincipalRequiredByAppOnlyClient",
}


def facet_values(value: Any) -> set[int]:
    """Entra facet claims: space-separated integers in any order (arrays tolerated)."""
    items = value if isinstance(value, list) else str(value).split() if value is not None else []
    out: set[int] = set()
    for item in items:
        text = str(item).strip()
        if text.isdigit() and len(text) < 6:
            out.add(int(text))
    return out


def scopes_of(payload: dict[str, Any]) -> list[str]:
    """`scope` (RFC 8693: a string) or `scp` (Entra string, Okta array)."""
    out: list[str] = []
    for name in ("scope", "scp"):
        value = payload.get(name)
        if isinstance(value, str):
            out.extend(value.split())
        elif isinstance(value, list):
            out.extend(str(v) for v in value if isinstance(v, str | int))
    return list(dict.fromkeys(out))


def strings_of(value: Any) -> list[str]:
    """A string or an array of strings as a list (other members dropped)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def roles_of(payload: dict[str, Any]) -> list[str]:
    roles = strings_of(payload.get("roles"))
    realm = payload.get("realm_access")
    if isinstance(realm, dict):
        roles.extend(strings_of(realm.get("roles")))
    perms = strings_of(payload.get("permissions"))
    return list(dict.fromkeys(roles + perms))


def short(value: Any, limit: int = 120) -> str:
    """One-line rendering of a claim value for people."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = [
    "CLAIMS",
    "FACETS",
    "HEADER_PARAMS",
    "TIME_CLAIMS",
    "ClaimInfo",
    "ClaimSpec",
    "describe_claims",
    "describe_header",
    "facet_values",
    "roles_of",
    "scopes_of",
    "short",
    "strings_of",
]
