"""Human renderers for `agentctl agent …`."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from agentctl.output.layout import Col, fit_table, print_wrapped
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
    columns = [Col("name"), Col("client id"), Col("credential"), Col("sponsor", wrap=True)]
    rows = [
        [a["name"], a["client_id"], a["credential_type"], a.get("sponsor") or ""] for a in agents
    ]
    console.print(fit_table(columns, rows), soft_wrap=True)
    issuers = sorted({a.get("issuer") or "" for a in agents} - {""})
    if issuers:
        print_wrapped(console, Text("issuer: ", style="muted"), ", ".join(issuers))
    if result.data.get("next_after"):
        console.print(Text(f"more: --after {result.data['next_after']}", style="muted"))


def render_show(console: Console, result: Result) -> None:
    data = result.data
    console.print(fields_table(agent_rows(data["agent"])), soft_wrap=True)
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


def render_use(console: Console, result: Result) -> None:
    data = result.data
    verb = "default" if not data.get("changed") else "now the default"
    for what in ("agent", "user"):
        value = data.get(what)
        line = Text(f"{what:<6}", style="key")
        if value:
            line.append(f"{value}", style="ok" if what in data.get("changed", []) else "")
            line.append(f"  ({verb} of profile {data['profile']})", style="muted")
        else:
            line.append(f"(none: pass --{what} to `agentctl exchange`)", style="muted")
        console.print(line, soft_wrap=True)


__all__ = ["render_changed", "render_list", "render_show", "render_use"]
