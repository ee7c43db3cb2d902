"""Entra provider settings and results (plain data, JSON-ready through `to_dict`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentctl.core.checks import Check
from agentctl.core.redact import fingerprint, redact_mapping
from agentctl.errors import ConfigError
from agentctl.providers.entra.credentials import ClientCredential

# Login and Graph hosts per national cloud (Microsoft "national cloud deployments").
CLOUDS: dict[str, tuple[str, str]] = {
    "public": ("login.microsoftonline.com", "graph.microsoft.com"),
    "usgov": ("login.microsoftonline.us", "graph.microsoft.us"),
    "china": ("login.partner.microsoftonline.cn", "microsoftgraph.chinacloudapi.cn"),
}
TOKEN_EXCHANGE_SCOPE = "api://AzureADTokenExchange/.default"  # noqa: S105 -- a scope
# The audience federated credentials name (workload identity federation, Agent ID leg 1).
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"  # noqa: S105 -- an audience
BLUEPRINT_SCOPE_VALUE = "access_agent"


@dataclass(frozen=True)
class EntraSettings:
    """What an Entra profile holds. Secrets arrive already read from the secret store.

    - `tenant`: tenant id (GUID) or verified domain (`contoso.onmicrosoft.com`).
    - `admin_client_id` / `admin_credential`: the app agentctl uses to call Graph.
    - `blueprint_app_id` / `blueprint_credential`: an Agent ID blueprint to reuse.
    - `public_client_id`: an app with public client flows enabled, for device-code sign-in.
    - `agent_api_version`: Graph version for the Agent ID endpoints. The blueprint, blueprint
      principal and agent identity APIs are GA on `v1.0` (Graph API reference,
      agentidentityblueprint-post etc., graph-rest-1.0); `beta` still works.
    - `propagation_window`: seconds to keep retrying while new objects propagate.
    """

    tenant: str
    admin_client_id: str | None = None
    admin_credential: ClientCredential | None = None
    cloud: str = "public"
    blueprint_app_id: str | None = None
    blueprint_credential: ClientCredential | None = None
    public_client_id: str | None = None
    agent_api_version: str = "v1.0"
    propagation_window: float = 600.0

    def __post_init__(self) -> None:
        if self.cloud not in CLOUDS:
            raise ConfigError(
                f"unknown Entra cloud {self.cloud!r}",
                hint=f"use one of: {', '.join(CLOUDS)}",
            )
        if (
            not self.tenant
            or "/" in self.tenant
            or self.tenant.lower() in ("common", "organizations", "consumers")
        ):
            raise ConfigError(
                f"Entra tenant {self.tenant!r} is not a tenant id or domain",
                hint="use your tenant's GUID or its domain (contoso.onmicrosoft.com); "
                "app-only flows need a specific tenant, not /common",
            )

    @property
    def login_base(self) -> str:
        return f"https://{CLOUDS[self.cloud][0]}"

    @property
    def graph_base(self) -> str:
        return f"https://{CLOUDS[self.cloud][1]}"

    @property
    def graph_default_scope(self) -> str:
        return f"{self.graph_base}/.default"

    def authority(self, tenant: str | None = None) -> str:
        return f"{self.login_base}/{tenant or self.tenant}"

    def token_endpoint(self, tenant: str | None = None) -> str:
        return f"{self.authority(tenant)}/oauth2/v2.0/token"


@dataclass(frozen=True)
class EntraToken:
    access_token: str = field(repr=False)
    token_type: str
    expires_in: int | None
    scope: str | None
    header: dict[str, Any]
    claims: dict[str, Any]
    refresh_token: str | None = field(default=None, repr=False)
    via: str = "http"  # "msal" or "http" (the raw Agent ID legs)

    def to_dict(self, *, show_token: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "token_type": self.token_type,
            "expires_in": self.expires_in,
            "scope": self.scope,
            "fingerprint": fingerprint(self.access_token),
            "header": self.header,
            "claims": self.claims,
            "via": self.via,
        }
        if show_token:
            out["access_token"] = self.access_token
        return out


@dataclass(frozen=True)
class Leg:
    """One request to the token endpoint and what it returned."""

    name: str
    grant_type: str
    client_id: str
    endpoint: str
    request: dict[str, Any]  # the form; credentials are redacted on construction
    token: EntraToken

    def __post_init__(self) -> None:
        object.__setattr__(self, "request", redact_mapping(self.request))

    def to_dict(self, *, show_token: bool = False) -> dict[str, Any]:
        return {
            "name": self.name,
            "grant_type": self.grant_type,
            "client_id": self.client_id,
            "endpoint": self.endpoint,
            "request": self.request,
            "token": self.token.to_dict(show_token=show_token),
        }


@dataclass(frozen=True)
class EntraExchange:
    """The result of one mode: the final token, the legs that produced it, and the checks."""

    mode: str  # agent | obo | user | agent-user
    # classic-client-credentials | agent-id | classic-obo | agent-id-obo | device-code |
    # agent-user-fic
    flow: str
    token: EntraToken
    legs: tuple[Leg, ...]
    checks: tuple[Check, ...]
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_dict(self, *, show_token: bool = False) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "flow": self.flow,
            "ok": self.ok,
            "token": self.token.to_dict(show_token=show_token),
            "legs": [leg.to_dict(show_token=show_token) for leg in self.legs],
            "checks": [c.to_dict() for c in self.checks],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class DeviceFlow:
    """A started device-code sign-in: show `message`, then finish it."""

    client_id: str
    scopes: tuple[str, ...]
    user_code: str
    verification_uri: str
    message: str
    expires_in: int
    raw: dict[str, Any] = field(repr=False)


@dataclass
class EntraRegistration:
    """What `register` created. `credential` is new and must be stored by the caller (secret
    store); it belongs to `credential_owner` (the app, or the blueprint for an agent identity)."""

    kind: str  # "app" | "agent-identity"
    tenant: str
    display_name: str
    client_id: str
    object_id: str
    service_principal_id: str | None = None
    credential: ClientCredential | None = None
    credential_owner: str | None = None
    credential_key_id: str | None = None
    credential_expires: str | None = None
    blueprint: dict[str, str] | None = None
    agent_user: dict[str, str] | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False
    removed_credentials: list[str] = field(default_factory=list)
    # What consent the mode needs and whether it was given: {"status": "granted" | "pending" |
    # "none", "grants": [...], "admin_consent_url": ..., "missing": [...]}.
    consent: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self, *, show_secret: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "tenant": self.tenant,
            "display_name": self.display_name,
            "client_id": self.client_id,
            "object_id": self.object_id,
            "service_principal_id": self.service_principal_id,
            "blueprint": self.blueprint,
            "agent_user": self.agent_user,
            "dry_run": self.dry_run,
            "requests": self.requests,
        }
        if self.removed_credentials:
            out["removed_credentials"] = self.removed_credentials
        if self.consent is not None:
            out["consent"] = self.consent
        if self.notes:
            out["notes"] = self.notes
        if self.credential is not None:
            cred: dict[str, Any] = {
                **self.credential.describe(),
                "owner": self.credential_owner,
                "key_id": self.credential_key_id,
                "expires": self.credential_expires,
            }
            if show_secret:
                if self.credential.secret:
                    cred["secret"] = self.credential.secret
                else:
                    cred["private_key_pem"] = self.credential.private_key_pem
            if self.credential.certificate_pem:
                cred["certificate_pem"] = self.credential.certificate_pem
            out["credential"] = cred
        return out


__all__ = [
    "BLUEPRINT_SCOPE_VALUE",
    "CLOUDS",
    "TOKEN_EXCHANGE_AUDIENCE",
    "TOKEN_EXCHANGE_SCOPE",
    "DeviceFlow",
    "EntraExchange",
    "EntraRegistration",
    "EntraSettings",
    "EntraToken",
    "Leg",
]
