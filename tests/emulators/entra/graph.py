"""`graph.microsoft.com`: the Microsoft Graph resources agentctl provisions (applications, service
principals, password/key credentials, Agent ID blueprints, blueprint principals, agent identities,
agent users, delegated permission grants), under both `/v1.0` and `/beta`.

Errors have Graph's shape: `{"error": {"code", "message", "innerError": {...}}}`. Paths and
type-cast segments match case-insensitively, as Graph does.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, jsonify, request

from tests.emulators.entra.model import (
    AGENT_ID_TRAP_ROLES,
    GRAPH_APP_ID,
    GRAPH_APP_ROLE_NAMES,
    GRAPH_RESOURCE,
    Application,
    EntraEmulator,
    Grant,
    GraphError,
    KeyCredential,
    ServicePrincipal,
    Tenant,
    User,
    graph_role_id,
    new_id,
)

Handler = Callable[..., Any]


def _not_found(ref: str, status: int = 404) -> GraphError:
    code = "Request_ResourceNotFound" if status == 404 else "Request_BadRequest"
    return GraphError(
        status,
        code,
        f"Resource '{ref}' does not exist or one of its queried reference-property objects are "
        "not present.",
    )


def _denied(why: str = "") -> GraphError:
    return GraphError(
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation." + (f" {why}" if why else ""),
    )


class Ctx:
    def __init__(self, emu: EntraEmulator, tenant: Tenant, claims: dict[str, Any], version: str):
        self.emu = emu
        self.tenant = tenant
        self.claims = claims
        self.version = version
        scp = claims.get("scp")
        self.perms = set(claims.get("roles") or []) | set(
            scp.split() if isinstance(scp, str) else []
        )
        self.client_app_id = str(claims.get("azp") or claims.get("appid"))

    def need(self, *any_of: str) -> None:
        if not self.perms & set(any_of):
            raise _denied(f"Needs one of: {', '.join(any_of)}.")

    def agent_id_write(self, *any_of: str) -> None:
        """An Agent ID write. Refused when the caller also holds Directory.ReadWrite.All or
        Directory.AccessAsUser.All (agent-id known issues: those permissions disable Agent ID
        writes with 403), then needs one of `any_of`."""
        trap = self.perms & AGENT_ID_TRAP_ROLES
        if trap:
            raise _denied(
                f"Agent ID writes are blocked while the caller holds {', '.join(sorted(trap))}."
            )
        if any_of:
            self.need(*any_of)

    def body(self) -> dict[str, Any]:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise GraphError(400, "BadRequest", "Write requests must have a JSON object body.")
        return data

    def context(self, what: str) -> str:
        return f"{GRAPH_RESOURCE}/{self.version}/$metadata#{what}"


def create_graph_app(emu: EntraEmulator) -> Flask:
    app = Flask("entra-graph")
    routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            routes.append((method, re.compile(f"^{pattern}$", re.IGNORECASE), fn))
            return fn

        return deco

    @app.errorhandler(GraphError)
    def graph_error(exc: GraphError) -> tuple[Response, int]:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(emu.clock()))
        inner = {"date": stamp, "request-id": new_id(), "client-request-id": new_id()}
        return jsonify(
            {"error": {"code": exc.code, "message": exc.message, "innerError": inner}}
        ), exc.status

    @app.route("/<version>/<path:path>", methods=["GET", "POST", "PATCH", "DELETE"])
    def dispatch(version: str, path: str) -> Any:
        if version not in ("v1.0", "beta"):
            raise GraphError(400, "BadRequest", f"Invalid version: {version}")
        ctx = _authenticate(emu, version)
        emu.log.append(
            {"method": request.method, "path": request.path, "body": request.get_json(silent=True)}
        )
        path = path.rstrip("/")
        for method, pattern, fn in routes:
            match = pattern.match(path)
            if match and method == request.method:
                return fn(ctx, *match.groups())
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{path}'.")

    # --- applications ----------------------------------------------------------------------

    @route("POST", "applications")
    def create_application(ctx: Ctx) -> Any:
        body = ctx.body()
        if str(body.get("@odata.type", "")).lower().endswith("agentidentityblueprint"):
            return _create_blueprint(ctx, body)
        ctx.need("Application.ReadWrite.All", "Application.ReadWrite.OwnedBy")
        return _new_app(ctx, body, "application")

    @route("POST", "applications/microsoft\\.graph\\.agentIdentityBlueprint")
    def create_blueprint(ctx: Ctx) -> Any:
        return _create_blueprint(ctx, ctx.body())

    def _create_blueprint(ctx: Ctx, body: dict[str, Any]) -> Any:
        # agentidentityblueprint-post: AgentIdentityBlueprint.Create (or ReadWrite.All).
        ctx.agent_id_write("AgentIdentityBlueprint.Create", "AgentIdentityBlueprint.ReadWrite.All")
        # 250 blueprints per tenant, soft-deleted ones included (entra-facts, Quota).
        count = sum(
            1
            for a in ctx.emu.apps.values()
            if a.home_tenant == ctx.tenant.id and a.kind == "blueprint"
        )
        if count >= ctx.emu.blueprint_quota:
            raise GraphError(
                400,
                "AgentBlueprint_LimitExceeded",
                f"The tenant has reached its limit of {ctx.emu.blueprint_quota} agent identity "
                "blueprints (soft-deleted blueprints count until they are purged).",
            )
        # Sponsors are required at creation, and only users are accepted there
        # (agentidentityblueprint-post).
        if any("/groups/" in str(b).lower() for b in body.get("sponsors@odata.bind") or []):
            raise GraphError(
                400, "Request_BadRequest", "Blueprint sponsors must be users at creation."
            )
        if not body.get("sponsors@odata.bind"):
            raise GraphError(
                400, "Request_BadRequest", "An agent identity blueprint needs at least one sponsor."
            )
        return _new_app(ctx, body, "blueprint")

    def _new_app(ctx: Ctx, body: dict[str, Any], kind: str) -> Any:
        name = body.get("displayName")
        if not isinstance(name, str) or not name:
            raise GraphError(400, "Request_BadRequest", "Property 'displayName' is required.")
        sponsors = _bind_users(ctx, body.get("sponsors@odata.bind"))
        owners = _bind_users(ctx, body.get("owners@odata.bind"))
        application = Application(
            new_id(),
            new_id(),
            name,
            ctx.tenant.id,
            kind=kind,
            sign_in_audience=body.get("signInAudience", "AzureADMyOrg"),
            public_client=bool(body.get("isFallbackPublicClient")),
            sponsors=sponsors,
            owners=owners,
            pending=ctx.emu.propagation_delay,
        )
        ctx.emu.apps[application.id] = application
        return _app_json(ctx, application), 201

    @route("GET", "applications")
    def list_applications(ctx: Ctx) -> Any:
        ctx.need(
            "Application.ReadWrite.All",
            "Application.Read.All",
            "AgentIdentityBlueprint.ReadWrite.All",
        )
        apps = [
            a
            for a in ctx.emu.apps.values()
            if a.home_tenant == ctx.tenant.id and a.pending == 0 and a.deleted_at is None
        ]
        apps = _filter(apps, {"appId": lambda a: a.app_id, "displayName": lambda a: a.display_name})
        return {
            "@odata.context": ctx.context("applications"),
            "value": [_app_json(ctx, a) for a in apps],
        }

    @route("GET", "applications/microsoft\\.graph\\.agentIdentityBlueprint")
    def list_blueprints(ctx: Ctx) -> Any:
        ctx.need("Application.ReadWrite.All", "AgentIdentityBlueprint.ReadWrite.All")
        apps = [
            a
            for a in ctx.emu.apps.values()
            if a.home_tenant == ctx.tenant.id
            and a.kind == "blueprint"
            and a.pending == 0
            and a.deleted_at is None
        ]
        return {
            "@odata.context": ctx.context("applications"),
            "value": [_app_json(ctx, a) for a in apps],
        }

    def _app(ctx: Ctx, object_id: str) -> Application:
        found = ctx.emu.apps.get(object_id)
        if found is None or found.home_tenant != ctx.tenant.id or not ctx.emu.visible(found):
            raise _not_found(object_id)
        return found

    def _need_app_write(ctx: Ctx, application: Application, blueprint_perm: str) -> None:
        if application.kind == "blueprint":
            ctx.agent_id_write(blueprint_perm, "AgentIdentityBlueprint.ReadWrite.All")
        else:
            ctx.need("Application.ReadWrite.All", "Application.ReadWrite.OwnedBy")

    @route("GET", "applications/([^/()]+)")
    def get_application(ctx: Ctx, object_id: str) -> Any:
        ctx.need(
            "Application.ReadWrite.All",
            "Application.Read.All",
            "AgentIdentityBlueprint.ReadWrite.All",
        )
        return _app_json(ctx, _app(ctx, object_id))

    @route("PATCH", "applications/([^/()]+)")
    def patch_application(ctx: Ctx, object_id: str) -> Any:
        application = _app(ctx, object_id)
        body = ctx.body()
        # agentidentityblueprint-update: identifierUris/api need UpdateAuthProperties.All (newer
        # docs) or ReadWrite.All; other properties ReadWrite.All.
        auth_only = set(body) <= {"identifierUris", "api", "web"}
        _need_app_write(
            ctx,
            application,
            "AgentIdentityBlueprint.UpdateAuthProperties.All"
            if auth_only
            else "AgentIdentityBlueprint.ReadWrite.All",
        )
        if "keyCredentials" in body:
            # Graph replaces the whole collection; keys sent without `key` keep their old value.
            keys = []
            for item in body["keyCredentials"] or []:
                old = next((k for k in application.keys if k.key_id == item.get("keyId")), None)
                if item.get("key"):
                    der = base64.b64decode(item["key"])
                elif old is not None:
                    der = old.der
                else:
                    raise GraphError(
                        400, "Request_BadRequest", "keyCredentials entries need 'key'."
                    )
                keys.append(
                    KeyCredential(
                        item.get("keyId") or new_id(),
                        item.get("type", "AsymmetricX509Cert"),
                        item.get("usage", "Verify"),
                        der,
                        item.get("displayName", ""),
                    )
                )
            application.keys = keys
        if "identifierUris" in body:
            application.identifier_uris = list(body["identifierUris"] or [])
            for tenant in ctx.emu.tenants.values():
                sp = tenant.sp_by_app_id(application.app_id)
                if sp is not None:
                    sp.uris = list(application.identifier_uris)
        api = body.get("api")
        if isinstance(api, dict) and "oauth2PermissionScopes" in api:
            application.scopes = list(api["oauth2PermissionScopes"] or [])
        if "displayName" in body:
            application.display_name = body["displayName"]
        if "isFallbackPublicClient" in body:
            application.public_client = bool(body["isFallbackPublicClient"])
        return Response(status=204)

    @route("DELETE", "applications/([^/()]+)")
    def delete_application(ctx: Ctx, object_id: str) -> Any:
        application = _app(ctx, object_id)
        # agentidentityblueprint-delete: DeleteRestore.All (or ReadWrite.All); soft delete, and
        # the agent identities follow only after ~24 h (EntraEmulator.deleted); agent users stay.
        _need_app_write(ctx, application, "AgentIdentityBlueprint.DeleteRestore.All")
        if application.kind == "blueprint":
            application.deleted_at = ctx.emu.clock()
            principal = ctx.tenant.sp_by_app_id(application.app_id)
            if principal is not None:
                principal.deleted_at = ctx.emu.clock()
            return Response(status=204)
        del ctx.emu.apps[object_id]
        for tenant in ctx.emu.tenants.values():
            for sp in list(tenant.sps.values()):
                if sp.app_id == application.app_id or sp.blueprint_app_id == application.app_id:
                    del tenant.sps[sp.id]
        return Response(status=204)

    @route("POST", "applications/([^/()]+)/addPassword")
    def add_password(ctx: Ctx, object_id: str) -> Any:
        application = _app(ctx, object_id)
        _need_app_write(ctx, application, "AgentIdentityBlueprint.AddRemoveCreds.All")
        body = request.get_json(silent=True) or {}
        cred = body.get("passwordCredential") or {}
        end = _parse_time(cred.get("endDateTime"))
        result = ctx.emu.add_password(application, cred.get("displayName") or "", end)
        result["@odata.context"] = ctx.context("microsoft.graph.passwordCredential")
        return result

    @route(
        "POST",
        "applications/([^/()]+)(?:/microsoft\\.graph\\.agentIdentityBlueprint)?"
        "/federatedIdentityCredentials",
    )
    def add_federated(ctx: Ctx, object_id: str) -> Any:
        application = _app(ctx, object_id)
        # federatedidentitycredential-post: on a blueprint, the Agent ID credential permission
        # (as for secrets); at most 20 per application or blueprint.
        _need_app_write(ctx, application, "AgentIdentityBlueprint.AddRemoveCreds.All")
        body = ctx.body()
        for prop in ("name", "issuer", "subject"):
            if not isinstance(body.get(prop), str) or not body[prop]:
                raise GraphError(400, "Request_BadRequest", f"Property '{prop}' is required.")
        audiences = body.get("audiences")
        if not isinstance(audiences, list) or len(audiences) != 1:
            raise GraphError(
                400, "Request_BadRequest", "Property 'audiences' must hold exactly one value."
            )
        if len(application.federated) >= 20:
            raise GraphError(
                400, "Request_BadRequest", "An application holds at most 20 federated credentials."
            )
        fic = {
            "id": new_id(),
            "name": body["name"],
            "issuer": body["issuer"],
            "subject": body["subject"],
            "audiences": list(audiences),
        }
        application.federated.append(fic)
        return {"@odata.context": ctx.context("federatedIdentityCredentials/$entity"), **fic}, 201

    @route(
        "POST",
        "applications/([^/()]+)/microsoft\\.graph\\.agentIdentityBlueprint/inheritablePermissions",
    )
    def add_inheritable(ctx: Ctx, object_id: str) -> Any:
        application = _app(ctx, object_id)
        if application.kind != "blueprint":
            raise _not_found(object_id)
        # agentidentityblueprint-post-inheritablepermissions: AgentIdentityBlueprint.Create
        # (or ReadWrite.All). inheritableScopes: allAllowedScopes | enumeratedScopes | noScopes.
        ctx.agent_id_write("AgentIdentityBlueprint.Create", "AgentIdentityBlueprint.ReadWrite.All")
        body = ctx.body()
        resource = body.get("resourceAppId")
        spec = body.get("inheritableScopes")
        if not isinstance(resource, str) or not isinstance(spec, dict):
            raise GraphError(
                400, "Request_BadRequest", "resourceAppId and inheritableScopes are required."
            )
        kind = str(spec.get("@odata.type", "")).rpartition(".")[2]
        if kind == "allAllowedScopes":
            scopes = {"*"}
        elif kind == "enumeratedScopes" and isinstance(spec.get("scopes"), list):
            scopes = {str(v) for v in spec["scopes"]}
        elif kind == "noScopes":
            scopes = set()
        else:
            raise GraphError(400, "Request_BadRequest", "Invalid inheritableScopes.")
        if resource in application.inheritable_scopes:
            raise GraphError(
                409, "Request_MultipleObjectsWithSameKeyValue", "resourceAppId already present."
            )
        application.inheritable_scopes[resource] = scopes
        return {
            "@odata.context": ctx.context("inheritablePermissions/$entity"),
            "resourceAppId": resource,
            "inheritableScopes": spec,
        }, 201

    @route("POST", "applications/([^/()]+)/removePassword")
    def remove_password(ctx: Ctx, object_id: str) -> Any:
        application = _app(ctx, object_id)
        _need_app_write(ctx, application, "AgentIdentityBlueprint.AddRemoveCreds.All")
        key_id = ctx.body().get("keyId")
        before = len(application.passwords)
        application.passwords = [p for p in application.passwords if p.key_id != key_id]
        if len(application.passwords) == before:
            raise GraphError(
                400, "Request_BadRequest", f"No password credential with keyId '{key_id}'."
            )
        return Response(status=204)

    # --- service principals ----------------------------------------------------------------

    @route("POST", "servicePrincipals")
    def create_sp(ctx: Ctx) -> Any:
        ctx.need("Application.ReadWrite.All", "Application.ReadWrite.OwnedBy")
        app_id = str(ctx.body().get("appId", ""))
        application = ctx.emu.app_by_app_id(app_id)
        if application is None or not ctx.emu.visible(application):
            raise _not_found(app_id, 400)
        if application.kind == "blueprint":
            raise GraphError(
                400,
                "Request_BadRequest",
                "Use servicePrincipals/microsoft.graph.agentIdentityBlueprintPrincipal for a "
                "blueprint.",
            )
        return _new_sp(ctx, application, "application"), 201

    @route("POST", "servicePrincipals/(?:microsoft\\.)?graph\\.agentIdentityBlueprintPrincipal")
    def create_blueprint_principal(ctx: Ctx) -> Any:
        # agentidentityblueprintprincipal-post: AgentIdentityBlueprintPrincipal.Create.
        ctx.agent_id_write(
            "AgentIdentityBlueprintPrincipal.Create",
            "AgentIdentityBlueprintPrincipal.ReadWrite.All",
        )
        app_id = str(ctx.body().get("appId", ""))
        application = ctx.emu.app_by_app_id(app_id)
        if application is None or not ctx.emu.visible(application):
            raise _not_found(app_id, 400)
        if application.kind != "blueprint":
            raise GraphError(
                400,
                "Request_BadRequest",
                f"Application '{app_id}' is not an agent identity blueprint.",
            )
        return _new_sp(ctx, application, "blueprintPrincipal"), 201

    def _new_sp(ctx: Ctx, application: Application, kind: str) -> dict[str, Any]:
        if ctx.tenant.sp_by_app_id(application.app_id) is not None:
            raise GraphError(
                409,
                "Request_MultipleObjectsWithSameKeyValue",
                "A service principal for this appId already exists.",
            )
        sp = ServicePrincipal(
            new_id(),
            application.app_id,
            application.display_name,
            ctx.tenant.id,
            kind,
            uris=list(application.identifier_uris),
            pending=ctx.emu.propagation_delay,
        )
        ctx.tenant.sps[sp.id] = sp
        return _sp_json(ctx, sp)

    @route("POST", "servicePrincipals/microsoft\\.graph\\.agentIdentity")
    def create_agent_identity(ctx: Ctx) -> Any:
        body = ctx.body()
        blueprint_id = str(body.get("agentIdentityBlueprintId", ""))
        if ctx.client_app_id.lower() != blueprint_id.lower():
            raise _denied(
                "Agent identities are created with a token the blueprint itself obtained "
                "(client_credentials as the blueprint, scope https://graph.microsoft.com/.default)."
            )
        # agentidentity-post: the blueprint's own token, CreateAsManager.
        ctx.agent_id_write("AgentIdentity.CreateAsManager")
        blueprint = ctx.emu.app_by_app_id(blueprint_id)
        principal = ctx.tenant.sp_by_app_id(blueprint_id)
        if blueprint is None or principal is None or not ctx.emu.visible(principal):
            raise _not_found(blueprint_id, 400)
        if not body.get("sponsors@odata.bind"):
            raise GraphError(
                400, "Request_BadRequest", "An agent identity needs at least one sponsor."
            )
        name = body.get("displayName")
        if not isinstance(name, str) or not name:
            raise GraphError(400, "Request_BadRequest", "Property 'displayName' is required.")
        children = [
            s
            for s in ctx.tenant.sps.values()
            if s.kind == "agentIdentity" and s.blueprint_app_id == blueprint.app_id
        ]
        if len(children) >= ctx.emu.agents_per_blueprint:
            # 250 agent identities per blueprint (agent-id service limits; error-codes page).
            raise GraphError(
                400,
                "Agent_Directory_QuotaExceeded",
                f"The blueprint already has {ctx.emu.agents_per_blueprint} agent identities.",
            )
        agent_id = new_id()  # Field: an agent identity's appId equals its object id
        sp = ServicePrincipal(
            agent_id,
            agent_id,
            name,
            ctx.tenant.id,
            "agentIdentity",
            blueprint_app_id=blueprint.app_id,
            sponsors=_bind_users(ctx, body.get("sponsors@odata.bind")),
            pending=ctx.emu.propagation_delay,
        )
        ctx.tenant.sps[sp.id] = sp
        return _sp_json(ctx, sp), 201

    @route("GET", "servicePrincipals")
    def list_sps(ctx: Ctx) -> Any:
        ctx.need("Application.ReadWrite.All", "Application.Read.All")
        # First-party principals (Graph) are found by appId filter, as Graph does.
        by_app_id = "appId" in (request.args.get("$filter") or "")
        sps = [
            s
            for s in ctx.tenant.sps.values()
            if s.pending == 0 and not ctx.emu.deleted(s) and (s.kind != "firstParty" or by_app_id)
        ]
        sps = _filter(sps, {"appId": lambda s: s.app_id, "displayName": lambda s: s.display_name})
        return {
            "@odata.context": ctx.context("servicePrincipals"),
            "value": [_sp_json(ctx, s) for s in sps],
        }

    @route("GET", "servicePrincipals/microsoft\\.graph\\.agentIdentity")
    def list_agent_identities(ctx: Ctx) -> Any:
        sps = [
            s
            for s in ctx.tenant.sps.values()
            if s.kind == "agentIdentity" and s.pending == 0 and not ctx.emu.deleted(s)
        ]
        if (
            "AgentIdentity.ReadWrite.All" not in ctx.perms
            and "Application.ReadWrite.All" not in ctx.perms
        ):
            ctx.need("AgentIdentity.CreateAsManager")
            sps = [s for s in sps if s.blueprint_app_id == ctx.client_app_id]
        sps = _filter(
            sps,
            {"agentIdentityBlueprintId": lambda s: s.blueprint_app_id, "appId": lambda s: s.app_id},
        )
        # Field: list responses for agent identities carry no appId (it equals id).
        return {
            "@odata.context": ctx.context("servicePrincipals"),
            "value": [{k: v for k, v in _sp_json(ctx, s).items() if k != "appId"} for s in sps],
        }

    def _sp(ctx: Ctx, object_id: str) -> ServicePrincipal:
        found = ctx.tenant.sps.get(object_id)
        if found is None or found.kind == "firstParty" or not ctx.emu.visible(found):
            raise _not_found(object_id)
        return found

    @route("GET", "servicePrincipals/([^/()]+)")
    def get_sp(ctx: Ctx, object_id: str) -> Any:
        return _sp_json(ctx, _sp(ctx, object_id))

    @route("DELETE", "servicePrincipals/([^/()]+)")
    def delete_sp(ctx: Ctx, object_id: str) -> Any:
        sp = _sp(ctx, object_id)
        if sp.kind == "agentIdentity":
            # agentidentity-delete: AgentIdentity.DeleteRestore.All, or the parent blueprint's
            # CreateAsManager; AgentIdentity.ReadWrite.All is not listed. Soft delete (30 days).
            if ctx.client_app_id.lower() == (sp.blueprint_app_id or "").lower():
                ctx.agent_id_write("AgentIdentity.CreateAsManager")
            else:
                ctx.agent_id_write("AgentIdentity.DeleteRestore.All")
            sp.deleted_at = ctx.emu.clock()
            return Response(status=204)
        ctx.need("Application.ReadWrite.All")
        del ctx.tenant.sps[object_id]
        return Response(status=204)

    @route("PATCH", "servicePrincipals/([^/()]+)(?:/microsoft\\.graph\\.agentIdentity)?")
    def patch_sp(ctx: Ctx, object_id: str) -> Any:
        sp = _sp(ctx, object_id)
        body = ctx.body()
        if sp.kind == "agentIdentity":
            # agentidentity-update: AgentIdentity.EnableDisable.All, or the parent blueprint's
            # AgentIdentity.CreateAsManager; AgentIdentity.ReadWrite.All is the higher one.
            if ctx.client_app_id.lower() == (sp.blueprint_app_id or "").lower():
                ctx.agent_id_write("AgentIdentity.CreateAsManager")
            else:
                ctx.agent_id_write("AgentIdentity.EnableDisable.All", "AgentIdentity.ReadWrite.All")
        else:
            ctx.need("Application.ReadWrite.All")
        if "accountEnabled" in body:
            if not isinstance(body["accountEnabled"], bool):
                raise GraphError(
                    400,
                    "Request_BadRequest",
                    "Invalid value specified for property 'accountEnabled'.",
                )
            sp.enabled = body["accountEnabled"]
        return Response(status=204)

    @route("POST", "directory/deletedItems/([^/()]+)/restore")
    def restore_deleted(ctx: Ctx, object_id: str) -> Any:
        # directory-deleteditems-restore: agent identities are restorable from the recycle bin
        # for 30 days (agentidentity-delete); restoring needs the DeleteRestore permission of
        # its type (AgentIdentity.DeleteRestore.All).
        sp = ctx.tenant.sps.get(object_id)
        if (
            sp is None
            or sp.kind != "agentIdentity"
            or sp.deleted_at is None
            or ctx.emu.clock() > sp.deleted_at + 30 * 86400
        ):
            raise _not_found(object_id)
        ctx.agent_id_write("AgentIdentity.DeleteRestore.All")
        sp.deleted_at = None
        return _sp_json(ctx, sp), 200

    @route("POST", "servicePrincipals/([^/()]+)/appRoleAssignments")
    def assign_app_role(ctx: Ctx, object_id: str) -> Any:
        return _assign(ctx, ctx.body(), principal_ref=object_id)

    @route("POST", "servicePrincipals/([^/()]+)/appRoleAssignedTo")
    def assign_app_role_to(ctx: Ctx, object_id: str) -> Any:
        return _assign(ctx, ctx.body(), resource_ref=object_id)

    def _assign(
        ctx: Ctx,
        body: dict[str, Any],
        *,
        principal_ref: str | None = None,
        resource_ref: str | None = None,
    ) -> Any:
        # serviceprincipal-post-approleassignments: AppRoleAssignment.ReadWrite.All (plus
        # Application.Read.All, which Application.ReadWrite.All covers).
        ctx.need("AppRoleAssignment.ReadWrite.All")
        principal = ctx.tenant.sps.get(str(body.get("principalId") or principal_ref))
        resource = ctx.tenant.sps.get(str(body.get("resourceId") or resource_ref))
        if principal is None or not ctx.emu.visible(principal):
            raise _not_found(str(body.get("principalId")), 400)
        if resource is None:
            raise _not_found(str(body.get("resourceId")), 400)
        role_id = str(body.get("appRoleId", ""))
        names = {graph_role_id(n): n for n in GRAPH_APP_ROLE_NAMES}
        if resource.app_id != GRAPH_APP_ID or role_id not in names:
            raise GraphError(
                400,
                "Request_BadRequest",
                f"Permission being assigned was not found on application '{resource.app_id}'.",
            )
        ctx.tenant.roles.add((principal.id, resource.id, names[role_id]))
        return {
            "@odata.context": ctx.context("appRoleAssignments/$entity"),
            "id": new_id(),
            "appRoleId": role_id,
            "principalId": principal.id,
            "resourceId": resource.id,
        }, 201

    @route("POST", "servicePrincipals/([^/()]+)/addPassword")
    def sp_add_password(ctx: Ctx, object_id: str) -> Any:
        sp = _sp(ctx, object_id)
        if sp.kind == "agentIdentity":
            raise GraphError(
                400,
                "PropertyNotCompatibleWithAgentIdentity",
                "Agent identities cannot hold credentials; add them to the blueprint instead.",
            )
        raise GraphError(400, "Request_BadRequest", "Add credentials to the application object.")

    # --- grants and users ------------------------------------------------------------------

    @route("GET", "oauth2PermissionGrants")
    def list_grants(ctx: Ctx) -> Any:
        ctx.need("DelegatedPermissionGrant.ReadWrite.All", "Directory.Read.All")
        grants = _filter(ctx.tenant.grants, {"clientId": lambda g: g.client_sp_id})
        return {
            "@odata.context": ctx.context("oauth2PermissionGrants"),
            "value": [_grant_json(ctx, g) for g in grants],
        }

    @route("POST", "oauth2PermissionGrants")
    def create_grant(ctx: Ctx) -> Any:
        # oauth2permissiongrant-post: DelegatedPermissionGrant.ReadWrite.All. This is how an
        # admin consents for an agent identity, which cannot prompt for consent itself.
        ctx.need("DelegatedPermissionGrant.ReadWrite.All")
        body = ctx.body()
        client = ctx.tenant.sps.get(str(body.get("clientId")))
        resource = ctx.tenant.sps.get(str(body.get("resourceId")))
        if client is None or not ctx.emu.visible(client):
            raise _not_found(str(body.get("clientId")), 400)
        if resource is None:
            raise _not_found(str(body.get("resourceId")), 400)
        consent = body.get("consentType", "AllPrincipals")
        grant = Grant(
            new_id(),
            client.id,
            resource.id,
            set(str(body.get("scope", "")).split()),
            consent,
            body.get("principalId") if consent == "Principal" else None,
        )
        ctx.tenant.grants.append(grant)
        return _grant_json(ctx, grant), 201

    @route("POST", "users")
    def create_user(ctx: Ctx) -> Any:
        body = ctx.body()
        if not str(body.get("@odata.type", "")).lower().endswith("agentuser"):
            raise GraphError(400, "Request_BadRequest", "The emulator creates agent users only.")
        parent_id = str(body.get("identityParentId", ""))
        parent = ctx.tenant.sps.get(parent_id)
        if parent is None or not ctx.emu.visible(parent):
            raise _not_found(parent_id, 400)
        if parent.kind != "agentIdentity":
            raise GraphError(
                400, "Request_BadRequest", "identityParentId must be an agent identity."
            )
        # agentuser-post: AgentIdUser.ReadWrite.All, or IdentityParentedBy for the parent's own
        # blueprint; a fresh blueprint token does not carry it until an admin assigns the app
        # role (entra-facts, Permissions).
        ctx.agent_id_write("AgentIdUser.ReadWrite.All", "AgentIdUser.ReadWrite.IdentityParentedBy")
        own = parent.blueprint_app_id == ctx.client_app_id
        if "AgentIdUser.ReadWrite.All" not in ctx.perms and not own:
            raise _denied("The agent identity belongs to another blueprint.")
        upn = str(body.get("userPrincipalName", ""))
        if "@" not in upn:
            raise GraphError(400, "Request_BadRequest", "Property 'userPrincipalName' is invalid.")
        if any(u.upn.lower() == upn.lower() for u in ctx.tenant.users.values()):
            raise GraphError(
                400,
                "Request_BadRequest",
                "Another object with the same value for property userPrincipalName already exists.",
            )
        user = User(
            new_id(),
            upn,
            str(body.get("displayName") or upn),
            ctx.tenant.id,
            "agentUser",
            parent.id,
            pending=ctx.emu.propagation_delay,
        )
        ctx.tenant.users[user.id] = user
        return _user_json(ctx, user), 201

    @route("GET", "users/([^/()]+)")
    def get_user(ctx: Ctx, ref: str) -> Any:
        ctx.need("User.Read.All", "User.ReadBasic.All", "Directory.Read.All")
        user = _find_user(ctx.tenant, ref)
        if user is None or not ctx.emu.visible(user):
            raise _not_found(ref)
        return _user_json(ctx, user)

    @route("DELETE", "users/([^/()]+)")
    def delete_user(ctx: Ctx, ref: str) -> Any:
        user = _find_user(ctx.tenant, ref)
        if user is None or user.deleted_at is not None:
            raise _not_found(ref)
        # agentuser-delete: AgentIdUser.ReadWrite.All or User.ReadWrite.All, or the parent
        # blueprint. Soft delete.
        ctx.agent_id_write()
        if not ctx.perms & {"AgentIdUser.ReadWrite.All", "User.ReadWrite.All"}:
            parent = ctx.tenant.sps.get(user.identity_parent_id or "")
            if parent is None or parent.blueprint_app_id != ctx.client_app_id:
                raise _denied("Needs one of: AgentIdUser.ReadWrite.All, User.ReadWrite.All.")
        user.deleted_at = ctx.emu.clock()
        return Response(status=204)

    return app


def _authenticate(emu: EntraEmulator, version: str) -> Ctx:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty.")
    claims = emu.verify(header[7:])
    if claims is None:
        raise GraphError(
            401, "InvalidAuthenticationToken", "Access token validation failure. Invalid signature."
        )
    if claims.get("exp", 0) < emu.clock():
        raise GraphError(
            401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired."
        )
    if claims.get("aud") not in (GRAPH_RESOURCE, GRAPH_RESOURCE + "/", GRAPH_APP_ID):
        raise GraphError(
            401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience."
        )
    tenant = emu.tenants.get(str(claims.get("tid")))
    if tenant is None:
        raise GraphError(401, "InvalidAuthenticationToken", "Unknown tenant.")
    return Ctx(emu, tenant, claims, version)


def _find_user(tenant: Tenant, ref: str) -> User | None:
    return tenant.users.get(ref) or next(
        (u for u in tenant.users.values() if u.upn.lower() == ref.lower()), None
    )


def _bind_users(ctx: Ctx, binds: Any) -> list[str]:
    ids: list[str] = []
    for ref in binds or []:
        kind, _, object_id = str(ref).rstrip("/").rpartition("/")
        if kind.lower().endswith("/groups"):
            ids.append(object_id)
            continue
        user = ctx.tenant.users.get(object_id)
        if user is None or not ctx.emu.visible(user):
            raise _not_found(object_id, 400)
        ids.append(object_id)
    return ids


_FILTER = re.compile(r"^\s*(\w+)\s+eq\s+'([^']*)'\s*$")


def _filter(items: list[Any], fields: dict[str, Callable[[Any], Any]]) -> list[Any]:
    expr = request.args.get("$filter")
    if not expr:
        return items
    match = _FILTER.match(expr)
    if not match or match.group(1) not in fields:
        raise GraphError(400, "BadRequest", f"Unsupported filter: {expr}")
    getter, value = fields[match.group(1)], match.group(2).lower()
    return [i for i in items if str(getter(i) or "").lower() == value]


def _parse_time(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    return float(time.mktime(time.strptime(value[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone)


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _app_json(ctx: Ctx, a: Application) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@odata.context": ctx.context("applications/$entity"),
        "id": a.id,
        "appId": a.app_id,
        "displayName": a.display_name,
        "signInAudience": a.sign_in_audience,
        "identifierUris": a.identifier_uris,
        "isFallbackPublicClient": a.public_client,
        "api": {"oauth2PermissionScopes": a.scopes},
        "passwordCredentials": [
            {
                "customKeyIdentifier": None,
                "displayName": p.display_name,
                "endDateTime": _iso(p.end),
                "hint": p.hint,
                "keyId": p.key_id,
                "secretText": None,
                "startDateTime": _iso(p.start),
            }
            for p in a.passwords
        ],
        "keyCredentials": [
            {
                "customKeyIdentifier": base64.urlsafe_b64decode(k.sha1 + "=").hex().upper(),
                "displayName": k.display_name,
                "key": None,
                "keyId": k.key_id,
                "type": k.key_type,
                "usage": k.usage,
            }
            for k in a.keys
        ],
    }
    if a.kind == "blueprint":
        data["@odata.type"] = "#microsoft.graph.agentIdentityBlueprint"
        data["sponsors"] = [{"id": s} for s in a.sponsors]
    return data


def _sp_json(ctx: Ctx, s: ServicePrincipal) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@odata.context": ctx.context("servicePrincipals/$entity"),
        "id": s.id,
        "appId": s.app_id,
        "displayName": s.display_name,
        "accountEnabled": True,
        "servicePrincipalNames": [s.app_id, *s.uris],
        "servicePrincipalType": "Application",
    }
    if s.kind == "agentIdentity":
        data["@odata.type"] = "#microsoft.graph.agentIdentity"
        data["agentIdentityBlueprintId"] = s.blueprint_app_id
        data["servicePrincipalType"] = "ServiceIdentity"
    elif s.kind == "blueprintPrincipal":
        data["@odata.type"] = "#microsoft.graph.agentIdentityBlueprintPrincipal"
    if s.app_id == GRAPH_APP_ID:
        data["appRoles"] = [
            {"id": graph_role_id(n), "value": n, "allowedMemberTypes": ["Application"]}
            for n in GRAPH_APP_ROLE_NAMES
        ]
    data["accountEnabled"] = s.enabled
    return data


def _grant_json(ctx: Ctx, g: Grant) -> dict[str, Any]:
    return {
        "@odata.context": ctx.context("oauth2PermissionGrants/$entity"),
        "id": g.id,
        "clientId": g.client_sp_id,
        "consentType": g.consent_type,
        "principalId": g.principal_id,
        "resourceId": g.resource_sp_id,
        "scope": " ".join(sorted(g.scopes)),
    }


def _user_json(ctx: Ctx, u: User) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@odata.context": ctx.context("users/$entity"),
        "id": u.id,
        "displayName": u.display_name,
        "userPrincipalName": u.upn,
        "accountEnabled": True,
    }
    if u.kind == "agentUser":
        data["@odata.type"] = "#microsoft.graph.agentUser"
        data["identityParentId"] = u.identity_parent_id
    return data


__all__ = ["create_graph_app"]
