"""`agentctl profile add|list|show|set|use|remove`: named IdP connections.

Module-level imports stay light (typer only); the work happens in agentctl.services.profile,
whose `*_profile` functions return a Result and take everything they need as arguments.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from agentctl.cli.options import JsonOpt, ProfileOpt

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
    from agentctl.services.profile import add_profile

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


@profile_app.command("list")
def list_(json_out: JsonOpt = False) -> None:
    """List profiles (the built-in `local` is always there)."""
    from agentctl.output.profile import render_list
    from agentctl.output.render import emit
    from agentctl.services.profile import list_profiles

    emit(list_profiles(), json_out=json_out, human=render_list)


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
    from agentctl.services.profile import show_profile

    chosen = name or flag_from_context(ctx, "profile", profile)
    emit(show_profile(chosen), json_out=json_out, human=render_show)


@profile_app.command("set")
def set_(
    name: NameArg,
    grant: Annotated[
        list[str] | None,
        typer.Option(
            "--grant",
            help="Pin a grant the IdP offers although its metadata omits it (repeat): "
            "client_credentials, token-exchange, jwt-bearer or device_code.",
        ),
    ] = None,
    clear_grants: Annotated[
        bool, typer.Option("--clear-grants", help="Forget the pinned grants first.")
    ] = False,
    auth_method: Annotated[
        str | None,
        typer.Option(
            "--auth-method",
            help="client_secret_basic, client_secret_post, private_key_jwt or none.",
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Change an existing profile in place: pin grants, switch the auth method."""
    from agentctl.output.profile import render_changed
    from agentctl.output.render import emit
    from agentctl.services.profile import set_profile

    result = set_profile(
        name, grants=tuple(grant or ()), clear_grants=clear_grants, auth_method=auth_method
    )
    emit(result, json_out=json_out, human=render_changed)


@profile_app.command("use")
def use_(name: NameArg, json_out: JsonOpt = False) -> None:
    """Make NAME the active profile."""
    from agentctl.output.profile import render_changed
    from agentctl.output.render import emit
    from agentctl.services.profile import use_profile

    emit(use_profile(name), json_out=json_out, human=render_changed)


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
    from agentctl.services.profile import remove_profile

    emit(remove_profile(name, keep_secret=keep_secret), json_out=json_out, human=render_changed)


def register(app: typer.Typer) -> None:
    app.add_typer(profile_app, name="profile")


__all__ = ["profile_app", "register"]
