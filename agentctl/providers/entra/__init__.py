"""Microsoft Entra ID: app registrations, Agent ID, and the three modes (docs/protocols.md §6).

    provider = EntraProvider(EntraSettings(tenant=..., admin_client_id=..., admin_credential=...),
                             http)
    reg = provider.register("agent-identity", "triage-bot", sponsors=["alice@contoso.com"])
    result = provider.exchange_agent(scope="https://graph.microsoft.com/.default",
                                     agent_app_id=reg.client_id)

Modes, in Entra's own flows (none of them is RFC 8693, which Entra refuses: AADSTS70003 for an
ordinary app, AADSTS82001 reported for an agentic one):

- agent: classic client credentials for an ordinary app, or the Agent ID legs (T1 with
  `fmi_path`, then client credentials with T1 as client assertion).
- obo: classic OBO (jwt-bearer + requested_token_use=on_behalf_of), or Agent ID OBO (T1, then
  jwt-bearer OBO as the agent identity; the user token's audience must be the blueprint).
- user: device-code sign-in, then the user's token for the target scope.

Results carry the checks of `agentctl.core.entra_checks` and notes on where Entra differs from
RFC 8693. The class also implements `agentctl.providers.base.IdentityProvider`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from agentctl.core import entra_checks
from agentctl.core.checks import Check
from agentctl.errors import UsageError
from agentctl.oauth.device import DeviceAuthorization
from agentctl.oauth.transport import json_body, send
from agentctl.providers import ProviderSettings
from agentctl.providers.base import (
    AgentSpec,
    Capability,
    Credential,
    ExchangeRequest,
    Introspection,
    Registration,
    TokenSet,
    unsupported,
)
from agentctl.providers.entra.credentials import ClientCredential
from agentctl.providers.entra.graph import Progress
from agentctl.providers.entra.models import (
    BLUEPRINT_SCOPE_VALUE,
    DeviceFlow,
    EntraExchange,
    EntraRegistration,
    EntraSettings,
    EntraToken,
    Leg,
)
from agentctl.providers.entra.register import EntraRegistrar
from agentctl.providers.entra.tokens import JWT_BEARER, OIDC_SCOPES, EntraTokens, decode

if TYPE_CHECKING:
    from agentctl.http_types import HttpClient

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
REGISTER_KINDS = ("app", "agent-identity")
MODES = ("agent", "obo", "user", "agent-user")


def resource_of(scope: str, graph_base: str = "https://graph.microsoft.com") -> str:
    """The resource a scope string targets: `api://x/read` -> `api://x`; `User.Read` -> Graph."""
    for item in scope.split():
        if item in OIDC_SCOPES:
            continue
        if "/" in item:
            return item.rpartition("/")[0].rstrip("/")
        return graph_base
    return graph_base


def audience_matches(aud: Any, resource: str) -> bool:
    """Entra's `aud` is the API's client id (v2) or its App ID URI (v1); Graph may be either its
    URL or its well-known app id."""
    if not isinstance(aud, str):
        return False
    a, r = aud.rstrip("/").lower(), resource.rstrip("/").lower()
    if a == r or (r.startswith("api://") and a == r[6:]):
        return True
    return r.endswith("graph.microsoft.com") and a == GRAPH_APP_ID


def credential_from(cred: Credential) -> ClientCredential:
    """A base `Credential` as an Entra client credential. A certificate credential's
    `private_key_pem` holds the key and the certificate PEM blocks together; a federated one
    (method `federated_token_file`) keeps the token file's path in `key_id`."""
    from agentctl.providers.entra.credentials import FEDERATED_METHOD

    if cred.secret:
        return ClientCredential(secret=cred.secret)
    if cred.method == FEDERATED_METHOD and cred.key_id:
        return ClientCredential(federated_token_file=cred.key_id)
    pem = cred.private_key_pem or ""
    marker = "-----BEGIN CERTIFICATE-----"
    if marker not in pem:
        raise UsageError(
            "an Entra certificate credential needs the certificate with the private key",
            hint="store the PEM bundle agentctl register printed (key + certificate)",
        )
    key, _, cert = pem.partition(marker)
    return ClientCredential(private_key_pem=key.strip() + "\n", certificate_pem=marker + cert)


def pem_bundle(cred: ClientCredential) -> str | None:
    """The one string to keep in a secret store for a certificate credential."""
    if cred.private_key_pem and cred.certificate_pem:
        return cred.private_key_pem.rstrip("\n") + "\n" + cred.certificate_pem
    return None


class EntraProvider:
    """Entra through msal (client credentials, classic OBO, device code), raw HTTP (Agent ID
    legs) and Microsoft Graph (registration), all on the injected httpx client."""

    KIND: ClassVar[str] = "entra"
    CAPABILITIES: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.REGISTER,
            Capability.CLIENT_CREDENTIALS,
            Capability.JWT_BEARER,
            Capability.DEVICE_AUTHORIZATION,
        }
    )

    def __init__(
        self,
        settings: EntraSettings,
        http: HttpClient,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        progress: Progress | None = None,
        retry_attempts: int = 8,
        retry_backoff: float = 2.0,
    ) -> None:
        self.settings = settings
        self.http = http
        self.clock = clock
        self.tokens = EntraTokens(settings, http, clock=clock)
        self.registrar = EntraRegistrar(
            settings,
            self.tokens,
            now=lambda: dt.datetime.fromtimestamp(clock(), dt.UTC),
            sleep=sleep,
            progress=progress,
            attempts=retry_attempts,
            backoff=retry_backoff,
        )
        self._metadata: dict[str, Any] | None = None
        self._device: dict[str, DeviceFlow] = {}

    # --- IdentityProvider basics -----------------------------------------------------------

    @property
    def kind(self) -> str:
        return self.KIND

    @property
    def capabilities(self) -> frozenset[Capability]:
        return self.CAPABILITIES

    @property
    def issuer(self) -> str | None:
        return str(self.metadata().get("issuer") or "") or None

    def metadata(self) -> Mapping[str, Any]:
        if self._metadata is None:
            url = f"{self.settings.authority()}/v2.0/.well-known/openid-configuration"
            response = send(
                self.http, "GET", url, idempotent=True, headers={"Accept": "application/json"}
            )
            if response.status_code >= 400:
                from agentctl.providers.entra.tokens import entra_error

                raise entra_error(
                    json_body(response, "metadata"), status=response.status_code, endpoint=url
                )
            self._metadata = json_body(response, "metadata")
        return self._metadata

    def require(self, capability: Capability) -> None:
        if capability in self.CAPABILITIES:
            return
        exc = unsupported(capability, idp="Microsoft Entra")
        if capability in (Capability.TOKEN_EXCHANGE, Capability.TOKEN_EXCHANGE_ACTOR):
            exc.hint = (
                "Entra does not implement RFC 8693 (it answers AADSTS70003, or AADSTS82001 to an "
                "agentic app); use `--mode obo`, which runs Entra's on-behalf-of (jwt-bearer) or "
                "the Agent ID legs"
            )
        raise exc

    # --- registration ----------------------------------------------------------------------

    def register(self, kind: str, name: str, **options: Any) -> EntraRegistration:
        """`kind` app: options credential=secret|certificate, days, dry_run.
        `kind` agent-identity: also sponsors (object ids or UPNs), blueprint_name,
        reuse_blueprint, expose_api, agent_user_upn."""
        if kind == "app":
            return self.registrar.register_app(name, **options)
        if kind == "agent-identity":
            return self.registrar.register_agent_identity(name, **options)
        raise UsageError(
            f"unknown Entra registration kind {kind!r}", hint="use app or agent-identity"
        )

    def list_agents(self, *, blueprint_app_id: str | None = None) -> dict[str, Any]:
        return self.registrar.list_agents(blueprint_app_id=blueprint_app_id)

    def list_apps(self, *, display_name: str | None = None) -> list[dict[str, Any]]:
        return self.registrar.list_apps(display_name=display_name)

    def rotate(self, object_id: str, **options: Any) -> EntraRegistration:
        return self.registrar.rotate(object_id, **options)

    def delete(
        self,
        object_id: str,
        *,
        kind: str,
        dry_run: bool = False,
        blueprint: tuple[str, ClientCredential] | None = None,
    ) -> list[dict[str, Any]]:
        return self.registrar.delete(object_id, kind=kind, dry_run=dry_run, blueprint=blueprint)

    def set_enabled(
        self,
        object_id: str,
        enabled: bool,
        *,
        blueprint: tuple[str, ClientCredential] | None = None,
    ) -> list[dict[str, Any]]:
        return self.registrar.set_enabled(object_id, enabled, blueprint=blueprint)

    def restore(self, object_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return self.registrar.restore(object_id)

    def register_agent(
        self, spec: AgentSpec, *, initial_access_token: str | None = None, kind: str = "app"
    ) -> Registration:
        options: dict[str, Any] = {
            "credential": "certificate" if spec.credential == "private_key_jwt" else "secret"
        }
        if kind == "agent-identity":
            options["sponsors"] = [spec.sponsor] if spec.sponsor else []
        reg = self.register(kind, spec.name, **options)
        return self._registration(reg)

    def _registration(self, reg: EntraRegistration) -> Registration:
        cred = reg.credential
        thumb = cred.thumbprints()[0] if cred and cred.certificate_pem else None
        return Registration(
            client_id=reg.client_id,
            auth_method="private_key_jwt" if thumb else "client_secret_post",
            issuer=f"{self.settings.login_base}/{self.settings.tenant}/v2.0",
            token_endpoint=self.settings.token_endpoint(),
            created=not reg.dry_run,
            client_secret=cred.secret if cred else None,
            private_key_pem=pem_bundle(cred) if cred else None,
            key_id=thumb,
            metadata={k: v for k, v in reg.to_dict().items() if k != "credential"},
        )

    def import_client(self, credential: Credential) -> Registration:
        return Registration(
            client_id=credential.client_id,
            auth_method=credential.method,
            issuer=f"{self.settings.login_base}/{self.settings.tenant}/v2.0",
            token_endpoint=self.settings.token_endpoint(),
            created=False,
        )

    def delete_agent(self, registration: Registration) -> None:
        object_id = registration.metadata.get("object_id")
        kind = "agent-identity" if registration.metadata.get("kind") == "agent-identity" else "app"
        if not isinstance(object_id, str):
            raise UsageError("this registration has no Entra object id to delete")
        self.delete(object_id, kind=kind)

    # --- modes -----------------------------------------------------------------------------

    def _notes(self, token: EntraToken, *, mode: str) -> tuple[str, ...]:
        notes = list(entra_checks.DIFFERENCES_FROM_RFC8693[1:3])
        if mode == "obo":
            notes.insert(0, entra_checks.DIFFERENCES_FROM_RFC8693[0])
        parent = token.claims.get("xms_par_app_azp")
        if parent:
            notes.append(
                f"xms_par_app_azp = {parent}: the agent's blueprint "
                "(audit only, never authorize on it)"
            )
        if token.claims.get("ver") == "1.0":
            notes.append(
                "v1.0 token (the resource's choice, e.g. Graph): the client is in appid, not azp"
            )
        return tuple(notes)

    def exchange_agent(
        self,
        *,
        scope: str,
        agent_app_id: str | None = None,
        agent_object_id: str | None = None,
        client_id: str | None = None,
        credential: ClientCredential | None = None,
        tenant: str | None = None,
    ) -> EntraExchange:
        """Mode agent. With `agent_app_id`: the Agent ID legs as that agent identity (the
        profile's or the given blueprint signs leg 1). Otherwise classic client credentials for
        `client_id` + `credential`."""
        resource = resource_of(scope, self.settings.graph_base)
        if agent_app_id:
            t1, leg = self.tokens.agent_token(agent_app_id, scope, tenant=tenant)
            legs: tuple[Leg, ...] = (t1, leg)
            checks = entra_checks.check_agent(
                leg.token.claims,
                agent_app_id=agent_app_id,
                agent_object_id=agent_object_id,
                agent_id=True,
            )
            flow = "agent-id"
        else:
            cid, cred = self._client(client_id, credential)
            leg = self.tokens.client_credentials(cid, cred, scope, tenant=tenant)
            legs = (leg,)
            checks = entra_checks.check_agent(leg.token.claims, agent_app_id=cid, agent_id=False)
            flow = "classic-client-credentials"
        checks.append(self._aud_check(leg.token, resource))
        return EntraExchange(
            "agent", flow, leg.token, legs, tuple(checks), self._notes(leg.token, mode="agent")
        )

    def exchange_obo(
        self,
        *,
        scope: str,
        user_token: str,
        agent_app_id: str | None = None,
        client_id: str | None = None,
        credential: ClientCredential | None = None,
        tenant: str | None = None,
    ) -> EntraExchange:
        """Mode obo. With `agent_app_id`: Agent ID OBO (the user token's audience must be the
        blueprint: sign the user in for `blueprint_user_scope()`). Otherwise classic OBO by
        `client_id` (the user token's audience must be that app)."""
        resource = resource_of(scope, self.settings.graph_base)
        _, user_claims = decode(user_token)
        user_oid = str(user_claims.get("oid", ""))
        if agent_app_id:
            t1, leg = self.tokens.agent_obo(agent_app_id, user_token, scope, tenant=tenant)
            legs: tuple[Leg, ...] = (t1, leg)
            actor, agent_id, flow = agent_app_id, True, "agent-id-obo"
        else:
            cid, cred = self._client(client_id, credential)
            leg = self.tokens.classic_obo(cid, cred, user_token, scope)
            legs = (leg,)
            actor, agent_id, flow = cid, False, "classic-obo"
        checks = entra_checks.check_obo(
            leg.token.claims,
            user_oid=user_oid,
            agent_app_id=actor,
            agent_id=agent_id,
            subject_payload=user_claims,
        )
        checks.append(self._aud_check(leg.token, resource))
        return EntraExchange(
            "obo", flow, leg.token, legs, tuple(checks), self._notes(leg.token, mode="obo")
        )

    def exchange_obo_refresh(
        self,
        *,
        scope: str,
        refresh_token: str,
        agent_app_id: str,
        user_oid: str,
        tenant: str | None = None,
    ) -> EntraExchange:
        """Agent ID OBO from a kept refresh token (no user token, no sign-in): the same checks
        as `exchange_obo`, with the user the refresh token was issued for."""
        resource = resource_of(scope, self.settings.graph_base)
        t1, leg = self.tokens.agent_obo_refresh(agent_app_id, refresh_token, scope, tenant=tenant)
        checks = entra_checks.check_obo(
            leg.token.claims, user_oid=user_oid, agent_app_id=agent_app_id, agent_id=True
        )
        checks.append(self._aud_check(leg.token, resource))
        return EntraExchange(
            "obo",
            "agent-id-obo-refresh",
            leg.token,
            (t1, leg),
            tuple(checks),
            self._notes(leg.token, mode="obo"),
        )

    def exchange_user(
        self,
        *,
        scope: str,
        client_id: str | None = None,
        sign_in_scope: str | None = None,
        prompt: Callable[[DeviceFlow], None],
    ) -> EntraExchange:
        """Mode user: device-code sign-in (`prompt` shows the code), then the user's token for
        `scope` (straight from sign-in, or via msal's cache when `sign_in_scope` differs)."""
        flow = self.tokens.start_device_flow(sign_in_scope or scope, client_id)
        prompt(flow)
        sign_in = self.tokens.finish_device_flow(flow)
        legs: tuple[Leg, ...] = (sign_in,)
        final = sign_in
        if sign_in_scope and sign_in_scope != scope:
            final = self.tokens.user_token_silent(flow.client_id, scope)
            legs = (sign_in, final)
        checks = entra_checks.check_user(
            final.token.claims, user_oid=None, client_app_id=flow.client_id
        )
        checks.append(self._aud_check(final.token, resource_of(scope, self.settings.graph_base)))
        return EntraExchange(
            "user",
            "device-code",
            final.token,
            legs,
            tuple(checks),
            self._notes(final.token, mode="user"),
        )

    def exchange_agent_user(
        self,
        *,
        scope: str,
        agent_app_id: str,
        user_upn: str | None = None,
        user_oid: str | None = None,
        tenant: str | None = None,
    ) -> EntraExchange:
        """The agent as its own agent user (Agent ID `user_fic`, three legs)."""
        t1, t2, leg = self.tokens.agent_user_token(
            agent_app_id, scope, user_upn=user_upn, user_oid=user_oid, tenant=tenant
        )
        oid = user_oid or str(leg.token.claims.get("oid", ""))
        checks = entra_checks.check_agent_user(
            leg.token.claims, agent_user_oid=oid, agent_app_id=agent_app_id
        )
        checks.append(self._aud_check(leg.token, resource_of(scope, self.settings.graph_base)))
        return EntraExchange(
            "agent-user",
            "agent-user-fic",
            leg.token,
            (t1, t2, leg),
            tuple(checks),
            self._notes(leg.token, mode="agent-user"),
        )

    def run_mode(self, mode: str, **options: Any) -> EntraExchange:
        """Dispatch on `mode` (agent | obo | user | agent-user) to the `exchange_*` methods."""
        handlers: dict[str, Callable[..., EntraExchange]] = {
            "agent": self.exchange_agent,
            "obo": self.exchange_obo,
            "user": self.exchange_user,
            "agent-user": self.exchange_agent_user,
        }
        if mode not in handlers:
            raise UsageError(
                f"unknown mode {mode!r} for Entra", hint=f"use one of: {', '.join(MODES)}"
            )
        return handlers[mode](**options)

    def blueprint_user_scope(self, blueprint_app_id: str | None = None) -> str:
        """The scope a user signs in for so that Agent ID OBO accepts the token (aud = the
        blueprint): `api://<blueprint appId>/access_agent`."""
        bp = blueprint_app_id or self.settings.blueprint_app_id
        if not bp:
            raise UsageError("no blueprint in this profile", hint="pass the blueprint app id")
        return f"api://{bp}/{BLUEPRINT_SCOPE_VALUE}"

    def _client(
        self, client_id: str | None, credential: ClientCredential | None
    ) -> tuple[str, ClientCredential]:
        cid = client_id or self.settings.admin_client_id
        cred = credential or (
            self.settings.admin_credential if cid == self.settings.admin_client_id else None
        )
        if not cid or cred is None:
            raise UsageError(
                "this flow needs a client id and its credential (or an agent identity)",
                hint="pass the registered app's client id and stored credential, or "
                "--agent <agent identity appId> for the Agent ID flow",
            )
        return cid, cred

    def _aud_check(self, token: EntraToken, resource: str) -> Check:
        aud = token.claims.get("aud")
        return Check(
            "audience is the target",
            audience_matches(aud, resource),
            resource,
            str(aud) if aud is not None else "(absent)",
            entra_checks.REF_CLAIMS,
        )

    # --- IdentityProvider token methods ----------------------------------------------------

    def client_credentials(
        self,
        client: Credential,
        *,
        scope: str | None = None,
        resource: tuple[str, ...] = (),
        audience: tuple[str, ...] = (),
    ) -> TokenSet:
        target = scope or (f"{resource[0].rstrip('/')}/.default" if resource else None)
        if not target:
            raise UsageError(
                "Entra needs a scope: <resource>/.default",
                hint="Entra ignores audience/resource; pass --scope https://graph.microsoft.com/.default",
            )
        leg = self.tokens.client_credentials(client.client_id, credential_from(client), target)
        return _token_set(leg)

    def exchange(self, req: ExchangeRequest, *, client: Credential) -> TokenSet:
        """RFC 8693 is refused up front: Entra answers AADSTS82001. Use `run_mode`."""
        self.require(Capability.TOKEN_EXCHANGE)
        raise AssertionError("unreachable")  # pragma: no cover

    def jwt_bearer(
        self,
        assertion: str,
        *,
        client: Credential | None,
        scope: str | None = None,
        resource: tuple[str, ...] = (),
    ) -> TokenSet:
        """Entra's jwt-bearer grant is OBO: the client trades a user token for another."""
        if client is None:
            raise UsageError("Entra's on-behalf-of needs the middle-tier client's credential")
        target = scope or (f"{resource[0].rstrip('/')}/.default" if resource else None)
        if not target:
            raise UsageError("Entra needs a scope for on-behalf-of")
        leg = self.tokens.classic_obo(client.client_id, credential_from(client), assertion, target)
        return _token_set(leg)

    def start_device_authorization(
        self, *, client: Credential, scope: str | None = None
    ) -> DeviceAuthorization:
        flow = self.tokens.start_device_flow(scope or "User.Read", client.client_id)
        self._device[flow.user_code] = flow
        return DeviceAuthorization(
            device_code=str(flow.raw.get("device_code", "")),
            user_code=flow.user_code,
            verification_uri=flow.verification_uri,
            verification_uri_complete=None,
            expires_in=flow.expires_in,
            interval=int(flow.raw.get("interval", 5)),
        )

    def poll_device_token(
        self, authorization: DeviceAuthorization, *, client: Credential
    ) -> TokenSet:
        flow = self._device.pop(authorization.user_code, None)
        if flow is None:
            raise UsageError("this device code was not started by this provider")
        return _token_set(self.tokens.finish_device_flow(flow))

    def introspect(self, token: str, *, client: Credential) -> Introspection:
        raise unsupported(Capability.INTROSPECTION, idp="Microsoft Entra")

    def revoke(self, token: str, *, client: Credential) -> None:
        raise unsupported(Capability.REVOCATION, idp="Microsoft Entra")


def _credential_option(options: Mapping[str, Any], prefix: str) -> ClientCredential | None:
    secret = options.get(f"{prefix}_secret")
    bundle = options.get(f"{prefix}_private_key")
    if isinstance(secret, str) and secret:
        return ClientCredential(secret=secret)
    if isinstance(bundle, str) and bundle:
        return credential_from(Credential("", "private_key_jwt", private_key_pem=bundle))
    return None


def from_provider_settings(settings: ProviderSettings, http: HttpClient) -> EntraProvider:
    """A `ProviderFactory` for `PROVIDERS["entra"]`. `settings.options` carries: tenant,
    admin_client_id, admin_secret | admin_private_key (PEM bundle: key + certificate), cloud,
    blueprint_app_id, blueprint_secret | blueprint_private_key, public_client_id,
    propagation_window (seconds, from AGENTCTL_ENTRA_PROPAGATION_WINDOW)."""
    options = dict(settings.options)
    tenant = options.get("tenant")
    if not isinstance(tenant, str) or not tenant:
        from agentctl.errors import ConfigError

        raise ConfigError(
            "an entra profile needs a tenant (id or domain)",
            hint="`agentctl profile add NAME --kind entra --tenant contoso.onmicrosoft.com ...`",
        )

    def text(key: str) -> str | None:
        value = options.get(key)
        return value if isinstance(value, str) and value else None

    window = _propagation_window(options.get("propagation_window"))
    settings_ = EntraSettings(
        tenant=tenant,
        admin_client_id=text("admin_client_id"),
        admin_credential=_credential_option(options, "admin"),
        cloud=text("cloud") or "public",
        blueprint_app_id=text("blueprint_app_id"),
        blueprint_credential=_credential_option(options, "blueprint"),
        public_client_id=text("public_client_id"),
    )
    if window is not None:
        settings_ = dataclasses.replace(settings_, propagation_window=window)
    return EntraProvider(settings_, http)


def _propagation_window(raw: Any) -> float | None:
    """AGENTCTL_ENTRA_PROPAGATION_WINDOW: seconds (0 to 86400) to keep retrying Graph calls
    while new objects propagate (Microsoft: "several minutes"); unset keeps the default."""
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = -1.0
    if not 0 <= value <= 86400 or value != value:  # rejects NaN too
        from agentctl.errors import ConfigError

        raise ConfigError(
            f"AGENTCTL_ENTRA_PROPAGATION_WINDOW={raw!r} is not a number of seconds",
            hint="set it to seconds between 0 and 86400 (default 600), or unset it",
        )
    return value


def _token_set(leg: Leg) -> TokenSet:
    token = leg.token
    return TokenSet(
        access_token=token.access_token,
        token_type=token.token_type,
        expires_in=token.expires_in,
        scope=token.scope,
        refresh_token=token.refresh_token,
        grant_type=leg.grant_type,
        endpoint=leg.endpoint,
    )


__all__ = [
    "JWT_BEARER",
    "MODES",
    "REGISTER_KINDS",
    "ClientCredential",
    "DeviceFlow",
    "EntraExchange",
    "EntraProvider",
    "EntraRegistration",
    "EntraSettings",
    "audience_matches",
    "credential_from",
    "from_provider_settings",
    "pem_bundle",
    "resource_of",
]
