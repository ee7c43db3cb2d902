"""`agentctl demo`: the whole story on the embedded IdP in one command."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from agentctl.cli.options import JsonOpt, ShowTokenOpt

if TYPE_CHECKING:
    from agentctl.output.result import Result


def demo_command(
    ctx: typer.Context, show_token: ShowTokenOpt = False, json_out: JsonOpt = False
) -> None:
    """Run the three modes and the ID-JAG path on the embedded IdP, checked, side by side.

    Creates (once) a demo user alice, with a random password kept in a 0600 file beside the
    IdP's data, and a demo agent demo-agent, and lets the agent act for alice. Then: a token
    for each mode (agent, user, obo), the ID-JAG path to the second issuer (mcp-as, found
    through its RFC 9728 metadata), what each demo resource sees, and the audit trail.
    Re-running reuses the user and the agent. Needs no keyring and no configuration.

    Exit codes: 0 every check held; 5 a token had the wrong shape; 6 the IdP refused a step.
    """
    from datetime import UTC, datetime

    from agentctl.cli.context import http_for
    from agentctl.output.demo import render_demo
    from agentctl.output.render import emit
    from agentctl.services.demo import run_demo

    with http_for(ctx, embedded=True) as http:
        result = run_demo(http=http, now=lambda: datetime.now(tz=UTC), show_token=show_token)
    remember_demo_defaults(result)
    emit(result, json_out=json_out, human=render_demo)
    if result.exit_code:
        raise typer.Exit(int(result.exit_code))


def remember_demo_defaults(result: Result) -> None:
    """Make the demo's agent and user the embedded profile's defaults, so that
    `agentctl exchange --mode obo` runs as is afterwards. Defaults a person chose stay, unless
    the agent they name is gone."""
    from agentctl.services.demo import demo_settings
    from agentctl.services.exchange import remember_demo_defaults as remember

    agent = (result.data.get("agent") or {}).get("name")
    user = (result.data.get("user") or {}).get("name")
    if isinstance(agent, str) and isinstance(user, str):
        result.data["defaults"] = remember(demo_settings(), agent=agent, user=user)


def register(app: typer.Typer) -> None:
    """Add `demo` to the root app."""
    app.command("demo")(demo_command)


__all__ = ["demo_command", "register"]
