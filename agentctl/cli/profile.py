"""`agentctl profile add|list|show|use|remove`: named IdP connections.

Module-level imports stay light (typer only); the work happens in the `_*_profile` functions,
which return a Result and take everything they need as arguments.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agentctl.cli.options import JsonOpt, ProfileOpt

if TYPE_CHECKING:
    from agentctl.config.profiles import Profile
    from agentctl.output.result import Result

profile_app = typer.Typer(
    name="profile",
    help="Manage profiles: which IdP to talk to, as which client, with which defaults.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _complete_names(incomplete: str) -> list[str]:
    try:
        from agentctl.config import profiles

        names = {*profiles.load().profiles, profiles.DEFAULT_PROFILE}
    except Exception:
        return []
    return sorted(n for n in names if n.startswith(incomplete))


NameArg = Annotated[str, typer.Argument(help="Profile name.", autocompletion=_complete_names)]


@profile_app.command("add")
def add(
    name: NameArg,
    kind: Annotated[
        str, typer.Option("--kind", help="Provider kind: oidc, local or entra (okta, … later).")
    ] = "oidc",
    issuer: Annotated[
        str | None,
        typer.Option("--issuer", help="Issuer URL (https://, or http:// on loopback)."),
    ] = None,
    client_id: Annotated[str | None, typer.Option("--client-id", help="OAuth client id.")] = None,
    auth_method: Annotated[
        str,
        typer.Option(
            "--auth-method",
            help="client_secret_basic, client_secret_post, private_key_jwt or none.",
        ),
    ] = "client_secret_basic",
    secret_store: Annotated[
        str | None,
        typer.Option(
            "--secret-store",
            help="Where the secret lives: keyring (default), file (0600 in the config dir) "
            "or env (AGENTCTL_SECRET_<PROFILE>, read-only).",
        ),
    ] = None,
    secret_stdin: Annotated[
        bool, typer.Option("--secret-stdin", help="Read the client secret from stdin.")
    ] = False,
    prompt_secret: Annotated[
        bool, typer.Option("--prompt-secret", help="Ask for the client secret (hidden).")
    ] = False,
    private_key: Annotated[
        str | None,
        typer.Option("--private-key", help="PEM private key file for private_key_jwt."),
    ] = None,
    key_id: Annotated[
        str | None, typer.Option("--key-id", help="kid for private_key_jwt (default: thumbprint).")
    ] = None,
    assertion_aud: Annotated[
        str | None,
        typer.Option(
            "--assertion-aud", help="private_key_jwt audience: token_endpoint (default) or issuer."
        ),
    ] = None,
    ca_bundle: Annotated[
        str | None, typer.Option("--ca-bundle", help="CA bundle file for a private CA.")
    ] = None,
    audience: Annotated[
        str | None, typer.Option("--audience", help="Default audience/resource.")
    ] = None,
    scope: Annotated[str | None, typer.Option("--scope", help="Default scope.")] = None,
    description: Annotated[str | None, typer.Option("--description", help="A note.")] = None,
    tenant: Annotated[
        str | None, typer.Option("--tenant", help="Entra: tenant id or domain.")
    ] = None,
    cloud: Annotated[
        str | None, typer.Option("--cloud", help="Entra: public (default), usgov or china.")
    ] = None,
    blueprint_app_id: Annotated[
        str | None,
        typer.Option("--blueprint-app-id", help="Entra: an Agent ID blueprint to reuse."),
    ] = None,
    public_client_id: Annotated[
        str | None,
        typer.Option(
            "--public-client-id", help="Entra: an app with public client flows (device code)."
        ),
    ] = None,
    use: Annotated[bool, typer.Option("--use", help="Make it the active profile.")] = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite an existing profile of that name.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Add a profile. Secrets come from stdin or a hidden prompt, never the command line."""
    from agentctl.config.profiles import Profile
    from agentctl.output.profile import render_changed
    from agentctl.output.render import emit

    secret_value = _read_secret(secret_stdin, prompt_secret)
    profile = Profile(
        name=name,
        kind=kind,
        issuer=issuer,
        client_id=client_id,
        auth_method=auth_method,
        secret_store=secret_store,
        key_id=key_id,
        assertion_audience=assertion_aud,
        ca_bundle=ca_bundle,
        audience=audience,
        scope=scope,
        description=description,
        tenant=tenant,
        cloud=cloud,
        blueprint_app_id=blueprint_app_id,
        public_client_id=public_client_id,
    )
    result = add_profile(
        profile, secret=secret_value, private_key_file=private_key, use=use, replace=replace
    )
    emit(result, json_out=json_out, human=render_changed)


def _read_secret(from_stdin: bool, prompt: bool) -> str | None:
    from agentctl.config.secrets import read_secret_input
    from agentctl.errors import UsageError

    if from_stdin and prompt:
        raise UsageError("choose one of --secret-stdin and --prompt-secret")
    if from_stdin:
        return read_secret_input(stdin=sys.stdin)
    if prompt:
        return read_secret_input(
            prompt="Client secret (hidden): ",
            getpass=lambda text: typer.prompt(text, hide_input=True, prompt_suffix=""),
        )
    return None


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
    from dataclasses import replace as dc_replace
    from pathlib import Path

    from agentctl.config import profiles, secrets
    from agentctl.errors import InputError, UsageError
    from agentctl.output.result import Result

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
            try:
                pem = Path(private_key_file).expanduser().read_text("utf-8")
            except OSError as exc:
                raise InputError(f"cannot read {private_key_file}: {exc.strerror}") from None
            from agentctl.oauth.keys import public_jwk_of

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
    config = profiles.upsert(config, profile, replace_existing=replace)
    if use:
        config.active = profile.name
    path = profiles.save(config)
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
    from dataclasses import replace as dc_replace

    from agentctl.config import secrets
    from agentctl.errors import UsageError

    if profile.secret_store == "env":  # noqa: S105 - a store name, not a secret
        raise UsageError(
            "--secret-store env means the secret comes from the environment, not from agentctl",
            hint=f"set {secrets.env_var_for(profile.name)} instead of passing the secret",
        )
    store = secrets.store_for(profile.secret_store, profile=profile.name)
    key = secrets.secret_ref_for(profile.name, what)
    store.set(key, value)
    return dc_replace(profile, secret_ref=key), {"store": store.name, "where": store.describe(key)}


@profile_app.command("list")
def list_(json_out: JsonOpt = False) -> None:
    """List profiles (the built-in `local` is always there)."""
    from agentctl.output.profile import render_list
    from agentctl.output.render import emit

    emit(list_profiles(), json_out=json_out, human=render_list)


def list_profiles() -> Result:
    from agentctl.config import profiles
    from agentctl.config.resolve import resolve_profile_name
    from agentctl.output.result import Result

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


@profile_app.command("show")
def show(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Argument(help="Profile (default: the active one).", autocompletion=_complete_names),
    ] = None,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Show a profile's resolved settings, each with where it came from."""
    from agentctl.config.resolve import flag_from_context
    from agentctl.output.profile import render_show
    from agentctl.output.render import emit

    chosen = name or flag_from_context(ctx, "profile", profile)
    emit(show_profile(chosen), json_out=json_out, human=render_show)


def show_profile(profile_flag: str | None) -> Result:
    from agentctl.config import secrets
    from agentctl.config.resolve import resolve_settings
    from agentctl.errors import SecretError
    from agentctl.output.result import Result

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
        data={"profile": name, "settings": settings.to_dict(), "secret": secret},
    )


@profile_app.command("use")
def use_(name: NameArg, json_out: JsonOpt = False) -> None:
    """Make NAME the active profile."""
    from agentctl.output.profile import render_changed
    from agentctl.output.render import emit

    emit(use_profile(name), json_out=json_out, human=render_changed)


def use_profile(name: str) -> Result:
    from agentctl.config import profiles
    from agentctl.output.result import Result

    config = profiles.load()
    profiles.get(config, name)  # unknown names fail with the list of known ones
    config.active = name
    path = profiles.save(config)
    return Result(
        command=("profile", "use"),
        data={"action": "activated", "profile": name, "active": True, "config_file": str(path)},
    )


@profile_app.command("remove")
def remove(
    name: NameArg,
    keep_secret: Annotated[
        bool, typer.Option("--keep-secret", help="Leave its secret in the store.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Remove a profile and (unless --keep-secret) its stored secret."""
    from agentctl.output.profile import render_changed
    from agentctl.output.render import emit

    emit(remove_profile(name, keep_secret=keep_secret), json_out=json_out, human=render_changed)


def remove_profile(name: str, *, keep_secret: bool = False) -> Result:
    from agentctl.config import profiles, secrets
    from agentctl.errors import SecretError
    from agentctl.output.result import Result

    config = profiles.load()
    profile = profiles.get(config, name)
    config = profiles.remove(config, name)
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
    path = profiles.save(config)
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


def register(app: typer.Typer) -> None:
    app.add_typer(profile_app, name="profile")


__all__ = [
    "add_profile",
    "list_profiles",
    "profile_app",
    "register",
    "remove_profile",
    "show_profile",
    "use_profile",
]
