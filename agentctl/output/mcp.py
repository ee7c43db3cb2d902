"""Human output of `agentctl mcp`: the server's authorization, the run that obtained the token
(steps, the token explained, checks — as `exchange` shows them), then what the server did."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from agentctl.output.exchange import names_of, render_run, steps_table
from agentctl.output.result import Result


def render_mcp(console: Console, result: Result) -> None:
    data = result.data
    head = Text("mcp ", style="key")
    head.append(str(data.get("url")))
    if data.get("mode"):
        head.append(f"  --mode {data['mode']}", style="muted")
    head.append(f"  profile {data.get('profile')}", style="muted")
    console.print(head, soft_wrap=True)
    agent = data.get("agent") or {}
    who = [f"agent {agent.get('name')} ({agent.get('client_id')})"] if agent else []
    if data.get("user"):
        who.append(f"user {data['user']}")
    if who:
        console.print(Text("  " + ", ".join(who), style="muted"), soft_wrap=True)
    for note in data.get("notes") or []:
        console.print(Text(f"  note: {note}", style="info"), soft_wrap=True)
    _authorization(console, data.get("authorization"), data.get("discovery"))
    run = data.get("run")
    if run:
        render_run(console, run, names_of(data))
    _server(console, data.get("server"))
    console.print()
    if data.get("ok") and not run:
        console.print(Text("authorization shown (--probe: no token asked for)", style="ok"))
    elif data.get("ok"):
        console.print(Text("the server accepted the token; every check holds", style="ok"))


def _authorization(
    console: Console, auth: dict[str, Any] | None, discovery: dict[str, Any] | None
) -> None:
    console.print()
    console.print(Text("authorization — what the server says before any token", style="key"))
    if discovery:
        console.print(steps_table(discovery.get("steps") or []))
    if not auth:
        return
    table = Table(show_header=False, show_edge=False, box=None, padding=(0, 1))
    table.add_column(style="muted")
    table.add_column(overflow="fold")
    table.add_row("resource", str(auth.get("resource")))
    table.add_row("trusts", " ".join(auth.get("authorization_servers") or []) or "(none)")
    server = auth.get("authorization_server") or {}
    if server:
        table.add_row("grants", " ".join(server.get("grant_types_supported") or []) or "(none)")
        table.add_row("ID-JAG", "takes them" if server.get("id_jag") else "not advertised")
        if server.get("registration_endpoint"):
            table.add_row("register", str(server["registration_endpoint"]))
    console.print(table)


def _server(console: Console, server: dict[str, Any] | None) -> None:
    if not server:
        return
    console.print()
    if not server.get("accepted"):
        line = Text("the MCP server refused the token: ", style="bad")
        line.append(f"HTTP {server.get('status')}")
        if server.get("www_authenticate"):
            line.append(f"  WWW-Authenticate: {server['www_authenticate']}", style="muted")
        console.print(line, soft_wrap=True)
        return
    init = server.get("initialize") or {}
    info = init.get("server_info") or {}
    line = Text("the MCP server accepted the token: ", style="ok")
    line.append(f"{info.get('name', '?')} {info.get('version', '')}".strip())
    line.append(f"  protocol {init.get('protocol_version')}", style="muted")
    console.print(line, soft_wrap=True)
    tools = server.get("tools") or []
    table = Table(title=f"tools ({len(tools)})", title_justify="left", box=None, padding=(0, 1))
    table.add_column("name", style="key")
    table.add_column("description", overflow="fold")
    for tool in tools:
        table.add_row(str(tool.get("name")), str(tool.get("description") or ""))
    console.print(table)
    call = server.get("call")
    if call:
        style = "bad" if call.get("is_error") else "ok"
        console.print(Text(f"tools/call {call.get('tool')}:", style=style))
        for item in call.get("content") or []:
            text = item.get("text") if item.get("type") == "text" else f"({item.get('type')})"
            console.print(Text(f"  {text}"), soft_wrap=True)


__all__ = ["render_mcp"]
