"""`login.microsoftonline.com`: the v2.0 token and device-code endpoints, OIDC metadata, JWKS and
the instance-discovery document msal asks for. Errors carry Entra's shape: `error`,
`error_description` starting `AADSTS<code>:`, `error_codes`, `timestamp`, `trace_id`,
`correlation_id`, `error_uri`.
"""

from __future__ import annotations

import base64
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

import jwt
from flask import Flask, Response, jsonify, request

from tests.emulators.entra.model import (
    BLUEPRINT_GRAPH_ROLES,
    GRAPH_RESOURCE,
    LOGIN,
    OIDC_SCOPES,
    TOKEN_EXCHANGE_APP_ID,
    TOKEN_EXCHANGE_AUDIENCE,
    AadstsError,
    Application,
    DeviceCode,
    EntraEmulator,
    IssuedRefresh,
    Resource,
    ServicePrincipal,
    Tenant,
    User,
    new_id,
    secret_digest,
)

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
GRAPH_SCOPE_VALUE = re.compile(r"^[A-Z][A-Za-z]*(\.[A-Za-z]+)+$")
# Actor/subject facets: 11 AgentIdentity, 13 AgentIDUser; 3 is seen in real samples, undocumented.
AGENT_ACT_FCT = "3 11"
EXCHANGE_AUDIENCES = (TOKEN_EXCHANGE_APP_ID, TOKEN_EXCHANGE_AUDIENCE)
AGENTIC_KINDS = frozenset({"blueprintPrincipal", "agentIdentity"})


def _agentic_app_only(sp: ServicePrincipal, resource: str) -> AadstsError:
    """AADSTS82001 (Field, many reports): an agentic app asking for an app-only token outside
    the documented Agent ID legs, or for a resource that refuses agentic app-only tokens."""
    return AadstsError(
        82001,
        "unauthorized_client",
        f"Agentic application '{sp.app_id}' is not permitted to request app-only tokens for "
        f"resource '{resource}'.",
    )


def _guid_b64(value: str) -> str:
    try:
        raw = uuid.UUID(value).bytes_le
    except ValueError:
        raw = value.encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@dataclass
class Caller:
    sp: ServicePrincipal
    app: Application | None
    acr: str  # 0 public, 1 secret, 2 certificate/assertion


def missing(name: str) -> AadstsError:
    return AadstsError(
        900144,
        "invalid_request",
        f"The request body must contain the following parameter: '{name}'.",
    )


def create_login_app(emu: EntraEmulator) -> Flask:
    app = Flask("entra-login")

    @app.errorhandler(AadstsError)
    def aadsts(exc: AadstsError) -> tuple[Response, int]:
        trace, corr = new_id(), request.headers.get("client-request-id") or new_id()
        stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(emu.clock()))
        body = {
            "error": exc.error,
            "error_description": f"AADSTS{exc.code}: {exc.message}\r\nTrace ID: {trace}\r\n"
            f"Correlation ID: {corr}\r\nTimestamp: {stamp}",
            "error_codes": [exc.code],
            "timestamp": stamp,
            "trace_id": trace,
            "correlation_id": corr,
            "error_uri": f"{LOGIN}/error?code={exc.code}",
        }
        return jsonify(body), exc.status

    @app.get("/common/discovery/instance")
    def instance_discovery() -> Any:
        # msal asks for the alias groups (api-version 1.1) to find cache entries under any alias.
        return {
            "tenant_discovery_endpoint": f"{LOGIN}/common/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [
                {
                    "preferred_network": "login.microsoftonline.com",
                    "preferred_cache": "login.windows.net",
                    "aliases": [
                        "login.microsoftonline.com",
                        "login.windows.net",
                        "login.microsoft.com",
                        "sts.windows.net",
                    ],
                }
            ],
        }

    @app.get("/<tenant_ref>/v2.0/.well-known/openid-configuration")
    def metadata(tenant_ref: str) -> Any:
        tenant = _tenant(emu, tenant_ref)
        base = f"{LOGIN}/{tenant.id}"
        return {
            "issuer": f"{base}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "jwks_uri": f"{LOGIN}/{tenant.id}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "oid", "tid", "name"],
            "tenant_region_scope": "NA",
            "cloud_instance_name": "microsoftonline.com",
        }

    @app.get("/<tenant_ref>/discovery/v2.0/keys")
    def keys(tenant_ref: str) -> Any:
        _tenant(emu, tenant_ref)
        return emu.jwks()

    @app.post("/<tenant_ref>/oauth2/v2.0/devicecode")
    def devicecode(tenant_ref: str) -> Any:
        tenant = _tenant(emu, tenant_ref)
        form = request.form.to_dict()
        emu.log.append({"path": request.path, "form": form})
        client_id = form.get("client_id") or ""
        if not client_id:
            raise missing("client_id")
        sp = _client_sp(emu, tenant, client_id)
        app_ = emu.app_by_app_id(client_id)
        if app_ is None or not app_.public_client:
            raise AadstsError(
                7000218,
                "invalid_client",
                "The request body must contain the following parameter: 'client_assertion' or "
                "'client_secret'.",
                401,
            )
        _parse_scope(emu, tenant, form.get("scope", ""), default_only=False)
        user_code = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(9))
        code = DeviceCode(
            secrets.token_urlsafe(48),
            user_code,
            tenant.id,
            sp.app_id,
            form.get("scope", ""),
            emu.clock() + 900,
        )
        emu.device_codes[code.device_code] = code
        uri = "https://microsoft.com/devicelogin"
        return {
            "user_code": user_code,
            "device_code": code.device_code,
            "verification_uri": uri,
            "expires_in": 900,
            "interval": emu.device_interval,
            "message": f"To sign in, open {uri} in a browser and enter the code {user_code}.",
        }

    @app.post("/<tenant_ref>/oauth2/v2.0/token")
    def token(tenant_ref: str) -> Any:
        tenant = _tenant(emu, tenant_ref)
        form = request.form.to_dict()
        emu.log.append({"path": request.path, "form": form})
        grant = form.get("grant_type")
        if not grant:
            raise missing("grant_type")
        if grant == TOKEN_EXCHANGE:
            # Entra does not implement RFC 8693. An ordinary app gets AADSTS70003 (Field); an
            # agentic app (blueprint or agent identity) is reported to get AADSTS82001 (Field,
            # azure-skills known-limitations).
            sp = tenant.sp_by_app_id(form.get("client_id") or "")
            if sp is not None and sp.kind in AGENTIC_KINDS:
                raise _agentic_app_only(sp, form.get("scope") or "(none)")
            raise AadstsError(
                70003,
                "unsupported_grant_type",
                f"The app requested an unsupported grant type '{grant}'.",
            )
        handlers = {
            "client_credentials": _client_credentials,
            JWT_BEARER: _on_behalf_of,
            DEVICE_CODE: _device_code,
            "refresh_token": _refresh,
            "user_fic": _user_fic,
        }
        handler = handlers.get(grant)
        if handler is None:
            raise AadstsError(
                70003,
                "unsupported_grant_type",
                f"The app requested an unsupported grant type '{grant}'.",
            )
        return handler(emu, tenant, form)

    return app


# --- helpers ---------------------------------------------------------------------------------


def _tenant(emu: EntraEmulator, ref: str) -> Tenant:
    tenant = emu.tenant(ref)
    if tenant is None:
        raise AadstsError(
            90002,
            "invalid_request",
            f"Tenant '{ref}' not found. Check the tenant ID or domain, and that it is not "
            "deleted or in another national cloud.",
        )
    return tenant


def _client_sp(emu: EntraEmulator, tenant: Tenant, client_id: str) -> ServicePrincipal:
    sp = tenant.sp_by_app_id(client_id)
    if sp is None or not emu.visible(sp):
        raise AadstsError(
            700016,
            "unauthorized_client",
            f"Application with identifier '{client_id}' was not found in the directory "
            f"'{tenant.domain}'. It may not be installed in this tenant yet, or the request went "
            "to the wrong tenant.",
        )
    return sp


def _authenticate(
    emu: EntraEmulator, tenant: Tenant, form: dict[str, str], *, public_ok: bool = False
) -> Caller:
    basic = request.headers.get("Authorization", "")
    if basic.startswith("Basic "):
        raw = base64.b64decode(basic[6:]).decode()
        user, _, password = raw.partition(":")
        form.setdefault("client_id", unquote_plus(user))
        form.setdefault("client_secret", unquote_plus(password))
    client_id = form.get("client_id") or ""
    if not client_id:
        raise missing("client_id")
    sp = _client_sp(emu, tenant, client_id)
    if not sp.enabled:
        # AADSTS error codes: 7000112 UnauthorizedClientApplicationDisabled (accountEnabled
        # false on the service principal or agent identity).
        raise AadstsError(
            7000112,
            "unauthorized_client",
            f"Application '{client_id}'({sp.display_name}) is disabled.",
        )
    app = emu.app_by_app_id(client_id)
    secret = form.get("client_secret")
    assertion = form.get("client_assertion")
    if assertion and form.get("client_assertion_type") != ASSERTION_TYPE:
        raise missing("client_assertion_type")
    if sp.kind == "agentIdentity":
        if secret:
            raise _bad_secret(client_id)
        if not assertion:
            raise _no_credential()
        _check_exchange_assertion(emu, tenant, sp, assertion)
        return Caller(sp, None, "2")
    if app is None:
        raise _bad_secret(client_id)
    if assertion:
        if not _check_federated_assertion(emu, app, assertion):
            _check_certificate_assertion(emu, tenant, app, assertion)
        return Caller(sp, app, "2")
    if secret:
        now = emu.clock()
        matches = [p for p in app.passwords if p.digest == secret_digest(secret)]
        if not matches:
            raise _bad_secret(client_id)
        if all(p.end < now for p in matches):
            raise AadstsError(
                7000222,
                "invalid_client",
                f"The provided client secret keys for app '{client_id}' are expired.",
                401,
            )
        return Caller(sp, app, "1")
    if public_ok and app.public_client:
        return Caller(sp, app, "0")
    raise _no_credential()


def _bad_secret(client_id: str) -> AadstsError:
    return AadstsError(
        7000215,
        "invalid_client",
        f"Invalid client secret provided. Ensure the secret being sent in the request is the "
        f"client secret value, not the client secret ID, for a secret added to app '{client_id}'.",
        401,
    )


def _no_credential() -> AadstsError:
    return AadstsError(
        7000218,
        "invalid_client",
        "The request body must contain the following parameter: 'client_assertion' or "
        "'client_secret'.",
        401,
    )


def _check_exchange_assertion(
    emu: EntraEmulator, tenant: Tenant, sp: ServicePrincipal, assertion: str
) -> None:
    """An agent identity authenticates with T1: the blueprint's token for
    api://AzureADTokenExchange obtained with fmi_path = this agent identity's appId."""
    claims = emu.verify(assertion)
    if claims is None:
        raise AadstsError(
            700027, "invalid_client", "Client assertion failed signature validation.", 401
        )
    if claims.get("exp", 0) < emu.clock():
        raise AadstsError(
            700024, "invalid_client", "Client assertion is not within its valid time range.", 401
        )
    if claims.get("aud") not in EXCHANGE_AUDIENCES:
        raise AadstsError(
            700212,
            "invalid_client",
            f"No matching federated identity record found for presented assertion audience "
            f"'{claims.get('aud')}'. The assertion must be issued for {TOKEN_EXCHANGE_AUDIENCE}.",
            401,
        )
    if claims.get("tid") != tenant.id:
        raise AadstsError(
            700211,
            "invalid_client",
            f"No matching federated identity record found for presented assertion issuer "
            f"'{claims.get('iss')}'. The exchange token must come from the agent identity's home "
            f"tenant '{tenant.id}'.",
            401,
        )
    fmi = emu.fmi_paths.get(str(claims.get("uti")))
    if fmi is None or fmi.lower() != sp.app_id.lower() or claims.get("azp") != sp.blueprint_app_id:
        why = (
            "it was requested without fmi_path"
            if fmi is None
            else f"its fmi_path '{fmi}' or blueprint does not match this agent identity"
        )
        raise AadstsError(
            700213,
            "invalid_client",
            f"No matching federated identity record found for presented assertion subject: {why}.",
            401,
        )


def _check_federated_assertion(emu: EntraEmulator, app: Application, assertion: str) -> bool:
    """Workload identity federation (workload-identity-federation, federatedidentitycredential
    resource): an assertion from an issuer one of the app's federated credentials names is
    accepted when it is validly signed by that issuer, its `sub` is the credential's subject and
    its `aud` one of the credential's audiences; otherwise AADSTS70021. False: no federated
    credential names this issuer (the certificate check decides)."""
    try:
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        return False
    issuer = unverified.get("iss")
    fics = [f for f in app.federated if f["issuer"] == issuer]
    if not fics:
        return False
    no_match = AadstsError(
        70021,
        "invalid_client",
        "No matching federated identity record found for presented assertion. Assertion "
        f"Issuer: '{issuer}'. Assertion Subject: '{unverified.get('sub')}'. Assertion Audience: "
        f"'{unverified.get('aud')}'.",
        401,
    )
    key = emu.federated_issuers.get(str(issuer))
    if key is None:
        raise no_match
    try:
        claims = jwt.decode(
            assertion,
            key,
            algorithms=["RS256", "ES256"],
            options={"verify_aud": False, "require": ["exp", "iss", "sub", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise AadstsError(
            700024, "invalid_client", "Client assertion is not within its valid time range.", 401
        ) from None
    except jwt.PyJWTError:
        raise no_match from None
    auds = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if not any(claims["sub"] == f["subject"] and set(auds) & set(f["audiences"]) for f in fics):
        raise no_match
    return True


def _check_certificate_assertion(
    emu: EntraEmulator, tenant: Tenant, app: Application, assertion: str
) -> None:
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        raise AadstsError(50027, "invalid_request", "JWT token is invalid or malformed.") from None
    if header.get("kid") == emu.kid:
        raise AadstsError(
            70021,
            "invalid_client",
            "No matching federated identity record found for presented assertion.",
            401,
        )
    key = next(
        # msal keeps base64 padding on the thumbprints; compare without it.
        (
            k
            for k in app.keys
            if str(header.get("x5t", "")).rstrip("=") == k.sha1
            or str(header.get("x5t#S256", "")).rstrip("=") == k.sha256
        ),
        None,
    )
    if key is None:
        raise AadstsError(
            700027,
            "invalid_client",
            "The certificate with identifier used to sign the client assertion is not registered "
            f"on application {app.app_id}.",
            401,
        )
    audiences = [f"{LOGIN}/{ref}/oauth2/v2.0/token" for ref in (tenant.id, tenant.domain)]
    try:
        claims = jwt.decode(
            assertion,
            key.public_key(),
            algorithms=["RS256", "PS256"],
            audience=audiences,
            options={"require": ["exp", "aud", "iss", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise AadstsError(
            700024, "invalid_client", "Client assertion is not within its valid time range.", 401
        ) from None
    except jwt.PyJWTError as exc:
        raise AadstsError(
            700027, "invalid_client", f"Client assertion failed validation ({exc}).", 401
        ) from None
    if claims.get("iss") != app.app_id or claims.get("sub") != app.app_id:
        raise AadstsError(
            700023, "invalid_client", "Client assertion iss and sub must be the client id.", 401
        )


def _parse_scope(
    emu: EntraEmulator, tenant: Tenant, scope: str, *, default_only: bool
) -> tuple[Resource, list[str], set[str]]:
    items = scope.split()
    oidc = {s for s in items if s in OIDC_SCOPES}
    rest = [s for s in items if s not in OIDC_SCOPES]
    if not rest:
        if default_only or not items:
            raise missing("scope")
        rest = ["User.Read"]
    split: list[tuple[str, str]] = []
    for item in rest:
        if "/" in item:
            prefix, _, value = item.rpartition("/")
        else:
            prefix, value = GRAPH_RESOURCE, item
        split.append((prefix.rstrip("/"), value))
    prefixes = {p.lower() for p, _ in split}
    if len(prefixes) > 1:
        raise AadstsError(
            70011,
            "invalid_scope",
            f"The provided value for the input parameter 'scope' is not valid. The scopes "
            f"'{scope}' name more than one resource; ask for one resource per request.",
        )
    prefix = split[0][0]
    resource = emu.resolve_resource(tenant, prefix)
    if resource is None:
        raise AadstsError(
            500011,
            "invalid_resource",
            f"The resource principal named {prefix} was not found in the tenant named "
            f"{tenant.domain}. The application may not be installed (no service principal) in "
            "this tenant, or the resource identifier is wrong.",
        )
    values = [v for _, v in split]
    if default_only and values != [".default"]:
        raise AadstsError(
            70011,
            "invalid_scope",
            f"The provided value for the input parameter 'scope' is not valid. The scope "
            f"'{scope}' is not valid: app-only requests take one scope of the form "
            "<resource>/.default.",
        )
    if not default_only:
        known = _delegated_scopes(emu, resource)
        bad = [v for v in values if v != ".default" and not known(v)]
        if bad:
            raise AadstsError(
                70011,
                "invalid_scope",
                f"The provided value for the input parameter 'scope' is not valid. The scope "
                f"'{prefix}/{bad[0]}' does not exist on the resource.",
            )
    return resource, values, oidc


def _delegated_scopes(emu: EntraEmulator, resource: Resource) -> Any:
    if resource.uri == GRAPH_RESOURCE:
        return lambda v: bool(GRAPH_SCOPE_VALUE.match(v))
    app = emu.app_by_app_id(resource.sp.app_id)
    names = {s["value"] for s in (app.scopes if app else []) if s.get("isEnabled", True)}
    return lambda v: v in names


def _granted(tenant: Tenant, client: ServicePrincipal, resource: Resource, user: User) -> set[str]:
    scopes: set[str] = set()
    for grant in tenant.grants:
        if grant.client_sp_id != client.id or grant.resource_sp_id != resource.sp.id:
            continue
        if grant.consent_type == "AllPrincipals" or grant.principal_id == user.id:
            scopes |= grant.scopes
    return scopes


def _inherited(
    emu: EntraEmulator, tenant: Tenant, agent: ServicePrincipal, resource: Resource, user: User
) -> set[str]:
    """What an agent identity inherits from its blueprint (concept-inheritable-permissions:
    both conditions) — scopes the blueprint lists as inheritable for the resource app, AND
    that are granted to the blueprint principal."""
    if agent.kind != "agentIdentity" or not agent.blueprint_app_id:
        return set()
    blueprint = emu.app_by_app_id(agent.blueprint_app_id)
    principal = tenant.sp_by_app_id(agent.blueprint_app_id)
    if blueprint is None or principal is None:
        return set()
    listed = blueprint.inheritable_scopes.get(resource.sp.app_id, set())
    granted = _granted(tenant, principal, resource, user)
    return granted if "*" in listed else granted & listed


def _consented(
    tenant: Tenant,
    caller: Caller,
    resource: Resource,
    user: User,
    values: list[str],
    emu: EntraEmulator | None = None,
) -> list[str]:
    granted = _granted(tenant, caller.sp, resource, user)
    if emu is not None:
        granted |= _inherited(emu, tenant, caller.sp, resource, user)
    wanted = sorted(granted) if values == [".default"] else values
    if not wanted or not set(wanted) <= granted:
        raise AadstsError(
            65001,
            "invalid_grant",
            f"The user or administrator has not consented to use the application with ID "
            f"'{caller.sp.app_id}' named '{caller.sp.display_name}'. Grant the delegated "
            f"permission(s) {' '.join(values)} on {resource.uri} (admin consent or an "
            "oauth2PermissionGrant), or send an interactive authorization request.",
        )
    return wanted


def _agent_facets(caller: Caller, **more: str) -> dict[str, Any]:
    if caller.sp.kind != "agentIdentity":
        return {}
    return {"xms_act_fct": AGENT_ACT_FCT, "xms_par_app_azp": caller.sp.blueprint_app_id, **more}


def _respond(
    emu: EntraEmulator,
    tenant: Tenant,
    token: str,
    claims: dict[str, Any],
    *,
    scope: str | None = None,
    user: User | None = None,
    oidc: set[str] | None = None,
    caller: Caller | None = None,
    form: dict[str, str] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "token_type": "Bearer",
        "expires_in": emu.token_lifetime - 1,
        "ext_expires_in": emu.token_lifetime - 1,
        "access_token": token,
    }
    if scope is not None:
        body["scope"] = scope
    if user is not None and caller is not None:
        oidc = oidc or set()
        if "offline_access" in oidc:
            rt = "1.A" + secrets.token_urlsafe(64)
            emu.refresh_tokens[rt] = IssuedRefresh(tenant.id, caller.sp.app_id, user.id)
            body["refresh_token"] = rt
        if "openid" in oidc:
            body["id_token"] = emu.id_token(tenant, caller.sp.app_id, user)
        if (form or {}).get("client_info") == "1":
            body["client_info"] = emu.client_info(tenant, user)
    return body


def _scope_string(resource: Resource, values: list[str], oidc: set[str] | None = None) -> str:
    # Entra echoes Graph scopes by their short names and other APIs' with the resource prefix,
    # plus the OIDC scopes that were granted.
    if resource.uri == GRAPH_RESOURCE:
        names = list(values)
    else:
        names = [f"{resource.uri}/{v}" for v in values]
    return " ".join(names + sorted((oidc or set()) - {"offline_access"}))


# --- grants ----------------------------------------------------------------------------------


def _client_credentials(emu: EntraEmulator, tenant: Tenant, form: dict[str, str]) -> Any:
    caller = _authenticate(emu, tenant, form)
    resource, _values, _ = _parse_scope(emu, tenant, form.get("scope", ""), default_only=True)
    exchange = resource.aud == TOKEN_EXCHANGE_APP_ID
    if caller.sp.kind == "blueprintPrincipal" and not (exchange or resource.uri == GRAPH_RESOURCE):
        # A blueprint only signs for leg 1 (api://AzureADTokenExchange, fmi_path) and for
        # Graph (to manage its agent identities); anything else is 82001 (Field).
        raise _agentic_app_only(caller.sp, resource.uri)
    if caller.sp.kind == "agentIdentity" and not exchange:
        resource_app = emu.app_by_app_id(resource.sp.app_id)
        if resource_app is not None and resource_app.refuses_agentic_app_only:
            raise _agentic_app_only(caller.sp, resource.uri)
    roles = {r for c, res, r in tenant.roles if c == caller.sp.id and res == resource.sp.id}
    if caller.sp.kind == "blueprintPrincipal" and resource.uri == GRAPH_RESOURCE:
        roles |= set(BLUEPRINT_GRAPH_ROLES)
    extra = _agent_facets(caller, xms_sub_fct=AGENT_ACT_FCT, xms_idrel="7")
    fmi = form.get("fmi_path")
    if fmi is not None and exchange:
        # Field: T1's sub is /eid1/c/pub/t/<tenant>/a/<blueprint appId>/<fmi_path>.
        extra["sub"] = f"/eid1/c/pub/t/{_guid_b64(tenant.id)}/a/{_guid_b64(caller.sp.app_id)}/{fmi}"
    token, claims = emu.access_token(
        tenant, resource, client=caller.sp, acr=caller.acr, roles=sorted(roles), extra=extra
    )
    if fmi is not None and exchange:
        emu.fmi_paths[claims["uti"]] = fmi
    return _respond(emu, tenant, token, claims)


def _user_of(emu: EntraEmulator, tenant: Tenant, claims: dict[str, Any]) -> User | None:
    user = tenant.users.get(str(claims.get("oid")))
    return user if user is not None and emu.visible(user) else None


def _on_behalf_of(emu: EntraEmulator, tenant: Tenant, form: dict[str, str]) -> Any:
    if form.get("requested_token_use") != "on_behalf_of":
        raise missing("requested_token_use")
    assertion = form.get("assertion")
    if not assertion:
        raise missing("assertion")
    caller = _authenticate(emu, tenant, form)
    if caller.acr == "0":
        raise _no_credential()
    claims = emu.verify(assertion)
    if claims is None:
        raise AadstsError(50013, "invalid_grant", "Assertion failed signature validation.")
    if claims.get("exp", 0) < emu.clock():
        raise AadstsError(500133, "invalid_grant", "Assertion is not within its valid time range.")
    if claims.get("idtyp") == "app":
        raise AadstsError(
            50013,
            "invalid_grant",
            "Assertion is an app-only token; on-behalf-of needs a token issued to a "
            "signed-in user.",
        )
    if caller.sp.kind == "agentIdentity":
        expected_app = emu.app_by_app_id(caller.sp.blueprint_app_id or "")
    else:
        expected_app = caller.app
    expected = (
        [caller.sp.app_id]
        if expected_app is None
        else [expected_app.app_id, *expected_app.identifier_uris]
    )
    if claims.get("aud") not in expected:
        raise AadstsError(
            50013,
            "invalid_grant",
            f"Assertion audience does not match the Client app presenting the assertion. The "
            f"audience in the assertion was '{claims.get('aud')}' and the expected audience is "
            f"'{expected[0]}' or one of the Application Id URIs of this application.",
        )
    if claims.get("tid") != tenant.id:
        raise AadstsError(50013, "invalid_grant", "Assertion was issued by another tenant.")
    user = _user_of(emu, tenant, claims)
    if user is None:
        raise AadstsError(
            50034, "invalid_grant", "The user account does not exist in this directory."
        )
    return _user_token(emu, tenant, form, caller, user, extra=_agent_facets(caller, xms_idrel="1"))


def _user_fic(emu: EntraEmulator, tenant: Tenant, form: dict[str, str]) -> Any:
    caller = _authenticate(emu, tenant, form)
    if caller.sp.kind != "agentIdentity":
        raise AadstsError(
            70003,
            "unsupported_grant_type",
            "The user_fic grant is only available to agent identities.",
        )
    t2 = form.get("user_federated_identity_credential")
    if not t2:
        raise missing("user_federated_identity_credential")
    t2_claims = emu.verify(t2)
    if (
        t2_claims is None
        or t2_claims.get("aud") not in EXCHANGE_AUDIENCES
        or t2_claims.get("azp") != caller.sp.app_id
    ):
        raise AadstsError(
            50013,
            "invalid_grant",
            "user_federated_identity_credential must be this agent identity's own token for "
            f"{TOKEN_EXCHANGE_AUDIENCE} (leg 2).",
        )
    user: User | None = None
    if form.get("user_id"):
        user = tenant.users.get(form["user_id"])
    elif form.get("username"):
        user = next(
            (u for u in tenant.users.values() if u.upn.lower() == form["username"].lower()), None
        )
    else:
        raise missing("user_id")
    if user is None or not emu.visible(user):
        raise AadstsError(
            50034, "invalid_grant", "The user account does not exist in this directory."
        )
    if user.kind != "agentUser" or user.identity_parent_id != caller.sp.id:
        raise AadstsError(
            50013,
            "invalid_grant",
            f"User '{user.upn}' is not an agent user parented by agent identity "
            f"{caller.sp.app_id}.",
        )
    return _user_token(
        emu, tenant, form, caller, user, extra=_agent_facets(caller, xms_sub_fct="13")
    )


def _device_code(emu: EntraEmulator, tenant: Tenant, form: dict[str, str]) -> Any:
    code = emu.device_codes.get(form.get("device_code") or "")
    if code is None or code.tenant != tenant.id or code.client_id != form.get("client_id"):
        raise AadstsError(
            70000, "invalid_grant", "The provided device code is invalid or malformed."
        )
    if code.expires_at < emu.clock():
        raise AadstsError(70019, "expired_token", "Verification code expired.")
    if code.declined:
        raise AadstsError(70000, "authorization_declined", "The end user declined the sign-in.")
    code.polls += 1
    if code.user is None and emu.device_auto_approve and code.polls > emu.device_pending_polls:
        code.user = emu.device_auto_approve
    if code.user is None:
        raise AadstsError(
            70016,
            "authorization_pending",
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        )
    user = next(u for u in tenant.users.values() if u.upn.lower() == code.user.lower())
    sp = _client_sp(emu, tenant, code.client_id)
    caller = Caller(sp, emu.app_by_app_id(code.client_id), "0")
    resource, values, oidc = _parse_scope(emu, tenant, code.scope, default_only=False)
    # Signing in is where a user consents for themself, unless the tenant restricts user
    # consent; then only an admin grant (AllPrincipals) lets the sign-in through
    # (configure-user-consent; agent-id "Consent": device sign-in to access_agent).
    if values != [".default"] and tenant.user_consent_allowed:
        missing_scopes = set(values) - _granted(tenant, sp, resource, user)
        if missing_scopes:
            emu.grant_delegated(
                tenant, sp.app_id, resource.sp.app_id, tuple(values), principal_id=user.id
            )
    granted = _consented(tenant, caller, resource, user, values, emu)
    del emu.device_codes[code.device_code]
    token, claims = emu.access_token(tenant, resource, client=sp, acr="0", user=user, scp=granted)
    return _respond(
        emu,
        tenant,
        token,
        claims,
        scope=_scope_string(resource, granted, oidc),
        user=user,
        oidc=oidc,
        caller=caller,
        form=form,
    )


def _refresh(emu: EntraEmulator, tenant: Tenant, form: dict[str, str]) -> Any:
    issued = emu.refresh_tokens.get(form.get("refresh_token") or "")
    if issued is None or issued.tenant != tenant.id:
        raise AadstsError(
            9002313, "invalid_grant", "Invalid request. The refresh token is invalid or malformed."
        )
    caller = _authenticate(emu, tenant, form, public_ok=True)
    if caller.sp.app_id != issued.client_id:
        raise AadstsError(
            70000, "invalid_grant", "The refresh token was issued to a different client."
        )
    user = tenant.users[issued.user_id]
    return _user_token(
        emu,
        tenant,
        form,
        caller,
        user,
        extra=_agent_facets(caller, xms_idrel="1"),
        also_oidc={"offline_access"},
    )


def _user_token(
    emu: EntraEmulator,
    tenant: Tenant,
    form: dict[str, str],
    caller: Caller,
    user: User,
    *,
    extra: dict[str, Any],
    also_oidc: set[str] | None = None,
) -> Any:
    """A delegated token for `user` through `caller`, with the consented part of the asked
    scopes (OBO, user_fic and refresh all end this way)."""
    resource, values, oidc = _parse_scope(emu, tenant, form.get("scope", ""), default_only=False)
    granted = _consented(tenant, caller, resource, user, values, emu)
    token, claims = emu.access_token(
        tenant, resource, client=caller.sp, acr=caller.acr, user=user, scp=granted, extra=extra
    )
    oidc = oidc | (also_oidc or set())
    return _respond(
        emu,
        tenant,
        token,
        claims,
        scope=_scope_string(resource, granted, oidc),
        user=user,
        oidc=oidc,
        caller=caller,
        form=form,
    )


__all__ = ["create_login_app"]
