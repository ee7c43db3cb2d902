"""Human renderer for `agentctl register`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.text import Text

from agentctl.output.layout import Col, Fitted, fit_table
from agentctl.output.result import Result

_ACTION = {
    "created": "registered agent {name}",
    "replaced": "registered agent {name} (replacing the previous one)",
    "exists": "agent {name} is already registered",
    "dry_run": "dry run for agent {name}: these requests would be sent (nothing was changed)",
}


def fields_table(rows: list[tuple[str, Any]]) -> Fitted:
    """Label/value lines; values wrap at spaces, never inside a client id, URL or path."""
    shown: list[list[Any]] = []
    for label, value in rows:
        if value in (None, "", [], {}):
            continue
        if isinstance(value, list | tuple):
            value = ", ".join(map(str, value))
        elif isinstance(value, Mapping):
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        shown.append([label, str(value)])
    columns = [Col("", style="key"), Col("", wrap=True)]
    return fit_table(columns, shown, show_header=False)


def agent_rows(agent: Mapping[str, Any]) -> list[tuple[str, Any]]:
    extra = agent.get("extra") or {}
    return [
        ("name", agent.get("name")),
        ("client id", agent.get("client_id")),
        ("profile", f"{agent.get('profile')} ({agent.get('kind')})"),
        ("issuer", agent.get("issuer")),
        ("token endpoint", extra.get("token_endpoint")),
        ("registered at", extra.get("registered_at")),
        ("resource issuer", extra.get("resource_issuer")),
        ("description", agent.get("description")),
        ("sponsor", agent.get("sponsor")),
        ("scopes", extra.get("scopes")),
        ("audiences", extra.get("audiences")),
        ("may act for", extra.get("may_act_for")),
        ("entra kind", extra.get("entra_kind")),
        ("object id", extra.get("object_id")),
        ("blueprint", extra.get("blueprint")),
        ("agent user", extra.get("agent_user")),
        ("RFC 7592 URI", extra.get("registration_client_uri")),
        ("credential", agent.get("credential_type")),
        ("stored in", agent.get("secret_location")),
    ]


def render_credential(console: Console, cred: Mapping[str, Any]) -> None:
    """The key id, and the secret or private key when the user asked to see it (once)."""
    if cred.get("key_id"):
        console.print(Text(f"key id: {cred['key_id']}", style="muted"))
    if cred.get("secret"):
        console.print(Text("client secret (shown once): ", style="warn").append(cred["secret"]))
    if cred.get("private_key_pem"):
        console.print(Text("private key (shown once):", style="warn"))
        console.print(cred["private_key_pem"], markup=False, highlight=False)


def render_requests(console: Console, requests: list[Mapping[str, Any]]) -> None:
    for req in requests:
        url = req.get("url")
        line = Text(f"> {req.get('method')} {url}", style="info")
        if req.get("auth"):
            line.append(f"   (as {req['auth']})", style="muted")
        console.print(line, soft_wrap=True)
        headers = req.get("headers")
        if isinstance(headers, Mapping):
            for key, value in headers.items():
                console.print(Text(f"  {key}: {value}", style="muted"), soft_wrap=True)
        body = req.get("body")
        if body not in (None, "", {}):
            text = json.dumps(body, indent=2) if not isinstance(body, str) else body
            for part in text.splitlines():
                console.print(Text(f"  | {part}"), soft_wrap=True)


def render_register(console: Console, result: Result) -> None:
    data = result.data
    action = data["action"]
    agent = data.get("agent") or {}
    text = _ACTION.get(action, action + " {name}").format(name=agent.get("name"))
    console.print(Text(text, style="ok" if action != "exists" else "warn"))
    if action == "dry_run":
        render_requests(console, data.get("requests") or [])
        for note in data.get("notes") or []:
            console.print(Text(f"note: {note}", style="muted"), soft_wrap=True)
        return
    console.print(fields_table(agent_rows(agent)), soft_wrap=True)
    render_credential(console, data.get("credential") or {})
    if action == "exists":
        console.print(
            Text(
                "nothing changed; pass --replace to create it again, or `agentctl agent "
                f"rotate {agent.get('name')}` for a new credential",
                style="muted",
            )
        )


__all__ = ["agent_rows", "fields_table", "render_credential", "render_register", "render_requests"]
