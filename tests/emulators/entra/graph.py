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
    GRAPH_APP_ID,
    GRAPH_RESOURCE,
    Application,
    EntraEmulator,
    Grant,
    GraphError,
    KeyCredential,
    ServicePrincipal,
    Tenant,
    User,
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
        ctx.need("AgentIdentityBlueprint.Create")
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
            a for a in ctx.emu.apps.values() if a.home_tenant == ctx.tenant.id and a.pending == 0
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
            if a.home_tenant == ctx.tenant.id and a.kind == "blueprint" and a.pending == 0
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
            ctx.need(blueprint_perm, "AgentIdentityBlueprint.ReadWrite.All")
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
        _need_app_write(ctx, application, "AgentIdentityBlueprint.ReadWrite.All")
        body = ctx.body()
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
        _need_app_write(ctx, application, "AgentIdentityBlueprint.ReadWrite.All")
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
        ctx.need("AgentIdentityBlueprintPrincipal.Create")
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
        ctx.need("AgentIdentity.CreateAsManager")
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
        sp = ServicePrincipal(
            new_id(),
            new_id(),
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
        sps = [s for s in ctx.tenant.sps.values() if s.pending == 0 and s.kind != "firstParty"]
        sps = _filter(sps, {"appId": lambda s: s.app_id, "displayName": lambda s: s.display_name})
        return {
            "@odata.context": ctx.context("servicePrincipals"),
            "value": [_sp_json(ctx, s) for s in sps],
        }

    @route("GET", "servicePrincipals/microsoft\\.graph\\.agentIdentity")
    def list_agent_identities(ctx: Ctx) -> Any:
        sps = [s for s in ctx.tenant.sps.values() if s.kind == "agentIdentity" and s.pending == 0]
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
        return {
            "@odata.context": ctx.context("servicePrincipals"),
            "value": [_sp_json(ctx, s) for s in sps],
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
            if ctx.client_app_id != sp.blueprint_app_id:
                ctx.need("AgentIdentity.ReadWrite.All")
        else:
            ctx.need("Application.ReadWrite.All")
        del ctx.tenant.sps[object_id]
        return Response(status=204)

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

    @route("POST", "oauth2PermissionGrants")
    def create_grant(ctx: Ctx) -> Any:
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
        return {
            "@odata.context": ctx.context("oauth2PermissionGrants/$entity"),
            "id": grant.id,
            "clientId": client.id,
            "consentType": consent,
            "principalId": grant.principal_id,
            "resourceId": resource.id,
            "scope": " ".join(sorted(grant.scopes)),
        }, 201

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
        if "AgentIdUser.ReadWrite.All" not in ctx.perms:
            ctx.need("AgentIdUser.ReadWrite.IdentityParentedBy")
            if parent.blueprint_app_id != ctx.client_app_id:
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
        if user is None:
            raise _not_found(ref)
        if "AgentIdUser.ReadWrite.All" not in ctx.perms:
            parent = ctx.tenant.sps.get(user.identity_parent_id or "")
            if parent is None or parent.blueprint_app_id != ctx.client_app_id:
                raise _denied()
        del ctx.tenant.users[user.id]
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
    return data


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
