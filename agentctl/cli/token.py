"""`agentctl token introspect|revoke TOKEN|-|@FILE`: RFC 7662 and RFC 7009 at the profile's IdP."""

from __future__ import annotations

from typing import Annotated

import click
import typer

from agentctl.cli.options import JsonOpt, ProfileOpt, TraceOpt

token_app = typer.Typer(
    name="token",
    help="Ask the IdP about a token (RFC 7662 introspection) or revoke it (RFC 7009).",
    no_args_is_help=True,
)

TokenArg = Annotated[
    str,
    typer.Argument(
        metavar="TOKEN",
        help="The token, - to read stdin, or @FILE ('Bearer ' prefixes and whitespace are "
        "tolerated).",
        show_default=False,
    ),
]
AgentOpt = Annotated[
    str | None,
    typer.Option(
        "--agent",
        help="Authenticate as this agent (default: the profile's default agent, else the "
        "profile's own client). Most IdPs answer only about the asking client's tokens.",
    ),
]


def _run(
    ctx: click.Context,
    action: str,
    token: str,
    agent: str | None,
    profile: str | None,
    trace: bool,
    json_out: bool,
) -> None:
    from agentctl.cli.context import http_for
    from agentctl.config.resolve import flag_from_context, resolve_settings
    from agentctl.core.tokens import normalize
    from agentctl.oauth.trace import Tracer
    from agentctl.output import exchange as exchange_out
    from agentctl.output import token as out_mod
    from agentctl.output.render import emit
    from agentctl.services import token as service
    from agentctl.services.inspect import read_token_text

    raw = normalize(read_token_text(token))
    settings = resolve_settings(profile_flag=flag_from_context(ctx, "profile", profile))
    tracer = Tracer(exchange_out.trace_printer() if trace and not json_out else None)
    tracer.add_secret(raw)
    http = http_for(
        ctx,
        embedded=settings.profile.embedded,
        ca_bundle=settings.ca_bundle.value,
        event_hooks=tracer.hooks(),
    )
    with http:
        if action == "introspect":
            result = service.introspect_token(raw, settings=settings, http=http, agent=agent)
            emit(result, json_out=json_out, human=out_mod.render_introspect)
        else:
            result = service.revoke_token(raw, settings=settings, http=http, agent=agent)
            emit(result, json_out=json_out, human=out_mod.render_revoke)
    if result.exit_code:
        raise typer.Exit(int(result.exit_code))


@token_app.command("introspect")
def introspect(
    ctx: typer.Context,
    token: TokenArg,
    agent: AgentOpt = None,
    trace: TraceOpt = False,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Ask the IdP whether TOKEN is active and what it knows about it (RFC 7662).

    Exit codes: 0 active; 5 the IdP says it is not active; 6 the IdP refused the request;
    7 network; 8 the IdP has no introspection endpoint."""
    _run(ctx, "introspect", token, agent, profile, trace, json_out)


@token_app.command("revoke")
def revoke(
    ctx: typer.Context,
    token: TokenArg,
    agent: AgentOpt = None,
    trace: TraceOpt = False,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Revoke TOKEN at the IdP (RFC 7009). The IdP answers the same for a token it did not
    know, so check with `agentctl token introspect`.

    Exit codes: 0 revoked (or unknown to the IdP); 6 the IdP refused the request; 7 network;
    8 the IdP has no revocation endpoint."""
    _run(ctx, "revoke", token, agent, profile, trace, json_out)


def register(app: typer.Typer) -> None:
    """Add `token` to the root app."""
    app.add_typer(token_app, name="token")


__all__ = ["register", "token_app"]
