"""Register agents in Entra through Microsoft Graph (docs/protocols.md §6.5, §6.6).

- kind `app`: application → service principal → password credential, or a certificate whose
  private key is generated here and handed back to the caller (never uploaded).
- kind `agent-identity`: blueprint (with sponsors) → blueprint principal → blueprint credential →
  (API `access_agent` exposed on the blueprint, for OBO) → agent identity, created with a token
  the blueprint itself obtained → optional agent user.

Dry run executes the same code against a recorder that answers with placeholders, so the plan
shown is exactly the request sequence a real run sends (bodies only; credentials never exist).
"""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from agentctl.errors import OAuthError, UnsupportedError, UsageError
from agentctl.providers.entra_credentials import ClientCredential, generate_certificate
from agentctl.providers.entra_graph import GraphCall, GraphClient, Progress, retry_propagation
from agentctl.providers.entra_models import BLUEPRINT_SCOPE_VALUE, EntraRegistration, EntraSettings

if TYPE_CHECKING:
    from agentctl.providers.entra_tokens import EntraTokens

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
# Codes the token endpoint answers while a new principal or credential propagates.
_FRESH_CREDENTIAL_CODES = frozenset({700016, 7000215, 700027})
CREDENTIAL_KINDS = ("secret", "certificate")


class _Echo(dict[str, Any]):
    """A dry-run response: any field read becomes a placeholder naming where it would come from."""

    def __init__(self, step: str) -> None:
        super().__init__()
        self.step = step

    def __missing__(self, key: str) -> str:
        return f"<{self.step}: {key}>"


class PlanningGraph(GraphClient):
    def request(
        self,
        step: str,
        method: str,
        version: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        auth: str = "admin",
        wait_for_propagation: bool = False,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        url = self.url(version, path) + (f"?{urlencode(params)}" if params else "")
        self.calls.append(GraphCall(step, method, url, body, auth))
        return _Echo(step)


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fresh_credential_error(exc: Exception) -> bool:
    codes = exc.details.get("aadsts") if isinstance(exc, OAuthError) else None
    return isinstance(codes, list) and bool(_FRESH_CREDENTIAL_CODES & set(codes))


class EntraRegistrar:
    def __init__(
        self,
        settings: EntraSettings,
        tokens: EntraTokens,
        *,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        sleep: Callable[[float], None] = time.sleep,
        progress: Progress | None = None,
        attempts: int = 8,
        backoff: float = 2.0,
    ) -> None:
        self.settings = settings
        self.tokens = tokens
        self.now = now
        self.sleep = sleep
        self.progress = progress
        self.attempts = attempts
        self.backoff = backoff

    # --- plumbing --------------------------------------------------------------------------

    def _graph(
        self,
        *,
        dry_run: bool,
        blueprint: tuple[str, ClientCredential] | None = None,
        fresh: bool = False,
    ) -> GraphClient:
        def token(auth: str) -> str:
            if auth == "admin":
                return self.tokens.admin_token().access_token
            if blueprint is None:
                raise AssertionError("blueprint token asked for without a blueprint")
            app_id, cred = blueprint
            scope = self.settings.graph_default_scope

            def fetch() -> str:
                try:
                    return self.tokens.client_credentials(app_id, cred, scope).token.access_token
                except OAuthError:
                    self.tokens.forget(app_id)
                    raise

            if not fresh:
                return fetch()
            return str(
                retry_propagation(
                    fetch,
                    retriable=_fresh_credential_error,
                    sleep=self.sleep,
                    attempts=self.attempts,
                    backoff=self.backoff,
                    progress=self.progress,
                    step="sign in as the blueprint",
                )
            )

        cls = PlanningGraph if dry_run else GraphClient
        return cls(
            http=self.tokens.http,
            base=self.settings.graph_base,
            token=token,
            sleep=self.sleep,
            progress=self.progress,
            attempts=self.attempts,
            backoff=self.backoff,
        )

    def _step(self, text: str) -> None:
        if self.progress is not None:
            self.progress(text)

    def _sponsor_binds(self, graph: GraphClient, sponsors: list[str]) -> list[str]:
        if not sponsors:
            raise UsageError(
                "an Entra agent identity needs at least one sponsor",
                hint="pass --sponsor with a user's object id or UPN (the human accountable "
                "for the agent)",
            )
        binds = []
        for sponsor in sponsors:
            if _GUID.match(sponsor):
                object_id = sponsor
            else:
                user = graph.request(
                    f"look up sponsor {sponsor}", "GET", "v1.0", f"users/{quote(sponsor)}"
                )
                object_id = str(user["id"])
            binds.append(f"{self.settings.graph_base}/v1.0/users/{object_id}")
        return binds

    def _add_credential(
        self,
        graph: GraphClient,
        version: str,
        object_id: str,
        kind: str,
        name: str,
        days: int,
        *,
        dry_run: bool,
    ) -> tuple[ClientCredential | None, str | None, str]:
        if kind not in CREDENTIAL_KINDS:
            raise UsageError(f"unknown credential kind {kind!r}", hint="use secret or certificate")
        end = self.now() + dt.timedelta(days=days)
        if kind == "secret":
            password = {"displayName": "agentctl", "endDateTime": _iso(end)}
            out = graph.request(
                "add a client secret",
                "POST",
                version,
                f"applications/{object_id}/addPassword",
                {"passwordCredential": password},
                wait_for_propagation=True,
            )
            if dry_run:
                return None, None, _iso(end)
            return (
                ClientCredential(secret=str(out["secretText"])),
                str(out.get("keyId")),
                str(out.get("endDateTime")),
            )
        cert = (
            None if dry_run else generate_certificate(f"agentctl {name}", days=days, now=self.now())
        )
        key = (
            cert.der_b64 if cert else "<base64 DER of a certificate generated locally at run time>"
        )
        body: dict[str, Any] = {
            "keyCredentials": [
                {
                    "type": "AsymmetricX509Cert",
                    "usage": "Verify",
                    "key": key,
                    "displayName": f"CN=agentctl {name}",
                }
            ]
        }
        graph.request(
            "upload the certificate (public part only)",
            "PATCH",
            version,
            f"applications/{object_id}",
            body,
            wait_for_propagation=True,
        )
        return (cert.credential() if cert else None), None, _iso(cert.end if cert else end)

    # --- register --------------------------------------------------------------------------

    def register_app(
        self, name: str, *, credential: str = "secret", days: int = 180, dry_run: bool = False
    ) -> EntraRegistration:
        """An ordinary app for classic client credentials (mode agent) or classic OBO."""
        graph = self._graph(dry_run=dry_run)
        self._step(f"creating application {name}")
        app = graph.request(
            "create the application",
            "POST",
            "v1.0",
            "applications",
            {"displayName": name, "signInAudience": "AzureADMyOrg"},
        )
        self._step("creating its service principal")
        sp = graph.request(
            "create the service principal",
            "POST",
            "v1.0",
            "servicePrincipals",
            {"appId": app["appId"]},
            wait_for_propagation=True,
        )
        self._step(f"adding a {credential} credential")
        cred, key_id, expires = self._add_credential(
            graph, "v1.0", str(app["id"]), credential, name, days, dry_run=dry_run
        )
        return EntraRegistration(
            kind="app",
            tenant=self.settings.tenant,
            display_name=name,
            client_id=str(app["appId"]),
            object_id=str(app["id"]),
            service_principal_id=str(sp["id"]),
            credential=cred,
            credential_owner=str(app["appId"]),
            credential_key_id=key_id,
            credential_expires=expires,
            requests=[c.to_dict() for c in graph.calls],
            dry_run=dry_run,
        )

    def register_agent_identity(
        self,
        name: str,
        *,
        sponsors: list[str],
        credential: str = "secret",
        days: int = 180,
        blueprint_name: str | None = None,
        reuse_blueprint: bool = False,
        expose_api: bool = True,
        agent_user_upn: str | None = None,
        dry_run: bool = False,
    ) -> EntraRegistration:
        """An Agent ID agent identity, under a new blueprint or the profile's blueprint."""
        version = self.settings.agent_api_version
        admin = self._graph(dry_run=dry_run)
        binds = self._sponsor_binds(admin, sponsors)
        new_cred: ClientCredential | None = None
        key_id: str | None = None
        expires: str | None = None
        blueprint: dict[str, str]
        if reuse_blueprint:
            bp_app_id = self.settings.blueprint_app_id
            bp_cred = self.settings.blueprint_credential
            if not bp_app_id or bp_cred is None:
                raise UsageError(
                    "no blueprint to reuse in this profile",
                    hint="register without --blueprint to create one, or set the profile's "
                    "blueprint",
                )
            blueprint = {"app_id": bp_app_id}
        else:
            bp_name = blueprint_name or f"{name} blueprint"
            self._step(f"creating agent identity blueprint {bp_name}")
            bp = admin.request(
                "create the agent identity blueprint",
                "POST",
                version,
                "applications",
                {
                    "@odata.type": "Microsoft.Graph.AgentIdentityBlueprint",
                    "displayName": bp_name,
                    "sponsors@odata.bind": binds,
                },
            )
            self._step("creating the blueprint principal")
            principal = admin.request(
                "create the blueprint principal",
                "POST",
                version,
                "serviceprincipals/graph.agentIdentityBlueprintPrincipal",
                {"appId": bp["appId"]},
                wait_for_propagation=True,
            )
            self._step(f"adding a {credential} credential to the blueprint")
            new_cred, key_id, expires = self._add_credential(
                admin, version, str(bp["id"]), credential, bp_name, days, dry_run=dry_run
            )
            if expose_api:
                self._step("exposing the blueprint's API for on-behalf-of")
                admin.request(
                    "expose api://<blueprint>/access_agent for OBO",
                    "PATCH",
                    version,
                    f"applications/{bp['id']}",
                    {
                        "identifierUris": [f"api://{bp['appId']}"],
                        "api": {
                            "oauth2PermissionScopes": [
                                {
                                    "id": str(uuid.uuid4()),
                                    "type": "User",
                                    "value": BLUEPRINT_SCOPE_VALUE,
                                    "isEnabled": True,
                                    "adminConsentDisplayName": "Let the agent act for the user",
                                    "adminConsentDescription": "Agents of this blueprint may act "
                                    "on behalf of the signed-in user.",
                                }
                            ]
                        },
                    },
                    wait_for_propagation=True,
                )
            bp_app_id = str(bp["appId"])
            bp_cred = new_cred or ClientCredential(secret="dry-run")  # noqa: S106 -- never sent
            blueprint = {
                "app_id": bp_app_id,
                "object_id": str(bp["id"]),
                "principal_id": str(principal["id"]),
            }
        as_blueprint = self._graph(
            dry_run=dry_run, blueprint=(bp_app_id, bp_cred), fresh=not reuse_blueprint
        )
        self._step(f"creating agent identity {name} (signed in as the blueprint)")
        agent = as_blueprint.request(
            "create the agent identity",
            "POST",
            version,
            "serviceprincipals/Microsoft.Graph.AgentIdentity",
            {
                "displayName": name,
                "agentIdentityBlueprintId": bp_app_id,
                "sponsors@odata.bind": binds,
            },
            auth="blueprint",
            wait_for_propagation=True,
        )
        agent_user = None
        if agent_user_upn:
            self._step(f"creating agent user {agent_user_upn}")
            user = as_blueprint.request(
                "create the agent user",
                "POST",
                version,
                "users",
                {
                    "@odata.type": "microsoft.graph.agentUser",
                    "displayName": name,
                    "userPrincipalName": agent_user_upn,
                    "identityParentId": agent["id"],
                    "mailNickname": agent_user_upn.split("@", 1)[0],
                    "accountEnabled": True,
                },
                auth="blueprint",
                wait_for_propagation=True,
            )
            agent_user = {"id": str(user["id"]), "upn": agent_user_upn}
        return EntraRegistration(
            kind="agent-identity",
            tenant=self.settings.tenant,
            display_name=name,
            client_id=str(agent["appId"]),
            object_id=str(agent["id"]),
            service_principal_id=str(agent["id"]),
            credential=new_cred,
            credential_owner=bp_app_id if new_cred else None,
            credential_key_id=key_id,
            credential_expires=expires,
            blueprint=blueprint,
            agent_user=agent_user,
            requests=[c.to_dict() for c in [*admin.calls, *as_blueprint.calls]],
            dry_run=dry_run,
        )

    # --- lifecycle -------------------------------------------------------------------------

    def list_agents(self, *, blueprint_app_id: str | None = None) -> dict[str, Any]:
        version = self.settings.agent_api_version
        graph = self._graph(dry_run=False)
        params = (
            {"$filter": f"agentIdentityBlueprintId eq '{blueprint_app_id}'"}
            if blueprint_app_id
            else None
        )
        agents = graph.request(
            "list agent identities",
            "GET",
            version,
            "servicePrincipals/microsoft.graph.agentIdentity",
            params=params,
        )
        blueprints = graph.request(
            "list blueprints", "GET", version, "applications/microsoft.graph.agentIdentityBlueprint"
        )
        return {
            "agent_identities": [
                {
                    "object_id": a.get("id"),
                    "client_id": a.get("appId"),
                    "display_name": a.get("displayName"),
                    "blueprint": a.get("agentIdentityBlueprintId"),
                }
                for a in agents.get("value", [])
            ],
            "blueprints": [
                {
                    "object_id": b.get("id"),
                    "client_id": b.get("appId"),
                    "display_name": b.get("displayName"),
                    "credentials": len(b.get("passwordCredentials", []))
                    + len(b.get("keyCredentials", [])),
                }
                for b in blueprints.get("value", [])
            ],
        }

    def list_apps(self, *, display_name: str | None = None) -> list[dict[str, Any]]:
        graph = self._graph(dry_run=False)
        params = {"$filter": f"displayName eq '{display_name}'"} if display_name else None
        apps = graph.request("list applications", "GET", "v1.0", "applications", params=params)
        return [
            {
                "object_id": a.get("id"),
                "client_id": a.get("appId"),
                "display_name": a.get("displayName"),
                "secrets": [p.get("keyId") for p in a.get("passwordCredentials", [])],
                "certificates": [k.get("customKeyIdentifier") for k in a.get("keyCredentials", [])],
            }
            for a in apps.get("value", [])
        ]

    def rotate(
        self,
        object_id: str,
        *,
        credential: str = "secret",
        days: int = 180,
        keep_old: bool = False,
        dry_run: bool = False,
    ) -> EntraRegistration:
        """A new credential on an application or blueprint (by application object id); old
        secrets are removed unless `keep_old`. A new certificate replaces the old ones (Graph
        PATCH replaces the whole keyCredentials collection)."""
        graph = self._graph(dry_run=dry_run)
        try:
            app = graph.request("read the application", "GET", "v1.0", f"applications/{object_id}")
        except Exception as exc:
            if "does not exist" in str(exc):
                raise UnsupportedError(
                    f"{object_id} is not an application or blueprint object id",
                    hint="agent identities hold no credentials: rotate their blueprint's (use the "
                    "blueprint's application object id)",
                ) from None
            raise
        name = str(app.get("displayName", object_id))
        cred, key_id, expires = self._add_credential(
            graph, "v1.0", object_id, credential, name, days, dry_run=dry_run
        )
        removed: list[str] = []
        if credential == "secret" and not keep_old and not dry_run:
            for old in app.get("passwordCredentials", []):
                graph.request(
                    "remove the old secret",
                    "POST",
                    "v1.0",
                    f"applications/{object_id}/removePassword",
                    {"keyId": old["keyId"]},
                )
                removed.append(str(old["keyId"]))
        result = EntraRegistration(
            kind="credential",
            tenant=self.settings.tenant,
            display_name=name,
            client_id=str(app.get("appId")),
            object_id=object_id,
            credential=cred,
            credential_owner=str(app.get("appId")),
            credential_key_id=key_id,
            credential_expires=expires,
            requests=[c.to_dict() for c in graph.calls],
            dry_run=dry_run,
            removed_credentials=removed,
        )
        return result

    def delete(self, object_id: str, *, kind: str, dry_run: bool = False) -> list[dict[str, Any]]:
        """Delete an application (`app`), a blueprint (`blueprint`, which also removes its agent
        identities), an agent identity (`agent-identity`) or an agent user (`agent-user`)."""
        paths = {
            "app": ("v1.0", f"applications/{object_id}"),
            "blueprint": (self.settings.agent_api_version, f"applications/{object_id}"),
            "agent-identity": (self.settings.agent_api_version, f"servicePrincipals/{object_id}"),
            "agent-user": (self.settings.agent_api_version, f"users/{object_id}"),
        }
        if kind not in paths:
            raise UsageError(f"unknown kind {kind!r}", hint=f"use one of: {', '.join(paths)}")
        graph = self._graph(dry_run=dry_run)
        version, path = paths[kind]
        graph.request(f"delete the {kind}", "DELETE", version, path)
        return [c.to_dict() for c in graph.calls]


__all__ = ["CREDENTIAL_KINDS", "EntraRegistrar", "PlanningGraph"]
