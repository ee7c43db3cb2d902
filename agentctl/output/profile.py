"""Human renderers for `agentctl profile …`."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from agentctl.output.result import Result


def render_changed(console: Console, result: Result) -> None:
    data = result.data
    line = Text()
    line.append(f"{data['action']} ", style="ok")
    line.append(f"profile {data['profile']}", style="key")
    if data.get("active"):
        line.append(" (active)", style="info")
    console.print(line)
    secret = data.get("secret")
    if secret:
        console.print(Text(f"secret stored in {secret['where']}", style="muted"))
    for where in data.get("secrets_deleted", []):
        console.print(Text(f"deleted secret from {where}", style="muted"))
    console.print(Text(f"config: {data['config_file']}", style="muted"))


def render_list(console: Console, result: Result) -> None:
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="key")
    for column in ("", "name", "kind", "issuer", "client id", "auth", "secret store"):
        table.add_column(column)
    for row in result.data["profiles"]:
        table.add_row(
            Text("*", style="ok") if row["active"] else "",
            row["name"] + (" (built in)" if row["builtin"] else ""),
            row["kind"],
            row["issuer"] or "",
            row["client_id"] or "",
            row["auth_method"] or "",
            row["secret_store"] or "",
        )
    console.print(table)
    active = result.data["active"]
    console.print(
        Text(f"active: {active['value']} ({active['source']}: {active['detail']})", "muted")
    )


def _value(value: Any) -> Text:
    return Text("-", style="muted") if value is None else Text(str(value))


def render_show(console: Console, result: Result) -> None:
    data = result.data
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="key")
    table.add_column("setting")
    table.add_column("value")
    table.add_column("source", style="muted")
    for key, item in data["settings"].items():
        source, detail = item["source"], item["detail"]
        if detail:
            # "profile corp" for a stored value; "env (AGENTCTL_SCOPE)" for the rest
            plain = source == "profile" and " " not in detail
            source = f"{source} {detail}" if plain else f"{source} ({detail})"
        table.add_row(key, _value(item["value"]), source)
    secret = data["secret"]
    if secret.get("problem"):
        shown = Text(f"unavailable: {secret['problem']}", style="warn")
    elif secret.get("present") is False:
        shown = Text(secret["where"], style="warn")
    else:
        shown = Text(secret.get("where", ""))
    table.add_row("secret", shown, secret.get("source", secret["store"]))
    console.print(table)
    if secret.get("hint"):
        console.print(Text(secret["hint"], style="muted"))


__all__ = ["render_changed", "render_list", "render_show"]
