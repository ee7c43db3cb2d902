"""Where registered agents and their credentials live.

Two layouts, chosen by the profile:

- **The embedded IdP** (profile kind `local`, no secret store chosen): everything — the index
  and the credentials — in one 0600 JSON file beside the IdP's database
  (`<data dir>/agents.json`). No OS keyring is involved, so every command on the embedded IdP
  works on a headless machine.
- **Any other profile**: the index (name → client id, credential type, ids; never a secret) in
  `<config dir>/agents.json` (0600), and each agent's credential — client secret or private key
  PEM, plus an RFC 7592 registration access token when the IdP issued one — as one entry in the
  profile's secret store (`agentctl.config.secrets`: keyring, file or env), key
  `<profile>/agent/<name>`.

Both files are rewritten whole and atomically (temp file, fsync, rename), so a crash leaves the
old file or the new one. The secret is written before the index that points at it, and removed
after the index entry is gone: the index never names a credential that is not there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentctl.config import paths
from agentctl.errors import ConfigError, SecretError
from agentctl.providers.base import Credential

if TYPE_CHECKING:
    from agentctl.config.resolve import Settings
    from agentctl.config.secrets import SecretStore

INDEX_FILE = "agents.json"
FORMAT = 1


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
    return paths.data_dir() / INDEX_FILE


def index_file() -> Path:
    return paths.config_dir() / INDEX_FILE


def secret_key(profile: str, name: str) -> str:
    return f"{profile}/agent/{name}"


def _store(settings: Settings) -> SecretStore:
    from agentctl.config import secrets

    return secrets.store_for(settings.secret_store.value, profile=settings.name.value)


def _read(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {"format": FORMAT, "profiles": {}}
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot read the agent index {path} ({exc})",
            hint="fix its permissions, or move it away and register the agents again",
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("profiles"), dict):
        raise ConfigError(
            f"the agent index {path} is not an agentctl agent file",
            hint="move it away and register the agents again",
        )
    return doc


def _write(path: Path, doc: dict[str, Any]) -> None:
    from agentctl.config.profiles import write_private

    doc["format"] = FORMAT
    write_private(path, json.dumps(doc, indent=2, sort_keys=True).encode())


def _entries(doc: dict[str, Any], profile: str) -> dict[str, Any]:
    entries = doc["profiles"].setdefault(profile, {})
    if not isinstance(entries, dict):
        raise ConfigError(f"the agent index entry for profile {profile!r} is damaged")
    return entries


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


def save_agent(
    settings: Settings,
    record: AgentRecord,
    credential: Credential,
    *,
    registration_access_token: str | None = None,
) -> AgentRecord:
    """Remember `record` and keep `credential` (and an RFC 7592 token) where the profile keeps
    secrets. Returns the record with `secret_location` filled in. On failure nothing changed:
    the credential written first is removed again if the index cannot be written."""
    profile = settings.name.value
    record = replace(
        record, profile=profile, secret_location=describe_location(settings, record.name)
    )
    blob = _credential_blob(credential, registration_access_token)
    if uses_embedded_store(settings):
        path = embedded_file()
        doc = _read(path)
        _entries(doc, profile)[record.name] = {"record": record.to_dict(), "credential": blob}
        _write(path, doc)
        return record
    store = _store(settings)
    key = secret_key(profile, record.name)
    store.set(key, json.dumps(blob))
    try:
        path = index_file()
        doc = _read(path)
        _entries(doc, profile)[record.name] = {"record": record.to_dict(), "secret_ref": key}
        _write(path, doc)
    except BaseException:
        store.delete(key)
        raise
    return record


def find_record(settings: Settings, name_or_client_id: str) -> AgentRecord | None:
    """The agent's record (no credential read), or None."""
    profile = settings.name.value
    path = embedded_file() if uses_embedded_store(settings) else index_file()
    entries = _entries(_read(path), profile)
    entry = entries.get(name_or_client_id)
    if entry is None:
        entry = next(
            (
                e
                for e in entries.values()
                if isinstance(e, dict)
                and isinstance(e.get("record"), dict)
                and e["record"].get("client_id") == name_or_client_id
            ),
            None,
        )
    if not isinstance(entry, dict) or not isinstance(entry.get("record"), dict):
        return None
    return AgentRecord.from_dict(entry["record"])


def load_agent(settings: Settings, name_or_client_id: str) -> tuple[AgentRecord, Credential]:
    """The agent and its credential. ConfigError when unknown; SecretError when its credential
    is missing from the store (or the store is unusable)."""
    cred, _ = load_agent_secrets(settings, name_or_client_id)
    record = find_record(settings, name_or_client_id)
    if record is None:  # pragma: no cover - load_agent_secrets raised already
        raise unknown_agent(name_or_client_id, settings.name.value)
    return record, cred


def load_agent_secrets(settings: Settings, name_or_client_id: str) -> tuple[Credential, str | None]:
    """(credential, registration access token or None)."""
    profile = settings.name.value
    record = find_record(settings, name_or_client_id)
    if record is None:
        raise unknown_agent(name_or_client_id, profile)
    if uses_embedded_store(settings):
        entry = _entries(_read(embedded_file()), profile)[record.name]
        blob = entry.get("credential")
    else:
        key = secret_key(profile, record.name)
        raw = _store(settings).get(key)
        if raw is None:
            raise SecretError(
                f"agent {record.name}'s credential is not in {_store(settings).describe(key)}",
                hint=f"`agentctl agent rotate {record.name}` issues a new one, or "
                f"`agentctl register {record.name} --replace`",
            )
        try:
            blob = json.loads(raw)
        except ValueError:
            blob = None
    if not isinstance(blob, dict):
        raise SecretError(
            f"agent {record.name}'s stored credential is damaged",
            hint=f"`agentctl agent rotate {record.name}` issues a new one",
        )
    token = blob.get("registration_access_token")
    return _credential_of(blob), token if isinstance(token, str) else None


def list_agents(settings: Settings) -> list[AgentRecord]:
    """The profile's agents, by name."""
    profile = settings.name.value
    path = embedded_file() if uses_embedded_store(settings) else index_file()
    entries = _entries(_read(path), profile)
    records = [
        AgentRecord.from_dict(e["record"])
        for e in entries.values()
        if isinstance(e, dict) and isinstance(e.get("record"), dict)
    ]
    return sorted(records, key=lambda r: r.name)


def forget_agent(settings: Settings, name: str) -> None:
    """Drop the agent from the index, then its credential from the store. Unknown names are a
    ConfigError. (The IdP side is the caller's business: delete there first.)"""
    profile = settings.name.value
    record = find_record(settings, name)
    if record is None:
        raise unknown_agent(name, profile)
    path = embedded_file() if uses_embedded_store(settings) else index_file()
    doc = _read(path)
    _entries(doc, profile).pop(record.name, None)
    _write(path, doc)
    if not uses_embedded_store(settings):
        _store(settings).delete(secret_key(profile, record.name))


__all__ = [
    "AgentRecord",
    "describe_location",
    "embedded_file",
    "find_record",
    "forget_agent",
    "index_file",
    "list_agents",
    "load_agent",
    "load_agent_secrets",
    "save_agent",
    "secret_key",
    "unknown_agent",
    "uses_embedded_store",
]
