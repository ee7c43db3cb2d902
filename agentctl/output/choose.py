"""Human output for `agentctl choose`: the prompts (on stderr) and the recommendation."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from agentctl.core.questionnaire import AnswerValue, Question, interpret_reply
from agentctl.errors import Interrupted
from agentctl.output.layout import Col, Hanging, command_text, fit_table
from agentctl.output.result import Result


def ask(
    console: Console, q: Question, index: int, total: int, *, echo: bool = False
) -> AnswerValue:
    """Ask one question until it gets a usable reply. Ctrl-C or end of input: Interrupted.

    `echo` repeats each reply after the prompt, for replies piped in (a terminal echoes them)."""
    console.print()
    header = Text()
    header.append(f"[{index}/{total}] ", style="muted")
    header.append(q.prompt, style="key")
    console.print(header)
    default = q.default if isinstance(q.default, tuple) else (q.default,)
    labelled = any(o.label != o.value for o in q.options)
    width = max(len(o.value) for o in q.options) if labelled else 0
    for n, opt in enumerate(q.options, start=1):
        line = Text(f"  {n}) ")
        line.append(opt.value.ljust(width), style="info")
        if opt.label != opt.value:
            line.append(f"  {opt.label}", style="muted")
        if opt.value in default:
            line.append("  (default)", style="muted")
        console.print(line)
    pick = "numbers or values, comma-separated" if q.multi else f"1-{len(q.options)}"
    prompt = Text(f"  choose [{pick}, ? why, Enter = {','.join(default)}]: ", style="muted")
    while True:
        try:
            line_in = console.input(prompt)
        except (KeyboardInterrupt, EOFError):
            console.print()
            raise Interrupted("interrupted: no recommendation made") from None
        if echo:
            console.print(Text(line_in.rstrip("\r\n")))
        reply = interpret_reply(q, line_in)
        if reply.why:
            console.print(Text(f"  why this matters: {q.why}", style="info"))
        elif reply.problem:
            console.print(Text(f"  {reply.problem}", style="warn"))
        elif reply.value is not None:
            return reply.value


class Prompter:
    """Asks on stderr, so stdout keeps only the result (and `--json` stays one document)."""

    def __init__(self, *, echo: bool) -> None:
        from agentctl.output.console import make_console

        self.console = make_console(stderr=True)
        self.echo = echo
        self.asked = 0

    def __call__(self, q: Question, index: int, total: int) -> AnswerValue:
        self.asked += 1
        return ask(self.console, q, index, total, echo=self.echo)

    def done(self) -> None:
        if self.asked:
            self.console.print()


_TRADEOFF_ROWS = (
    ("who the token is for", "who_the_token_is_for"),
    ("who acted", "who_acted"),
    ("permissions", "permissions"),
    ("audit trail", "audit_trail"),
    ("accountability", "accountability"),
    ("IdP setup", "idp_setup"),
    ("best for", "best_for"),
)
_SUPPORT_WORDS = {
    "yes": "✓ supported",
    "no": "✗ not supported",
    "depends": "? depends on the provider",
}


def _grid(*widths: int | None) -> Table:
    grid = Table.grid(padding=(0, 1))
    for width in widths:
        grid.add_column(width=width, no_wrap=width is not None)
    return grid


def _heading(console: Console, text: str) -> None:
    console.print()
    console.print(Text(text, style="key"))


def render(console: Console, result: Result) -> None:
    """The recommendation, ranking, trade-off, IdP notes, target paths and next commands."""
    d: dict[str, Any] = result.data
    ranking = d["ranking"]
    head = Text()
    head.append("Recommended: ", style="key")
    head.append(f"{d['title']} ", style="ok")
    head.append(f"({d['recommended']})", style="muted")
    console.print(head)
    top = [f for f in ranking[0]["factors"] if f["points"] > 0][:2]
    if top:
        because = _grid(9, None)
        because.add_row(Text("  because", style="muted"), "; ".join(f["reason"] for f in top))
        console.print(because)

    _heading(console, "Ranking")
    rows: list[list[Any]] = []
    for n, r in enumerate(ranking, start=1):
        reasons = Text()
        for i, f in enumerate(r["factors"]):
            if i:
                reasons.append("\n")
            good = f["points"] > 0
            reasons.append(
                f"{'+' if good else '−'}{abs(f['points'])} ", style="ok" if good else "bad"
            )
            key, value = next(iter(f["answer"].items()))
            reasons.append(f"{f['reason']} ")
            reasons.append(f"({key}={value})", style="muted")
        rows.append([str(n), r["mode"], str(r["score"]), reasons])
    columns = [
        Col("#", justify="right"),
        Col("mode"),
        Col("score", justify="right"),
        Col("reasons (the answer that drove each)", wrap=True, label="reasons"),
    ]
    console.print(fit_table(columns, rows, title_columns=3))

    _heading(console, f"Trade-off: {d['title']}")
    trade = _grid(22, None)
    for label, key in _TRADEOFF_ROWS:
        trade.add_row(Text(f"  {label}", style="muted"), d["tradeoff"][key])
    console.print(trade)
    path = d["common_path"]
    console.print(_line(" ", f"{path[0].upper()}{path[1:]}.", style="muted"))

    idp = d["idp"]
    _heading(
        console,
        f"On {idp['name']} ({idp['kind']}): {idp['mode']} {_SUPPORT_WORDS[idp['support']]}",
    )
    for note in d["idp_notes"]:
        console.print(_line("  •", note))

    for target in d["paths"]:
        _heading(console, f"Target {target['target']}: {target['summary']}")
        for step in target["steps"]:
            console.print(_line(" ", step))
        for note in target["notes"]:
            console.print(_line("  note:", note, style="muted"))

    _heading(console, "Next commands" + _for_profile(d.get("profile") or {}))
    for cmd in d["next_commands"]:
        _command(console, cmd["command"])
        console.print(_line("   ", cmd["purpose"], style="muted"))

    if d["assumed"]:
        assumed = ", ".join(f"{k}={_show(d['answers'][k]['value'])}" for k in d["assumed"])
        console.print()
        console.print(_line("", f"Assumed (not answered, default taken): {assumed}", "warn"))


def _for_profile(profile: dict[str, Any]) -> str:
    if not profile.get("configured"):
        return f" (no {profile.get('kind')} profile yet: the first command makes one)"
    parts = [f"profile {profile.get('name')}"]
    if profile.get("agent"):
        parts.append(f"agent {profile['agent']}")
    if profile.get("user"):
        parts.append(f"user {profile['user']}")
    return " (" + ", ".join(parts) + ")"


def _command(console: Console, command: str, *, indent: str = "  ") -> None:
    """A command meant to be copied: continued with ` \\` when too long, so it still runs."""
    console.print(command_text(command, lead=f"{indent}$ ", width=console.width), soft_wrap=True)


def render_table(console: Console, result: Result) -> None:
    """`choose --table`: the modes side by side (vertical when the terminal is narrow), the
    evolution path, and what the profile's IdP supports for each mode."""
    d: dict[str, Any] = result.data
    modes = d["modes"]
    idp = d["idp"]
    console.print(Text(f"The three modes on {idp['name']} ({idp['kind']})", style="key"))
    if console.width >= 100:
        table = Table(box=None, pad_edge=False, show_edge=False, header_style="key")
        table.add_column("", style="muted", no_wrap=True)
        for m in modes:
            table.add_column(m["title"], ratio=1)
        for row in d["rows"]:
            table.add_row(row["label"], *(row["values"][m["mode"]] for m in modes))
        console.print(table)
    else:
        for m in modes:
            _heading(console, f"{m['title']} (--mode {m['exchange_mode']})")
            grid = _grid(22, None)
            for row in d["rows"]:
                grid.add_row(Text(f"  {row['label']}", style="muted"), row["values"][m["mode"]])
            console.print(grid)

    _heading(console, "Evolution path")
    for n, stage in enumerate(d["evolution"], start=1):
        console.print(_line(f"  {n}.", f"{stage['title']} — {stage['when']}: {stage['change']}"))
        _command(console, stage["command"], indent="     ")

    profile = f", profile {idp['profile']}" if idp.get("profile") else ""
    _heading(console, f"On {idp['name']} ({idp['kind']}{profile})")
    for m in modes:
        entry = idp["modes"][m["mode"]]
        words = _SUPPORT_WORDS[entry["support"]]
        maturity = "" if entry["maturity"] == "ga" else f" ({entry['maturity']})"
        console.print(_line("  •", f"{m['title']}: {words}{maturity} — {entry['flow']}"))
        for note in entry["notes"]:
            console.print(_line("     ", note, style="muted"))
        if entry["alternative"]:
            console.print(_line("     ", f"alternative: {entry['alternative']}", style="muted"))
    jag = idp["id_jag"]
    console.print(
        _line(
            "  •",
            f"ID-JAG (MCP servers): issuer {_SUPPORT_WORDS[jag['issuer']]}, receiver "
            f"{_SUPPORT_WORDS[jag['receiver']]} — {jag['note']}",
        )
    )
    console.print(_line("     ", d["id_jag_view"], style="muted"))


def _line(lead: str, text: str, style: str = "") -> Hanging:
    """A hanging-indent line: wrapped text stays right of `lead`, words (ids, URLs) whole."""
    return Hanging(Text(f"{lead} " if lead else "", style="muted"), Text(text, style=style))


def _show(value: Any) -> str:
    return ",".join(value) if isinstance(value, list) else str(value)


__all__ = ["Prompter", "ask", "render", "render_table"]
