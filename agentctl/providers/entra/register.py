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

import dataclasses
import datetime as dt
import re
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from agentctl.errors import AgentctlError, OAuthError, ProviderError, UnsupportedError, UsageError
from agentctl.providers.entra.credentials import ClientCredential, generate_certificate
from agentctl.providers.entra.graph import GraphCall, GraphClient, Progress, retry_propagation
from agentctl.providers.entra.models import (
    BLUEPRINT_SCOPE_VALUE,
    TOKEN_EXCHANGE_AUDIENCE,
    EntraRegistration,
    EntraSettings,
)
from agentctl.providers.entra.permissions import (
    TRAP_PERMISSIONS,
    Need,
    admin_consent_url,
    needs_for,
    roles_of,
)

if TYPE_CHECKING:
    from agentctl.providers.entra.tokens import EntraTokens

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_USER_READ = "User.Read"
AGENT_USER_ROLE = "AgentIdUser.ReadWrite.IdentityParentedBy"
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


class _Made:
    """A created agent identity and the Graph client signed in as its blueprint."""

    def __init__(self, result: EntraRegistration, graph: GraphClient) -> None:
        self.result = result
        self._graph: GraphClient | None = graph

    def pop_graph(self) -> GraphClient | None:
        graph, self._graph = self._graph, None
        return graph


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
        attempts: int = 1000,
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
                    window=self.settings.propagation_window,
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
            window=self.settings.propagation_window,
        )

    def _step(self, text: str) -> None:
        if self.progress is not None:
            self.progress(text)

    def _sponsor_binds(
        self, graph: GraphClient, sponsors: list[str], groups: list[str] | None = None
    ) -> list[str]:
        """`sponsors@odata.bind` values: users (object id, or UPN looked up: User.Read.All)
        and groups (object ids only). Agent identities take both; a blueprint takes only the
        users at creation (agentidentityblueprint-post)."""
        if not sponsors and not groups:
            raise UsageError(
                "an Entra agent identity needs at least one sponsor",
                hint="pass --sponsor with a user's object id or UPN (the human accountable "
                "for the agent), or --sponsor-group GROUP_ID",
            )
        bad = [g for g in groups or [] if not _GUID.match(g)]
        if bad:
            raise UsageError(
                f"--sponsor-group takes a group's object id, not {bad[0]!r}",
                hint="find it with `az ad group show --group NAME --query id`",
            )
        binds = self._user_binds(graph, sponsors, "sponsor")
        return binds + [f"{self.settings.graph_base}/v1.0/groups/{g}" for g in groups or []]

    def _user_binds(self, graph: GraphClient, users: list[str], what: str) -> list[str]:
        binds = []
        for sponsor in users:
            if _GUID.match(sponsor):
                object_id = sponsor
            else:
                user = graph.request(
                    f"look up {what} {sponsor}", "GET", "v1.0", f"users/{quote(sponsor)}"
                )
                object_id = str(user["id"])
            binds.append(f"{self.settings.graph_base}/v1.0/users/{object_id}")
        return binds

    def _add_federated(
        self, admin: GraphClient, version: str, object_id: str, federated: dict[str, str]
    ) -> tuple[ClientCredential, str | None, None]:
        """A federated identity credential on the blueprint instead of a secret (Microsoft's
        preferred blueprint credential: federatedidentitycredential-post, with the Agent ID
        credential permission): Entra then accepts, as the blueprint's client assertion, a token
        from `issuer` about `subject` for api://AzureADTokenExchange. For a managed identity the
        issuer is https://login.microsoftonline.com/{tenant}/v2.0 and the subject its object
        (principal) id. Nothing secret is made or stored: only the token file's path."""
        self._step("adding a federated identity credential to the blueprint")
        fic = admin.request(
            "add a federated identity credential to the blueprint",
            "POST",
            version,
            f"applications/{object_id}/microsoft.graph.agentIdentityBlueprint/"
            "federatedIdentityCredentials",
            {
                "name": federated.get("name") or "agentctl",
                "issuer": federated["issuer"],
                "subject": federated["subject"],
                "audiences": [TOKEN_EXCHANGE_AUDIENCE],
                "description": "agentctl: the blueprint's workload identity",
            },
            wait_for_propagation=True,
        )
        cred = ClientCredential(federated_token_file=federated["token_file"])
        return cred, str(fic.get("id") or "") or None, None

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
        sponsor_groups: list[str] | None = None,
        owners: list[str] | None = None,
        federated: dict[str, str] | None = None,
        credential: str = "secret",
        days: int = 180,
        blueprint_name: str | None = None,
        reuse_blueprint: bool = False,
        blueprint: dict[str, str] | None = None,
        blueprint_credential: ClientCredential | None = None,
        expose_api: bool = True,
        inherit: bool = False,
        agent_user_upn: str | None = None,
        grant_scopes: tuple[str, ...] = (GRAPH_USER_READ,),
        grant_roles: tuple[str, ...] = (),
        dry_run: bool = False,
    ) -> EntraRegistration:
        """An Agent ID agent identity, under a new blueprint or an existing one (`blueprint`:
        app_id/object_id/principal_id of a blueprint whose credential is the settings' blueprint
        credential; `reuse_blueprint`: the profile's). Checks the admin app's permissions first,
        so a missing one fails before anything is created; if a later step fails, what was
        created is removed again and the error names anything that could not be."""
        version = self.settings.agent_api_version
        if blueprint_credential is not None:
            self.settings = dataclasses.replace(
                self.settings, blueprint_credential=blueprint_credential
            )
        admin = self._graph(dry_run=dry_run)
        existing = blueprint or (
            {"app_id": self.settings.blueprint_app_id or ""} if reuse_blueprint else None
        )
        if existing is not None and (
            not existing.get("app_id") or self.settings.blueprint_credential is None
        ):
            raise UsageError(
                "no blueprint to reuse in this profile",
                hint="register without --blueprint to create one, or set the profile's blueprint",
            )
        if federated is not None:
            # Read the token now: a missing or empty file stops here, before any write.
            missing = [k for k in ("issuer", "subject", "token_file") if not federated.get(k)]
            if missing:
                raise UsageError(
                    f"a federated blueprint credential needs {', '.join(missing)}",
                    hint="pass --federated-issuer, --federated-subject and "
                    "--federated-token-file together",
                )
            if existing is not None:
                raise UsageError(
                    "a federated credential is set when the blueprint is created; this one exists",
                    hint="use a new --blueprint NAME, or add the credential to the blueprint in "
                    "Entra",
                )
            if not dry_run:
                ClientCredential(federated_token_file=federated["token_file"]).federated_assertion()
        roles = None if dry_run else self._admin_roles()
        self._preflight(
            roles,
            needs_for(
                kind="agent-identity",
                new_blueprint=existing is None,
                expose_api=expose_api,
                sponsor_upns=any(not _GUID.match(s) for s in [*sponsors, *(owners or [])]),
                agent_user=bool(agent_user_upn),
            ),
        )
        if existing is None and sponsor_groups and not sponsors:
            raise UsageError(
                "a new blueprint needs a user as sponsor: Graph takes only users as blueprint "
                "sponsors at creation",
                hint="add --sponsor USER (groups can sponsor the agent identity as well)",
            )
        binds = self._sponsor_binds(admin, sponsors, sponsor_groups)
        owner_binds = self._user_binds(admin, owners or [], "owner")
        created: list[tuple[str, str, str, GraphClient]] = []  # what to undo, and as whom
        as_blueprint: GraphClient | None = None
        try:
            reg = self._create_agent_identity(
                name,
                admin=admin,
                binds=binds,
                owner_binds=owner_binds,
                federated=federated,
                inherit_scopes=[x.rpartition("/")[2] for x in grant_scopes] if inherit else None,
                version=version,
                credential=credential,
                days=days,
                blueprint_name=blueprint_name,
                existing=existing,
                expose_api=expose_api,
                agent_user_upn=agent_user_upn,
                dry_run=dry_run,
                created=created,
                roles=roles,
            )
            as_blueprint = reg.pop_graph()
            reg.result.consent = self.grant(
                reg.result,
                scopes=grant_scopes,
                roles=grant_roles,
                graph=admin,
                dry_run=dry_run,
                admin_roles=roles,
            )
        except BaseException as exc:
            if dry_run or not created:
                raise
            self._rollback(exc, created)
            raise
        calls = [*admin.calls, *(as_blueprint.calls if as_blueprint else [])]
        reg.result.requests = [c.to_dict() for c in calls]
        return reg.result

    # --- agent identity steps --------------------------------------------------------------

    def _admin_roles(self) -> list[str] | None:
        return roles_of(self.tokens.admin_token().access_token)

    def _preflight(self, roles: list[str] | None, needs: list[Need]) -> None:
        """Fail before creating anything when the admin app lacks a permission a step needs,
        or holds one that blocks Agent ID writes."""
        if roles is None:
            return
        trap = [p for p in TRAP_PERMISSIONS if p in roles]
        if trap:
            raise ProviderError(
                f"the admin app holds {', '.join(trap)}, which makes every Agent ID write fail "
                "with 403 (Microsoft's Agent ID known issues); nothing was created",
                hint="remove that permission from the admin app (or use another app) and grant "
                "the Agent ID permissions docs/entra.md lists",
            )
        missing = [n for n in needs if not n.optional and n.held_by(roles) is None]
        if missing:
            listed = "; ".join(f"{n.any_of[0]} ({n.operation})" for n in missing)
            url = admin_consent_url(
                self.settings.login_base,
                self.settings.tenant,
                self.settings.admin_client_id or "",
                scopes=(".default",),
            )
            raise ProviderError(
                f"the admin app lacks Graph application permissions: {listed}; nothing was created",
                hint=f"add them to the admin app, then grant admin consent ({url}); "
                "`agentctl doctor --profile P` shows what it holds",
                details={"missing": [n.any_of[0] for n in missing]},
            )

    def _create_agent_identity(
        self,
        name: str,
        *,
        admin: GraphClient,
        binds: list[str],
        owner_binds: list[str],
        federated: dict[str, str] | None,
        inherit_scopes: list[str] | None,
        version: str,
        credential: str,
        days: int,
        blueprint_name: str | None,
        existing: dict[str, str] | None,
        expose_api: bool,
        agent_user_upn: str | None,
        dry_run: bool,
        created: list[tuple[str, str, str, GraphClient]],
        roles: list[str] | None,
    ) -> _Made:
        new_cred: ClientCredential | None = None
        key_id: str | None = None
        expires: str | None = None
        if existing is not None:
            bp_app_id = existing["app_id"]
            bp_cred = self.settings.blueprint_credential or ClientCredential(secret="")
            blueprint = dict(existing)
        else:
            bp_name = blueprint_name or f"{name} blueprint"
            self._step(f"creating agent identity blueprint {bp_name}")
            bp = admin.request(
                "create the agent identity blueprint",
                "POST",
                version,
                "applications/microsoft.graph.agentIdentityBlueprint",
                {
                    "@odata.type": "Microsoft.Graph.AgentIdentityBlueprint",
                    "displayName": bp_name,
                    # Only users sponsor a blueprint at creation; owners are optional but
                    # recommended (agentidentityblueprint-post).
                    "sponsors@odata.bind": [b for b in binds if "/users/" in b],
                    **({"owners@odata.bind": owner_binds} if owner_binds else {}),
                },
            )
            created.append(("blueprint", str(bp["id"]), f"blueprint {bp_name} ({bp['id']})", admin))
            self._step("creating the blueprint principal")
            principal = admin.request(
                "create the blueprint principal",
                "POST",
                version,
                "servicePrincipals/microsoft.graph.agentIdentityBlueprintPrincipal",
                {"appId": bp["appId"]},
                wait_for_propagation=True,
            )
            if federated is not None:
                new_cred, key_id, expires = self._add_federated(
                    admin, version, str(bp["id"]), federated
                )
            else:
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
                "display_name": bp_name,
            }
            if inherit_scopes:
                self._step("making the blueprint's Graph scopes inheritable by its agents")
                admin.request(
                    "list Graph scopes as inheritable by the blueprint's agent identities",
                    "POST",
                    version,
                    f"applications/{bp['id']}/microsoft.graph.agentIdentityBlueprint/"
                    "inheritablePermissions",
                    {
                        "resourceAppId": GRAPH_APP_ID,
                        "inheritableScopes": {
                            "@odata.type": "microsoft.graph.enumeratedScopes",
                            "scopes": inherit_scopes,
                        },
                    },
                    wait_for_propagation=True,
                )
                # Kept with the agents: `grant` then consents once, on the blueprint principal.
                blueprint["inherits"] = " ".join(inherit_scopes)
        as_blueprint = self._graph(
            dry_run=dry_run, blueprint=(bp_app_id, bp_cred), fresh=existing is None
        )
        self._step(f"creating agent identity {name} (signed in as the blueprint)")
        agent = as_blueprint.request(
            "create the agent identity",
            "POST",
            version,
            "servicePrincipals/microsoft.graph.agentIdentity",
            {
                "displayName": name,
                "agentIdentityBlueprintId": bp_app_id,
                "sponsors@odata.bind": binds,
            },
            auth="blueprint",
            wait_for_propagation=True,
        )
        agent_id = str(agent["id"])
        created.append(
            ("agent-identity", agent_id, f"agent identity {name} ({agent_id})", as_blueprint)
        )
        agent_user = None
        if agent_user_upn:
            agent_user = self._create_agent_user(
                name,
                agent_user_upn,
                agent_id=agent_id,
                blueprint=blueprint,
                admin=admin,
                as_blueprint=as_blueprint,
                version=version,
                roles=roles,
            )
            user_graph = admin if agent_user.pop("by", "") == "admin" else as_blueprint
            created.append(
                ("agent-user", agent_user["id"], f"agent user {agent_user_upn}", user_graph)
            )
        result = EntraRegistration(
            kind="agent-identity",
            tenant=self.settings.tenant,
            display_name=name,
            # Field: an agent identity's appId equals its object id; lists omit appId.
            client_id=str(agent.get("appId") or agent_id),
            object_id=agent_id,
            service_principal_id=agent_id,
            credential=new_cred,
            credential_owner=bp_app_id if new_cred else None,
            credential_key_id=key_id,
            credential_expires=expires,
            blueprint=blueprint,
            agent_user=agent_user,
            dry_run=dry_run,
        )
        return _Made(result, as_blueprint)

    def _create_agent_user(
        self,
        name: str,
        upn: str,
        *,
        agent_id: str,
        blueprint: dict[str, str],
        admin: GraphClient,
        as_blueprint: GraphClient,
        version: str,
        roles: list[str] | None,
    ) -> dict[str, str]:
        """The documented way: an admin gives the blueprint principal the app role
        AgentIdUser.ReadWrite.IdentityParentedBy (it is not in a fresh blueprint's token), then
        the blueprint creates the agent user of its own agent identity."""
        body = {
            "@odata.type": "microsoft.graph.agentUser",
            "displayName": name,
            "userPrincipalName": upn,
            "identityParentId": agent_id,
            "mailNickname": upn.split("@", 1)[0],
            "accountEnabled": True,
        }
        if roles is not None and "AgentIdUser.ReadWrite.All" in roles:
            self._step(f"creating agent user {upn}")
            user = admin.request(
                "create the agent user", "POST", version, "users", body, wait_for_propagation=True
            )
            return {"id": str(user["id"]), "upn": upn, "by": "admin"}
        self._step("letting the blueprint create agent users (app role IdentityParentedBy)")
        self._assign_graph_role(
            admin,
            principal_id=blueprint.get("principal_id") or "",
            principal_app_id=blueprint["app_id"],
            role=AGENT_USER_ROLE,
        )
        self.tokens.forget(blueprint["app_id"])  # its cached token predates the new role
        self._step(f"creating agent user {upn} (signed in as the blueprint)")
        user = as_blueprint.request(
            "create the agent user",
            "POST",
            version,
            "users",
            body,
            auth="blueprint",
            wait_for_propagation=True,
        )
        return {"id": str(user["id"]), "upn": upn}

    def _graph_sp(self, graph: GraphClient, app_id: str) -> dict[str, Any]:
        found = graph.request(
            f"find the service principal of {app_id}",
            "GET",
            "v1.0",
            "servicePrincipals",
            params={"$filter": f"appId eq '{app_id}'"},
            wait_for_propagation=True,
        )
        values = found.get("value")
        if isinstance(values, list) and values:
            return dict(values[0])
        if isinstance(found, _Echo):
            return found
        raise ProviderError(f"no service principal for {app_id} in this tenant")

    def _assign_graph_role(
        self, graph: GraphClient, *, principal_id: str, principal_app_id: str, role: str
    ) -> None:
        resource = self._graph_sp(graph, GRAPH_APP_ID)
        role_id = next(
            (r.get("id") for r in resource.get("appRoles", []) if r.get("value") == role),
            f"<id of {role}>",
        )
        if not principal_id:
            principal_id = str(self._graph_sp(graph, principal_app_id)["id"])
        graph.request(
            f"assign {role}",
            "POST",
            "v1.0",
            f"servicePrincipals/{principal_id}/appRoleAssignments",
            {"principalId": principal_id, "resourceId": resource["id"], "appRoleId": role_id},
            wait_for_propagation=True,
        )

    def grant(
        self,
        reg: EntraRegistration,
        *,
        scopes: tuple[str, ...] = (GRAPH_USER_READ,),
        roles: tuple[str, ...] = (),
        graph: GraphClient | None = None,
        dry_run: bool = False,
        admin_roles: list[str] | None = None,
    ) -> dict[str, Any]:
        """Consent for the agent identity, made by the admin app (agent identities cannot prompt
        for consent): an AllPrincipals oauth2PermissionGrant for `scopes` (agent OBO), a
        Principal grant for its agent user, app-role assignments for `roles` (autonomous), and
        an AllPrincipals grant letting the profile's public client sign users in to the
        blueprint's access_agent. Without DelegatedPermissionGrant.ReadWrite.All the grants are
        left `pending`, with the admin-consent URL an admin can open instead."""
        graph = graph or self._graph(dry_run=dry_run)
        if admin_roles is None and not dry_run:
            admin_roles = self._admin_roles()
        url = admin_consent_url(
            self.settings.login_base,
            self.settings.tenant,
            reg.client_id,
            scopes=scopes,
            roles=roles,
        )
        wanted: list[str] = []
        if scopes:
            wanted.append(f"delegated {' '.join(scopes)} for every user (agent OBO)")
        if reg.agent_user and scopes:
            wanted.append(f"delegated {' '.join(scopes)} for agent user {reg.agent_user['upn']}")
        if roles:
            wanted.append(f"application {' '.join(roles)} (autonomous agent)")
        bp_app = (reg.blueprint or {}).get("app_id")
        if bp_app and self.settings.public_client_id:
            wanted.append(f"the public client may sign users in to api://{bp_app}/access_agent")
        consent: dict[str, Any] = {
            "status": "granted",
            "grants": [],
            "admin_consent_url": url,
            "wanted": wanted,
        }
        if not wanted:
            consent["status"] = "none"
            return consent
        can_grant = admin_roles is None or "DelegatedPermissionGrant.ReadWrite.All" in admin_roles
        can_assign = admin_roles is None or "AppRoleAssignment.ReadWrite.All" in admin_roles
        if not can_grant or (roles and not can_assign):
            consent["status"] = "pending"
            consent["missing"] = [
                p
                for p, ok in (
                    ("DelegatedPermissionGrant.ReadWrite.All", can_grant),
                    ("AppRoleAssignment.ReadWrite.All", can_assign or not roles),
                )
                if not ok
            ]
            return consent
        self._step("granting consent for the agent identity")
        graph_sp = self._graph_sp(graph, GRAPH_APP_ID)
        have = self._grants_of(graph, reg.service_principal_id or reg.object_id)
        short = [s.rpartition("/")[2] for s in scopes]
        inherits = set(str((reg.blueprint or {}).get("inherits") or "").split())
        if short and set(short) <= inherits:
            # Inheritable permissions (concept-inheritable-permissions): listed on the blueprint
            # and granted to the blueprint principal, they reach every agent identity of the
            # blueprint, present and future: one grant, not one per agent.
            bp_principal = (reg.blueprint or {}).get("principal_id") or str(
                self._graph_sp(graph, str((reg.blueprint or {}).get("app_id")))["id"]
            )
            granted = self._ensure_grant(
                graph,
                self._grants_of(graph, bp_principal),
                bp_principal,
                str(graph_sp["id"]),
                short,
                principal=None,
            )
            consent["grants"].append({**granted, "inherited_from_blueprint": bp_principal})
        elif short:
            consent["grants"].append(
                self._ensure_grant(
                    graph, have, reg.object_id, str(graph_sp["id"]), short, principal=None
                )
            )
            if reg.agent_user:
                consent["grants"].append(
                    self._ensure_grant(
                        graph,
                        have,
                        reg.object_id,
                        str(graph_sp["id"]),
                        short,
                        principal=reg.agent_user["id"],
                    )
                )
        for role in roles:
            self._assign_graph_role(
                graph, principal_id=reg.object_id, principal_app_id=reg.client_id, role=role
            )
            consent["grants"].append({"app_role": role})
        if bp_app and self.settings.public_client_id:
            public = self._graph_sp(graph, self.settings.public_client_id)
            blueprint_sp = (reg.blueprint or {}).get("principal_id") or str(
                self._graph_sp(graph, bp_app)["id"]
            )
            consent["grants"].append(
                self._ensure_grant(
                    graph,
                    self._grants_of(graph, str(public["id"])),
                    str(public["id"]),
                    blueprint_sp,
                    [BLUEPRINT_SCOPE_VALUE],
                    principal=None,
                )
            )
        return consent

    def _grants_of(self, graph: GraphClient, client_sp_id: str) -> list[dict[str, Any]]:
        found = graph.request(
            "read existing grants",
            "GET",
            "v1.0",
            "oauth2PermissionGrants",
            params={"$filter": f"clientId eq '{client_sp_id}'"},
        )
        values = found.get("value")
        return [dict(v) for v in values] if isinstance(values, list) else []

    def _ensure_grant(
        self,
        graph: GraphClient,
        have: list[dict[str, Any]],
        client_id: str,
        resource_id: str,
        scopes: list[str],
        *,
        principal: str | None,
    ) -> dict[str, Any]:
        """Create the grant unless an equal one exists (running `register`/`agent grant` again
        must not pile up grants)."""
        for g in have:
            same = (
                g.get("resourceId") == resource_id
                and g.get("principalId") == principal
                and set(scopes) <= set(str(g.get("scope", "")).split())
            )
            if same:
                return {"id": g.get("id"), "scope": " ".join(scopes), "existing": True}
        body: dict[str, Any] = {
            "clientId": client_id,
            "consentType": "Principal" if principal else "AllPrincipals",
            "resourceId": resource_id,
            "scope": " ".join(scopes),
        }
        if principal:
            body["principalId"] = principal
        out = graph.request(
            "grant delegated permissions (oauth2PermissionGrant)",
            "POST",
            "v1.0",
            "oauth2PermissionGrants",
            body,
            wait_for_propagation=True,
        )
        return {"id": out.get("id"), "scope": body["scope"], "consent_type": body["consentType"]}

    def _rollback(
        self,
        exc: BaseException,
        created: list[tuple[str, str, str, GraphClient]],
    ) -> None:
        """Remove what this registration created, newest first; say on `exc` what was removed
        and name anything left behind."""
        removed: list[str] = []
        left: list[str] = []
        for kind, object_id, label, graph in reversed(created):
            try:
                self._delete_one(kind, object_id, graph)
            except AgentctlError as undo:
                left.append(f"{label}: {undo.message}")
            else:
                removed.append(label)
        if isinstance(exc, AgentctlError):
            note = f" (rolled back: removed {', '.join(removed)})" if removed else ""
            exc.message = f"{exc.message}{note}"
            if left:
                exc.hint = (
                    f"{exc.hint or ''} Left in Entra, delete by hand: {'; '.join(left)}."
                ).strip()
            exc.args = (exc.message,)

    def _delete_one(self, kind: str, object_id: str, graph: GraphClient) -> None:
        """Agent users and agent identities are deleted as their blueprint (documented for
        both: agentuser-delete, agentidentity-delete); the blueprint by the admin app
        (AgentIdentityBlueprint.DeleteRestore.All)."""
        version = self.settings.agent_api_version
        path = {
            "blueprint": f"applications/{object_id}",
            "agent-identity": f"servicePrincipals/{object_id}",
            "agent-user": f"users/{object_id}",
        }[kind]
        auth = "admin" if kind == "blueprint" else "blueprint"
        graph.request(f"delete the {kind}", "DELETE", version, path, auth=auth)

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
                    # Field: agent identities have appId == id, and lists carry no appId.
                    "client_id": a.get("appId") or a.get("id"),
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

    def delete(
        self,
        object_id: str,
        *,
        kind: str,
        dry_run: bool = False,
        blueprint: tuple[str, ClientCredential] | None = None,
    ) -> list[dict[str, Any]]:
        """Delete an application (`app`), a blueprint (`blueprint`: soft; its agent identities
        follow after ~24 h, its agent users stay), an agent identity (`agent-identity`) or an
        agent user (`agent-user`). With `blueprint` (app id, credential) agent identities and
        agent users are deleted as their blueprint, which needs no admin permission."""
        paths = {
            "app": ("v1.0", f"applications/{object_id}"),
            "blueprint": (self.settings.agent_api_version, f"applications/{object_id}"),
            "agent-identity": (self.settings.agent_api_version, f"servicePrincipals/{object_id}"),
            "agent-user": (self.settings.agent_api_version, f"users/{object_id}"),
        }
        if kind not in paths:
            raise UsageError(f"unknown kind {kind!r}", hint=f"use one of: {', '.join(paths)}")
        as_blueprint = blueprint is not None and kind in ("agent-identity", "agent-user")
        graph = self._graph(dry_run=dry_run, blueprint=blueprint if as_blueprint else None)
        version, path = paths[kind]
        graph.request(
            f"delete the {kind}",
            "DELETE",
            version,
            path,
            auth="blueprint" if as_blueprint else "admin",
        )
        return [c.to_dict() for c in graph.calls]

    def set_enabled(
        self,
        object_id: str,
        enabled: bool,
        *,
        blueprint: tuple[str, ClientCredential] | None = None,
    ) -> list[dict[str, Any]]:
        """Disable or enable an agent identity (agentidentity-update, `accountEnabled`): as its
        blueprint (AgentIdentity.CreateAsManager) when the blueprint's credential is at hand,
        else as the admin app (AgentIdentity.EnableDisable.All). A disabled agent identity gets
        no tokens (AADSTS7000112) until it is enabled again; nothing else changes."""
        graph = self._graph(dry_run=False, blueprint=blueprint)
        graph.request(
            f"{'enable' if enabled else 'disable'} the agent identity",
            "PATCH",
            self.settings.agent_api_version,
            f"servicePrincipals/{object_id}/microsoft.graph.agentIdentity",
            {"accountEnabled": enabled},
            auth="blueprint" if blueprint is not None else "admin",
        )
        return [c.to_dict() for c in graph.calls]

    def restore(self, object_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Bring a soft-deleted agent identity back from the recycle bin (30 days after its
        delete; directory-deleteditems-restore) as the admin app
        (AgentIdentity.DeleteRestore.All). Returns the restored object."""
        graph = self._graph(dry_run=False)
        restored = graph.request(
            "restore the agent identity",
            "POST",
            self.settings.agent_api_version,
            f"directory/deletedItems/{object_id}/restore",
        )
        return restored, [c.to_dict() for c in graph.calls]


__all__ = ["CREDENTIAL_KINDS", "EntraRegistrar", "PlanningGraph"]
