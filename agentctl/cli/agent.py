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
    help="Registered agents: list, show, rotate the credential, delete.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

NameArg = Annotated[str, typer.Argument(help="Agent name (or client id).")]


def _settings(ctx: typer.Context, profile: str | None) -> Settings:
    from agentctl.config.resolve import flag_from_context, resolve_settings

    return resolve_settings(profile_flag=flag_from_context(ctx, "profile", profile))


@agent_app.command("list")
def list_(ctx: typer.Context, profile: ProfileOpt = None, json_out: JsonOpt = False) -> None:
    """List the profile's registered agents."""
    from agentctl.output.agent import render_list
    from agentctl.output.render import emit
    from agentctl.services.agent_lifecycle import list_registered

    emit(list_registered(_settings(ctx, profile)), json_out=json_out, human=render_list)


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
    emit(result, json_out=json_out, human=render_changed)


def register(app: typer.Typer) -> None:
    app.add_typer(agent_app, name="agent")


__all__ = ["agent_app", "register"]
