"""The profile use-cases behind `agentctl profile add|list|show|use|remove`.

Each takes everything it needs as arguments (the secret already read by the CLI) and returns a
Result; the configuration file and the secret stores are the only things they touch.
"""

from __future__ import annotations

from dataclasses import replace as dc_replace
from pathlib import Path
from typing import Any

from agentctl.config import profiles, secrets
from agentctl.config.profiles import Profile
from agentctl.config.resolve import resolve_profile_name, resolve_settings
from agentctl.errors import SecretError, UsageError
from agentctl.oauth.keys import public_jwk_of
from agentctl.output.result import Result


def add_profile(
    profile: Profile,
    *,
    secret: str | None = None,
    private_key_file: str | None = None,
    use: bool = False,
    replace: bool = False,
) -> Result:
    """Validate, store the secret (if any), then write the profile: a refused secret store
    leaves the configuration untouched."""
    config = profiles.load()
    profiles.validate(profile)
    if profile.name in config.profiles and not replace:
        profiles.upsert(config, profile)  # raises "already exists" with the hint
    if profile.kind != "local" and not profile.client_id and (secret or private_key_file):
        raise UsageError("a secret or key needs --client-id")
    warnings: list[str] = []
    stored: dict[str, Any] | None = None
    if profile.auth_method == "private_key_jwt":
        if secret:
            raise UsageError("private_key_jwt uses --private-key FILE, not a client secret")
        if private_key_file:
            from agentctl import files

            pem = files.read_text(
                Path(private_key_file).expanduser(),
                what="private key file",
                limit=files.MAX_KEY_FILE,
            )
            jwk = public_jwk_of(pem, "ES256" if "EC PRIVATE" in pem else "RS256")
            profile = dc_replace(profile, key_id=profile.key_id or str(jwk["kid"]))
            profile, stored = _store(profile, pem, "private-key")
    elif private_key_file:
        raise UsageError("--private-key needs --auth-method private_key_jwt")
    elif secret:
        profile, stored = _store(profile, secret, "client-secret")
    needs_secret = profile.auth_method != "none" and profile.client_id and profile.kind != "local"
    if stored is None and needs_secret:
        var = secrets.env_var_for(
            profile.name, "private-key" if profile.auth_method == "private_key_jwt" else None
        )
        warnings.append(
            f"no secret stored for {profile.name}: set {var}, or re-run with --replace and "
            + (
                "--private-key FILE"
                if profile.auth_method == "private_key_jwt"
                else "--secret-stdin"
            )
        )

    def change(current: profiles.Config) -> profiles.Config:
        # Checked again under the lock: a parallel `profile add` of the same name may have won.
        updated = profiles.upsert(current, profile, replace_existing=replace)
        if use:
            updated.active = profile.name
        return updated

    config, path = profiles.update(change)
    return Result(
        command=("profile", "add"),
        data={
            "action": "replaced" if replace else "added",
            "profile": profile.name,
            "active": config.active == profile.name,
            "config_file": str(path),
            "secret": stored,
            "settings": profile.to_toml(),
        },
        warnings=warnings,
    )


def _store(profile: Profile, value: str, what: str) -> tuple[Profile, dict[str, Any]]:
    """Put the secret in the profile's store; the profile records only where (`secret_ref`)."""
    if profile.secret_store == "env":  # noqa: S105 - a store name, not a secret
        raise UsageError(
            "--secret-store env means the secret comes from the environment, not from agentctl",
            hint=f"set {secrets.env_var_for(profile.name)} instead of passing the secret",
        )
    store = secrets.store_for(profile.secret_store, profile=profile.name)
    key = secrets.secret_ref_for(profile.name, what)
    store.set(key, value)
    return dc_replace(profile, secret_ref=key), {"store": store.name, "where": store.describe(key)}


def list_profiles() -> Result:
    config = profiles.load()
    current = resolve_profile_name(None, config)
    rows = []
    names = sorted(config.profiles)
    if profiles.DEFAULT_PROFILE not in config.profiles:
        names.insert(0, profiles.DEFAULT_PROFILE)
    for name in names:
        p = profiles.get(config, name)
        rows.append(
            {
                "name": name,
                "kind": p.kind,
                "issuer": p.issuer or ("embedded" if p.kind == "local" else None),
                "client_id": p.client_id,
                "auth_method": p.auth_method if p.client_id else None,
                "secret_store": p.secret_store or ("keyring" if p.client_id else None),
                "active": name == current.value,
                "builtin": name not in config.profiles,
            }
        )
    return Result(
        command=("profile", "list"),
        data={"active": current.to_dict(), "profiles": rows},
    )


def show_profile(profile_flag: str | None) -> Result:
    settings = resolve_settings(profile_flag=profile_flag)
    name = settings.name.value
    secret: dict[str, Any] = {"store": settings.secret_store.value}
    method = settings.auth_method.value
    if settings.secret_store.value == "embedded":
        secret.update(present=None, where="with the embedded IdP's data (0600)")
    elif not settings.client_id.value or method == "none":
        secret.update(present=None, where="no client secret needed")
    else:
        what = "private-key" if method == "private_key_jwt" else None
        try:
            found = secrets.lookup(
                name,
                store=settings.secret_store.value,
                ref=settings.secret_ref.value,
                what=what,
            )
        except SecretError as exc:
            secret.update(present=None, problem=exc.message, hint=exc.hint)
        else:
            if found is None:
                secret.update(
                    present=False,
                    where=f"not found (set {secrets.env_var_for(name, what)} or store it)",
                )
            else:
                secret.update(present=True, source=found.source, where=found.where)
    return Result(
        command=("profile", "show"),
        data={
            "profile": name,
            "settings": settings.to_dict(),
            "secret": secret,
            "grants": (settings.profile.grants or "").split(),
        },
    )


def set_profile(
    name: str,
    *,
    grants: tuple[str, ...] = (),
    clear_grants: bool = False,
    auth_method: str | None = None,
) -> Result:
    """Change settings of an existing profile in place (under the configuration's lock):
    pin grant types its IdP's metadata omits, or switch the client's auth method."""
    from agentctl.core.capabilities import GRANT_ALIASES, grant_type

    pinned: list[str] = []
    for given in grants:
        uri = grant_type(given)
        if uri is None:
            raise UsageError(
                f"unknown grant {given!r} to pin",
                hint=f"use one of {', '.join(sorted(GRANT_ALIASES))} (or their URIs)",
            )
        pinned.append(uri)
    if not (pinned or clear_grants or auth_method):
        raise UsageError(
            "nothing to set", hint="pass --grant GRANT (repeat), --clear-grants or --auth-method"
        )
    changed: list[Profile] = []

    def change(config: profiles.Config) -> profiles.Config:
        if name not in config.profiles:
            profiles.get(config, name)  # unknown: fails naming the known ones
            raise UsageError(
                f"profile {name!r} is the built-in embedded IdP; it has nothing to set",
                hint="add a profile with `agentctl profile add`",
            )
        current = config.profiles[name]
        now = [] if clear_grants else (current.grants or "").split()
        values: dict[str, Any] = {"grants": " ".join(dict.fromkeys([*now, *pinned])) or None}
        if auth_method is not None:
            values["auth_method"] = auth_method
        updated = dc_replace(current, **values)
        changed.append(updated)
        return profiles.upsert(config, updated, replace_existing=True)

    _, path = profiles.update(change)
    profile = changed[-1]
    return Result(
        command=("profile", "set"),
        data={
            "action": "updated",
            "profile": name,
            "active": False,
            "config_file": str(path),
            "settings": profile.to_toml(),
            "grants": (profile.grants or "").split(),
        },
    )


def use_profile(name: str) -> Result:
    def change(config: profiles.Config) -> profiles.Config:
        profiles.get(config, name)  # unknown names fail with the list of known ones
        config.active = name
        return config

    _, path = profiles.update(change)
    return Result(
        command=("profile", "use"),
        data={"action": "activated", "profile": name, "active": True, "config_file": str(path)},
    )


def remove_profile(name: str, *, keep_secret: bool = False) -> Result:
    removed: list[Profile] = []

    def change(config: profiles.Config) -> profiles.Config:
        removed.append(profiles.get(config, name))
        return profiles.remove(config, name)

    # The profile goes first (under the lock), its secrets after: a profile never names a
    # secret that is gone.
    _, path = profiles.update(change)
    profile = removed[0]
    warnings: list[str] = []
    deleted: list[str] = []
    if not keep_secret and profile.secret_store != "env":  # noqa: S105 - a store name
        try:
            store = secrets.store_for(profile.secret_store, profile=name)
            keys = {secrets.secret_ref_for(name, w) for w in ("client-secret", "private-key")}
            for key in sorted(keys | ({profile.secret_ref} if profile.secret_ref else set())):
                if store.delete(key):
                    deleted.append(store.describe(key))
        except SecretError as exc:
            warnings.append(f"its secret was not removed: {exc.message}")
    return Result(
        command=("profile", "remove"),
        data={
            "action": "removed",
            "profile": name,
            "active": False,
            "config_file": str(path),
            "secrets_deleted": deleted,
        },
        warnings=warnings,
    )


__all__ = [
    "add_profile",
    "list_profiles",
    "remove_profile",
    "set_profile",
    "show_profile",
    "use_profile",
]
