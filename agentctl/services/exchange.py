"""`agentctl exchange`: run a mode (or all three, or the ID-JAG path) against the profile's IdP,
explain each resulting token with inspect's model and check it has the shape the mode promises.

    result = run_exchange(options, settings=settings, http=http, now=now, ...)

Exit codes (Result.exit_code): 0 every check holds; 5 the IdP answered but a token has the wrong
shape; 6 the IdP refused (OAuth error); 7 network; 8 the IdP lacks the capability. The data
always carries every step, token (fingerprints unless --show-token) and check gathered so far.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentctl.core.transport_rules import has_credentials, without_credentials
from agentctl.errors import InputError, UsageError
from agentctl.exit_codes import ExitCode

if TYPE_CHECKING:
    from agentctl.config.resolve import Settings
    from agentctl.http_types import HttpClient
    from agentctl.oauth.device import DeviceAuthorization
    from agentctl.oauth.trace import Tracer
    from agentctl.output.result import Result
    from agentctl.providers.base import IdentityProvider
    from agentctl.services.exchange_model import Run, TokenInfo
    from agentctl.services.exchange_modes import Agent, Targets

COMMAND = ("exchange",)
MODE_CHOICES = ("agent", "user", "obo", "all")
AGENT_USER_MODE = "agent-user"  # Entra only: the agent as its own agent user (user_fic)
VIA_CHOICES = ("id-jag",)


@dataclass(frozen=True)
class ExchangeOptions:
    """What `agentctl exchange` was asked for, flags as given (None: not given, the profile
    decides)."""

    mode: str | None = None
    via: str | None = None
    agent: str | None = None
    user: str | None = None
    subject_token: str | None = None
    actor_token: str | None = None
    audience: tuple[str, ...] = ()
    resource: tuple[str, ...] = ()
    scope: str | None = None
    emit: str | None = None
    # Which of the run's tokens --emit writes: None/"final" the last; else a token's label as
    # a slug ("id-jag", "id-token", "user-token", "actor-token"). "id-jag" with --via id-jag
    # stops after leg 1: the ID-JAG is for another client to redeem.
    emit_token: str | None = None
    # ID-JAG leg 2 at an authorization server agentctl does not run: the agent's client there.
    as_client_id: str | None = None
    as_client_secret: str | None = field(default=None, repr=False)
    out: str | None = None
    show_token: bool = False
    trace: bool = False
    # Said to the user: flags ignored because the mode has no use for them, defaults taken
    # from the profile.
    notes: tuple[str, ...] = ()

    @property
    def targets(self) -> Targets:
        from agentctl.services.exchange_modes import Targets

        return Targets(resource=self.resource, audience=self.audience, scope=self.scope)


@dataclass
class Hooks:
    """How the service reaches the person at the terminal."""

    password: Callable[[], str] | None = None  # the --user password, asked only when needed
    prompt: Callable[[DeviceAuthorization], None] | None = None  # show a device code


def validate(opts: ExchangeOptions) -> ExchangeOptions:
    """Usage errors before anything is sent. Flags a mode has no use for are dropped with a
    note rather than refused, so a script looping over the modes can pass the same flags to
    each (`--user` with `--mode agent`)."""
    mode = opts.mode
    notes = list(opts.notes)
    for flag, values in (("--resource", opts.resource), ("--audience", opts.audience)):
        for value in values:
            if has_credentials(value):
                raise UsageError(
                    f"{flag} {without_credentials(value)} embeds credentials (user:password@)",
                    hint="remove them; a resource or audience URL never carries a password",
                )
    if opts.via is not None:
        if opts.via not in VIA_CHOICES:
            raise UsageError(f"unknown --via {opts.via!r}", hint="use --via id-jag")
        if not opts.resource:
            raise UsageError(
                "--via id-jag needs --resource URL (the MCP server or API)",
                hint="e.g. --resource http://127.0.0.1:8400/i/mcp-as/resource",
            )
        if len(opts.resource) > 1:
            raise UsageError("--via id-jag takes one --resource")
        if mode not in (None, "user", "obo"):
            raise UsageError(
                f"--via id-jag starts from a user's sign-in; --mode {mode} has no user",
                hint="drop --mode (or use --mode obo/user) with --via id-jag; an agent on its "
                "own uses --mode agent --resource URL",
            )
        if mode == "obo" and ID_JAG_OBO_NOTE not in notes:
            # What a user who chose hybrid OBO for an MCP server gets: say what is lost.
            notes.append(ID_JAG_OBO_NOTE)
        mode = "user"
    if mode is None:
        raise UsageError(
            "which mode? --mode agent|user|obo|all",
            hint="`agentctl choose` helps you pick; `agentctl demo` shows all three",
        )
    if mode not in MODE_CHOICES and mode != AGENT_USER_MODE:
        raise UsageError(f"unknown mode {mode!r}", hint="use agent, user, obo or all")
    if opts.emit is not None:
        from agentctl.core import emit as emit_fmt

        try:
            emit_fmt.parse_spec(opts.emit)  # FORM[:option=value,...]
        except ValueError as exc:
            raise UsageError(str(exc), hint="see `agentctl exchange --help` (--emit)") from None
        if mode == "all":
            raise UsageError("--emit writes one token; pick one --mode, not all")
    elif opts.out is not None:
        raise UsageError("--out goes with --emit (it names the file the token is written to)")
    if opts.emit_token is not None and opts.emit is None:
        raise UsageError(
            "--emit-token picks the token --emit writes", hint="add --emit FORM (e.g. env)"
        )
    if opts.emit_token == "id-jag" and opts.via != "id-jag":  # noqa: S105 - a token's name
        raise UsageError(
            "--emit-token id-jag needs --via id-jag --resource URL (only that path has an ID-JAG)"
        )
    if opts.actor_token and (mode not in ("obo", "all") or opts.via):
        notes.append(f"--actor-token ignored: --mode {_shown_mode(mode, opts.via)} has no actor")
        opts = dataclasses.replace(opts, actor_token=None)
    if mode == "agent" and (opts.user or opts.subject_token):
        given = [
            n for n, v in (("--user", opts.user), ("--subject-token", opts.subject_token)) if v
        ]
        notes.append(f"{' and '.join(given)} ignored: --mode agent runs as the agent alone")
        opts = dataclasses.replace(opts, user=None, subject_token=None)
    return dataclasses.replace(opts, mode=mode, notes=tuple(dict.fromkeys(notes)))


ID_JAG_OBO_NOTE = (
    "through ID-JAG the MCP server sees sub = the user and the agent only as client_id: no act "
    "claim, no delegation chain (this is the path for --mode obo to an MCP server)"
)


def _shown_mode(mode: str | None, via: str | None) -> str:
    return f"{mode} --via {via}" if via else str(mode)


def with_profile_defaults(opts: ExchangeOptions, settings: Settings) -> ExchangeOptions:
    """--agent and --user default to the profile's (`agentctl agent use`), each noted.

    The default user is only taken where it can sign in: the embedded IdP's loopback sign-in
    (other IdPs sign users in by device code), and only for modes that have a user."""
    notes = list(opts.notes)
    agent, user = opts.agent, opts.user
    stored = settings.profile
    if agent is None and stored.agent:
        agent = stored.agent
        notes.append(f"agent {agent}: the profile's default (`agentctl agent use` changes it)")
    has_user = opts.mode != "agent" and not opts.subject_token
    if user is None and stored.user and has_user and settings.kind.value == "local":
        user = stored.user
        notes.append(f"user {user}: the profile's default (`agentctl agent use --user` changes it)")
    return dataclasses.replace(opts, agent=agent, user=user, notes=tuple(notes))


def demo_password(settings: Settings, user: str) -> str | None:
    """The password `agentctl demo` gave its user, from its 0600 file beside the embedded
    IdP's data, so that after the demo `agentctl exchange --mode obo` needs no password."""
    from agentctl.services.demo import DEMO_USER, password_file

    if user != DEMO_USER or settings.kind.value != "local" or settings.issuer.value:
        return None
    try:
        value = password_file().read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return value or None


def remember_demo_defaults(settings: Settings, *, agent: str, user: str) -> dict[str, Any]:
    """`agentctl demo` sets the embedded profile's default agent and user unless the person
    chose others (and the agent they chose is still registered). Returns what is in force."""
    from agentctl.services import defaults
    from agentctl.services.agents import find_record

    name = settings.name.value
    current = defaults.read(name)
    stale = current.agent is not None and find_record(settings, current.agent) is None
    if current.agent is None or stale:
        now = defaults.remember(name, agent=agent, user=user)
    else:
        now = defaults.remember(name, user=user, only_if_unset=True)
    return {"profile": name, "agent": now.agent, "user": now.user}


def prefetch_sign_in(opts: ExchangeOptions, settings: Settings, password: str | None) -> bool:
    """When this run will sign `opts.user` in through the in-process embedded IdP with
    `password`, start that password's KDF now (`agentctl.idp.inprocess.prefetch_sign_in`),
    so that it runs while the IdP is loaded. The sign-in itself still checks the password;
    this only lets it find the work done. True when a computation was started."""
    if password is None or opts.user is None or opts.subject_token:
        return False
    if opts.mode not in ("user", "obo", "all"):
        return False
    if settings.kind.value != "local" or settings.issuer.value:
        return False  # another IdP, or a served embedded IdP: its own process checks
    from agentctl.idp.inprocess import prefetch_sign_in as start

    return start(opts.user, password)


def make_provider(settings: Settings, http: HttpClient) -> IdentityProvider:
    from agentctl.providers import get_provider, provider_settings

    return get_provider(settings.kind.value, provider_settings(settings), http)


def resolve_agent(settings: Settings, name: str | None) -> Agent | None:
    """`--agent NAME` (or the profile's default agent) from the agents registry; else the
    profile's own client, if any."""
    from agentctl.services.exchange_modes import Agent

    if name:
        from agentctl.config.statedb import open_db
        from agentctl.services.agents import find_record, load_agent

        # The lookups below each ask for the state database; holding the process's handle
        # meanwhile keeps them from opening (and setting up) a new one each time.
        held = open_db()
        if name == settings.profile.agent and find_record(settings, name, shared=True) is None:
            raise UsageError(
                f"the profile's default agent {name!r} is not registered any more",
                hint="`agentctl agent list` shows the agents; `agentctl agent use NAME` picks "
                "another, or pass --agent NAME",
            )
        # shared: an agent registered on the same embedded IdP through another profile (the
        # demo's, in-process) is the same client at that IdP, so it is usable from here too.
        record, credential = load_agent(settings, name, shared=True)
        del held
        return Agent(record.name, credential)
    if settings.client_id.value:
        from agentctl.providers import credential_for

        return Agent(settings.client_id.value, credential_for(settings))
    return None


def run_exchange(
    opts: ExchangeOptions,
    *,
    settings: Settings,
    http: HttpClient,
    now: Callable[[], datetime],
    hooks: Hooks | None = None,
    tracer: Tracer | None = None,
) -> Result:
    opts = with_profile_defaults(validate(opts), settings)
    hooks = hooks or Hooks()
    if settings.kind.value == "entra":
        from agentctl.services.exchange_entra import run_entra

        runs, header = run_entra(opts, settings=settings, http=http, now=now, hooks=hooks)
    else:
        if opts.mode == AGENT_USER_MODE:
            from agentctl.errors import UnsupportedError

            raise UnsupportedError(
                "mode agent-user is Entra Agent ID's agent user account",
                hint="use an Entra profile, or --mode agent",
            )
        runs, header = _run_generic(
            opts, settings=settings, http=http, now=now, hooks=hooks, tracer=tracer
        )
        # What trying showed beyond the IdP's metadata (an unlisted grant that worked).
        seen = tuple(header.pop("observations", ()))
        opts = dataclasses.replace(opts, notes=tuple(dict.fromkeys((*opts.notes, *seen))))
    return assemble(opts, runs, header, tracer=tracer)


def _run_generic(
    opts: ExchangeOptions,
    *,
    settings: Settings,
    http: HttpClient,
    now: Callable[[], datetime],
    hooks: Hooks,
    tracer: Tracer | None,
) -> tuple[list[Run], dict[str, Any]]:
    agent = resolve_agent(settings, opts.agent)
    if tracer is not None and agent is not None:
        tracer.add_secret(agent.credential.secret)
    provider = make_provider(settings, http)
    header: dict[str, Any] = {
        "profile": settings.name.value,
        "provider": provider.kind,
        "issuer": provider.issuer,
        "agent": {"name": agent.name, "client_id": agent.client_id} if agent else None,
        "user": opts.user if opts.mode != "agent" else None,
    }
    from agentctl.services.exchange_modes import Runner
    from agentctl.services.resource_client import resource_client_resolver

    password = hooks.password
    if password is not None and tracer is not None:
        password = _remembered(password, tracer)
    runner = Runner(
        provider,
        http,
        now=now,
        agent=agent,
        targets=opts.targets,
        user=opts.user,
        password=password,
        prompt=hooks.prompt,
        subject_token=opts.subject_token,
        actor_token=opts.actor_token,
        embedded_sign_in=provider.kind == "local",
        stop_after_id_jag=opts.emit_token == "id-jag",  # noqa: S105 - a token's name
        resource_client=(
            # given a client there, nothing is left to note about it
            resource_client_resolver(opts.as_client_id, opts.as_client_secret, agent, provider, [])
            if opts.as_client_id
            else None
        ),
    )
    # Filled while the runs try grants the metadata omits (generic OIDC providers).
    header["observations"] = getattr(provider, "observations", [])
    if opts.via == "id-jag":
        return [runner.run_id_jag(opts.resource[0])], header
    modes = ("agent", "user", "obo") if opts.mode == "all" else (str(opts.mode),)
    table = {"agent": runner.run_agent, "user": runner.run_user, "obo": runner.run_obo}
    return [table[m]() for m in modes], header


def _remembered(source: Callable[[], str], tracer: Tracer) -> Callable[[], str]:
    def read() -> str:
        value = source()
        tracer.add_secret(value)
        return value

    return read


def assemble(
    opts: ExchangeOptions,
    runs: list[Run],
    header: dict[str, Any],
    *,
    tracer: Tracer | None = None,
) -> Result:
    """The Result: data for every run, the exit code of the first error, else 5 for a wrong
    shape, else 0; the token emitted when asked and every check held."""
    from agentctl.output.result import Result

    ok = bool(runs) and all(r.ok for r in runs)
    data: dict[str, Any] = {
        **header,
        "mode": opts.mode,
        "via": opts.via,
        "targets": {
            "resource": list(opts.resource),
            "audience": list(opts.audience),
            "scope": opts.scope,
        },
        "ok": ok,
        "notes": list(opts.notes),
        "runs": [r.to_dict(show_token=opts.show_token) for r in runs],
        "table": [r.row() for r in runs],
        "emit": None,
    }
    result = Result(command=COMMAND, data=data)
    errors = [r.error for r in runs if r.error is not None]
    if errors:
        result.exit_code = errors[0].exit_code
        result.errors = [e.to_item() for e in errors]
    elif not ok:
        result.exit_code = ExitCode.CHECK
        for run in runs:
            names = ", ".join(c.check.name for c in run.failed_checks)
            if names:
                result.errors.append(
                    {
                        "code": "check_failed",
                        "message": f"mode {run.mode}: the token does not have the promised "
                        f"shape ({names})",
                        "hint": "see the check table; `agentctl inspect` explains the token",
                    }
                )
    if opts.emit is not None:
        data["emit"] = _emit(opts, runs[0] if runs else None, ok, result)
    if opts.trace and tracer is not None:
        data["trace"] = [e.to_dict() for e in tracer.events]
    return result


def _emit(opts: ExchangeOptions, run: Run | None, ok: bool, result: Result) -> dict[str, Any]:
    from agentctl.core import emit as emit_fmt

    fmt = str(opts.emit)
    token = emitted_token(run, opts.emit_token, result) if run is not None else None
    if not ok or token is None:
        result.warnings.append("no token emitted: the exchange did not produce a checked token")
        return {"format": fmt, "written": False}
    expl = token.explanation
    candidates = [*opts.resource, *opts.audience, *(expl.audience if expl else [])]
    text = emit_fmt.render(
        fmt,
        token.raw,
        url=emit_fmt.target_url(candidates),
        token_type=token.token_type or "Bearer",
    )
    out: dict[str, Any] = {"format": fmt, "written": True, "fingerprint": token.fingerprint}
    if opts.out:
        try:
            out["path"] = str(write_private_file(Path(opts.out), text))
        except OSError as exc:
            raise InputError(
                f"cannot write {opts.out}: {exc.strerror}",
                hint="choose a writable path for --out",
            ) from None
    else:
        out["text"] = text
    return out


def token_slug(label: str) -> str:
    """A token's label as `--emit-token` names it: "ID-JAG" → id-jag, "ID token" → id-token."""
    return "-".join("".join(c if c.isalnum() else " " for c in label.lower()).split())


def emitted_token(run: Run, which: str | None, result: Result) -> TokenInfo | None:
    """The token `--emit-token` names (default: the run's final one), or None with a warning
    listing the tokens the run has."""
    if which in (None, "final"):
        return run.token
    for token in run.tokens:
        if token_slug(token.label) == which:
            return token
    have = ", ".join(token_slug(t.label) for t in run.tokens) or "none"
    result.warnings.append(f"--emit-token {which}: the run obtained no such token (it has: {have})")
    return None


def write_private_file(path: Path, text: str) -> Path:
    """Write `text` readable by the owner only (0600), replacing what was there."""
    path = path.expanduser()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # an existing file keeps its mode on O_CREAT; tighten it
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)
    return path.resolve()


__all__ = [
    "COMMAND",
    "MODE_CHOICES",
    "ExchangeOptions",
    "Hooks",
    "assemble",
    "demo_password",
    "make_provider",
    "prefetch_sign_in",
    "remember_demo_defaults",
    "resolve_agent",
    "run_exchange",
    "validate",
    "with_profile_defaults",
    "write_private_file",
]
