"""What to do with a recommended mode on the chosen IdP: notes, MCP/browser paths, commands.

`plan()` joins the recommendation with what the IdP can do for the mode (`core.capabilities`):
when the IdP cannot issue the recommended mode it plans its alternative instead, then adds the
ID-JAG path for remote MCP servers, token injection for browser apps, and the next `agentctl`
commands to run. Background: protocols.md §0 and §11.2.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from agentctl.core.answers import answer_values
from agentctl.core.capabilities import (
    EXCHANGE_MODE,
    MODES,
    Support,
    capabilities_for,
    id_jag_issuers,
)
from agentctl.core.scoring import Recommendation
from agentctl.core.tradeoffs import MODE_TITLES

US, _, AGENT = MODES

# Placeholders in the suggested commands: people put in their own server URL and agent name.
MCP_EXAMPLE: Final = "https://mcp.example.com/mcp"
AGENT_NAME: Final = "my-agent"


@dataclass(frozen=True)
class NextCommand:
    command: str
    purpose: str


@dataclass(frozen=True)
class TargetPath:
    target: str
    summary: str
    steps: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """Everything `choose` says beyond the ranking, derived from answers + capabilities."""

    idp: str
    idp_name: str
    mode: str  # the recommended mode
    support: Support
    flow: str
    claims: tuple[str, ...]
    alternative: str | None
    run_mode: str  # what to run on this IdP: the mode, or the alternative when it cannot
    maturity: str
    idp_notes: tuple[str, ...]
    paths: tuple[TargetPath, ...]
    next_commands: tuple[NextCommand, ...] = field(default=())


def _join(items: Iterable[str]) -> str:
    return ", ".join(items)


def plan(rec: Recommendation) -> Plan:
    """What the chosen IdP can do for the recommended mode, target paths and next commands."""
    idp = str(rec.answers["idp"].value) if "idp" in rec.answers else "local"
    caps = capabilities_for(idp)
    entry = caps.mode(rec.recommended)
    title = MODE_TITLES[rec.recommended]
    run_mode = rec.recommended
    if entry.support is Support.NO and entry.alternative_mode:
        run_mode = entry.alternative_mode

    notes: list[str] = []
    if entry.support is Support.YES:
        notes.append(f"{caps.name} can do {title}: {entry.flow}")
    elif entry.support is Support.NO:
        notes.append(f"{caps.name} cannot do {title} — {entry.flow}")
    else:
        notes.append(f"{caps.name}: {title} depends on the provider: {entry.flow}")
    if entry.claims:
        notes.append("expect in the token: " + "; ".join(str(c) for c in entry.claims))
    notes.extend(entry.notes)
    if entry.maturity != "ga":
        notes.append(f"on {caps.name} this is {entry.maturity}: check it is enabled")
    if entry.alternative:
        notes.append(f"alternative: {entry.alternative}")
    if idp == "oidc":
        notes.append("run `agentctl doctor --profile oidc` to read what your provider advertises")

    targets = answer_values(rec.answers["targets"]) if "targets" in rec.answers else ("api",)
    paths: list[TargetPath] = []
    if "mcp" in targets:
        paths.append(_mcp_path(idp, run_mode))
        notes.append(
            f"ID-JAG on {caps.name}: issuer {caps.id_jag.issuer}, receiver {caps.id_jag.receiver}"
        )
    if "browser" in targets:
        paths.append(_browser_path(caps.browser, run_mode))

    return Plan(
        idp=idp,
        idp_name=caps.name,
        mode=rec.recommended,
        support=entry.support,
        flow=entry.flow,
        claims=tuple(str(c) for c in entry.claims),
        alternative=entry.alternative,
        run_mode=run_mode,
        maturity=entry.maturity,
        idp_notes=tuple(notes),
        paths=tuple(paths),
        next_commands=_next_commands(idp, rec.recommended, run_mode, targets),
    )


def _mcp_path(idp: str, run_mode: str) -> TargetPath:
    caps = capabilities_for(idp)
    issuers = _join(k for k in id_jag_issuers() if k != "oidc")
    steps = (
        "1. token exchange (RFC 8693) at the IdP: subject_token = the user's ID token, "
        "requested_token_type = urn:ietf:params:oauth:token-type:id-jag, audience = the MCP "
        "server's authorization server (issuer), resource = the MCP server URL",
        "2. jwt-bearer grant (RFC 7523) at the MCP server's authorization server: "
        "assertion = the ID-JAG, with the client's credentials registered there",
        "3. call the MCP server with the access token (audience = that server only)",
    )
    notes = [
        f"IdPs that issue ID-JAGs: {issuers}; a generic OpenID provider when its metadata "
        "lists the id-jag token type",
        "use it when the MCP server's authorization server advertises "
        "authorization_grant_profiles_supported with urn:ietf:params:oauth:grant-profile:id-jag; "
        "otherwise use its authorization-code flow with resource = the MCP server URL",
    ]
    notes.insert(0, caps.id_jag.note)
    if run_mode == AGENT:
        notes.insert(
            0,
            "ID-JAG starts from a user's sign-in; an autonomous agent instead uses "
            "client_credentials with resource = the MCP server URL where the server supports "
            "the MCP OAuth Client Credentials extension",
        )
    return TargetPath(
        "mcp",
        "ID-JAG: token exchange at the IdP for an ID-JAG, then jwt-bearer at the MCP server's "
        "authorization server",
        steps,
        tuple(notes),
    )


def _browser_path(browser_note: str, run_mode: str) -> TargetPath:
    mode = EXCHANGE_MODE[run_mode]
    return TargetPath(
        "browser",
        "token injection: the browser automation sends the token the IdP issued",
        (
            f"1. agentctl exchange --mode {mode} gets the token",
            "2. --emit header|env|curl|playwright writes it as an Authorization header line, "
            "a shell export, a curl command or a Playwright context file (extra HTTP headers)",
        ),
        (browser_note,),
    )


def _next_commands(
    idp: str, mode: str, run_mode: str, targets: tuple[str, ...]
) -> tuple[NextCommand, ...]:
    caps = capabilities_for(idp)
    profile = "" if idp == "local" else f" --profile {idp}"
    exchange = f"agentctl exchange --mode {EXCHANGE_MODE[run_mode]}{profile}"
    out: list[NextCommand] = []
    if idp != "local":
        out.append(
            NextCommand(
                f"agentctl doctor{profile}",
                f"check what your {caps.name} really advertises (use your profile's name)",
            )
        )
    needs_agent = run_mode != US or mode != run_mode
    if needs_agent:
        what = "an Entra agent identity" if idp == "entra" else "the agent's own identity"
        out.append(NextCommand(f"agentctl register {AGENT_NAME}{profile}", f"create {what}"))
    out.append(NextCommand(exchange, f"run the {MODE_TITLES[run_mode]} exchange, check the token"))
    if mode != run_mode:
        out.append(
            NextCommand(
                f"agentctl exchange --mode {EXCHANGE_MODE[mode]}",
                f"see the {MODE_TITLES[mode]} token {caps.name} cannot issue, on the embedded IdP",
            )
        )
    if "mcp" in targets and run_mode != AGENT and caps.id_jag.issuer is not Support.NO:
        out.append(
            NextCommand(
                f"{exchange} --via id-jag --resource {MCP_EXAMPLE}",
                "reach the MCP server through ID-JAG (use your server's URL)",
            )
        )
    if "browser" in targets:
        out.append(
            NextCommand(
                f"{exchange} --emit playwright",
                "write a Playwright context file that injects the token",
            )
        )
    return tuple(out)


__all__ = ["AGENT_NAME", "MCP_EXAMPLE", "NextCommand", "Plan", "TargetPath", "plan"]
