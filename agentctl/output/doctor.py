"""Human renderer for `agentctl doctor`."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from agentctl.output.layout import print_wrapped
from agentctl.output.result import Result

_MARK = {
    "ok": ("✓", "ok"),
    "no": ("·", "muted"),
    "warn": ("!", "warn"),
    "fail": ("✗", "bad"),
    "info": ("i", "info"),
}
_SECTIONS = {
    "profile": "profile",
    "secrets": "secrets",
    "idp": "IdP",
    "capabilities": "what the IdP advertises",
    "probes": "what the IdP answered (probed with the profile's client)",
    "clock": "clock",
    "modes": "what agentctl can run here",
    "graph": "Microsoft Graph permissions of the admin app (read from its own token)",
    "documented": "what the vendor documents (agentctl choose's table)",
}


def render_doctor(console: Console, result: Result) -> None:
    data = result.data
    section = None
    for check in data["checks"]:
        if check["section"] != section:
            section = check["section"]
            console.print(Text(_SECTIONS.get(section, section), style="key"))
        mark, style = _MARK.get(check["status"], ("?", "muted"))
        line = Text(check["message"])
        if check.get("fix") and check["status"] in ("warn", "fail", "no"):
            line.append(f" — {check['fix']}", style="muted")
        # wrapped at spaces under the message: URLs and ids stay whole
        print_wrapped(console, Text(f"  {mark} ", style=style), line)
    summary = data["summary"]
    verdict = "nothing wrong" if not summary["fail"] else f"{summary['fail']} problem(s)"
    tail = Text(verdict, style="ok" if not summary["fail"] else "bad")
    if summary["warn"]:
        tail.append(f", {summary['warn']} warning(s)", style="warn")
    console.print(tail)


__all__ = ["render_doctor"]
