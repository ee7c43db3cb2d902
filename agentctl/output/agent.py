"""Human renderers for `agentctl agent …`."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from agentctl.output.register import (
    agent_rows,
    fields_table,
    render_credential,
    render_requests,
)
from agentctl.output.result import Result


def render_list(console: Console, result: Result) -> None:
    agents = result.data["agents"]
    if not agents:
        console.print(
            Text(
                f"no agents in profile {result.data['profile']} — `agentctl register NAME` "
                "creates one",
                style="muted",
            )
        )
        return
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="key")
    table.add_column("name", no_wrap=True)
    table.add_column("client id", no_wrap=True)
    table.add_column("credential", no_wrap=True)
    table.add_column("sponsor", overflow="fold")
    for agent in agents:
        table.add_row(
            agent["name"],
            agent["client_id"],
            agent["credential_type"],
            agent.get("sponsor") or "",
        )
    console.print(table)
    issuers = sorted({a.get("issuer") or "" for a in agents} - {""})
    if issuers:
        console.print(Text(f"issuer: {', '.join(issuers)}", style="muted"), soft_wrap=True)


def render_show(console: Console, result: Result) -> None:
    data = result.data
    console.print(fields_table(agent_rows(data["agent"])))
    cred = data["credential"]
    if cred.get("present"):
        console.print(Text(f"credential present ({cred.get('method')})", style="ok"))
    else:
        line = Text("credential missing", style="bad")
        if cred.get("problem"):
            line.append(f": {cred['problem']}")
        if cred.get("hint"):
            line.append(f" — {cred['hint']}", style="muted")
        console.print(line, soft_wrap=True)
    if data.get("at_idp") is False:
        console.print(
            Text("the embedded IdP no longer knows this client", style="bad"), soft_wrap=True
        )


def render_changed(console: Console, result: Result) -> None:
    data = result.data
    agent = data["agent"]
    line = Text(f"{data['action']} ", style="ok")
    line.append(f"agent {agent['name']}", style="key")
    line.append(f" ({agent['client_id']})", style="muted")
    console.print(line)
    for what in data.get("deleted_at_idp") or []:
        console.print(Text(f"deleted {what}", style="muted"), soft_wrap=True)
    if data.get("forgotten"):
        console.print(
            Text(f"removed its credential from {agent['secret_location']}", style="muted"),
            soft_wrap=True,
        )
    cred = data.get("credential")
    if cred:
        console.print(
            Text(f"new credential stored in {cred['stored_in']}", style="muted"), soft_wrap=True
        )
        render_credential(console, cred)
    if data.get("requests"):
        render_requests(console, data["requests"])


__all__ = ["render_changed", "render_list", "render_show"]
