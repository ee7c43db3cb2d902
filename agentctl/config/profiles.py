"""Profiles: named IdP connections, kept as TOML in `paths.config_file()`.

    active = "corp"

    [profiles.corp]
    kind = "oidc"
    issuer = "https://idp.example.com"
    client_id = "agentctl-cli"
    auth_method = "client_secret_basic"
    secret_store = "keyring"          # where the secret lives; never the secret itself
    secret_ref = "corp/client-secret"  # its key in that store
    audience = "https://api.example.com"

The file is rewritten whole, atomically (temp file in the same directory, fsync, rename, 0600),
so a crash leaves either the old file or the new one. Every change goes through `update()`,
which does the read-modify-write under an exclusive lock (`config.toml.lock`), so parallel
commands never lose each other's changes. Top-level keys this module does not own are
preserved.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from agentctl.config import paths
from agentctl.core.transport_rules import has_credentials, is_secure_url, without_credentials
from agentctl.errors import ConfigError

DEFAULT_PROFILE = "local"
KINDS = ("local", "oidc", "entra", "okta", "keycloak", "auth0")
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt", "none")
SECRET_STORES = ("keyring", "file", "env")
ASSERTION_AUDIENCES = ("token_endpoint", "issuer")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


@dataclass(frozen=True)
class Profile:
    """One named connection to an IdP, as stored in config.toml (no secret: those live in the
    secret store)."""

    name: str
    kind: str = "oidc"
    issuer: str | None = None  # None for `local`: the embedded IdP, in-process
    client_id: str | None = None
    auth_method: str = "client_secret_basic"
    secret_store: str | None = None  # None: keyring, the default
    secret_ref: str | None = None  # key of the client secret (or private key) in the store
    key_id: str | None = None  # `kid` of the private_key_jwt key
    assertion_audience: str | None = None  # private_key_jwt `aud`: token_endpoint | issuer
    ca_bundle: str | None = None
    audience: str | None = None
    scope: str | None = None
    description: str | None = None
    # Microsoft Entra (kind `entra`): the admin app is `client_id` (its secret the profile's
    # secret); the issuer follows from tenant and cloud.
    tenant: str | None = None
    cloud: str | None = None  # public (default), usgov, china
    blueprint_app_id: str | None = None  # an Agent ID blueprint to reuse
    public_client_id: str | None = None  # an app with public client flows (device code)
    # What `exchange` uses when --agent/--user are not given (`agentctl agent use`; set by
    # `demo` and by the first `register`), so `agentctl exchange --mode obo` runs as is.
    agent: str | None = None
    user: str | None = None
    # Grant types the IdP offers although its metadata omits them, space-separated URIs
    # (`agentctl profile set NAME --grant …`): capabilities come from metadata plus these.
    grants: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # keys a newer agentctl wrote

    @property
    def embedded(self) -> bool:
        return self.kind == "local" and not self.issuer

    def to_toml(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k not in {"name", "extra"}}
        return {**self.extra, **{k: v for k, v in data.items() if v is not None}}


def builtin_local() -> Profile:
    """With no configuration at all, commands talk to the embedded IdP."""
    return Profile(
        name=DEFAULT_PROFILE,
        kind="local",
        description="the embedded IdP (built in; no configuration needed)",
    )


@dataclass
class Config:
    """The whole config.toml: its profiles, the active one, and top-level keys other code owns."""

    profiles: dict[str, Profile] = field(default_factory=dict)
    active: str | None = None
    other: dict[str, Any] = field(default_factory=dict)  # top-level keys owned elsewhere


def validate_name(name: str) -> str:
    if not name or len(name) > 64 or not set(name) <= _NAME_CHARS or name[0] in "-.":
        raise ConfigError(
            f"invalid profile name {name!r}",
            hint="use letters, digits, '-', '_' or '.' (up to 64, not starting with - or .)",
        )
    return name


def validate(profile: Profile) -> Profile:
    """Check a profile's values; the message names the profile and the field."""
    where = f"profile {profile.name!r}"
    validate_name(profile.name)
    if profile.kind not in KINDS:
        raise ConfigError(
            f"{where}: unknown provider kind {profile.kind!r}",
            hint=f"use one of {', '.join(KINDS)}",
        )
    if profile.auth_method not in AUTH_METHODS:
        raise ConfigError(
            f"{where}: unknown auth method {profile.auth_method!r}",
            hint=f"use one of {', '.join(AUTH_METHODS)}",
        )
    if profile.secret_store is not None and profile.secret_store not in SECRET_STORES:
        raise ConfigError(
            f"{where}: unknown secret store {profile.secret_store!r}",
            hint=f"use one of {', '.join(SECRET_STORES)}",
        )
    if (
        profile.assertion_audience is not None
        and profile.assertion_audience not in ASSERTION_AUDIENCES
    ):
        raise ConfigError(
            f"{where}: assertion_audience must be one of {', '.join(ASSERTION_AUDIENCES)}"
        )
    if profile.issuer is not None and has_credentials(profile.issuer):
        raise ConfigError(
            f"{where}: issuer {without_credentials(profile.issuer)} embeds credentials "
            "(user:password@)",
            hint="remove them; the client secret goes in the secret store (--secret-stdin)",
        )
    if profile.issuer is not None and not is_secure_url(profile.issuer):
        raise ConfigError(
            f"{where}: issuer {profile.issuer} must be https:// (plain http only for loopback)",
            hint="use the issuer URL exactly as the IdP publishes it",
        )
    if profile.kind == "entra":
        if not profile.tenant:
            raise ConfigError(
                f"{where}: an entra profile needs a tenant (id or domain)",
                hint="`agentctl profile add NAME --kind entra --tenant contoso.onmicrosoft.com "
                "--client-id ADMIN_APP_ID --secret-stdin`",
            )
    elif profile.kind != "local" and not profile.issuer:
        raise ConfigError(f"{where}: a {profile.kind} profile needs an issuer URL")
    elif profile.tenant or profile.blueprint_app_id or profile.public_client_id or profile.cloud:
        raise ConfigError(
            f"{where}: tenant, cloud, blueprint and public client are Entra settings",
            hint="use them with --kind entra",
        )
    return profile


def _profile_from(name: str, table: Any, source: Path) -> Profile:
    where = f"{source}: profile {name!r}"
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where} is not a table", hint=_FIX_HINT)
    known = {f.name for f in fields(Profile)} - {"name", "extra"}
    values: dict[str, Any] = {}
    for key in known & set(table):
        value = table[key]
        if not isinstance(value, str):
            raise ConfigError(
                f"{where}: {key} must be a string, not {type(value).__name__}", hint=_FIX_HINT
            )
        values[key] = value
    extra = {k: v for k, v in table.items() if k not in known}
    try:
        return validate(Profile(name=name, extra=extra, **values))
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc.message}", hint=exc.hint or _FIX_HINT) from None


_FIX_HINT = "fix or delete the file, or use `agentctl profile add/remove` to rewrite it"


def load(path: Path | None = None) -> Config:
    """The configuration; an absent file is an empty configuration. A corrupt one is a
    ConfigError naming the file and the problem (one line, exit 3)."""
    from agentctl import files

    path = path or paths.config_file()
    raw = files.read_bytes(
        path,
        what="configuration file",
        limit=files.MAX_CONFIG_FILE,
        error=ConfigError,
        missing_ok=True,
    )
    if raw is None:
        return Config()
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text", hint=_FIX_HINT) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc})", hint=_FIX_HINT) from None
    except RecursionError:  # tomllib recurses per nesting level
        raise ConfigError(f"{path} is not valid TOML (nested too deeply)", hint=_FIX_HINT) from None
    table = doc.pop("profiles", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: `profiles` must be a table", hint=_FIX_HINT)
    active = doc.pop("active", None)
    if active is not None and not isinstance(active, str):
        raise ConfigError(f"{path}: `active` must be a profile name (a string)", hint=_FIX_HINT)
    profiles: dict[str, Profile] = {}
    for name, body in table.items():
        try:
            validate_name(name)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc.message}", hint=_FIX_HINT) from None
        profiles[name] = _profile_from(name, body, path)
    return Config(profiles=profiles, active=active, other=doc)


def save(config: Config, path: Path | None = None) -> Path:
    """Write the configuration atomically with mode 0600."""
    import tomli_w

    path = path or paths.config_file()
    doc: dict[str, Any] = dict(config.other)
    if config.active:
        doc["active"] = config.active
    doc["profiles"] = {name: p.to_toml() for name, p in sorted(config.profiles.items())}
    write_private(path, tomli_w.dumps(doc).encode())
    return path


def update(fn: Callable[[Config], Config], path: Path | None = None) -> tuple[Config, Path]:
    """The one way to change the configuration: load, `fn`, save, all under the file's
    exclusive lock, so two agentctl processes never lose each other's changes. `fn` returns
    the new configuration (or raises, and nothing is written)."""
    from agentctl.config.filelock import locked

    path = path or paths.config_file()
    with locked(path):
        config = fn(load(path))
        save(config, path)
    return config, path


# One atomic private writer for every file agentctl keeps (config/paths.py).
write_private = paths.write_private


def get(config: Config, name: str) -> Profile:
    if name in config.profiles:
        return config.profiles[name]
    if name == DEFAULT_PROFILE:
        return builtin_local()
    known = ", ".join(sorted({*config.profiles, DEFAULT_PROFILE}))
    raise ConfigError(
        f"no profile named {name!r} (known: {known})",
        hint="`agentctl profile list` shows them; `agentctl profile add` creates one",
    )


def upsert(config: Config, profile: Profile, *, replace_existing: bool = False) -> Config:
    validate(profile)
    if profile.name in config.profiles and not replace_existing:
        raise ConfigError(
            f"profile {profile.name!r} already exists",
            hint="pass --replace to overwrite it, or choose another name",
        )
    return replace(config, profiles={**config.profiles, profile.name: profile})


def remove(config: Config, name: str) -> Config:
    if name not in config.profiles:
        if name == DEFAULT_PROFILE:
            raise ConfigError(
                f"profile {name!r} is the built-in embedded IdP; there is nothing to remove",
                hint="`agentctl profile use NAME` makes another profile the default",
            )
        get(config, name)  # raises "no profile named ..." with the known names
    profiles = {k: v for k, v in config.profiles.items() if k != name}
    active = None if config.active == name else config.active
    return replace(config, profiles=profiles, active=active)


__all__ = [
    "ASSERTION_AUDIENCES",
    "AUTH_METHODS",
    "DEFAULT_PROFILE",
    "KINDS",
    "SECRET_STORES",
    "Config",
    "Profile",
    "builtin_local",
    "get",
    "load",
    "remove",
    "save",
    "update",
    "upsert",
    "validate",
    "validate_name",
    "write_private",
]
