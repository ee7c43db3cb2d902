"""Human renderers for `agentctl profile …`."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

from agentctl.output.layout import Col, fit_table, print_wrapped
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
    if "grants" in data:
        pinned = ", ".join(data["grants"]) or "none"
        console.print(Text(f"grants pinned as offered: {pinned}", style="muted"))
    console.print(Text(f"config: {data['config_file']}", style="muted"))


def render_list(console: Console, result: Result) -> None:
    columns = [
        Col(""),
        Col("name", wrap=True),
        Col("kind"),
        Col("issuer"),
        Col("client id"),
        Col("auth"),
        Col("secret store", wrap=True),
    ]
    rows = [
        [
            Text("*", style="ok") if row["active"] else "",
            row["name"] + (" (built in)" if row["builtin"] else ""),
            row["kind"],
            row["issuer"] or "",
            row["client_id"] or "",
            row["auth_method"] or "",
            row["secret_store"] or "",
        ]
        for row in result.data["profiles"]
    ]
    # issuers and client ids are copied from here: never cut (folds to blocks when narrow)
    console.print(fit_table(columns, rows, title_columns=2), soft_wrap=True)
    active = result.data["active"]
    print_wrapped(
        console,
        Text("active: ", "muted"),
        Text(f"{active['value']} ({active['source']}: {active['detail']})", "muted"),
    )


def _value(value: Any) -> Text:
    return Text("-", style="muted") if value is None else Text(str(value))


def render_show(console: Console, result: Result) -> None:
    data = result.data
    rows: list[list[Any]] = []
    for key, item in data["settings"].items():
        source, detail = item["source"], item["detail"]
        if detail:
            # "profile corp" for a stored value; "env (AGENTCTL_SCOPE)" for the rest
            plain = source == "profile" and " " not in detail
            source = f"{source} {detail}" if plain else f"{source} ({detail})"
        rows.append([key, _value(item["value"]), source])
    secret = data["secret"]
    if secret.get("problem"):
        shown = Text(f"unavailable: {secret['problem']}", style="warn")
    elif secret.get("present") is False:
        shown = Text(secret["where"], style="warn")
    else:
        shown = Text(secret.get("where", ""))
    rows.append(["secret", shown, secret.get("source", secret["store"])])
    columns = [Col("setting"), Col("value", wrap=True), Col("source", wrap=True, style="muted")]
    console.print(fit_table(columns, rows), soft_wrap=True)
    if secret.get("hint"):
        console.print(Text(secret["hint"], style="muted"))


__all__ = ["render_changed", "render_list", "render_show"]
