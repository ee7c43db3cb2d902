"""Entra agent lifecycle steps shared by `register`, `agent delete` and `agent grant`.

- delete: agent user, agent identity, then (unless other local agents share it) the blueprint.
  The agent user and agent identity are deleted as their blueprint when its credential is at
  hand (documented for both: Graph agentuser-delete, agentidentity-delete), else by the admin
  app (AgentIdentity.DeleteRestore.All). Objects already gone (404) count as deleted, so running
  it again finishes a partial delete. Deletes are soft (30 days); a deleted blueprint's agent
  identities follow only after ~24 h, and its agent users are not deleted.
- grant: the consent a registered agent identity needs (see EntraRegistrar.grant).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from agentctl.errors import AgentctlError, ProviderError, UsageError
from agentctl.output.result import Result

if TYPE_CHECKING:
    from agentctl.config.resolve import Settings
    from agentctl.http_types import HttpClient
    from agentctl.providers.base import Credential, IdentityProvider
    from agentctl.services.agents import AgentRecord


class PartialDeleteError(ProviderError):
    """Some of an agent's Entra objects were deleted, not all; `done` says which."""

    def __init__(self, message: str, *, done: list[str], **kw: Any) -> None:
        super().__init__(message, **kw)
        self.done = done


def _entra(provider: IdentityProvider) -> Any:
    from agentctl.providers.entra import EntraProvider

    if not isinstance(provider, EntraProvider):
        raise UsageError("this profile is not an Entra profile")
    return provider


def _usable(cred: Credential | None) -> bool:
    """A blueprint credential agentctl can sign in with: a secret, a key, or a federated
    token file."""
    from agentctl.providers.entra.credentials import FEDERATED_METHOD

    return cred is not None and bool(
        cred.secret or cred.private_key_pem or (cred.method == FEDERATED_METHOD and cred.key_id)
    )


def _gone_ok(call: Callable[[], Any]) -> None:
    try:
        call()
    except ProviderError as exc:
        if exc.details.get("status") != 404:
            raise


def blueprint_shared(settings: Settings, record: AgentRecord) -> bool:
    """Another locally registered agent uses this agent's blueprint."""
    from agentctl.services import agents as store

    mine = record.extra.get("blueprint")
    if not isinstance(mine, Mapping) or not mine.get("object_id"):
        return False
    for other in store.list_agents(settings):
        theirs = other.extra.get("blueprint")
        if (
            other.name != record.name
            and isinstance(theirs, Mapping)
            and theirs.get("object_id") == mine.get("object_id")
        ):
            return True
    return False


def delete_entra(
    provider: IdentityProvider,
    record: AgentRecord,
    credential: Credential | None = None,
    *,
    shared: bool = False,
) -> list[str]:
    """Delete what agentctl created for `record` (see the module docstring); returns what was
    removed. If the agent identity cannot be deleted, raises PartialDeleteError naming what
    already was; a blueprint that cannot be deleted is reported in the list, not raised (the
    agent itself is gone)."""
    from agentctl.providers.entra import credential_from

    entra = _entra(provider)
    extra = record.extra
    object_id = str(extra.get("object_id") or "")
    if extra.get("entra_kind") != "agent-identity":
        _gone_ok(lambda: entra.delete(object_id, kind="app"))
        return [f"application {object_id}"]
    bp = extra.get("blueprint")
    blueprint: Mapping[str, Any] = bp if isinstance(bp, Mapping) else {}
    as_bp = None
    if credential is not None and _usable(credential):
        as_bp = (str(blueprint.get("app_id") or credential.client_id), credential_from(credential))
    done: list[str] = []
    try:
        user = extra.get("agent_user")
        if isinstance(user, Mapping) and user.get("id"):
            _gone_ok(lambda: entra.delete(str(user["id"]), kind="agent-user", blueprint=as_bp))
            done.append(f"agent user {user.get('upn') or user['id']}")
        _gone_ok(lambda: entra.delete(object_id, kind="agent-identity", blueprint=as_bp))
    except AgentctlError as exc:
        raise PartialDeleteError(
            f"{exc.message}"
            + (f" (already deleted: {', '.join(done)})" if done else " (nothing was deleted)"),
            done=done,
            hint="grant the admin app AgentIdentity.DeleteRestore.All (or keep the blueprint's "
            "credential in the store), then run `agentctl agent delete` again; "
            "`--local-only` only forgets it here",
            details=dict(exc.details),
        ) from None
    done.append(
        f"agent identity {object_id} (soft-deleted: `agentctl agent restore {object_id}` within "
        "30 days brings it back)"
    )
    if blueprint.get("object_id") and shared:
        done.append(f"kept blueprint {blueprint['object_id']}: other agents use it")
    elif blueprint.get("object_id"):
        try:
            _gone_ok(lambda: entra.delete(str(blueprint["object_id"]), kind="blueprint"))
        except ProviderError as exc:
            done.append(f"NOT blueprint {blueprint['object_id']}: {exc.message}")
        else:
            done.append(
                f"blueprint {blueprint['object_id']} (soft-deleted; it counts against the "
                "250-blueprint quota until purged, and its agent users stay)"
            )
    return done


DEFAULT_BLUEPRINT = "agentctl-{profile}"


def blueprint_options(settings: Settings, name: str | None) -> dict[str, Any]:
    """One blueprint for many agents: `name` (default `agentctl-<profile>`) is reused when a
    locally registered agent identity already lives under a blueprint of that name (or is
    itself called `name`), with the blueprint credential stored for it; otherwise a blueprint
    of that name is created. Each blueprint holds up to 250 agent identities, a tenant up to
    250 blueprints (soft-deleted ones included), so one per agent runs out fast."""
    from agentctl.providers.entra import credential_from
    from agentctl.services import agents as store

    wanted = name or DEFAULT_BLUEPRINT.format(profile=settings.name.value)
    for record in store.list_agents(settings):
        bp = record.extra.get("blueprint")
        if record.extra.get("entra_kind") != "agent-identity" or not isinstance(bp, Mapping):
            continue
        if wanted not in (bp.get("display_name"), record.name) or not bp.get("app_id"):
            continue
        try:
            cred, _ = store.load_agent_secrets(settings, record.name)
        except AgentctlError:
            continue
        return {
            "blueprint": {k: str(v) for k, v in bp.items() if isinstance(v, str)},
            "blueprint_credential": credential_from(cred),
        }
    return {"blueprint_name": wanted}


def grant_agent(settings: Settings, http: HttpClient, name: str) -> Result:
    """`agentctl agent grant NAME`: (re)make the consent an Entra agent identity needs. Safe to
    run again: existing grants are kept, not duplicated."""
    from agentctl.exit_codes import ExitCode
    from agentctl.providers.entra.models import EntraRegistration
    from agentctl.services import agents as store
    from agentctl.services.register import provider_for

    if settings.kind.value != "entra":
        raise UsageError(
            "`agent grant` is for Entra agent identities",
            hint=f"profile {settings.name.value} is of kind {settings.kind.value}",
        )
    record = store.find_record(settings, name)
    if record is None:
        raise store.unknown_agent(name, settings.name.value)
    extra = record.extra
    if extra.get("entra_kind") != "agent-identity":
        raise UsageError(
            f"{name} is an ordinary app: grant its permissions by admin consent in Entra",
            hint="`agent grant` makes the grants of an agent identity (--kind agent-identity)",
        )
    entra = _entra(provider_for(settings, http))
    bp = extra.get("blueprint")
    user = extra.get("agent_user")
    reg = EntraRegistration(
        kind="agent-identity",
        tenant=str(extra.get("tenant") or entra.settings.tenant),
        display_name=record.name,
        client_id=record.client_id,
        object_id=str(extra.get("object_id") or record.client_id),
        service_principal_id=str(extra.get("object_id") or record.client_id),
        blueprint=dict(bp) if isinstance(bp, Mapping) else None,
        agent_user=dict(user) if isinstance(user, Mapping) else None,
    )
    scopes = tuple(extra.get("grant_scopes") or ("User.Read",))
    roles = tuple(extra.get("grant_roles") or ())
    consent = entra.registrar.grant(reg, scopes=scopes, roles=roles)
    data = {"agent": record.to_dict(), "consent": consent}
    if consent.get("status") == "pending":
        warning = (
            f"consent is pending: the admin app lacks {', '.join(consent.get('missing') or [])}."
            f" An admin can approve at {consent['admin_consent_url']}"
        )
        return Result(
            command=("agent", "grant"), data=data, warnings=[warning], exit_code=ExitCode.IDP
        )
    return Result(command=("agent", "grant"), data=data)


def _agent_identity_record(settings: Settings, name: str, verb: str) -> AgentRecord:
    from agentctl.services import agents as store

    if settings.kind.value != "entra":
        raise UsageError(
            f"`agent {verb}` is for Entra agent identities",
            hint=f"profile {settings.name.value} is of kind {settings.kind.value}",
        )
    record = store.find_record(settings, name)
    if record is None:
        raise store.unknown_agent(name, settings.name.value)
    if record.extra.get("entra_kind") != "agent-identity":
        raise UsageError(
            f"{name} is an ordinary app, not an agent identity",
            hint=f"`agent {verb}` works on agents registered with --kind agent-identity",
        )
    return record


def set_agent_enabled(settings: Settings, http: HttpClient, name: str, *, enabled: bool) -> Result:
    """`agentctl agent disable|enable NAME`: flip the agent identity's accountEnabled in Entra
    (agentidentity-update). Done as its blueprint when the blueprint's credential is stored (no
    admin permission needed: AgentIdentity.CreateAsManager), else as the admin app
    (AgentIdentity.EnableDisable.All). A disabled agent gets no tokens (AADSTS7000112); its
    grants, credential and record stay, so `enable` undoes it."""
    from dataclasses import replace

    from agentctl.providers.entra import credential_from
    from agentctl.services import agents as store
    from agentctl.services.register import provider_for

    verb = "enable" if enabled else "disable"
    record = _agent_identity_record(settings, name, verb)
    entra = _entra(provider_for(settings, http))
    with store.claim_agent(settings, record.name) as claim:
        claimed = store.claimed_record(claim)
        if claimed is None:  # deleted while this command waited
            raise store.unknown_agent(name, settings.name.value)
        record = claimed
        try:
            cred: Credential | None = store.load_agent_secrets(settings, record.name)[0]
        except AgentctlError:
            cred = None  # the admin app can still do it
        bp = record.extra.get("blueprint")
        bp_app = str(bp.get("app_id") or "") if isinstance(bp, Mapping) else ""
        as_bp = None
        if cred is not None and _usable(cred):
            as_bp = (bp_app or cred.client_id, credential_from(cred))
        object_id = str(record.extra.get("object_id") or record.client_id)
        requests = entra.set_enabled(object_id, enabled, blueprint=as_bp)
        if cred is not None:
            record = replace(record, extra={**record.extra, "enabled": enabled})
            record = store.save_agent(settings, record, cred, claim=claim)
    return Result(
        command=("agent", verb),
        data={"action": f"{verb}d", "agent": record.to_dict(), "graph_calls": requests},
    )


def restore_agent(settings: Settings, http: HttpClient, object_id: str) -> Result:
    """`agentctl agent restore OBJECT_ID`: bring a soft-deleted agent identity back from Entra's
    recycle bin (30 days; directory-deleteditems-restore) as the admin app
    (AgentIdentity.DeleteRestore.All). `agent delete` printed the id. agentctl knows the agent
    again when another local agent holds its blueprint's credential; otherwise the agent is
    restored in Entra only, and a warning says why agentctl cannot use it."""
    import re

    from agentctl.services import agents as store
    from agentctl.services.register import provider_for

    if settings.kind.value != "entra":
        raise UsageError(
            "`agent restore` is for Entra agent identities",
            hint=f"profile {settings.name.value} is of kind {settings.kind.value}",
        )
    if not re.fullmatch(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}", object_id):
        raise UsageError(
            f"{object_id!r} is not an object id",
            hint="pass the agent identity's object id (a GUID) that `agent delete` printed",
        )
    entra = _entra(provider_for(settings, http))
    restored, requests = entra.restore(object_id)
    name = str(restored.get("displayName") or object_id)
    blueprint_app = str(restored.get("agentIdentityBlueprintId") or "")
    client_id = str(restored.get("appId") or restored.get("id") or object_id)
    warnings: list[str] = []
    sibling = next(
        (
            r
            for r in store.list_agents(settings)
            if isinstance(r.extra.get("blueprint"), Mapping)
            and str(r.extra["blueprint"].get("app_id") or "").lower() == blueprint_app.lower()
            and blueprint_app
        ),
        None,
    )
    record = store.find_record(settings, name)
    if record is not None and record.extra.get("object_id") == object_id:
        pass  # agentctl still knew it (deleted outside agentctl): nothing to add
    elif record is not None:
        record = None
        warnings.append(
            f"restored in Entra, but agentctl already has an agent named {name}; this one is "
            "not added"
        )
    elif sibling is None:
        warnings.append(
            f"restored in Entra, but no local agent holds the credential of its blueprint "
            f"{blueprint_app or '(unknown)'}, so agentctl cannot get tokens for it"
        )
    else:
        cred, _ = store.load_agent_secrets(settings, sibling.name)
        extra = {
            k: v
            for k, v in sibling.extra.items()
            if k in ("entra_kind", "blueprint", "tenant", "grant_scopes", "grant_roles")
        }
        record = store.save_agent(
            settings,
            store.AgentRecord(
                name=name,
                client_id=client_id,
                profile=settings.name.value,
                kind="entra",
                issuer=sibling.issuer,
                credential_type=sibling.credential_type,
                description=f"restored agent identity {object_id}",
                sponsor=sibling.sponsor,
                extra={**extra, "object_id": object_id},
            ),
            cred,
        )
        warnings.append(
            f"its consent may not have survived the delete: `agentctl agent grant {name}` "
            "makes it again"
        )
    agent = (
        record.to_dict()
        if record is not None
        else {"name": name, "client_id": client_id, "secret_location": ""}
    )
    return Result(
        command=("agent", "restore"),
        data={
            "action": "restored",
            "agent": agent,
            "known_locally": record is not None,
            "graph_calls": requests,
        },
        warnings=warnings,
    )


__all__ = [
    "PartialDeleteError",
    "blueprint_shared",
    "delete_entra",
    "grant_agent",
    "restore_agent",
    "set_agent_enabled",
]
