"""The agent lifecycle after registration: `agent list|show|rotate|delete`.

Like registration (agentctl.services.register), each operation touches the IdP and agentctl's own
store together, in an order that never leaves a half-made agent behind:

- rotate: new secret or key at the IdP → store it (if storing fails the new credential is
  printed once, since the old one no longer works).
- delete: delete at the IdP → forget locally.

The IdP is reached through the same providers as registration: the embedded IdP in-process,
RFC 7592 for OIDC providers, Microsoft Graph for Entra.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from agentctl.errors import AgentctlError, SecretError, UnsupportedError
from agentctl.output.result import Result
from agentctl.providers.base import Credential
from agentctl.services import agents as store
from agentctl.services.register import (
    ProviderFor,
    delete_at_idp,
    entra_credential,
    entra_provider,
    is_in_process,
    local_provider,
    provider_for,
    registration_of,
)

FEDERATED = "federated_token_file"  # agentctl.providers.entra.credentials.FEDERATED_METHOD

if TYPE_CHECKING:
    from agentctl.config.resolve import Settings
    from agentctl.config.statedb import Claim
    from agentctl.http_types import HttpClient
    from agentctl.providers.base import IdentityProvider


def list_registered(
    settings: Settings, *, limit: int | None = None, after: str | None = None
) -> Result:
    """The profile's agents; with `limit` or `after`, one page and `next_after` (the name the
    next page starts after, or None on the last page)."""
    records = store.list_agents(settings, limit=None if limit is None else limit + 1, after=after)
    more = limit is not None and len(records) > limit
    rows = [r.to_dict() for r in records[:limit]]
    data: dict[str, Any] = {
        "profile": settings.name.value,
        "kind": settings.kind.value,
        "agents": rows,
    }
    if limit is not None or after is not None:
        data["next_after"] = rows[-1]["name"] if more and rows else None
    return Result(command=("agent", "list"), data=data)


def show_agent(settings: Settings, name: str, *, http: HttpClient | None = None) -> Result:
    """The stored record, whether its credential is present, and (in-process) whether the IdP
    still knows it."""
    record = store.find_record(settings, name)
    if record is None:
        raise store.unknown_agent(name, settings.name.value)
    credential: dict[str, Any] = {"type": record.credential_type, "where": record.secret_location}
    try:
        cred, token = store.load_agent_secrets(settings, record.name)
    except SecretError as exc:
        credential.update(present=False, problem=exc.message, hint=exc.hint)
    else:
        credential.update(
            # A federated credential is a token file's path: nothing secret to be present.
            present=bool(cred.secret or cred.private_key_pem or cred.method == FEDERATED),
            method=cred.method,
            key_id=cred.key_id,
            rfc7592_token=token is not None,
        )
    at_idp: bool | None = None
    if http is not None and record.kind == "local" and store.uses_embedded_store(settings):
        from agentctl.providers.local import LocalProvider

        provider = provider_for(settings, http)
        if isinstance(provider, LocalProvider) and provider.in_process:
            at_idp = provider.agent_exists(record.client_id)
    return Result(
        command=("agent", "show"),
        data={"agent": record.to_dict(), "credential": credential, "at_idp": at_idp},
    )


def rotate_agent(
    settings: Settings,
    http: HttpClient,
    name: str,
    *,
    show_secret: bool = False,
    make_provider: ProviderFor = provider_for,
) -> Result:
    """A new secret or key at the IdP, then in the store, with the agent claimed throughout
    (a parallel rotate waits; the IdP and the store never disagree)."""
    record = store.find_record(settings, name)
    if record is None:
        raise store.unknown_agent(name, settings.name.value)
    with store.claim_agent(settings, record.name) as claim:
        record = store.claimed_record(claim)
        if record is None:  # deleted while this command waited
            raise store.unknown_agent(name, settings.name.value)
        return _rotate_claimed(settings, http, record, claim, show_secret, make_provider)


def _rotate_claimed(
    settings: Settings,
    http: HttpClient,
    record: store.AgentRecord,
    claim: Claim,
    show_secret: bool,
    make_provider: ProviderFor,
) -> Result:
    cred, token = store.load_agent_secrets(settings, record.name)
    provider = make_provider(settings, http)
    requests: list[dict[str, Any]] = []
    if record.kind == "entra":
        new_cred, record, requests = _rotate_entra(provider, record, cred)
        new_token = None
    elif is_in_process(provider):
        reg = local_provider(provider).rotate_agent(registration_of(record, cred, token))
        new_cred, new_token = reg.credential(), None
        if reg.public_jwk is not None:
            record = replace(record, extra={**record.extra, "public_jwk": reg.public_jwk})
    else:
        try:
            new_cred, new_token, jwk = _rotate_rfc7592(provider, http, record, cred, token)
        except _NotRotated as exc:
            if exc.registration_access_token and exc.registration_access_token != token:
                store.save_agent(
                    settings,
                    record,
                    cred,
                    registration_access_token=exc.registration_access_token,
                    claim=claim,
                )
            raise
        if jwk is not None:
            record = replace(record, extra={**record.extra, "public_jwk": jwk})
    try:
        record = store.save_agent(
            settings, record, new_cred, registration_access_token=new_token or token, claim=claim
        )
    except AgentctlError as exc:
        exc.hint = (
            f"{exc.hint or ''} The IdP already switched {record.name} to a new credential; "
            "rerun `agentctl agent rotate` once the store works again."
        ).strip()
        raise
    data = {
        "action": "rotated",
        "agent": record.to_dict(),
        "credential": {
            "type": record.credential_type,
            "method": new_cred.method,
            "key_id": new_cred.key_id,
            "stored_in": record.secret_location,
            **({"secret": new_cred.secret} if show_secret and new_cred.secret else {}),
            **(
                {"private_key_pem": new_cred.private_key_pem}
                if show_secret and new_cred.private_key_pem
                else {}
            ),
        },
        "requests": requests,
    }
    return Result(command=("agent", "rotate"), data=data)


def _rotate_entra(
    provider: IdentityProvider, record: store.AgentRecord, cred: Credential
) -> tuple[Credential, store.AgentRecord, list[dict[str, Any]]]:
    entra = entra_provider(provider)
    extra = record.extra
    if cred.method == FEDERATED:
        raise UnsupportedError(
            f"agent {record.name}'s blueprint authenticates with a federated credential: "
            "there is no secret to rotate (the token's issuer rotates the token)",
            hint="change the blueprint's federated identity credential in Entra if its issuer "
            "or subject changed",
        )
    target = str(extra.get("object_id") or "")
    if extra.get("entra_kind") == "agent-identity":
        blueprint = extra.get("blueprint")
        if not isinstance(blueprint, Mapping) or not blueprint.get("object_id"):
            raise UnsupportedError(
                f"agent {record.name} uses a blueprint agentctl did not create",
                hint="rotate the blueprint's credential where it is managed",
            )
        target = str(blueprint["object_id"])
    kind = "certificate" if cred.method == "private_key_jwt" else "secret"
    reg = entra.rotate(target, credential=kind)
    new_cred = entra_credential(reg, cred.client_id)
    record = replace(
        record,
        extra={
            **extra,
            "credential_key_id": reg.credential_key_id,
            "credential_expires": reg.credential_expires,
        },
    )
    return new_cred, record, list(reg.requests)


def _rotate_rfc7592(
    provider: IdentityProvider,
    http: HttpClient,
    record: store.AgentRecord,
    cred: Credential,
    token: str | None,
) -> tuple[Credential, str | None, dict[str, Any] | None]:
    """RFC 7592 §2.2: read the client, PUT it back with a new key (or ask for a new secret)."""
    from agentctl.oauth import registration as reg

    uri = record.extra.get("registration_client_uri")
    if not isinstance(uri, str) or not token:
        raise UnsupportedError(
            f"agent {record.name} has no RFC 7592 management URI and token",
            hint="rotate its credential in the IdP's console, or "
            f"`agentctl register {record.name} --replace`",
        )
    current = reg.read_client(http, uri, token)
    body = {
        k: v
        for k, v in current.metadata.items()
        if k not in ("client_secret_expires_at", "client_id_issued_at", "client_secret")
    }
    body["client_id"] = record.client_id
    jwk: dict[str, Any] | None = None
    key = None
    if cred.method == "private_key_jwt":
        from agentctl.oauth.keys import generate_key_pair

        key = generate_key_pair(cred.alg)
        jwk = key.public_jwk
        body["jwks"] = {"keys": [jwk]}
    updated = reg.update_client(http, uri, token, body)
    new_token = updated.registration_access_token or token
    if key is not None:
        return (
            replace(cred, private_key_pem=key.private_pem, key_id=key.kid),
            new_token,
            jwk,
        )
    if not updated.client_secret or updated.client_secret == cred.secret:
        raise _NotRotated(
            new_token,
            "this IdP kept the same client secret on an RFC 7592 update (it does not rotate "
            "secrets that way)",
            hint=f"`agentctl register {record.name} --replace` makes a new client, or register "
            "with --credential private-key-jwt, whose key agentctl can rotate",
        )
    return replace(cred, secret=updated.client_secret), new_token, None


class _NotRotated(UnsupportedError):
    """The IdP accepted the update but kept the secret; it may have rotated the registration
    access token, which must still be kept."""

    def __init__(self, registration_access_token: str | None, message: str, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.registration_access_token = registration_access_token


def delete_agent(
    settings: Settings,
    http: HttpClient,
    name: str,
    *,
    local_only: bool = False,
    make_provider: ProviderFor = provider_for,
) -> Result:
    """Delete at the IdP, then forget locally. `local_only`: only forget (the IdP keeps it).
    The agent is claimed throughout: a parallel delete waits, then finds nothing."""
    try:
        record = store.find_record(settings, name)
    except store.DamagedAgentError as exc:
        record = store.salvaged_record(settings, exc.row)
    if record is None:
        raise store.unknown_agent(name, settings.name.value)
    with store.claim_agent(settings, record.name) as claim:
        damaged = False
        try:
            record = store.claimed_record(claim)
        except store.DamagedAgentError as exc:
            # The hint for a damaged entry is `agent delete NAME`: it must work on one.
            record, damaged = store.salvaged_record(settings, exc.row), True
        if record is None:
            raise store.unknown_agent(name, settings.name.value)
        if damaged:
            return _delete_damaged(settings, http, record, claim, local_only, make_provider)
        return _delete_claimed(settings, http, record, claim, local_only, make_provider)


def _delete_damaged(
    settings: Settings,
    http: HttpClient,
    record: store.AgentRecord,
    claim: Claim,
    local_only: bool,
    make_provider: ProviderFor,
) -> Result:
    """A damaged entry: delete its client at the IdP when the client id survived and the IdP
    lets agentctl, else say what is left there; forget it here either way."""
    from agentctl.errors import AgentctlError

    removed: list[str] = []
    warnings = [f"agent {record.name}'s stored record was damaged"]
    if not record.client_id:
        warnings.append("its client id is lost: find and delete the client in the IdP")
    elif local_only:
        warnings.append(f"{record.client_id} is still registered at the IdP")
    else:
        try:
            removed = delete_at_idp(settings, make_provider(settings, http), record, old_token=None)
        except AgentctlError as exc:
            warnings.append(f"{record.client_id} was not deleted at the IdP: {exc.message}")
    return _forget(settings, record, claim, removed, warnings)


def _delete_claimed(
    settings: Settings,
    http: HttpClient,
    record: store.AgentRecord,
    claim: Claim,
    local_only: bool,
    make_provider: ProviderFor,
) -> Result:
    removed: list[str] = []
    warnings: list[str] = []
    if local_only:
        warnings.append(f"{record.client_id} is still registered at the IdP")
    else:
        cred: Credential | None
        try:
            cred, token = store.load_agent_secrets(settings, record.name)
        except SecretError:
            cred, token = None, None
        provider = make_provider(settings, http)
        removed = delete_at_idp(settings, provider, record, old_token=token, credential=cred)
    return _forget(settings, record, claim, removed, warnings)


def _forget(
    settings: Settings,
    record: store.AgentRecord,
    claim: Claim,
    removed: list[str],
    warnings: list[str],
) -> Result:
    """Forget the local record (the IdP side is done or said not to be) and report it."""
    store.forget_agent(settings, record.name, claim=claim)
    return Result(
        command=("agent", "delete"),
        data={
            "action": "deleted",
            "agent": record.to_dict(),
            "deleted_at_idp": removed,
            "forgotten": True,
        },
        warnings=warnings,
    )


__all__ = ["delete_agent", "list_registered", "rotate_agent", "show_agent"]
