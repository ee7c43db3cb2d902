"""Where registered agents and their credentials live.

Every agent is a row of agentctl's own SQLite database, `<data dir>/agentctl.sqlite3` (0600,
dir 0700; `agentctl.config.statedb`), keyed by (profile, name), with transactions, so
parallel commands never lose each other's agents. Where the *credential* lives depends on the
profile:

- **The embedded IdP** (profile kind `local`, no secret store chosen): in the row itself — the
  database sits beside the IdP's own, and no OS keyring is involved, so every command on the
  embedded IdP works on a headless machine.
- **Any other profile**: the row keeps the ids (never a secret); the credential — client secret
  or private key PEM, plus an RFC 7592 registration access token when the IdP issued one — is
  one entry in the profile's secret store (`agentctl.config.secrets`: keyring, file or env),
  key `<profile>/agent/<name>`. The secret is written before the row that points at it, and
  removed after the row is gone: a row never names a credential that is not there.

Commands that change an agent at the IdP hold a *claim* on it (`claim_agent`) from before the
IdP call until the row is written, so two `register`s of one name make one agent and two
`rotate`s never leave the IdP and the row disagreeing. The old `agents.json` files are
migrated on first use (statedb's docstring says how).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentctl.config import statedb
from agentctl.errors import ConfigError, SecretError
from agentctl.providers.base import Credential

if TYPE_CHECKING:
    from agentctl.config.resolve import Settings
    from agentctl.config.secrets import SecretStore
    from agentctl.config.statedb import Claim


@dataclass(frozen=True)
class AgentRecord:
    """One registered agent, as agentctl remembers it (no secret in here)."""

    name: str
    client_id: str
    profile: str
    kind: str  # the profile's provider kind: local, oidc, entra, ...
    issuer: str | None
    # "client_secret" | "private_key_jwt" | "certificate" | "entra-agent-identity" | ...
    credential_type: str
    description: str = ""
    sponsor: str | None = None
    secret_location: str = ""  # where the credential lives, for people (never the secret)
    extra: Mapping[str, Any] = field(default_factory=dict)  # provider-specific ids, endpoints

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "client_id": self.client_id,
            "profile": self.profile,
            "kind": self.kind,
            "issuer": self.issuer,
            "credential_type": self.credential_type,
            "description": self.description,
            "sponsor": self.sponsor,
            "secret_location": self.secret_location,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AgentRecord:
        try:
            return cls(
                name=str(data["name"]),
                client_id=str(data["client_id"]),
                profile=str(data["profile"]),
                kind=str(data["kind"]),
                issuer=data.get("issuer") if isinstance(data.get("issuer"), str) else None,
                credential_type=str(data["credential_type"]),
                description=str(data.get("description") or ""),
                sponsor=data.get("sponsor") if isinstance(data.get("sponsor"), str) else None,
                secret_location=str(data.get("secret_location") or ""),
                extra=dict(data.get("extra") or {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                f"an agent entry is damaged ({type(exc).__name__}: {exc})",
                hint="`agentctl agent delete NAME` removes it; register it again",
            ) from None


# -- where -----------------------------------------------------------------------------------


def uses_embedded_store(settings: Settings) -> bool:
    """True when the profile's agents live with the embedded IdP's data (no secret store)."""
    if settings.secret_store.value == "embedded":
        return True
    return settings.kind.value == "local" and settings.secret_store.source == "default"


def embedded_file() -> Path:
    """The database that holds the agents (and the embedded layout's credentials)."""
    return statedb.db_path()


def index_file() -> Path:
    return statedb.db_path()


def _layout(settings: Settings) -> str:
    return statedb.EMBEDDED if uses_embedded_store(settings) else statedb.INDEX


def secret_key(profile: str, name: str) -> str:
    return f"{profile}/agent/{name}"


def _store(settings: Settings) -> SecretStore:
    from agentctl.config import secrets

    return secrets.store_for(settings.secret_store.value, profile=settings.name.value)


def _credential_blob(credential: Credential, registration_token: str | None) -> dict[str, Any]:
    blob: dict[str, Any] = {
        "client_id": credential.client_id,
        "method": credential.method,
        "key_id": credential.key_id,
        "alg": credential.alg,
    }
    if credential.secret is not None:
        blob["secret"] = credential.secret
    if credential.private_key_pem is not None:
        blob["private_key_pem"] = credential.private_key_pem
    if registration_token is not None:
        blob["registration_access_token"] = registration_token
    return blob


def _credential_of(blob: Mapping[str, Any]) -> Credential:
    def opt(key: str) -> str | None:
        value = blob.get(key)
        return value if isinstance(value, str) else None

    return Credential(
        client_id=str(blob.get("client_id") or ""),
        method=str(blob.get("method") or "client_secret_basic"),
        secret=opt("secret"),
        private_key_pem=opt("private_key_pem"),
        key_id=opt("key_id"),
        alg=str(blob.get("alg") or "RS256"),
    )


def unknown_agent(name: str, profile: str) -> ConfigError:
    return ConfigError(
        f"no agent named {name} in profile {profile}",
        hint=f"agentctl register {name}" + (f" --profile {profile}" if profile != "local" else ""),
        details={"agent": name, "profile": profile},
    )


# -- the API -----------------------------------------------------------------------------------


def describe_location(settings: Settings, name: str) -> str:
    """Where `name`'s credential is (or would be) kept, for people."""
    if uses_embedded_store(settings):
        return f"file {embedded_file()} (0600, with the embedded IdP's data)"
    return _store(settings).describe(secret_key(settings.name.value, name))


@contextmanager
def claim_agent(settings: Settings, name: str) -> Iterator[Claim]:
    """Hold agent `name` of the profile while changing it at the IdP (see the module
    docstring); `claim.existing` is its stored row, or None when there is no agent yet."""
    with statedb.claim(statedb.open_db(), _layout(settings), settings.name.value, name) as got:
        yield got


def claimed_record(claim: Claim) -> AgentRecord | None:
    return _record(claim.existing) if claim.existing is not None else None


class DamagedAgentError(ConfigError):
    """An agent's stored record cannot be read; `row` is what the database still holds."""

    def __init__(self, row: statedb.AgentRow, detail: str) -> None:
        super().__init__(
            f"agent {row.name!r} is damaged in agentctl's state database ({detail})",
            hint=f"`agentctl agent delete {row.name}` removes it; register it again",
        )
        self.row = row


def _record(row: statedb.AgentRow) -> AgentRecord:
    try:
        return AgentRecord.from_dict(row.record if isinstance(row.record, Mapping) else {})
    except ConfigError as exc:
        detail = exc.message.removeprefix("an agent entry is damaged ").strip("()")
        raise DamagedAgentError(row, detail) from None


def salvaged_record(settings: Settings, row: statedb.AgentRow) -> AgentRecord:
    """What a damaged row still tells (its name and client id): enough to delete it."""
    return AgentRecord(
        name=row.name,
        client_id=row.client_id or "",
        profile=settings.name.value,
        kind=settings.kind.value,
        issuer=None,
        credential_type="unknown",
        secret_location="the local store",  # noqa: S106 - a place, not a secret
    )


def save_agent(
    settings: Settings,
    record: AgentRecord,
    credential: Credential,
    *,
    registration_access_token: str | None = None,
    claim: Claim | None = None,
) -> AgentRecord:
    """Remember `record` and keep `credential` (and an RFC 7592 token) where the profile keeps
    secrets. Returns the record with `secret_location` filled in. On failure nothing changed:
    the credential written first is removed again if the row cannot be written."""
    profile = settings.name.value
    record = replace(
        record, profile=profile, secret_location=describe_location(settings, record.name)
    )
    blob = _credential_blob(credential, registration_access_token)
    db = statedb.open_db()
    row = statedb.AgentRow(
        layout=_layout(settings),
        profile=profile,
        name=record.name,
        client_id=record.client_id,
        record=record.to_dict(),
        credential=blob if uses_embedded_store(settings) else None,
        secret_ref=None if uses_embedded_store(settings) else secret_key(profile, record.name),
    )
    if uses_embedded_store(settings):
        statedb.put(db, row, claim=claim)
        return record
    store = _store(settings)
    key = secret_key(profile, record.name)
    store.set(key, json.dumps(blob))
    try:
        statedb.put(db, row, claim=claim)
    except BaseException:
        store.delete(key)
        raise
    return record


def _find_row(
    settings: Settings, name_or_client_id: str, *, shared: bool = False
) -> statedb.AgentRow | None:
    db = statedb.open_db()
    row = statedb.find(db, _layout(settings), settings.name.value, name_or_client_id)
    if row is None and shared:
        row = _on_same_idp(settings, db, name_or_client_id)
    return row


def _embedded_idp_of(kind: Any, issuer: Any) -> str | None:
    """`issuer-name` when (kind, issuer) is this home's embedded IdP — in-process (no issuer)
    or `agentctl idp serve` on a loopback address, which serves the same database — else None."""
    from urllib.parse import urlsplit

    from agentctl.core.transport_rules import is_loopback_host

    if kind != "local":
        return None
    if not issuer:
        return "enterprise"
    if not isinstance(issuer, str) or not is_loopback_host(urlsplit(issuer).hostname or ""):
        return None
    base, sep, name = issuer.rstrip("/").rpartition("/i/")
    return name if sep and base and name else None


def _on_same_idp(
    settings: Settings, db: statedb.StateDb, name_or_client_id: str
) -> statedb.AgentRow | None:
    """One IdP, one set of agents: an agent another profile registered on this home's
    embedded IdP (same database, same issuer) is usable from this profile too."""
    mine = _embedded_idp_of(settings.kind.value, settings.issuer.value)
    if mine is None:
        return None
    for layout in (statedb.EMBEDDED, statedb.INDEX):
        for row in statedb.all_rows(db, layout, named=name_or_client_id):
            if row.profile == settings.name.value:
                continue
            if name_or_client_id not in (row.name, row.client_id):
                continue
            theirs = _embedded_idp_of(row.record.get("kind"), row.record.get("issuer"))
            if theirs == mine:
                return row
    return None


def find_record(
    settings: Settings, name_or_client_id: str, *, shared: bool = False
) -> AgentRecord | None:
    """The agent's record (no credential read), or None. `shared`: also an agent another
    profile registered on the same embedded IdP (its record names that profile)."""
    row = _find_row(settings, name_or_client_id, shared=shared)
    return _record(row) if row is not None else None


def load_agent(
    settings: Settings, name_or_client_id: str, *, shared: bool = False
) -> tuple[AgentRecord, Credential]:
    """The agent and its credential. ConfigError when unknown; SecretError when its credential
    is missing from the store (or the store is unusable). `shared` as for `find_record`."""
    cred, _ = load_agent_secrets(settings, name_or_client_id, shared=shared)
    record = find_record(settings, name_or_client_id, shared=shared)
    if record is None:  # pragma: no cover - load_agent_secrets raised already
        raise unknown_agent(name_or_client_id, settings.name.value)
    return record, cred


def load_agent_secrets(
    settings: Settings, name_or_client_id: str, *, shared: bool = False
) -> tuple[Credential, str | None]:
    """(credential, registration access token or None)."""
    profile = settings.name.value
    row = _find_row(settings, name_or_client_id, shared=shared)
    if row is None:
        raise unknown_agent(name_or_client_id, profile)
    if row.profile != profile:
        # Another profile's agent: its credential is where *that* profile keeps it.
        from agentctl.config.resolve import resolve_settings

        settings = resolve_settings(profile_flag=row.profile)
        profile = row.profile
    blob: Any
    if row.layout == statedb.EMBEDDED:
        blob = row.credential
    else:
        key = row.secret_ref or secret_key(profile, row.name)
        raw = _store(settings).get(key)
        if raw is None:
            raise SecretError(
                f"agent {row.name}'s credential is not in {_store(settings).describe(key)}",
                hint=f"`agentctl agent rotate {row.name}` issues a new one, or "
                f"`agentctl register {row.name} --replace`",
            )
        try:
            blob = json.loads(raw)
        except ValueError:
            blob = None
    if not isinstance(blob, dict):
        raise SecretError(
            f"agent {row.name}'s stored credential is damaged",
            hint=f"`agentctl agent rotate {row.name}` issues a new one",
        )
    token = blob.get("registration_access_token")
    return _credential_of(blob), token if isinstance(token, str) else None


def list_agents(
    settings: Settings, *, limit: int | None = None, after: str | None = None
) -> list[AgentRecord]:
    """The profile's agents, by name: every one, or a page of `limit` after the name `after`."""
    rows = statedb.list_rows(
        statedb.open_db(), _layout(settings), settings.name.value, limit=limit, after=after
    )
    return [_record(row) for row in rows]


# The agent's kept delegated session (Entra agent OBO's refresh token), in the agent's own
# secret-store entry beside its credential: it goes when the agent is forgotten, and a new
# credential written by save_agent (rotate, register --replace) starts without one.
SESSION_FIELD = "obo_session"


def _secret_entry(settings: Settings, name: str) -> tuple[SecretStore, str] | None:
    row = _find_row(settings, name)
    if row is None or row.layout == statedb.EMBEDDED:
        return None
    return _store(settings), row.secret_ref or secret_key(settings.name.value, row.name)


def load_agent_session(settings: Settings, name: str) -> dict[str, Any] | None:
    """The session kept for the agent (a dict), or None when there is none or it is unreadable."""
    entry = _secret_entry(settings, name)
    raw = entry[0].get(entry[1]) if entry is not None else None
    try:
        blob = json.loads(raw) if raw else None
    except ValueError:
        return None
    session = blob.get(SESSION_FIELD) if isinstance(blob, dict) else None
    return dict(session) if isinstance(session, dict) else None


def keep_agent_session(settings: Settings, name: str, session: Mapping[str, Any] | None) -> bool:
    """Store (or with None, drop) the agent's session in its secret-store entry; False when the
    agent has no such entry to keep it in."""
    entry = _secret_entry(settings, name)
    raw = entry[0].get(entry[1]) if entry is not None else None
    try:
        blob = json.loads(raw) if raw else None
    except ValueError:
        blob = None
    if entry is None or not isinstance(blob, dict):
        return False
    if session is None:
        if SESSION_FIELD not in blob:
            return True
        blob.pop(SESSION_FIELD)
    else:
        blob[SESSION_FIELD] = dict(session)
    entry[0].set(entry[1], json.dumps(blob))
    return True


def forget_agent(settings: Settings, name: str, *, claim: Claim | None = None) -> None:
    """Drop the agent's row, then its credential from the store. Unknown names are a
    ConfigError. (The IdP side is the caller's business: delete there first.)"""
    profile = settings.name.value
    row = _find_row(settings, name)
    if row is None:
        raise unknown_agent(name, profile)
    statedb.delete(statedb.open_db(), row.layout, profile, row.name, claim=claim)
    if not uses_embedded_store(settings):
        _store(settings).delete(secret_key(profile, row.name))


def forget_local_idp_agents() -> list[dict[str, str]]:
    """After this home's embedded IdP database is deleted (`idp reset`): drop the agents whose
    client lived there — embedded layout, kind `local`, a loopback issuer (in-process, or
    `agentctl idp serve` on this host, which serves the same database) — so no record names a
    client that is gone. Returns what was dropped (profile, name, client id)."""
    from urllib.parse import urlsplit

    from agentctl.core.transport_rules import is_loopback_host

    def on_this_host(issuer: Any) -> bool:
        return isinstance(issuer, str) and is_loopback_host(urlsplit(issuer).hostname or "")

    db = statedb.open_db()
    dropped: list[dict[str, str]] = []
    for row in statedb.all_rows(db, statedb.EMBEDDED):
        if (
            row.record.get("kind") == "local"
            and on_this_host(row.record.get("issuer"))
            and statedb.delete(db, row.layout, row.profile, row.name, claim=None)
        ):
            dropped.append(
                {"profile": row.profile, "name": row.name, "client_id": row.client_id or ""}
            )
    return dropped


__all__ = [
    "AgentRecord",
    "claim_agent",
    "claimed_record",
    "describe_location",
    "embedded_file",
    "find_record",
    "forget_agent",
    "forget_local_idp_agents",
    "index_file",
    "keep_agent_session",
    "list_agents",
    "load_agent",
    "load_agent_secrets",
    "load_agent_session",
    "save_agent",
    "secret_key",
    "unknown_agent",
    "uses_embedded_store",
]
