"""Which IdP wrote the token (its dialect) and what kind of token it is.

Dialects (docs/protocols.md §6–§9, §11.1): Entra (v1 `sts.windows.net/{tid}/`, v2
`login.microsoftonline.com/{tid}/v2.0`, Agent ID facets), Okta (`cid`/`uid`), Keycloak
(`/realms/{realm}`), Auth0 (`gty`, `@clients`), otherwise generic RFC 8693.
Kinds: explicit typing first (RFC 8725 §3.11: `at+jwt`, `oauth-id-jag+jwt`, `txntoken+jwt`,
`logout+jwt`, `client-authentication+jwt`), then the claims.
"""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlsplit

from agentctl.core.claims import facet_values, strings_of

Dialect = Literal["generic", "entra", "okta", "keycloak", "auth0"]
Kind = Literal[
    "access_token", "id_token", "id_jag", "txn_token", "client_assertion", "logout_token", "other"
]

_ENTRA_V1 = re.compile(r"^https://sts\.windows\.net/[^/]+/?$")
_ENTRA_V2 = re.compile(r"^https://login\.microsoftonline\.(com|us)/[^/]+/v2\.0/?$")
_ENTRA_HOSTS = ("sts.windows.net", "login.microsoftonline.com", "login.microsoftonline.us")
_OKTA_HOSTS = (".okta.com", ".oktapreview.com", ".okta-emea.com", ".okta-gov.com")
_BCL_EVENT = "http://schemas.openid.net/event/backchannel-logout"

# Claims that settle the kind on their own; weaker hints (scope, client_id) are shared by
# access tokens, ID-JAGs and txn-tokens, so they never contradict an explicit typ.
DECISIVE_KINDS: frozenset[str] = frozenset({"logout_token", "txn_token", "id_token"})

TYP_KINDS: dict[str, Kind] = {
    "at+jwt": "access_token",
    "oauth-id-jag+jwt": "id_jag",
    "txntoken+jwt": "txn_token",
    "logout+jwt": "logout_token",
    "client-authentication+jwt": "client_assertion",
}


# Entra's token-exchange resource: App ID URI api://AzureADTokenExchange, app id fb60f99c-… (field
# captures of Agent ID leg 1 show the GUID as `aud`; docs/protocols.md §6.6 the URI). A token for
# it opens no API: it is the blueprint's exchange token T1, the federated credential assertion the
# agent identity named by `fmi_path` presents as its client_assertion (agent-oauth-protocols; the
# MSAL wiki "How to Use FIC and FMI in Agentic Scenarios").
ENTRA_EXCHANGE_AUDIENCES = frozenset(
    {"fb60f99c-7a34-4190-8149-302f77469936", "api://azureadtokenexchange"}
)


def entra_exchange_target(payload: dict[str, Any]) -> str | None:
    """For an Entra Agent ID exchange token (T1): the agent identity it was issued for (the
    `fmi_path`, the last segment of `sub` /eid1/c/pub/t/<tenant>/a/<blueprint>/<fmi_path>), or ""
    when `sub` does not say. None for any other token."""
    iss = payload.get("iss")
    if not isinstance(iss, str) or not (_ENTRA_V1.match(iss) or _ENTRA_V2.match(iss)):
        return None
    auds = [a.rstrip("/").lower() for a in strings_of(payload.get("aud"))]
    if not auds or not all(a in ENTRA_EXCHANGE_AUDIENCES for a in auds):
        return None
    sub = payload.get("sub")
    if isinstance(sub, str) and sub.startswith("/eid1/") and "/a/" in sub:
        rest = sub.split("/a/", 1)[1].split("/", 1)
        return rest[1] if len(rest) == 2 else ""
    return ""


class DialectInfo:
    __slots__ = ("agent_id", "evidence", "name", "version")

    name: Dialect
    version: str | None
    agent_id: bool
    evidence: list[str]

    def __init__(
        self,
        name: Dialect,
        version: str | None = None,
        agent_id: bool = False,
        evidence: list[str] | None = None,
    ) -> None:
        self.name = name
        self.version = version
        self.agent_id = agent_id
        self.evidence = evidence if evidence is not None else []


class KindInfo:
    __slots__ = ("by_claims", "evidence", "kind", "typ")

    kind: Kind
    evidence: list[str]
    typ: str | None
    by_claims: Kind | None

    def __init__(
        self,
        kind: Kind,
        evidence: list[str],
        typ: str | None,
        by_claims: Kind | None,
    ) -> None:
        self.kind = kind
        self.evidence = evidence
        self.typ = typ
        self.by_claims = by_claims


def _host(iss: str) -> str:
    try:
        return (urlsplit(iss).hostname or "").lower()
    except ValueError:
        return ""


def detect_dialect(payload: dict[str, Any]) -> DialectInfo:
    """The issuer's dialect, with the claims that show it."""
    raw_iss = payload.get("iss")
    iss = raw_iss if isinstance(raw_iss, str) else ""
    host = _host(iss)
    agent_id = bool(
        {11, 13}
        & (facet_values(payload.get("xms_act_fct")) | facet_values(payload.get("xms_sub_fct")))
    )
    if (
        _ENTRA_V1.match(iss)
        or _ENTRA_V2.match(iss)
        or host in _ENTRA_HOSTS
        or ("tid" in payload and "oid" in payload and ("appid" in payload or "azp" in payload))
    ):
        version = "1.0" if _ENTRA_V1.match(iss) else "2.0" if _ENTRA_V2.match(iss) else None
        ver = payload.get("ver")
        version = str(ver) if isinstance(ver, str) and ver in ("1.0", "2.0") else version
        evidence = [f"iss {iss}" if host in _ENTRA_HOSTS else "tid + oid + appid/azp claims"]
        if agent_id:
            evidence.append("xms_*_fct facets name an Agent ID")
        return DialectInfo("entra", version, agent_id, evidence)
    if host.endswith(_OKTA_HOSTS) or ("cid" in payload and "ver" in payload):
        return DialectInfo("okta", None, False, [f"iss {iss}" if host else "cid + ver claims"])
    if (
        "/realms/" in iss
        or isinstance(payload.get("realm_access"), dict)
        or (isinstance(payload.get("resource_access"), dict) and "azp" in payload)
    ):
        return DialectInfo(
            "keycloak",
            None,
            False,
            [
                "iss …/realms/{realm}"
                if "/realms/" in iss
                else "realm_access/resource_access claims"
            ],
        )
    sub = payload.get("sub")
    if (
        host.endswith(".auth0.com")
        or "gty" in payload
        or (isinstance(sub, str) and sub.endswith("@clients"))
    ):
        what = f"iss {iss}" if host.endswith(".auth0.com") else "gty claim or sub …@clients"
        return DialectInfo("auth0", None, False, [what])
    return DialectInfo("generic", None, False, ["no vendor markers: read as RFC 7519/8693/9068"])


def normalize_typ(value: Any) -> str | None:
    """RFC 7515 §4.1.9: `application/` may be omitted; compare case-insensitively."""
    if not isinstance(value, str):
        return None
    typ = value.strip().lower()
    return typ.removeprefix("application/")


def kind_by_claims(payload: dict[str, Any]) -> tuple[Kind | None, str | None]:
    """What the claims alone say, or (None, None) when they do not decide."""
    events = payload.get("events")
    if isinstance(events, dict) and _BCL_EVENT in events:
        return "logout_token", "events ∋ back-channel logout"
    if "txn" in payload and "req_wl" in payload:
        return "txn_token", "txn + req_wl claims"
    kc_typ = payload.get("typ")
    if kc_typ == "ID":
        return "id_token", "typ claim ID (Keycloak)"
    if kc_typ == "Bearer":
        return "access_token", "typ claim Bearer (Keycloak)"
    if "nonce" in payload or "at_hash" in payload or "c_hash" in payload:
        return "id_token", "nonce/at_hash/c_hash claims"
    if "auth_time" in payload and not any(
        k in payload for k in ("client_id", "scope", "scp", "roles", "act", "cid", "appid")
    ):
        # An ID token issued without a nonce (the embedded IdP's, typ "JWT"): auth_time with
        # neither RFC 9068's client_id nor any scope (OIDC Core §2).
        return "id_token", "auth_time without client_id or scope"
    if any(k in payload for k in ("scp", "scope", "roles", "cid", "appid", "gty", "permissions")):
        return "access_token", "scope/scp/roles/client claims"
    iss, sub = payload.get("iss"), payload.get("sub")
    auds = strings_of(payload.get("aud"))
    if (
        isinstance(iss, str)
        and iss
        and iss == sub
        and any(a.rstrip("/").endswith("token") for a in auds)
    ):
        return "client_assertion", "iss = sub and aud is a token endpoint (RFC 7523 §3)"
    return None, None


def detect_kind(header: dict[str, Any], payload: dict[str, Any]) -> KindInfo:
    typ = normalize_typ(header.get("typ"))
    by_claims, why = kind_by_claims(payload)
    if typ in TYP_KINDS:
        return KindInfo(TYP_KINDS[typ], [f"header typ {header.get('typ')}"], typ, by_claims)
    target = entra_exchange_target(payload)
    if target is not None:
        # Before the claims: T1 carries azp/idtyp like an app-only access token, yet it is only
        # ever sent as a client_assertion (leg 2).
        return KindInfo(
            "client_assertion",
            [
                "aud api://AzureADTokenExchange: an Entra Agent ID exchange token (T1), the "
                "blueprint's federated credential assertion for "
                + (f"agent identity {target}" if target else "an agent identity")
                + "'s token exchange"
            ],
            typ,
            by_claims,
        )
    if by_claims is not None:
        return KindInfo(by_claims, [why or "claims"], typ, by_claims)
    if "act" in payload or "client_id" in payload or "azp" in payload:
        return KindInfo("access_token", ["act/client_id/azp claims"], typ, None)
    return KindInfo("other", ["neither typ nor claims identify it"], typ, None)


__all__ = [
    "DECISIVE_KINDS",
    "ENTRA_EXCHANGE_AUDIENCES",
    "TYP_KINDS",
    "Dialect",
    "DialectInfo",
    "Kind",
    "KindInfo",
    "detect_dialect",
    "detect_kind",
    "entra_exchange_target",
    "kind_by_claims",
    "normalize_typ",
]
