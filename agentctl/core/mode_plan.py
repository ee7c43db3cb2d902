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

# Placeholders (`<…>`) stand only for what agentctl cannot know: the user's own MCP server, an
# IdP's issuer and client id before a profile exists for it. Anything agentctl knows (the
# profile's name, its default agent and user, the embedded IdP's own MCP resource) is written out
# so that the printed command runs as printed.
MCP_PLACEHOLDER: Final = "<https://your-mcp-server/mcp>"
AGENT_NAME: Final = "my-agent"  # a name for a new agent: any name works, this one runs as is
EMBEDDED_MCP: Final = "http://127.0.0.1:8400/i/mcp-as/resource"  # the embedded IdP's own
PLAYWRIGHT_FILE: Final = "agent_auth.py"
DEMO_AGENT: Final = "demo-agent"
DEMO_USER: Final = "alice"


@dataclass(frozen=True)
class ProfileInfo:
    """What agentctl knows about one profile, for writing commands that run on it."""

    name: str
    kind: str  # local, oidc, entra, okta, keycloak, auth0
    agent: str | None = None  # its default agent
    user: str | None = None  # its default user (embedded IdP sign-in)
    embedded: bool = False  # the in-process embedded IdP


@dataclass(frozen=True)
class PlanContext:
    """The user's profiles as `choose` found them; the default is a fresh machine."""

    current: ProfileInfo = ProfileInfo("local", "local", embedded=True)
    needs_flag: bool = False  # the current profile is not the one commands use by default
    others: tuple[ProfileInfo, ...] = ()
    mcp_resource: str = EMBEDDED_MCP  # the embedded IdP's own MCP resource

    def for_idp(self, idp: str) -> tuple[ProfileInfo | None, bool]:
        """The profile to run commands for `idp` on, and whether they need `--profile`."""
        if _fits(self.current, idp):
            return self.current, self.needs_flag
        for other in self.others:
            if _fits(other, idp):
                return other, True
        if idp == "local":
            return ProfileInfo("local", "local", embedded=True), True
        return None, True

    def local(self) -> tuple[ProfileInfo, bool]:
        found, flag = self.for_idp("local")
        return found or ProfileInfo("local", "local", embedded=True), flag


def _fits(profile: ProfileInfo, idp: str) -> bool:
    # Okta, Keycloak and Auth0 are reached through `--kind oidc` profiles (README): one named
    # after the IdP counts as that IdP's.
    return profile.kind == idp or (profile.kind == "oidc" and profile.name == idp)


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


def plan(rec: Recommendation, ctx: PlanContext | None = None) -> Plan:
    """What the chosen IdP can do for the recommended mode, target paths and next commands
    that run as printed on the user's profiles (`ctx`; default: a fresh machine)."""
    ctx = ctx or PlanContext()
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
        paths.append(_mcp_path(idp, run_mode, rec.recommended))
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
        next_commands=_next_commands(idp, rec.recommended, run_mode, targets, ctx),
    )


def _mcp_path(idp: str, run_mode: str, mode: str) -> TargetPath:
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
    if run_mode != AGENT and caps.id_jag.issuer is not Support.NO:
        notes.insert(
            1,
            "what the MCP server sees: sub = the user, the agent only as client_id (the client "
            "that redeemed the ID-JAG); no act claim, no delegation chain"
            + (
                ", so hybrid OBO's attribution reaches the MCP server only as client_id"
                if mode == "hybrid_obo"
                else ""
            ),
        )
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
            "2. --emit playwright-python|playwright-node|storage-state|storage-script|cookie "
            "writes it for the browser, confined to the app's origin (docs/browser.md)",
        ),
        (browser_note,),
    )


def _next_commands(
    idp: str, mode: str, run_mode: str, targets: tuple[str, ...], ctx: PlanContext
) -> tuple[NextCommand, ...]:
    """Commands that run as printed: on the embedded IdP against its own data, elsewhere with
    `<…>` only for what agentctl cannot know (an issuer, a client id, the user's MCP server)."""
    caps = capabilities_for(idp)
    found, needs_flag = ctx.for_idp(idp)
    out: list[NextCommand] = []
    if found is None:
        name = idp
        out.append(_profile_add(idp, caps.name))
    else:
        name = found.name
    flag = f" --profile {name}" if needs_flag else ""
    embedded = idp == "local"
    agent = found.agent if found else None
    user = found.user if found else None
    who = ""  # --agent/--user, when the profile's defaults are not the ones to use
    if embedded and agent is None and run_mode == AGENT:
        out.append(
            NextCommand(
                f"agentctl register {AGENT_NAME}{flag}",
                "create the agent's own identity (it becomes the profile's default agent)",
            )
        )
    elif embedded and (agent is None or user is None) and run_mode != AGENT:
        out.append(
            NextCommand(
                "agentctl demo",
                f"create the demo user {DEMO_USER} and agent {DEMO_AGENT} on the embedded IdP "
                "(the agent may act for the user) and make them the profile's defaults",
            )
        )
        if agent is not None and agent != DEMO_AGENT:
            who = f" --agent {DEMO_AGENT} --user {DEMO_USER}"
    elif not embedded:
        out.append(
            NextCommand(
                f"agentctl doctor{flag}",
                f"check what your {caps.name} really advertises",
            )
        )
        if agent is None:
            kind = ""
            what = "the agent's own identity (it becomes the profile's default agent)"
            if idp == "entra" and run_mode != US:
                kind = " --kind agent-identity"
                what = (
                    "an Entra Agent ID agent identity (a plain app would give classic OBO, "
                    "which names no agent)"
                )
            out.append(NextCommand(f"agentctl register {AGENT_NAME}{flag}{kind}", f"create {what}"))
    exchange = f"agentctl exchange --mode {EXCHANGE_MODE[run_mode]}{flag}{who}"
    out.append(NextCommand(exchange, f"run the {MODE_TITLES[run_mode]} exchange, check the token"))
    if mode != run_mode:
        out.append(
            NextCommand(
                "agentctl demo",
                f"see the {MODE_TITLES[mode]} token {caps.name} cannot issue, on the embedded IdP",
            )
        )
    if "mcp" in targets and run_mode != AGENT and caps.id_jag.issuer is not Support.NO:
        resource = ctx.mcp_resource if embedded else MCP_PLACEHOLDER
        out.append(
            NextCommand(
                f"agentctl exchange --via id-jag --resource {resource}{flag}{who}",
                "reach the MCP server through ID-JAG"
                + (" (the embedded IdP's own MCP resource)" if embedded else ""),
            )
        )
    if "browser" in targets:
        out.append(
            NextCommand(
                f"{exchange} --emit playwright-python --out {PLAYWRIGHT_FILE}",
                "write a Playwright module (0600) that gives the token to the app's origin only",
            )
        )
    return tuple(out)


def _profile_add(idp: str, name: str) -> NextCommand:
    if idp == "entra":
        command = (
            "agentctl profile add entra --kind entra --tenant <tenant-id-or-domain> "
            "--client-id <admin-app-id> --secret-stdin"
        )
    else:
        command = (
            f"agentctl profile add {idp} --kind oidc --issuer <issuer-url> "
            "--client-id <client-id> --secret-stdin"
        )
    return NextCommand(command, f"connect agentctl to your {name} (no profile for it yet)")


__all__ = [
    "AGENT_NAME",
    "EMBEDDED_MCP",
    "MCP_PLACEHOLDER",
    "NextCommand",
    "Plan",
    "PlanContext",
    "ProfileInfo",
    "TargetPath",
    "plan",
]
