"""Entra token flows.

- msal (through `MsalHttpClient`): client credentials and classic OBO on a
  `ConfidentialClientApplication` (one per client id and credential, so each agent identity
  keeps its own cache), device code on a `PublicClientApplication`.
- The Agent ID legs go straight to the v2.0 token endpoint on the project's httpx client, as
  Microsoft's agent guide does (msal keys its cache without `fmi_path` before 1.39, and T1 changes
  per agent identity):
    leg 1  blueprint: client_credentials, scope api://AzureADTokenExchange/.default,
           fmi_path=<agent identity appId>                                   -> T1
    agent  agent identity: client_credentials, client_assertion=T1           -> token (mode agent)
    obo    agent identity: jwt-bearer + requested_token_use=on_behalf_of,
           client_assertion=T1, assertion=<user token whose aud is the blueprint>
    agent user: leg 2 (client_credentials for api://AzureADTokenExchange -> T2), then
           grant_type=user_fic with user_federated_identity_credential=T2
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from agentctl.errors import ConfigError, ProviderError, UsageError
from agentctl.oauth.transport import json_body, raise_for_oauth_error, send
from agentctl.providers.entra.credentials import ASSERTION_TYPE, ClientCredential
from agentctl.providers.entra.models import (
    TOKEN_EXCHANGE_SCOPE,
    DeviceFlow,
    EntraSettings,
    EntraToken,
    Leg,
)
from agentctl.providers.entra.msal_client import (
    confidential_app,
    entra_error,
    public_app,
    raise_for_msal_error,
)

if TYPE_CHECKING:
    from agentctl.http_types import HttpClient

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})


def decode(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a JWT, unverified (for display and checks; Graph tokens cannot be
    verified by third parties anyway). Opaque tokens give empty dicts."""
    import jwt

    try:
        return dict(jwt.get_unverified_header(token)), dict(
            jwt.decode(token, options={"verify_signature": False})
        )
    except jwt.PyJWTError:
        return {}, {}


def make_token(data: Mapping[str, Any], via: str) -> EntraToken:
    access = data.get("access_token")
    if not isinstance(access, str) or not access:
        raise ProviderError("Entra answered without an access_token")
    header, claims = decode(access)
    expires = data.get("expires_in")
    refresh = data.get("refresh_token")
    return EntraToken(
        access_token=access,
        token_type=str(data.get("token_type", "Bearer")),
        expires_in=int(expires)
        if isinstance(expires, int | str) and str(expires).isdigit()
        else None,
        scope=data.get("scope") if isinstance(data.get("scope"), str) else None,
        header=header,
        claims=claims,
        refresh_token=refresh if isinstance(refresh, str) else None,
        via=via,
    )


def split_scopes(scope: str | list[str] | tuple[str, ...]) -> list[str]:
    items = scope.split() if isinstance(scope, str) else list(scope)
    if not items:
        raise UsageError(
            "no scope given", hint="pass a scope such as https://graph.microsoft.com/.default"
        )
    return items


class EntraTokens:
    """Token acquisition for one Entra profile on one httpx client."""

    def __init__(
        self,
        settings: EntraSettings,
        http: HttpClient,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.http = http
        self.clock = clock
        self._ccas: dict[tuple[str, str, str], Any] = {}
        self._pcas: dict[tuple[str, str], Any] = {}

    # --- msal ------------------------------------------------------------------------------

    def _cca(self, client_id: str, credential: ClientCredential, tenant: str | None = None) -> Any:
        fp = str(
            credential.describe().get("fingerprint") or credential.describe().get("thumbprint_sha1")
        )
        key = (client_id.lower(), fp, tenant or self.settings.tenant)
        if key not in self._ccas:
            self._ccas[key] = confidential_app(
                self.http,
                client_id=client_id,
                credential=credential,
                authority=self.settings.authority(tenant),
            )
        return self._ccas[key]

    def forget(self, client_id: str) -> None:
        """Drop the msal apps of `client_id`: msal remembers an HTTP 400 for 60 s, so a retry
        while a new credential propagates needs a fresh application object."""
        for key in [k for k in self._ccas if k[0] == client_id.lower()]:
            del self._ccas[key]

    def client_credentials(
        self, client_id: str, credential: ClientCredential, scope: str, *, tenant: str | None = None
    ) -> Leg:
        """Classic client credentials (mode agent for an ordinary app): `<resource>/.default`."""
        app = self._cca(client_id, credential, tenant)
        result = app.acquire_token_for_client(split_scopes(scope))
        endpoint = self.settings.token_endpoint(tenant)
        token = make_token(raise_for_msal_error(result, endpoint), "msal")
        form = {"grant_type": "client_credentials", "client_id": client_id, "scope": scope}
        return Leg("client credentials", "client_credentials", client_id, endpoint, form, token)

    def admin_token(self, scope: str | None = None) -> EntraToken:
        cid, cred = self.settings.admin_client_id, self.settings.admin_credential
        if not cid or cred is None:
            raise ConfigError(
                "the Entra profile has no admin client",
                hint="set the profile's admin client id and store its secret or certificate",
            )
        return self.client_credentials(cid, cred, scope or self.settings.graph_default_scope).token

    def classic_obo(
        self, client_id: str, credential: ClientCredential, user_token: str, scope: str
    ) -> Leg:
        """Classic OBO: the middle-tier app trades the user's token (aud = this app) for one to
        the target. jwt-bearer + requested_token_use=on_behalf_of (MS-OAPX), not RFC 8693."""
        scopes = [s for s in split_scopes(scope) if s not in OIDC_SCOPES]
        app = self._cca(client_id, credential)
        result = app.acquire_token_on_behalf_of(user_token, scopes)
        endpoint = self.settings.token_endpoint()
        token = make_token(raise_for_msal_error(result, endpoint), "msal")
        form = {
            "grant_type": JWT_BEARER,
            "client_id": client_id,
            "assertion": user_token,
            "requested_token_use": "on_behalf_of",
            "scope": " ".join(scopes),
        }
        return Leg("on-behalf-of", JWT_BEARER, client_id, endpoint, form, token)

    def _pca(self, client_id: str) -> Any:
        key = (client_id.lower(), self.settings.tenant)
        if key not in self._pcas:
            self._pcas[key] = public_app(
                self.http, client_id=client_id, authority=self.settings.authority()
            )
        return self._pcas[key]

    def public_client_id(self, client_id: str | None) -> str:
        found = client_id or self.settings.public_client_id
        if not found:
            raise ConfigError(
                "device-code sign-in needs a public client app",
                hint="set the profile's public client id (an app registration with 'Allow public "
                "client flows' on), or pass --client-id",
            )
        return found

    def start_device_flow(self, scope: str, client_id: str | None = None) -> DeviceFlow:
        cid = self.public_client_id(client_id)
        scopes = [s for s in split_scopes(scope) if s not in OIDC_SCOPES]
        flow = self._pca(cid).initiate_device_flow(scopes=scopes)
        if "user_code" not in flow:
            raise_for_msal_error(flow, f"{self.settings.authority()}/oauth2/v2.0/devicecode")
        return DeviceFlow(
            client_id=cid,
            scopes=tuple(scopes),
            user_code=str(flow["user_code"]),
            verification_uri=str(flow.get("verification_uri", "")),
            message=str(flow.get("message", "")),
            expires_in=int(flow.get("expires_in", 900)),
            raw=flow,
        )

    def finish_device_flow(self, flow: DeviceFlow) -> Leg:
        """Poll until the user signs in (msal sleeps `interval` seconds between polls)."""
        result = self._pca(flow.client_id).acquire_token_by_device_flow(flow.raw)
        endpoint = self.settings.token_endpoint()
        token = make_token(raise_for_msal_error(result, endpoint), "msal")
        form = {
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "client_id": flow.client_id,
            "device_code": str(flow.raw.get("device_code", "")),
        }
        return Leg("device code", form["grant_type"], flow.client_id, endpoint, form, token)

    def user_token_silent(self, client_id: str, scope: str) -> Leg:
        """The signed-in user's token for another scope, from msal's cache (refresh token)."""
        app = self._pca(client_id)
        accounts = app.get_accounts()
        if not accounts:
            raise UsageError(
                "no signed-in user in this session", hint="sign in first (device code)"
            )
        scopes = [s for s in split_scopes(scope) if s not in OIDC_SCOPES]
        result = app.acquire_token_silent_with_error(scopes, account=accounts[0])
        endpoint = self.settings.token_endpoint()
        if result is None:
            raise ProviderError("msal found no token and no refresh token for this user")
        token = make_token(raise_for_msal_error(result, endpoint), "msal")
        form = {"grant_type": "refresh_token", "client_id": client_id, "scope": " ".join(scopes)}
        return Leg("refresh for target scope", "refresh_token", client_id, endpoint, form, token)

    # --- Agent ID legs (raw HTTP) ----------------------------------------------------------

    def post_token(self, name: str, form: dict[str, str], *, tenant: str | None = None) -> Leg:
        """POST `form` to the v2.0 token endpoint; an error becomes OAuthError with its AADSTS
        next step."""
        endpoint = self.settings.token_endpoint(tenant)
        response = send(
            self.http, "POST", endpoint, data=form, headers={"Accept": "application/json"}
        )
        if response.status_code >= 400:
            try:
                data = response.json()
            except ValueError:
                data = None
            if isinstance(data, dict) and isinstance(data.get("error"), str):
                raise entra_error(
                    data,
                    status=response.status_code,
                    endpoint=endpoint,
                    grant_type=form.get("grant_type"),
                )
            raise_for_oauth_error(response)
        token = make_token(json_body(response, "token response"), "http")
        return Leg(name, form["grant_type"], form["client_id"], endpoint, form, token)

    def _blueprint(
        self, blueprint_app_id: str | None, credential: ClientCredential | None
    ) -> tuple[str, ClientCredential]:
        bp = blueprint_app_id or self.settings.blueprint_app_id
        cred = credential or self.settings.blueprint_credential
        if not bp or cred is None:
            raise ConfigError(
                "the Agent ID flows need the agent's blueprint and its credential",
                hint="set the profile's blueprint id and store the blueprint's secret or "
                "certificate (`agentctl register --kind agent-identity` does both)",
            )
        return bp, cred

    def exchange_token(
        self,
        agent_app_id: str,
        *,
        blueprint_app_id: str | None = None,
        credential: ClientCredential | None = None,
        tenant: str | None = None,
    ) -> Leg:
        """Leg 1: T1, the blueprint's token for api://AzureADTokenExchange naming the agent
        identity in `fmi_path` (its appId, not its object id). `tenant` = the agent identity's
        home tenant (a different one gives AADSTS700211 on the next leg)."""
        bp, cred = self._blueprint(blueprint_app_id, credential)
        endpoint = self.settings.token_endpoint(tenant)
        form = {
            "grant_type": "client_credentials",
            "client_id": bp,
            "scope": TOKEN_EXCHANGE_SCOPE,
            "fmi_path": agent_app_id,
            **cred.client_auth_form(bp, endpoint, self.clock()),
        }
        return self.post_token(
            "leg 1: exchange token (T1) for the agent identity", form, tenant=tenant
        )

    def _as_agent(self, agent_app_id: str, t1: Leg) -> dict[str, str]:
        return {
            "client_id": agent_app_id,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": t1.token.access_token,
        }

    def agent_token(
        self,
        agent_app_id: str,
        scope: str,
        *,
        blueprint_app_id: str | None = None,
        credential: ClientCredential | None = None,
        tenant: str | None = None,
    ) -> tuple[Leg, Leg]:
        """Autonomous agent: T1, then client_credentials as the agent identity."""
        t1 = self.exchange_token(
            agent_app_id, blueprint_app_id=blueprint_app_id, credential=credential, tenant=tenant
        )
        form = {
            "grant_type": "client_credentials",
            "scope": scope,
            **self._as_agent(agent_app_id, t1),
        }
        return t1, self.post_token("leg 2: agent identity token", form, tenant=tenant)

    def agent_obo(
        self,
        agent_app_id: str,
        user_token: str,
        scope: str,
        *,
        blueprint_app_id: str | None = None,
        credential: ClientCredential | None = None,
        tenant: str | None = None,
    ) -> tuple[Leg, Leg]:
        """Agent ID OBO: T1, then jwt-bearer OBO as the agent identity. The user's token must be
        for the blueprint (scope api://<blueprint appId>/access_agent), not for Graph."""
        t1 = self.exchange_token(
            agent_app_id, blueprint_app_id=blueprint_app_id, credential=credential, tenant=tenant
        )
        form = {
            "grant_type": JWT_BEARER,
            "requested_token_use": "on_behalf_of",
            "assertion": user_token,
            # offline_access: Entra then returns a refresh token the agent can keep, so the
            # user need not sign in again (agent-on-behalf-of-oauth-flow: refresh_token grant
            # with the same client assertion).
            "scope": _with_offline_access(scope),
            **self._as_agent(agent_app_id, t1),
        }
        return t1, self.post_token("leg 2: on-behalf-of as the agent identity", form, tenant=tenant)

    def agent_obo_refresh(
        self,
        agent_app_id: str,
        refresh_token: str,
        scope: str,
        *,
        blueprint_app_id: str | None = None,
        credential: ClientCredential | None = None,
        tenant: str | None = None,
    ) -> tuple[Leg, Leg]:
        """Agent OBO again without the user: T1, then grant_type=refresh_token as the agent
        identity with T1 as client assertion. The answer carries a new refresh token."""
        t1 = self.exchange_token(
            agent_app_id, blueprint_app_id=blueprint_app_id, credential=credential, tenant=tenant
        )
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "scope": _with_offline_access(scope),
            **self._as_agent(agent_app_id, t1),
        }
        return t1, self.post_token(
            "leg 2: refresh as the agent identity (kept refresh token)", form, tenant=tenant
        )

    def agent_user_token(
        self,
        agent_app_id: str,
        scope: str,
        *,
        user_upn: str | None = None,
        user_oid: str | None = None,
        blueprint_app_id: str | None = None,
        credential: ClientCredential | None = None,
        tenant: str | None = None,
    ) -> tuple[Leg, Leg, Leg]:
        """The agent's own user account: T1, T2 (agent identity -> api://AzureADTokenExchange),
        then grant_type=user_fic for the agent user."""
        if bool(user_upn) == bool(user_oid):
            raise UsageError("name the agent user by UPN or by object id (one of them)")
        t1 = self.exchange_token(
            agent_app_id, blueprint_app_id=blueprint_app_id, credential=credential, tenant=tenant
        )
        t2_form = {
            "grant_type": "client_credentials",
            "scope": TOKEN_EXCHANGE_SCOPE,
            **self._as_agent(agent_app_id, t1),
        }
        t2 = self.post_token("leg 2: agent identity exchange token (T2)", t2_form, tenant=tenant)
        form = {
            "grant_type": "user_fic",
            "scope": scope,
            "user_federated_identity_credential": t2.token.access_token,
            **({"username": user_upn} if user_upn else {"user_id": str(user_oid)}),
            **self._as_agent(agent_app_id, t1),
        }
        return t1, t2, self.post_token("leg 3: agent user token (user_fic)", form, tenant=tenant)


def _with_offline_access(scope: str) -> str:
    return scope if "offline_access" in scope.split() else f"{scope} offline_access"


__all__ = ["JWT_BEARER", "EntraTokens", "decode", "entra_error", "make_token", "split_scopes"]
