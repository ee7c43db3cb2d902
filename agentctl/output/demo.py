"""Human output of `agentctl demo`: the setup, each mode (steps, token, checks), the modes side
by side, what the demo resources saw, the audit trail and what to try next."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from agentctl.output.exchange import names_of, render_run, side_by_side
from agentctl.output.result import Result


def render_demo(console: Console, result: Result) -> None:
    data = result.data
    _setup(console, data)
    runs = data.get("runs") or []
    names = names_of(data)
    for run in runs:
        render_run(console, run, names)
    console.print()
    console.print(side_by_side(data.get("table") or [], names))
    _views(console, runs)
    _audit(console, data.get("audit") or [], names, base=_base(data))
    _next(console, data)
    console.print()
    if data.get("ok"):
        console.print(
            Text("every check held: the three modes and the ID-JAG path work", style="ok")
        )
    else:
        console.print(Text("some checks failed or a step was refused (see above)", style="bad"))


def _setup(console: Console, data: dict[str, Any]) -> None:
    console.print(Text("agentctl demo — the embedded IdP, end to end", style="key"))
    user, agent, grant = data.get("user") or {}, data.get("agent") or {}, data.get("grant") or {}
    table = Table(show_header=False, show_edge=False, box=None, padding=(0, 1))
    table.add_column(style="key")
    table.add_column(overflow="fold")
    table.add_row("IdP", str(data.get("issuer")))
    table.add_row("second issuer", f"{data.get('resource_issuer')}  (the MCP server's AS)")
    table.add_row(
        "user",
        f"{user.get('name')} ({'created' if user.get('created') else 'exists'}; password in "
        f"{user.get('password_file')}, 0600)",
    )
    table.add_row("agent", f"{agent.get('name')} ({agent.get('client_id')}, {agent.get('action')})")
    table.add_row(
        "delegation",
        f"{grant.get('user')} lets {grant.get('agent_name') or grant.get('agent')} act for them",
    )
    console.print(table)


def _views(console: Console, runs: list[dict[str, Any]]) -> None:
    views = [(r.get("mode"), r.get("resource_view")) for r in runs if r.get("resource_view")]
    if not views:
        return
    console.print()
    table = Table(
        title="what the demo resources saw",
        title_justify="left",
        title_style="key",
        show_edge=False,
        box=None,
        padding=(0, 2),
    )
    for name in ("mode", "resource", "sees mode", "who acted for whom"):
        table.add_column(name, overflow="fold")
    for mode, view in views:
        view = view if isinstance(view, dict) else {}
        sees = view.get("audit") if view.get("status") == 200 else view.get("error_description")
        table.add_row(
            str(mode), str(view.get("resource") or ""), str(view.get("mode") or "-"), str(sees)
        )
    console.print(table)


def _base(data: dict[str, Any]) -> str:
    """`http://host:port` of the IdP, left out of the audit table's URLs."""
    issuer = str(data.get("issuer") or "")
    return issuer.rpartition("/i/")[0]


def _audit(
    console: Console, entries: list[dict[str, Any]], names: dict[str, str], *, base: str
) -> None:
    if not entries:
        return
    console.print()
    table = Table(
        title="the audit trail (agentctl idp audit)",
        title_justify="left",
        title_style="key",
        show_edge=False,
        box=None,
        padding=(0, 1),
    )
    for name in ("time", "issuer", "event", "client", "subject", "actors", "audience"):
        table.add_column(name, overflow="fold")

    def named(value: Any) -> str:
        return names.get(str(value), str(value)) if value else "-"

    def short(url: str) -> str:
        return url[len(base) :] if base and url.startswith(base) else url

    for e in entries:
        grant = str(e.get("grant_type") or "")
        event = str(e.get("event") or "")
        if grant:
            event += f" ({grant.rsplit(':', 1)[-1]})"
        table.add_row(
            time.strftime("%H:%M:%S", time.gmtime(int(e.get("time") or 0))),
            str(e.get("issuer") or ""),
            event,
            named(e.get("client_id")),
            named(e.get("subject")),
            " ← ".join(named(a) for a in e.get("actor_chain") or []) or "-",
            " ".join(named(short(str(a))) for a in e.get("audience") or []) or "-",
        )
    console.print(table)


def _next(console: Console, data: dict[str, Any]) -> None:
    steps = data.get("next") or []
    if not steps:
        return
    console.print()
    console.print(Text("try next", style="key"))
    for line in steps:
        console.print(Text(f"  {line}"), soft_wrap=True)


__all__ = ["render_demo"]
