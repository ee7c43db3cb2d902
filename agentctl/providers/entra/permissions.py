"""Which Microsoft Graph application permissions each agentctl operation needs on Entra, and
the admin-consent URLs that grant what is missing.

The table is the Graph API reference's "least privileged" column for each call (pages named
per row), checked against ../shared/docs/entra-facts.md. Any one permission of a row's `any_of`
is enough. `Directory.ReadWrite.All` / `Directory.AccessAsUser.All` on the calling client make
every Agent ID write fail with 403 (Agent ID known issues), so they are reported as a trap.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

# Where an admin sends a browser to consent for an agent identity (interactive-agent-request-
# admin-authorization): Entra's own landing page, since agent identities have no redirect URIs.
CONSENT_REDIRECT = "https://entra.microsoft.com/TokenAuthorize"
TRAP_PERMISSIONS = ("Directory.ReadWrite.All", "Directory.AccessAsUser.All")


@dataclass(frozen=True)
class Need:
    operation: str
    any_of: tuple[str, ...]
    source: str  # the Graph API reference page
    optional: bool = False  # the registration completes without it (consent is then pending)

    def held_by(self, roles: Iterable[str]) -> str | None:
        held = set(roles)
        return next((p for p in self.any_of if p in held), None)


NEEDS: tuple[Need, ...] = (
    Need(
        "create an app (--kind app)",
        ("Application.ReadWrite.All",),
        "application-post-applications",
    ),
    Need(
        "create a blueprint",
        ("AgentIdentityBlueprint.Create", "AgentIdentityBlueprint.ReadWrite.All"),
        "agentidentityblueprint-post",
    ),
    Need(
        "create the blueprint principal",
        ("AgentIdentityBlueprintPrincipal.Create", "AgentIdentityBlueprintPrincipal.ReadWrite.All"),
        "agentidentityblueprintprincipal-post",
    ),
    Need(
        "add the blueprint's credential",
        ("AgentIdentityBlueprint.AddRemoveCreds.All", "AgentIdentityBlueprint.ReadWrite.All"),
        "agentidentityblueprint-addpassword",
    ),
    Need(
        "expose access_agent for OBO",
        ("AgentIdentityBlueprint.UpdateAuthProperties.All", "AgentIdentityBlueprint.ReadWrite.All"),
        "agentidentityblueprint-update",
    ),
    Need(
        "look up sponsors by UPN",
        ("User.Read.All", "User.ReadBasic.All", "Directory.Read.All"),
        "user-get",
    ),
    Need(
        "consent for OBO and agent users (oauth2PermissionGrant)",
        ("DelegatedPermissionGrant.ReadWrite.All",),
        "oauth2permissiongrant-post",
        optional=True,
    ),
    Need(
        "let the blueprint create agent users; app roles (appRoleAssignment)",
        ("AppRoleAssignment.ReadWrite.All",),
        "serviceprincipal-post-approleassignments",
    ),
    Need(
        "delete agent identities the blueprint cannot",
        ("AgentIdentity.DeleteRestore.All",),
        "agentidentity-delete",
        optional=True,
    ),
    Need(
        "delete blueprints",
        ("AgentIdentityBlueprint.DeleteRestore.All", "AgentIdentityBlueprint.ReadWrite.All"),
        "agentidentityblueprint-delete",
        optional=True,
    ),
)
NEED_BY_OPERATION = {n.operation: n for n in NEEDS}
# The list the README gives, one permission per row (the least privileged).
DOCUMENTED = tuple(n.any_of[0] for n in NEEDS)


def needs_for(
    *,
    kind: str,
    new_blueprint: bool,
    expose_api: bool,
    sponsor_upns: bool,
    agent_user: bool,
) -> list[Need]:
    """The rows a registration of this shape needs."""
    if kind == "app":
        return [NEEDS[0]]
    out: list[Need] = []
    if new_blueprint:
        out += [NEEDS[1], NEEDS[2], NEEDS[3]]
        if expose_api:
            out.append(NEEDS[4])
    if sponsor_upns:
        out.append(NEEDS[5])
    out.append(NEEDS[6])
    if agent_user:
        out.append(NEEDS[7])
    return out


def roles_of(access_token: str) -> list[str] | None:
    """The `roles` claim of an app-only token (unverified: this is the caller's own token, read
    to say what it may do), or None when it cannot be read."""
    try:
        payload = access_token.split(".")[1]
        claims: Any = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    roles = claims.get("roles") if isinstance(claims, dict) else None
    if roles is None:
        return []
    return [str(r) for r in roles] if isinstance(roles, list) else None


def admin_consent_url(
    login_base: str,
    tenant: str,
    client_id: str,
    *,
    scopes: Iterable[str] = (),
    roles: Iterable[str] = (),
    resource: str = "https://graph.microsoft.com",
) -> str:
    """`/{tenant}/v2.0/adminconsent?client_id=…&scope=…|role=…&redirect_uri=…`
    (interactive-agent-request-admin-authorization, grant-application-permissions-agent-
    identity)."""
    params = {"client_id": client_id}
    scope_list = [s if "/" in s else f"{resource}/{s}" for s in scopes]
    if scope_list:
        params["scope"] = " ".join(scope_list)
    role_list = list(roles)
    if role_list:
        params["role"] = " ".join(role_list)
    params["redirect_uri"] = CONSENT_REDIRECT
    return f"{login_base}/{tenant}/v2.0/adminconsent?{urlencode(params)}"


__all__ = [
    "CONSENT_REDIRECT",
    "DOCUMENTED",
    "NEEDS",
    "NEED_BY_OPERATION",
    "TRAP_PERMISSIONS",
    "Need",
    "admin_consent_url",
    "needs_for",
    "roles_of",
]
