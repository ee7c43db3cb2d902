"""`agentctl doctor`, the IdP's side: what its metadata offers (grants, endpoints, ID-JAG),
which exchange modes that allows, and what agentctl's capability table documents for its kind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from agentctl.errors import AgentctlError
from agentctl.services.doctor_report import Report

if TYPE_CHECKING:
    from agentctl.http_types import HttpClient
    from agentctl.providers.base import IdentityProvider

ID_JAG_TYPE = "urn:ietf:params:oauth:token-type:id-jag"
ID_JAG_PROFILE = "urn:ietf:params:oauth:grant-profile:id-jag"

GRANTS: tuple[tuple[str, str, str], ...] = (
    ("client_credentials", "client_credentials", "client credentials (mode agent)"),
    (
        "token_exchange",
        "urn:ietf:params:oauth:grant-type:token-exchange",
        "RFC 8693 token exchange (modes user, obo)",
    ),
    (
        "jwt_bearer",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "RFC 7523 jwt-bearer (ID-JAG redemption, Entra OBO)",
    ),
    (
        "device_code",
        "urn:ietf:params:oauth:grant-type:device_code",
        "RFC 8628 device code (user sign-in)",
    ),
)
ENDPOINTS: tuple[tuple[str, str, str], ...] = (
    ("registration", "registration_endpoint", "RFC 7591 dynamic registration (register)"),
    ("introspection", "introspection_endpoint", "RFC 7662 introspection"),
    ("revocation", "revocation_endpoint", "RFC 7009 revocation"),
    ("device_authorization", "device_authorization_endpoint", "RFC 8628 device authorization"),
)


def caps_of(provider: IdentityProvider) -> frozenset[str]:
    return frozenset(str(c) for c in provider.capabilities)


def capability_checks(
    report: Report, md: Mapping[str, Any], provider: IdentityProvider, kind: str
) -> dict[str, bool]:
    caps: dict[str, bool] = {}
    grants = md.get("grant_types_supported")
    published = isinstance(grants, list)
    if not published and kind != "entra":
        report.add(
            "grants",
            "capabilities",
            "warn",
            "the IdP does not publish grant_types_supported: agentctl tries grants and reports "
            "what the IdP answers",
        )
    provider_caps = caps_of(provider)
    pinned = set(getattr(provider, "pinned_grants", ()))
    for key, grant, text in GRANTS:
        if kind == "entra":
            has = {
                "client_credentials": "client_credentials" in provider_caps,
                "token_exchange": False,
                "jwt_bearer": "jwt_bearer" in provider_caps,
                "device_code": "device_authorization" in provider_caps,
            }[key]
        else:
            listed = grant in grants if published and isinstance(grants, list) else True
            has = listed or grant in pinned
            if has and not listed:
                text += " [pinned by the profile]"
        caps[key] = has
        why = None if has else f"grant_types_supported lacks {grant}"
        if key == "token_exchange" and kind == "entra":
            why = "Entra answers the RFC 8693 grant with AADSTS82001; it runs OBO as jwt-bearer"
        # Unlisted is not refused: for a generic IdP doctor probes it (doctor_probe).
        absent = "not offered" if kind in ("entra", "local") else "not listed"
        report.add(
            f"grant.{key}",
            "capabilities",
            "ok" if has else "no",
            f"{text}: {'offered' if has else absent}",
            why,
        )
    for key, member, text in ENDPOINTS:
        has = isinstance(md.get(member), str)
        if kind == "entra" and key == "registration":
            has = True
            text = "registration through Microsoft Graph (register --kind app|agent-identity)"
        caps[key] = has
        url = md.get(member)
        where = url if isinstance(url, str) else "offered"
        report.add(
            f"endpoint.{key}",
            "capabilities",
            "ok" if has else "no",
            f"{text}: {where if has else 'not offered'}",
            None if has else f"its metadata has no {member}",
        )
    methods = md.get("token_endpoint_auth_methods_supported")
    if isinstance(methods, list) and methods:
        caps["private_key_jwt"] = "private_key_jwt" in methods
        report.add(
            "auth_methods",
            "capabilities",
            "info",
            f"client authentication: {', '.join(map(str, methods))}",
        )
    chaining = md.get("identity_chaining_requested_token_types_supported")
    issues = isinstance(chaining, list) and ID_JAG_TYPE in chaining
    profiles = md.get("authorization_grant_profiles_supported")
    redeems = isinstance(profiles, list) and ID_JAG_PROFILE in profiles
    caps["id_jag_issuer"] = issues
    caps["id_jag_receiver"] = redeems
    report.add(
        "id_jag.issuer",
        "capabilities",
        "ok" if issues else "no",
        "issues ID-JAGs (identity_chaining_requested_token_types_supported has id-jag)"
        if issues
        else "does not issue ID-JAGs",
        None if issues else "identity_chaining_requested_token_types_supported lacks id-jag",
    )
    report.add(
        "id_jag.receiver",
        "capabilities",
        "ok" if redeems else "no",
        "redeems ID-JAGs (authorization_grant_profiles_supported has grant-profile:id-jag)"
        if redeems
        else "does not advertise redeeming ID-JAGs",
        None if redeems else "authorization_grant_profiles_supported lacks grant-profile:id-jag",
    )
    return caps


def mode_checks(
    report: Report, caps: Mapping[str, bool], kind: str, *, provider_caps: frozenset[str]
) -> None:
    """Which `agentctl exchange` modes this IdP can run, from what it advertises."""
    te = caps.get("token_exchange", False)
    rows: list[tuple[str, bool, str, str]] = [
        (
            "register",
            caps.get("registration", False),
            "agentctl register creates agents here",
            "no dynamic registration: create the client in the IdP's console and add its id "
            "to the profile",
        ),
        (
            "agent",
            caps.get("client_credentials", False),
            "exchange --mode agent (client credentials)",
            "this IdP does not offer the client credentials grant",
        ),
    ]
    if kind == "entra":
        rows += [
            (
                "user",
                caps.get("device_code", False),
                "exchange --mode user (device-code sign-in)",
                "device code sign-in is not available",
            ),
            (
                "obo",
                caps.get("jwt_bearer", False),
                "exchange --mode obo (Entra on-behalf-of / Agent ID legs)",
                "jwt-bearer OBO is not available",
            ),
        ]
    else:
        user_ok = te or caps.get("device_code", False) or kind == "local"
        rows += [
            (
                "user",
                user_ok,
                "exchange --mode user"
                + (" (sign-in by the loopback shortcut or device code)" if kind == "local" else ""),
                "no device code and no token exchange: bring a user token with --subject-token",
            ),
            (
                "obo",
                te and "token_exchange_actor" in provider_caps,
                "exchange --mode obo (RFC 8693 with an actor token)",
                "this IdP does not offer token exchange (grant_types_supported lacks "
                "urn:ietf:params:oauth:grant-type:token-exchange), so obo cannot run here",
            ),
            (
                "id-jag",
                caps.get("id_jag_issuer", False) and te,
                "exchange --via id-jag (this IdP issues ID-JAGs)",
                "this IdP does not issue ID-JAGs",
            ),
        ]
    for mode, ok, yes, no in rows:
        report.add(
            f"mode.{mode}",
            "modes",
            "ok" if ok else "no",
            yes if ok else no,
            None if ok else "`agentctl choose` suggests a mode this IdP can run",
        )


def resource_issuer_check(report: Report, http: HttpClient, provider: IdentityProvider) -> None:
    """The embedded IdP's second issuer, where ID-JAGs are redeemed (jwt-bearer)."""
    from agentctl.oauth.discovery import fetch_metadata

    resource_issuer = getattr(provider, "resource_issuer", None)
    if not callable(resource_issuer):
        return
    url = str(resource_issuer())
    try:
        md = fetch_metadata(http, url)
    except AgentctlError as exc:
        report.add(
            "id_jag.resource_issuer",
            "modes",
            "warn",
            f"resource issuer {url} unreadable: {exc.message}",
            "the ID-JAG path (`exchange --via id-jag`) needs it",
        )
        return
    profiles = md.get("authorization_grant_profiles_supported")
    ok = isinstance(profiles, list) and ID_JAG_PROFILE in profiles
    report.add(
        "id_jag.resource_issuer",
        "modes",
        "ok" if ok else "no",
        f"resource issuer {url} redeems ID-JAGs"
        if ok
        else f"resource issuer {url} does not advertise ID-JAG redemption",
    )


def table_checks(report: Report, kind: str) -> None:
    """What agentctl's capability table (from vendor documentation) says for this IdP kind."""
    from agentctl.core.capabilities import EXCHANGE_MODE, IDP_KINDS, capabilities_for

    if kind not in IDP_KINDS:
        return
    table = capabilities_for(kind)
    for mode, entry in table.modes:
        text = f"{EXCHANGE_MODE.get(mode, mode)}: {entry.support} ({entry.flow})"
        if entry.maturity != "ga":
            text += f" [{entry.maturity}]"
        report.add(
            f"documented.{mode}",
            "documented",
            "info",
            text,
            entry.alternative if not entry.supported else None,
        )
    report.add(
        "documented.id_jag",
        "documented",
        "info",
        f"ID-JAG issuer: {table.id_jag.issuer}, receiver: {table.id_jag.receiver}",
    )


__all__ = [
    "ENDPOINTS",
    "GRANTS",
    "ID_JAG_PROFILE",
    "ID_JAG_TYPE",
    "capability_checks",
    "caps_of",
    "mode_checks",
    "resource_issuer_check",
    "table_checks",
]
