"""`agentctl register NAME`: create an agent identity at the profile's IdP and keep its
credential (see agentctl.services.register)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from agentctl.cli.options import JsonOpt, ProfileOpt, ShowSecretOpt, TraceOpt

if TYPE_CHECKING:
    import click

    from agentctl.config.resolve import Settings
    from agentctl.http_types import EventHooks, HttpClient

INITIAL_TOKEN_ENV = "AGENTCTL_INITIAL_ACCESS_TOKEN"  # noqa: S105 - a variable name


def client_for(
    ctx: click.Context | None,
    settings: Settings,
    *,
    dry_run: bool = False,
    event_hooks: EventHooks | None = None,
) -> HttpClient:
    """The HTTP client for a command on `settings`' IdP: in-process for the embedded IdP,
    injected in tests, else the network. With `dry_run`, writes are stopped (DryRunStop)."""
    from agentctl.cli.context import embedded_transport, http_for, injected

    embedded = settings.kind.value == "local" and not settings.issuer.value
    ca_bundle = settings.ca_bundle.value
    if ca_bundle:
        check_ca_bundle(ca_bundle, settings.ca_bundle.describe())
    if not dry_run:
        return http_for(ctx, embedded=embedded, ca_bundle=ca_bundle, event_hooks=event_hooks)
    from agentctl.oauth.dryrun import dry_run_client

    transport = injected(ctx, "transport")
    if transport is None and embedded:
        transport = embedded_transport()
    return dry_run_client(inner=transport, ca_bundle=ca_bundle)


def check_ca_bundle(path: str, source: str) -> None:
    """A missing or unreadable CA bundle is a configuration error, not a crash."""
    from pathlib import Path

    from agentctl import files
    from agentctl.errors import ConfigError

    try:
        files.read_bytes(
            Path(path).expanduser(),
            what="CA bundle",
            limit=files.MAX_CA_BUNDLE_FILE,
            error=ConfigError,
        )
    except ConfigError as exc:
        raise ConfigError(
            f"{exc.message} (from {source})",
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
    subject_audience: Annotated[
        list[str] | None,
        typer.Option(
            "--subject-audience",
            help="Embedded IdP: an audience of user tokens the agent may exchange from, "
            "besides tokens issued to it (repeat).",
        ),
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
    blueprint: Annotated[
        str | None,
        typer.Option(
            "--blueprint",
            help="Entra agent-identity: the blueprint to create it under, reused when it "
            "exists (default agentctl-<profile>: one blueprint for many agents).",
        ),
    ] = None,
    sponsor_group: Annotated[
        list[str] | None,
        typer.Option(
            "--sponsor-group",
            help="Entra agent-identity: a group (object id) accountable for the agent, as a "
            "further sponsor (repeat).",
        ),
    ] = None,
    owner: Annotated[
        list[str] | None,
        typer.Option(
            "--owner",
            help="Entra agent-identity: an owner of a new blueprint (user UPN or object id; "
            "repeat).",
        ),
    ] = None,
    federated_issuer: Annotated[
        str | None,
        typer.Option(
            "--federated-issuer",
            help="Entra agent-identity: give the new blueprint a federated identity credential "
            "instead of a secret: the issuer of the workload's token (a managed identity: "
            "https://login.microsoftonline.com/TENANT/v2.0).",
        ),
    ] = None,
    federated_subject: Annotated[
        str | None,
        typer.Option(
            "--federated-subject",
            help="Entra agent-identity: the subject of the workload's token (a managed "
            "identity: its principal id).",
        ),
    ] = None,
    federated_token_file: Annotated[
        str | None,
        typer.Option(
            "--federated-token-file",
            help="Entra agent-identity: the file the workload's token is kept in (read at each "
            "use; e.g. $AZURE_FEDERATED_TOKEN_FILE).",
        ),
    ] = None,
    inherit: Annotated[
        bool,
        typer.Option(
            "--inherit",
            help="Entra agent-identity: a new blueprint lists its Graph scopes as inheritable "
            "and is consented once, so every agent under it inherits them.",
        ),
    ] = False,
    auth_method: Annotated[
        str | None,
        typer.Option(
            "--auth-method",
            help="OIDC: how the agent authenticates: client_secret_basic (default for a "
            "secret), client_secret_post or private_key_jwt.",
        ),
    ] = None,
    redirect_uri: Annotated[
        list[str] | None,
        typer.Option(
            "--redirect-uri",
            help="OIDC: a redirect URI to register (repeat). Default: none, and "
            "http://127.0.0.1/agentctl-unused-redirect if the IdP insists on one.",
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Fail (and remove the client again) when the IdP's answer shows it cannot "
            "use client credentials or the asked auth method.",
        ),
    ] = False,
    show_secret: ShowSecretOpt = False,
    trace: TraceOpt = False,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Register an agent: create its identity at the IdP and keep its credential.

    The credential goes to the profile's secret store (the embedded IdP keeps it with its own
    data); it is printed only with --show-secret. Running it again with the same name reports
    the existing agent unless --replace. The IdP's answer is read back: a client it registered
    without client credentials (or with another auth method) is a warning, an error with
    --strict.
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
        subject_audiences=tuple(subject_audience or ()),
        replace=replace,
        dry_run=dry_run,
        show_secret=show_secret,
        initial_access_token=token,
        entra_kind=kind,
        agent_user=agent_user,
        blueprint=blueprint,
        sponsor_groups=tuple(sponsor_group or ()),
        owners=tuple(owner or ()),
        federated_issuer=federated_issuer,
        federated_subject=federated_subject,
        federated_token_file=federated_token_file,
        inherit=inherit,
        auth_method=auth_method,
        redirect_uris=tuple(redirect_uri or ()),
        strict=strict,
    )
    from agentctl.oauth.trace import Tracer

    tracer: Tracer | None = None
    if trace and not dry_run:
        from agentctl.output.exchange import trace_printer

        tracer = Tracer(None if json_out else trace_printer())
        tracer.add_secret(token)
    hooks = tracer.hooks() if tracer is not None else None
    with client_for(ctx, settings, dry_run=dry_run, event_hooks=hooks) as http:
        result = register_agent(
            settings,
            http,
            req,
            progress=None if json_out else (lambda text: typer.echo(f"… {text}", err=True)),
        )
    if tracer is not None and json_out:
        result.data["trace"] = [e.to_dict() for e in tracer.events]
    if not result.exit_code and not dry_run:
        # The first agent on a profile becomes its default (`agentctl agent use` changes it).
        from agentctl.services.defaults import remember

        remember(settings.name.value, agent=name, only_if_unset=True)
    emit(result, json_out=json_out, human=render_register)
    if result.exit_code:
        raise typer.Exit(int(result.exit_code))


def register(app: typer.Typer) -> None:
    app.command("register")(register_command)


__all__ = ["check_ca_bundle", "client_for", "register", "register_command"]
