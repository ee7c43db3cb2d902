"""`agentctl mcp URL`: a remote MCP server's authorization, a token in a mode, and a session
with the official MCP SDK client. The SDK (`agentctl[mcp]`) is imported only when used."""

from __future__ import annotations

from typing import Annotated

import click
import typer

from agentctl.cli.options import JsonOpt, ProfileOpt, ShowTokenOpt, TraceOpt


def mcp_command(
    ctx: typer.Context,
    url: Annotated[
        str, typer.Argument(help="The MCP server's URL (its streamable HTTP endpoint).")
    ],
    mode: Annotated[
        str | None,
        typer.Option(
            "--mode",
            click_type=click.Choice(("agent", "user", "obo", "id-jag")),
            help="agent: client credentials at the server's authorization server. user: the "
            "user's identity there (ID-JAG when it is another domain). obo: RFC 8693 delegation "
            "where that AS takes token exchange. id-jag: ID-JAG at the profile's IdP, then "
            "jwt-bearer at the server's AS. Default: id-jag when the AS takes ID-JAGs, else "
            "agent.",
            show_default=False,
        ),
    ] = None,
    agent: Annotated[
        str | None,
        typer.Option("--agent", help="The agent (name or client id). Default: the profile's."),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            help="Embedded IdP: sign this user in (password from $AGENTCTL_USER_PASSWORD, "
            "--password-stdin or a prompt). Default: the profile's.",
        ),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the --user password from stdin.")
    ] = False,
    subject_token: Annotated[
        str | None,
        typer.Option(
            "--subject-token",
            metavar="TOKEN|@FILE|-",
            help="The user's token (ID token for id-jag) instead of signing in.",
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            metavar="TOKEN|@FILE|-",
            help="Present this access token as it is (no mode): would the server take it?",
        ),
    ] = None,
    scope: Annotated[
        str | None, typer.Option("--scope", help="Space-separated scopes to ask for.")
    ] = None,
    call: Annotated[
        str | None, typer.Option("--call", metavar="TOOL", help="Call this tool (tools/call).")
    ] = None,
    args: Annotated[
        str | None,
        typer.Option("--args", metavar="JSON", help="The tool's arguments, a JSON object."),
    ] = None,
    probe: Annotated[
        bool,
        typer.Option("--probe", help="Show the server's authorization only: no token, no session."),
    ] = False,
    as_client_id: Annotated[
        str | None,
        typer.Option(
            "--as-client-id",
            help="The agent's client id at the server's authorization server, when it differs "
            "from its IdP client id (secret from $AGENTCTL_AS_CLIENT_SECRET, else a public "
            "client).",
        ),
    ] = None,
    trace: TraceOpt = False,
    show_token: ShowTokenOpt = False,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Reach a remote MCP server as an agent: its authorization, a token, a real session.

    Shows the server's 401 and WWW-Authenticate, its RFC 9728 metadata (the authorization
    servers it trusts) and that server's grants; obtains a token in the mode asked; checks it
    as `exchange` does, plus the server's view (issuer one of its authorization servers,
    audience its resource id, not expired); then runs initialize and tools/list (and
    --call TOOL --args JSON) with the official MCP SDK client over streamable HTTP.

    Exit codes: 0 the server accepted the token and every check holds; 5 a check failed or
    the server refused the token; 6 an authorization server refused, or the tool answered
    with isError; 7 network or MCP session failure; 8 the AS lacks what the mode needs;
    3 the MCP SDK is not installed (pip install 'agentctl[mcp]').
    """
    from datetime import UTC, datetime

    from agentctl.cli.context import http_for
    from agentctl.cli.exchange import _password_source, _token_arg
    from agentctl.config.resolve import flag_from_context, resolve_settings
    from agentctl.errors import UsageError
    from agentctl.oauth.trace import Tracer
    from agentctl.output import exchange as exchange_out
    from agentctl.output import mcp as out_mod
    from agentctl.output.render import emit as render
    from agentctl.services.exchange import Hooks, demo_password
    from agentctl.services.mcp import McpOptions, parse_args, run_mcp, validate
    from agentctl.services.resource_client import secret_for

    readers = [n for n, v in (("--subject-token", subject_token), ("--token", token)) if v == "-"]
    if password_stdin:
        readers.append("--password-stdin")
    if len(readers) > 1:
        raise UsageError(f"only one of {', '.join(readers)} can read stdin")
    if args is not None and call is None:
        raise UsageError("--args goes with --call TOOL")
    options = validate(
        McpOptions(
            url=url,
            mode=mode,
            agent=agent,
            user=user,
            subject_token=_token_arg(subject_token),
            token=_token_arg(token),
            scope=scope,
            call=call,
            args=parse_args(args),
            probe=probe,
            as_client_id=as_client_id,
            as_client_secret=secret_for(as_client_id),
            show_token=show_token,
            trace=trace,
        )
    )
    settings = resolve_settings(profile_flag=flag_from_context(ctx, "profile", profile))
    sink = exchange_out.trace_printer() if trace and not json_out else None
    tracer = Tracer(sink)
    for value in (options.subject_token, options.token, options.as_client_secret):
        tracer.add_secret(value)
    effective_user = user or (settings.profile.user if settings.kind.value == "local" else None)
    hooks = Hooks(
        password=_password_source(
            effective_user,
            password_stdin,
            stored=lambda name: demo_password(settings, name),
        ),
        prompt=exchange_out.device_prompt(),
    )
    http = http_for(
        ctx,
        embedded=settings.profile.embedded,
        ca_bundle=settings.ca_bundle.value,
        event_hooks=tracer.hooks(),
    )
    with http:
        result = run_mcp(
            options,
            settings=settings,
            http=http,
            now=lambda: datetime.now(tz=UTC),
            hooks=hooks,
            tracer=tracer,
        )
    render(result, json_out=json_out, human=out_mod.render_mcp)
    if result.exit_code:
        raise typer.Exit(int(result.exit_code))


def register(app: typer.Typer) -> None:
    """Add `mcp` to the root app."""
    app.command("mcp")(mcp_command)


__all__ = ["mcp_command", "register"]
