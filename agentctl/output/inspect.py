"""Human output of `agentctl inspect`.

Written with a few ANSI codes instead of rich: `inspect` is the command people paste tokens
into all day, and rich's console alone costs about half of the start-up budget (issue 2).
Colour follows the same rules as agentctl.output.console: off for NO_COLOR, non-TTYs and
TERM=dumb.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any, TextIO

from agentctl.output.result import Result

_CODES = {
    "key": "1",
    "ok": "32",
    "bad": "1;31",
    "warn": "33",
    "info": "36",
    "muted": "2",
    "high": "1;31",
    "medium": "33",
    "low": "36",
    "subject": "1;32",
    "actor": "1;35",
    "history": "2;35",
}
MODE_TITLES = {
    "user_scoped": "user-scoped (the agent is the user; no actor recorded)",
    "hybrid_obo": "hybrid on-behalf-of (user + acting agent)",
    "agent_identity": "agent identity (the agent authenticated as itself)",
    "unknown": "unknown",
}
KIND_TITLES = {
    "access_token": "access token",
    "id_token": "ID token",
    "id_jag": "ID-JAG (identity assertion JWT authorization grant)",
    "txn_token": "transaction token",
    "client_assertion": "client assertion (RFC 7523)",
    "logout_token": "logout token",
    "encrypted_jwt": "encrypted JWT (JWE)",
    "opaque": "opaque token",
    "other": "other JWT",
}
DIALECT_TITLES = {
    "generic": "generic (RFC 7519 / 8693 / 9068)",
    "entra": "Microsoft Entra",
    "okta": "Okta",
    "keycloak": "Keycloak",
    "auth0": "Auth0",
    "unknown": "unknown",
}
KIND_WORDS = {"agent_user": "agent user"}


class _Painter:
    def __init__(self, stream: TextIO) -> None:
        isatty = getattr(stream, "isatty", lambda: False)
        self.enabled = (
            "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb" and bool(isatty())
        )

    def __call__(self, text: str, style: str) -> str:
        if not self.enabled or style not in _CODES:
            return text
        return f"\x1b[{_CODES[style]}m{text}\x1b[0m"


def _safe(value: Any) -> str:
    """Claim text with control characters made visible, so a token cannot drive the terminal."""
    text = value if isinstance(value, str) else _json(value)
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def _short(value: Any, limit: int = 100) -> str:
    text = _safe(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def emit_inspect(result: Result, *, json_out: bool) -> None:
    """Write the result: the JSON envelope, or the explanation for people; errors on stderr."""
    if json_out:
        from agentctl.output.envelope import to_json

        sys.stdout.write(to_json(result) + "\n")
        sys.stdout.flush()
        return
    if result.data:
        sys.stdout.write(render_text(result.data, _Painter(sys.stdout)))
        sys.stdout.flush()
    paint = _Painter(sys.stderr)
    for item in result.errors:
        hint = f" — {item['hint']}" if item.get("hint") else ""
        sys.stderr.write(f"{paint('error:', 'bad')} {item.get('message', '')}{hint}\n")


def render_text(
    data: dict[str, Any], paint: _Painter | None = None, *, width: int | None = None
) -> str:
    p = paint or _Painter(sys.stdout)
    lines: list[str] = []

    def row(label: str, value: str) -> None:
        lines.append(f"{p(f'{label:<10}', 'key')} {value}")

    token = data.get("token", {})
    form = {"jws": "signed JWT", "jwe": "encrypted JWT", "opaque": "opaque token"}[data["form"]]
    alg = data.get("algorithm")
    kid = data.get("header", {}).get("kid")
    what = form + (f" ({alg}" + (f", kid {_short(kid, 40)}" if kid else "") + ")" if alg else "")
    shown = token.get("raw") or f"{token.get('fingerprint')} (raw token hidden; --show-token)"
    if data.get("example"):
        what += f" · example {data['example']!r}"
    row("Token", what)
    row("", p(_safe(shown), "muted") if not token.get("raw") else _safe(shown))
    kind_ev = ", ".join(data.get("kind_evidence", []))
    row("Kind", f"{KIND_TITLES.get(data['kind'], data['kind'])} {p(f'({kind_ev})', 'muted')}")
    dialect = DIALECT_TITLES.get(data["dialect"], data["dialect"])
    if data.get("dialect_version"):
        dialect += f" v{data['dialect_version']}"
    if data.get("agent_id"):
        dialect += " · Agent ID"
    row("Dialect", dialect)
    row("Mode", p(MODE_TITLES.get(data["mode"], data["mode"]), "info"))
    for reason in data.get("mode_evidence", []):
        row("", p(f"· {_safe(reason)}", "muted"))
    row("Audit", _safe(data["audit"]))
    verification = data.get("verification") or {}
    row("Signature", _verification(verification, p))
    for note in data.get("notes", []):
        row("Note", _safe(note))
    lines.append("")
    if data.get("subject"):
        _who(data, lines, p)
        _chain(data, lines, p)
        _times(data, lines, p)
    _findings(data, lines, p)
    _claims(data, lines, p)
    cols = width or _width()
    return "\n".join(out for line in lines for out in fit_line(line, cols)) + "\n"


def _width() -> int:
    """The terminal's width (COLUMNS first), 80 when not a terminal: rich's rule, without
    importing rich."""
    import shutil

    return max(shutil.get_terminal_size((80, 24)).columns, 20)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_LABEL = re.compile(r"^( *)(\S+(?: \S+)*?)( {2,})")


def _cells(text: str) -> int:
    """Terminal cells of `text`: escape codes take none, East Asian wide letters two."""
    import unicodedata

    plain = _ANSI.sub("", text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in plain)


def fit_line(line: str, width: int) -> list[str]:
    """The line wrapped at spaces to `width` cells, continuation lines under its value (the
    text after the label); a word is never split, so ids and URLs stay whole and copyable.
    A word too wide to sit under the value goes on a line of its own, indented by 4."""
    if _cells(line) <= width:
        return [line]
    parts = [part for part in re.split(r"( +)", line) if part]
    plain = _ANSI.sub("", line)
    label = _LABEL.match(plain)
    indent = (
        label.end() if label and label.end() <= width // 2 else len(plain) - len(plain.lstrip())
    )
    if max(_cells(part) for part in parts) > width - indent:
        indent = min(indent, 4)
    out: list[str] = []
    current, used, space, words = "", 0, "", 0
    for part in parts:
        if part.isspace():
            space += part
            continue
        size = _cells(part)
        if words and used + len(space) + size > width:
            out.append(current)
            current, used, space, words = " " * indent, indent, "", 0
        current += space + part
        used += len(space) + size
        space = ""
        words += 1
    out.append(current)
    return out


def _verification(v: dict[str, Any], p: _Painter) -> str:
    status = v.get("status", "not_checked")
    if status == "verified":
        text = p("verified", "ok")
        extra = [f"key {v['key_id']}" if v.get("key_id") else None, v.get("jwks_source")]
        checks = v.get("checks") or {}
        if checks:
            extra.append(", ".join(f"{k} {val}" for k, val in checks.items()))
        return text + " " + p("(" + "; ".join(_safe(e) for e in extra if e) + ")", "muted")
    if status == "failed":
        return p("failed", "bad") + f": {_safe(v.get('reason'))}"
    return p("not checked", "warn") + p(f" ({_safe(v.get('reason'))})", "muted")


def _party(party: dict[str, Any] | None) -> str:
    if not party:
        return "—"
    kind = KIND_WORDS.get(party["kind"], party["kind"])
    text = _safe(party.get("id") or "(no id)")
    if party.get("display") and party["display"] != party.get("id"):
        text += f" ({_safe(party['display'])})"
    text += f"  [{kind}]"
    if party.get("source"):
        text += f" from {party['source']}"
    if party.get("issuer"):
        text += f", iss {_safe(party['issuer'])}"
    return text


def _who(data: dict[str, Any], lines: list[str], p: _Painter) -> None:
    lines.append(p("Who", "key"))

    def row(label: str, value: str) -> None:
        lines.append(f"  {label:<10} {value}")

    row("subject", p(_party(data["subject"]), "subject"))
    row("actor", p(_party(data["actor"]), "actor") if data.get("actor") else "— (none recorded)")
    for prior in data.get("prior_actors", []):
        row("prior", p(_party(prior), "history"))
    row("client", _safe(data.get("client_id") or "—"))
    if data.get("tenant"):
        row("tenant", _safe(data["tenant"]))
    if data.get("blueprint"):
        row(
            "blueprint",
            _safe(data["blueprint"]) + p("  (audit only, never authorize on it)", "muted"),
        )
    row("issuer", _safe(data.get("issuer") or "—"))
    row("audience", _short(", ".join(data.get("audience") or []) or "—", 200))
    if data.get("resource"):
        row("resource", _short(", ".join(data["resource"]), 200))
    row("scopes", _short(" ".join(data.get("scopes") or []) or "—", 200))
    if data.get("roles"):
        row("roles", _short(", ".join(data["roles"]), 200))
    lines.append("")


def _chain(data: dict[str, Any], lines: list[str], p: _Painter) -> None:
    nodes = data.get("chain") or []
    if len(nodes) < 2:
        return
    lines.append(p("Delegation chain", "key"))
    style = {"subject": "subject", "current_actor": "actor", "prior_actor": "history"}
    for node in nodes:
        indent = "  " + "   " * max(node["depth"] - 1, 0) + ("└─ " if node["depth"] else "")
        kind = KIND_WORDS.get(node["kind"], node["kind"])
        label = p(f"{_safe(node['id'] or '(no id)')} [{kind}]", style[node["role"]])
        lines.append(f"{indent}{label}  {p(_safe(node['note']), 'muted')}")
    lines.append("")


def _times(data: dict[str, Any], lines: list[str], p: _Painter) -> None:
    times = data["times"]
    lines.append(p("Times", "key") + p(f"  (evaluated at {data['evaluated_at']})", "muted"))
    for label, key in (
        ("issued", "issued_at"),
        ("not before", "not_before"),
        ("expires", "expires_at"),
    ):
        if times.get(key):
            lines.append(f"  {label:<10} {times[key]}")
    status_style = "ok" if times["status"] == "valid" else "bad"
    lines.append(f"  {'status':<10} {p(times['summary'], status_style)}")
    lines.append("")


def _findings(data: dict[str, Any], lines: list[str], p: _Painter) -> None:
    findings = data.get("findings") or []
    lines.append(p("Findings", "key") + ("" if findings else p("  none", "muted")))
    for f in findings:
        sev = p(f"{f['severity'].upper():<6}", f["severity"])
        lines.append(
            f"  {sev} {f['code']}: {_safe(f['message'])} {p('[' + f['reference'] + ']', 'muted')}"
        )
    lines.append("")


def _claims(data: dict[str, Any], lines: list[str], p: _Painter) -> None:
    claims = data.get("claims") or []
    header = data.get("header") or {}
    if header:
        lines.append(p("Header", "key") + "  " + _short(header, 200))
    if not claims:
        return
    lines.append(p("Claims", "key"))
    width = min(max(len(c["name"]) for c in claims), 18)
    for c in claims:
        name = _safe(c["name"])
        value = _short(c["value"], 200)  # wrapped at spaces below, not cut at the margin
        meaning = c["meaning"] + (f" [{c['reference']}]" if c.get("reference") else "")
        lines.append(f"  {p(f'{name:<{width}}', 'key' if c['known'] else 'warn')} {value}")
        detail = f"{c['note']} — " if c.get("note") else ""
        lines.append(f"  {'':<{width}} {p(_safe(detail + meaning), 'muted')}")


__all__ = ["emit_inspect", "render_text"]
