"""Resolve settings with provenance: flag > env > profile > default.

Every value knows where it came from, so `profile show` and error messages can say
"issuer https://… (from env AGENTCTL_ISSUER)".

    settings = resolve_settings(profile_flag=None, flags={"audience": "https://api"})
    settings.issuer.value, settings.issuer.source        # "https://…", "profile"
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from agentctl.config import profiles as profiles_mod
from agentctl.config.profiles import DEFAULT_PROFILE, Config, Profile

T = TypeVar("T")
Source = Literal["flag", "env", "profile", "default"]

PROFILE_ENV = "AGENTCTL_PROFILE"
# Per-setting environment variables (read at call time).
SETTING_ENV: Mapping[str, str] = {
    "issuer": "AGENTCTL_ISSUER",
    "client_id": "AGENTCTL_CLIENT_ID",
    "auth_method": "AGENTCTL_AUTH_METHOD",
    "secret_store": "AGENTCTL_SECRET_STORE",
    "ca_bundle": "AGENTCTL_CA_BUNDLE",
    "audience": "AGENTCTL_AUDIENCE",
    "scope": "AGENTCTL_SCOPE",
}
SETTINGS = (
    "kind",
    "issuer",
    "client_id",
    "auth_method",
    "secret_store",
    "secret_ref",
    "key_id",
    "assertion_audience",
    "ca_bundle",
    "audience",
    "scope",
)


@dataclass(frozen=True)
class Resolved(Generic[T]):
    """A setting's value with where it came from (flag, environment, profile, default)."""

    value: T
    source: Source
    detail: str = ""  # e.g. "AGENTCTL_PROFILE", "--audience", "profile corp", "active profile"

    def describe(self) -> str:
        return f"{self.source} {self.detail}".strip()

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "source": self.source, "detail": self.detail}


def flag_from_context(ctx: Any, param: str, value: T | None) -> T | None:
    """A typer/click option's value only when typed on the command line: an option declared
    with `envvar=` would otherwise hide that the value came from the environment."""
    if value is None or ctx is None:
        return value
    source = ctx.get_parameter_source(param)
    return None if source is not None and source.name == "ENVIRONMENT" else value


def resolve_profile_name(profile_flag: str | None, config: Config) -> Resolved[str]:
    """--profile > AGENTCTL_PROFILE > the config's `active` > the built-in `local`."""
    if profile_flag:
        return Resolved(profile_flag, "flag", "--profile")
    env = os.environ.get(PROFILE_ENV)
    if env:
        return Resolved(env, "env", PROFILE_ENV)
    if config.active:
        return Resolved(config.active, "profile", "active in config")
    return Resolved(DEFAULT_PROFILE, "default", "nothing configured")


@dataclass(frozen=True)
class Settings:
    """A profile resolved against flags and environment; each field is a Resolved."""

    profile: Profile
    name: Resolved[str]
    kind: Resolved[str]
    issuer: Resolved[str | None]
    client_id: Resolved[str | None]
    auth_method: Resolved[str]
    secret_store: Resolved[str]
    secret_ref: Resolved[str | None]
    key_id: Resolved[str | None]
    assertion_audience: Resolved[str]
    ca_bundle: Resolved[str | None]
    audience: Resolved[str | None]
    scope: Resolved[str | None]

    def items(self) -> list[tuple[str, Resolved[Any]]]:
        return [("profile", self.name)] + [(k, getattr(self, k)) for k in SETTINGS]

    def to_dict(self) -> dict[str, Any]:
        return {k: r.to_dict() for k, r in self.items()}


_DEFAULTS: Mapping[str, Any] = {
    "auth_method": "client_secret_basic",
    "secret_store": "keyring",
    "assertion_audience": "token_endpoint",
}


def _one(
    key: str, profile: Profile, flags: Mapping[str, Any], *, from_builtin: bool
) -> Resolved[Any]:
    if flags.get(key) is not None:
        return Resolved(flags[key], "flag", "--" + key.replace("_", "-"))
    var = SETTING_ENV.get(key)
    if var and os.environ.get(var):
        return Resolved(os.environ[var], "env", var)
    stored = getattr(profile, key)
    if stored is not None and not from_builtin:
        return Resolved(stored, "profile", profile.name)
    if key == "secret_store" and profile.kind == "local" and not profile.issuer:
        # The embedded IdP keeps its agents' credentials with its own data (0600).
        return Resolved("embedded", "default", "embedded IdP")
    if key == "issuer" and profile.kind == "local":
        return Resolved(stored, "default", "embedded IdP")
    if key in _DEFAULTS:
        return Resolved(_DEFAULTS[key], "default", "")
    return Resolved(stored, "default" if from_builtin or stored is None else "profile", "")


def resolve_settings(
    *,
    profile_flag: str | None = None,
    flags: Mapping[str, Any] | None = None,
    config: Config | None = None,
) -> Settings:
    """The settings a command runs with. `flags` holds options typed on the command line
    (None for absent), keyed by setting name."""
    config = config if config is not None else profiles_mod.load()
    name = resolve_profile_name(profile_flag, config)
    profile = profiles_mod.get(config, name.value)
    builtin = name.value not in config.profiles
    flags = flags or {}
    values = {key: _one(key, profile, flags, from_builtin=builtin) for key in SETTINGS}
    kind = values.pop("kind")
    if builtin:
        kind = Resolved(profile.kind, "default", "built-in profile")
    return Settings(profile=profile, name=name, kind=kind, **values)


__all__ = [
    "PROFILE_ENV",
    "SETTINGS",
    "SETTING_ENV",
    "Resolved",
    "Settings",
    "Source",
    "flag_from_context",
    "resolve_profile_name",
    "resolve_settings",
]
