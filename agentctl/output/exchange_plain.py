"""`agentctl exchange`'s report when stdout is not a terminal, without rich (issue 16: rich's
console is a tenth of the command's start-up budget).

The same report as agentctl.output.exchange.render_exchange, line for line: each function here
mirrors the one of the same name there, on plain strings (no terminal, so no styles).
tests/output/test_plain.py renders reports both ways and requires the same text: a change to
one rendering that is not made to the other fails there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from agentctl.output.columns import Col
from agentctl.output.plain import Writer, clean, table, wrapped
from agentctl.output.result import Result

# Shared with agentctl.output.exchange (which imports them from here: this module needs no rich).
MODE_TITLES = {
    "agent": "agent — the agent as itself",
    "user": "user — the user's token, no actor",
    "obo": "obo — the user's token with the agent as actor",
    "id-jag": "id-jag — the MCP path (ID-JAG, then jwt-bearer at the resource's AS)",
    "agent-user": "agent-user — the agent as its own agent user",
}


def render_exchange_plain(stream: TextIO, result: Result, *, columns: int | None = None) -> None:
    out = Writer(stream, columns=columns)
    data = result.data
    _header(out, data)
    runs = data.get("runs") or []
    names = names_of(data)
    for run in runs:
        _run(out, run, names)
    if len(runs) > 1:
        out.line()
        out.lines(_side_by_side(out.width, data.get("table") or [], names))
    _emit_note(out, data.get("emit"))
    _verdict(out, data, runs)


def _say(out: Writer, lead: str, body: str) -> None:
    out.line(wrapped(clean(lead), clean(body), out.width))


def _header(out: Writer, data: dict[str, Any]) -> None:
    line = "exchange " + f"--mode {data.get('mode')}"
    if data.get("via"):
        line += f" --via {data['via']}"
    line += f"  profile {data.get('profile')} ({data.get('provider')})"
    if data.get("issuer"):
        line += f"  issuer {data['issuer']}"
    _say(out, "", line)
    agent = data.get("agent")
    who = []
    if agent:
        who.append(f"agent {agent.get('name')} ({agent.get('client_id')})")
    if data.get("user"):
        who.append(f"user {data['user']}")
    if who:
        _say(out, "  ", ", ".join(who))
    for note in data.get("notes") or []:
        _say(out, "  note: ", str(note))


def names_of(data: dict[str, Any]) -> dict[str, str]:
    """Client id → agent name, so a token's ids read as the agent the user named."""
    agent = data.get("agent") or {}
    if agent.get("client_id") and agent.get("name") and agent["name"] != agent["client_id"]:
        return {str(agent["client_id"]): str(agent["name"])}
    return {}


def _run(out: Writer, run: dict[str, Any], names: dict[str, str]) -> None:
    out.line()
    title = MODE_TITLES.get(run.get("mode", ""), str(run.get("mode")))
    _say(out, "", f"{title}  [{run.get('flow')}]")
    out.lines(_steps(out.width, run.get("steps") or []))
    for token in run.get("tokens") or []:
        if token is run.get("token") or token == run.get("token"):
            continue
        _say(out, f"  {token['label']}: ", token_line(token))
    final = run.get("token")
    if final:
        out.lines(_explained(out.width, final, names))
    if run.get("resource_view"):
        _resource_view(out, run["resource_view"])
    checks = run.get("checks") or []
    labels = list(dict.fromkeys(str(c.get("token", "")) for c in checks))
    for label in labels:
        mine = [c for c in checks if c.get("token") == label]
        out.lines(_checks(out.width, mine, title=label))
    for note in run.get("notes") or []:
        _say(out, "  note: ", str(note))
    error = run.get("error")
    if error:
        _say(out, "  stopped: ", str(error.get("message", "")))


def _steps(width: int, steps: list[dict[str, Any]]) -> list[str]:
    rows: list[list[str]] = []
    for i, step in enumerate(steps, start=1):
        rows.append([str(i), clean(f"{step.get('name', '')}  {step.get('outcome', '')}")])
        where = " → ".join(x for x in (short_grant(step.get("grant")), step.get("endpoint")) if x)
        detail = step.get("detail") or ""
        line = where + ((": " if where else "") + detail if detail else "")
        if where or detail:
            rows.append(["", clean(line)])
    columns = [Col("", style="muted", justify="right"), Col("", wrap=True)]
    return table(columns, rows, width, show_header=False, indent=1)


def short_grant(grant: str | None) -> str:
    if not grant:
        return ""
    return grant.rsplit(":", 1)[-1] if grant.startswith("urn:") else grant


def token_line(token: dict[str, Any]) -> str:
    shown = token.get("value") or token.get("fingerprint")
    kind = (token.get("explanation") or {}).get("kind")
    return f"{shown}" + (f" ({kind})" if kind else "")


def _explained(width: int, token: dict[str, Any], names: dict[str, str]) -> list[str]:
    expl = token.get("explanation") or {}
    rows: list[list[str]] = []

    def row(label: str, value: str) -> None:
        rows.append([clean(label), clean(value)])

    row(token.get("label", "token"), token_line(token))
    row("mode", str(expl.get("mode", "unknown")))
    row("subject", _party(expl.get("subject"), names))
    actor = expl.get("actor")
    row("actor", _party(actor, names) if actor else "(none)")
    for prior in expl.get("prior_actors") or []:
        row("prior actor", _party(prior, names) + "  (history, not for authz)")
    client = str(expl.get("client_id") or "(none)")
    row("client", client + (f" = {names[client]}" if client in names else ""))
    row("audience", " ".join(expl.get("audience") or []) or "(none)")
    row("scopes", " ".join(expl.get("scopes") or []) or "(none)")
    times = expl.get("times") or {}
    row("lifetime", str(times.get("summary", "")))
    row("audit", with_names(str(expl.get("audit", "")), names))
    columns = [Col("", style="key"), Col("", wrap=True)]
    return table(columns, rows, width, show_header=False, indent=1)


def _party(party: dict[str, Any] | None, names: dict[str, str]) -> str:
    if not party:
        return "(none)"
    text = str(party.get("display") or party.get("id") or "(unnamed)")
    if party.get("display") and party.get("id") and party["display"] != party["id"]:
        text += f" ({party['id']})"
    if party.get("id") in names:
        text += f" = {names[party['id']]}"
    return text + f"  {party.get('kind', '')}"


def _checks(width: int, checks: list[dict[str, Any]], *, title: str = "") -> list[str]:
    columns = [
        Col(""),
        Col("check"),
        Col("expected", wrap=True),
        Col("actual", wrap=True),
        Col("reference", wrap=True, style="muted"),
    ]
    rows = [
        [
            "✓" if check.get("ok") else "✗",
            clean(check.get("name", "")),
            clean(check.get("expected", "")),
            clean(check.get("actual", "")),
            clean(check.get("reference", "")),
        ]
        for check in checks
    ]
    return table(
        columns,
        rows,
        width,
        title=clean(f"checks on the {title}") if title else None,
        title_columns=2,
    )


def _side_by_side(width: int, rows: list[dict[str, Any]], names: dict[str, str]) -> list[str]:
    columns = [Col("", style="key")] + [Col(str(r.get("mode")), wrap=True) for r in rows]
    lines: list[list[str]] = []

    def line(label: str, cell: Callable[[dict[str, Any]], str]) -> None:
        lines.append([label, *[clean(cell(r)) for r in rows]])

    def who(value: Any, empty: str) -> str:
        text = str(value or empty)
        return names.get(text, text)

    line("subject", lambda r: who(r.get("subject"), "-"))
    line("actor", lambda r: who(r.get("actor"), "(none)"))
    line("client", lambda r: who(r.get("client"), "-"))
    line("audience", lambda r: " ".join(r.get("audience") or []) or "-")
    line("scopes", lambda r: " ".join(r.get("scopes") or []) or "-")
    line("lifetime", lambda r: str(r.get("lifetime") or "-"))
    line("checks", lambda r: str(r.get("checks")))
    line("audit line", lambda r: _named(str(r.get("audit") or r.get("error") or "-"), names))
    return table(columns, lines, width, title="the modes side by side", padding=1)


def _named(audit: str, names: dict[str, str]) -> str:
    return with_names(audit.split(" — ")[0], names)


def with_names(sentence: str, names: dict[str, str]) -> str:
    """Agents by name, their client id in brackets: the same words wherever a sentence says
    who acted ("agent demo-agent [agt_…] did this")."""
    for client_id, name in names.items():
        sentence = sentence.replace(client_id, f"{name} [{client_id}]")
    return sentence


def _resource_view(out: Writer, view: dict[str, Any]) -> None:
    if view.get("status") == 200:
        lead = "  the resource sees: "
        line = str(view.get("audit", "")) + f"  (mode {view.get('mode')})"
    else:
        lead = "  the resource refused: "
        line = str(view.get("error_description") or view.get("error") or view.get("status"))
    _say(out, lead, line)


def _emit_note(out: Writer, emitted: dict[str, Any] | None) -> None:
    if not emitted or not emitted.get("written"):
        return
    if emitted.get("path"):
        out.line()
        out.line(
            clean(
                f"wrote the raw token ({emitted.get('format')}, {emitted.get('fingerprint')}) "
                f"to {emitted['path']} (mode 0600)"
            )
        )


def _verdict(out: Writer, data: dict[str, Any], runs: list[dict[str, Any]]) -> None:
    out.line()
    if data.get("ok"):
        out.folded("every check holds")
        return
    failed = sum(1 for r in runs for c in r.get("checks") or [] if not c.get("ok"))
    stopped = sum(1 for r in runs if r.get("error"))
    parts = []
    if failed:
        parts.append(f"{failed} check(s) failed")
    if stopped:
        parts.append(f"{stopped} run(s) stopped by an error")
    out.folded(", ".join(parts) or "no checks ran")


__all__ = ["MODE_TITLES", "render_exchange_plain"]
