"""Human output of `agentctl browse`: what the app showed, and where the token went."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

from agentctl.output.result import Result


def render_browse(console: Console, result: Result) -> None:
    data = result.data
    injection: dict[str, Any] = data.get("injection") or {}
    token: dict[str, Any] = data.get("token") or {}
    requests: dict[str, Any] = data.get("requests") or {}
    mode = f"mode {token['mode']}, " if token.get("mode") else ""
    console.print(Text(f"browse {data.get('url')}", style="key"))
    if data.get("served_embedded_idp"):
        console.print("  (served the embedded IdP on loopback for this visit)")
    console.print(
        f"  token      {mode}{token.get('fingerprint')}, as {injection.get('form')} "
        f"for {injection.get('origin')} only"
    )
    console.print(f"  page       {data.get('final_url')} (HTTP {data.get('status') or '?'})")
    console.print(Text(f"  title      {data.get('title')}"))
    if data.get("selector"):
        console.print(Text(f"  {data['selector']:<10} {data.get('text')}"))
    if data.get("screenshot"):
        console.print(f"  screenshot {data['screenshot']}")
    leaked = int(requests.get("elsewhere_with_token") or 0)
    line = (
        f"  requests   {requests.get('to_origin', 0)} to the app's origin "
        f"({requests.get('with_token', 0)} with the header), "
        f"{requests.get('elsewhere', 0)} elsewhere ({leaked} with the token)"
    )
    console.print(Text(line, style="bad" if leaked else ""))
    if data.get("expect"):
        held = data.get("state") == data.get("expect")
        console.print(
            Text(
                f"  expected   {data['expect']}: the app shows {data.get('state')}",
                style="ok" if held else "bad",
            )
        )


__all__ = ["render_browse"]
