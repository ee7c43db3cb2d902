"""`agentctl register`: create an agent at the profile's IdP and keep its credential.

Creating touches the IdP and agentctl's own store together, in an order that never leaves a
half-made agent behind: create at the IdP → store the credential and the index entry; if storing
fails, the new client is deleted at the IdP again (and the error says whether that worked).
`--replace`: the new agent is created and stored first, then the old one deleted at the IdP.

The IdP is reached through the provider for the profile's kind: the embedded IdP in-process
(IdpService), RFC 7591/7592 for OIDC providers, Microsoft Graph for Entra. The helpers that reach
it (`provider_for`, `delete_at_idp`, the Entra calls, …) are shared with the rest of the agent
lifecycle (`agent show|rotate|delete`, in agentctl.services.agent_lifecycle).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentctl.errors import (
    AgentctlError,
    ProviderError,
    SecretError,
    UnsupportedError,
    UsageError,
)
from agentctl.output.result import Result
from agentctl.providers.base import AgentSpec, Credential, Registration
from agentctl.services import agents as store

if TYPE_CHECKING:
    from agentctl.config.resolve import Settings
    from agentctl.config.statedb import Claim
    from agentctl.http_types import HttpClient
    from agentctl.providers.base import IdentityProvider

CREDENTIALS = {"client-secret": "client_secret", "private-key-jwt": "private_key_jwt"}
ENTRA_KINDS = ("app", "agent-identity")


@dataclass(frozen=True)
class RegisterRequest:
    name: str
    description: str | None = None
    sponsor: str | None = None
    credential: str = "client-secret"  # client-secret | private-key-jwt
    audiences: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    may_act_for: tuple[str, ...] = ()
    subject_audiences: tuple[str, ...] = ()
    replace: bool = False
    dry_run: bool = False
    show_secret: bool = False
    initial_access_token: str | None = None
    entra_kind: str | None = None  # app | agent-identity (Entra profiles)
    agent_user: str | None = None  # Entra agent user UPN
    blueprint: str | None = None  # Entra: the blueprint (by name) to create the agent under
    sponsor_groups: tuple[str, ...] = ()  # Entra: groups (object ids) as further sponsors
    owners: tuple[str, ...] = ()  # Entra: owners of a new blueprint (UPN or object id)
    # Entra: a federated identity credential on a new blueprint instead of a secret.
    federated_issuer: str | None = None
    federated_subject: str | None = None
    federated_token_file: str | None = None
    inherit: bool = False  # Entra: a new blueprint's Graph scopes are inherited by its agents
    auth_method: str | None = None  # RFC 7591 token_endpoint_auth_method (default per credential)
    redirect_uris: tuple[str, ...] = ()  # RFC 7591 redirect_uris, for servers that demand them
    strict: bool = False  # a registration the IdP answered unusable is an error (and undone)

    @property
    def federated(self) -> bool:
        return bool(self.federated_issuer or self.federated_subject or self.federated_token_file)


ProviderFor = Callable[["Settings", "HttpClient"], "IdentityProvider"]


def provider_for(settings: Settings, http: HttpClient) -> IdentityProvider:
    from agentctl.providers import get_provider, provider_settings

    return get_provider(settings.kind.value, provider_settings(settings), http)


# -- register ---------------------------------------------------------------------------------


def _validate(settings: Settings, req: RegisterRequest) -> None:
    from agentctl.config.profiles import validate_name

    try:
        validate_name(req.name)
    except AgentctlError:
        raise UsageError(
            f"invalid agent name {req.name!r}",
            hint="use letters, digits, '-', '_' or '.' (up to 64, not starting with - or .)",
        ) from None
    if req.credential not in CREDENTIALS:
        raise UsageError(
            f"unknown credential type {req.credential!r}",
            hint="use client-secret or private-key-jwt",
        )
    kind = settings.kind.value
    if kind == "entra":
        if (req.entra_kind or "app") not in ENTRA_KINDS:
            raise UsageError(f"unknown --kind {req.entra_kind!r}", hint="use app or agent-identity")
        if req.agent_user and req.entra_kind != "agent-identity":
            raise UsageError("--agent-user needs --kind agent-identity")
        if (req.sponsor_groups or req.owners) and req.entra_kind != "agent-identity":
            raise UsageError("--sponsor-group and --owner need --kind agent-identity")
        if (req.federated or req.inherit) and req.entra_kind != "agent-identity":
            raise UsageError("--federated-* and --inherit need --kind agent-identity")
    elif req.entra_kind or req.agent_user:
        raise UsageError(
            "--kind and --agent-user are for Entra profiles",
            hint=f"profile {settings.name.value} is of kind {kind}",
        )
    elif req.sponsor_groups or req.owners or req.federated or req.inherit:
        raise UsageError(
            "--sponsor-group, --owner, --federated-* and --inherit are for Entra agent identities",
            hint=f"profile {settings.name.value} is of kind {kind}",
        )
    if req.initial_access_token and kind not in ("oidc", "local"):
        raise UsageError("an initial access token is for RFC 7591 registration (oidc profiles)")
    _validate_rfc7591_options(settings, req)


AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt")


def _validate_rfc7591_options(settings: Settings, req: RegisterRequest) -> None:
    kind = settings.kind.value
    if req.auth_method is not None:
        if req.auth_method not in AUTH_METHODS:
            raise UsageError(
                f"unknown --auth-method {req.auth_method!r}",
                hint=f"use one of {', '.join(AUTH_METHODS)}",
            )
        if req.credential == "private-key-jwt" and req.auth_method != "private_key_jwt":
            raise UsageError(
                f"--credential private-key-jwt authenticates with private_key_jwt, not "
                f"{req.auth_method}",
                hint="drop one of the two options",
            )
        if kind == "entra":
            raise UsageError(
                "--auth-method is for RFC 7591 registration; Entra agents authenticate with "
                "their secret or certificate",
                hint="use --credential client-secret|private-key-jwt",
            )
        if (
            kind == "local"
            and not settings.issuer.value
            and req.auth_method == "client_secret_post"
        ):
            raise UsageError(
                "the in-process embedded IdP registers secret agents with client_secret_basic",
                hint="drop --auth-method, or use a profile with a served IdP's URL "
                "(`agentctl idp serve`)",
            )
    for uri in req.redirect_uris:
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(uri)
        except ValueError:  # e.g. an unclosed IPv6 bracket
            parts = None
        if (
            parts is None
            or not parts.scheme
            or (parts.scheme in ("http", "https") and not parts.netloc)
        ):
            raise UsageError(
                f"--redirect-uri {uri!r} is not an absolute URI",
                hint="e.g. --redirect-uri https://agent.example.com/callback",
            )
    if req.redirect_uris and kind == "entra":
        raise UsageError("--redirect-uri is for RFC 7591 registration (oidc profiles)")


def _spec(req: RegisterRequest) -> AgentSpec:
    key = req.credential == "private-key-jwt" or req.auth_method == "private_key_jwt"
    return AgentSpec(
        name=req.name,
        description=req.description,
        sponsor=req.sponsor,
        credential="private_key_jwt" if key else "client_secret",
        auth_method=req.auth_method,
        redirect_uris=req.redirect_uris,
        audiences=req.audiences,
        scopes=req.scopes,
        may_act_for=req.may_act_for,
        subject_audiences=req.subject_audiences,
    )


def register_agent(
    settings: Settings,
    http: HttpClient,
    req: RegisterRequest,
    *,
    make_provider: ProviderFor = provider_for,
    progress: Callable[[str], None] | None = None,
    replace_if: Callable[[store.AgentRecord], bool] | None = None,
) -> Result:
    """Create the agent at the IdP and keep its credential (see the module docstring).
    `progress` receives a line per step of a multi-step registration (Entra).
    `replace_if(existing)`: replace an existing agent when it says so (demo: when the IdP no
    longer knows it), decided while the agent is claimed."""
    _validate(settings, req)
    existing = store.find_record(settings, req.name)
    if existing is not None and not req.replace and replace_if is None:
        return _exists(existing, req)
    if req.dry_run:
        provider = make_provider(settings, http)
        return _dry_run(settings, provider, req, existing)
    # Claimed from before the IdP call until the record is stored: a parallel register of the
    # same name waits here, then finds the agent this one made.
    with store.claim_agent(settings, req.name) as claim:
        existing = store.claimed_record(claim)
        if existing is not None and not (req.replace or (replace_if and replace_if(existing))):
            return _exists(existing, req)
        return _register_claimed(
            settings, http, req, existing, claim, make_provider=make_provider, progress=progress
        )


def _exists(existing: store.AgentRecord, req: RegisterRequest) -> Result:
    return Result(
        command=("register",),
        data=_data("exists", existing, None, None, req),
        warnings=[],
    )


def _register_claimed(
    settings: Settings,
    http: HttpClient,
    req: RegisterRequest,
    existing: store.AgentRecord | None,
    claim: Claim,
    *,
    make_provider: ProviderFor,
    progress: Callable[[str], None] | None,
) -> Result:
    provider = make_provider(settings, http)
    registrar = getattr(provider, "registrar", None)
    if progress is not None and registrar is not None and hasattr(registrar, "progress"):
        registrar.progress = progress
    old_token: str | None = None
    if existing is not None:
        # Read before the new agent's entry (same name) overwrites it.
        try:
            old_token = store.load_agent_secrets(settings, existing.name)[1]
        except SecretError:
            old_token = None
    read_back: list[str] = []  # what the IdP's answer (and getting it) showed
    if settings.kind.value == "entra":
        record, credential, reg_data = _register_entra(settings, provider, req)
        token = None

        def rollback() -> None:
            _delete_entra(provider, record, credential)

    else:
        spec = _spec(req)
        registration = provider.register_agent(spec, initial_access_token=req.initial_access_token)
        record = _record_from(settings, provider, spec, registration)
        credential = registration.credential()
        token = registration.registration_access_token
        reg_data = registration.to_dict()

        def rollback() -> None:
            provider.delete_agent(registration)

        said = list(getattr(provider, "observations", ()))
        problems = [] if is_in_process(provider) else _readback(spec, registration)
        reg_data["readback"] = {"ok": not problems, "problems": problems}
        if problems and req.strict:
            raise _rolled_back(_unusable(record, problems), record, rollback)
        read_back = [*said, *problems]
    try:
        record = store.save_agent(
            settings, record, credential, registration_access_token=token, claim=claim
        )
    except AgentctlError as exc:
        raise _rolled_back(exc, record, rollback) from None
    except BaseException:
        # Ctrl-C or an unexpected error between the IdP and the store: the IdP client must not
        # outlive its missing record either.
        with contextlib.suppress(Exception):
            rollback()
        raise
    warnings = [*_unsent(settings, req), *read_back]
    pending = _entra_consent_pending(reg_data) if settings.kind.value == "entra" else None
    if pending:
        warnings.append(pending)
    if existing is not None:
        warnings += _retire(settings, http, existing, old_token, make_provider)
    data = _data("replaced" if existing else "created", record, reg_data, credential, req)
    if pending:
        from agentctl.exit_codes import ExitCode

        # Created and stored, but not usable for OBO/agent-user until an admin consents:
        # non-zero (status "partial") so a script does not go on as if it were.
        return Result(command=("register",), data=data, warnings=warnings, exit_code=ExitCode.IDP)
    return Result(command=("register",), data=data, warnings=warnings)


def _readback(spec: AgentSpec, registration: Registration) -> list[str]:
    """What the IdP's answer says the agent cannot do (RFC 7591 §3.2.1: it may differ from the
    request): get tokens by client credentials, or authenticate as asked."""
    from agentctl.oauth.client import GRANT_CLIENT_CREDENTIALS
    from agentctl.oauth.registration import readback_problems

    return readback_problems(
        registration.metadata, grant=GRANT_CLIENT_CREDENTIALS, auth_method=spec.method
    )


def _unusable(record: store.AgentRecord, problems: list[str]) -> UnsupportedError:
    return UnsupportedError(
        f"the IdP registered {record.name} ({record.client_id}) in a form an agent cannot use: "
        + "; ".join(problems)
        + " (--strict)",
        hint="allow client credentials (and the auth method) for dynamically registered "
        "clients in the IdP, or drop --strict to keep such a client",
    )


def _unsent(settings: Settings, req: RegisterRequest) -> list[str]:
    """Options a provider has no place for: said, not silently dropped."""
    kind = settings.kind.value
    out: list[str] = []
    if kind == "local" and req.redirect_uris:
        out.append(
            "--redirect-uri was not sent: the embedded IdP needs none for an agent "
            "(client credentials and token exchange have no redirect)"
        )
    if kind not in ("local",):
        if req.may_act_for:
            out.append(
                "--may-act-for was not sent: this IdP has no registration field for it; grant "
                "delegation in the IdP (or carry it as `may_act` in the user's token)"
            )
        if req.subject_audiences:
            out.append(
                "--subject-audience was not sent: only the embedded IdP records it; configure "
                "token exchange permissions in the IdP"
            )
        if req.audiences:
            out.append(
                "--audience was not sent: RFC 7591 has no field for allowed audiences; "
                "configure them in the IdP"
                if kind != "entra"
                else "--audience was not sent: Entra targets resources by scope "
                "(<resource>/.default)"
            )
    if kind == "entra" and req.scopes:
        out.append("--scope was not sent: grant Entra permissions by admin consent")
    return out


def _rolled_back(exc: AgentctlError, record: store.AgentRecord, undo: Callable[[], None]) -> Any:
    """The store refused: take the new client away at the IdP so nothing is half-made."""
    try:
        undo()
    except AgentctlError as undo_exc:
        exc.hint = (
            f"{exc.hint or ''} The client {record.client_id} was created at the IdP and could "
            f"not be removed again ({undo_exc.message}); delete it there."
        ).strip()
    else:
        exc.message = (
            f"{exc.message} (the new client {record.client_id} was removed from the IdP again; "
            "nothing was kept)"
        )
    exc.args = (exc.message,)
    return exc


def _retire(
    settings: Settings,
    http: HttpClient,
    old: store.AgentRecord,
    old_token: str | None,
    make_provider: ProviderFor,
) -> list[str]:
    """After --replace stored the new agent, delete the old one at the IdP (best effort)."""
    try:
        provider = make_provider(settings, http)
        delete_at_idp(settings, provider, old, old_token=old_token)
    except AgentctlError as exc:
        return [f"the previous {old.name} ({old.client_id}) is still at the IdP: {exc.message}"]
    return []


def _record_from(
    settings: Settings,
    provider: IdentityProvider,
    spec: AgentSpec,
    registration: Registration,
) -> store.AgentRecord:
    md = registration.metadata
    extra: dict[str, Any] = {
        "token_endpoint": registration.token_endpoint,
        "auth_method": registration.auth_method,
        "key_id": registration.key_id,
        "registration_client_uri": registration.registration_client_uri,
        "scopes": list(spec.scopes) or str(md.get("scope") or "").split(),
        "audiences": list(spec.audiences),
        "may_act_for": list(spec.may_act_for),
        "subject_audiences": list(spec.subject_audiences),
        "client_secret_expires_at": registration.client_secret_expires_at,
    }
    if registration.public_jwk is not None:
        extra["public_jwk"] = registration.public_jwk
    if isinstance(md.get("registered_at"), list):
        extra["registered_at"] = md["registered_at"]
    resource_issuer = getattr(provider, "resource_issuer", None)
    if callable(resource_issuer) and (
        getattr(provider, "in_process", False) or len(extra.get("registered_at", [])) > 1
    ):
        extra["resource_issuer"] = resource_issuer()
    return store.AgentRecord(
        name=spec.name,
        client_id=registration.client_id,
        profile=settings.name.value,
        kind=settings.kind.value,
        issuer=registration.issuer,
        credential_type=spec.credential,
        description=spec.description or "",
        sponsor=spec.sponsor,
        extra={k: v for k, v in extra.items() if v not in (None, [], "")},
    )


def _data(
    action: str,
    record: store.AgentRecord | None,
    registration: Mapping[str, Any] | None,
    credential: Credential | None,
    req: RegisterRequest,
    *,
    requests: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    cred: dict[str, Any] | None = None
    if record is not None:
        cred = {
            "type": record.credential_type,
            "method": credential.method if credential else record.extra.get("auth_method"),
            "key_id": credential.key_id if credential else record.extra.get("key_id"),
            "stored_in": record.secret_location,
        }
        if req.show_secret and credential is not None:
            if credential.secret:
                cred["secret"] = credential.secret
            if credential.private_key_pem:
                cred["private_key_pem"] = credential.private_key_pem
    return {
        "action": action,
        "dry_run": action == "dry_run",
        "agent": record.to_dict() if record else None,
        "registration": dict(registration) if registration is not None else None,
        "credential": cred,
        "requests": requests or [],
    }


# -- dry run ----------------------------------------------------------------------------------


def _dry_run(
    settings: Settings,
    provider: IdentityProvider,
    req: RegisterRequest,
    existing: store.AgentRecord | None,
) -> Result:
    from agentctl.oauth.dryrun import DryRunStop

    requests: list[dict[str, Any]] = []
    notes: list[str] = []
    if settings.kind.value == "entra":
        reg = _entra_register_call(provider, req, dry_run=True, settings=settings)
        requests = list(reg.requests)
    elif is_in_process(provider):
        local = local_provider(provider)
        spec = _spec(req)
        jwk = (
            {"kty": "<generated locally>", "kid": "<thumbprint>"}
            if req.credential != ("client-secret")
            else None
        )
        requests = [
            {
                "kind": "in-process",
                "method": "POST",
                "url": str(local.metadata().get("registration_endpoint")),
                "headers": {"Content-Type": "application/json"},
                "body": local.registration_body(spec, jwk),
            }
        ]
        notes.append(
            "the embedded IdP runs in-process: agentctl creates the agent directly in its "
            "database (the same agent this RFC 7591 request would create), at "
            + " and ".join(["enterprise", "mcp-as"])
        )
    else:
        try:
            provider.register_agent(_spec(req), initial_access_token=req.initial_access_token)
        except DryRunStop as stop:
            requests = [stop.event.to_dict()]
        else:  # pragma: no cover - a provider that registers without a request
            raise ProviderError("dry run: the provider registered without sending a request")
        if not req.redirect_uris:
            from agentctl.providers.oidc import DEFAULT_REDIRECT_URI

            notes.append(
                "if the IdP refuses a client without redirect URIs, agentctl asks once more "
                f"with redirect_uris [{DEFAULT_REDIRECT_URI}] (never used; --redirect-uri "
                "chooses)"
            )
    if existing is not None:
        notes.append(
            f"--replace: afterwards the current {existing.name} ({existing.client_id}) "
            "would be deleted at the IdP"
        )
    data = _data("dry_run", None, None, None, req, requests=requests)
    data["notes"] = notes
    data["agent"] = {"name": req.name, "profile": settings.name.value, "kind": settings.kind.value}
    return Result(command=("register",), data=data)


def is_in_process(provider: IdentityProvider) -> bool:
    return getattr(provider, "in_process", False) is True


def local_provider(provider: IdentityProvider) -> Any:
    from agentctl.providers.local import LocalProvider

    if not isinstance(provider, LocalProvider):
        raise UsageError("this profile is not an embedded-IdP profile")
    return provider


# -- Entra --------------------------------------------------------------------------------------


def entra_provider(provider: IdentityProvider) -> Any:
    from agentctl.providers.entra import EntraProvider

    if not isinstance(provider, EntraProvider):
        raise UsageError("this profile is not an Entra profile")
    return provider


def _entra_register_call(
    provider: IdentityProvider,
    req: RegisterRequest,
    *,
    dry_run: bool,
    settings: Settings | None = None,
) -> Any:
    entra = entra_provider(provider)
    kind = req.entra_kind or "app"
    options: dict[str, Any] = {
        "credential": "certificate" if req.credential == "private-key-jwt" else "secret",
        "dry_run": dry_run,
    }
    if kind == "agent-identity":
        options["sponsors"] = [req.sponsor] if req.sponsor else []
        if req.sponsor_groups:
            options["sponsor_groups"] = list(req.sponsor_groups)
        if req.owners:
            options["owners"] = list(req.owners)
        if req.inherit:
            options["inherit"] = True
        if req.federated:
            from pathlib import Path

            token_file = req.federated_token_file
            options["federated"] = {
                "issuer": req.federated_issuer or "",
                "subject": req.federated_subject or "",
                # Absolute: later commands may run from another directory.
                "token_file": str(Path(token_file).expanduser().absolute()) if token_file else "",
            }
        if req.agent_user:
            options["agent_user_upn"] = req.agent_user
        if settings is not None:
            from agentctl.services.entra_lifecycle import blueprint_options

            options.update(blueprint_options(settings, req.blueprint))
    return entra.register(kind, req.name, **options)


def entra_credential(reg: Any, client_id: str) -> Credential:
    from agentctl.providers.entra import pem_bundle

    cred = reg.credential
    if cred is None:
        raise ProviderError("Entra returned no credential for the new registration")
    if cred.secret:
        return Credential(client_id, "client_secret_post", secret=cred.secret)
    if cred.federated_token_file:
        from agentctl.providers.entra.credentials import FEDERATED_METHOD

        # No secret to keep: the token file's path, read at each use.
        return Credential(client_id, FEDERATED_METHOD, key_id=cred.federated_token_file)
    thumb = cred.thumbprints()[0] if cred.certificate_pem else None
    return Credential(client_id, "private_key_jwt", private_key_pem=pem_bundle(cred), key_id=thumb)


def _register_entra(
    settings: Settings, provider: IdentityProvider, req: RegisterRequest
) -> tuple[store.AgentRecord, Credential, dict[str, Any]]:
    reg = _entra_register_call(provider, req, dry_run=False, settings=settings)
    kind = reg.kind
    owner = reg.credential_owner or reg.client_id
    if reg.credential is None and kind == "agent-identity" and reg.blueprint:
        # A reused blueprint gets no new credential: this agent keeps the blueprint's, which
        # its sibling's entry already holds (EntraRegistrar reads it from there).
        from types import SimpleNamespace

        owner = str(reg.blueprint.get("app_id") or owner)
        shared = entra_provider(provider).registrar.settings.blueprint_credential
        credential = entra_credential(SimpleNamespace(credential=shared), owner)
    else:
        credential = entra_credential(reg, owner)
    if kind == "agent-identity":
        ctype = "entra-agent-identity"
    else:
        ctype = "certificate" if credential.method == "private_key_jwt" else "client_secret"
    entra = entra_provider(provider)
    record = store.AgentRecord(
        name=req.name,
        client_id=reg.client_id,
        profile=settings.name.value,
        kind="entra",
        issuer=f"{entra.settings.login_base}/{entra.settings.tenant}/v2.0",
        credential_type=ctype,
        description=req.description or "",
        sponsor=req.sponsor,
        extra={
            k: v
            for k, v in {
                "entra_kind": kind,
                "tenant": reg.tenant,
                "object_id": reg.object_id,
                "service_principal_id": reg.service_principal_id,
                "blueprint": reg.blueprint,
                "agent_user": reg.agent_user,
                "credential_owner": owner,
                "credential_key_id": reg.credential_key_id,
                "credential_expires": reg.credential_expires,
                "token_endpoint": entra.settings.token_endpoint(),
            }.items()
            if v is not None
        },
    )
    return record, credential, reg.to_dict()


def _delete_entra(
    provider: IdentityProvider, record: store.AgentRecord, credential: Credential | None = None
) -> list[str]:
    """Everything agentctl created for this agent (agentctl.services.entra_lifecycle)."""
    from agentctl.services.entra_lifecycle import delete_entra

    return delete_entra(provider, record, credential)


def _entra_consent_pending(reg_data: Mapping[str, Any] | None) -> str | None:
    consent = (reg_data or {}).get("consent")
    if not isinstance(consent, Mapping) or consent.get("status") != "pending":
        return None
    missing = ", ".join(consent.get("missing") or []) or "a grant permission"
    return (
        f"consent is pending: the admin app lacks {missing}. An admin can approve at "
        f"{consent.get('admin_consent_url')} , or grant the admin app that permission and run "
        "`agentctl agent grant NAME`"
    )


# -- at the IdP (shared with agent_lifecycle) -------------------------------------------------


def registration_of(record: store.AgentRecord, cred: Credential, token: str | None) -> Registration:
    """The Registration a provider's rotate/delete expects, rebuilt from the stored record."""
    extra = record.extra
    jwk = extra.get("public_jwk")
    return Registration(
        client_id=record.client_id,
        auth_method=cred.method,
        issuer=record.issuer,
        token_endpoint=extra.get("token_endpoint")
        if isinstance(extra.get("token_endpoint"), str)
        else None,
        created=True,
        client_secret=cred.secret,
        private_key_pem=cred.private_key_pem,
        key_id=cred.key_id,
        public_jwk=dict(jwk) if isinstance(jwk, Mapping) else None,
        registration_access_token=token,
        registration_client_uri=extra.get("registration_client_uri")
        if isinstance(extra.get("registration_client_uri"), str)
        else None,
    )


def delete_at_idp(
    settings: Settings,
    provider: IdentityProvider,
    record: store.AgentRecord,
    *,
    old_token: str | None,
    credential: Credential | None = None,
) -> list[str]:
    """Delete the agent at its IdP (`agent delete`, and `register --replace` for the old one);
    says what was removed."""
    if record.kind == "entra":
        from agentctl.services.entra_lifecycle import blueprint_shared, delete_entra

        return delete_entra(provider, record, credential, shared=blueprint_shared(settings, record))
    from agentctl.errors import OAuthError, ProviderError
    from agentctl.providers.local import LocalProvider

    if isinstance(provider, LocalProvider) and provider.in_process:
        provider.delete_agent(registration_of(record, Credential(record.client_id), None))
        return [f"client {record.client_id} at the embedded IdP"]
    registration = registration_of(record, Credential(record.client_id), old_token)
    if not registration.registration_client_uri or not old_token:
        raise UnsupportedError(
            f"agent {record.name} has no RFC 7592 management URI and token, so agentctl cannot "
            "delete it at the IdP",
            hint=f"delete client {record.client_id} in the IdP's console, then "
            f"`agentctl agent delete {record.name} --local-only`",
        )
    try:
        provider.delete_agent(registration)
    except (OAuthError, ProviderError) as exc:
        if exc.details.get("status") == 404 or "404" in exc.message:
            return [f"client {record.client_id} (already gone at the IdP)"]
        raise
    return [f"client {record.client_id} at {record.issuer}"]


__all__ = [
    "CREDENTIALS",
    "ENTRA_KINDS",
    "ProviderFor",
    "RegisterRequest",
    "delete_at_idp",
    "entra_credential",
    "entra_provider",
    "is_in_process",
    "local_provider",
    "provider_for",
    "register_agent",
    "registration_of",
]
