"""Human output of `agentctl token introspect|revoke`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.console import Console
from rich.text import Text

from agentctl.output.layout import Col, fit_table, print_wrapped
from agentctl.output.result import Result

_TIMES = ("exp", "iat", "nbf", "auth_time")


def _value(key: str, value: Any) -> str:
    if key in _TIMES and isinstance(value, int):
        when = dt.datetime.fromtimestamp(value, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{value} ({when})"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, dict):
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _who(console: Console, data: dict[str, Any]) -> None:
    agent = data["agent"]
    print_wrapped(
        console,
        Text("  asked as ", style="muted"),
        Text(f"{agent['name']} ({agent['client_id']}) at {data['endpoint']}", style="muted"),
    )


def render_introspect(console: Console, result: Result) -> None:
    data = result.data
    line = Text(f"token {data['token']}: ", style="key")
    line.append("active", style="ok") if data["active"] else line.append("not active", "bad")
    console.print(line)
    _who(console, data)
    claims = data.get("claims") or {}
    if claims:
        rows = [[key, _value(key, value)] for key, value in claims.items()]
        columns = [Col("", style="key"), Col("", wrap=True)]
        console.print(fit_table(columns, rows, show_header=False, indent=2), soft_wrap=True)


def render_revoke(console: Console, result: Result) -> None:
    data = result.data
    console.print(Text(f"token {data['token']}: revoked", style="ok"))
    _who(console, data)
    print_wrapped(
        console,
        "  ",
        Text(
            "the IdP answers the same for a token it did not know (RFC 7009 §2.2); "
            "`agentctl token introspect` shows it is no longer active",
            style="muted",
        ),
    )


__all__ = ["render_introspect", "render_revoke"]
