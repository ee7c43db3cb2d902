"""Human renderers for `agentctl idp …` (the JSON form is the Result data itself)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.console import Console
from rich.text import Text

from agentctl.output.layout import Col, fit_table, print_wrapped
from agentctl.output.result import Result


def _when(ts: Any) -> str:
    if not isinstance(ts, int):
        return "-"
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _table(console: Console, columns: list[Col], rows: list[list[Any]], *, title: int = 1) -> None:
    """A table at the terminal's width; folded to `key: value` blocks when an identifier would
    not fit whole (see agentctl.output.layout)."""
    console.print(fit_table(columns, rows, title_columns=title), soft_wrap=True)


def render_serve(console: Console, result: Result) -> None:
    data = result.data
    console.print(f"[ok]embedded IdP[/ok] at {data['base_url']} ({data['workers']} workers)")
    for issuer in data["issuers"]:
        body = Text(issuer["issuer"])
        body.append(f"  {issuer['kind']}", style="muted")
        print_wrapped(console, f"  {issuer['name']:<12} ", body)
    print_wrapped(console, "registration  ", str(data["registration_note"]))
    print_wrapped(console, "admin sign-in ", str(data["admin_signin_note"]))
    print_wrapped(console, "", Text(f"database {data['database']} · Ctrl-C to stop", "muted"))


def render_issuers(console: Console, result: Result) -> None:
    columns = [
        Col("name"),
        Col("kind"),
        Col("issuer"),
        Col("trusts", wrap=True),
        Col("ID-JAG for", wrap=True),
    ]
    rows = [
        [
            i["name"],
            i["kind"],
            i["issuer"],
            ", ".join(i["trusts"]) or "-",
            ", ".join(i["id_jag_audiences"]) or "-",
        ]
        for i in result.data["issuers"]
    ]
    _table(console, columns, rows)


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
    rows = [[u["name"], u["email"], _when(u["created_at"])] for u in users]
    _table(console, [Col("name"), Col("email"), Col("created")], rows)


def render_agents(console: Console, result: Result) -> None:
    agents = result.data["agents"]
    if not agents:
        console.print("no agents registered")
        return
    columns = [
        Col("issuer"),
        Col("name"),
        Col("client id"),
        Col("credential"),
        Col("sponsor", wrap=True),
        Col("may act for", wrap=True),
    ]
    rows = [
        [
            a["issuer"],
            a["name"],
            a["client_id"],
            a["credential_type"],
            a["sponsor"] or "-",
            ", ".join(a["may_act_for"]) or "-",
        ]
        for a in agents
    ]
    _table(console, columns, rows, title=2)
    if result.data.get("next_after"):
        console.print(Text(f"more: --after {result.data['next_after']}", style="muted"))


def render_grant(console: Console, result: Result) -> None:
    d = result.data
    if "revoked" in d:
        state = "withdrawn" if d["revoked"] else "not found"
        revoked = d.get("tokens_revoked", 0)
        tail = f"; {revoked} token(s) it authorised revoked" if revoked else ""
        console.print(f"{d['kind']} {d['user']} → {d['agent_name']} ({d['agent']}): {state}{tail}")
        return
    scopes = " ".join(d["scopes"]) or "any scope the agent has"
    console.print(
        f"[ok]granted[/ok] {d['kind']}: {d['user']} → {d['agent_name']} ({d['agent']}), {scopes}"
    )


def render_trust(console: Console, result: Result) -> None:
    d = result.data
    console.print(f"issuer {d['issuer']} issues ID-JAGs for these authorization servers elsewhere:")
    for url in d["external_id_jag_audiences"] or ["(none)"]:
        console.print(f"  {url}")


def render_resources(console: Console, result: Result) -> None:
    d = result.data
    console.print(f"protected resources of issuer {d['issuer']} (besides its demo resource):")
    for url in d["resources"] or ["(none)"]:
        console.print(f"  {url}")


def render_registration_token(console: Console, result: Result) -> None:
    d = result.data
    if d.get("token"):
        console.print(d["token"], markup=False, highlight=False)
    if d.get("written_to"):
        console.print(f"[ok]written[/ok] to {d['written_to']} (0600)")
    policy = d["policy"]
    note = (
        f"initial access token for {d['issuer']}: {d['uses']} use(s), expires in "
        f"{d['expires_in']} s; audiences {', '.join(policy['audiences']) or '-'}; subject "
        f"audiences {', '.join(policy['subject_audiences']) or '-'}; may act for "
        f"{', '.join(policy['may_act_for'])}; scopes "
        f"{' '.join(policy['scopes']) if policy['scopes'] is not None else '(issuer default)'}"
        " · shown once, only its hash is kept"
    )
    print_wrapped(console, "", Text(note, style="muted"))


def render_agent_policy(console: Console, result: Result) -> None:
    d = result.data
    console.print(f"[ok]updated[/ok] agent {d['name']} ({d['client_id']})")
    for key in ("allowed_audiences", "subject_audiences", "may_act_for"):
        print_wrapped(console, f"  {key:<18} ", ", ".join(d[key]) or "-")
    print_wrapped(console, f"  {'scope':<18} ", d["scope"] or "-")
    for as_url, cid in d.get("id_jag_client_ids", {}).items():
        print_wrapped(console, f"  {'client id at':<18} ", f"{as_url}: {cid}")


def render_keys(console: Console, result: Result) -> None:
    d = result.data
    if d.get("new_kid"):
        console.print(f"[ok]rotated[/ok] issuer {d['issuer']}: new key {d['new_kid']}")
    columns = [Col("kid"), Col("alg"), Col("state"), Col("created"), Col("published until")]
    rows = [
        [
            k["kid"],
            k["alg"],
            k["state"],
            _when(k["created_at"]),
            _when(k["publish_until"]) if k["publish_until"] else "-",
        ]
        for k in d["keys"]
    ]
    _table(console, columns, rows)


def render_audit(console: Console, result: Result) -> None:
    entries = result.data["entries"]
    if not entries:
        console.print("the audit log is empty")
        return
    render_audit_entries(console, entries)


def render_audit_entries(console: Console, entries: list[dict[str, Any]]) -> None:
    """Audit lines in full (never cut: an id or URL must stay whole); one block per entry
    when the terminal is too narrow for the table. Also used by `idp audit --follow`."""
    columns = [
        Col("time"),
        Col("issuer"),
        Col("event"),
        Col("client"),
        Col("subject"),
        Col("actors", wrap=True),
        Col("audience", wrap=True),
        Col("scope", wrap=True),
    ]
    rows = [
        [
            _when(e["time"])[5:],  # MM-DD HH:MM:SS; --json has the epoch seconds
            e["issuer"],
            e["event"].removeprefix("issue:"),
            e["client_id"] or "-",
            e["subject"] or "-",
            " ← ".join(e["actor_chain"]) or "-",
            " ".join(e["audience"]) or "-",
            e["scope"] or "-",
        ]
        for e in entries
    ]
    _table(console, columns, rows, title=3)


def render_audit_follow(console: Console, entries: list[dict[str, Any]], full: bool) -> None:
    """`idp audit --follow`: one entry per line (wrapped at spaces, ids whole), flushed as
    it comes; a table would re-print its header for every new line."""
    import sys

    if full:
        print_wrapped(
            console,
            "",
            Text("(more lines came at once than one poll reads; older ones skipped)", "warn"),
        )
    for e in entries:
        body = Text(f"{e['issuer']} {e['event'].removeprefix('issue:')}", style="key")
        parts = [
            ("client", e["client_id"]),
            ("subject", e["subject"]),
            ("actors", " ← ".join(e["actor_chain"])),
            ("audience", " ".join(e["audience"])),
            ("scope", e["scope"]),
        ]
        for label, value in parts:
            if value:
                body.append(f" {label}=", style="muted")
                body.append(str(value))
        print_wrapped(console, Text(f"{_when(e['time'])[5:]} ", style="muted"), body)
    sys.stdout.flush()


def render_reset(console: Console, result: Result) -> None:
    removed = result.data["removed"]
    if removed:
        console.print(f"[ok]reset[/ok]: removed {result.data['database']}")
        forgotten = result.data.get("agents_forgotten") or []
        if forgotten:
            names = ", ".join(str(a.get("name")) for a in forgotten)
            console.print(
                f"forgot {len(forgotten)} agent record(s) whose client was there: {names}"
            )
    else:
        console.print(f"nothing to reset ({result.data['database']} does not exist)")


__all__ = [
    "render_agents",
    "render_audit",
    "render_audit_entries",
    "render_audit_follow",
    "render_grant",
    "render_issuers",
    "render_keys",
    "render_reset",
    "render_serve",
    "render_user_added",
    "render_users",
]
