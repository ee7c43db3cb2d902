"""The emulator's directory (tenants, applications, service principals, users, grants) and its
token minting. Shapes follow docs/protocols.md §6 and ../shared/docs/entra-facts.md (Microsoft
Learn: v2.0 token endpoint, access token claims reference, Agent ID token claims, Graph
application/servicePrincipal resources). Every refusal names its source where it is raised.

Propagation: real Entra takes seconds to make a new object visible to the next call, answering
`400/404 … does not exist` meanwhile. Here a new object stays invisible for `propagation_delay`
*lookups* (not seconds), so tests exercise the retry path without sleeping.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import load_der_x509_certificate

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_RESOURCE = "https://graph.microsoft.com"
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
TOKEN_EXCHANGE_APP_ID = "fb60f99c-7a34-4190-8149-302f77469936"
LOGIN = "https://login.microsoftonline.com"
OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})

# The Graph application permissions the README tells users to grant the admin app, per
# operation, and no more: the emulated admin holds exactly these, so a step that needs anything
# else fails the tests as it would fail on a real tenant. Sources (Graph API reference pages):
# application-post-applications, agentidentityblueprint-post, agentidentityblueprintprincipal-post,
# agentidentityblueprint-addpassword, agentidentityblueprint-update (identifierUris/api:
# UpdateAuthProperties), agentidentityblueprint-delete, agentidentity-delete, user-get,
# oauth2permissiongrant-post, serviceprincipal-post-approleassignments.
DOCUMENTED_ADMIN_ROLES = (
    "Application.ReadWrite.All",  # --kind app: applications, service principals, secrets
    "AgentIdentityBlueprint.Create",
    "AgentIdentityBlueprintPrincipal.Create",
    "AgentIdentityBlueprint.AddRemoveCreds.All",
    "AgentIdentityBlueprint.UpdateAuthProperties.All",  # expose access_agent for OBO
    "AgentIdentityBlueprint.DeleteRestore.All",
    "AgentIdentity.DeleteRestore.All",
    "User.Read.All",  # sponsors named by UPN
    "DelegatedPermissionGrant.ReadWrite.All",  # consent for OBO and agent users
    "AppRoleAssignment.ReadWrite.All",  # app roles; agent-user creation right for the blueprint
)
ADMIN_GRAPH_ROLES = DOCUMENTED_ADMIN_ROLES
# What a fresh blueprint's own app-only Graph token carries: only CreateAsManager (granted
# automatically, cannot be revoked; agentidentity-post; Field: a real blueprint token).
# AgentIdUser.ReadWrite.IdentityParentedBy is NOT there until an admin assigns it.
BLUEPRINT_GRAPH_ROLES = ("AgentIdentity.CreateAsManager",)
# Holding either of these on the calling client makes Agent ID writes fail with 403
# (agent-id known issues: "Directory.AccessAsUser.All / Directory.ReadWrite.All").
AGENT_ID_TRAP_ROLES = frozenset({"Directory.ReadWrite.All", "Directory.AccessAsUser.All"})
# Graph's app roles (application permissions) by value; ids are stable per name here.
GRAPH_APP_ROLE_NAMES = (
    *DOCUMENTED_ADMIN_ROLES,
    "AgentIdUser.ReadWrite.IdentityParentedBy",
    "AgentIdUser.ReadWrite.All",
    "AgentIdentity.ReadWrite.All",
    "AgentIdentityBlueprint.ReadWrite.All",
    "Application.Read.All",
    "Directory.ReadWrite.All",
    "Directory.AccessAsUser.All",
    "Mail.Read",
    "User.Read.All",
)
# 250 active blueprints per tenant (soft-deleted ones count) and 250 agent identities per
# blueprint (agent-id service limits; Graph error codes AgentBlueprint_LimitExceeded,
# Agent_Directory_QuotaExceeded).
BLUEPRINT_QUOTA = 250
AGENTS_PER_BLUEPRINT = 250
# Deleting a blueprint soft-deletes it at once; its agent identities follow only after ~24 h,
# and its agent users are not deleted (agentidentityblueprint-delete, create-delete-agent-
# identities).
CASCADE_DELAY = 24 * 3600.0


def graph_role_id(value: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"graph-app-role:{value}"))


class AadstsError(Exception):
    """A token-endpoint error: RFC 6749 §5.2 `error` plus Entra's AADSTS code and description."""

    def __init__(self, code: int, error: str, message: str, status: int = 400) -> None:
        super().__init__(f"AADSTS{code}: {message}")
        self.code = code
        self.error = error
        self.message = message
        self.status = status


class GraphError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def new_id() -> str:
    return str(uuid.uuid4())


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class PasswordCredential:
    key_id: str
    display_name: str
    digest: str
    hint: str
    start: float
    end: float


@dataclass
class KeyCredential:
    key_id: str
    key_type: str
    usage: str
    der: bytes
    display_name: str

    @property
    def sha1(self) -> str:
        return b64url(hashlib.sha1(self.der).digest())  # noqa: S324 -- x5t is SHA-1 by definition

    @property
    def sha256(self) -> str:
        return b64url(hashlib.sha256(self.der).digest())

    def public_key(self) -> Any:
        return load_der_x509_certificate(self.der).public_key()


@dataclass
class Application:
    id: str
    app_id: str
    display_name: str
    home_tenant: str
    kind: str = "application"  # or "blueprint"
    sign_in_audience: str = "AzureADMyOrg"
    passwords: list[PasswordCredential] = field(default_factory=list)
    keys: list[KeyCredential] = field(default_factory=list)
    # federatedIdentityCredentials: {id, name, issuer, subject, audiences}
    federated: list[dict[str, Any]] = field(default_factory=list)
    identifier_uris: list[str] = field(default_factory=list)
    scopes: list[dict[str, Any]] = field(default_factory=list)
    public_client: bool = False
    sponsors: list[str] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)
    pending: int = 0
    deleted_at: float | None = None  # soft delete: 30 days in the recycle bin
    # The resource app opts in to `idtyp` in user tokens (optional claim with
    # `include_user_token`; access-token-claims-reference, optional-claims-reference).
    idtyp_in_user_tokens: bool = False
    # Some resources refuse app-only tokens for agentic apps (AADSTS82001, Field).
    refuses_agentic_app_only: bool = False
    inheritable_scopes: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class ServicePrincipal:
    id: str
    app_id: str
    display_name: str
    tenant: str
    kind: str = "application"  # application | blueprintPrincipal | agentIdentity | firstParty
    blueprint_app_id: str | None = None
    sponsors: list[str] = field(default_factory=list)
    uris: list[str] = field(default_factory=list)
    pending: int = 0
    deleted_at: float | None = None
    enabled: bool = True


@dataclass
class User:
    id: str
    upn: str
    display_name: str
    tenant: str
    kind: str = "user"  # or "agentUser"
    identity_parent_id: str | None = None
    pending: int = 0
    deleted_at: float | None = None


@dataclass
class Grant:
    id: str
    client_sp_id: str
    resource_sp_id: str
    scopes: set[str]
    consent_type: str = "AllPrincipals"
    principal_id: str | None = None


@dataclass
class Tenant:
    id: str
    domain: str
    sps: dict[str, ServicePrincipal] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    grants: list[Grant] = field(default_factory=list)
    roles: set[tuple[str, str, str]] = field(default_factory=set)  # (client sp, resource sp, role)
    # Tenants that restrict user consent refuse it at sign-in; only an admin grant helps
    # (configure-user-consent; entra-facts "Consent").
    user_consent_allowed: bool = True

    def sp_by_app_id(self, app_id: str) -> ServicePrincipal | None:
        for sp in self.sps.values():
            if sp.app_id.lower() == app_id.lower():
                return sp
        return None


@dataclass
class Resource:
    sp: ServicePrincipal
    uri: str  # what precedes the scope value, e.g. https://graph.microsoft.com or api://{appId}
    version: int  # access token format the resource accepts (Graph: v1)
    aud: str


@dataclass
class DeviceCode:
    device_code: str
    user_code: str
    tenant: str
    client_id: str
    scope: str
    expires_at: float
    user: str | None = None  # upn once approved
    declined: bool = False
    polls: int = 0


@dataclass
class IssuedRefresh:
    tenant: str
    client_id: str
    user_id: str
    agent_parent: str | None = None


@dataclass
class EntraEmulator:
    """All emulated tenants plus global app registrations; `transport()` mounts it for httpx."""

    clock: Callable[[], float] = time.time
    propagation_delay: int = 0
    device_interval: int = 5
    device_auto_approve: str | None = None  # a UPN: approve after `device_pending_polls` polls
    device_pending_polls: int = 1
    token_lifetime: int = 3600
    blueprint_quota: int = BLUEPRINT_QUOTA
    agents_per_blueprint: int = AGENTS_PER_BLUEPRINT
    cascade_delay: float = CASCADE_DELAY
    tenants: dict[str, Tenant] = field(default_factory=dict)
    apps: dict[str, Application] = field(default_factory=dict)
    fmi_paths: dict[str, str] = field(default_factory=dict)  # T1 uti -> fmi_path
    refresh_tokens: dict[str, IssuedRefresh] = field(default_factory=dict)
    device_codes: dict[str, DeviceCode] = field(default_factory=dict)
    log: list[dict[str, Any]] = field(default_factory=list)
    # External token issuers Entra can validate (it fetches their OIDC keys in reality): issuer
    # -> public key, for federated identity credentials.
    federated_issuers: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.key = _signing_key()
        self.kid = b64url(hashlib.sha256(self.public_pem()).digest())[:27]

    # --- directory --------------------------------------------------------------------------

    def add_tenant(self, domain: str = "contoso.onmicrosoft.com", tid: str | None = None) -> Tenant:
        tenant = Tenant(id=tid or new_id(), domain=domain)
        self.tenants[tenant.id] = tenant
        graph = ServicePrincipal(
            new_id(),
            GRAPH_APP_ID,
            "Microsoft Graph",
            tenant.id,
            "firstParty",
            uris=[GRAPH_RESOURCE],
        )
        exchange = ServicePrincipal(
            new_id(),
            TOKEN_EXCHANGE_APP_ID,
            "AzureADTokenExchange",
            tenant.id,
            "firstParty",
            uris=[TOKEN_EXCHANGE_AUDIENCE],
        )
        tenant.sps[graph.id] = graph
        tenant.sps[exchange.id] = exchange
        return tenant

    def tenant(self, ref: str) -> Tenant | None:
        for tenant in self.tenants.values():
            if ref.lower() in (tenant.id.lower(), tenant.domain.lower()):
                return tenant
        return None

    def add_user(self, tenant: Tenant, name: str, display_name: str | None = None) -> User:
        upn = f"{name}@{tenant.domain}"
        user = User(new_id(), upn, display_name or name.title(), tenant.id)
        tenant.users[user.id] = user
        return user

    def add_app(
        self,
        tenant: Tenant,
        name: str,
        *,
        secret: bool = True,
        public: bool = False,
        graph_roles: tuple[str, ...] = (),
        kind: str = "application",
    ) -> tuple[Application, ServicePrincipal, str | None]:
        app = Application(new_id(), new_id(), name, tenant.id, kind=kind, public_client=public)
        self.apps[app.id] = app
        sp = ServicePrincipal(new_id(), app.app_id, name, tenant.id, "application")
        tenant.sps[sp.id] = sp
        value = self.add_password(app, "seed")["secretText"] if secret else None
        graph = self.first_party(tenant, GRAPH_APP_ID)
        for role in graph_roles:
            tenant.roles.add((sp.id, graph.id, role))
        return app, sp, value

    def add_admin(
        self, tenant: Tenant, roles: tuple[str, ...] = DOCUMENTED_ADMIN_ROLES
    ) -> tuple[Application, str]:
        """The app agentctl calls Graph with, holding `roles` (by default exactly the
        permissions the README lists)."""
        app, _sp, secret = self.add_app(tenant, "agentctl-admin", graph_roles=roles)
        assert secret is not None
        return app, secret

    def add_api(
        self, tenant: Tenant, name: str, scopes: tuple[str, ...] = ("access_as_user",)
    ) -> tuple[Application, ServicePrincipal, str | None]:
        app, sp, secret = self.add_app(tenant, name)
        app.identifier_uris = [f"api://{app.app_id}"]
        app.scopes = [
            {"id": new_id(), "type": "User", "value": v, "isEnabled": True} for v in scopes
        ]
        sp.uris = list(app.identifier_uris)
        return app, sp, secret

    def first_party(self, tenant: Tenant, app_id: str) -> ServicePrincipal:
        sp = tenant.sp_by_app_id(app_id)
        assert sp is not None
        return sp

    def add_password(
        self, app: Application, display_name: str, end: float | None = None
    ) -> dict[str, Any]:
        value = "Q~" + secrets.token_urlsafe(30)
        now = self.clock()
        cred = PasswordCredential(
            new_id(), display_name, secret_digest(value), value[:3], now, end or now + 86400 * 365
        )
        app.passwords.append(cred)
        return {
            "customKeyIdentifier": None,
            "displayName": display_name,
            "endDateTime": _iso(cred.end),
            "hint": cred.hint,
            "keyId": cred.key_id,
            "secretText": value,
            "startDateTime": _iso(cred.start),
        }

    def grant_delegated(
        self,
        tenant: Tenant,
        client_app_id: str,
        resource_app_id: str,
        scopes: tuple[str, ...],
        principal_id: str | None = None,
    ) -> Grant:
        client = tenant.sp_by_app_id(client_app_id)
        resource = tenant.sp_by_app_id(resource_app_id)
        assert client is not None
        assert resource is not None
        grant = Grant(
            new_id(),
            client.id,
            resource.id,
            set(scopes),
            "Principal" if principal_id else "AllPrincipals",
            principal_id,
        )
        tenant.grants.append(grant)
        return grant

    def assign_role(
        self, tenant: Tenant, client_app_id: str, resource_app_id: str, role: str
    ) -> None:
        client = tenant.sp_by_app_id(client_app_id)
        resource = tenant.sp_by_app_id(resource_app_id)
        assert client is not None
        assert resource is not None
        tenant.roles.add((client.id, resource.id, role))

    def deleted(self, obj: Application | ServicePrincipal | User) -> bool:
        """Soft-deleted, or an agent identity whose blueprint was deleted more than
        `cascade_delay` seconds ago (the cascade is not immediate)."""
        if obj.deleted_at is not None:
            return True
        if isinstance(obj, ServicePrincipal) and obj.kind == "agentIdentity":
            blueprint = self.app_by_app_id(obj.blueprint_app_id or "", include_deleted=True)
            if blueprint is not None and blueprint.deleted_at is not None:
                return self.clock() >= blueprint.deleted_at + self.cascade_delay
        return False

    def visible(self, obj: Application | ServicePrincipal | User | None) -> bool:
        """False when soft-deleted, and while a new object is still "propagating"; each look
        counts down ("Object with id … not found" for minutes after creation: Agent ID known
        issues)."""
        if obj is None or self.deleted(obj):
            return False
        if obj.pending > 0:
            obj.pending -= 1
            return False
        return True

    def app_by_app_id(self, app_id: str, *, include_deleted: bool = False) -> Application | None:
        for app in self.apps.values():
            if app.app_id.lower() == app_id.lower():
                if app.deleted_at is not None and not include_deleted:
                    return None
                return app
        return None

    def resolve_resource(self, tenant: Tenant, prefix: str) -> Resource | None:
        key = prefix.rstrip("/").lower()
        if key in (GRAPH_RESOURCE, GRAPH_APP_ID, "https://graph.microsoft.com/"):
            return Resource(
                self.first_party(tenant, GRAPH_APP_ID), GRAPH_RESOURCE, 1, GRAPH_RESOURCE
            )
        if key == TOKEN_EXCHANGE_AUDIENCE.lower():
            # Field: T1's `aud` is the GUID of AzureADTokenExchange, not its api:// URI.
            exchange = self.first_party(tenant, TOKEN_EXCHANGE_APP_ID)
            return Resource(exchange, TOKEN_EXCHANGE_AUDIENCE, 2, TOKEN_EXCHANGE_APP_ID)
        for app in self.apps.values():
            names = [u.lower() for u in app.identifier_uris] + [app.app_id.lower()]
            if key in names:
                sp = tenant.sp_by_app_id(app.app_id)
                if sp is None or not self.visible(sp) or sp.kind == "agentIdentity":
                    return None
                return Resource(sp, prefix.rstrip("/"), 2, app.app_id)
        return None

    # --- tokens -----------------------------------------------------------------------------

    def public_pem(self) -> bytes:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def jwks(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()

        def enc(n: int) -> str:
            return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))

        return {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "kid": self.kid,
                    "n": enc(numbers.n),
                    "e": enc(numbers.e),
                }
            ]
        }

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(
            claims, self.key, algorithm="RS256", headers={"typ": "JWT", "kid": self.kid}
        )

    def verify(self, token: str) -> dict[str, Any] | None:
        """Claims of a token this emulator issued and that is still valid, else None."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("kid") != self.kid:
                return None
            claims: dict[str, Any] = jwt.decode(
                token,
                self.key.public_key(),
                algorithms=["RS256"],
                options={
                    "verify_aud": False,
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError:
            return None
        return claims

    def access_token(
        self,
        tenant: Tenant,
        resource: Resource,
        *,
        client: ServicePrincipal,
        acr: str,
        user: User | None = None,
        scp: list[str] | None = None,
        roles: list[str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> tuple[str, dict[str, Any]]:
        now = int(self.clock())
        v1 = resource.version == 1
        claims: dict[str, Any] = {
            "aud": resource.aud,
            "iss": f"https://sts.windows.net/{tenant.id}/" if v1 else f"{LOGIN}/{tenant.id}/v2.0",
            "iat": now,
            "nbf": now,
            "exp": now + self.token_lifetime,
            "aio": b64url(secrets.token_bytes(24)),
            "rh": b64url(secrets.token_bytes(18)),
            "tid": tenant.id,
            "uti": b64url(secrets.token_bytes(16)),
            "ver": "1.0" if v1 else "2.0",
        }
        if v1:
            claims["appid"], claims["appidacr"] = client.app_id, acr
        else:
            claims["azp"], claims["azpacr"] = client.app_id, acr
        if user is None:
            # `idtyp` is an optional claim that app-only tokens carry by default
            # (access-token-claims-reference, optional-claims-reference).
            claims.update(idtyp="app", oid=client.id, sub=client.id)
            if roles:
                claims["roles"] = sorted(roles)
            elif client.kind == "agentIdentity":
                # App-only agent tokens with no app role assigned: `scp` is "/" (entra-facts,
                # Tokens; agent-token-claims).
                claims["scp"] = "/"
        else:
            pairwise = hashlib.sha256(f"{user.id}:{resource.sp.app_id}".encode()).digest()
            # User tokens carry `idtyp` only when the resource opts in (include_user_token);
            # Graph delegated tokens do carry it (access-token-claims-reference).
            resource_app = self.app_by_app_id(resource.sp.app_id)
            if resource.uri == GRAPH_RESOURCE or (
                resource_app is not None and resource_app.idtyp_in_user_tokens
            ):
                claims["idtyp"] = "user"
            claims.update(
                oid=user.id,
                sub=b64url(pairwise)[:43],
                name=user.display_name,
                scp=" ".join(scp or []),
            )
            claims["upn" if v1 else "preferred_username"] = user.upn
        claims.update(extra or {})
        return self.sign(claims), claims

    def id_token(self, tenant: Tenant, client_id: str, user: User) -> str:
        now = int(self.clock())
        return self.sign(
            {
                "aud": client_id,
                "iss": f"{LOGIN}/{tenant.id}/v2.0",
                "iat": now,
                "nbf": now,
                "exp": now + self.token_lifetime,
                "name": user.display_name,
                "oid": user.id,
                "preferred_username": user.upn,
                "sub": b64url(hashlib.sha256(f"{user.id}:{client_id}".encode()).digest())[:43],
                "tid": tenant.id,
                "ver": "2.0",
            }
        )

    def user_token(self, tenant: Tenant, user: User, client_app_id: str, scope: str) -> str:
        """A user's access token as a client app would have received it after sign-in, for tests
        that start from "the agent was handed a user token"."""
        prefix, _, value = scope.rpartition("/")
        resource = self.resolve_resource(tenant, prefix)
        client = tenant.sp_by_app_id(client_app_id)
        assert resource is not None
        assert client is not None
        token, _ = self.access_token(
            tenant, resource, client=client, acr="0", user=user, scp=[value]
        )
        return token

    def client_info(self, tenant: Tenant, user: User) -> str:
        return b64url(json.dumps({"uid": user.id, "utid": tenant.id}).encode())

    def transport(self) -> Any:
        from tests.emulators.entra.transport import EntraTransport

        return EntraTransport(self)


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


_KEY_CACHE: list[rsa.RSAPrivateKey] = []


def _signing_key() -> rsa.RSAPrivateKey:
    # Key generation dominates emulator start-up; one key per test session is plenty.
    if not _KEY_CACHE:
        _KEY_CACHE.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return _KEY_CACHE[0]


def cert_thumbprints(der: bytes) -> tuple[str, str]:
    cert = load_der_x509_certificate(der)
    return b64url(cert.fingerprint(hashes.SHA1())), b64url(cert.fingerprint(hashes.SHA256()))  # noqa: S303


__all__ = [
    "ADMIN_GRAPH_ROLES",
    "BLUEPRINT_GRAPH_ROLES",
    "GRAPH_APP_ID",
    "GRAPH_RESOURCE",
    "LOGIN",
    "OIDC_SCOPES",
    "TOKEN_EXCHANGE_APP_ID",
    "TOKEN_EXCHANGE_AUDIENCE",
    "AadstsError",
    "Application",
    "DeviceCode",
    "EntraEmulator",
    "Grant",
    "GraphError",
    "IssuedRefresh",
    "KeyCredential",
    "PasswordCredential",
    "Resource",
    "ServicePrincipal",
    "Tenant",
    "User",
    "new_id",
    "secret_digest",
]
