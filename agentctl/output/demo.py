"""Human output of `agentctl demo`: the setup, each mode (steps, token, checks), the modes side
by side, what the demo resources saw, the audit trail and what to try next."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.text import Text

from agentctl.output.exchange import names_of, render_run, side_by_side
from agentctl.output.layout import Col, command_text, fit_table, print_wrapped
from agentctl.output.result import Result


def render_demo(console: Console, result: Result) -> None:
    data = result.data
    _setup(console, data)
    runs = data.get("runs") or []
    names = names_of(data)
    for run in runs:
        render_run(console, run, names)
    console.print()
    console.print(side_by_side(data.get("table") or [], names), soft_wrap=True)
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
    rows = [
        ["IdP", str(data.get("issuer"))],
        ["second issuer", f"{data.get('resource_issuer')}  (the MCP server's AS)"],
        [
            "user",
            f"{user.get('name')} ({'created' if user.get('created') else 'exists'}; password "
            f"in {user.get('password_file')}, 0600)",
        ],
        ["agent", f"{agent.get('name')} ({agent.get('client_id')}, {agent.get('action')})"],
        [
            "delegation",
            f"{grant.get('user')} lets {grant.get('agent_name') or grant.get('agent')} act for "
            "them",
        ],
    ]
    columns = [Col("", style="key"), Col("", wrap=True)]
    console.print(fit_table(columns, rows, show_header=False, indent=1), soft_wrap=True)


def _views(console: Console, runs: list[dict[str, Any]]) -> None:
    views = [(r.get("mode"), r.get("resource_view")) for r in runs if r.get("resource_view")]
    if not views:
        return
    console.print()
    rows: list[list[Any]] = []
    for mode, view in views:
        view = view if isinstance(view, dict) else {}
        sees = view.get("audit") if view.get("status") == 200 else view.get("error_description")
        rows.append(
            [str(mode), str(view.get("resource") or ""), str(view.get("mode") or "-"), str(sees)]
        )
    columns = [Col("mode"), Col("resource"), Col("sees mode"), Col("who acted for whom", wrap=True)]
    console.print(fit_table(columns, rows, title="what the demo resources saw"), soft_wrap=True)


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
    rows: list[list[Any]] = []

    def named(value: Any) -> str:
        return names.get(str(value), str(value)) if value else "-"

    def short(url: str) -> str:
        return url[len(base) :] if base and url.startswith(base) else url

    for e in entries:
        grant = str(e.get("grant_type") or "")
        event = str(e.get("event") or "")
        if grant:
            event += f" ({grant.rsplit(':', 1)[-1]})"
        rows.append(
            [
                time.strftime("%H:%M:%S", time.gmtime(int(e.get("time") or 0))),
                str(e.get("issuer") or ""),
                event,
                named(e.get("client_id")),
                named(e.get("subject")),
                " ← ".join(named(a) for a in e.get("actor_chain") or []) or "-",
                " ".join(named(short(str(a))) for a in e.get("audience") or []) or "-",
            ]
        )
    columns = [
        Col("time"),
        Col("issuer"),
        Col("event", wrap=True),
        Col("client"),
        Col("subject"),
        Col("actors", wrap=True),
        Col("audience", wrap=True),
    ]
    title = "the audit trail (agentctl idp audit)"
    console.print(fit_table(columns, rows, title=title, title_columns=3), soft_wrap=True)


def _next(console: Console, data: dict[str, Any]) -> None:
    steps = list(data.get("next") or [])
    defaults = data.get("defaults") or {}
    if defaults.get("agent") and defaults.get("user"):
        steps.insert(
            0,
            f"agentctl exchange --mode obo   (agent {defaults['agent']} and user "
            f"{defaults['user']} are the {defaults.get('profile')} profile's defaults: "
            "`agentctl agent use` changes them)",
        )
    if not steps:
        return
    console.print()
    console.print(Text("try next", style="key"))
    for line in steps:
        # "command   (note)": the command pasteable even when wrapped (continued with " \"),
        # the note as prose under it.
        command, sep, note = line.partition("   (")
        console.print(command_text(command, lead="  ", width=console.width), soft_wrap=True)
        if sep:
            print_wrapped(console, "      ", Text("(" + note, style="muted"))


__all__ = ["render_demo"]
