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
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentctl.core import emit as emit_fmt
from agentctl.errors import InputError, UsageError
from agentctl.exit_codes import ExitCode
from agentctl.output.result import Result
from agentctl.services.exchange_model import Run
from agentctl.services.exchange_modes import Agent, Runner, Targets

if TYPE_CHECKING:
    import httpx

    from agentctl.config.resolve import Settings
    from agentctl.oauth.device import DeviceAuthorization
    from agentctl.oauth.trace import Tracer
    from agentctl.providers.base import IdentityProvider

COMMAND = ("exchange",)
MODE_CHOICES = ("agent", "user", "obo", "all")
VIA_CHOICES = ("id-jag",)


@dataclass(frozen=True)
class ExchangeOptions:
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
    out: str | None = None
    show_token: bool = False
    trace: bool = False

    @property
    def targets(self) -> Targets:
        return Targets(resource=self.resource, audience=self.audience, scope=self.scope)


@dataclass
class Hooks:
    """How the service reaches the person at the terminal."""

    password: Callable[[], str] | None = None  # the --user password, asked only when needed
    prompt: Callable[[DeviceAuthorization], None] | None = None  # show a device code


def validate(opts: ExchangeOptions) -> ExchangeOptions:
    """Usage errors before anything is sent."""
    mode = opts.mode
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
        if mode not in (None, "user"):
            raise UsageError(
                "--via id-jag runs as the user (the ID-JAG names the user); drop --mode "
                "or use --mode user"
            )
        mode = "user"
    if mode is None:
        raise UsageError(
            "which mode? --mode agent|user|obo|all",
            hint="`agentctl choose` helps you pick; `agentctl demo` shows all three",
        )
    if mode not in MODE_CHOICES:
        raise UsageError(f"unknown mode {mode!r}", hint="use agent, user, obo or all")
    if opts.emit is not None:
        if opts.emit not in emit_fmt.FORMATS:
            raise UsageError(
                f"unknown --emit format {opts.emit!r}", hint=f"use {', '.join(emit_fmt.FORMATS)}"
            )
        if mode == "all":
            raise UsageError("--emit writes one token; pick one --mode, not all")
    elif opts.out is not None:
        raise UsageError("--out goes with --emit (it names the file the token is written to)")
    if opts.actor_token and mode not in ("obo", "all"):
        raise UsageError("--actor-token is only used by --mode obo")
    if mode == "agent" and (opts.user or opts.subject_token):
        raise UsageError("--mode agent runs as the agent alone; --user/--subject-token unused")
    return dataclasses.replace(opts, mode=mode)


def make_provider(settings: Settings, http: httpx.Client) -> IdentityProvider:
    from agentctl.providers import get_provider, provider_settings

    return get_provider(settings.kind.value, provider_settings(settings), http)


def resolve_agent(settings: Settings, name: str | None) -> Agent | None:
    """`--agent NAME` from the agents registry; else the profile's own client, if any."""
    if name:
        from agentctl.services.agents import load_agent

        record, credential = load_agent(settings, name)
        return Agent(record.name, credential)
    if settings.client_id.value:
        from agentctl.providers import credential_for

        return Agent(settings.client_id.value, credential_for(settings))
    return None


def run_exchange(
    opts: ExchangeOptions,
    *,
    settings: Settings,
    http: httpx.Client,
    now: Callable[[], datetime],
    hooks: Hooks | None = None,
    tracer: Tracer | None = None,
) -> Result:
    opts = validate(opts)
    hooks = hooks or Hooks()
    if settings.kind.value == "entra":
        from agentctl.services.exchange_entra import run_entra

        runs, header = run_entra(opts, settings=settings, http=http, now=now, hooks=hooks)
    else:
        runs, header = _run_generic(
            opts, settings=settings, http=http, now=now, hooks=hooks, tracer=tracer
        )
    return assemble(opts, runs, header, tracer=tracer)


def _run_generic(
    opts: ExchangeOptions,
    *,
    settings: Settings,
    http: httpx.Client,
    now: Callable[[], datetime],
    hooks: Hooks,
    tracer: Tracer | None,
) -> tuple[list[Run], dict[str, Any]]:
    agent = resolve_agent(settings, opts.agent)
    if tracer is not None and agent is not None:
        tracer.add_secret(agent.credential.secret)
    provider = make_provider(settings, http)
    header = {
        "profile": settings.name.value,
        "provider": provider.kind,
        "issuer": provider.issuer,
        "agent": {"name": agent.name, "client_id": agent.client_id} if agent else None,
        "user": opts.user,
    }
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
    )
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
    fmt = str(opts.emit)
    token = run.token if run is not None else None
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
    "make_provider",
    "resolve_agent",
    "run_exchange",
    "validate",
    "write_private_file",
]
