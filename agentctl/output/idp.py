"""Human renderers for `agentctl idp …` (the JSON form is the Result data itself)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.console import Console
from rich.table import Table

from agentctl.output.result import Result


def _when(ts: Any) -> str:
    if not isinstance(ts, int):
        return "-"
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _table(*columns: str) -> Table:
    table = Table(show_header=True, header_style="key", box=None, pad_edge=False)
    for column in columns:
        table.add_column(column)
    return table


def render_serve(console: Console, result: Result) -> None:
    data = result.data
    console.print(f"[ok]embedded IdP[/ok] at {data['base_url']} ({data['workers']} workers)")
    for issuer in data["issuers"]:
        console.print(f"  {issuer['name']:<12} {issuer['issuer']}  [muted]{issuer['kind']}[/muted]")
    console.print(f"[muted]database {data['database']} · Ctrl-C to stop[/muted]")


def render_issuers(console: Console, result: Result) -> None:
    table = _table("name", "kind", "issuer", "trusts", "ID-JAG for")
    for i in result.data["issuers"]:
        table.add_row(
            i["name"],
            i["kind"],
            i["issuer"],
            ", ".join(i["trusts"]) or "-",
            ", ".join(i["id_jag_audiences"]) or "-",
        )
    console.print(table)


def render_user_added(console: Console, result: Result) -> None:
    user = result.data["user"]
    console.print(
        f"[ok]added[/ok] user {user['name']} <{user['email']}> at issuer {result.data['issuer']}"
    )


def render_users(console: Console, result: Result) -> None:
    users = result.data["users"]
    if not users:
        console.print(
            f"no users at issuer {result.data['issuer']} "
            "(add one: agentctl idp users add NAME --password-stdin)"
        )
        return
    table = _table("name", "email", "created")
    for u in users:
        table.add_row(u["name"], u["email"], _when(u["created_at"]))
    console.print(table)


def render_agents(console: Console, result: Result) -> None:
    agents = result.data["agents"]
    if not agents:
        console.print("no agents registered")
        return
    table = _table("issuer", "name", "client id", "credential", "sponsor", "may act for")
    for a in agents:
        table.add_row(
            a["issuer"],
            a["name"],
            a["client_id"],
            a["credential_type"],
            a["sponsor"] or "-",
            ", ".join(a["may_act_for"]) or "-",
        )
    console.print(table)


def render_grant(console: Console, result: Result) -> None:
    d = result.data
    if "revoked" in d:
        state = "withdrawn" if d["revoked"] else "not found"
        console.print(f"delegation {d['user']} → {d['agent']}: {state}")
        return
    scopes = " ".join(d["scopes"]) or "any scope"
    console.print(f"[ok]granted[/ok] {d['user']} → {d['agent_name']} ({d['agent']}), {scopes}")


def render_keys(console: Console, result: Result) -> None:
    d = result.data
    if d.get("new_kid"):
        console.print(f"[ok]rotated[/ok] issuer {d['issuer']}: new key {d['new_kid']}")
    table = _table("kid", "alg", "state", "created", "published until")
    for k in d["keys"]:
        until = _when(k["publish_until"]) if k["publish_until"] else "-"
        table.add_row(k["kid"], k["alg"], k["state"], _when(k["created_at"]), until)
    console.print(table)


def render_audit(console: Console, result: Result) -> None:
    entries = result.data["entries"]
    if not entries:
        console.print("the audit log is empty")
        return
    table = Table(show_header=True, header_style="key", box=None, pad_edge=False)
    for name in ("time", "issuer", "event", "client", "subject"):
        table.add_column(name, no_wrap=True)
    for name in ("actors", "audience", "scope"):
        table.add_column(name, overflow="fold")
    for e in entries:
        table.add_row(
            _when(e["time"])[5:],  # MM-DD HH:MM:SS; --json has the epoch seconds
            e["issuer"],
            e["event"].removeprefix("issue:"),
            e["client_id"] or "-",
            e["subject"] or "-",
            " ← ".join(e["actor_chain"]) or "-",
            ", ".join(e["audience"]) or "-",
            e["scope"] or "-",
        )
    console.print(table)


def render_reset(console: Console, result: Result) -> None:
    removed = result.data["removed"]
    if removed:
        console.print(f"[ok]reset[/ok]: removed {result.data['database']}")
    else:
        console.print(f"nothing to reset ({result.data['database']} does not exist)")


__all__ = [
    "render_agents",
    "render_audit",
    "render_grant",
    "render_issuers",
    "render_keys",
    "render_reset",
    "render_serve",
    "render_user_added",
    "render_users",
]
