"""`agentctl agent list|show|rotate|delete`: registered agents, at the IdP and in the store
together (see agentctl.services.agent_lifecycle)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from agentctl.cli.options import JsonOpt, ProfileOpt, ShowSecretOpt

if TYPE_CHECKING:
    from agentctl.config.resolve import Settings

agent_app = typer.Typer(
    name="agent",
    help="Registered agents: list, show, pick the default (use), rotate the credential, delete; "
    "Entra: grant, disable, enable, restore.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

NameArg = Annotated[str, typer.Argument(help="Agent name (or client id).")]
MAX_LIST_LIMIT = 1_000_000  # keeps --limit an SQLite integer


def _settings(ctx: typer.Context, profile: str | None) -> Settings:
    from agentctl.config.resolve import flag_from_context, resolve_settings

    return resolve_settings(profile_flag=flag_from_context(ctx, "profile", profile))


@agent_app.command("list")
def list_(
    ctx: typer.Context,
    profile: ProfileOpt = None,
    limit: Annotated[
        int | None,
        typer.Option(help="Show at most N agents (a page).", min=1, max=MAX_LIST_LIMIT),
    ] = None,
    after: Annotated[
        str | None,
        typer.Option(help="Start after this agent name (the previous page's next_after)."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """List the profile's registered agents, by name."""
    from agentctl.output.agent import render_list
    from agentctl.output.render import emit
    from agentctl.services.agent_lifecycle import list_registered

    result = list_registered(_settings(ctx, profile), limit=limit, after=after)
    emit(result, json_out=json_out, human=render_list)


@agent_app.command("show")
def show(
    ctx: typer.Context, name: NameArg, profile: ProfileOpt = None, json_out: JsonOpt = False
) -> None:
    """Show an agent: ids, endpoints, credential type and where it is stored."""
    from agentctl.cli.register import client_for
    from agentctl.output.agent import render_show
    from agentctl.output.render import emit
    from agentctl.services.agent_lifecycle import show_agent

    settings = _settings(ctx, profile)
    embedded = settings.kind.value == "local" and not settings.issuer.value
    if embedded:
        with client_for(ctx, settings) as http:
            result = show_agent(settings, name, http=http)
    else:
        result = show_agent(settings, name)
    emit(result, json_out=json_out, human=render_show)


@agent_app.command("rotate")
def rotate(
    ctx: typer.Context,
    name: NameArg,
    show_secret: ShowSecretOpt = False,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Issue a new secret (or key pair) at the IdP and store it; the old one stops working."""
    from agentctl.cli.register import client_for
    from agentctl.output.agent import render_changed
    from agentctl.output.render import emit
    from agentctl.services.agent_lifecycle import rotate_agent

    settings = _settings(ctx, profile)
    with client_for(ctx, settings) as http:
        result = rotate_agent(settings, http, name, show_secret=show_secret)
    emit(result, json_out=json_out, human=render_changed)


@agent_app.command("delete")
def delete(
    ctx: typer.Context,
    name: NameArg,
    local_only: Annotated[
        bool,
        typer.Option(
            "--local-only", help="Only forget it here (when it was already deleted at the IdP)."
        ),
    ] = False,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Delete the agent at the IdP, then its stored credential."""
    from agentctl.cli.register import client_for
    from agentctl.output.agent import render_changed
    from agentctl.output.render import emit
    from agentctl.services.agent_lifecycle import delete_agent

    settings = _settings(ctx, profile)
    with client_for(ctx, settings) as http:
        result = delete_agent(settings, http, name, local_only=local_only)
    if not result.exit_code:
        from agentctl.services.defaults import forget_agent

        deleted = (result.data.get("agent") or {}).get("name")
        if isinstance(deleted, str):
            forget_agent(settings.name.value, deleted)
    emit(result, json_out=json_out, human=render_changed)


@agent_app.command("grant")
def grant(
    ctx: typer.Context, name: NameArg, profile: ProfileOpt = None, json_out: JsonOpt = False
) -> None:
    """Entra: make the consent an agent identity needs (delegated grants for OBO and its agent
    user, app roles); prints the admin-consent URL when the admin app may not."""
    from agentctl.cli.register import client_for
    from agentctl.output.render import emit
    from agentctl.services.entra_lifecycle import grant_agent

    settings = _settings(ctx, profile)
    with client_for(ctx, settings) as http:
        result = grant_agent(settings, http, name)
    emit(result, json_out=json_out)
    if result.exit_code:
        raise typer.Exit(int(result.exit_code))


def _set_enabled(
    ctx: typer.Context, name: str, profile: str | None, json_out: bool, on: bool
) -> None:
    from agentctl.cli.register import client_for
    from agentctl.output.agent import render_changed
    from agentctl.output.render import emit
    from agentctl.services.entra_lifecycle import set_agent_enabled

    settings = _settings(ctx, profile)
    with client_for(ctx, settings) as http:
        result = set_agent_enabled(settings, http, name, enabled=on)
    emit(result, json_out=json_out, human=render_changed)


@agent_app.command("disable")
def disable(
    ctx: typer.Context, name: NameArg, profile: ProfileOpt = None, json_out: JsonOpt = False
) -> None:
    """Entra: disable the agent identity (it gets no tokens until `agent enable`)."""
    _set_enabled(ctx, name, profile, json_out, False)


@agent_app.command("enable")
def enable(
    ctx: typer.Context, name: NameArg, profile: ProfileOpt = None, json_out: JsonOpt = False
) -> None:
    """Entra: enable a disabled agent identity again."""
    _set_enabled(ctx, name, profile, json_out, True)


@agent_app.command("restore")
def restore(
    ctx: typer.Context,
    object_id: Annotated[
        str,
        typer.Argument(help="The deleted agent identity's object id (`agent delete` printed it)."),
    ],
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Entra: restore a deleted agent identity (deletes are soft: 30 days in the recycle bin)."""
    from agentctl.cli.register import client_for
    from agentctl.output.agent import render_changed
    from agentctl.output.render import emit
    from agentctl.services.entra_lifecycle import restore_agent

    settings = _settings(ctx, profile)
    with client_for(ctx, settings) as http:
        result = restore_agent(settings, http, object_id)
    emit(result, json_out=json_out, human=render_changed)


@agent_app.command(
    "use",
    epilog="Examples:\n\n"
    "  agentctl agent use demo-agent --user alice\n\n"
    "  agentctl agent use                       # show the defaults\n\n"
    "  agentctl exchange --mode obo             # then runs with them",
)
def use(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Argument(help="The agent `exchange` uses when --agent is not given."),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user", help="The user `exchange` signs in when --user is not given (embedded IdP)."
        ),
    ] = None,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Set the profile's default agent (and user) for `agentctl exchange`; with neither, show
    them. `agentctl demo` and the first `register` on a profile set them too."""
    from agentctl.output.agent import render_use
    from agentctl.output.render import emit
    from agentctl.services.defaults import use as use_defaults

    emit(use_defaults(_settings(ctx, profile), name, user), json_out=json_out, human=render_use)


def register(app: typer.Typer) -> None:
    app.add_typer(agent_app, name="agent")


__all__ = ["agent_app", "register"]
