"""`agentctl register NAME`: create an agent identity at the profile's IdP and keep its
credential (see agentctl.services.register)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from agentctl.cli.options import JsonOpt, ProfileOpt, ShowSecretOpt

if TYPE_CHECKING:
    import click
    import httpx

    from agentctl.config.resolve import Settings

INITIAL_TOKEN_ENV = "AGENTCTL_INITIAL_ACCESS_TOKEN"  # noqa: S105 - a variable name


def client_for(
    ctx: click.Context | None, settings: Settings, *, dry_run: bool = False
) -> httpx.Client:
    """The HTTP client for a command on `settings`' IdP: in-process for the embedded IdP,
    injected in tests, else the network. With `dry_run`, writes are stopped (DryRunStop)."""
    from agentctl.cli.context import embedded_transport, http_for, injected

    embedded = settings.kind.value == "local" and not settings.issuer.value
    ca_bundle = settings.ca_bundle.value
    if ca_bundle:
        check_ca_bundle(ca_bundle, settings.ca_bundle.describe())
    if not dry_run:
        return http_for(ctx, embedded=embedded, ca_bundle=ca_bundle)
    from agentctl.oauth.dryrun import dry_run_client

    transport = injected(ctx, "transport")
    if transport is None and embedded:
        transport = embedded_transport()
    return dry_run_client(inner=transport, ca_bundle=ca_bundle)


def check_ca_bundle(path: str, source: str) -> None:
    """A missing or unreadable CA bundle is a configuration error, not a crash."""
    from pathlib import Path

    from agentctl.errors import ConfigError

    try:
        Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"CA bundle {path} cannot be read ({exc.strerror}; from {source})",
            hint="fix the path given by --ca-bundle, AGENTCTL_CA_BUNDLE or the profile",
        ) from None


def register_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The agent's name (unique within the profile).")],
    description: Annotated[
        str | None, typer.Option("--description", help="What the agent does.")
    ] = None,
    sponsor: Annotated[
        str | None,
        typer.Option("--sponsor", help="The accountable human (email, or Entra UPN/object id)."),
    ] = None,
    credential: Annotated[
        str,
        typer.Option(
            "--credential",
            help="client-secret, or private-key-jwt (key pair made here; only the public key "
            "is registered).",
        ),
    ] = "client-secret",
    audience: Annotated[
        list[str] | None,
        typer.Option("--audience", help="An audience the agent may ask tokens for (repeat)."),
    ] = None,
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="A scope the agent may ask for (repeat).")
    ] = None,
    may_act_for: Annotated[
        list[str] | None,
        typer.Option("--may-act-for", help="A user the agent may act for (repeat)."),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Create it again if an agent of that name exists.")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Show the exact requests it would send; change nothing."),
    ] = False,
    initial_access_token_stdin: Annotated[
        bool,
        typer.Option(
            "--initial-access-token-stdin",
            help="OIDC: read the RFC 7591 initial access token from stdin "
            f"(or {INITIAL_TOKEN_ENV}).",
        ),
    ] = False,
    kind: Annotated[
        str | None,
        typer.Option("--kind", help="Entra: app (default) or agent-identity (Agent ID)."),
    ] = None,
    agent_user: Annotated[
        str | None,
        typer.Option(
            "--agent-user", help="Entra agent-identity: also create this agent user (UPN)."
        ),
    ] = None,
    show_secret: ShowSecretOpt = False,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Register an agent: create its identity at the IdP and keep its credential.

    The credential goes to the profile's secret store (the embedded IdP keeps it with its own
    data); it is printed only with --show-secret. Running it again with the same name reports
    the existing agent unless --replace.
    """
    import os

    from agentctl.config.resolve import flag_from_context, resolve_settings
    from agentctl.output.register import render_register
    from agentctl.output.render import emit
    from agentctl.services.register import RegisterRequest, register_agent

    settings = resolve_settings(profile_flag=flag_from_context(ctx, "profile", profile))
    token = None
    if initial_access_token_stdin:
        from agentctl.config.secrets import read_secret_input

        token = read_secret_input(stdin=sys.stdin)
    elif os.environ.get(INITIAL_TOKEN_ENV):
        token = os.environ[INITIAL_TOKEN_ENV]
    req = RegisterRequest(
        name=name,
        description=description,
        sponsor=sponsor,
        credential=credential,
        audiences=tuple(audience or ()),
        scopes=tuple(scope or ()),
        may_act_for=tuple(may_act_for or ()),
        replace=replace,
        dry_run=dry_run,
        show_secret=show_secret,
        initial_access_token=token,
        entra_kind=kind,
        agent_user=agent_user,
    )
    with client_for(ctx, settings, dry_run=dry_run) as http:
        result = register_agent(
            settings,
            http,
            req,
            progress=None if json_out else (lambda text: typer.echo(f"… {text}", err=True)),
        )
    emit(result, json_out=json_out, human=render_register)
    if result.exit_code:
        raise typer.Exit(int(result.exit_code))


def register(app: typer.Typer) -> None:
    app.command("register")(register_command)


__all__ = ["check_ca_bundle", "client_for", "register", "register_command"]
