"""Human output of `agentctl exchange`: steps, the token explained, the check table; for
`--mode all` the three side by side. Also the trace printer and the device-code prompt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.text import Text

from agentctl.output.exchange_plain import (
    MODE_TITLES,
    names_of,
    short_grant,
    token_line,
    with_names,
)
from agentctl.output.layout import Col, Fitted, fit_table, print_wrapped
from agentctl.output.result import Result

_OUTCOME = {"ok": "ok", "given": "muted", "reused": "muted", "error": "bad", "refused": "bad"}


def render_exchange(console: Console, result: Result) -> None:
    data = result.data
    _header(console, data)
    runs = data.get("runs") or []
    names = names_of(data)
    for run in runs:
        render_run(console, run, names)
    if len(runs) > 1:
        console.print()
        console.print(side_by_side(data.get("table") or [], names))
    _emit_note(console, data.get("emit"))
    _verdict(console, data, runs)


def _header(console: Console, data: dict[str, Any]) -> None:
    line = Text("exchange ", style="key")
    line.append(f"--mode {data.get('mode')}")
    if data.get("via"):
        line.append(f" --via {data['via']}")
    line.append(f"  profile {data.get('profile')} ({data.get('provider')})", style="muted")
    if data.get("issuer"):
        line.append(f"  issuer {data['issuer']}", style="muted")
    print_wrapped(console, "", line)
    agent = data.get("agent")
    who = []
    if agent:
        who.append(f"agent {agent.get('name')} ({agent.get('client_id')})")
    if data.get("user"):
        who.append(f"user {data['user']}")
    if who:
        print_wrapped(console, "  ", Text(", ".join(who), style="muted"))
    for note in data.get("notes") or []:
        print_wrapped(console, Text("  note: ", style="info"), Text(note, style="info"))


def render_run(console: Console, run: dict[str, Any], names: dict[str, str] | None = None) -> None:
    console.print()
    title = Text(MODE_TITLES.get(run.get("mode", ""), str(run.get("mode"))), style="key")
    title.append(f"  [{run.get('flow')}]", style="muted")
    print_wrapped(console, "", title)
    console.print(steps_table(run.get("steps") or []), soft_wrap=True)
    for token in run.get("tokens") or []:
        if token is run.get("token") or token == run.get("token"):
            continue
        print_wrapped(
            console, Text(f"  {token['label']}: ", style="muted"), Text(token_line(token), "muted")
        )
    final = run.get("token")
    if final:
        explained(console, final, names or {})
    if run.get("resource_view"):
        _resource_view(console, run["resource_view"])
    checks = run.get("checks") or []
    labels = list(dict.fromkeys(str(c.get("token", "")) for c in checks))
    for label in labels:
        console.print(
            check_table([c for c in checks if c.get("token") == label], title=label),
            soft_wrap=True,
        )
    for note in run.get("notes") or []:
        print_wrapped(console, Text("  note: ", style="info"), Text(str(note), style="info"))
    error = run.get("error")
    if error:
        print_wrapped(console, Text("  stopped: ", style="bad"), str(error.get("message", "")))


def steps_table(steps: list[dict[str, Any]]) -> Fitted:
    """One step per entry: what was done, then grant → endpoint and what came back."""
    rows: list[list[Any]] = []
    for i, step in enumerate(steps, start=1):
        outcome = step.get("outcome", "")
        head = Text(step.get("name", ""), style="key")
        head.append(f"  {outcome}", style=_OUTCOME.get(outcome, ""))
        rows.append([str(i), head])
        where = " → ".join(x for x in (short_grant(step.get("grant")), step.get("endpoint")) if x)
        detail = step.get("detail") or ""
        line = Text(where, style="muted")
        if detail:
            line.append((": " if where else "") + detail, style="bad" if step.get("error") else "")
        if where or detail:
            rows.append(["", line])
    columns = [Col("", style="muted", justify="right"), Col("", wrap=True)]
    return fit_table(columns, rows, show_header=False, indent=1)


def explained(console: Console, token: dict[str, Any], names: dict[str, str]) -> None:
    """The token in inspect's words: who, for whom, where, how long, the audit line."""
    expl = token.get("explanation") or {}
    table = _Pairs()
    table.add_row(token.get("label", "token"), token_line(token))
    table.add_row("mode", str(expl.get("mode", "unknown")))
    table.add_row("subject", _party(expl.get("subject"), "subject", names))
    actor = expl.get("actor")
    table.add_row("actor", _party(actor, "actor", names) if actor else "(none)")
    for prior in expl.get("prior_actors") or []:
        table.add_row("prior actor", _party(prior, "history", names) + "  (history, not for authz)")
    client = str(expl.get("client_id") or "(none)")
    table.add_row("client", client + (f" = {names[client]}" if client in names else ""))
    table.add_row("audience", " ".join(expl.get("audience") or []) or "(none)")
    table.add_row("scopes", " ".join(expl.get("scopes") or []) or "(none)")
    times = expl.get("times") or {}
    table.add_row("lifetime", str(times.get("summary", "")))
    table.add_row("audit", Text(with_names(str(expl.get("audit", "")), names)))
    console.print(table.fitted(), soft_wrap=True)


class _Pairs:
    """Label/value rows: values wrap at spaces, never inside an id or URL."""

    def __init__(self) -> None:
        self.rows: list[list[Any]] = []

    def add_row(self, label: str, value: Any) -> None:
        self.rows.append([label, value])

    def fitted(self) -> Fitted:
        columns = [Col("", style="key"), Col("", wrap=True)]
        return fit_table(columns, self.rows, show_header=False, indent=1)


def _party(party: dict[str, Any] | None, style: str, names: dict[str, str]) -> Text:
    if not party:
        return Text("(none)")
    text = Text(str(party.get("display") or party.get("id") or "(unnamed)"), style=style)
    if party.get("display") and party.get("id") and party["display"] != party["id"]:
        text.append(f" ({party['id']})", style="muted")
    if party.get("id") in names:
        text.append(f" = {names[party['id']]}", style=style)
    text.append(f"  {party.get('kind', '')}", style="muted")
    return text


def check_table(checks: list[dict[str, Any]], *, title: str = "") -> Fitted:
    """One check per row; one block per check when expected/actual values (URLs, ids) would
    not fit whole side by side."""
    columns = [
        Col(""),
        Col("check"),
        Col("expected", wrap=True),
        Col("actual", wrap=True),
        Col("reference", wrap=True, style="muted"),
    ]
    rows = [
        [
            Text("✓", style="ok") if check.get("ok") else Text("✗", style="bad"),
            check.get("name", ""),
            str(check.get("expected", "")),
            Text(str(check.get("actual", "")), style="" if check.get("ok") else "bad"),
            str(check.get("reference", "")),
        ]
        for check in checks
    ]
    return fit_table(
        columns, rows, title=f"checks on the {title}" if title else None, title_columns=2
    )


def side_by_side(rows: list[dict[str, Any]], names: dict[str, str] | None = None) -> Fitted:
    """The modes as columns, the properties as rows: differences read across (when narrow,
    one block per property, the modes one under the other)."""
    columns = [Col("", style="key")] + [Col(str(r.get("mode")), wrap=True) for r in rows]
    lines: list[list[Any]] = []

    known = names or {}

    def line(label: str, cell: Callable[[dict[str, Any]], Any]) -> None:
        lines.append([label, *[cell(r) for r in rows]])

    def who(value: Any, empty: str) -> str:
        text = str(value or empty)
        return known.get(text, text)  # the id is in each mode's details above

    line("subject", lambda r: who(r.get("subject"), "-"))
    line("actor", lambda r: who(r.get("actor"), "(none)"))
    line("client", lambda r: who(r.get("client"), "-"))
    line("audience", lambda r: " ".join(r.get("audience") or []) or "-")
    line("scopes", lambda r: " ".join(r.get("scopes") or []) or "-")
    line("lifetime", lambda r: str(r.get("lifetime") or "-"))
    line("checks", lambda r: Text(str(r.get("checks")), style="ok" if r.get("ok") else "bad"))
    line("audit line", lambda r: _named(str(r.get("audit") or r.get("error") or "-"), known))
    return fit_table(columns, lines, title="the modes side by side", padding=1)


def _named(audit: str, names: dict[str, str]) -> Text:
    """The audit sentence without its details, agents named (client id in brackets; a Text,
    so the brackets are not read as markup)."""
    return Text(with_names(audit.split(" — ")[0], names))


def _resource_view(console: Console, view: dict[str, Any]) -> None:
    if view.get("status") == 200:
        lead = Text("  the resource sees: ", style="key")
        line = Text(str(view.get("audit", "")))
        line.append(f"  (mode {view.get('mode')})", style="muted")
    else:
        lead = Text("  the resource refused: ", style="bad")
        line = Text(str(view.get("error_description") or view.get("error") or view.get("status")))
    print_wrapped(console, lead, line)


def _emit_note(console: Console, emitted: dict[str, Any] | None) -> None:
    if not emitted or not emitted.get("written"):
        return
    if emitted.get("path"):
        console.print()
        console.print(
            Text(
                f"wrote the raw token ({emitted.get('format')}, {emitted.get('fingerprint')}) "
                f"to {emitted['path']} (mode 0600)",
                style="warn",
            ),
            soft_wrap=True,
        )


def _verdict(console: Console, data: dict[str, Any], runs: list[dict[str, Any]]) -> None:
    console.print()
    if data.get("ok"):
        console.print(Text("every check holds", style="ok"))
        return
    failed = sum(1 for r in runs for c in r.get("checks") or [] if not c.get("ok"))
    stopped = sum(1 for r in runs if r.get("error"))
    parts = []
    if failed:
        parts.append(f"{failed} check(s) failed")
    if stopped:
        parts.append(f"{stopped} run(s) stopped by an error")
    console.print(Text(", ".join(parts) or "no checks ran", style="bad"))


# -- around the report ----------------------------------------------------------------------


def trace_printer(console: Console | None = None) -> Callable[[Any], None]:
    """A Tracer sink writing each (already redacted) event to stderr as it happens."""
    from agentctl.output.console import make_console

    err = console or make_console(stderr=True)

    def sink(event: Any) -> None:
        for line in event.lines():
            style = "info" if line.startswith(("> ", "< ")) else "muted"
            err.print(Text(line, style=style), soft_wrap=True)

    return sink


def device_prompt(
    console: Console | None = None, *, open_url: Callable[[str], str] | None = None
) -> Callable[[Any], None]:
    """Show the RFC 8628 code and URL on stderr (stdout stays machine-readable); with
    `open_url` (`--open`), also launch the browser there and say what happened."""
    from agentctl.output.console import make_console

    err = console or make_console(stderr=True)

    def show(authorization: Any) -> None:
        line = Text("To sign in, open ", style="key")
        line.append(str(authorization.verification_uri), style="info")
        line.append(" and enter the code ")
        line.append(str(authorization.user_code), style="key")
        complete = getattr(authorization, "verification_uri_complete", None)
        if complete:
            line.append(f"  (or open {complete})", style="muted")
        print_wrapped(err, "", line)
        if open_url is not None:
            note = open_url(str(complete or authorization.verification_uri))
            print_wrapped(err, "", Text(note, style="muted"))
        err.print(Text("waiting for the sign-in …", style="muted"))

    return show


__all__ = [
    "check_table",
    "device_prompt",
    "explained",
    "names_of",
    "render_exchange",
    "render_run",
    "side_by_side",
    "steps_table",
    "trace_printer",
]
