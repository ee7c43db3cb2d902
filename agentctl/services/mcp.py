"""`agentctl mcp URL`: a remote MCP server end to end, as its clients meet it.

1. Its authorization: an unauthenticated request (401 and `WWW-Authenticate`, MCP
   authorization §2), its RFC 9728 metadata (which authorization servers it trusts, its resource
   id), and that authorization server's RFC 8414 metadata (which grants it takes).
2. A token in the mode asked, from the authorization server the resource names:
   - agent: client credentials at that AS, as the agent's client there;
   - user: the user's identity at that AS — ID-JAG when the AS is another domain that takes
     it, the profile's IdP itself (impersonation) when the resource trusts it directly;
   - obo: RFC 8693 delegation (subject the user, actor the agent) where the AS takes token
     exchange;
   - id-jag: ID-JAG at the profile's IdP, then jwt-bearer at the resource's AS.
   Or `--token`: a token from elsewhere, presented as it is.
3. The token checked as `exchange` checks it, plus the resource's view (issuer one of its
   authorization servers, audience its id) and its lifetime.
4. The official MCP SDK client (streamable HTTP) with that token: `initialize`, `tools/list`,
   and `tools/call` when asked. What the server accepted is the last check.

The SDK (`agentctl[mcp]`) is imported only here, inside `connect`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from agentctl.core import checks as ck
from agentctl.errors import (
    AgentctlError,
    ConfigError,
    NetworkError,
    ProviderError,
    UnsupportedError,
    UsageError,
)
from agentctl.exit_codes import ExitCode
from agentctl.output.result import Result
from agentctl.services.exchange_model import Run, Step, make_token
from agentctl.services.exchange_modes import ID_JAG_PROFILE, Runner, Targets
from agentctl.services.resource_client import resource_client_resolver

if TYPE_CHECKING:
    from agentctl.config.resolve import Settings
    from agentctl.http_types import HttpClient, HttpResponse
    from agentctl.oauth.trace import Tracer
    from agentctl.services.exchange import Hooks

COMMAND = ("mcp",)
MODES = ("agent", "user", "obo", "id-jag")
PRM_PREFIX = "/.well-known/oauth-protected-resource"
GRANT_CC = "client_credentials"
GRANT_TE = "urn:ietf:params:oauth:grant-type:token-exchange"
GRANT_JWT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SDK_MISSING = "`agentctl mcp` needs the MCP SDK, an optional extra"
SDK_HINT = "pip install 'agentctl[mcp]'"
# An MCP `initialize` request: what any MCP client sends first (the probe and the preflight).
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "agentctl", "version": "probe"},
    },
}
MCP_ACCEPT = "application/json, text/event-stream"


@dataclass(frozen=True)
class McpOptions:
    url: str
    mode: str | None = None
    agent: str | None = None
    user: str | None = None
    subject_token: str | None = None
    token: str | None = None  # present this token as it is
    scope: str | None = None
    call: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    probe: bool = False  # the authorization only: no token, no session
    as_client_id: str | None = None
    as_client_secret: str | None = None
    show_token: bool = False
    trace: bool = False
    notes: tuple[str, ...] = ()


def parse_args(text: str | None) -> dict[str, Any]:
    """`--args JSON`: a JSON object of tool arguments."""
    if text is None or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"--args is not JSON ({exc.msg} at position {exc.pos})",
            hint='pass a JSON object, e.g. --args \'{"text": "hi"}\'',
        ) from None
    if not isinstance(value, dict):
        raise UsageError(
            f"--args must be a JSON object, not {type(value).__name__}",
            hint='e.g. --args \'{"text": "hi"}\'',
        )
    return value


def validate(opts: McpOptions) -> McpOptions:
    from agentctl.core.transport_rules import has_credentials, is_secure_url, without_credentials

    url = opts.url.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # "http://[::1" and other unparseable authorities
        host = None
    if host is None or parts.scheme not in ("http", "https"):
        raise UsageError(f"not an MCP server URL: {url!r}", hint="e.g. https://mcp.example.com/mcp")
    if has_credentials(url):
        raise UsageError(
            f"{without_credentials(url)} embeds credentials (user:password@)",
            hint="remove them; agentctl presents a bearer token",
        )
    if not is_secure_url(url):
        raise UsageError(
            f"refusing {url}: plain http is accepted only for loopback addresses",
            hint="use the server's https:// URL",
        )
    if opts.mode is not None and opts.mode not in MODES:
        raise UsageError(f"unknown mode {opts.mode!r}", hint=f"use {', '.join(MODES)}")
    if opts.token and opts.mode:
        raise UsageError(
            "--token presents a token as it is; --mode obtains one", hint="pass one of them"
        )
    if opts.args and not opts.call:
        raise UsageError("--args goes with --call TOOL")
    if opts.probe and (opts.call or opts.token):
        raise UsageError("--probe shows the authorization only; it sends no token or call")
    if opts.as_client_secret and not opts.as_client_id:
        raise UsageError("a client secret at the authorization server needs --as-client-id")
    return opts


def require_sdk() -> None:
    """One clear line when the optional MCP SDK is not installed."""
    try:
        import httpx2  # noqa: F401 - the SDK's HTTP client
        import mcp  # noqa: F401
    except ImportError:
        raise ConfigError(SDK_MISSING, hint=SDK_HINT) from None


# -- 1. the server's authorization -------------------------------------------------------------


@dataclass
class Authorization:
    """What the server says about its own authorization, before any token."""

    status: int | None = None
    www_authenticate: str | None = None
    challenge: dict[str, str] = field(default_factory=dict)
    metadata_url: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    resource: str | None = None
    servers: list[str] = field(default_factory=list)
    as_issuer: str | None = None
    as_metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def grants(self) -> list[str]:
        value = self.as_metadata.get("grant_types_supported")
        return [g for g in value if isinstance(g, str)] if isinstance(value, list) else []

    @property
    def id_jag(self) -> bool:
        value = self.as_metadata.get("authorization_grant_profiles_supported")
        return isinstance(value, list) and ID_JAG_PROFILE in value

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "www_authenticate": self.www_authenticate,
            "challenge": self.challenge,
            "resource_metadata_url": self.metadata_url,
            "resource_metadata": self.metadata,
            "resource": self.resource,
            "authorization_servers": self.servers,
            "authorization_server": {
                "issuer": self.as_issuer,
                "token_endpoint": self.as_metadata.get("token_endpoint"),
                "registration_endpoint": self.as_metadata.get("registration_endpoint"),
                "grant_types_supported": self.grants,
                "id_jag": self.id_jag,
                "token_endpoint_auth_methods_supported": self.as_metadata.get(
                    "token_endpoint_auth_methods_supported"
                ),
            }
            if self.as_issuer
            else None,
        }


def parse_challenge(header: str) -> dict[str, str]:
    """The auth-params of a `Bearer` challenge (RFC 6750 §3, RFC 9728 §5.1): quoted or token
    values, commas between; anything unparsable is skipped, never guessed."""
    import re

    _, _, params = header.strip().partition(" ")
    if not header.lower().startswith("bearer"):
        return {}
    out: dict[str, str] = {}
    for match in re.finditer(
        r'([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))', params
    ):
        name, quoted, bare = match.group(1), match.group(2), match.group(3)
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
        out.setdefault(name.lower(), value)
    return out


def prm_url(resource: str) -> str:
    """RFC 9728 §3.1: the well-known segment between host and path."""
    parts = urlsplit(resource)
    return urlunsplit((parts.scheme, parts.netloc, PRM_PREFIX + parts.path.rstrip("/"), "", ""))


def post_initialize(
    http: HttpClient, url: str, token: str | None
) -> tuple[HttpResponse, dict[str, Any] | None]:
    """POST an MCP `initialize` (with `token` when given); the response, and its JSON-RPC
    message when the server answered one (JSON or one SSE event)."""
    from agentctl.oauth.transport import send

    headers = {"Accept": MCP_ACCEPT, "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = send(http, "POST", url, json=INITIALIZE, headers=headers, what="MCP response")
    message: dict[str, Any] | None = None
    text = response.text
    if "text/event-stream" in response.headers.get("content-type", ""):
        data = [ln[5:].strip() for ln in text.splitlines() if ln.startswith("data:")]
        text = data[0] if data else ""
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        message = parsed
    session = response.headers.get("mcp-session-id")
    if session and response.status_code < 300:
        # The preflight is no session of ours: end it (streamable HTTP, DELETE with its id).
        with contextlib.suppress(AgentctlError):
            send(http, "DELETE", url, headers={**headers, "Mcp-Session-Id": session})
    return response, message


def discover(http: HttpClient, url: str, run: Run) -> Authorization:
    """Steps 1: the unauthenticated request, the RFC 9728 metadata, the AS metadata."""
    from agentctl.oauth.discovery import fetch_metadata
    from agentctl.oauth.transport import json_body, send

    auth = Authorization()
    step = Step("ask without a token (MCP authorization: 401 + WWW-Authenticate)", endpoint=url)
    run.steps.append(step)
    try:
        response, _ = post_initialize(http, url, None)
    except AgentctlError as exc:
        step.outcome, step.error = "error", exc.to_item()
        raise
    auth.status = response.status_code
    auth.www_authenticate = response.headers.get("www-authenticate")
    auth.challenge = parse_challenge(auth.www_authenticate or "")
    step.detail = f"HTTP {response.status_code}" + (
        f", WWW-Authenticate: {auth.www_authenticate}" if auth.www_authenticate else ""
    )
    if response.status_code < 400:
        step.outcome = "open"
    auth.metadata_url = auth.challenge.get("resource_metadata") or prm_url(url)
    step = Step("read its protected resource metadata (RFC 9728)", endpoint=auth.metadata_url)
    run.steps.append(step)
    try:
        got = send(
            http,
            "GET",
            auth.metadata_url,
            idempotent=True,
            what="protected resource metadata",
            headers={"Accept": "application/json"},
        )
        if got.status_code != 200:
            raise ProviderError(
                f"{url} publishes no protected resource metadata ({auth.metadata_url} → HTTP "
                f"{got.status_code})",
                hint="an MCP server must publish it (RFC 9728); check the URL ends with the "
                "server's MCP path (often /mcp)",
            )
        prm = json_body(got, "protected resource metadata")
    except AgentctlError as exc:
        step.outcome, step.error = "error", exc.to_item()
        raise
    auth.metadata = prm
    resource = prm.get("resource")
    auth.resource = resource if isinstance(resource, str) else None
    servers = prm.get("authorization_servers")
    auth.servers = [s for s in servers if isinstance(s, str)] if isinstance(servers, list) else []
    if auth.resource is None or auth.resource.rstrip("/") != url.rstrip("/"):
        # RFC 9728 §3.3: metadata for another resource must not be used (mix-up defence).
        error = ProviderError(
            f"the metadata at {auth.metadata_url} names resource {resource!r}, not {url}",
            hint="use the resource identifier the server publishes (RFC 9728 §3.3)",
        )
        step.outcome, step.error = "error", error.to_item()
        raise error
    if not auth.servers:
        error = ProviderError(
            f"{url}'s protected resource metadata names no authorization server",
            hint="the server takes no OAuth tokens agentctl could obtain",
        )
        step.outcome, step.error = "error", error.to_item()
        raise error
    step.detail = f"resource {auth.resource}; authorization servers: {' '.join(auth.servers)}"
    auth.as_issuer = auth.servers[0]
    step = Step("read the authorization server's metadata (RFC 8414)", endpoint=auth.as_issuer)
    run.steps.append(step)
    try:
        auth.as_metadata = fetch_metadata(http, auth.as_issuer)
    except AgentctlError as exc:
        step.outcome, step.error = "error", exc.to_item()
        raise
    step.detail = "grants: " + (" ".join(_short(g) for g in auth.grants) or "(none listed)")
    if auth.id_jag:
        step.detail += "; takes ID-JAGs"
    return auth


def _short(grant: str) -> str:
    return grant.rsplit(":", 1)[-1] if grant.startswith("urn:") else grant


# -- 2. the token ------------------------------------------------------------------------------


def choose_mode(opts: McpOptions, auth: Authorization, idp_issuer: str | None) -> str:
    """The mode asked, else what the resource's AS suggests: ID-JAG when it is another domain
    that takes them (the enterprise path), else the agent on its own."""
    if opts.mode:
        return opts.mode
    if auth.as_issuer != idp_issuer and auth.id_jag:
        return "id-jag"
    return "agent"


def _same(a: str | None, b: str | None) -> bool:
    return bool(a and b) and str(a).rstrip("/") == str(b).rstrip("/")


@dataclass
class Context:
    settings: Settings
    http: HttpClient
    now: Callable[[], datetime]
    hooks: Hooks
    tracer: Tracer | None


def obtain(
    opts: McpOptions,
    auth: Authorization,
    mode: str,
    ctx: Context,
    notes: list[str],
) -> tuple[Run, dict[str, Any]]:
    """Run the mode against the resource's AS (and the profile's IdP where the user signs in)."""
    from agentctl.providers.oidc import OidcProvider
    from agentctl.services.exchange import make_provider, resolve_agent

    settings = ctx.settings
    idp = make_provider(settings, ctx.http)
    agent_name = opts.agent or settings.profile.agent
    if opts.agent is None and agent_name:
        notes.append(f"agent {agent_name}: the profile's default (`agentctl agent use`)")
    agent = resolve_agent(settings, agent_name)
    if ctx.tracer is not None and agent is not None:
        ctx.tracer.add_secret(agent.credential.secret)
    user = opts.user
    if user is None and mode != "agent" and not opts.subject_token and idp.kind == "local":
        user = settings.profile.user
        if user:
            notes.append(f"user {user}: the profile's default (`agentctl agent use --user`)")
    header = {
        "profile": settings.name.value,
        "provider": idp.kind,
        "issuer": idp.issuer,
        "agent": {"name": agent.name, "client_id": agent.client_id} if agent else None,
        "user": user if mode != "agent" else None,
    }
    resource = auth.resource or opts.url
    targets = Targets(resource=(resource,), scope=opts.scope)
    password = ctx.hooks.password if user else None
    common: dict[str, Any] = {
        "now": ctx.now,
        "user": user,
        "password": password,
        "prompt": ctx.hooks.prompt,
        "subject_token": opts.subject_token,
        "embedded_sign_in": idp.kind == "local",
    }
    resolver = resource_client_resolver(opts.as_client_id, opts.as_client_secret, agent, idp, notes)
    own_as = _same(auth.as_issuer, idp.issuer)
    if mode == "id-jag" or (mode == "user" and not own_as and auth.id_jag):
        if own_as:
            raise UsageError(
                f"{opts.url} trusts {auth.as_issuer}, the profile's IdP itself; an IdP does "
                "not redeem its own ID-JAG",
                hint="use --mode user, obo or agent: the IdP issues the token directly",
            )
        if mode == "user":
            notes.append(
                f"mode user at {auth.as_issuer} (another domain): the user's identity travels "
                "as an ID-JAG, then jwt-bearer there (the server sees sub = the user)"
            )
        runner = Runner(
            idp, ctx.http, agent=agent, targets=targets, resource_client=resolver, **common
        )
        runner.know_resource(resource, auth.metadata)
        return runner.run_id_jag(resource), header
    if own_as:
        runner = Runner(idp, ctx.http, agent=agent, targets=targets, **common)
    else:
        as_provider = OidcProvider.discover(ctx.http, str(auth.as_issuer))
        as_client = resolver(None, str(auth.as_issuer), as_provider) if agent else None
        if mode in ("user", "obo") and GRANT_TE not in auth.grants:
            raise UnsupportedError(
                f"{auth.as_issuer} takes no token exchange (grant_types_supported), so it "
                f"cannot carry the user{' and the agent' if mode == 'obo' else ''}",
                hint="--mode id-jag carries the user (the agent as client_id) where the AS "
                "takes ID-JAGs; --mode agent runs as the agent alone",
            )
        if mode == "obo":
            notes.append(
                f"obo at {auth.as_issuer}: it takes the IdP's user token as subject only if it "
                "trusts that IdP for token exchange; where it does not, --mode id-jag carries "
                "the user (the agent then shows as client_id, with no act claim)"
            )
        runner = Runner(
            as_provider,
            ctx.http,
            agent=as_client,
            targets=targets,
            signer=idp,
            signer_agent=agent,
            **common,
        )
    runner.know_resource(resource, auth.metadata)
    table = {"agent": runner.run_agent, "user": runner.run_user, "obo": runner.run_obo}
    return table[mode](), header


# -- 4. the session ----------------------------------------------------------------------------


@dataclass
class Session:
    accepted: bool = False
    status: int | None = None
    www_authenticate: str | None = None
    initialize: dict[str, Any] | None = None
    tools: list[dict[str, Any]] = field(default_factory=list)
    call: dict[str, Any] | None = None
    error: AgentctlError | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "status": self.status,
            "www_authenticate": self.www_authenticate,
            "initialize": self.initialize,
            "tools": self.tools,
            "call": self.call,
            "error": self.error.to_item() if self.error else None,
        }


def present(http: HttpClient, url: str, token: str, run: Run, opts: McpOptions) -> Session:
    """Present `token`: a preflight `initialize` over agentctl's HTTP (so a refusal is read
    exactly: status and WWW-Authenticate), then the official SDK client for the session."""
    session = Session()
    step = Step("present the token to the MCP server (initialize)", endpoint=url)
    run.steps.append(step)
    try:
        response, _ = post_initialize(http, url, token)
    except AgentctlError as exc:
        step.outcome, step.error = "error", exc.to_item()
        session.error = exc
        return session
    session.status = response.status_code
    session.www_authenticate = response.headers.get("www-authenticate")
    if response.status_code in (401, 403):
        challenge = parse_challenge(session.www_authenticate or "")
        step.outcome = "refused"
        step.detail = f"HTTP {response.status_code}: " + (
            " ".join(f"{k}={v}" for k, v in challenge.items() if k != "resource_metadata")
            or (session.www_authenticate or "no WWW-Authenticate")
        )
        return session
    if response.status_code >= 400:
        step.outcome = "error"
        session.error = ProviderError(
            f"{url} answered HTTP {response.status_code} to initialize",
            hint="check the URL is the server's MCP endpoint",
        )
        step.error = session.error.to_item()
        return session
    session.accepted = True
    step.detail = f"HTTP {response.status_code}: accepted"
    sdk = Step("MCP session with the official SDK (streamable HTTP)", endpoint=url)
    run.steps.append(sdk)
    try:
        found = connect(url, token, call=opts.call, args=opts.args)
    except AgentctlError as exc:
        sdk.outcome, sdk.error = "error", exc.to_item()
        session.error = exc
        return session
    session.initialize = found["initialize"]
    session.tools = found["tools"]
    session.call = found.get("call")
    info = (session.initialize or {}).get("server_info") or {}
    sdk.detail = (
        f"initialize: {info.get('name', '?')} {info.get('version', '')}".rstrip()
        + f", protocol {(session.initialize or {}).get('protocol_version')}; "
        f"tools/list: {len(session.tools)} tool(s)"
        + (f"; tools/call {opts.call}" if opts.call else "")
    )
    return session


def connect(url: str, token: str, *, call: str | None, args: dict[str, Any]) -> dict[str, Any]:
    """initialize, tools/list (and tools/call) through the official MCP SDK client."""
    require_sdk()
    import anyio

    async def session() -> dict[str, Any]:
        import httpx2
        from mcp.client.session import ClientSession
        from mcp.client.streamable_http import streamable_http_client

        headers = {"Authorization": f"Bearer {token}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=30, follow_redirects=False) as http,
            streamable_http_client(url, http_client=http) as (read, write),
            ClientSession(read, write) as client,
        ):
            init = await client.initialize()
            listed = await client.list_tools()
            out: dict[str, Any] = {
                "initialize": {
                    "protocol_version": str(init.protocol_version),
                    "server_info": {
                        "name": init.server_info.name,
                        "version": init.server_info.version,
                    },
                    "capabilities": init.capabilities.model_dump(mode="json", exclude_none=True),
                },
                "tools": [
                    {"name": t.name, "description": (t.description or "").strip()}
                    for t in listed.tools
                ],
            }
            if call:
                names = {t.name for t in listed.tools}
                if call not in names:
                    raise UsageError(
                        f"the server has no tool {call!r}",
                        hint=f"its tools: {', '.join(sorted(names)) or '(none)'}",
                    )
                result = await client.call_tool(call, args)
                out["call"] = {
                    "tool": call,
                    "arguments": args,
                    "is_error": bool(result.is_error),
                    "content": [_content(c) for c in result.content],
                }
            return out

    try:
        return anyio.run(session)
    except AgentctlError:
        raise
    except BaseException as exc:  # the SDK raises exception groups of anything
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        raise NetworkError(
            f"the MCP session with {url} failed: {_first_cause(exc)}",
            hint="rerun with --trace; check the server speaks MCP streamable HTTP at that URL",
        ) from None


def _content(item: Any) -> dict[str, Any]:
    kind = getattr(item, "type", "?")
    if kind == "text":
        return {"type": "text", "text": getattr(item, "text", "")}
    return {"type": kind}


def _first_cause(exc: BaseException) -> str:
    """The first leaf of an exception group, named and said."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, AgentctlError):
        return exc.message
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- the whole command -------------------------------------------------------------------------


def run_mcp(
    opts: McpOptions,
    *,
    settings: Settings,
    http: HttpClient,
    now: Callable[[], datetime],
    hooks: Hooks,
    tracer: Tracer | None = None,
) -> Result:
    opts = validate(opts)
    if not opts.probe:
        require_sdk()
    notes = list(opts.notes)
    discovery = Run("authorization", "what the server says before any token")
    data: dict[str, Any] = {
        "url": opts.url,
        "profile": settings.name.value,
        "mode": None,
        "notes": notes,
        "authorization": None,
        "discovery": None,
        "run": None,
        "server": None,
        "ok": False,
    }
    result = Result(command=COMMAND, data=data)
    try:
        auth = discover(http, opts.url, discovery)
    except AgentctlError as exc:
        data["discovery"] = discovery.to_dict()
        return _failed(result, exc)
    data["authorization"] = auth.to_dict()
    data["discovery"] = discovery.to_dict()
    if auth.status is not None and auth.status < 400:
        notes.append(f"{opts.url} answered initialize without a token (HTTP {auth.status})")
    if opts.probe:
        data["ok"] = True
        return result
    ctx = Context(settings, http, now, hooks, tracer)
    if opts.token:
        run = _given(opts, auth, now)
        data["mode"] = "given"
    else:
        try:
            from agentctl.services.exchange import make_provider

            idp_issuer = make_provider(settings, http).issuer
            mode = choose_mode(opts, auth, idp_issuer)
            if opts.mode is None:
                notes.append(
                    f"mode {mode}: chosen from {auth.as_issuer}'s metadata (--mode picks another)"
                )
            data["mode"] = mode
            run, header = obtain(opts, auth, mode, ctx, notes)
            data.update(header)
        except AgentctlError as exc:
            return _failed(result, exc)
    token = run.token
    if run.error is None and token is not None:
        _lifetime_check(run, now)
        session = present(http, opts.url, token.raw, run, opts)
        run.add_checks(
            "MCP server",
            [
                ck.Check(
                    "the MCP server accepted the token",
                    session.accepted,
                    "initialize answered",
                    f"HTTP {session.status}" if session.status else "(no answer)",
                    "MCP authorization (RFC 6750 §3)",
                )
            ],
        )
        if session.call and session.call.get("is_error"):
            result.errors.append(
                {
                    "code": "tool_error",
                    "message": f"tools/call {opts.call}: the tool answered with isError",
                    "hint": "its content says why",
                }
            )
        data["server"] = session.to_dict()
        if session.error is not None and run.error is None:
            run.error = session.error
    data["run"] = run.to_dict(show_token=opts.show_token)
    data["table"] = [run.row()]
    data["ok"] = run.ok and not result.errors
    if opts.trace and tracer is not None:
        data["trace"] = [e.to_dict() for e in tracer.events]
    if run.error is not None:
        result.exit_code = run.error.exit_code
        result.errors.insert(0, run.error.to_item())
    elif run.failed_checks:
        result.exit_code = ExitCode.CHECK
        names = ", ".join(c.check.name for c in run.failed_checks)
        result.errors.insert(
            0,
            {
                "code": "check_failed",
                "message": f"the token does not do what {opts.url} needs ({names})",
                "hint": "see the check table and the notes",
            },
        )
    elif result.errors:
        result.exit_code = ExitCode.IDP
    return result


def _failed(result: Result, exc: AgentctlError) -> Result:
    result.exit_code = exc.exit_code
    result.errors.append(exc.to_item())
    return result


def _given(opts: McpOptions, auth: Authorization, now: Callable[[], datetime]) -> Run:
    run = Run("given", "a token given with --token, presented as it is")
    run.steps.append(Step("the token (--token)", outcome="given", detail="not verified"))
    token = make_token("given token", str(opts.token), now=now())
    run.tokens.append(token)
    run.add_checks(
        token.label,
        ck.check_resource_view(
            token.payload,
            resource=auth.resource or opts.url,
            authorization_servers=auth.servers,
        ),
    )
    if not run.checks[0].check.ok and auth.servers:
        run.notes.append(
            f"{auth.resource} takes tokens only from {' or '.join(auth.servers)}; get one "
            f"there: `agentctl mcp {opts.url} --mode id-jag` (or --mode agent)"
        )
    return run


def _lifetime_check(run: Run, now: Callable[[], datetime]) -> None:
    token = run.token
    if token is None:
        return
    exp = token.payload.get("exp")
    at = now().timestamp()
    alive = isinstance(exp, int | float) and exp > at
    run.add_checks(
        token.label,
        [
            ck.Check(
                "not expired",
                alive,
                f"exp > {int(at)}",
                f"exp = {exp}" if exp is not None else "(absent)",
                "RFC 7519 §4.1.4",
            )
        ],
    )


__all__ = [
    "COMMAND",
    "MODES",
    "McpOptions",
    "parse_args",
    "parse_challenge",
    "run_mcp",
    "validate",
]
